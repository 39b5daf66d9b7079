//! The module's memory allocator: Talc instead of wasi-libc's dlmalloc.
//!
//! Every request allocates a dozen times or more (hyper's buffers and header map, the
//! response body, boxed futures), and inside a Wasm runtime each instruction of the
//! allocator runs through the runtime's code generator or, under WasmEdge's
//! interpreter (what crun-wasmedge runs), one by one. Talc's fast path is a handful of
//! bit operations on size-class bins; dlmalloc's is several times longer. Measured with
//! `scripts/profile.sh` (instructions per request); the figures are in `bench/results/`.
//!
//! The instance is single-threaded (wasm32-wasip1 has no threads), which is what
//! `TalcSyncCell` requires. Memory comes from `memory.grow` as needed; a heap that is
//! not contiguous with the last one (wasi-libc's own `malloc` grows the same memory for
//! the few C allocations made at start) becomes a new heap. A refused `memory.grow`
//! (edge-host's `--max-memory`) is an allocation failure, as it was with dlmalloc.
//! Natively the system allocator stays.

/// The global allocator of the Wasm build.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
