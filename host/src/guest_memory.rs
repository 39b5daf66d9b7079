//! Bounds-checked access to the guest's linear memory.
//!
//! Every pointer and length a guest passes goes through here, so a bad value
//! becomes `FAULT` instead of a host crash. iovec arrays are turned into
//! `libc::iovec`s pointing straight into guest memory (no copy, no allocation
//! for up to [`INLINE_IOVECS`] entries), ready for `readv`/`recvmsg`.

use crate::abi::{IOVEC_SIZE, IOV_MAX};
use crate::errno::Errno;

/// Number of iovecs kept on the stack before [`IoVecs`] spills to the heap.
pub const INLINE_IOVECS: usize = 8;

/// The guest's memory 0 for the duration of one host call.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    /// Wraps the memory's bytes for one host call.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    /// Size of linear memory in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether linear memory is empty (0 pages).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes `[ptr, ptr+len)`. A zero-length range is valid at any
    /// pointer, even past the end of memory, as in WasmEdge 0.17.x: its
    /// `getSpan`/`getStringView` (0.17.0 `include/runtime/instance/memory.h`)
    /// return an empty span when the bounds check fails, and every caller in
    /// `lib/host/wasi/wasifunc.cpp` only compares that span's size with the
    /// count it asked for, so a count of 0 never gives `FAULT`.
    fn range(&self, ptr: u32, len: u32) -> Result<std::ops::Range<usize>, Errno> {
        if len == 0 {
            return Ok(0..0);
        }
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::FAULT)?;
        if end > self.bytes.len() {
            return Err(Errno::FAULT);
        }
        Ok(start..end)
    }

    /// `FAULT` unless `[ptr, ptr+len)` lies in memory.
    pub fn check(&self, ptr: u32, len: u32) -> Result<(), Errno> {
        self.range(ptr, len).map(|_| ())
    }

    /// Whether `[ptr, ptr+len)` lies in memory.
    pub fn contains(&self, ptr: u32, len: u32) -> bool {
        self.range(ptr, len).is_ok()
    }

    /// `[ptr, ptr+len)`, or `FAULT`.
    pub fn bytes(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r])
    }

    /// `[ptr, ptr+len)` writable, or `FAULT`.
    pub fn bytes_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r])
    }

    fn array<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let r = self.range(ptr, N as u32)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[r]);
        Ok(out)
    }

    /// Reads a byte (`FAULT` out of bounds).
    pub fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.array::<1>(ptr)?[0])
    }

    /// Reads a little-endian u16 (`FAULT` out of bounds).
    pub fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }

    /// Reads a little-endian u32 (`FAULT` out of bounds).
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }

    /// Reads a little-endian u64 (`FAULT` out of bounds).
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    /// Copies `data` to `ptr` (`FAULT` if it does not fit).
    pub fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::FAULT)?;
        self.bytes_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    /// Writes a byte.
    pub fn write_u8(&mut self, ptr: u32, value: u8) -> Result<(), Errno> {
        self.write_bytes(ptr, &[value])
    }

    /// Writes a little-endian u16.
    pub fn write_u16(&mut self, ptr: u32, value: u16) -> Result<(), Errno> {
        self.write_bytes(ptr, &value.to_le_bytes())
    }

    /// Writes a little-endian u32.
    pub fn write_u32(&mut self, ptr: u32, value: u32) -> Result<(), Errno> {
        self.write_bytes(ptr, &value.to_le_bytes())
    }

    /// Writes a little-endian u64.
    pub fn write_u64(&mut self, ptr: u32, value: u64) -> Result<(), Errno> {
        self.write_bytes(ptr, &value.to_le_bytes())
    }

    /// Decodes `count` iovecs at `ptr` (WasmEdge order: the array is bounds
    /// checked by the caller first via [`GuestMemory::check_iovec_array`], then
    /// each buffer here). Lengths are capped so the total fits in a u32, as
    /// WasmEdge does. Every buffer must lie in memory (`FAULT`).
    pub fn iovecs(&mut self, ptr: u32, count: u32) -> Result<IoVecs, Errno> {
        let mut out = IoVecs::new();
        let mut total: u32 = 0;
        for i in 0..count {
            let entry = ptr.checked_add(i * IOVEC_SIZE).ok_or(Errno::FAULT)?;
            let buf = self.read_u32(entry)?;
            let len = self.read_u32(entry + 4)?;
            let len = len.min(u32::MAX - total);
            total += len;
            let r = self.range(buf, len)?;
            // SAFETY: `r` is within `self.bytes`, checked just above.
            let base = unsafe { self.bytes.as_mut_ptr().add(r.start) };
            out.push(libc::iovec { iov_base: base.cast(), iov_len: r.len() });
        }
        Ok(out)
    }

    /// `INVAL` for more than `kIOVMax` entries, `FAULT` if the array itself is
    /// out of bounds.
    pub fn check_iovec_array(&self, ptr: u32, count: u32) -> Result<(), Errno> {
        if count > IOV_MAX {
            return Err(Errno::INVAL);
        }
        self.check(ptr, count * IOVEC_SIZE)
    }
}

