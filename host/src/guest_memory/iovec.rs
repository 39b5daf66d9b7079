//! A guest's iovec array as buffers for vectored system calls, pointing
//! straight into linear memory: no copy, and no allocation for up to
//! [`INLINE_IOVECS`] buffers.
//!
//! Writes take the buffers as shared `IoSlice`s, which may overlap. Reads need
//! `IoSliceMut`s, which must not: the buffers are carved out of memory in
//! address order (every real guest passes disjoint buffers). A guest may
//! still pass overlapping ones, which the kernel fills one after the other;
//! those become [`RawIoVecs`] for the one raw call in `sys` that takes them.

use std::io::{IoSlice, IoSliceMut};
use std::marker::PhantomData;

use super::GuestMemory;
use crate::abi::IOVEC_SIZE;
use crate::errno::Errno;

/// Number of iovecs kept on the stack before the lists spill to the heap.
pub const INLINE_IOVECS: usize = 8;

/// One bounds-checked buffer of an iovec array.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(super) struct IoRange {
    start: usize,
    len: usize,
}

/// A guest's iovec array, decoded and bounds-checked (offsets, not pointers).
pub struct IoVecs {
    inline: [IoRange; INLINE_IOVECS],
    len: usize,
    spill: Vec<IoRange>,
}

impl IoVecs {
    fn new() -> Self {
        IoVecs { inline: [IoRange::default(); INLINE_IOVECS], len: 0, spill: Vec::new() }
    }

    fn push(&mut self, range: IoRange) {
        if self.len < INLINE_IOVECS {
            self.inline[self.len] = range;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline);
            }
            self.spill.push(range);
        }
        self.len += 1;
    }

    fn ranges(&self) -> &[IoRange] {
        if self.len <= INLINE_IOVECS {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }

    /// Number of iovecs.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no iovecs.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A list kept on the stack up to [`INLINE_IOVECS`] items.
struct InlineList<T> {
    inline: [T; INLINE_IOVECS],
    spill: Vec<T>,
    len: usize,
}

impl<T> InlineList<T> {
    /// `len` copies of `fill()`.
    fn filled(len: usize, fill: impl Fn() -> T) -> Self {
        let mut spill = Vec::new();
        if len > INLINE_IOVECS {
            spill.resize_with(len, &fill);
        }
        InlineList { inline: std::array::from_fn(|_| fill()), spill, len }
    }

    fn as_slice(&self) -> &[T] {
        if self.len <= INLINE_IOVECS {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        if self.len <= INLINE_IOVECS {
            &mut self.inline[..self.len]
        } else {
            &mut self.spill
        }
    }
}

/// Guest buffers to send or write from.
pub struct IoSlices<'m>(InlineList<IoSlice<'m>>);

impl<'m> IoSlices<'m> {
    /// The buffers, for `sendmsg`/`writev`.
    pub fn as_slice(&self) -> &[IoSlice<'m>] {
        self.0.as_slice()
    }
}

/// Disjoint guest buffers to receive or read into.
pub struct IoSlicesMut<'m>(InlineList<IoSliceMut<'m>>);

impl<'m> IoSlicesMut<'m> {
    /// The buffers, for `recvmsg`/`readv`.
    pub fn as_mut_slice(&mut self) -> &mut [IoSliceMut<'m>] {
        self.0.as_mut_slice()
    }
}

/// Overlapping guest buffers as the kernel takes them. Valid while the
/// memory they point into is borrowed (`'m`).
pub struct RawIoVecs<'m> {
    list: InlineList<libc::iovec>,
    memory: PhantomData<&'m mut [u8]>,
}

impl RawIoVecs<'_> {
    /// The iovecs, for `msghdr.msg_iov` / `readv`.
    pub fn as_mut_ptr(&mut self) -> *mut libc::iovec {
        self.list.as_mut_slice().as_mut_ptr()
    }

    /// Number of iovecs.
    pub fn len(&self) -> usize {
        self.list.len
    }

    /// Whether there are no iovecs.
    pub fn is_empty(&self) -> bool {
        self.list.len == 0
    }
}

