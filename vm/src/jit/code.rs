//! The native code of one instance, and compiling functions into it.

use super::translate::{native_signature, refill_signature, Translator};
use crate::bytecode::Module;
use crate::runtime::code::{FuncMeta, Funcs};
use crate::runtime::shims;
use crate::runtime::vm::offsets;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::UserFuncName;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, Signature};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module as _;

/// Code generator settings: optimized code; Cranelift's IR verifier in debug builds.
fn flags() -> settings::Flags {
    let mut b = settings::builder();
    let _ = b.set("opt_level", "speed");
    let _ = b.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" });
    settings::Flags::new(b)
}

/// The compiled code of one instance: a `JITModule` whose memory is freed when the
/// instance is dropped, and the builder contexts reused from function to function.
pub(crate) struct JitCode {
    module: Option<JITModule>,
    ctx: Context,
    fctx: FunctionBuilderContext,
    cc: CallConv,
    /// The address of the refill trampoline (see [`refill_trampoline`]).
    refill: usize,
}

// Safety: the module's code and data are used only by the instance that owns this (one
// thread at a time: a `Vm` is `Send`, not `Sync`), and nothing else holds its pointers.
unsafe impl Send for JitCode {}

impl JitCode {
    /// A code generator for the host machine, or why there is none.
    pub(crate) fn new() -> Result<JitCode, String> {
        let isa_builder = cranelift_native::builder().map_err(|e| e.to_string())?;
        let isa = isa_builder.finish(flags()).map_err(|e| e.to_string())?;
        let cc = isa.default_call_conv();
        let mut module = JITModule::new(JITBuilder::with_isa(isa, cranelift_module::default_libcall_names()));
        let mut ctx = module.make_context();
        let mut fctx = FunctionBuilderContext::new();
        refill_trampoline(&mut ctx, &mut fctx, cc, module.target_config());
        let id = module.declare_anonymous_function(&ctx.func.signature).map_err(|e| e.to_string())?;
        module.define_function(id, &mut ctx).map_err(|e| format!("{e:?}"))?;
        module.clear_context(&mut ctx);
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let refill = module.get_finalized_function(id) as usize;
        Ok(JitCode { module: Some(module), ctx, fctx, cc, refill })
    }

    /// Compiles function `fi`; returns its entry's address (a `NativeFn`).
    pub(crate) fn compile(&mut self, m: &Module, meta: &[FuncMeta], fi: u32) -> Result<usize, String> {
        let module = self.module.as_mut().ok_or("no code generator")?;
        self.ctx.clear();
        self.ctx.func.signature = native_signature(self.cc);
        let id = module.declare_anonymous_function(&self.ctx.func.signature).map_err(|e| e.to_string())?;
        self.ctx.func.name = UserFuncName::user(0, id.as_u32());
        let target = module.target_config();
        {
            let b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            Translator::new(b, m, meta, fi, self.cc, self.refill, id.as_u32()).translate(target);
        }
        module.define_function(id, &mut self.ctx).map_err(|e| format!("{e:?}"))?;
        module.clear_context(&mut self.ctx);
        module.finalize_definitions().map_err(|e| e.to_string())?;
        Ok(module.get_finalized_function(id) as usize)
    }
}

/// Builds into `ctx` the refill trampoline: a function in the `PreserveAll` convention
/// (its callers lose no register to it) that calls `rt_refill_one(vm)` and leaves its
/// status in `Exec::status`. Native code calls it where a loop's fuel countdown runs out,
/// so the loop's values need not leave machine registers for a call that is almost never
/// made.
fn refill_trampoline(
    ctx: &mut Context,
    fctx: &mut FunctionBuilderContext,
    cc: CallConv,
    target: cranelift_codegen::isa::TargetFrontendConfig,
) {
    ctx.clear();
    let mut sig = Signature::new(CallConv::PreserveAll);
    sig.params.push(AbiParam::new(types::I64));
    ctx.func.signature = sig;
    let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
    let blk = b.create_block();
    b.append_block_params_for_function_params(blk);
    b.switch_to_block(blk);
    b.seal_block(blk);
    let vm = b.block_params(blk)[0];
    let sr = b.import_signature(refill_signature(cc));
    let f = b.ins().iconst(types::I64, shims::rt_refill_one as *const () as i64);
    let call = b.ins().call_indirect(sr, f, &[vm]);
    let st = b.inst_results(call)[0];
    let st = b.ins().uextend(types::I64, st);
    b.ins().store(MemFlagsData::trusted(), st, vm, offsets::STATUS as i32);
    b.ins().return_(&[]);
    b.finalize(target);
}

