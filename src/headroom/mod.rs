//! Memory headroom: a Wasm module's memory has a hard cap (the runtime's limit, 4 GiB
//! at most), and Rust aborts the whole instance when an allocation fails, every
//! connection and every user of the memory store with it. So the process's allocator
//! ([`ALLOCATOR`]) holds back a reserve ([`RESERVE_BYTES`]): the first allocation that
//! does not fit any more is served from it, the headroom is low from then on, and the
//! stores refuse writes that would grow the data ([`crate::store::StoreError::Full`],
//! HTTP 507) while reads, deletes and health keep working in what the reserve gave back.
//! Once memory has been freed (users deleted) and the reserve can be taken again, the
//! headroom is no longer low and writes are accepted again.
//!
//! The reserve costs address space, not resident memory: its pages are never written.

mod allocator;

use std::alloc::{Layout, System};

pub use allocator::ReservingAllocator;

/// The reserve: what requests in flight and new connections may still allocate once
/// memory is exhausted (a request needs a few KiB, a connection's buffers about 16 KiB),
/// while writes are refused.
pub const RESERVE_BYTES: usize = 2 * 1024 * 1024;

/// The layout of the reserve block (a whole Wasm page in alignment).
const RESERVE: Layout = match Layout::from_size_align(RESERVE_BYTES, 64 * 1024) {
    Ok(layout) => layout,
    Err(_) => panic!("the reserve layout is valid"),
};

/// Every allocation of the process goes through this allocator.
#[global_allocator]
pub static ALLOCATOR: ReservingAllocator<System> = ReservingAllocator::new(System, RESERVE);

/// Takes the reserve, at start: false when even that does not fit (the service then
/// runs without one, and the first allocation that fails aborts as it would without).
pub fn keep_reserve() -> bool {
    ALLOCATOR.keep_reserve()
}

/// True while memory is exhausted: an allocation failed and the reserve could not be
/// taken back since. Tries to take it back first, so a store asks this before each
/// write and accepts writes again as soon as deletes have freed enough.
pub fn is_exhausted() -> bool {
    ALLOCATOR.is_low() && !ALLOCATOR.keep_reserve()
}
