//! `EDGE_HOST_PERFMAP=1`: names the guest's compiled functions for profilers.
//!
//! Code wasmtime compiles has no symbols a profiler can find. Linux profilers
//! (`perf report`, and `scripts/profile.sh`, which maps callgrind's addresses
//! with it) read `/tmp/perf-<pid>.map`: one line per function, `START SIZE
//! NAME` in hex. The guest's names come from the module's name section (a
//! stripped module gives `wasm-function[N]`). Off by default; writing the map
//! changes nothing the guest can observe.

use std::io::Write;
use std::path::PathBuf;

use wasmtime::Module;

/// Whether `EDGE_HOST_PERFMAP=1` asks for a map.
pub fn requested() -> bool {
    std::env::var_os("EDGE_HOST_PERFMAP").is_some_and(|v| v == "1")
}

/// Where perf looks for this process's map.
pub fn path() -> PathBuf {
    PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()))
}

/// Appends `module`'s functions to this process's perf map.
pub fn write(module: &Module) -> std::io::Result<()> {
    let text = module.text().as_ptr() as usize;
    let mut out =
        std::io::BufWriter::new(std::fs::OpenOptions::new().create(true).append(true).open(path())?);
    for function in module.functions() {
        let name = match &function.name {
            Some(name) => rustc_demangle::demangle(name).to_string(),
            None => format!("wasm-function[{}]", function.index.as_u32()),
        };
        // One line per function, whatever the module's name section holds.
        let name = name.replace(|c: char| c.is_control(), "?");
        writeln!(out, "{:x} {:x} wasm::{name}", text + function.offset, function.len)?;
    }
    out.flush()
}
