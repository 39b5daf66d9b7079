//! WASI errno values, the Linux→WASI translation WasmEdge uses (§2.1 step 6,
//! `fromErrNo` / `fromEAIErrNo` in `linux.h`), and the single place where a
//! host function's outcome becomes the `i32` (or the trap) the guest sees.

use std::io;

/// A WASI errno (`__wasi_errno_t`, §2.4), as returned to the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub u16);

impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const TOOBIG: Errno = Errno(1);
    pub const ACCES: Errno = Errno(2);
    pub const ADDRINUSE: Errno = Errno(3);
    pub const ADDRNOTAVAIL: Errno = Errno(4);
    pub const AFNOSUPPORT: Errno = Errno(5);
    pub const AGAIN: Errno = Errno(6);
    pub const ALREADY: Errno = Errno(7);
    pub const BADF: Errno = Errno(8);
    pub const BADMSG: Errno = Errno(9);
    pub const BUSY: Errno = Errno(10);
    pub const CANCELED: Errno = Errno(11);
    pub const CHILD: Errno = Errno(12);
    pub const CONNABORTED: Errno = Errno(13);
    pub const CONNREFUSED: Errno = Errno(14);
    pub const CONNRESET: Errno = Errno(15);
    pub const DEADLK: Errno = Errno(16);
    pub const DESTADDRREQ: Errno = Errno(17);
    pub const DOM: Errno = Errno(18);
    pub const DQUOT: Errno = Errno(19);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const HOSTUNREACH: Errno = Errno(23);
    pub const IDRM: Errno = Errno(24);
    pub const ILSEQ: Errno = Errno(25);
    pub const INPROGRESS: Errno = Errno(26);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISCONN: Errno = Errno(30);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const MSGSIZE: Errno = Errno(35);
    pub const MULTIHOP: Errno = Errno(36);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NETDOWN: Errno = Errno(38);
    pub const NETRESET: Errno = Errno(39);
    pub const NETUNREACH: Errno = Errno(40);
    pub const NFILE: Errno = Errno(41);
    pub const NOBUFS: Errno = Errno(42);
    pub const NODEV: Errno = Errno(43);
    pub const NOENT: Errno = Errno(44);
    pub const NOEXEC: Errno = Errno(45);
    pub const NOLCK: Errno = Errno(46);
    pub const NOLINK: Errno = Errno(47);
    pub const NOMEM: Errno = Errno(48);
    pub const NOMSG: Errno = Errno(49);
    pub const NOPROTOOPT: Errno = Errno(50);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTCONN: Errno = Errno(53);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTRECOVERABLE: Errno = Errno(56);
    pub const NOTSOCK: Errno = Errno(57);
    pub const NOTSUP: Errno = Errno(58);
    pub const NOTTY: Errno = Errno(59);
    pub const NXIO: Errno = Errno(60);
    pub const OVERFLOW: Errno = Errno(61);
    pub const OWNERDEAD: Errno = Errno(62);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const PROTO: Errno = Errno(65);
    pub const PROTONOSUPPORT: Errno = Errno(66);
    pub const PROTOTYPE: Errno = Errno(67);
    pub const RANGE: Errno = Errno(68);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const SRCH: Errno = Errno(71);
    pub const STALE: Errno = Errno(72);
    pub const TIMEDOUT: Errno = Errno(73);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);
    pub const AIADDRFAMILY: Errno = Errno(77);
    pub const AIAGAIN: Errno = Errno(78);
    pub const AIBADFLAG: Errno = Errno(79);
    pub const AIFAIL: Errno = Errno(80);
    pub const AIFAMILY: Errno = Errno(81);
    pub const AIMEMORY: Errno = Errno(82);
    pub const AINODATA: Errno = Errno(83);
    pub const AINONAME: Errno = Errno(84);
    pub const AISERVICE: Errno = Errno(85);
    pub const AISOCKTYPE: Errno = Errno(86);
    pub const AISYSTEM: Errno = Errno(87);

    /// Maps a Linux `errno` by name (`fromErrNo`). An errno WasmEdge does not
    /// list is undefined behaviour there; we return `IO` (§2.1).
    pub fn from_os(raw: i32) -> Errno {
        use libc::*;
        match raw {
            0 => Errno::SUCCESS,
            E2BIG => Errno::TOOBIG,
            EACCES => Errno::ACCES,
            EADDRINUSE => Errno::ADDRINUSE,
            EADDRNOTAVAIL => Errno::ADDRNOTAVAIL,
            EAFNOSUPPORT => Errno::AFNOSUPPORT,
            EAGAIN => Errno::AGAIN,
            EALREADY => Errno::ALREADY,
            EBADF => Errno::BADF,
            EBADMSG => Errno::BADMSG,
            EBUSY => Errno::BUSY,
            ECANCELED => Errno::CANCELED,
            ECHILD => Errno::CHILD,
            ECONNABORTED => Errno::CONNABORTED,
            ECONNREFUSED => Errno::CONNREFUSED,
            ECONNRESET => Errno::CONNRESET,
            EDEADLK => Errno::DEADLK,
            EDESTADDRREQ => Errno::DESTADDRREQ,
            EDOM => Errno::DOM,
            EDQUOT => Errno::DQUOT,
            EEXIST => Errno::EXIST,
            EFAULT => Errno::FAULT,
            EFBIG => Errno::FBIG,
            EHOSTUNREACH => Errno::HOSTUNREACH,
            EIDRM => Errno::IDRM,
            EILSEQ => Errno::ILSEQ,
            EINPROGRESS => Errno::INPROGRESS,
            EINTR => Errno::INTR,
            EINVAL => Errno::INVAL,
            EIO => Errno::IO,
            EISCONN => Errno::ISCONN,
            EISDIR => Errno::ISDIR,
            ELOOP => Errno::LOOP,
            EMFILE => Errno::MFILE,
            EMLINK => Errno::MLINK,
            EMSGSIZE => Errno::MSGSIZE,
            EMULTIHOP => Errno::MULTIHOP,
            ENAMETOOLONG => Errno::NAMETOOLONG,
            ENETDOWN => Errno::NETDOWN,
            ENETRESET => Errno::NETRESET,
            ENETUNREACH => Errno::NETUNREACH,
            ENFILE => Errno::NFILE,
            ENOBUFS => Errno::NOBUFS,
            ENODEV => Errno::NODEV,
            ENOENT => Errno::NOENT,
            ENOEXEC => Errno::NOEXEC,
            ENOLCK => Errno::NOLCK,
            ENOLINK => Errno::NOLINK,
            ENOMEM => Errno::NOMEM,
            ENOMSG => Errno::NOMSG,
            ENOPROTOOPT => Errno::NOPROTOOPT,
            ENOSPC => Errno::NOSPC,
            ENOSYS => Errno::NOSYS,
            ENOTCONN => Errno::NOTCONN,
            ENOTDIR => Errno::NOTDIR,
            ENOTEMPTY => Errno::NOTEMPTY,
            ENOTRECOVERABLE => Errno::NOTRECOVERABLE,
            ENOTSOCK => Errno::NOTSOCK,
            ENOTSUP => Errno::NOTSUP,
            ENOTTY => Errno::NOTTY,
            ENXIO => Errno::NXIO,
            EOVERFLOW => Errno::OVERFLOW,
            EOWNERDEAD => Errno::OWNERDEAD,
            EPERM => Errno::PERM,
            EPIPE => Errno::PIPE,
            EPROTO => Errno::PROTO,
            EPROTONOSUPPORT => Errno::PROTONOSUPPORT,
            EPROTOTYPE => Errno::PROTOTYPE,
            ERANGE => Errno::RANGE,
            EROFS => Errno::ROFS,
            ESPIPE => Errno::SPIPE,
            ESRCH => Errno::SRCH,
            ESTALE => Errno::STALE,
            ETIMEDOUT => Errno::TIMEDOUT,
            ETXTBSY => Errno::TXTBSY,
            EXDEV => Errno::XDEV,
            _ => Errno::IO,
        }
    }

    /// Maps a `getaddrinfo` failure (`EAI_*`) to 77..87 (`fromEAIErrNo`).
    /// `EAI_SYSTEM` carries its detail in `errno`, which WasmEdge ignores.
    pub fn from_eai(code: i32) -> Errno {
        // glibc's GNU-only codes, which the libc crate does not export.
        const EAI_NODATA: i32 = -5;
        const EAI_ADDRFAMILY: i32 = -9;
        match code {
            EAI_ADDRFAMILY => Errno::AIADDRFAMILY,
            libc::EAI_AGAIN => Errno::AIAGAIN,
            libc::EAI_BADFLAGS => Errno::AIBADFLAG,
            libc::EAI_FAIL => Errno::AIFAIL,
            libc::EAI_FAMILY => Errno::AIFAMILY,
            libc::EAI_MEMORY => Errno::AIMEMORY,
            EAI_NODATA => Errno::AINODATA,
            libc::EAI_NONAME => Errno::AINONAME,
            libc::EAI_SERVICE => Errno::AISERVICE,
            libc::EAI_SOCKTYPE => Errno::AISOCKTYPE,
            _ => Errno::AISYSTEM,
        }
    }

    /// The errno of the last failed libc call on this thread.
    pub fn last_os_error() -> Errno {
        Errno::from_io(&io::Error::last_os_error())
    }

    /// Maps an `io::Error`. Errors without an OS code come from cap-std's
    /// sandbox checks (a path that would leave the preopened directory) or from
    /// std's argument validation; WasmEdge reports an escape as `PERM`.
    pub fn from_io(err: &io::Error) -> Errno {
        match err.raw_os_error() {
            Some(raw) => Errno::from_os(raw),
            None => match err.kind() {
                io::ErrorKind::PermissionDenied => Errno::PERM,
                io::ErrorKind::NotFound => Errno::NOENT,
                io::ErrorKind::InvalidInput => Errno::INVAL,
                io::ErrorKind::AlreadyExists => Errno::EXIST,
                io::ErrorKind::Unsupported => Errno::NOTSUP,
                io::ErrorKind::OutOfMemory => Errno::NOMEM,
                _ => Errno::IO,
            },
        }
    }
}

