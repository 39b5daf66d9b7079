//! The guest's one descriptor table: stdio, preopened directories, files
//! opened below them, and sockets all live here, so `fd_*`, `sock_*` and
//! `poll_oneoff` agree on what a number means (§1, §6).
//!
//! Numbers: 0/1/2 are the process's stdio, preopens take 3, 4, ... and every
//! later descriptor gets the lowest free number above them, leaving exactly
//! one number free right after the last preopen. WasmEdge hands out random
//! 31-bit numbers instead; guests treat descriptors as opaque (§6), and a
//! dense table makes every lookup a vector index. The free number matters:
//! wasi-libc discovers preopens lazily by calling `fd_prestat_get` on 3, 4,
//! ... until `BADF`, and exits if it meets a socket there first (`INVAL`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::abi::rights;
use crate::errno::Errno;
use crate::shutdown::ListenerGuard;

/// What a descriptor refers to.
pub enum FdKind {
    /// One of the host's stdio descriptors (borrowed, never closed by us).
    Stdio(BorrowedFd<'static>),
    /// A socket from `sock_open` or `sock_accept`.
    Socket(SocketHandle),
    /// A directory: a `--dir` preopen or one opened below it.
    Dir(DirHandle),
    /// A regular file (or other non-directory) opened below a preopen.
    File(cap_std::fs::File),
}

/// A host socket owned by the guest.
pub struct SocketHandle {
    pub fd: OwnedFd,
    /// Set after a successful `listen`; `poll_oneoff` then asks the kernel for
    /// FIONREAD (which fails on listeners, giving nbytes 0) instead of
    /// assuming success (§8 step 4).
    pub listening: bool,
    /// While listening: the entry in the listeners a shutdown signal closes.
    pub shutdown_entry: Option<ListenerGuard>,
}

impl SocketHandle {
    /// A socket that is not listening.
    pub fn new(fd: OwnedFd) -> Self {
        SocketHandle { fd, listening: false, shutdown_entry: None }
    }
}

impl Drop for SocketHandle {
    fn drop(&mut self) {
        // Out of the listeners before `fd` closes, so its number is never shut down
        // after the kernel hands it out again.
        self.shutdown_entry = None;
    }
}

/// A directory capability. cap-std guarantees that paths resolved below it
/// cannot leave it (no `..`, absolute path or symlink escape).
pub struct DirHandle {
    pub dir: cap_std::fs::Dir,
    /// The guest-visible name if this is a preopen (`fd_prestat_*`).
    pub preopen: Option<String>,
}

/// Per-descriptor registration state of one poller (owned by `poll`). Kept
/// in the entry so `poll_oneoff` needs no map lookups in its hot path.
#[derive(Clone, Copy, Default, Debug)]
pub struct PollSlot {
    /// epoll events currently registered for this descriptor (0 = none).
    pub registered: u32,
    /// The poll call in which `read_sub`/`write_sub` were set.
    pub generation: u64,
    /// Index + 1 of this call's FD_READ subscription, 0 if none.
    pub read_sub: u32,
    /// Index + 1 of this call's FD_WRITE subscription, 0 if none.
    pub write_sub: u32,
}

/// One open descriptor.
pub struct FdEntry {
    pub kind: FdKind,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    /// Registration state for the level-triggered (`poll_oneoff`, index 0) and
    /// edge-triggered (`epoll_oneoff`, index 1) pollers.
    pub poll: [PollSlot; 2],
}

impl FdEntry {
    /// An entry with the given rights and no poll registrations.
    pub fn new(kind: FdKind, rights_base: u64, rights_inheriting: u64) -> Self {
        FdEntry { kind, rights_base, rights_inheriting, poll: [PollSlot::default(); 2] }
    }

    /// The host descriptor behind this entry; every kind has one, so socket
    /// calls on a file or on stdio reach the kernel and fail there (§2.1).
    pub fn fd(&self) -> BorrowedFd<'_> {
        match &self.kind {
            FdKind::Stdio(fd) => *fd,
            FdKind::Socket(s) => s.fd.as_fd(),
            FdKind::Dir(d) => d.dir.as_fd(),
            FdKind::File(f) => f.as_fd(),
        }
    }

