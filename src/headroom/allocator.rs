//! The allocator that keeps a reserve: every allocation goes to the allocator
//! underneath, and the first one it cannot satisfy spends the reserve (gives it back
//! underneath) and is tried once more. From then on the headroom is low until the
//! reserve can be taken again.

use std::alloc::{GlobalAlloc, Layout};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

/// `inner` with a reserve of `reserve` bytes held back for the moment it runs out.
pub struct ReservingAllocator<A> {
    inner: A,
    reserve: Layout,
    /// The reserve block while it is held; null before [`Self::keep_reserve`] and
    /// after it was spent.
    held: AtomicPtr<u8>,
    /// Set when an allocation failed underneath; cleared when the reserve is held again.
    low: AtomicBool,
    /// How many times the reserve was spent.
    spent: AtomicU64,
}

impl<A> ReservingAllocator<A> {
    /// `inner` with a reserve of `reserve` bytes (not taken until [`Self::keep_reserve`]).
    pub const fn new(inner: A, reserve: Layout) -> Self {
        Self {
            inner,
            reserve,
            held: AtomicPtr::new(ptr::null_mut()),
            low: AtomicBool::new(false),
            spent: AtomicU64::new(0),
        }
    }

    /// True from the first allocation that failed underneath until the reserve is held again.
    pub fn is_low(&self) -> bool {
        self.low.load(Ordering::Acquire)
    }

    /// How many times the reserve was spent since start.
    pub fn times_spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// The size of the reserve in bytes.
    pub fn reserve_bytes(&self) -> usize {
        self.reserve.size()
    }
}

impl<A: GlobalAlloc> ReservingAllocator<A> {
    /// Takes the reserve if it is not held (at start, and to leave the low state once
    /// memory was freed): true when it is held afterwards. A failure here costs nothing
    /// and spends nothing: it asks the allocator underneath directly.
    pub fn keep_reserve(&self) -> bool {
        if !self.held.load(Ordering::Acquire).is_null() {
            return true;
        }
        // SAFETY: the reserve layout has a non-zero size (checked by `headroom::RESERVE`).
        let block = unsafe { self.inner.alloc(self.reserve) };
        if block.is_null() {
            return false;
        }
        if self.held.compare_exchange(ptr::null_mut(), block, Ordering::AcqRel, Ordering::Acquire).is_err() {
            // Another thread took it meanwhile: one reserve is enough.
            // SAFETY: `block` came from `inner` with this layout and is not shared.
            unsafe { self.inner.dealloc(block, self.reserve) };
        }
        self.low.store(false, Ordering::Release);
        true
    }

    /// Gives the reserve back underneath (if held) and marks the headroom low: true
    /// when there was a reserve to give, so the failed allocation is worth retrying.
    fn spend_reserve(&self) -> bool {
        self.low.store(true, Ordering::Release);
        let block = self.held.swap(ptr::null_mut(), Ordering::AcqRel);
        if block.is_null() {
            return false;
        }
        self.spent.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `block` came from `inner.alloc(self.reserve)` in `keep_reserve` and
        // the swap above made this the only place that still has it.
        unsafe { self.inner.dealloc(block, self.reserve) };
        true
    }
}