impl Drop for JitCode {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // Safety: the instance that owns this is being dropped, so nothing can call
            // into its native code any more.
            unsafe { m.free_memory() };
        }
    }
}

/// One function compiled for some machine, to look at (not to run).
#[derive(Clone, Debug)]
pub struct CompiledFunction {
    /// The function's name in the module.
    pub name: String,
    /// Its Cranelift IR, after optimization.
    pub ir: String,
    /// Bytes of machine code.
    pub code_size: usize,
    /// The machine code, as Cranelift prints it (its instructions after register
    /// allocation).
    pub asm: String,
}

/// Compiles every function of a verified module (but those too large ever to be compiled)
/// for the machine named by `triple`
/// (`aarch64-unknown-linux-gnu`, `x86_64-unknown-linux-gnu`, or `None` for this host),
/// with Cranelift's IR verifier on, without running anything: for looking at the code a
/// function becomes, and for keeping every backend building every program.
pub fn compile_for_isa(
    m: &crate::bytecode::VerifiedModule,
    triple: Option<&str>,
) -> Result<Vec<CompiledFunction>, String> {
    let mut b = settings::builder();
    let _ = b.set("opt_level", "speed");
    let _ = b.set("enable_verifier", "true");
    let fl = settings::Flags::new(b);
    let isa: OwnedTargetIsa = match triple {
        Some(t) => cranelift_codegen::isa::lookup_by_name(t)
            .map_err(|e| format!("{t}: {e}"))?
            .finish(fl)
            .map_err(|e| e.to_string())?,
        None => cranelift_native::builder().map_err(|e| e.to_string())?.finish(fl).map_err(|e| e.to_string())?,
    };
    let cc = isa.default_call_conv();
    let funcs = Funcs::new(m);
    let mut fctx = FunctionBuilderContext::new();
    let mut out = Vec::new();
    let mut ctx = Context::new();
    refill_trampoline(&mut ctx, &mut fctx, cc, isa.frontend_config());
    ctx.compile(&*isa, &mut ControlPlane::default()).map_err(|e| format!("the refill trampoline: {:?}", e.inner))?;
    for (i, f) in m.functions.iter().enumerate() {
        if f.code.len() > super::tiers::MAX_INSTRUCTIONS || f.regs.len() > super::tiers::MAX_REGISTERS {
            // Never compiled (see `tiers::MAX_INSTRUCTIONS`).
            continue;
        }
        let mut ctx = Context::new();
        ctx.set_disasm(true);
        ctx.func.signature = native_signature(cc);
        ctx.func.name = UserFuncName::user(0, i as u32);
        {
            let b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            // A stand-in address: this code is never run.
            Translator::new(b, m, &funcs.meta, i as u32, cc, 0x1000, i as u32).translate(isa.frontend_config());
        }
        let code = ctx
            .compile(&*isa, &mut ControlPlane::default())
            .map_err(|e| format!("function {i} ({}): {:?}", f.name, e.inner))?;
        let code_size = code.code_info().total_size as usize;
        let asm = code.vcode.clone().unwrap_or_default();
        out.push(CompiledFunction { name: f.name.clone(), ir: ctx.func.display().to_string(), code_size, asm });
    }
    Ok(out)
}
