//! The one table of host functions: every function edge-host registers in
//! `wasi_snapshot_preview1`, each named once with its typed wasm signature
//! and the call that implements it.
//!
//! Parameters are typed as the implementation takes them; wasmtime maps
//! `i32`/`u32` to wasm `i32` and `i64`/`u64` to wasm `i64`, so no wrapper
//! converts numbers. Every implementation returns `Result<(), E>` with `E`
//! an [`Errno`](crate::errno::Errno) or a [`CallError`]; the table turns it
//! into the guest's return value in one place ([`into_wasm`]). `proc_exit`
//! alone returns nothing and always unwinds the guest.
//!
//! WasmEdge registers each socket call as V1 under its plain name and as V2
//! under `<name>_v2` (§1); [`crate::imports`] binds an import to whichever
//! has its type.

use wasmtime::{Caller, Engine, Func, FuncType, Store};

use crate::abi::rights;
use crate::errno::{into_wasm, CallError};
use crate::fd_table::FdTable;
use crate::host_state::HostState;
use crate::poll;
use crate::preview1::fd_io::Transfer;
use crate::preview1::path::TwoDirOp;
use crate::preview1::{args_env, fd_dir, fd_file, fd_io, fd_meta, path, path_open, process};
use crate::socket::names::End;
use crate::socket::{addrinfo, lifecycle, names, options, transfer};

/// One registered host function.
pub struct HostFunction {
    /// The name it is registered under in `wasi_snapshot_preview1`.
    pub name: &'static str,
    make: fn(&mut Store<HostState>) -> Func,
}

impl HostFunction {
    /// The function, ready to be an import of a module in `store`.
    pub fn instantiate(&self, store: &mut Store<HostState>) -> Func {
        (self.make)(store)
    }

    /// Its wasm type in `engine`, as the table declares it (for reports and
    /// tests; binding uses [`HostFunction::instantiate`]).
    pub fn ty(&self, engine: &Engine) -> FuncType {
        let state = HostState::new(
            Default::default(),
            Default::default(),
            FdTable::new(Vec::new()),
            Default::default(),
        );
        let mut store = Store::new(engine, state);
        self.instantiate(&mut store).ty(&store)
    }
}

/// The registered function called `name`, if any.
pub fn find(name: &str) -> Option<&'static HostFunction> {
    HOST_FUNCTIONS.iter().find(|f| f.name == name)
}

/// One table entry: `name(param: type, ...) => call`, where `call` may use
/// `$caller` (`&mut Caller<HostState>`) and the parameters; `-> !` marks a
/// call that returns the error unwinding the guest instead of an errno.
macro_rules! host_function {
    ($caller:ident, $name:ident ($($param:ident: $ty:ty),*) => $call:expr) => {
        HostFunction {
            name: stringify!($name),
            make: |store| {
                Func::wrap(store, |mut caller: Caller<'_, HostState>, $($param: $ty),*| {
                    let $caller = &mut caller;
                    into_wasm($call.map_err(CallError::from))
                })
            },
        }
    };
    ($caller:ident, $name:ident ($($param:ident: $ty:ty),*) -> ! => $call:expr) => {
        HostFunction {
            name: stringify!($name),
            make: |store| {
                let exit = |mut caller: Caller<'_, HostState>, $($param: $ty),*| -> wasmtime::Result<()> {
                    let $caller = &mut caller;
                    Err($call)
                };
                Func::wrap(store, exit)
            },
        }
    };
}

/// The table itself: the identifier before the first `;` names the caller
/// in every call; see [`host_function!`] for the form of an entry.
macro_rules! host_functions {
    ($caller:ident; $($name:ident $params:tt $(-> $never:tt)? => $call:expr;)*) => {
        &[$(host_function!($caller, $name $params $(-> $never)? => $call)),*]
    };
}