// SAFETY: every call is forwarded to `inner` with the caller's own pointer and layout;
// the reserve is a separate block of `inner`'s that is never handed out, only freed.
unsafe impl<A: GlobalAlloc> GlobalAlloc for ReservingAllocator<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on unchanged.
        let block = unsafe { self.inner.alloc(layout) };
        if block.is_null() && self.spend_reserve() {
            // SAFETY: as above.
            return unsafe { self.inner.alloc(layout) };
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on unchanged.
        let block = unsafe { self.inner.alloc_zeroed(layout) };
        if block.is_null() && self.spend_reserve() {
            // SAFETY: as above.
            return unsafe { self.inner.alloc_zeroed(layout) };
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on unchanged.
        unsafe { self.inner.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`, passed on unchanged; a failed
        // `realloc` leaves `block` as it was, so it can be tried again.
        let moved = unsafe { self.inner.realloc(block, layout, new_size) };
        if moved.is_null() && self.spend_reserve() {
            // SAFETY: as above.
            return unsafe { self.inner.realloc(block, layout, new_size) };
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;
    use std::sync::atomic::AtomicUsize;

    /// The system allocator with a byte budget: what is allocated beyond it fails, as
    /// a Wasm module's allocations fail once its memory cannot grow.
    struct Capped {
        left: AtomicUsize,
    }

    unsafe impl GlobalAlloc for Capped {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let taken = self
                .left
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| left.checked_sub(layout.size()));
            if taken.is_err() {
                return ptr::null_mut();
            }
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            self.left.fetch_add(layout.size(), Ordering::AcqRel);
            unsafe { System.dealloc(block, layout) }
        }
    }

    fn capped(budget: usize, reserve: usize) -> ReservingAllocator<Capped> {
        let layout = Layout::from_size_align(reserve, 16).expect("layout");
        ReservingAllocator::new(Capped { left: AtomicUsize::new(budget) }, layout)
    }

    fn block(size: usize) -> Layout {
        Layout::from_size_align(size, 8).expect("layout")
    }

    #[test]
    fn the_first_allocation_beyond_the_cap_is_served_from_the_reserve_and_marks_the_headroom_low() {
        let allocator = capped(10_000, 4_000);
        assert!(allocator.keep_reserve());
        assert!(!allocator.is_low());
        // 6,000 bytes are left beside the reserve: 5,000 fit, the next 2,000 do not.
        let first = unsafe { allocator.alloc(block(5_000)) };
        assert!(!first.is_null());
        assert!(!allocator.is_low());
        let second = unsafe { allocator.alloc(block(2_000)) };
        assert!(!second.is_null(), "the reserve serves the allocation that failed");
        assert!(allocator.is_low());
        assert_eq!(allocator.times_spent(), 1);
        // With the reserve spent, what does not fit fails and stays low.
        let third = unsafe { allocator.alloc(block(4_000)) };
        assert!(third.is_null());
        assert!(allocator.is_low());
        assert_eq!(allocator.times_spent(), 1);
        // Nothing freed: the reserve cannot be taken again.
        assert!(!allocator.keep_reserve());
        assert!(allocator.is_low());
        // Freed memory lets it be taken again, and the headroom is no longer low.
        unsafe { allocator.dealloc(first, block(5_000)) };
        assert!(allocator.keep_reserve());
        assert!(!allocator.is_low());
        unsafe { allocator.dealloc(second, block(2_000)) };
    }

    #[test]
    fn a_growth_beyond_the_cap_keeps_its_contents() {
        let allocator = capped(10_000, 4_000);
        assert!(allocator.keep_reserve());
        let start = unsafe { allocator.alloc(block(3_000)) };
        assert!(!start.is_null());
        unsafe { start.write_bytes(7, 3_000) };
        // 3,000 + 6,000 (the copy) are more than the 6,000 left: the reserve is spent.
        let grown = unsafe { allocator.realloc(start, block(3_000), 6_000) };
        assert!(!grown.is_null());
        assert!(allocator.is_low());
        let kept = unsafe { std::slice::from_raw_parts(grown, 3_000) };
        assert!(kept.iter().all(|byte| *byte == 7));
        unsafe { allocator.dealloc(grown, block(6_000)) };
    }

    #[test]
    fn keeping_the_reserve_twice_takes_it_once() {
        let allocator = capped(10_000, 4_000);
        assert!(allocator.keep_reserve());
        assert!(allocator.keep_reserve());
        assert_eq!(allocator.inner.left.load(Ordering::Acquire), 6_000);
    }

    #[test]
    fn without_a_reserve_a_failed_allocation_fails_and_marks_the_headroom_low() {
        let allocator = capped(1_000, 4_000);
        assert!(!allocator.keep_reserve());
        assert!(unsafe { allocator.alloc(block(2_000)) }.is_null());
        assert!(allocator.is_low());
        assert_eq!(allocator.times_spent(), 0);
    }
}
