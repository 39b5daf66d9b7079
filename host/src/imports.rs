//! Binding a module's imports to host functions, by name *and type* (§1).
//!
//! WasmEdge registers each socket call as V1 under its plain name and as V2
//! under `<name>_v2`; an import `X` whose type differs from V1's binds to
//! `X_v2` if that type matches. A module may import one name twice with
//! different types (two socket crate versions), so imports are resolved one
//! by one into a positional list for `Instance::new` instead of a `Linker`.
//! Anything unresolvable is reported before the module starts, all at once.

use std::fmt;

use wasmtime::{Extern, ExternType, Func, FuncType, Module, Store};

use crate::host_state::HostState;
use crate::poll;
use crate::preview1::{args_env, fd_dir, fd_file, fd_io, fd_meta, path, path_open, process};
use crate::socket::{addrinfo, lifecycle, names, options, transfer};

/// The import module every host function lives in.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// The 11 names WasmEdge also registers with a `_v2` suffix.
pub const V2_CAPABLE: [&str; 11] = [
    "sock_open",
    "sock_bind",
    "sock_connect",
    "sock_listen",
    "sock_accept",
    "sock_recv",
    "sock_recv_from",
    "sock_send",
    "sock_send_to",
    "sock_getlocaladdr",
    "sock_getpeeraddr",
];

type Constructor = fn(&mut Store<HostState>) -> Func;

