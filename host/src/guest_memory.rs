//! Bounds-checked access to the guest's linear memory.
//!
//! Every pointer and length a guest passes goes through here, so a bad value
//! becomes `FAULT` instead of a host crash. iovec arrays become buffers for
//! vectored system calls in [`iovec`].

mod iovec;

pub use iovec::{IoSlices, IoSlicesMut, IoVecs, RawIoVecs, ReadBuffers, INLINE_IOVECS};

use crate::abi::{IOVEC_SIZE, IOV_MAX};
use crate::errno::Errno;

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

    /// `INVAL` for more than `kIOVMax` entries, `FAULT` if the array itself is
    /// out of bounds.
    pub fn check_iovec_array(&self, ptr: u32, count: u32) -> Result<(), Errno> {
        if count > IOV_MAX {
            return Err(Errno::INVAL);
        }
        self.check(ptr, count * IOVEC_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn more_than_1024_iovecs_is_inval_before_bounds() {
        let mut raw = vec![0u8; 64];
        let mem = GuestMemory::new(&mut raw);
        assert_eq!(mem.check_iovec_array(0, 1025), Err(Errno::INVAL));
        assert_eq!(mem.check_iovec_array(0, 9), Err(Errno::FAULT));
        assert_eq!(mem.check_iovec_array(0, 8), Ok(()));
    }
}