/// Where a read goes.
pub enum ReadBuffers<'m> {
    /// Disjoint buffers: every guest in practice.
    Disjoint(IoSlicesMut<'m>),
    /// Buffers sharing bytes; filled in order, as the kernel does.
    Overlapping(RawIoVecs<'m>),
}

impl<'a> GuestMemory<'a> {
    /// Decodes `count` iovecs at `ptr` (WasmEdge order: the array is bounds
    /// checked by the caller first via [`GuestMemory::check_iovec_array`], then
    /// each buffer here). Lengths are capped so the total fits in a u32, as
    /// WasmEdge does. Every buffer must lie in memory (`FAULT`).
    pub fn iovecs(&self, ptr: u32, count: u32) -> Result<IoVecs, Errno> {
        let mut out = IoVecs::new();
        let mut total: u32 = 0;
        for i in 0..count {
            let entry = ptr.checked_add(i * IOVEC_SIZE).ok_or(Errno::FAULT)?;
            let buf = self.read_u32(entry)?;
            let len = self.read_u32(entry + 4)?;
            let len = len.min(u32::MAX - total);
            total += len;
            let r = self.range(buf, len)?;
            out.push(IoRange { start: r.start, len: r.len() });
        }
        Ok(out)
    }

    /// The buffers of `iovs` to send or write from.
    pub fn io_slices(&self, iovs: &IoVecs) -> IoSlices<'_> {
        let ranges = iovs.ranges();
        let mut list = InlineList::filled(ranges.len(), || IoSlice::new(&[]));
        for (slot, r) in list.as_mut_slice().iter_mut().zip(ranges) {
            *slot = IoSlice::new(self.bytes.get(r.start..r.start + r.len).unwrap_or_default());
        }
        IoSlices(list)
    }

    /// The buffers of `iovs` to receive or read into.
    pub fn read_buffers(&mut self, iovs: &IoVecs) -> ReadBuffers<'_> {
        let ranges = iovs.ranges();
        let mut order = InlineList::filled(ranges.len(), || 0u16);
        for (i, slot) in order.as_mut_slice().iter_mut().enumerate() {
            *slot = i as u16;
        }
        if !ranges.is_sorted_by_key(|r| r.start) {
            order.as_mut_slice().sort_unstable_by_key(|&i| ranges[usize::from(i)].start);
        }
        if !disjoint(ranges, order.as_slice()) {
            return ReadBuffers::Overlapping(self.raw_iovecs(ranges));
        }
        let mut list = InlineList::filled(ranges.len(), || IoSliceMut::new(&mut []));
        let slots = list.as_mut_slice();
        let mut rest: &mut [u8] = &mut *self.bytes;
        let mut offset = 0;
        for &i in order.as_slice() {
            let r = ranges[usize::from(i)];
            if r.len == 0 {
                continue;
            }
            // Bounds-checked and disjoint: both splits are in range.
            let Some((_, tail)) = std::mem::take(&mut rest).split_at_mut_checked(r.start - offset) else {
                break;
            };
            let Some((piece, tail)) = tail.split_at_mut_checked(r.len) else {
                break;
            };
            slots[usize::from(i)] = IoSliceMut::new(piece);
            rest = tail;
            offset = r.start + r.len;
        }
        ReadBuffers::Disjoint(IoSlicesMut(list))
    }

    fn raw_iovecs(&mut self, ranges: &[IoRange]) -> RawIoVecs<'_> {
        let empty = libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 };
        let mut list = InlineList::filled(ranges.len(), || empty);
        let base = self.bytes.as_mut_ptr();
        for (slot, r) in list.as_mut_slice().iter_mut().zip(ranges) {
            *slot = libc::iovec { iov_base: base.wrapping_add(r.start).cast(), iov_len: r.len };
        }
        RawIoVecs { list, memory: PhantomData }
    }
}