    /// The number of [`FdEntry::fd`] in the host process.
    pub fn raw_fd(&self) -> RawFd {
        self.fd().as_raw_fd()
    }

    /// WasmEdge's `VINode::can`: both rights sets, with the implied rights.
    pub fn can(&self, base: u64, inheriting: u64) -> bool {
        rights::imply(self.rights_base) & base == base
            && rights::imply(self.rights_inheriting) & inheriting == inheriting
    }

    /// `NOTCAPABLE` unless the entry has all of `base`.
    pub fn require(&self, base: u64) -> Result<(), Errno> {
        if self.can(base, 0) {
            Ok(())
        } else {
            Err(Errno::NOTCAPABLE)
        }
    }

    /// The directory handle, or `NOTDIR` for any other kind.
    pub fn as_dir(&self) -> Result<&DirHandle, Errno> {
        match &self.kind {
            FdKind::Dir(d) => Ok(d),
            _ => Err(Errno::NOTDIR),
        }
    }
}

/// The descriptor table.
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
    /// Free numbers at or above `dynamic_base`, lowest first.
    free: BinaryHeap<Reverse<u32>>,
    /// First number handed out by [`FdTable::insert`]; the one below it is
    /// kept free (see the module doc).
    dynamic_base: u32,
}

impl FdTable {
    /// A table holding the process's stdin, stdout and stderr as 0, 1, 2,
    /// then `preopens` as 3, 4, ..., then one free number.
    pub fn new(preopens: Vec<FdEntry>) -> Self {
        let mut slots = vec![
            Some(FdEntry::new(FdKind::Stdio(rustix::stdio::stdin()), rights::STDIN, 0)),
            Some(FdEntry::new(FdKind::Stdio(rustix::stdio::stdout()), rights::STDOUT, 0)),
            Some(FdEntry::new(FdKind::Stdio(rustix::stdio::stderr()), rights::STDOUT, 0)),
        ];
        slots.extend(preopens.into_iter().map(Some));
        slots.push(None);
        let dynamic_base = slots.len() as u32;
        FdTable { slots, free: BinaryHeap::new(), dynamic_base }
    }

    /// `BADF` for an unknown descriptor.
    pub fn get(&self, fd: i32) -> Result<&FdEntry, Errno> {
        self.slots.get(fd as u32 as usize).and_then(Option::as_ref).ok_or(Errno::BADF)
    }

    /// Like [`FdTable::get`], mutable.
    pub fn get_mut(&mut self, fd: i32) -> Result<&mut FdEntry, Errno> {
        self.slots.get_mut(fd as u32 as usize).and_then(Option::as_mut).ok_or(Errno::BADF)
    }

    /// Stores `entry` under the lowest free number and returns it.
    pub fn insert(&mut self, entry: FdEntry) -> u32 {
        while let Some(Reverse(fd)) = self.free.pop() {
            let slot = &mut self.slots[fd as usize];
            if slot.is_none() {
                *slot = Some(entry);
                return fd;
            }
        }
        self.slots.push(Some(entry));
        (self.slots.len() - 1) as u32
    }

    /// Removes and returns the entry (the caller drops it, closing the host
    /// descriptor). `BADF` if there is none.
    pub fn remove(&mut self, fd: i32) -> Result<FdEntry, Errno> {
        let index = fd as u32;
        let entry = self.slots.get_mut(index as usize).and_then(Option::take).ok_or(Errno::BADF)?;
        if index >= self.dynamic_base {
            self.free.push(Reverse(index));
        }
        Ok(entry)
    }

    /// `fd_renumber`: moves `from` onto `to`, closing what `to` held. Both
    /// must exist (`BADF`).
    pub fn renumber(&mut self, from: i32, to: i32) -> Result<(), Errno> {
        self.get(from)?;
        self.get(to)?;
        if from == to {
            return Ok(());
        }
        let entry = self.remove(from)?;
        self.slots[to as u32 as usize] = Some(entry);
        Ok(())
    }