/// Every function edge-host provides, by registered name.
const HOST_FUNCTIONS: &[(&str, Constructor)] = &[
    ("args_get", |s| Func::wrap(s, args_env::args_get)),
    ("args_sizes_get", |s| Func::wrap(s, args_env::args_sizes_get)),
    ("environ_get", |s| Func::wrap(s, args_env::environ_get)),
    ("environ_sizes_get", |s| Func::wrap(s, args_env::environ_sizes_get)),
    ("clock_res_get", |s| Func::wrap(s, process::clock_res_get)),
    ("clock_time_get", |s| Func::wrap(s, process::clock_time_get)),
    ("random_get", |s| Func::wrap(s, process::random_get)),
    ("sched_yield", |s| Func::wrap(s, process::sched_yield)),
    ("proc_exit", |s| Func::wrap(s, process::proc_exit)),
    ("proc_raise", |s| Func::wrap(s, process::proc_raise)),
    ("fd_read", |s| Func::wrap(s, fd_io::fd_read)),
    ("fd_write", |s| Func::wrap(s, fd_io::fd_write)),
    ("fd_pread", |s| Func::wrap(s, fd_io::fd_pread)),
    ("fd_pwrite", |s| Func::wrap(s, fd_io::fd_pwrite)),
    ("fd_seek", |s| Func::wrap(s, fd_io::fd_seek)),
    ("fd_tell", |s| Func::wrap(s, fd_io::fd_tell)),
    ("fd_close", |s| Func::wrap(s, fd_meta::fd_close)),
    ("fd_fdstat_get", |s| Func::wrap(s, fd_meta::fd_fdstat_get)),
    ("fd_fdstat_set_flags", |s| Func::wrap(s, fd_meta::fd_fdstat_set_flags)),
    ("fd_fdstat_set_rights", |s| Func::wrap(s, fd_meta::fd_fdstat_set_rights)),
    ("fd_prestat_get", |s| Func::wrap(s, fd_meta::fd_prestat_get)),
    ("fd_prestat_dir_name", |s| Func::wrap(s, fd_meta::fd_prestat_dir_name)),
    ("fd_renumber", |s| Func::wrap(s, fd_meta::fd_renumber)),
    ("fd_filestat_get", |s| Func::wrap(s, fd_file::fd_filestat_get)),
    ("fd_filestat_set_size", |s| Func::wrap(s, fd_file::fd_filestat_set_size)),
    ("fd_filestat_set_times", |s| Func::wrap(s, fd_file::fd_filestat_set_times)),
    ("fd_sync", |s| Func::wrap(s, fd_file::fd_sync)),
    ("fd_datasync", |s| Func::wrap(s, fd_file::fd_datasync)),
    ("fd_advise", |s| Func::wrap(s, fd_file::fd_advise)),
    ("fd_allocate", |s| Func::wrap(s, fd_file::fd_allocate)),
    ("fd_readdir", |s| Func::wrap(s, fd_dir::fd_readdir)),
    ("path_open", |s| Func::wrap(s, path_open::path_open)),
    ("path_create_directory", |s| Func::wrap(s, path::path_create_directory)),
    ("path_remove_directory", |s| Func::wrap(s, path::path_remove_directory)),
    ("path_unlink_file", |s| Func::wrap(s, path::path_unlink_file)),
    ("path_filestat_get", |s| Func::wrap(s, path::path_filestat_get)),
    ("path_filestat_set_times", |s| Func::wrap(s, path::path_filestat_set_times)),
    ("path_readlink", |s| Func::wrap(s, path::path_readlink)),
    ("path_link", |s| Func::wrap(s, path::path_link)),
    ("path_rename", |s| Func::wrap(s, path::path_rename)),
    ("path_symlink", |s| Func::wrap(s, path::path_symlink)),
    ("poll_oneoff", |s| Func::wrap(s, poll::poll_oneoff)),
    ("epoll_oneoff", |s| Func::wrap(s, poll::epoll_oneoff)),
    ("sock_open", |s| Func::wrap(s, lifecycle::sock_open)),
    ("sock_open_v2", |s| Func::wrap(s, lifecycle::sock_open)),
    ("sock_bind", |s| Func::wrap(s, lifecycle::sock_bind_v1)),
    ("sock_bind_v2", |s| Func::wrap(s, lifecycle::sock_bind_v2)),
    ("sock_connect", |s| Func::wrap(s, lifecycle::sock_connect_v1)),
    ("sock_connect_v2", |s| Func::wrap(s, lifecycle::sock_connect_v2)),
    ("sock_listen", |s| Func::wrap(s, lifecycle::sock_listen)),
    ("sock_listen_v2", |s| Func::wrap(s, lifecycle::sock_listen)),
    ("sock_accept", |s| Func::wrap(s, lifecycle::sock_accept_v1)),
    ("sock_accept_v2", |s| Func::wrap(s, lifecycle::sock_accept_v2)),
    ("sock_shutdown", |s| Func::wrap(s, lifecycle::sock_shutdown)),
    ("sock_recv", |s| Func::wrap(s, transfer::sock_recv)),
    ("sock_recv_v2", |s| Func::wrap(s, transfer::sock_recv)),
    ("sock_recv_from", |s| Func::wrap(s, transfer::sock_recv_from_v1)),
    ("sock_recv_from_v2", |s| Func::wrap(s, transfer::sock_recv_from_v2)),
    ("sock_send", |s| Func::wrap(s, transfer::sock_send)),
    ("sock_send_v2", |s| Func::wrap(s, transfer::sock_send)),
    ("sock_send_to", |s| Func::wrap(s, transfer::sock_send_to_v1)),
    ("sock_send_to_v2", |s| Func::wrap(s, transfer::sock_send_to_v2)),
    ("sock_getsockopt", |s| Func::wrap(s, options::sock_getsockopt)),
    ("sock_setsockopt", |s| Func::wrap(s, options::sock_setsockopt)),
    ("sock_getlocaladdr", |s| Func::wrap(s, names::sock_getlocaladdr_v1)),
    ("sock_getlocaladdr_v2", |s| Func::wrap(s, names::sock_getlocaladdr_v2)),
    ("sock_getpeeraddr", |s| Func::wrap(s, names::sock_getpeeraddr_v1)),
    ("sock_getpeeraddr_v2", |s| Func::wrap(s, names::sock_getpeeraddr_v2)),
    ("sock_getaddrinfo", |s| Func::wrap(s, addrinfo::sock_getaddrinfo)),
];

/// Whether edge-host registers a function under `name`.
pub fn provides(name: &str) -> bool {
    HOST_FUNCTIONS.iter().any(|(n, _)| *n == name)
}

fn construct(store: &mut Store<HostState>, name: &str) -> Option<Func> {
    HOST_FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, make)| make(store))
}

/// Exact signature equality (WasmEdge's `matchType`).
fn same_signature(a: &FuncType, b: &FuncType) -> bool {
    a.params().len() == b.params().len()
        && a.results().len() == b.results().len()
        && a.params().zip(b.params()).all(|(x, y)| wasmtime::ValType::eq(&x, &y))
        && a.results().zip(b.results()).all(|(x, y)| wasmtime::ValType::eq(&x, &y))
}

