//! The data every host function works on (the wasmtime `Store` data), and the
//! one way host functions reach guest memory together with it.

use wasmtime::{Caller, Extern, Memory, StoreLimits};

use crate::errno::Errno;
use crate::fd_table::FdTable;
use crate::guest_memory::GuestMemory;
use crate::poll::Poller;
use crate::preview1::args_env::WasiStrings;
use crate::sandbox::SandboxPolicy;
use crate::shutdown::Listeners;

/// Per-instance state behind all host functions.
pub struct HostState {
    /// The guest's memory 0, found after instantiation (or on first use if
    /// the start section calls in before that).
    pub memory: Option<Memory>,
    /// The single descriptor table shared by sockets, stdio, files and poll.
    pub fds: FdTable,
    /// `poll_oneoff` (level-triggered) and `epoll_oneoff` (edge-triggered).
    pub pollers: [Poller; 2],
    /// argv as the guest sees it (argv[0] is the module's name, §7).
    pub args: WasiStrings,
    /// Exactly the `--env` values, in order (§7).
    pub env: WasiStrings,
    /// `--allow-connect` / `--allow-listen`.
    pub sandbox: SandboxPolicy,
    /// `--max-memory`, enforced by wasmtime through `Store::limiter`.
    pub limits: StoreLimits,
    /// The guest's listening sockets, which a shutdown signal closes.
    pub listeners: Listeners,
}

impl HostState {
    /// State for a fresh instance; memory is filled in after instantiation.
    pub fn new(args: WasiStrings, env: WasiStrings, fds: FdTable, sandbox: SandboxPolicy) -> Self {
        HostState {
            memory: None,
            fds,
            pollers: [Poller::new(false), Poller::new(true)],
            args,
            env,
            sandbox,
            limits: StoreLimits::default(),
            listeners: Listeners::default(),
        }
    }
}

/// Guest memory and host state for one call. `FAULT` if the module has no
/// memory (§2.1 step 2).
pub fn memory_and_state<'a>(
    caller: &'a mut Caller<'_, HostState>,
) -> Result<(GuestMemory<'a>, &'a mut HostState), Errno> {
    let memory = match caller.data().memory {
        Some(memory) => memory,
        None => {
            let memory = caller.get_export("memory").and_then(Extern::into_memory).ok_or(Errno::FAULT)?;
            caller.data_mut().memory = Some(memory);
            memory
        }
    };
    let (bytes, state) = memory.data_and_store_mut(caller);
    Ok((GuestMemory::new(bytes), state))
}
