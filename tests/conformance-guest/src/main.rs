//! Conformance suite for WasmEdge's socket ABI (being written).
fn main() {}