    /// Iterates over all open descriptors with their numbers.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &FdEntry)> {
        self.slots.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (i as u32, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn tcp_socket() -> OwnedFd {
        use rustix::net::{socket, AddressFamily, SocketType};
        socket(AddressFamily::INET, SocketType::STREAM, None).unwrap()
    }

    fn socket_entry() -> FdEntry {
        let owned = tcp_socket();
        FdEntry::new(FdKind::Socket(SocketHandle::new(owned)), rights::SOCKET_OPENED, rights::SOCKET_OPENED)
    }

    #[test]
    fn stdio_occupies_zero_to_two_and_new_fds_follow() {
        let mut table = FdTable::new(Vec::new());
        assert!(table.get(0).is_ok() && table.get(2).is_ok());
        assert_eq!(table.get(3).err(), Some(Errno::BADF));
        assert_eq!(table.insert(socket_entry()), 4);
        assert_eq!(table.insert(socket_entry()), 5);
        assert_eq!(table.get(3).err(), Some(Errno::BADF), "3 stays free");
    }

    #[test]
    fn closed_numbers_are_reused_lowest_first() {
        let mut table = FdTable::new(Vec::new());
        for _ in 0..4 {
            table.insert(socket_entry());
        }
        table.remove(6).unwrap();
        table.remove(5).unwrap();
        assert_eq!(table.insert(socket_entry()), 5);
        assert_eq!(table.insert(socket_entry()), 6);
        assert_eq!(table.insert(socket_entry()), 8);
        // Closing stdio never makes 0..2 reusable.
        table.remove(1).unwrap();
        assert_eq!(table.insert(socket_entry()), 9);
    }

    #[test]
    fn double_close_and_negative_fds_are_badf() {
        let mut table = FdTable::new(Vec::new());
        let fd = table.insert(socket_entry()) as i32;
        assert!(table.remove(fd).is_ok());
        assert_eq!(table.remove(fd).err(), Some(Errno::BADF));
        assert_eq!(table.get(-1).err(), Some(Errno::BADF));
    }

    #[test]
    fn socket_rights_match_wasmedge() {
        let entry = socket_entry();
        assert_eq!(entry.rights_base, 0xF_F800_004A);
        assert!(entry.can(rights::POLL_FD_READWRITE | rights::FD_READ, 0));
        assert_eq!(entry.require(rights::FD_SYNC), Err(Errno::NOTCAPABLE));
    }

    #[test]
    fn renumber_moves_the_entry_and_frees_the_source() {
        let mut table = FdTable::new(Vec::new());
        let a = table.insert(socket_entry()) as i32;
        let b = table.insert(socket_entry()) as i32;
        let raw_a = table.get(a).unwrap().raw_fd();
        table.renumber(a, b).unwrap();
        assert_eq!(table.get(b).unwrap().raw_fd(), raw_a);
        assert_eq!(table.get(a).err(), Some(Errno::BADF));
        assert_eq!(table.renumber(a, b), Err(Errno::BADF));
    }
}

#[cfg(test)]
mod preopen_tests {
    use super::*;

    #[test]
    fn preopens_follow_stdio_with_one_free_number_after_them() {
        let dir = cap_std::fs::Dir::open_ambient_dir("/tmp", cap_std::ambient_authority()).unwrap();
        let entry = FdEntry::new(
            FdKind::Dir(DirHandle { dir, preopen: Some("/tmp".into()) }),
            rights::PREOPEN_BASE,
            rights::PREOPEN_INHERITING,
        );
        let mut table = FdTable::new(vec![entry]);
        assert!(matches!(table.get(3).unwrap().kind, FdKind::Dir(_)));
        assert_eq!(table.get(4).err(), Some(Errno::BADF));
        let sock = FdEntry::new(FdKind::Socket(SocketHandle::new(super::tests::tcp_socket())), 0, 0);
        assert_eq!(table.insert(sock), 5);
    }
}