/// Whether the non-empty `ranges`, taken in `order` (ascending start), share
/// no byte.
fn disjoint(ranges: &[IoRange], order: &[u16]) -> bool {
    let mut end = 0;
    for &i in order {
        let r = ranges[usize::from(i)];
        if r.len == 0 {
            continue;
        }
        if r.start < end {
            return false;
        }
        end = r.start + r.len;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory_with(entries: &[(u32, u32)]) -> Vec<u8> {
        let mut mem = vec![0u8; 4096];
        for (i, (buf, len)) in entries.iter().enumerate() {
            let at = 64 + i * 8;
            mem[at..at + 4].copy_from_slice(&buf.to_le_bytes());
            mem[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
        }
        mem
    }

    fn addresses(buffers: &mut ReadBuffers<'_>) -> Vec<(usize, usize)> {
        match buffers {
            ReadBuffers::Disjoint(list) => {
                list.as_mut_slice().iter_mut().map(|s| (s.as_mut_ptr() as usize, s.len())).collect()
            }
            ReadBuffers::Overlapping(_) => panic!("expected disjoint buffers"),
        }
    }

    #[test]
    fn iovecs_point_into_guest_memory_in_guest_order() {
        let mut raw = memory_with(&[(3000, 10), (2000, 0), (1000, 5)]);
        let base = raw.as_ptr() as usize;
        let mut mem = GuestMemory::new(&mut raw);
        mem.check_iovec_array(64, 3).unwrap();
        let iovs = mem.iovecs(64, 3).unwrap();
        assert_eq!(iovs.len(), 3);
        let written: Vec<_> =
            mem.io_slices(&iovs).as_slice().iter().map(|s| (s.as_ptr() as usize, s.len())).collect();
        assert_eq!((written[0], written[1].1, written[2]), ((base + 3000, 10), 0, (base + 1000, 5)));
        let read = addresses(&mut mem.read_buffers(&iovs));
        assert_eq!((read[0], read[2]), ((base + 3000, 10), (base + 1000, 5)));
        assert_eq!(read[1].1, 0);
    }

    #[test]
    fn adjacent_buffers_are_disjoint_and_shared_bytes_are_not() {
        let mut raw = memory_with(&[(100, 10), (110, 10)]);
        let mut mem = GuestMemory::new(&mut raw);
        let iovs = mem.iovecs(64, 2).unwrap();
        assert!(matches!(mem.read_buffers(&iovs), ReadBuffers::Disjoint(_)));

        let mut raw = memory_with(&[(100, 10), (105, 10)]);
        let base = raw.as_ptr() as usize;
        let mut mem = GuestMemory::new(&mut raw);
        let iovs = mem.iovecs(64, 2).unwrap();
        let ReadBuffers::Overlapping(raw_iovs) = mem.read_buffers(&iovs) else {
            panic!("overlapping buffers must not become slices");
        };
        assert_eq!(raw_iovs.len(), 2);
        let second = raw_iovs.list.as_slice()[1];
        assert_eq!((second.iov_base as usize, second.iov_len), (base + 105, 10));
    }

    #[test]
    fn iovec_buffer_out_of_bounds_is_fault() {
        let mut raw = memory_with(&[(4090, 10)]);
        let mem = GuestMemory::new(&mut raw);
        assert!(matches!(mem.iovecs(64, 1), Err(Errno::FAULT)));
    }

    #[test]
    fn many_iovecs_spill_to_the_heap_in_order() {
        let entries: Vec<(u32, u32)> = (0..20).map(|i| (2048 - i * 4, 4)).collect();
        let mut raw = memory_with(&entries);
        let base = raw.as_ptr() as usize;
        let mut mem = GuestMemory::new(&mut raw);
        let iovs = mem.iovecs(64, 20).unwrap();
        assert_eq!(iovs.len(), 20);
        let read = addresses(&mut mem.read_buffers(&iovs));
        for (i, (ptr, len)) in read.into_iter().enumerate() {
            assert_eq!((ptr, len), (base + 2048 - i * 4, 4));
        }
    }

    #[test]
    fn total_length_is_capped_at_u32_max() {
        // Two huge iovecs over a tiny memory: the first one already faults.
        let mut raw = memory_with(&[(0, u32::MAX), (0, 10)]);
        let mem = GuestMemory::new(&mut raw);
        assert!(matches!(mem.iovecs(64, 2), Err(Errno::FAULT)));
    }
}
