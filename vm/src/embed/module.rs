//! Verified modules.

use super::{Engine, Error};
use crate::bytecode::decode::decode;
use crate::bytecode::encode::encode;
use crate::bytecode::{self, TypeId, VerifiedModule};
use std::fmt;

/// A verified bytecode module, ready to instantiate in any store of its engine. Cheap to
/// clone; `Send` and `Sync`.
#[derive(Clone)]
pub struct Module {
    inner: VerifiedModule,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("functions", &self.inner.functions.len())
            .field("imports", &self.imports())
            .field("exports", &self.exports())
            .finish()
    }
}

/// A function a module imports from its host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportInfo {
    /// The host module (`app` in `extern "app" fn log(msg: str);`).
    pub module: String,
    /// The function's name.
    pub name: String,
    /// The signature as source text: `(str)`, `(int, int) -> bool`.
    pub signature: String,
}

/// A function a module exports (every top-level function of its main file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportInfo {
    /// The function's name.
    pub name: String,
    /// The signature as source text.
    pub signature: String,
}

/// `(int, str) -> bool` from type ids.
pub(crate) fn signature_text(m: &bytecode::Module, params: &[TypeId], ret: Option<TypeId>) -> String {
    let ps: Vec<String> = params.iter().map(|p| m.type_name(*p)).collect();
    match ret {
        Some(r) => format!("({}) -> {}", ps.join(", "), m.type_name(r)),
        None => format!("({})", ps.join(", ")),
    }
}

impl Module {
    /// Decodes and verifies bytecode (the bytes of a `.bc` file). Untrusted bytes are
    /// fine: malformed input is an [`Error::Decode`] or [`Error::Invalid`], never a panic.
    pub fn from_bytes(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        Module::from_bytecode(engine, decode(bytes)?)
    }

    /// Verifies a module built in memory (as the compiler returns it).
    pub fn from_bytecode(engine: &Engine, module: bytecode::Module) -> Result<Module, Error> {
        let _ = engine;
        Ok(Module { inner: VerifiedModule::new(module)? })
    }

    /// The bytecode, as `vm build` would write it.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.inner)
    }

    /// The module's bytecode.
    pub fn bytecode(&self) -> &bytecode::Module {
        &self.inner
    }

    /// The module as the verifier accepted it.
    pub fn verified(&self) -> &VerifiedModule {
        &self.inner
    }

    /// The host functions the module needs, in import order.
    pub fn imports(&self) -> Vec<ImportInfo> {
        let m = &self.inner;
        m.imports
            .iter()
            .map(|i| ImportInfo {
                module: i.module.clone(),
                name: i.name.clone(),
                signature: signature_text(m, &i.params, i.ret),
            })
            .collect()
    }

    /// The functions a host can call.
    pub fn exports(&self) -> Vec<ExportInfo> {
        let m = &self.inner;
        m.exports
            .iter()
            .filter_map(|e| {
                let f = m.functions.get(e.func as usize)?;
                Some(ExportInfo { name: e.name.clone(), signature: signature_text(m, &f.params, f.ret) })
            })
            .collect()
    }
}
