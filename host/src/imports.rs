//! Binding a module's imports to host functions, by name *and type* (§1).
//!
//! WasmEdge registers each socket call as V1 under its plain name and as V2
//! under `<name>_v2` ([`crate::host_functions`] lists both); an import `X`
//! whose type differs from V1's binds to `X_v2` if that type matches. A
//! module may import one name twice with different types (two socket crate
//! versions), so imports are resolved one by one into a positional list for
//! `Instance::new` instead of a `Linker`. Types are compared by wasmtime
//! (`FuncType::matches`, which for these number-only signatures is exact
//! equality, WasmEdge's `matchType`). Anything unresolvable is reported
//! before the module starts, all at once.

use std::fmt;

use wasmtime::{Extern, ExternType, Func, FuncType, Module, Store};

use crate::host_functions;
use crate::host_state::HostState;

/// The import module every host function lives in.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// A function type as WAT, e.g. `(func (param i32 i32) (result i32))`:
/// wasmtime's `Display` without its `(type ...)` wrapper.
pub fn wat_signature(ty: &FuncType) -> String {
    let text = ty.to_string();
    match text.strip_prefix("(type ").and_then(|t| t.strip_suffix(')')) {
        Some(inner) => inner.to_string(),
        None => text,
    }
}

/// Why one import cannot be satisfied.
#[derive(Debug, Clone)]
pub enum Unresolved {
    /// An import from a module other than [`WASI_MODULE`].
    UnknownModule,
    /// A memory, table, global or tag import.
    NotAFunction,
    /// No host function of that name.
    NotProvided,
    /// Provided, but with this other type (V1's; the V2 form did not match
    /// either).
    OtherType(FuncType),
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unresolved::UnknownModule => write!(f, "unknown module; edge-host provides only {WASI_MODULE}"),
            Unresolved::NotAFunction => f.write_str("only functions are provided"),
            Unresolved::NotProvided => f.write_str("not provided"),
            Unresolved::OtherType(ty) => write!(f, "provided with type {}", wat_signature(ty)),
        }
    }
}

/// One import edge-host cannot satisfy.
#[derive(Debug, Clone)]
pub struct UnresolvedImport {
    pub module: String,
    pub name: String,
    pub ty: ExternType,
    pub reason: Unresolved,
}

impl fmt::Display for UnresolvedImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = match &self.ty {
            ExternType::Func(ty) => wat_signature(ty),
            other => format!("{other:?}"),
        };
        write!(f, "{}::{} {ty} ({})", self.module, self.name, self.reason)
    }
}

/// All imports that cannot be satisfied; the module does not start.
#[derive(Debug, thiserror::Error)]
pub struct ImportError {
    pub unresolved: Vec<UnresolvedImport>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the module needs {} import(s) edge-host does not provide:", self.unresolved.len())?;
        for import in &self.unresolved {
            write!(f, "\n  {import}")?;
        }
        Ok(())
    }
}

/// Resolves every import of `module`, in order, to a host function.
pub fn resolve(store: &mut Store<HostState>, module: &Module) -> Result<Vec<Extern>, ImportError> {
    let mut resolved = Vec::new();
    let mut unresolved = Vec::new();
    for import in module.imports() {
        let ty = import.ty();
        let outcome = match &ty {
            ExternType::Func(wanted) => resolve_func(store, import.module(), import.name(), wanted),
            _ => Err(Unresolved::NotAFunction),
        };
        match outcome {
            Ok(func) => resolved.push(Extern::Func(func)),
            Err(reason) => unresolved.push(UnresolvedImport {
                module: import.module().to_string(),
                name: import.name().to_string(),
                ty,
                reason,
            }),
        }
    }
    if unresolved.is_empty() {
        Ok(resolved)
    } else {
        Err(ImportError { unresolved })
    }
}

