//! One function's bytecode to Cranelift IR (one `translate_*` per kind of instruction).
//!
//! The native function has the signature of [`NativeFn`](crate::runtime::vm::NativeFn):
//! `(vm, regs, pc, ticks, index, base) -> (value, ticks)`: the frame's registers, where to
//! start, the fuel countdown (kept in a variable, written back around runtime calls), the
//! frame's index and register base; the returned countdown is `NATIVE_TRAPPED` when the
//! frame trapped (the trap waits in the pending-trap slot). The entry block either starts
//! at pc 0 — its arguments and captures are in memory; every other register is zeroed in
//! memory and 0 in its variable — or, for on-stack replacement, loads every register from
//! memory and jumps to the loop header `pc`. Blocks are made for
//! every jump target and after every jump, and sealed at the end (a loop's header gets
//! predecessors later in the code); the blocks an instruction makes for itself (a fuel
//! refill's, a trap's) are sealed as soon as their predecessors are all made, so that the
//! SSA builder merges at their joins only the variables that differ.
//!
//! Fuel is counted exactly where the interpreter counts it: one unit per call and per taken
//! loop jump, through the same countdown (`Exec::ticks`) and refill (`rt_refill_one`).

use super::constants::Constant;
use super::hoist::Hoisted;
use crate::bytecode::{Builtin, Instr, Kind, MathFn, Module, Op};
use crate::heap::ArrayKind;
use crate::runtime::code::{FuncMeta, OptInner, Shape};
use crate::runtime::shims;
use crate::runtime::vm::offsets as off;
use crate::runtime::vm::NATIVE_TRAPPED;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, ExtFuncData, ExternalName, FuncRef, InstBuilder, MemFlagsData, SigRef, Signature, Type,
    UserExternalName, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Switch, Variable};

/// Signatures of the functions native code calls.
struct Sigs {
    native: SigRef,
    op1: SigRef,
    op2: SigRef,
    op3: SigRef,
    frame2: SigRef,
    frame3: SigRef,
    trap: SigRef,
    /// The refill trampoline's: preserves every register, returns nothing.
    refill_all: SigRef,
    push_frame: SigRef,
    pure2: SigRef,
    opt_eq: SigRef,
    math1: SigRef,
    math2: SigRef,
}

/// Byte offsets inside heap objects native code reads.
mod obj {
    use crate::heap::{ArrayObj, BoxObj, StructObj};
    pub const ARRAY_PTR: i32 = ArrayObj::PTR_OFFSET as i32;
    pub const ARRAY_LEN: i32 = ArrayObj::LEN_OFFSET as i32;
    pub const ARRAY_CAP: i32 = ArrayObj::CAP_OFFSET as i32;
    pub const STRUCT_FIELDS: i32 = std::mem::size_of::<StructObj>() as i32;
    pub const BOX_VALUE: i32 = std::mem::offset_of!(BoxObj, value) as i32;
    /// A header's `aux` (a closure's function index).
    pub const HEADER_AUX: i32 = std::mem::offset_of!(crate::heap::Header, aux) as i32;
}

/// A recursion's base case, decided in the caller: the function's first instruction is a
/// forward conditional jump on its parameters, and one of its two ways returns at once.
/// A recursive call that finds its callee's frame fits (so pushing it could neither trap
/// nor grow the stacks) evaluates the jump on the arguments and, on that way, takes the
/// result without pushing the frame or calling: no trap, collection, fuel or safepoint can
/// happen between that frame's push and its pop, so nothing can tell the difference.
#[derive(Clone, Copy, Debug)]
struct BaseCase {
    /// The callee's first instruction.
    branch: Instr,
    /// Whether the callee returns when the jump is taken (else when it falls through).
    when_taken: bool,
    returned: Returned,
}

/// What a base case returns.
#[derive(Clone, Copy, Debug)]
enum Returned {
    /// Parameter `p`: the call's argument `R[c + p]`.
    Param(u16),
    /// An integer constant.
    Int(i64),
}

impl BaseCase {
    /// The base case of function `fi`, if it starts with one.
    fn of(m: &Module, meta: &[FuncMeta], fi: u32) -> Option<BaseCase> {
        let (code, fm) = (&m.functions[fi as usize].code, &meta[fi as usize]);
        let branch = *code.first()?;
        let np = fm.nparams as u16;
        if fm.ncaptures != 0 || !fm.has_ret {
            return None;
        }
        use Op::*;
        // Forward conditional jumps only (loop jumps are their own opcodes, which use fuel).
        let params_only = match branch.op {
            JmpIf | JmpIfNot | JmpIfNil | JmpIfNotNil => branch.a < np,
            JmpIfLtIK | JmpIfNotLtIK | JmpIfLeIK | JmpIfNotLeIK | JmpIfEqIK | JmpIfNeIK => branch.a < np,
            JmpIfLtI | JmpIfNotLtI | JmpIfLeI | JmpIfNotLeI | JmpIfEqI | JmpIfNeI | JmpIfLtF | JmpIfLeF
            | JmpIfNotLtF | JmpIfNotLeF => branch.a < np && branch.b < np,
            _ => false,
        };
        if !params_only {
            return None;
        }
        // What the code at `pc` returns, if it returns at once.
        let returns_at = |pc: usize| -> Option<Returned> {
            match *code.get(pc)? {
                Instr { op: Ret, a, .. } if a < np => Some(Returned::Param(a)),
                Instr { op: LoadInt, a, .. } => {
                    let k = code[pc].sbc() as i64;
                    match code.get(pc + 1)? {
                        Instr { op: Ret, a: r, .. } if *r == a => Some(Returned::Int(k)),
                        _ => None,
                    }
                }
                _ => None,
            }
        };
        let target = branch.jump_target(0);
        if let Some(returned) = returns_at(1) {
            Some(BaseCase { branch, when_taken: false, returned })
        } else {
            returns_at(target).map(|returned| BaseCase { branch, when_taken: true, returned })
        }
    }
}

/// Translates function `fi` of `m` into `b`'s function.
pub(crate) struct Translator<'a, 'b> {
    b: FunctionBuilder<'b>,
    m: &'a Module,
    meta: &'a [FuncMeta],
    fi: u32,
    code: &'a [Instr],
    vars: Vec<Variable>,
    float: Vec<bool>,
    /// Per pc, the registers to write back at a spill point there, and before the
    /// instruction runs (`regs::analyze`).
    dirty: Vec<Vec<u64>>,
    spills_before: Vec<Vec<u64>>,
    /// The instruction being translated.
    cur_pc: usize,
    blocks: Vec<Option<Block>>,
    /// Loop headers: where on-stack replacement may enter.
    loop_headers: Vec<usize>,
    sigs: Sigs,
    vm: Value,
    regs_var: Variable,
    /// The fuel countdown, kept in a machine register: written to `Exec::ticks` before
    /// anything that may use or look at fuel, read back after it.
    ticks: Variable,
    my_index: Value,
    my_base: Value,
    /// `my_index` frames in bytes: this frame is at `Exec::frames + my_offset`.
    my_offset: Value,
    /// Returns `(status, 0)`: a trap is pending.
    exit: Block,
    /// Whether the current block has its terminator.
    ended: bool,
    /// The refill trampoline (see `code::refill_trampoline`).
    refill: usize,
    /// This function itself, for direct recursive calls.
    self_ref: FuncRef,
    /// The highest register-stack top (past `my_base`) that a frame push of this straight
    /// line of code has already found room for, at depth `my_index + 1`: room the register
    /// stack and the frames keep (they only grow while the function runs), so a later push
    /// needing no more skips the check. `None` at every block start.
    room_checked: Option<i64>,
    /// Whether a call of this straight line of code has found the machine stack above its
    /// limit (the stack pointer does not move inside a function, the limit only while the
    /// host calls in). `false` at every block start.
    stack_checked: bool,
    /// This function's base case, which its recursive calls decide in place.
    base_case: Option<BaseCase>,
    /// Where array registers keep their length and element pointer in variables.
    hoisted: Hoisted,
    /// Per register with regions in `hoisted`: the variables of its array's length and
    /// element pointer.
    headers: Vec<Option<(Variable, Variable)>>,
    /// Blocks made by [`Self::edge`] that read headers on entry, to fill once the jump to
    /// them is made: (block, pc it goes on to, registers).
    entries: Vec<(Block, usize, Vec<u16>)>,
    /// Per register: the constant it holds after the pc of its only write (see
    /// `constants.rs`).
    constants: Vec<Option<(Constant, usize)>>,
    /// Whether the function calls Kite functions (pushes frames from `my_index`).
    pushes: bool,
}