/// Every function edge-host provides.
pub static HOST_FUNCTIONS: &[HostFunction] = host_functions! { c;
    args_get(argv: u32, buf: u32) => args_env::get(c, "args_get", argv, buf, false);
    args_sizes_get(argc: u32, size: u32) => args_env::sizes(c, "args_sizes_get", argc, size, false);
    environ_get(environ: u32, buf: u32) => args_env::get(c, "environ_get", environ, buf, true);
    environ_sizes_get(count: u32, size: u32) => args_env::sizes(c, "environ_sizes_get", count, size, true);
    clock_res_get(id: u32, out: u32) => process::clock_query(c, "clock_res_get", id, out, true);
    // The precision is ignored, as in WasmEdge.
    clock_time_get(id: u32, _precision: u64, out: u32) =>
        process::clock_query(c, "clock_time_get", id, out, false);
    random_get(buf: u32, len: u32) => process::fill_random(c, buf, len);
    sched_yield() => process::sched_yield(c);
    proc_exit(code: u32) -> ! => process::proc_exit(c, code);
    proc_raise(signal: u32) => process::proc_raise(c, signal);

    fd_read(fd: i32, iovs: u32, count: u32, nread: u32) =>
        fd_io::transfer(c, fd, iovs, count, nread, Transfer::Read);
    fd_write(fd: i32, iovs: u32, count: u32, nwritten: u32) =>
        fd_io::transfer(c, fd, iovs, count, nwritten, Transfer::Write);
    fd_pread(fd: i32, iovs: u32, count: u32, offset: u64, nread: u32) =>
        fd_io::transfer(c, fd, iovs, count, nread, Transfer::PositionedRead(offset));
    fd_pwrite(fd: i32, iovs: u32, count: u32, offset: u64, nwritten: u32) =>
        fd_io::transfer(c, fd, iovs, count, nwritten, Transfer::PositionedWrite(offset));
    fd_seek(fd: i32, offset: i64, whence: u32, out: u32) => fd_io::fd_seek(c, fd, offset, whence, out);
    fd_tell(fd: i32, out: u32) => fd_io::fd_tell(c, fd, out);
    fd_close(fd: i32) => fd_meta::fd_close(c.data_mut(), fd);
    fd_fdstat_get(fd: i32, buf: u32) => fd_meta::fdstat_get(c, fd, buf);
    fd_fdstat_set_flags(fd: i32, flags: u32) => fd_meta::set_flags(c.data_mut(), fd, flags);
    fd_fdstat_set_rights(fd: i32, base: u64, inheriting: u64) =>
        fd_meta::set_rights(c.data_mut(), fd, base, inheriting);
    fd_prestat_get(fd: i32, buf: u32) => fd_meta::prestat_get(c, fd, buf);
    fd_prestat_dir_name(fd: i32, buf: u32, len: u32) => fd_meta::prestat_dir_name(c, fd, buf, len);
    fd_renumber(from: i32, to: i32) => fd_meta::renumber(c.data_mut(), from, to);
    fd_filestat_get(fd: i32, buf: u32) => fd_file::filestat_get(c, fd, buf);
    fd_filestat_set_size(fd: i32, size: u64) => fd_file::fd_filestat_set_size(c.data_mut(), fd, size);
    fd_filestat_set_times(fd: i32, atim: u64, mtim: u64, flags: u32) =>
        fd_file::fd_filestat_set_times(c.data_mut(), fd, atim, mtim, flags);
    fd_sync(fd: i32) => fd_file::fd_sync(c.data_mut(), fd);
    fd_datasync(fd: i32) => fd_file::fd_datasync(c.data_mut(), fd);
    fd_advise(fd: i32, offset: u64, len: u64, advice: u32) =>
        fd_file::fd_advise(c.data_mut(), fd, offset, len, advice);
    fd_allocate(fd: i32, offset: i64, len: i64) => fd_file::fd_allocate(c.data_mut(), fd, offset, len);
    fd_readdir(fd: i32, buf: u32, len: u32, cookie: u64, used: u32) =>
        fd_dir::readdir(c, fd, buf, len, cookie, used);

    path_open(dirfd: i32, dirflags: u32, path: u32, path_len: u32, oflags: u32, base: u64, inheriting: u64,
              fdflags: u32, out: u32) =>
        path_open::open(c, dirfd, [dirflags, path, path_len, oflags, fdflags, out], base, inheriting);
    path_create_directory(fd: i32, path: u32, len: u32) =>
        path::with_dir_path(c, fd, path, len, rights::PATH_CREATE_DIRECTORY, |d, p| d.dir.create_dir(p));
    path_remove_directory(fd: i32, path: u32, len: u32) =>
        path::with_dir_path(c, fd, path, len, rights::PATH_REMOVE_DIRECTORY, |d, p| d.dir.remove_dir(p));
    path_unlink_file(fd: i32, path: u32, len: u32) =>
        path::with_dir_path(c, fd, path, len, rights::PATH_UNLINK_FILE, |d, p| d.dir.remove_file(p));
    path_filestat_get(fd: i32, flags: u32, path: u32, len: u32, buf: u32) =>
        path::filestat_get(c, fd, [flags, path, len, buf]);
    path_filestat_set_times(fd: i32, flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst_flags: u32) =>
        path::set_times(c, fd, [flags, path, len, fst_flags], atim, mtim);
    path_readlink(fd: i32, path: u32, len: u32, buf: u32, buf_len: u32, used: u32) =>
        path::readlink(c, fd, [path, len, buf, buf_len, used]);
    path_link(old_fd: i32, old_flags: u32, old_path: u32, old_len: u32, new_fd: i32, new_path: u32,
              new_len: u32) =>
        path::link(c, old_flags, (old_fd, old_path, old_len), (new_fd, new_path, new_len));
    path_rename(old_fd: i32, old_path: u32, old_len: u32, new_fd: i32, new_path: u32, new_len: u32) =>
        path::two_dir_op(c, TwoDirOp::Rename, (old_fd, old_path, old_len), (new_fd, new_path, new_len));
    path_symlink(old_path: u32, old_len: u32, fd: i32, new_path: u32, new_len: u32) =>
        path::symlink(c, (old_path, old_len), fd, (new_path, new_len));

    poll_oneoff(input: u32, out: u32, count: u32, nevents: u32) =>
        poll::poll_call(c, [input, out, count, nevents], 0);
    // Same ABI, edge-triggered registrations.
    epoll_oneoff(input: u32, out: u32, count: u32, nevents: u32) =>
        poll::poll_call(c, [input, out, count, nevents], 1);

    // The socket calls (§4, §5). V1 and V2 are identical unless both are listed
    // with different calls.
    sock_open(af: u32, ty: u32, ro_fd: u32) => lifecycle::open(c, af, ty, ro_fd);
    sock_open_v2(af: u32, ty: u32, ro_fd: u32) => lifecycle::open(c, af, ty, ro_fd);
    // V1 takes raw 4/16-byte addresses only, V2 also the 128-byte storage form.
    sock_bind(fd: i32, addr: u32, port: u32) => lifecycle::bind(c, fd, addr, port, false);
    sock_bind_v2(fd: i32, addr: u32, port: u32) => lifecycle::bind(c, fd, addr, port, true);
    sock_connect(fd: i32, addr: u32, port: u32) => lifecycle::connect(c, fd, addr, port, false);
    sock_connect_v2(fd: i32, addr: u32, port: u32) => lifecycle::connect(c, fd, addr, port, true);
    sock_listen(fd: i32, backlog: i32) => lifecycle::listen(c.data_mut(), fd, backlog);
    sock_listen_v2(fd: i32, backlog: i32) => lifecycle::listen(c.data_mut(), fd, backlog);
    // WasmEdge's 2-parameter V1 and the standard preview1 shape with fdflags.
    sock_accept(fd: i32, ro_fd: u32) => lifecycle::accept(c, fd, None, ro_fd);
    sock_accept_v2(fd: i32, flags: u32, ro_fd: u32) => lifecycle::accept(c, fd, Some(flags), ro_fd);
    sock_shutdown(fd: i32, how: u32) => lifecycle::shutdown(c.data_mut(), fd, how);
    sock_recv(fd: i32, data: u32, data_len: u32, flags: u32, ro_datalen: u32, ro_flags: u32) =>
        transfer::recv(c, fd, [data, data_len, flags, ro_datalen, ro_flags]);
    sock_recv_v2(fd: i32, data: u32, data_len: u32, flags: u32, ro_datalen: u32, ro_flags: u32) =>
        transfer::recv(c, fd, [data, data_len, flags, ro_datalen, ro_flags]);
    // V1 has 7 parameters, V2 (what `wasmedge_wasi_socket` 0.5 imports) 8.
    sock_recv_from(fd: i32, data: u32, data_len: u32, addr: u32, flags: u32, ro_datalen: u32,
                   ro_flags: u32) =>
        transfer::recv_from_v1(c, fd, [data, data_len, addr, flags, ro_datalen, ro_flags]);
    sock_recv_from_v2(fd: i32, data: u32, data_len: u32, addr: u32, flags: u32, ro_port: u32, ro_datalen: u32,
                      ro_flags: u32) =>
        transfer::recv_from_v2(c, fd, [data, data_len, addr, flags, ro_port, ro_datalen, ro_flags]);
    sock_send(fd: i32, data: u32, data_len: u32, flags: u32, so_datalen: u32) =>
        transfer::send(c, fd, [data, data_len, flags, so_datalen]);
    sock_send_v2(fd: i32, data: u32, data_len: u32, flags: u32, so_datalen: u32) =>
        transfer::send(c, fd, [data, data_len, flags, so_datalen]);
    sock_send_to(fd: i32, data: u32, data_len: u32, addr: u32, port: u32, flags: u32, so_datalen: u32) =>
        transfer::send_to(c, fd, [data, data_len, addr, port, flags, so_datalen], false);
    sock_send_to_v2(fd: i32, data: u32, data_len: u32, addr: u32, port: u32, flags: u32, so_datalen: u32) =>
        transfer::send_to(c, fd, [data, data_len, addr, port, flags, so_datalen], true);
    sock_getsockopt(fd: i32, level: u32, name: u32, flag: u32, flag_size: u32) =>
        options::getsockopt(c, fd, [level, name, flag, flag_size]);
    sock_setsockopt(fd: i32, level: u32, name: u32, flag: u32, flag_size: u32) =>
        options::setsockopt(c, fd, [level, name, flag, flag_size]);
    // V1 writes the address type separately, V2 into the 128-byte storage.
    sock_getlocaladdr(fd: i32, addr: u32, addr_type: u32, port: u32) =>
        names::name_v1(c, fd, [addr, addr_type, port], End::Local);
    sock_getlocaladdr_v2(fd: i32, addr: u32, port: u32) => names::name_v2(c, fd, addr, port, End::Local);
    sock_getpeeraddr(fd: i32, addr: u32, addr_type: u32, port: u32) =>
        names::name_v1(c, fd, [addr, addr_type, port], End::Peer);
    sock_getpeeraddr_v2(fd: i32, addr: u32, port: u32) => names::name_v2(c, fd, addr, port, End::Peer);
    sock_getaddrinfo(node: u32, node_len: u32, service: u32, service_len: u32, hints: u32, res: u32,
                     max_res_len: u32, res_len: u32) =>
        addrinfo::getaddrinfo(c, [node, node_len, service, service_len, hints, res, max_res_len, res_len]);
};
