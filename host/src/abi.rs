//! Numeric constants and struct layouts of `wasi_snapshot_preview1` and of
//! WasmEdge's socket extension (`docs/wasmedge-socket-abi.md` §3, §6, §8).
//!
//! Everything the guest sees as a number lives here, so the decoding code in
//! the other modules reads as names rather than magic values.

/// Rights bits (`__wasi_rights_t`).
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    /// Every defined right; anything outside is `INVAL` (`cast<__wasi_rights_t>`).
    pub const ALL: u64 = (1 << 36) - 1;

    /// Rights of a socket from `sock_open` (§6).
    pub const SOCKET_OPENED: u64 = 0xF_F800_004A;
    /// Rights of a socket from `sock_accept` (§6).
    pub const SOCKET_ACCEPTED: u64 = 0xF_1800_004A;

    /// `kStdInDefaultRights` (WasmEdge `environ.cpp`).
    pub const STDIN: u64 = FD_ADVISE | FD_FILESTAT_GET | FD_READ | POLL_FD_READWRITE;
    /// `kStdOutDefaultRights`, also used for stderr.
    pub const STDOUT: u64 =
        FD_ADVISE | FD_DATASYNC | FD_FILESTAT_GET | FD_SYNC | FD_WRITE | POLL_FD_READWRITE;

    /// `kPreOpenBaseRights`.
    pub const PREOPEN_BASE: u64 = PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | PATH_FILESTAT_SET_SIZE;
    /// `kPreOpenInheritingRights`.
    pub const PREOPEN_INHERITING: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | POLL_FD_READWRITE
        | SOCK_SHUTDOWN;
    /// `kPreOpenBaseRightsReadOnly` (`--dir guest:host:readonly`).
    pub const PREOPEN_BASE_READONLY: u64 =
        PATH_OPEN | FD_READDIR | PATH_READLINK | PATH_FILESTAT_GET | FD_FILESTAT_GET;
    /// `kPreOpenInheritingRightsReadOnly`.
    pub const PREOPEN_INHERITING_READONLY: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | POLL_FD_READWRITE;

    /// WasmEdge's `VINode::imply`: SEEK implies TELL, SYNC implies DATASYNC.
    pub const fn imply(rights: u64) -> u64 {
        let mut r = rights;
        if r & FD_SEEK != 0 {
            r |= FD_TELL;
        }
        if r & FD_SYNC != 0 {
            r |= FD_DATASYNC;
        }
        r
    }
}

/// `__wasi_filetype_t`.
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;

    /// WasmEdge's `fromFileType(mode_t)`: sockets are always SOCKET_STREAM,
    /// FIFOs are UNKNOWN.
    pub fn from_mode(mode: u32) -> u8 {
        match mode & libc::S_IFMT {
            libc::S_IFBLK => BLOCK_DEVICE,
            libc::S_IFCHR => CHARACTER_DEVICE,
            libc::S_IFDIR => DIRECTORY,
            libc::S_IFREG => REGULAR_FILE,
            libc::S_IFSOCK => SOCKET_STREAM,
            libc::S_IFLNK => SYMBOLIC_LINK,
            _ => UNKNOWN,
        }
    }
}

/// `__wasi_fdflags_t`.
pub mod fdflags {
    pub const APPEND: u16 = 1;
    pub const DSYNC: u16 = 2;
    pub const NONBLOCK: u16 = 4;
    pub const RSYNC: u16 = 8;
    pub const SYNC: u16 = 16;
    pub const ALL: u16 = 0x1F;
}

/// `__wasi_oflags_t`.
pub mod oflags {
    pub const CREAT: u16 = 1;
    pub const DIRECTORY: u16 = 2;
    pub const EXCL: u16 = 4;
    pub const TRUNC: u16 = 8;
    pub const ALL: u16 = 0xF;
}

/// `__wasi_lookupflags_t`.
pub const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `__wasi_fstflags_t`.
pub mod fstflags {
    pub const ATIM: u16 = 1;
    pub const ATIM_NOW: u16 = 2;
    pub const MTIM: u16 = 4;
    pub const MTIM_NOW: u16 = 8;
}

/// `__wasi_eventtype_t`.
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `__wasi_eventrwflags_t`: the only flag.
pub const EVENT_FD_READWRITE_HANGUP: u16 = 1;
/// `__wasi_subclockflags_t`: the only flag.
pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// `__wasi_clockid_t`.
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME: u32 = 2;
    pub const THREAD_CPUTIME: u32 = 3;
}

/// Socket enums (§3.1).
pub mod sock {
    pub const AF_UNSPEC: u8 = 0;
    pub const AF_INET4: u8 = 1;
    pub const AF_INET6: u8 = 2;
    pub const AF_UNIX: u8 = 3;
    pub const TYPE_ANY: u8 = 0;
    pub const TYPE_DGRAM: u8 = 1;
    pub const TYPE_STREAM: u8 = 2;
    pub const PROTO_IP: u8 = 0;
    pub const PROTO_TCP: u8 = 1;
    pub const PROTO_UDP: u8 = 2;
    pub const RECV_PEEK: u32 = 1;
    pub const RECV_WAITALL: u32 = 2;
    pub const RECV_DATA_TRUNCATED: u16 = 1;
    pub const SHUT_RD: u32 = 1;
    pub const SHUT_WR: u32 = 2;
    pub const OPT_LEVEL_SOL_SOCKET: u32 = 0;
    pub const OPT_SO_TYPE: u32 = 1;
    pub const OPT_SO_ERROR: u32 = 2;
    pub const AI_PASSIVE: u16 = 1;
    pub const AI_CANONNAME: u16 = 2;
    pub const AI_NUMERICHOST: u16 = 4;
    pub const AI_NUMERICSERV: u16 = 8;
    pub const AI_V4MAPPED: u16 = 16;
    pub const AI_ALL: u16 = 32;
    pub const AI_ADDRCONFIG: u16 = 64;
    pub const AI_ALL_FLAGS: u16 = 0x7F;
}

/// Maximum iovec count per call (`kIOVMax`, `environ.h`).
pub const IOV_MAX: u32 = 1024;
/// Size and alignment of `__wasi_iovec_t` / `__wasi_ciovec_t` / `__wasi_address_t`.
pub const IOVEC_SIZE: u32 = 8;
/// Size of a V2 address storage buffer (`WasiAddrStorage`).
pub const ADDR_STORAGE_SIZE: u32 = 128;
/// `__wasi_subscription_t`: 48 bytes, 8-aligned.
pub const SUBSCRIPTION_SIZE: u32 = 48;
/// `__wasi_event_t`: 32 bytes, 8-aligned.
pub const EVENT_SIZE: u32 = 32;
/// `__wasi_addrinfo_t`: 28 bytes, 4-aligned.
pub const ADDRINFO_SIZE: u32 = 28;
/// `__wasi_sockaddr_t`: 12 bytes, 4-aligned.
pub const SOCKADDR_SIZE: u32 = 12;
/// `__wasi_fdstat_t`: 24 bytes, 8-aligned.
pub const FDSTAT_SIZE: u32 = 24;
/// `__wasi_filestat_t`: 64 bytes, 8-aligned.
pub const FILESTAT_SIZE: u32 = 64;
/// `__wasi_prestat_t`: 8 bytes, 4-aligned.
pub const PRESTAT_SIZE: u32 = 8;
/// `__wasi_dirent_t` header: 24 bytes (name follows).
pub const DIRENT_SIZE: u32 = 24;