/// A list of `libc::iovec` pointing into guest memory. Valid only while the
/// [`GuestMemory`] it came from is borrowed (one host call).
pub struct IoVecs {
    inline: [libc::iovec; INLINE_IOVECS],
    len: usize,
    spill: Vec<libc::iovec>,
}

impl IoVecs {
    fn new() -> Self {
        IoVecs {
            inline: [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; INLINE_IOVECS],
            len: 0,
            spill: Vec::new(),
        }
    }

    fn push(&mut self, iov: libc::iovec) {
        if self.len < INLINE_IOVECS {
            self.inline[self.len] = iov;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline);
            }
            self.spill.push(iov);
        }
        self.len += 1;
    }

    /// The iovecs, for `msghdr.msg_iov` / `readv`.
    pub fn as_mut_ptr(&mut self) -> *mut libc::iovec {
        if self.len <= INLINE_IOVECS {
            self.inline.as_mut_ptr()
        } else {
            self.spill.as_mut_ptr()
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

    #[test]
    fn scalar_reads_are_little_endian_and_bounds_checked() {
        let mut raw = vec![0u8; 16];
        raw[4..8].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        let mut mem = GuestMemory::new(&mut raw);
        assert_eq!(mem.read_u32(4), Ok(0x1234_5678));
        assert_eq!(mem.read_u16(4), Ok(0x5678));
        assert_eq!(mem.read_u32(13), Err(Errno::FAULT));
        assert_eq!(mem.read_u64(u32::MAX), Err(Errno::FAULT));
        assert_eq!(mem.write_u64(8, 7), Ok(()));
        assert_eq!(mem.write_u64(9, 7), Err(Errno::FAULT));
        assert_eq!(mem.read_u64(8), Ok(7));
    }

    #[test]
    fn ranges_that_wrap_around_are_faults() {
        let mut raw = vec![0u8; 16];
        let mem = GuestMemory::new(&mut raw);
        assert_eq!(mem.check(8, u32::MAX), Err(Errno::FAULT));
        assert_eq!(mem.check(16, 0), Ok(()));
        assert_eq!(mem.check(16, 1), Err(Errno::FAULT));
    }

    #[test]
    fn zero_length_ranges_are_valid_anywhere_like_wasmedge() {
        let mut raw = vec![0u8; 16];
        let mut mem = GuestMemory::new(&mut raw);
        assert_eq!(mem.check(17, 0), Ok(()));
        assert_eq!(mem.check(u32::MAX, 0), Ok(()));
        assert_eq!(mem.bytes(u32::MAX, 0), Ok(&[][..]));
        assert_eq!(mem.bytes_mut(4096, 0).map(|b| b.len()), Ok(0));
        assert_eq!(mem.write_bytes(1 << 20, &[]), Ok(()));
    }

    #[test]
    fn iovecs_point_into_guest_memory() {
        let mut raw = memory_with(&[(1000, 5), (2000, 0), (3000, 10)]);
        let base = raw.as_ptr() as usize;
        let mut mem = GuestMemory::new(&mut raw);
        mem.check_iovec_array(64, 3).unwrap();
        let iovs = mem.iovecs(64, 3).unwrap();
        assert_eq!(iovs.len(), 3);
        assert_eq!(iovs.inline[0].iov_base as usize, base + 1000);
        assert_eq!(iovs.inline[0].iov_len, 5);
        assert_eq!(iovs.inline[2].iov_base as usize, base + 3000);
        assert_eq!(iovs.inline[2].iov_len, 10);
    }

    #[test]
    fn iovec_buffer_out_of_bounds_is_fault() {
        let mut raw = memory_with(&[(4090, 10)]);
        let mut mem = GuestMemory::new(&mut raw);
        assert!(matches!(mem.iovecs(64, 1), Err(Errno::FAULT)));
    }

    #[test]
    fn more_than_1024_iovecs_is_inval_before_bounds() {
        let mut raw = vec![0u8; 64];
        let mem = GuestMemory::new(&mut raw);
        assert_eq!(mem.check_iovec_array(0, 1025), Err(Errno::INVAL));
        assert_eq!(mem.check_iovec_array(0, 9), Err(Errno::FAULT));
        assert_eq!(mem.check_iovec_array(0, 8), Ok(()));
    }

    #[test]
    fn many_iovecs_spill_to_the_heap_in_order() {
        let entries: Vec<(u32, u32)> = (0..20).map(|i| (1024 + i * 4, 4)).collect();
        let mut raw = memory_with(&entries);
        let base = raw.as_ptr() as usize;
        let mut mem = GuestMemory::new(&mut raw);
        let mut iovs = mem.iovecs(64, 20).unwrap();
        assert_eq!(iovs.len(), 20);
        let all = unsafe { std::slice::from_raw_parts(iovs.as_mut_ptr(), iovs.len()) };
        for (i, iov) in all.iter().enumerate() {
            assert_eq!(iov.iov_base as usize, base + 1024 + i * 4);
        }
    }

    #[test]
    fn total_length_is_capped_at_u32_max() {
        // Two huge iovecs over a tiny memory: the first one already faults.
        let mut raw = memory_with(&[(0, u32::MAX), (0, 10)]);
        let mut mem = GuestMemory::new(&mut raw);
        assert!(matches!(mem.iovecs(64, 2), Err(Errno::FAULT)));
    }
}