const W: Type = types::I64;
const F: Type = types::F64;

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Makes a signature of `params` and `returns` in `cc`.
fn sig(cc: CallConv, params: &[Type], returns: &[Type]) -> Signature {
    let mut s = Signature::new(cc);
    s.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    s.returns.extend(returns.iter().map(|&t| AbiParam::new(t)));
    s
}

/// The signature of the refill trampoline's call of `rt_refill_one`.
pub(crate) fn refill_signature(cc: CallConv) -> Signature {
    sig(cc, &[W], &[types::I32])
}

/// The signature of every function's native code (`NativeFn`).
pub(crate) fn native_signature(cc: CallConv) -> Signature {
    sig(cc, &[W, W, types::I32, W, W, W], &[W, W])
}

impl<'a, 'b> Translator<'a, 'b> {
    pub(crate) fn new(
        mut b: FunctionBuilder<'b>,
        m: &'a Module,
        meta: &'a [FuncMeta],
        fi: u32,
        cc: CallConv,
        refill: usize,
        self_name: u32,
    ) -> Self {
        let f = &m.functions[fi as usize];
        let i32t = types::I32;
        let sigs = Sigs {
            native: b.import_signature(native_signature(cc)),
            op1: b.import_signature(sig(cc, &[W, W, i32t], &[i32t])),
            op2: b.import_signature(sig(cc, &[W, W, i32t, i32t], &[i32t])),
            op3: b.import_signature(sig(cc, &[W, W, i32t, i32t, i32t], &[i32t])),
            frame2: b.import_signature(sig(cc, &[W, i32t, i32t], &[i32t])),
            frame3: b.import_signature(sig(cc, &[W, i32t, i32t, i32t], &[i32t])),
            trap: b.import_signature(sig(cc, &[W, i32t, W, W], &[i32t])),
            refill_all: b.import_signature(sig(CallConv::PreserveAll, &[W], &[])),
            push_frame: b.import_signature(sig(cc, &[W, i32t, W, i32t], &[i32t])),
            pure2: b.import_signature(sig(cc, &[W, W], &[W])),
            opt_eq: b.import_signature(sig(cc, &[W, W, i32t], &[W])),
            math1: b.import_signature(sig(cc, &[i32t, F], &[F])),
            math2: b.import_signature(sig(cc, &[F, F], &[F])),
        };
        // The function's own name (`UserFuncName::user(0, self_name)`), as a callee.
        let name = b.func.declare_imported_user_function(UserExternalName::new(0, self_name));
        let self_ref = b.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature: sigs.native,
            colocated: true,
            patchable: false,
        });
        let float: Vec<bool> = f.regs.iter().map(|&t| m.kind(t) == Kind::Float).collect();
        let vars = float.iter().map(|&fl| b.declare_var(if fl { F } else { W })).collect();
        let regs_var = b.declare_var(W);
        let ticks = b.declare_var(W);
        let spills = super::regs::analyze(m, meta, fi);
        let (dirty, spills_before) = (spills.at, spills.before);
        let mut blocks = vec![None; f.code.len() + 1];
        let mut loop_headers = Vec::new();
        for (pc, ins) in f.code.iter().enumerate() {
            if ins.op.is_jump() {
                let target = ins.jump_target(pc);
                blocks[target] = Some(b.create_block());
                blocks[pc + 1] = Some(b.create_block());
                if ins.op.is_loop() && !loop_headers.contains(&target) {
                    loop_headers.push(target);
                }
            }
            if matches!(ins.op, Op::Ret | Op::RetVoid) {
                blocks[pc + 1] = Some(b.create_block());
            }
        }
        if blocks[0].is_none() {
            blocks[0] = Some(b.create_block());
        }
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let vm = b.block_params(entry)[0];
        let regs = b.block_params(entry)[1];
        let exit = b.create_block();
        let shapes: Vec<Shape> = meta[fi as usize].regs.iter().map(|&(_, s)| s).collect();
        let hoisted = Hoisted::analyze(&f.code, &shapes);
        let headers = (0..f.regs.len() as u16)
            .map(|r| hoisted.has_regions(r).then(|| (b.declare_var(W), b.declare_var(W))))
            .collect();
        let mut t = Translator {
            b,
            m,
            meta,
            fi,
            code: &f.code,
            vars,
            float,
            dirty,
            spills_before,
            cur_pc: 0,
            blocks,
            loop_headers,
            sigs,
            vm,
            regs_var,
            ticks,
            my_index: regs,
            my_base: regs,
            my_offset: regs,
            exit,
            ended: false,
            refill,
            self_ref,
            room_checked: None,
            stack_checked: false,
            base_case: BaseCase::of(m, meta, fi),
            hoisted,
            headers,
            entries: Vec::new(),
            constants: super::constants::analyze(m, meta, fi),
            pushes: f.code.iter().any(|i| matches!(i.op, Op::Call | Op::CallClosure)),
        };
        t.b.def_var(t.regs_var, regs);
        // The countdown, this frame's index and base come as arguments (see `NativeFn`).
        let params = t.b.block_params(entry).to_vec();
        t.b.def_var(t.ticks, params[3]);
        t.my_index = params[4];
        t.my_base = params[5];
        t.my_offset = t.b.ins().imul_imm_s(t.my_index, off::FRAME_SIZE as i64);
        t
    }

    // ---- small helpers ----

    fn iconst(&mut self, v: i64) -> Value {
        self.b.ins().iconst(W, v)
    }
    fn i32c(&mut self, v: u32) -> Value {
        self.b.ins().iconst(types::I32, v as i64)
    }
    fn load_vm(&mut self, ty: Type, offset: usize) -> Value {
        self.b.ins().load(ty, flags(), self.vm, offset as i32)
    }
    fn store_vm(&mut self, v: Value, offset: usize) {
        self.b.ins().store(flags(), v, self.vm, offset as i32);
    }
    fn regs(&mut self) -> Value {
        self.b.use_var(self.regs_var)
    }
    /// The address of this function's frame (the frames move when they grow). In a
    /// function that calls Kite functions, from `my_offset` (its calls need `my_index`
    /// anyway); in one that does not, from the VM alone: while a function's code runs its
    /// frame is the innermost one (frames it pushed are popped when their calls return),
    /// and `my_index` then takes no register in its loops.
    fn frame_ptr(&mut self) -> Value {
        let frames = self.load_vm(W, off::FRAMES);
        if self.pushes {
            return self.b.ins().iadd(frames, self.my_offset);
        }
        let depth = self.load_vm(W, off::DEPTH);
        let at = self.b.ins().imul_imm_s(depth, off::FRAME_SIZE as i64);
        let end = self.b.ins().iadd(frames, at);
        self.b.ins().iadd_imm_s(end, -(off::FRAME_SIZE as i64))
    }
    /// After anything that can push a frame: the register stack may have moved. Returns
    /// where it is now.
    fn reload_regs_ptr(&mut self) -> Value {
        let base = self.load_vm(W, off::REGS);
        let at = self.b.ins().ishl_imm_u(self.my_base, 3);
        let regs = self.b.ins().iadd(base, at);
        self.b.def_var(self.regs_var, regs);
        base
    }
    /// The frame's next pc, for a trace (as the interpreter saves it: one past `pc`).
    fn save_pc(&mut self, pc: usize) {
        let fp = self.frame_ptr();
        let v = self.i32c(pc as u32 + 1);
        self.b.ins().store(flags(), v, fp, off::FRAME_PC as i32);
    }
    fn get(&mut self, r: u16) -> Value {
        match self.constants[r as usize] {
            Some((Constant::Word(k), at)) if self.cur_pc > at => self.iconst(k),
            Some((Constant::Float(x), at)) if self.cur_pc > at => self.b.ins().f64const(x),
            _ => self.b.use_var(self.vars[r as usize]),
        }
    }
    /// Register `r` as a 64-bit word (a float's bits).
    fn get_word(&mut self, r: u16) -> Value {
        let v = self.get(r);
        if self.float[r as usize] {
            self.b.ins().bitcast(W, MemFlagsData::new(), v)
        } else {
            v
        }
    }
    fn set(&mut self, r: u16, v: Value) {
        self.b.def_var(self.vars[r as usize], v);
    }
    /// Sets register `r` from a 64-bit word.
    fn set_word(&mut self, r: u16, v: Value) {
        let v = if self.float[r as usize] { self.b.ins().bitcast(F, MemFlagsData::new(), v) } else { v };
        self.set(r, v);
    }
    fn set_bool(&mut self, r: u16, c: Value) {
        let v = self.b.ins().uextend(W, c);
        self.set(r, v);
    }
    fn slot_ty(&self, r: u16) -> Type {
        if self.float[r as usize] {
            F
        } else {
            W
        }
    }
    /// Writes register `r` to its slot in VM memory.
    fn spill(&mut self, r: u16) {
        let v = self.get(r);
        let regs = self.regs();
        self.b.ins().store(flags(), v, regs, r as i32 * 8);
    }
    /// Reads register `r` from its slot in VM memory.
    fn reload(&mut self, r: u16) {
        let regs = self.regs();
        let v = {
            let ty = self.slot_ty(r);
            self.b.ins().load(ty, flags(), regs, r as i32 * 8)
        };
        self.set(r, v);
    }
    /// Writes back every live register that may differ from memory here: before anything
    /// that may collect (every live reference must be in a root), call, or look at the
    /// frame. Afterwards the frame in memory is current for everything still observable.
    fn spill_dirty(&mut self) {
        self.spill_set(false);
    }
    /// Writes back what must be in memory at this spill point, or (`before`) before this
    /// instruction runs.
    fn spill_set(&mut self, before: bool) {
        let set = if before { &self.spills_before } else { &self.dirty };
        for w in 0..set[self.cur_pc].len() {
            let set = if before { &self.spills_before } else { &self.dirty };
            let mut bits = set[self.cur_pc][w];
            while bits != 0 {
                let r = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.spill(r as u16);
            }
        }
    }
    /// Calls a function that neither uses fuel nor looks at the VM (math, string compares).
    fn call_pure(&mut self, sig: SigRef, addr: usize, args: &[Value]) -> Vec<Value> {
        let callee = self.iconst(addr as i64);
        let call = self.b.ins().call_indirect(sig, callee, args);
        self.b.inst_results(call).to_vec()
    }
    /// Calls a runtime function: the fuel countdown goes to memory first and comes back
    /// after (it may use fuel, run the program, or trap and report the fuel left).
    fn call_addr(&mut self, sig: SigRef, addr: usize, args: &[Value]) -> Vec<Value> {
        self.ticks_out();
        let r = self.call_pure(sig, addr, args);
        self.ticks_in();
        r
    }
    fn ticks_out(&mut self) {
        let t = self.b.use_var(self.ticks);
        self.store_vm(t, off::TICKS);
    }
    fn ticks_in(&mut self) {
        let t = self.load_vm(W, off::TICKS);
        self.b.def_var(self.ticks, t);
    }
    /// Continues if `status` (an i32 or i64) is 0, else returns it.
    fn check(&mut self, status: Value) {
        let ok = self.b.create_block();
        let st = if self.b.func.dfg.value_type(status) == W { status } else { self.b.ins().uextend(W, status) };
        // Going on from a cold path (a refill, a slow push) is as cold: laid out with it,
        // not between the hot blocks where it would cost the hot path a taken jump.
        let cold = self.b.current_block().is_some_and(|c| self.b.func.layout.is_cold(c));
        self.b.ins().brif(st, self.exit, &[], ok, &[]);
        self.b.seal_block(ok);
        self.b.switch_to_block(ok);
        if cold {
            self.b.set_cold_block(ok);
        }
    }
    /// Raises trap `code` (a `shims::TRAP_*`) at `pc`, in a cold block, when `cond` holds.
    fn trap_if(&mut self, cond: Value, pc: usize, code: u32, x: Value, y: Value) {
        let cold = self.b.create_block();
        let cont = self.b.create_block();
        self.b.ins().brif(cond, cold, &[], cont, &[]);
        self.b.seal_block(cold);
        self.b.seal_block(cont);
        self.b.switch_to_block(cold);
        self.b.set_cold_block(cold);
        self.save_pc(pc);
        let c = self.i32c(code);
        let vm = self.vm;
        // It always traps.
        self.call_addr(self.sigs.trap, shims::rt_trap as *const () as usize, &[vm, c, x, y]);
        self.b.ins().jump(self.exit, &[]);
        self.b.switch_to_block(cont);
    }
    /// One unit of fuel, at `pc` (a call or a taken loop jump): the countdown, and its
    /// refill out of line (which polls the interrupt flag, or traps with `out of fuel`).
    fn fuel(&mut self, pc: usize) {
        let t = self.b.use_var(self.ticks);
        let cold = self.b.create_block();
        let hot = self.b.create_block();
        let cont = self.b.create_block();
        self.b.ins().brif(t, hot, &[], cold, &[]);
        self.b.seal_block(hot);
        self.b.seal_block(cold);
        self.b.switch_to_block(hot);
        let left = self.b.ins().iadd_imm_s(t, -1);
        self.b.def_var(self.ticks, left);
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cold);
        self.b.set_cold_block(cold);
        self.save_pc(pc);
        // Whatever the refill leads to (a snapshot, a look at the frame) sees it current.
        self.spill_set(true);
        let vm = self.vm;
        // Through the trampoline that preserves every register, so that a loop's values
        // stay in registers across this (rare) call.
        self.ticks_out();
        let tramp = self.iconst(self.refill as i64);
        self.b.ins().call_indirect(self.sigs.refill_all, tramp, &[vm]);
        self.ticks_in();
        let st = self.load_vm(W, off::STATUS);
        self.check(st);
        self.b.ins().jump(cont, &[]);
        // Its predecessors are all known: the SSA builder then merges only what differs
        // (the countdown), not every variable live through it.
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    fn block_at(&self, pc: usize) -> Block {
        self.blocks[pc].expect("a block at every jump target")
    }

    /// The block a jump from `from` (`None`: the start, or an on-stack replacement) to
    /// `to` goes to: `to`'s own or, when the jump enters regions where array headers are
    /// kept in variables (see `hoist.rs`), one that reads them first. Such blocks are
    /// filled by [`Self::fill_entries`] once the jump to them is made.
    fn edge(&mut self, from: Option<usize>, to: usize) -> Block {
        let regs = self.hoisted.entering(from, to);
        if regs.is_empty() {
            return self.block_at(to);
        }
        let blk = self.b.create_block();
        self.entries.push((blk, to, regs));
        blk
    }

    /// Fills the blocks [`Self::edge`] made: each reads its registers' array headers and
    /// goes on.
    fn fill_entries(&mut self) {
        for (blk, to, regs) in std::mem::take(&mut self.entries) {
            self.b.switch_to_block(blk);
            for r in regs {
                let (len_var, ptr_var) = self.headers[r as usize].expect("variables for every held register");
                // An array register holds an array or, before its first write, 0: no
                // instruction reads a header through 0 (the verifier sees to it), but this
                // read comes before any of them, so it reads a harmless word instead.
                let arr = self.get(r);
                let is_nil = self.b.ins().icmp_imm_s(IntCC::Equal, arr, 0);
                let at = self.b.ins().select(is_nil, self.vm, arr);
                let len = self.b.ins().load(W, flags(), at, obj::ARRAY_LEN);
                let ptr = self.b.ins().load(W, flags(), at, obj::ARRAY_PTR);
                self.b.def_var(len_var, len);
                self.b.def_var(ptr_var, ptr);
            }
            let t = self.block_at(to);
            self.b.ins().jump(t, &[]);
        }
    }

    /// The length of the array in register `r` at `pc`.
    fn array_len(&mut self, pc: usize, r: u16) -> Value {
        self.array_header(pc, r, false)
    }

    /// The element pointer of the array in register `r` at `pc`.
    fn array_ptr(&mut self, pc: usize, r: u16) -> Value {
        self.array_header(pc, r, true)
    }

    /// The length (or, with `ptr`, the element pointer) of the array in register `r` at
    /// `pc`: from its variable inside a region that keeps it, else read from the array.
    fn array_header(&mut self, pc: usize, r: u16, ptr: bool) -> Value {
        match self.headers[r as usize] {
            Some((len_var, ptr_var)) if self.hoisted.holds(r, pc) => {
                self.b.use_var(if ptr { ptr_var } else { len_var })
            }
            _ => {
                let arr = self.get(r);
                self.b.ins().load(W, flags(), arr, if ptr { obj::ARRAY_PTR } else { obj::ARRAY_LEN })
            }
        }
    }

    // ---- the function ----

    /// Translates the whole function; the builder is then ready to finalize.
    pub(crate) fn translate(mut self, cc_target: cranelift_codegen::isa::TargetFrontendConfig) {
        let fm = &self.meta[self.fi as usize];
        let filled = fm.nparams + fm.ncaptures;
        let n = self.vars.len();
        let osr = self.b.block_params(self.b.current_block().expect("entry"))[2];
        // A call (native callers checked the machine stack: see `run_callee`), or an
        // on-stack replacement.
        let body = self.b.create_block();
        let enter_osr = self.b.create_block();
        self.b.ins().brif(osr, enter_osr, &[], body, &[]);

        // Arguments and captures from memory, the rest 0; reference registers are zeroed
        // in memory too (the collector must never see a stale pointer there), the others
        // are written at the first spill that needs them.
        self.b.switch_to_block(body);
        for r in 0..n as u16 {
            if (r as usize) < filled {
                self.reload(r);
            } else {
                let z = if self.float[r as usize] { self.b.ins().f64const(0.0) } else { self.iconst(0) };
                self.set(r, z);
                if self.meta[self.fi as usize].ref_regs.contains(&r) {
                    let regs = self.regs();
                    self.b.ins().store(flags(), z, regs, r as i32 * 8);
                }
            }
        }
        let first = self.edge(None, 0);
        self.b.ins().jump(first, &[]);
        self.fill_entries();

        // On-stack replacement at a loop header: every register from memory.
        self.b.switch_to_block(enter_osr);
        for r in 0..n as u16 {
            self.reload(r);
        }
        let bad = self.b.create_block();
        let mut sw = Switch::new();
        for h in self.loop_headers.clone() {
            let to = self.edge(None, h);
            sw.set_entry(h as u128, to);
        }
        sw.emit(&mut self.b, osr, bad);
        self.b.switch_to_block(bad);
        self.b.set_cold_block(bad);
        let z = self.iconst(0);
        let c = self.i32c(u32::MAX);
        let vm = self.vm;
        self.call_addr(self.sigs.trap, shims::rt_trap as *const () as usize, &[vm, c, z, z]);
        self.b.ins().jump(self.exit, &[]);
        self.fill_entries();

        self.ended = true;
        for pc in 0..self.code.len() {
            if let Some(blk) = self.blocks[pc] {
                if !self.ended {
                    let to = self.edge(Some(pc - 1), pc);
                    self.b.ins().jump(to, &[]);
                    self.fill_entries();
                }
                self.b.switch_to_block(blk);
                self.ended = false;
                self.room_checked = None;
                self.stack_checked = false;
            } else if self.ended {
                // Unreachable code after a jump: give it a block of its own.
                let blk = self.b.create_block();
                self.b.switch_to_block(blk);
                self.ended = false;
                self.room_checked = None;
                self.stack_checked = false;
            }
            let ins = self.code[pc];
            #[cfg(feature = "op-counts")]
            {
                let counter = self.iconst(crate::op_counts::NATIVE.addr(ins.op) as i64);
                let one = self.iconst(1);
                let rmw = cranelift_codegen::ir::AtomicRmwOp::Add;
                self.b.ins().atomic_rmw(types::I64, MemFlagsData::trusted(), rmw, counter, one);
            }
            self.translate_instr(pc, ins);
        }
        if !self.ended {
            // The verifier guarantees no path falls off the end; a block here is dead.
            self.b.ins().jump(self.exit, &[]);
        }
        if let Some(blk) = self.blocks[self.code.len()] {
            self.b.switch_to_block(blk);
            self.b.ins().jump(self.exit, &[]);
        }

        // A trap is pending (and `Exec::ticks` current: every runtime call wrote it).
        self.b.switch_to_block(self.exit);
        self.b.set_cold_block(self.exit);
        let z = self.iconst(0);
        let trapped = self.iconst(NATIVE_TRAPPED as i64);
        self.b.ins().return_(&[z, trapped]);
        self.b.seal_all_blocks();
        self.b.finalize(cc_target);
    }

    fn translate_instr(&mut self, pc: usize, ins: Instr) {
        self.cur_pc = pc;
        let (a, b, c) = (ins.a, ins.b, ins.c);
        use Op::*;
        match ins.op {
            Nop => {}
            Move => {
                let v = self.get(b);
                self.set(a, v);
            }
            LoadInt => {
                let v = self.iconst(ins.sbc() as i64);
                self.set(a, v);
            }
            LoadBool => {
                let v = self.iconst((ins.bc() != 0) as i64);
                self.set(a, v);
            }
            LoadNil => {
                let v = self.iconst(0);
                self.set(a, v);
            }
            LoadConst => {
                let k = ins.bc() as usize;
                let v = match &self.m.consts[k] {
                    crate::bytecode::Const::Int(i) => self.iconst(*i),
                    crate::bytecode::Const::Float(x) => {
                        let w = self.iconst(x.to_bits() as i64);
                        self.b.ins().bitcast(F, MemFlagsData::new(), w)
                    }
                    crate::bytecode::Const::Str(_) => {
                        let consts = self.load_vm(W, off::CONSTS);
                        self.b.ins().load(W, flags(), consts, (k * 8) as i32)
                    }
                };
                self.set(a, v);
            }
            GetGlobal => self.translate_get_global(pc, a, ins.bc()),
            SetGlobal => {
                let globals = self.load_vm(W, off::GLOBALS);
                let v = self.get_word(a);
                self.b.ins().store(flags(), v, globals, (ins.bc() as usize * 8) as i32);
            }

            AddI | SubI | MulI | AndI | OrI | XorI | ShlI | ShrI | MinI | MaxI => {
                let (x, y) = (self.get(b), self.get(c));
                let v = match ins.op {
                    AddI => self.b.ins().iadd(x, y),
                    SubI => self.b.ins().isub(x, y),
                    MulI => self.b.ins().imul(x, y),
                    AndI => self.b.ins().band(x, y),
                    OrI => self.b.ins().bor(x, y),
                    XorI => self.b.ins().bxor(x, y),
                    // Shift counts use their low 6 bits, as Cranelift's shifts do.
                    ShlI => self.b.ins().ishl(x, y),
                    ShrI => self.b.ins().sshr(x, y),
                    MinI => self.b.ins().smin(x, y),
                    _ => self.b.ins().smax(x, y),
                };
                self.set(a, v);
            }
            DivI | RemI => self.translate_div(pc, ins),
            AddIImm => {
                let x = self.get(b);
                let v = self.b.ins().iadd_imm_s(x, ins.sc() as i64);
                self.set(a, v);
            }
            NegI => {
                let x = self.get(b);
                let v = self.b.ins().ineg(x);
                self.set(a, v);
            }
            BitNotI => {
                let x = self.get(b);
                let v = self.b.ins().bnot(x);
                self.set(a, v);
            }
            AbsI => {
                let x = self.get(b);
                let neg = self.b.ins().ineg(x);
                let is_neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, x, 0);
                let v = self.b.ins().select(is_neg, neg, x);
                self.set(a, v);
            }

            AddF | SubF | MulF | DivF => {
                let (x, y) = (self.get(b), self.get(c));
                let v = match ins.op {
                    AddF => self.b.ins().fadd(x, y),
                    SubF => self.b.ins().fsub(x, y),
                    MulF => self.b.ins().fmul(x, y),
                    _ => self.b.ins().fdiv(x, y),
                };
                self.set(a, v);
            }
            RemF | Pow | Atan2 | MinF | MaxF => {
                let (x, y) = (self.get(b), self.get(c));
                let f: extern "C" fn(f64, f64) -> f64 = match ins.op {
                    RemF => shims::rt_fmod,
                    Pow => shims::rt_pow,
                    Atan2 => shims::rt_atan2,
                    MinF => shims::rt_fmin,
                    _ => shims::rt_fmax,
                };
                let v = self.call_pure(self.sigs.math2, f as *const () as usize, &[x, y])[0];
                self.set(a, v);
            }
            NegF => {
                let x = self.get(b);
                let v = self.b.ins().fneg(x);
                self.set(a, v);
            }
            IntToFloat => {
                let x = self.get(b);
                let v = self.b.ins().fcvt_from_sint(F, x);
                self.set(a, v);
            }
            FloatToInt => {
                // Saturating, NaN gives 0: as Rust's `as`.
                let x = self.get(b);
                let v = self.b.ins().fcvt_to_sint_sat(W, x);
                self.set(a, v);
            }
            Math => {
                let x = self.get(b);
                let v = match MathFn::from_u16(c) {
                    // Exact in IEEE arithmetic, so the same as the runtime's.
                    Some(MathFn::Sqrt) => self.b.ins().sqrt(x),
                    Some(MathFn::Floor) => self.b.ins().floor(x),
                    Some(MathFn::Ceil) => self.b.ins().ceil(x),
                    Some(MathFn::Abs) => self.b.ins().fabs(x),
                    _ => {
                        let k = self.i32c(c as u32);
                        self.call_pure(self.sigs.math1, shims::rt_math as *const () as usize, &[k, x])[0]
                    }
                };
                self.set(a, v);
            }

            EqI | NeI | LtI | LeI | EqB | NeB | EqRef => {
                let (x, y) = (self.get(b), self.get(c));
                let cc = match ins.op {
                    EqI | EqB | EqRef => IntCC::Equal,
                    NeI | NeB => IntCC::NotEqual,
                    LtI => IntCC::SignedLessThan,
                    _ => IntCC::SignedLessThanOrEqual,
                };
                let v = self.b.ins().icmp(cc, x, y);
                self.set_bool(a, v);
            }
            EqF | NeF | LtF | LeF => {
                let (x, y) = (self.get(b), self.get(c));
                let cc = match ins.op {
                    EqF => FloatCC::Equal,
                    NeF => FloatCC::NotEqual,
                    LtF => FloatCC::LessThan,
                    _ => FloatCC::LessThanOrEqual,
                };
                let v = self.b.ins().fcmp(cc, x, y);
                self.set_bool(a, v);
            }
            EqS | NeS | LtS | LeS => {
                let (x, y) = (self.get(b), self.get(c));
                let f: unsafe extern "C" fn(u64, u64) -> u64 = match ins.op {
                    EqS | NeS => shims::rt_str_eq,
                    LtS => shims::rt_str_lt,
                    _ => shims::rt_str_le,
                };
                let mut v = self.call_pure(self.sigs.pure2, f as *const () as usize, &[x, y])[0];
                if ins.op == NeS {
                    v = self.b.ins().bxor_imm_u(v, 1);
                }
                self.set(a, v);
            }
            EqOpt => {
                let (x, y) = (self.get(b), self.get(c));
                let inner = match self.meta[self.fi as usize].regs[b as usize].1 {
                    Shape::Opt(OptInner::Word) => 0,
                    Shape::Opt(OptInner::Float) => 1,
                    Shape::Opt(OptInner::Str) => 2,
                    _ => 3,
                };
                let k = self.i32c(inner);
                let v = self.call_pure(self.sigs.opt_eq, shims::rt_opt_eq as *const () as usize, &[x, y, k])[0];
                self.set(a, v);
            }
            IsNil | Not => {
                let x = self.get(b);
                let v = self.b.ins().icmp_imm_s(IntCC::Equal, x, 0);
                self.set_bool(a, v);
            }

            Jmp | Loop => {
                let target = ins.jump_target(pc);
                if ins.op == Loop {
                    self.fuel(pc);
                }
                let t = self.edge(Some(pc), target);
                self.b.ins().jump(t, &[]);
                self.fill_entries();
                self.ended = true;
            }
            op if op.is_jump() => self.translate_branch(pc, ins),

            Call => self.translate_call(pc, a, b as u32, c),
            CallClosure => self.translate_call_closure(pc, a, b, c),
            CallHost => {
                let imp = &self.m.imports[b as usize];
                let (np, has_ret) = (imp.params.len(), imp.ret.is_some());
                self.translate_frame_call(pc, ins, np, has_ret, shims::rt_call_host as *const () as usize);
            }
            CallBuiltin => {
                let bi = Builtin::from_u16(b).expect("a verified built-in");
                let (np, has_ret) =
                    if bi.variadic() { (a as usize, false) } else { (bi.arity(), bi.sig().ret.is_some()) };
                self.translate_frame_call(pc, ins, np, has_ret, shims::rt_call_builtin as *const () as usize);
                if bi == Builtin::Panic {
                    // It never returns: a trap is pending.
                    self.b.ins().jump(self.exit, &[]);
                    self.ended = true;
                }
            }
            Ret | RetVoid => {
                let v = if ins.op == Ret { self.get_word(a) } else { self.iconst(0) };
                // Pop this frame: `my_index` frames are left. A function that calls no
                // Kite function has no other use for `my_index` (see `frame_ptr`), so it
                // counts down the depth instead of keeping a register for it.
                let left = if self.pushes {
                    self.my_index
                } else {
                    let depth = self.load_vm(W, off::DEPTH);
                    self.b.ins().iadd_imm_s(depth, -1)
                };
                self.store_vm(left, off::DEPTH);
                let t = self.b.use_var(self.ticks);
                self.b.ins().return_(&[v, t]);
                self.ended = true;
            }

            GetIndex => {
                let i = self.get(c);
                let bytes = self.bytes_array(b);
                let p = self.element(pc, b, i, bytes);
                let v = if bytes {
                    let byte = self.b.ins().load(types::I8, flags(), p, 0);
                    self.b.ins().uextend(W, byte)
                } else {
                    let ty = self.slot_ty(a);
                    self.b.ins().load(ty, flags(), p, 0)
                };
                self.set(a, v);
            }
            SetIndex => {
                let i = self.get(b);
                let bytes = self.bytes_array(a);
                let p = self.element(pc, a, i, bytes);
                self.store_elem(p, c, bytes);
            }
            ArrayLen => {
                let v = self.array_len(pc, b);
                self.set(a, v);
            }
            ArrayPush => self.translate_push(pc, ins),
            GetField => {
                let o = self.get(b);
                let v = {
                    let ty = self.slot_ty(a);
                    self.b.ins().load(ty, flags(), o, obj::STRUCT_FIELDS + 8 * c as i32)
                };
                self.set(a, v);
            }
            SetField => {
                let o = self.get(a);
                let v = self.get(c);
                self.b.ins().store(flags(), v, o, obj::STRUCT_FIELDS + 8 * b as i32);
            }
            UnwrapBox | UnwrapRef => {
                let p = self.get(b);
                let is_nil = self.b.ins().icmp_imm_s(IntCC::Equal, p, 0);
                let z = self.iconst(0);
                self.trap_if(is_nil, pc, shims::TRAP_UNWRAPPED_NIL, z, z);
                let v = if ins.op == UnwrapBox {
                    {
                        let ty = self.slot_ty(a);
                        self.b.ins().load(ty, flags(), p, obj::BOX_VALUE)
                    }
                } else {
                    p
                };
                self.set(a, v);
            }
            StrLen => {
                let s = self.get(b);
                let v = self.b.ins().load(W, flags(), s, crate::heap::StrObj::LEN_OFFSET as i32);
                self.set(a, v);
            }

            // Everything else is a runtime function on the frame in memory.
            MakeClosure | NewArray | ArrayRepeat | NewMap | MapGet | MapSet | MapGetOpt | NewStruct | WrapOpt
            | Concat | ToStr => self.translate_op(pc, ins),
            Print => {
                self.save_pc(pc);
                self.spill_dirty();
                let vm = self.vm;
                let (bb, cc) = (self.i32c(b as u32), self.i32c(c as u32));
                let st = self.call_addr(self.sigs.frame2, shims::rt_print as *const () as usize, &[vm, bb, cc])[0];
                self.check(st);
            }
            CallNoFuel | CallClosureNoFuel => unreachable!("internal opcodes are never in a module"),
            _ => unreachable!("every opcode is translated: {:?}", ins.op),
        }
    }

    fn translate_get_global(&mut self, pc: usize, a: u16, g: u32) {
        let globals = self.load_vm(W, off::GLOBALS);
        let v = self.b.ins().load(W, flags(), globals, (g as usize * 8) as i32);
        let gl = &self.m.globals[g as usize];
        let needs_init =
            self.m.kind(gl.ty) == Kind::Ref && !matches!(self.m.ty(gl.ty), crate::bytecode::Type::Optional(_));
        if needs_init {
            // Read before its initializer ran: the runtime makes the trap (with the name).
            let is_zero = self.b.ins().icmp_imm_s(IntCC::Equal, v, 0);
            let cold = self.b.create_block();
            let cont = self.b.create_block();
            self.b.ins().brif(is_zero, cold, &[], cont, &[]);
            self.b.switch_to_block(cold);
            self.b.set_cold_block(cold);
            self.save_pc(pc);
            let (vm, regs) = (self.vm, self.regs());
            let (aa, gg) = (self.i32c(a as u32), self.i32c(g));
            let st = self.call_addr(self.sigs.op2, shims::rt_get_global as *const () as usize, &[vm, regs, aa, gg])[0];
            self.check(st);
            self.b.ins().jump(cont, &[]);
            self.b.switch_to_block(cont);
        }
        self.set_word(a, v);
    }

    fn translate_div(&mut self, pc: usize, ins: Instr) {
        let (x, y) = (self.get(ins.b), self.get(ins.c));
        let is_zero = self.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
        let z = self.iconst(0);
        self.trap_if(is_zero, pc, shims::TRAP_DIVISION_BY_ZERO, z, z);
        // MIN / -1 wraps to MIN and MIN % -1 is 0, where the machine would trap.
        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, y, -1);
        let one = self.iconst(1);
        let safe = self.b.ins().select(minus_one, one, y);
        let v = if ins.op == Op::DivI {
            let q = self.b.ins().sdiv(x, safe);
            let neg = self.b.ins().ineg(x);
            self.b.ins().select(minus_one, neg, q)
        } else {
            let r = self.b.ins().srem(x, safe);
            self.b.ins().select(minus_one, z, r)
        };
        self.set(ins.a, v);
    }

    /// The address of element `i` of array `arr`, trapping at `pc` when out of bounds.
    /// Whether the array in register `r` holds its elements as bytes (a `[bool]`).
    fn bytes_array(&self, r: u16) -> bool {
        matches!(self.meta[self.fi as usize].regs[r as usize].1, Shape::Array { kind: ArrayKind::Bytes })
    }

    /// The address of element `i` of array `arr` (of bytes, or of words), trapping at `pc`
    /// when out of bounds.
    fn element(&mut self, pc: usize, r: u16, i: Value, bytes: bool) -> Value {
        let len = self.array_len(pc, r);
        // One unsigned compare catches negative indices too.
        let out = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, i, len);
        self.trap_if(out, pc, shims::TRAP_INDEX, i, len);
        let ptr = self.array_ptr(pc, r);
        let at = if bytes { i } else { self.b.ins().ishl_imm_u(i, 3) };
        self.b.ins().iadd(ptr, at)
    }

    /// Stores register `r` as an element at `p` (a byte of a bool array: 0 or 1).
    fn store_elem(&mut self, p: Value, r: u16, bytes: bool) {
        let v = self.get(r);
        if bytes {
            let byte = self.b.ins().ireduce(types::I8, v);
            self.b.ins().store(flags(), byte, p, 0);
        } else {
            self.b.ins().store(flags(), v, p, 0);
        }
    }

    fn translate_push(&mut self, pc: usize, ins: Instr) {
        let arr = self.get(ins.a);
        let len = self.b.ins().load(W, flags(), arr, obj::ARRAY_LEN);
        let cap = self.b.ins().load(W, flags(), arr, obj::ARRAY_CAP);
        let room = self.b.ins().icmp(IntCC::UnsignedLessThan, len, cap);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let cont = self.b.create_block();
        self.b.ins().brif(room, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let ptr = self.b.ins().load(W, flags(), arr, obj::ARRAY_PTR);
        let bytes = self.bytes_array(ins.a);
        let at = if bytes { len } else { self.b.ins().ishl_imm_u(len, 3) };
        let p = self.b.ins().iadd(ptr, at);
        self.store_elem(p, ins.b, bytes);
        let len1 = self.b.ins().iadd_imm_s(len, 1);
        self.b.ins().store(flags(), len1, arr, obj::ARRAY_LEN);
        self.b.ins().jump(cont, &[]);
        // Growing is the runtime's (a safepoint, counted against the memory limit).
        self.b.switch_to_block(slow);
        self.b.set_cold_block(slow);
        self.runtime_op(pc, ins, 2, shims::rt_array_push as *const () as usize);
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// A register-operand runtime function (`shims::rt_*`) for `ins`, with `nargs` of
    /// its operands: its frame is made current in memory first, and `R[A]` read back if
    /// it writes it.
    fn runtime_op(&mut self, pc: usize, ins: Instr, nargs: usize, addr: usize) {
        self.save_pc(pc);
        self.spill_dirty();
        // (The operands it reads are live here: the spill wrote those that were dirty.)
        let (vm, regs) = (self.vm, self.regs());
        let (a, b, c) = (self.i32c(ins.a as u32), self.i32c(ins.b as u32), self.i32c(ins.c as u32));
        let st = match nargs {
            1 => self.call_addr(self.sigs.op1, addr, &[vm, regs, a])[0],
            2 => self.call_addr(self.sigs.op2, addr, &[vm, regs, a, b])[0],
            _ => self.call_addr(self.sigs.op3, addr, &[vm, regs, a, b, c])[0],
        };
        self.check(st);
        if ins.op.has(crate::bytecode::opcodes::props::W) {
            self.reload(ins.a);
        }
    }

    fn translate_op(&mut self, pc: usize, ins: Instr) {
        use Op::*;
        let (nargs, addr) = match ins.op {
            MakeClosure => (3, shims::rt_make_closure as *const () as usize),
            NewArray => (3, shims::rt_new_array as *const () as usize),
            ArrayRepeat => (3, shims::rt_array_repeat as *const () as usize),
            NewMap => (1, shims::rt_new_map as *const () as usize),
            MapGet => (3, shims::rt_map_get as *const () as usize),
            MapSet => (3, shims::rt_map_set as *const () as usize),
            MapGetOpt => (3, shims::rt_map_get_opt as *const () as usize),
            NewStruct => (3, shims::rt_new_struct as *const () as usize),
            WrapOpt => (2, shims::rt_wrap_opt as *const () as usize),
            Concat => (3, shims::rt_concat as *const () as usize),
            _ => (2, shims::rt_to_str as *const () as usize),
        };
        self.runtime_op(pc, ins, nargs, addr);
    }

    /// A call of a built-in or a host function: its arguments `R[C..C+n]` and every
    /// written register in memory, the runtime function, `R[A]` back.
    fn translate_frame_call(&mut self, pc: usize, ins: Instr, n: usize, has_ret: bool, addr: usize) {
        self.save_pc(pc);
        // The arguments are live here: the spill wrote those that were dirty.
        let _ = n;
        self.spill_dirty();
        let vm = self.vm;
        let (a, b, c) = (self.i32c(ins.a as u32), self.i32c(ins.b as u32), self.i32c(ins.c as u32));
        let st = self.call_addr(self.sigs.frame3, addr, &[vm, a, b, c])[0];
        self.check(st);
        self.reload_regs_ptr();
        if has_ret {
            self.reload(ins.a);
        }
    }

    fn translate_branch(&mut self, pc: usize, ins: Instr) {
        let target = ins.jump_target(pc);
        let cond = self.branch_cond(ins, 0);
        let fall = self.edge(Some(pc), pc + 1);
        if ins.op.is_loop() {
            // Taken, a loop jump uses fuel first.
            let taken = self.b.create_block();
            self.b.ins().brif(cond, taken, &[], fall, &[]);
            self.b.switch_to_block(taken);
            self.fuel(pc);
            let t = self.edge(Some(pc), target);
            self.b.ins().jump(t, &[]);
        } else {
            let t = self.edge(Some(pc), target);
            self.b.ins().brif(cond, t, &[], fall, &[]);
        }
        self.fill_entries();
        self.ended = true;
    }

    /// Whether conditional jump `ins` is taken, its registers read `shift` registers up
    /// (0 for this function's own jumps; a call's first argument register for its callee's).
    fn branch_cond(&mut self, ins: Instr, shift: u16) -> Value {
        use Op::*;
        // `b` is a register only in the two-register forms (else a constant or the offset).
        let (ra, rb) = (ins.a + shift, ins.b.wrapping_add(shift));
        let op = ins.op.forward();
        match op {
            JmpIf | JmpIfNotNil => {
                let x = self.get(ra);
                self.b.ins().icmp_imm_s(IntCC::NotEqual, x, 0)
            }
            JmpIfNot | JmpIfNil => {
                let x = self.get(ra);
                self.b.ins().icmp_imm_s(IntCC::Equal, x, 0)
            }
            JmpIfLtI | JmpIfNotLtI | JmpIfLeI | JmpIfNotLeI | JmpIfEqI | JmpIfNeI => {
                let (x, y) = (self.get(ra), self.get(rb));
                let cc = match op {
                    JmpIfLtI => IntCC::SignedLessThan,
                    JmpIfNotLtI => IntCC::SignedGreaterThanOrEqual,
                    JmpIfLeI => IntCC::SignedLessThanOrEqual,
                    JmpIfNotLeI => IntCC::SignedGreaterThan,
                    JmpIfEqI => IntCC::Equal,
                    _ => IntCC::NotEqual,
                };
                self.b.ins().icmp(cc, x, y)
            }
            JmpIfLtIK | JmpIfNotLtIK | JmpIfLeIK | JmpIfNotLeIK | JmpIfEqIK | JmpIfNeIK => {
                let x = self.get(ra);
                let k = ins.sb() as i64;
                let cc = match op {
                    JmpIfLtIK => IntCC::SignedLessThan,
                    JmpIfNotLtIK => IntCC::SignedGreaterThanOrEqual,
                    JmpIfLeIK => IntCC::SignedLessThanOrEqual,
                    JmpIfNotLeIK => IntCC::SignedGreaterThan,
                    JmpIfEqIK => IntCC::Equal,
                    _ => IntCC::NotEqual,
                };
                self.b.ins().icmp_imm_s(cc, x, k)
            }
            JmpIfLtF | JmpIfLeF | JmpIfNotLtF | JmpIfNotLeF => {
                let (x, y) = (self.get(ra), self.get(rb));
                // `!(x < y)` is true for NaN operands: the unordered-or forms.
                let cc = match op {
                    JmpIfLtF => FloatCC::LessThan,
                    JmpIfLeF => FloatCC::LessThanOrEqual,
                    JmpIfNotLtF => FloatCC::UnorderedOrGreaterThanOrEqual,
                    _ => FloatCC::UnorderedOrGreaterThan,
                };
                self.b.ins().fcmp(cc, x, y)
            }
            _ => unreachable!("a conditional jump: {op:?}"),
        }
    }

    /// Pushes the callee's frame inline (or through the runtime when the stacks must grow
    /// or the depth limit is reached) with its arguments from `R[c..]`; returns the
    /// callee's register 0 in memory and its base. The new frame's index is `my_index + 1`:
    /// this frame is the innermost.
    fn push_frame(&mut self, callee: u32, a: u16, c: u16, base_case: Option<(BaseCase, Block)>) -> (Value, Value) {
        let cm = &self.meta[callee as usize];
        let (np, cn) = (cm.nparams, cm.nregs);
        let my_nregs = self.meta[self.fi as usize].nregs as i64;
        let new_base = self.b.ins().iadd_imm_s(self.my_base, my_nregs);
        let top_past_base = my_nregs + cn as i64;
        let joined = self.b.create_block();
        let fast = self.b.create_block();
        if self.room_checked.is_some_and(|t| t >= top_past_base) {
            // An earlier push of this straight line found room for this frame.
            self.b.ins().jump(fast, &[]);
        } else {
            let depth = self.b.ins().iadd_imm_s(self.my_index, 1);
            let limit = self.load_vm(W, off::DEPTH_LIMIT);
            let top = self.b.ins().iadd_imm_s(self.my_base, top_past_base);
            let regs_len = self.load_vm(W, off::REGS_LEN);
            let deep = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, depth, limit);
            let slow = self.b.create_block();
            let shallow = self.b.create_block();
            // Two compare-and-branches (each one fused instruction), not one of an `or`.
            self.b.ins().brif(deep, slow, &[], shallow, &[]);
            self.b.switch_to_block(shallow);
            let big = self.b.ins().icmp(IntCC::UnsignedGreaterThan, top, regs_len);
            self.b.ins().brif(big, slow, &[], fast, &[]);

            self.b.switch_to_block(slow);
            self.b.set_cold_block(slow);
            let vm = self.vm;
            let func = self.i32c(callee);
            let rd = self.i32c(a as u32);
            let push = shims::rt_push_frame as *const () as usize;
            let st = self.call_addr(self.sigs.push_frame, push, &[vm, func, new_base, rd])[0];
            self.check(st);
            self.b.ins().jump(joined, &[]);
            self.room_checked = Some(top_past_base);
        }

        self.b.switch_to_block(fast);
        if let Some((bc, done)) = base_case {
            self.decide_base_case(bc, a, c, done);
        }
        let frames = self.load_vm(W, off::FRAMES);
        let at = self.b.ins().iadd_imm_s(self.my_offset, off::FRAME_SIZE as i64);
        let fp = self.b.ins().iadd(frames, at);
        self.b.ins().store(flags(), new_base, fp, off::FRAME_BASE as i32);
        // `func` and `pc` (0) are one word, `ret_dst` and the padding another.
        const _: () = assert!(off::FRAME_PC == off::FRAME_FUNC + 4 && off::FRAME_RET_DST == off::FRAME_FUNC + 8);
        let func_pc = self.iconst(callee as i64);
        self.b.ins().store(flags(), func_pc, fp, off::FRAME_FUNC as i32);
        let rd = self.iconst(a as i64);
        self.b.ins().store(flags(), rd, fp, off::FRAME_RET_DST as i32);
        let count = self.b.ins().iadd_imm_s(self.my_index, 2);
        self.store_vm(count, off::DEPTH);
        self.b.ins().jump(joined, &[]);

        self.b.switch_to_block(joined);
        // The stack may have moved (the slow path grows it).
        let base = self.reload_regs_ptr();
        let at = self.b.ins().ishl_imm_u(new_base, 3);
        let callee_regs = self.b.ins().iadd(base, at);
        for i in 0..np {
            let v = self.get(c + i as u16);
            self.b.ins().store(flags(), v, callee_regs, (i * 8) as i32);
        }
        (callee_regs, new_base)
    }

    /// Runs the pushed callee `func` (an SSA value, or this function itself when
    /// `recursive`): natively when it has native code, else in the interpreter
    /// (`rt_call_pushed`, which takes the same arguments, with `filled` for the pc); its
    /// result to `R[a]`. Native code recurses on the machine stack: when it is nearly used
    /// up, the callee runs in the interpreter too (which calls nothing natively from
    /// there), so the depth limit, not the machine stack, ends deep recursion in every
    /// tier. The callee's own frame fits in what the limit leaves (see
    /// `Vm::set_native_stack`).
    #[allow(clippy::too_many_arguments)]
    fn run_callee(
        &mut self,
        func: Value,
        recursive: bool,
        callee_regs: Value,
        new_base: Value,
        filled: Value,
        a: u16,
        has_ret: bool,
    ) {
        let ticks = self.b.use_var(self.ticks);
        let index = self.b.ins().iadd_imm_s(self.my_index, 1);
        let low = if self.stack_checked {
            None
        } else {
            self.stack_checked = true;
            let sp = self.b.ins().get_stack_pointer(W);
            let lim = self.load_vm(W, off::STACK_LIMIT);
            Some(self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, sp, lim))
        };
        let interp = self.iconst(shims::rt_call_pushed as *const () as i64);
        let (v, t) = if recursive {
            let zero = self.i32c(0);
            let vm = self.vm;
            let native = [vm, callee_regs, zero, ticks, index, new_base];
            match low {
                None => {
                    let call = self.b.ins().call(self.self_ref, &native);
                    (self.b.inst_results(call)[0], self.b.inst_results(call)[1])
                }
                Some(low) => {
                    let (hot, cold, join) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
                    let (v, t) = (self.b.append_block_param(join, W), self.b.append_block_param(join, W));
                    self.b.ins().brif(low, cold, &[], hot, &[]);
                    self.b.switch_to_block(hot);
                    let call = self.b.ins().call(self.self_ref, &native);
                    let r: Vec<_> = self.b.inst_results(call).iter().map(|&v| v.into()).collect();
                    self.b.ins().jump(join, &r);
                    self.b.switch_to_block(cold);
                    self.b.set_cold_block(cold);
                    let call = self.b.ins().call_indirect(
                        self.sigs.native,
                        interp,
                        &[vm, callee_regs, filled, ticks, index, new_base],
                    );
                    let r: Vec<_> = self.b.inst_results(call).iter().map(|&v| v.into()).collect();
                    self.b.ins().jump(join, &r);
                    self.b.switch_to_block(join);
                    (v, t)
                }
            }
        } else {
            let natives = self.load_vm(W, off::NATIVES);
            let at = self.b.ins().ishl_imm_u(func, 3);
            let slot = self.b.ins().iadd(natives, at);
            let entry = self.b.ins().load(W, flags(), slot, 0);
            let mut go = self.b.ins().icmp_imm_s(IntCC::NotEqual, entry, 0);
            if let Some(low) = low {
                go = self.b.ins().band_not(go, low);
            }
            let target = self.b.ins().select(go, entry, interp);
            let zero = self.i32c(0);
            let pc_or_filled = self.b.ins().select(go, zero, filled);
            let vm = self.vm;
            let call = self.b.ins().call_indirect(
                self.sigs.native,
                target,
                &[vm, callee_regs, pc_or_filled, ticks, index, new_base],
            );
            (self.b.inst_results(call)[0], self.b.inst_results(call)[1])
        };
        let trapped = self.b.ins().icmp_imm_s(IntCC::Equal, t, NATIVE_TRAPPED as i64);
        let ok = self.b.create_block();
        self.b.ins().brif(trapped, self.exit, &[], ok, &[]);
        self.b.switch_to_block(ok);
        self.b.def_var(self.ticks, t);
        self.reload_regs_ptr();
        if has_ret {
            self.set_word(a, v);
        }
    }

    fn translate_call(&mut self, pc: usize, a: u16, callee: u32, c: u16) {
        self.fuel(pc);
        self.save_pc(pc);
        self.spill_dirty();
        let recursive = callee == self.fi;
        // A recursive call's base case returns to `done` without a call.
        let base_case = self.base_case.filter(|_| recursive).map(|bc| (bc, self.b.create_block()));
        let stack_checked = self.stack_checked;
        let (callee_regs, new_base) = self.push_frame(callee, a, c, base_case);
        let cm = &self.meta[callee as usize];
        let (np, has_ret) = (cm.nparams as u32, cm.has_ret);
        let func = self.iconst(callee as i64);
        let filled = self.i32c(np);
        self.run_callee(func, recursive, callee_regs, new_base, filled, a, has_ret);
        if let Some((_, done)) = base_case {
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(done);
            // The base case's way checked no stack.
            self.stack_checked = stack_checked;
        }
    }

    /// Where a frame push found room: decides `base_case` (see [`BaseCase`]) on the
    /// arguments `R[c..]`; when the callee would return at once, its result goes to `R[a]`
    /// and the code goes on at `done`.
    fn decide_base_case(&mut self, bc: BaseCase, a: u16, c: u16, done: Block) {
        let cond = self.branch_cond(bc.branch, c);
        let (hit, push) = (self.b.create_block(), self.b.create_block());
        let (taken, fall) = if bc.when_taken { (hit, push) } else { (push, hit) };
        self.b.ins().brif(cond, taken, &[], fall, &[]);
        self.b.switch_to_block(hit);
        let v = match bc.returned {
            Returned::Param(p) => self.get(c + p),
            Returned::Int(k) => self.iconst(k),
        };
        self.set(a, v);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(push);
    }

    fn translate_call_closure(&mut self, pc: usize, a: u16, b: u16, c: u16) {
        self.fuel(pc);
        self.save_pc(pc);
        self.spill_dirty();
        let fty = self.m.ty(self.m.functions[self.fi as usize].regs[b as usize]);
        let (np, has_ret) = match fty {
            crate::bytecode::Type::Fn(ps, r) => (ps.len(), r.is_some()),
            _ => unreachable!("CallClosure's callee register has a fn type"),
        };
        // The closure and its arguments are live here: the spill wrote them.
        let _ = np;
        let (vm, regs) = (self.vm, self.regs());
        let (aa, bb, cc) = (self.i32c(a as u32), self.i32c(b as u32), self.i32c(c as u32));
        let st =
            self.call_addr(self.sigs.op3, shims::rt_push_closure as *const () as usize, &[vm, regs, aa, bb, cc])[0];
        self.check(st);
        let base = self.reload_regs_ptr();
        let clo = self.get(b);
        let func32 = self.b.ins().load(types::I32, flags(), clo, obj::HEADER_AUX);
        let func = self.b.ins().uextend(W, func32);
        let my_nregs = self.meta[self.fi as usize].nregs as i64;
        let new_base = self.b.ins().iadd_imm_s(self.my_base, my_nregs);
        let at = self.b.ins().ishl_imm_u(new_base, 3);
        let callee_regs = self.b.ins().iadd(base, at);
        // The runtime pushed the frame with arguments and captures, the rest zeroed.
        let filled = self.i32c(u32::MAX);
        self.run_callee(func, false, callee_regs, new_base, filled, a, has_ret);
    }
}