/// Formats a function type as WAT, e.g. `(func (param i32 i32) (result i32))`.
pub fn describe(ty: &FuncType) -> String {
    let mut out = String::from("(func");
    if ty.params().len() > 0 {
        out.push_str(" (param");
        for p in ty.params() {
            out.push_str(&format!(" {p}"));
        }
        out.push(')');
    }
    if ty.results().len() > 0 {
        out.push_str(" (result");
        for r in ty.results() {
            out.push_str(&format!(" {r}"));
        }
        out.push(')');
    }
    out.push(')');
    out
}

/// One import edge-host cannot satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedImport {
    pub module: String,
    pub name: String,
    pub ty: String,
    /// Why: not provided at all, or provided with another type.
    pub reason: String,
}

/// All imports that cannot be satisfied; the module does not start.
#[derive(Debug, thiserror::Error)]
pub struct ImportError {
    pub unresolved: Vec<UnresolvedImport>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the module needs {} import(s) edge-host does not provide:", self.unresolved.len())?;
        for u in &self.unresolved {
            write!(f, "\n  {}::{} {} ({})", u.module, u.name, u.ty, u.reason)?;
        }
        Ok(())
    }
}

/// Resolves every import of `module`, in order, to a host function.
pub fn resolve(store: &mut Store<HostState>, module: &Module) -> Result<Vec<Extern>, ImportError> {
    let mut resolved = Vec::new();
    let mut unresolved = Vec::new();
    for import in module.imports() {
        let (module_name, name) = (import.module(), import.name());
        let wanted = match import.ty() {
            ExternType::Func(ty) => ty,
            other => {
                unresolved.push(UnresolvedImport {
                    module: module_name.to_string(),
                    name: name.to_string(),
                    ty: format!("{other:?}"),
                    reason: "only functions are provided".to_string(),
                });
                continue;
            }
        };
        match resolve_func(store, module_name, name, &wanted) {
            Ok(func) => resolved.push(Extern::Func(func)),
            Err(reason) => unresolved.push(UnresolvedImport {
                module: module_name.to_string(),
                name: name.to_string(),
                ty: describe(&wanted),
                reason,
            }),
        }
    }
    if unresolved.is_empty() {
        Ok(resolved)
    } else {
        Err(ImportError { unresolved })
    }
}

