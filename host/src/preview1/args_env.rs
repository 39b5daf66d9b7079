//! `args_get`, `args_sizes_get`, `environ_get`, `environ_sizes_get`.

use wasmtime::Caller;

use crate::errno::{require_aligned, CallError, Errno};
use crate::host_state::{memory_and_state, HostState};

/// A list of strings as WASI hands them out: each NUL-terminated, packed
/// into one buffer, plus a pointer per string.
#[derive(Clone, Debug, Default)]
pub struct WasiStrings {
    items: Vec<Vec<u8>>,
    buf_size: u32,
}

impl WasiStrings {
    /// The list, in order.
    pub fn new<I: IntoIterator<Item = Vec<u8>>>(items: I) -> Self {
        let items: Vec<Vec<u8>> = items.into_iter().collect();
        let buf_size = items.iter().map(|s| s.len() as u32 + 1).sum();
        WasiStrings { items, buf_size }
    }

    /// Number of strings.
    pub fn count(&self) -> u32 {
        self.items.len() as u32
    }

    /// Total bytes including one NUL per string.
    pub fn buf_size(&self) -> u32 {
        self.buf_size
    }

    /// Writes the pointer array at `ptrs` and the strings at `buf`.
    fn write(&self, mem: &mut crate::guest_memory::GuestMemory, ptrs: u32, buf: u32) -> Result<(), Errno> {
        mem.check(ptrs, self.count().checked_mul(4).ok_or(Errno::FAULT)?)?;
        mem.check(buf, self.buf_size)?;
        let mut at = buf;
        for (i, item) in self.items.iter().enumerate() {
            mem.write_u32(ptrs + 4 * i as u32, at)?;
            mem.write_bytes(at, item)?;
            mem.write_u8(at + item.len() as u32, 0)?;
            at += item.len() as u32 + 1;
        }
        Ok(())
    }
}

/// `args_sizes_get(argc, argv_buf_size)` and `environ_sizes_get(count,
/// buf_size)` (`env`); `name` is the function, for the trap message.
pub(crate) fn sizes(
    caller: &mut Caller<'_, HostState>,
    name: &'static str,
    count_ptr: u32,
    size_ptr: u32,
    env: bool,
) -> Result<(), CallError> {
    require_aligned(name, count_ptr, 4)?;
    require_aligned(name, size_ptr, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check(count_ptr, 4)?;
    mem.check(size_ptr, 4)?;
    let strings = if env { &state.env } else { &state.args };
    mem.write_u32(count_ptr, strings.count())?;
    mem.write_u32(size_ptr, strings.buf_size())?;
    Ok(())
}

/// `args_get(argv, argv_buf)` and `environ_get(environ, buf)` (`env`).
pub(crate) fn get(
    caller: &mut Caller<'_, HostState>,
    name: &'static str,
    ptrs: u32,
    buf: u32,
    env: bool,
) -> Result<(), CallError> {
    require_aligned(name, ptrs, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let strings = if env { &state.env } else { &state.args };
    strings.write(&mut mem, ptrs, buf)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest_memory::GuestMemory;

    #[test]
    fn strings_are_packed_with_nul_terminators() {
        let strings = WasiStrings::new([b"PORT=8080".to_vec(), b"A=".to_vec()]);
        assert_eq!(strings.count(), 2);
        assert_eq!(strings.buf_size(), 10 + 3);
        let mut raw = vec![0xFFu8; 64];
        let mut mem = GuestMemory::new(&mut raw);
        strings.write(&mut mem, 0, 16).unwrap();
        assert_eq!(&raw[0..4], &16u32.to_le_bytes());
        assert_eq!(&raw[4..8], &26u32.to_le_bytes());
        assert_eq!(&raw[16..29], b"PORT=8080\0A=\0");
    }

    #[test]
    fn buffers_out_of_bounds_are_faults() {
        let strings = WasiStrings::new([b"x".to_vec()]);
        let mut raw = vec![0u8; 8];
        let mut mem = GuestMemory::new(&mut raw);
        assert_eq!(strings.write(&mut mem, 0, 7), Err(Errno::FAULT));
        assert_eq!(strings.write(&mut mem, 6, 0), Err(Errno::FAULT));
    }
}