impl From<io::Error> for Errno {
    fn from(err: io::Error) -> Errno {
        Errno::from_io(&err)
    }
}

/// Why a host function did not return SUCCESS: either an errno for the guest
/// or a trap that unwinds the guest.
///
/// WasmEdge 0.17.x never traps on a misaligned pointer: every alignment check
/// in its `lib/host/wasi/wasifunc.cpp` returns `ADDRNOTAVAIL` (see
/// [`require_aligned`]). Its main branch traps in the standard functions
/// instead (`UnalignedAtomicAccess`); `Misaligned` is that trap, kept for
/// the day the target moves past 0.17.x.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("WASI errno {}", .0 .0)]
    Errno(Errno),
    #[error("unaligned access: {function} got pointer {ptr:#x}, which is not {align}-byte aligned")]
    Misaligned { function: &'static str, ptr: u32, align: u32 },
}

impl From<Errno> for CallError {
    fn from(errno: Errno) -> CallError {
        CallError::Errno(errno)
    }
}

impl From<io::Error> for CallError {
    fn from(err: io::Error) -> CallError {
        CallError::Errno(Errno::from_io(&err))
    }
}

/// The one conversion from a host function's outcome to what wasm sees: the
/// errno as `i32`, or a trap (applied to every entry of
/// [`crate::host_functions`]; the socket calls never trap, §2.1).
pub fn into_wasm(outcome: Result<(), CallError>) -> wasmtime::Result<i32> {
    match outcome {
        Ok(()) => Ok(0),
        Err(CallError::Errno(errno)) => Ok(i32::from(errno.0)),
        Err(trap @ CallError::Misaligned { .. }) => Err(wasmtime::Error::new(trap)),
    }
}