fn resolve_func(
    store: &mut Store<HostState>,
    module: &str,
    name: &str,
    wanted: &FuncType,
) -> Result<Func, String> {
    if module != WASI_MODULE {
        return Err(format!("unknown module; edge-host provides only {WASI_MODULE}"));
    }
    let Some(v1) = construct(store, name) else {
        return Err("not provided".to_string());
    };
    let v1_ty = v1.ty(&*store);
    if same_signature(&v1_ty, wanted) {
        return Ok(v1);
    }
    if V2_CAPABLE.contains(&name) {
        if let Some(v2) = construct(store, &format!("{name}_v2")) {
            if same_signature(&v2.ty(&*store), wanted) {
                return Ok(v2);
            }
        }
    }
    Err(format!("provided with type {}", describe(&v1_ty)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_v2_capable_name_has_both_forms() {
        for name in V2_CAPABLE {
            assert!(provides(name), "{name}");
            assert!(provides(&format!("{name}_v2")), "{name}_v2");
        }
        for single in ["sock_shutdown", "sock_getsockopt", "sock_setsockopt", "sock_getaddrinfo"] {
            assert!(provides(single));
            assert!(!provides(&format!("{single}_v2")));
        }
    }

    /// Every function's signature, as wasi-libc / the `wasi` crate and
    /// WasmEdge's socket extension declare them (params; results are `i32`
    /// except for `proc_exit`).
    const SIGNATURES: &[(&str, &str)] = &[
        ("args_get", "ii"),
        ("args_sizes_get", "ii"),
        ("environ_get", "ii"),
        ("environ_sizes_get", "ii"),
        ("clock_res_get", "ii"),
        ("clock_time_get", "iIi"),
        ("fd_advise", "iIIi"),
        ("fd_allocate", "iII"),
        ("fd_close", "i"),
        ("fd_datasync", "i"),
        ("fd_fdstat_get", "ii"),
        ("fd_fdstat_set_flags", "ii"),
        ("fd_fdstat_set_rights", "iII"),
        ("fd_filestat_get", "ii"),
        ("fd_filestat_set_size", "iI"),
        ("fd_filestat_set_times", "iIIi"),
        ("fd_pread", "iiiIi"),
        ("fd_prestat_get", "ii"),
        ("fd_prestat_dir_name", "iii"),
        ("fd_pwrite", "iiiIi"),
        ("fd_read", "iiii"),
        ("fd_readdir", "iiiIi"),
        ("fd_renumber", "ii"),
        ("fd_seek", "iIii"),
        ("fd_sync", "i"),
        ("fd_tell", "ii"),
        ("fd_write", "iiii"),
        ("path_create_directory", "iii"),
        ("path_filestat_get", "iiiii"),
        ("path_filestat_set_times", "iiiiIIi"),
        ("path_link", "iiiiiii"),
        ("path_open", "iiiiiIIii"),
        ("path_readlink", "iiiiii"),
        ("path_remove_directory", "iii"),
        ("path_rename", "iiiiii"),
        ("path_symlink", "iiiii"),
        ("path_unlink_file", "iii"),
        ("poll_oneoff", "iiii"),
        ("epoll_oneoff", "iiii"),
        ("proc_raise", "i"),
        ("sched_yield", ""),
        ("random_get", "ii"),
        ("sock_open", "iii"),
        ("sock_open_v2", "iii"),
        ("sock_bind", "iii"),
        ("sock_bind_v2", "iii"),
        ("sock_connect", "iii"),
        ("sock_connect_v2", "iii"),
        ("sock_listen", "ii"),
        ("sock_listen_v2", "ii"),
        ("sock_accept", "ii"),
        ("sock_accept_v2", "iii"),
        ("sock_recv", "iiiiii"),
        ("sock_recv_v2", "iiiiii"),
        ("sock_recv_from", "iiiiiii"),
        ("sock_recv_from_v2", "iiiiiiii"),
        ("sock_send", "iiiii"),
        ("sock_send_v2", "iiiii"),
        ("sock_send_to", "iiiiiii"),
        ("sock_send_to_v2", "iiiiiii"),
        ("sock_shutdown", "ii"),
        ("sock_getsockopt", "iiiii"),
        ("sock_setsockopt", "iiiii"),
        ("sock_getlocaladdr", "iiii"),
        ("sock_getlocaladdr_v2", "iii"),
        ("sock_getpeeraddr", "iiii"),
        ("sock_getpeeraddr_v2", "iii"),
        ("sock_getaddrinfo", "iiiiiiii"),
    ];

    #[test]
    fn every_host_function_has_the_declared_signature() {
        let engine = wasmtime::Engine::default();
        let mut store = Store::new(
            &engine,
            HostState::new(
                Default::default(),
                Default::default(),
                crate::fd_table::FdTable::new(Vec::new()),
                Default::default(),
            ),
        );
        for (name, params) in SIGNATURES {
            let func = construct(&mut store, name).unwrap_or_else(|| panic!("{name} missing"));
            let ty = func.ty(&store);
            let got: String = ty
                .params()
                .map(|p| match p {
                    wasmtime::ValType::I32 => 'i',
                    wasmtime::ValType::I64 => 'I',
                    _ => '?',
                })
                .collect();
            assert_eq!(&got, params, "{name} params");
            assert_eq!(ty.results().len(), 1, "{name} returns an errno");
        }
        let exit = construct(&mut store, "proc_exit").unwrap().ty(&store);
        assert_eq!((exit.params().len(), exit.results().len()), (1, 0));
        assert_eq!(SIGNATURES.len() + 1, HOST_FUNCTIONS.len(), "every function is listed here");
    }

    #[test]
    fn host_function_names_are_unique() {
        for (i, (a, _)) in HOST_FUNCTIONS.iter().enumerate() {
            assert!(!HOST_FUNCTIONS[i + 1..].iter().any(|(b, _)| a == b), "{a}");
        }
    }
}