/// The function for one import: `name` if its type matches, else
/// `name_v2` if that exists with the wanted type.
fn resolve_func(
    store: &mut Store<HostState>,
    module: &str,
    name: &str,
    wanted: &FuncType,
) -> Result<Func, Unresolved> {
    if module != WASI_MODULE {
        return Err(Unresolved::UnknownModule);
    }
    let v1 = host_functions::find(name).ok_or(Unresolved::NotProvided)?.instantiate(store);
    let v1_ty = v1.ty(&*store);
    if v1_ty.matches(wanted) {
        return Ok(v1);
    }
    if let Some(v2) = host_functions::find(&format!("{name}_v2")) {
        let v2 = v2.instantiate(store);
        if v2.ty(&*store).matches(wanted) {
            return Ok(v2);
        }
    }
    Err(Unresolved::OtherType(v1_ty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host_functions::HOST_FUNCTIONS;

    fn store() -> Store<HostState> {
        let state = HostState::new(
            Default::default(),
            Default::default(),
            crate::fd_table::FdTable::new(Vec::new()),
            Default::default(),
        );
        Store::new(&wasmtime::Engine::default(), state)
    }

    #[test]
    fn host_function_names_are_unique() {
        for (i, a) in HOST_FUNCTIONS.iter().enumerate() {
            assert!(!HOST_FUNCTIONS[i + 1..].iter().any(|b| a.name == b.name), "{}", a.name);
        }
    }

    /// Every function returns an errno (one `i32`), except `proc_exit`,
    /// which returns nothing.
    #[test]
    fn every_host_function_returns_an_errno_except_proc_exit() {
        let engine = wasmtime::Engine::default();
        for function in HOST_FUNCTIONS {
            let ty = function.ty(&engine);
            let results: Vec<String> = ty.results().map(|r| r.to_string()).collect();
            let expected: &[&str] = if function.name == "proc_exit" { &[] } else { &["i32"] };
            assert_eq!(results, expected, "{}", function.name);
        }
    }

    /// Every table entry is reachable: importing its plain name (without
    /// `_v2`) with the entry's own type binds exactly that entry, so each V2
    /// form differs in type from its V1 form or shares its implementation.
    #[test]
    fn every_host_function_binds_by_its_plain_name_and_its_type() {
        let mut store = store();
        for function in HOST_FUNCTIONS {
            let ty = function.instantiate(&mut store).ty(&store);
            let plain = function.name.strip_suffix("_v2").unwrap_or(function.name);
            let bound = resolve_func(&mut store, WASI_MODULE, plain, &ty)
                .unwrap_or_else(|e| panic!("{}: {e}", function.name));
            assert!(FuncType::eq(&bound.ty(&store), &ty), "{}", function.name);
        }
    }

    #[test]
    fn every_v2_form_has_a_v1_form() {
        for function in HOST_FUNCTIONS {
            if let Some(plain) = function.name.strip_suffix("_v2") {
                assert!(host_functions::find(plain).is_some(), "{} has no V1", function.name);
            }
        }
    }

    #[test]
    fn signatures_are_written_as_wat() {
        let engine = wasmtime::Engine::default();
        let ty = FuncType::new(
            &engine,
            [wasmtime::ValType::I32, wasmtime::ValType::I64],
            [wasmtime::ValType::I32],
        );
        assert_eq!(wat_signature(&ty), "(func (param i32 i64) (result i32))");
        assert_eq!(wat_signature(&FuncType::new(&engine, [], [])), "(func)");
    }

    #[test]
    fn unresolvable_imports_say_why() {
        let mut store = store();
        let engine = store.engine().clone();
        let wanted =
            FuncType::new(&engine, std::iter::repeat_n(wasmtime::ValType::I32, 3), [wasmtime::ValType::I32]);
        let mut reason =
            |module, name| resolve_func(&mut store, module, name, &wanted).err().map(|r| r.to_string());
        assert_eq!(
            reason("env", "fd_close").as_deref(),
            Some("unknown module; edge-host provides only wasi_snapshot_preview1")
        );
        assert_eq!(reason(WASI_MODULE, "no_such_call").as_deref(), Some("not provided"));
        assert_eq!(
            reason(WASI_MODULE, "sock_shutdown").as_deref(),
            Some("provided with type (func (param i32 i32) (result i32))")
        );
        assert!(reason(WASI_MODULE, "sock_bind").is_none(), "sock_bind takes three i32");
    }
}