/// The standard preview1 functions' alignment rule, checked before anything
/// else: `ADDRNOTAVAIL` unless `ptr` is `align`-aligned, as in WasmEdge 0.17.x
/// (0.17.0 `lib/host/wasi/wasifunc.cpp`: each `isMisaligned<T>` check returns
/// `__WASI_ERRNO_ADDRNOTAVAIL`, e.g. `WasiFdFdstatGet::body`). WasmEdge's main
/// branch traps here instead ([`CallError::Misaligned`], what `function` names).
pub fn require_aligned(function: &'static str, ptr: u32, align: u32) -> Result<(), CallError> {
    if ptr.is_multiple_of(align) {
        Ok(())
    } else if MISALIGNED_STANDARD_POINTER_TRAPS {
        Err(CallError::Misaligned { function, ptr, align })
    } else {
        Err(CallError::Errno(Errno::ADDRNOTAVAIL))
    }
}

/// Whether a misaligned pointer in a standard preview1 function traps
/// (WasmEdge's main branch) instead of returning `ADDRNOTAVAIL` (every
/// release up to 0.17.x, the one edge-host reproduces).
const MISALIGNED_STANDARD_POINTER_TRAPS: bool = false;

/// `ADDRNOTAVAIL` unless `ptr` is `align`-aligned; the socket functions'
/// alignment rule (§2.1 step 1).
pub fn sock_aligned(ptr: u32, align: u32) -> Result<(), Errno> {
    if ptr.is_multiple_of(align) {
        Ok(())
    } else {
        Err(Errno::ADDRNOTAVAIL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_errnos_map_by_name() {
        assert_eq!(Errno::from_os(libc::EAGAIN), Errno::AGAIN);
        assert_eq!(Errno::from_os(libc::EWOULDBLOCK), Errno::AGAIN);
        assert_eq!(Errno::from_os(libc::ECONNREFUSED), Errno(14));
        assert_eq!(Errno::from_os(libc::EINPROGRESS), Errno(26));
        assert_eq!(Errno::from_os(libc::ENOTCONN), Errno(53));
        assert_eq!(Errno::from_os(libc::ENOTSOCK), Errno(57));
        assert_eq!(Errno::from_os(libc::EOPNOTSUPP), Errno::NOTSUP);
        assert_eq!(Errno::from_os(libc::EPIPE), Errno(64));
        assert_eq!(Errno::from_os(libc::ECONNRESET), Errno(15));
        assert_eq!(Errno::from_os(libc::ETIMEDOUT), Errno(73));
        assert_eq!(Errno::from_os(libc::EADDRINUSE), Errno(3));
    }

    #[test]
    fn unknown_errno_becomes_io() {
        assert_eq!(Errno::from_os(libc::ECHRNG), Errno::IO);
        assert_eq!(Errno::from_os(9999), Errno::IO);
    }

    #[test]
    fn eai_codes_map_to_77_through_87() {
        assert_eq!(Errno::from_eai(libc::EAI_NONAME), Errno(84));
        assert_eq!(Errno::from_eai(libc::EAI_AGAIN), Errno(78));
        assert_eq!(Errno::from_eai(libc::EAI_SERVICE), Errno(85));
        assert_eq!(Errno::from_eai(libc::EAI_FAMILY), Errno(81));
        assert_eq!(Errno::from_eai(libc::EAI_MEMORY), Errno(82));
        assert_eq!(Errno::from_eai(libc::EAI_SYSTEM), Errno(87));
        assert_eq!(Errno::from_eai(-5), Errno(83));
        assert_eq!(Errno::from_eai(-9), Errno(77));
    }

    #[test]
    fn sandbox_escape_without_os_code_is_perm() {
        let err = io::Error::new(io::ErrorKind::PermissionDenied, "outside");
        assert_eq!(Errno::from_io(&err), Errno::PERM);
    }

    #[test]
    fn outcome_conversion_returns_errno_or_traps() {
        assert_eq!(into_wasm(Ok(())).ok(), Some(0));
        assert_eq!(into_wasm(Err(Errno::BADF.into())).ok(), Some(8));
        let trap = into_wasm(Err(CallError::Misaligned { function: "fd_write", ptr: 3, align: 4 }));
        assert!(trap.is_err());
    }

    #[test]
    fn misaligned_pointers_are_addrnotavail_in_every_function() {
        assert_eq!(sock_aligned(6, 4), Err(Errno::ADDRNOTAVAIL));
        assert!(sock_aligned(8, 4).is_ok());
        let standard = require_aligned("fd_fdstat_get", 12, 8);
        assert!(matches!(standard, Err(CallError::Errno(Errno::ADDRNOTAVAIL))), "{standard:?}");
        assert_eq!(into_wasm(standard).ok(), Some(4));
        assert!(require_aligned("fd_fdstat_get", 16, 8).is_ok());
    }
}
