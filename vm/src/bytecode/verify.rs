//! The verifier: decides whether a module is safe to run. The decoder only checks the
//! shape of a file; this checks what the code does. Once [`verify`] accepts a module:
//!
//! - **Tables** — every type refers only to types before it (so no type is cyclic) and is
//!   at most [`limits::MAX_TYPE_DEPTH`] deep; map keys are `int`, `str` or `bool`; no `T??`;
//!   every struct, field, global, import, function, register and export type exists.
//! - **Frames** — every register operand an instruction uses is below the function's
//!   register count, and so is the end of every window of consecutive registers (call
//!   arguments, array and struct literals, closure captures, `Print`).
//! - **Types** — each instruction's operands have the types its typing rule in the opcode
//!   table asks for (`Op::typing`, listed in `docs/bytecode.md`). Register types are fixed
//!   for the whole function. "int", "float", "bool" and "str" mean a type whose entry is
//!   that primitive; every other match is equality of type indices, so a value of type `T`
//!   flows into a `T?` register only through `Move` (references) or `WrapOpt` (int, float,
//!   bool).
//! - **Definite assignment** — every register of a non-optional reference type (str,
//!   array, map, struct, function) is written on every path from the function's entry
//!   before an instruction reads it. Parameters and captures are written by the call.
//!   Registers start as 0 in a new frame, which is a valid int, float, bool and nil, but
//!   not a valid reference.
//! - **Control** — every jump lands on an instruction of its function (instructions have
//!   one size, so a jump cannot land inside one); a jump goes backward if and only if it is
//!   a loop jump (`Loop…`), so every cycle of the code passes one and a run without calls
//!   uses a unit of fuel per turn of any loop; no reachable instruction lets control run
//!   past the last one (the last reachable instruction of each path is `Ret`, `RetVoid`,
//!   `Jmp`, `Loop`, or a call of the `panic` built-in, which never returns).
//! - **Indices** — every constant, global, function, struct, field, import, built-in and
//!   math function an instruction names exists; calls pass exactly the callee's
//!   parameters (by type, in order) and take its result in a register of its result type.
//! - **Entry points** — `init` takes nothing and returns nothing; `main` takes nothing and
//!   returns nothing or an int; exports name functions without captures, each name once.
//! - **Reserved operands** — operands an instruction does not use are 0.
//!
//! Both execution tiers rely on these facts and on nothing else about the bytecode. The
//! verifier runs in time and memory linear in the module's size: the work of checking
//! register windows and of the definite-assignment pass is bounded by
//! [`limits::WORK_BASE`] plus [`limits::WORK_PER_INSTR`] per instruction, and a module that
//! needs more is refused as too large to verify.

use super::builtins::{builtin_sig, Builtin, Pat};
use super::disasm::instr_text;
use super::module::*;
use super::opcodes::{Format, Instr, MathFn, Op};
use std::fmt;

/// Limits of the verifier.
pub mod limits {
    /// How deeply types may nest (`[[int]]` is 3 deep). Code that walks types recursively
    /// (printing, the host boundary) relies on it.
    pub const MAX_TYPE_DEPTH: u32 = 64;
    /// Most registers a function may have: register operands are 16 bits.
    pub const MAX_REGS: usize = 1 << 16;
    /// Most instructions a function may have.
    pub const MAX_CODE: usize = 1 << 24;
    /// Units of work any module may take to verify (see [`WORK_PER_INSTR`]).
    pub const WORK_BASE: u64 = 1 << 23;
    /// Further units of work allowed per instruction of the module. One unit is one
    /// register of a window type-checked, or one 64-register word of definite-assignment
    /// state copied, merged or tested.
    pub const WORK_PER_INSTR: u64 = 64;
}

/// Why a module was refused: where (function and instruction, when the problem is in
/// code) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// Index and name of the function, if the problem is in one.
    pub function: Option<(u32, String)>,
    /// Index of the instruction in that function, if the problem is one instruction.
    pub instr: Option<usize>,
    /// What is wrong. For an instruction it starts with the instruction's text.
    pub message: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.function, self.instr) {
            (Some((i, name)), Some(pc)) => write!(f, "function {i} ({name}), instruction {pc}: {}", self.message),
            (Some((i, name)), None) => write!(f, "function {i} ({name}): {}", self.message),
            _ => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for VerifyError {}

type Res<T> = Result<T, VerifyError>;

/// An instruction's text for an error message: one line, at most about 120 characters
/// (a string constant may be long).
fn short_text(m: &Module, ins: &Instr, pc: usize) -> String {
    let mut t = instr_text(m, ins, pc).split_whitespace().collect::<Vec<_>>().join(" ");
    if t.len() > 120 {
        let mut end = 120;
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        t.truncate(end);
        t.push_str("...");
    }
    t
}

fn module_err<T>(message: impl Into<String>) -> Res<T> {
    Err(VerifyError { function: None, instr: None, message: message.into() })
}

/// A module the verifier accepted. Only the verifier makes one ([`VerifiedModule::new`]),
/// and it cannot be changed afterwards, so code that takes a `VerifiedModule` (the VM, the
/// embedding API, the JIT) may rely on every rule of the module docs without checking
/// again. Cheap to clone (the module is shared).
#[derive(Clone, Debug)]
pub struct VerifiedModule(std::sync::Arc<Module>);

impl VerifiedModule {
    /// Verifies `m`.
    pub fn new(m: Module) -> Result<VerifiedModule, VerifyError> {
        VerifiedModule::from_arc(std::sync::Arc::new(m))
    }
    /// Verifies a shared module.
    pub fn from_arc(m: std::sync::Arc<Module>) -> Result<VerifiedModule, VerifyError> {
        verify(&m)?;
        Ok(VerifiedModule(m))
    }
    /// The module, shared.
    pub fn shared(&self) -> &std::sync::Arc<Module> {
        &self.0
    }
}

impl std::ops::Deref for VerifiedModule {
    type Target = Module;
    fn deref(&self) -> &Module {
        &self.0
    }
}

/// Verifies a module. See the module docs for what acceptance guarantees.
pub fn verify(m: &Module) -> Result<(), VerifyError> {
    let mut v = Verifier { m, work: 0, budget: 0 };
    let total_code: u64 = m.functions.iter().map(|f| f.code.len() as u64).sum();
    v.budget = limits::WORK_BASE.saturating_add(total_code.saturating_mul(limits::WORK_PER_INSTR));
    v.types()?;
    v.tables()?;
    v.entry_points()?;
    for (i, f) in m.functions.iter().enumerate() {
        v.function(i as u32, f)?;
    }
    Ok(())
}

struct Verifier<'m> {
    m: &'m Module,
    /// Units of work done so far, and the most allowed.
    work: u64,
    budget: u64,
}

fn is_prim(t: &Type) -> bool {
    matches!(t, Type::Int | Type::Float | Type::Bool)
}

impl<'m> Verifier<'m> {
    /// A type known to exist (checked by `types` and `tables` before any use).
    fn ty(&self, id: TypeId) -> &'m Type {
        &self.m.types[id as usize]
    }
    fn name(&self, id: TypeId) -> String {
        self.m.type_name(id)
    }
    /// A non-optional reference: 0 is not a valid value of it.
    fn needs_init(&self, id: TypeId) -> bool {
        !is_prim(self.ty(id)) && !matches!(self.ty(id), Type::Optional(_))
    }

    fn type_exists(&self, id: TypeId, what: impl FnOnce() -> String) -> Res<()> {
        if (id as usize) < self.m.types.len() {
            Ok(())
        } else {
            module_err(format!("{} has type {id}, but there are only {} types", what(), self.m.types.len()))
        }
    }

    fn types(&self) -> Res<()> {
        let m = self.m;
        let mut depth: Vec<u32> = Vec::with_capacity(m.types.len());
        for (i, t) in m.types.iter().enumerate() {
            let below = |id: TypeId| -> Res<u32> {
                match depth.get(id as usize) {
                    Some(&d) => Ok(d),
                    None => module_err(format!(
                        "type {i} refers to type {id}, which is not defined before it (a type may only refer to types with lower indices)"
                    )),
                }
            };
            let d = match t {
                Type::Int | Type::Float | Type::Bool | Type::Str => 1,
                Type::Array(e) => below(*e)? + 1,
                Type::Map(k, v) => {
                    let d = below(*k)?.max(below(*v)?) + 1;
                    if !matches!(m.types[*k as usize], Type::Int | Type::Str | Type::Bool) {
                        return module_err(format!(
                            "type {i} is a map whose key type {} is not int, str or bool",
                            m.type_name(*k)
                        ));
                    }
                    d
                }
                Type::Optional(e) => {
                    let d = below(*e)? + 1;
                    if matches!(m.types[*e as usize], Type::Optional(_)) {
                        return module_err(format!("type {i} is an optional of an optional ({}?)", m.type_name(*e)));
                    }
                    d
                }
                Type::Struct(s) => {
                    if *s as usize >= m.structs.len() {
                        return module_err(format!(
                            "type {i} is struct {s}, but there are only {} structs",
                            m.structs.len()
                        ));
                    }
                    1
                }
                Type::Fn(ps, r) => {
                    let mut d = 0;
                    for p in ps.iter().chain(r.iter()) {
                        d = d.max(below(*p)?);
                    }
                    d + 1
                }
            };
            if d > limits::MAX_TYPE_DEPTH {
                return module_err(format!(
                    "type {i} nests {d} deep, more than the limit of {}",
                    limits::MAX_TYPE_DEPTH
                ));
            }
            depth.push(d);
        }
        Ok(())
    }

    fn tables(&self) -> Res<()> {
        let m = self.m;
        for (si, s) in m.structs.iter().enumerate() {
            for (fi, f) in s.fields.iter().enumerate() {
                self.type_exists(f.ty, || format!("field {fi} ({}) of struct {si} ({})", f.name, s.name))?;
            }
        }
        for (gi, g) in m.globals.iter().enumerate() {
            self.type_exists(g.ty, || format!("global {gi} ({})", g.name))?;
        }
        for (ii, imp) in m.imports.iter().enumerate() {
            for (pi, p) in imp.params.iter().enumerate() {
                self.type_exists(*p, || format!("parameter {pi} of import {ii} ({}.{})", imp.module, imp.name))?;
            }
            if let Some(r) = imp.ret {
                self.type_exists(r, || format!("the result of import {ii} ({}.{})", imp.module, imp.name))?;
            }
        }
        for (fi, f) in m.functions.iter().enumerate() {
            let what = |w: &str| format!("{w} of function {fi} ({})", f.name);
            for (i, t) in f.params.iter().enumerate() {
                self.type_exists(*t, || what(&format!("parameter {i}")))?;
            }
            for (i, t) in f.captures.iter().enumerate() {
                self.type_exists(*t, || what(&format!("capture {i}")))?;
            }
            if let Some(r) = f.ret {
                self.type_exists(r, || what("the result"))?;
            }
            for (i, t) in f.regs.iter().enumerate() {
                self.type_exists(*t, || what(&format!("register {i}")))?;
            }
        }
        Ok(())
    }

    fn entry_points(&self) -> Res<()> {
        let m = self.m;
        let func = |i: u32, what: &str| -> Res<&Function> {
            match m.functions.get(i as usize) {
                Some(f) => Ok(f),
                None => {
                    module_err(format!("{what} is function {i}, but there are only {} functions", m.functions.len()))
                }
            }
        };
        if let Some(i) = m.init {
            let f = func(i, "the init function")?;
            if !f.params.is_empty() || !f.captures.is_empty() || f.ret.is_some() {
                return module_err(format!(
                    "the init function {i} ({}) must take no parameters, capture nothing and return nothing",
                    f.name
                ));
            }
        }
        if let Some(i) = m.main {
            let f = func(i, "main")?;
            let ret_ok = match f.ret {
                None => true,
                Some(r) => matches!(self.ty(r), Type::Int),
            };
            if !f.params.is_empty() || !f.captures.is_empty() || !ret_ok {
                return module_err(format!(
                    "main (function {i}, {}) must take no parameters, capture nothing and return nothing or an int",
                    f.name
                ));
            }
        }
        let mut names: Vec<&str> = Vec::with_capacity(m.exports.len());
        for (ei, e) in m.exports.iter().enumerate() {
            let f = func(e.func, &format!("export {ei} ({})", e.name))?;
            if !f.captures.is_empty() {
                return module_err(format!(
                    "export {ei} ({}) names function {} ({}), which has captures",
                    e.name, e.func, f.name
                ));
            }
            names.push(&e.name);
        }
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return module_err(format!("two exports are named {}", w[0]));
        }
        Ok(())
    }

    fn function(&mut self, fi: u32, f: &'m Function) -> Res<()> {
        let ferr = |msg: String| -> Res<()> {
            Err(VerifyError { function: Some((fi, f.name.clone())), instr: None, message: msg })
        };
        let nregs = f.regs.len();
        let entry = f.params.len() + f.captures.len();
        if nregs > limits::MAX_REGS {
            return ferr(format!("it has {nregs} registers, more than the limit of {}", limits::MAX_REGS));
        }
        if nregs < entry {
            return ferr(format!(
                "it has {} parameters and {} captures but only {nregs} registers",
                f.params.len(),
                f.captures.len()
            ));
        }
        for (i, t) in f.params.iter().chain(&f.captures).enumerate() {
            if f.regs[i] != *t {
                let what = if i < f.params.len() { "parameter" } else { "capture" };
                return ferr(format!(
                    "register {i} has type {}, but the {what} it holds has type {}",
                    self.name(f.regs[i]),
                    self.name(*t)
                ));
            }
        }
        if f.code.is_empty() {
            return ferr("it has no instructions".into());
        }
        if f.code.len() > limits::MAX_CODE {
            return ferr(format!("it has {} instructions, more than the limit of {}", f.code.len(), limits::MAX_CODE));
        }
        if f.locs.len() != f.code.len() {
            return ferr(format!("it has {} instructions but {} locations", f.code.len(), f.locs.len()));
        }
        // Runs of registers of one type, for checking array literal windows in O(1).
        let mut same_until = vec![0u32; nregs];
        for r in (0..nregs).rev() {
            same_until[r] = if r + 1 < nregs && f.regs[r + 1] == f.regs[r] { same_until[r + 1] } else { r as u32 + 1 };
        }
        let mut effects = Vec::with_capacity(f.code.len());
        for (pc, ins) in f.code.iter().enumerate() {
            let mut c =
                InstrCheck { v: self, fi, f, pc, ins: *ins, same_until: &same_until, eff: Effects::default(), work: 1 };
            c.check()?;
            let (eff, work) = (c.eff, c.work);
            self.charge(fi, f, work)?;
            effects.push(eff);
        }
        self.control_and_assignment(fi, f, &effects)
    }

    fn charge(&mut self, fi: u32, f: &Function, units: u64) -> Res<()> {
        self.work = self.work.saturating_add(units);
        if self.work > self.budget {
            return Err(VerifyError {
                function: Some((fi, f.name.clone())),
                instr: None,
                message: format!(
                    "the module is too large to verify: it needs more than {} units of work (see docs/bytecode.md, \"Verification limits\")",
                    self.budget
                ),
            });
        }
        Ok(())
    }

    /// Builds the control-flow graph, checks that no reachable path runs off the end, and
    /// runs the definite-assignment pass: one pass over the blocks in reverse postorder,
    /// each block's entry state the intersection of its forward predecessors' exit
    /// states, and every back edge checked to carry at least the state its target started
    /// with. That state is then an inductive invariant of every execution, so it is sound;
    /// for structured (reducible) code it is also the most precise one. Code whose loops
    /// the single pass cannot confirm is refused.
    fn control_and_assignment(&mut self, fi: u32, f: &'m Function, eff: &[Effects]) -> Res<()> {
        let m = self.m;
        let n = f.code.len();
        let at_err = |pc: usize, msg: String| -> Res<()> {
            Err(VerifyError {
                function: Some((fi, f.name.clone())),
                instr: Some(pc),
                message: format!("`{}`: {msg}", short_text(m, &f.code[pc], pc)),
            })
        };
        // Blocks: a leader starts at 0, at every jump target and after every jump or stop.
        let mut leader = vec![false; n];
        leader[0] = true;
        for (pc, e) in eff.iter().enumerate() {
            match e.flow {
                Flow::Next => {}
                Flow::Branch(t) | Flow::Goto(t) => {
                    leader[t as usize] = true;
                    if pc + 1 < n {
                        leader[pc + 1] = true;
                    }
                }
                Flow::Stop => {
                    if pc + 1 < n {
                        leader[pc + 1] = true;
                    }
                }
            }
        }
        let starts: Vec<u32> = (0..n).filter(|&i| leader[i]).map(|i| i as u32).collect();
        drop(leader);
        let nb = starts.len();
        let end_of = |b: usize| if b + 1 < nb { starts[b + 1] as usize } else { n };
        let block_of = |pc: u32| starts.partition_point(|&s| s <= pc) - 1;
        // Successors of a block (each once); `None` where control would run off the end.
        let succs = |b: usize| -> [Option<usize>; 2] {
            let last = end_of(b) - 1;
            let next = if last + 1 < n { Some(b + 1) } else { None };
            match eff[last].flow {
                Flow::Next => [next, None],
                Flow::Branch(t) => {
                    let t = block_of(t);
                    if next == Some(t) {
                        [next, None]
                    } else {
                        [next, Some(t)]
                    }
                }
                Flow::Goto(t) => [Some(block_of(t)), None],
                Flow::Stop => [None, None],
            }
        };
        // Reverse postorder of the reachable blocks, by an explicit-stack DFS.
        const UNSEEN: u32 = u32::MAX;
        let mut rpo_num = vec![UNSEEN; nb];
        let mut post: Vec<u32> = Vec::new();
        {
            let mut seen = vec![false; nb];
            let mut stack: Vec<(u32, u8)> = vec![(0, 0)];
            seen[0] = true;
            while let Some(top) = stack.last_mut() {
                let (b, k) = (top.0 as usize, top.1);
                let ss = succs(b);
                if (k as usize) < ss.len() {
                    top.1 += 1;
                    if let Some(s) = ss[k as usize] {
                        if !seen[s] {
                            seen[s] = true;
                            stack.push((s as u32, 0));
                        }
                    }
                } else {
                    post.push(b as u32);
                    stack.pop();
                }
            }
        }
        let rpo: Vec<u32> = post.into_iter().rev().collect();
        for (i, &b) in rpo.iter().enumerate() {
            rpo_num[b as usize] = i as u32;
        }
        // Falling off the end.
        for &b in &rpo {
            let last = end_of(b as usize) - 1;
            if last + 1 == n && matches!(eff[last].flow, Flow::Next | Flow::Branch(_)) {
                return at_err(
                    last,
                    "control can run past the end of the function (the last instruction on every path must be a return, a jump or a call of panic)".into(),
                );
            }
        }

        // Definite assignment of non-optional reference registers.
        let nregs = f.regs.len();
        let entry = f.params.len() + f.captures.len();
        // `prefix[r]`: how many tracked registers come before register r.
        let mut prefix = vec![0u32; nregs + 1];
        let mut tracked: Vec<u16> = Vec::new();
        for r in 0..nregs {
            let t = r >= entry && self.needs_init(f.regs[r]);
            if t {
                tracked.push(r as u16);
            }
            prefix[r + 1] = prefix[r] + t as u32;
        }
        if tracked.is_empty() {
            return Ok(());
        }
        let words = tracked.len().div_ceil(64);
        let is_tracked = |r: u16| prefix[r as usize + 1] != prefix[r as usize];
        let bit = |r: u16| prefix[r as usize] as usize;
        let reg_name = |b: usize| {
            let r = tracked[b];
            format!("register r{r} ({})", m.type_name(f.regs[r as usize]))
        };
        // For each block, the position in the order of the last back edge into it.
        let mut last_back = vec![UNSEEN; nb];
        for (i, &b) in rpo.iter().enumerate() {
            for s in succs(b as usize).into_iter().flatten() {
                if rpo_num[s] <= i as u32 {
                    last_back[s] = i as u32;
                }
            }
        }
        let mut pending: Vec<Option<Box<[u64]>>> = vec![None; nb];
        let mut header: Vec<Option<Box<[u64]>>> = vec![None; nb];
        for (i, &b) in rpo.iter().enumerate() {
            let b = b as usize;
            self.charge(fi, f, 2 * words as u64 + 1)?;
            let mut st: Box<[u64]> = match pending[b].take() {
                Some(s) => s,
                // The entry block (forward predecessors precede every other block).
                None => vec![0u64; words].into_boxed_slice(),
            };
            if last_back[b] != UNSEEN {
                header[b] = Some(st.clone());
            }
            let first = starts[b] as usize;
            for (pc, e) in eff.iter().enumerate().take(end_of(b)).skip(first) {
                for &r in &e.reads[..e.nreads as usize] {
                    if is_tracked(r) && st[bit(r) / 64] & (1 << (bit(r) % 64)) == 0 {
                        return at_err(pc, format!("{} may be read before it is written", reg_name(bit(r))));
                    }
                }
                if e.window.1 > 0 {
                    let (lo, hi) = (
                        prefix[e.window.0 as usize] as usize,
                        prefix[e.window.0 as usize + e.window.1 as usize] as usize,
                    );
                    self.charge(fi, f, ((hi - lo) / 64 + 1) as u64)?;
                    if let Some(missing) = first_clear(&st, lo, hi) {
                        return at_err(pc, format!("{} may be read before it is written", reg_name(missing)));
                    }
                }
                if let Some(d) = e.def {
                    if is_tracked(d) {
                        st[bit(d) / 64] |= 1 << (bit(d) % 64);
                    }
                }
            }
            for s in succs(b).into_iter().flatten() {
                if rpo_num[s] > i as u32 {
                    self.charge(fi, f, words as u64)?;
                    match &mut pending[s] {
                        Some(p) => p.iter_mut().zip(st.iter()).for_each(|(p, s)| *p &= s),
                        slot @ None => *slot = Some(st.clone()),
                    }
                } else {
                    let h = header[s].as_ref().expect("a loop header's state is kept until its last back edge");
                    if let Some(w) = (0..words).find(|&w| h[w] & !st[w] != 0) {
                        let missing = w * 64 + (h[w] & !st[w]).trailing_zeros() as usize;
                        return at_err(
                            end_of(b) - 1,
                            format!(
                                "{} is written when instruction {} is first reached but not on this path back to it (the verifier needs each register written at a loop's start to be written on every path around the loop)",
                                reg_name(missing),
                                starts[s]
                            ),
                        );
                    }
                    if last_back[s] == i as u32 {
                        header[s] = None;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The first clear bit in `lo..hi`, if any.
fn first_clear(st: &[u64], lo: usize, hi: usize) -> Option<usize> {
    let mut i = lo;
    while i < hi {
        let w = i / 64;
        let off = i % 64;
        let span = (64 - off).min(hi - i);
        let mask = if span == 64 { u64::MAX } else { ((1u64 << span) - 1) << off };
        let missing = !st[w] & mask;
        if missing != 0 {
            return Some(w * 64 + missing.trailing_zeros() as usize);
        }
        i += span;
    }
    None
}

/// Where control goes after an instruction.
#[derive(Clone, Copy, Debug, Default)]
enum Flow {
    /// To the next instruction.
    #[default]
    Next,
    /// To the next instruction or the target.
    Branch(u32),
    /// To the target only.
    Goto(u32),
    /// Nowhere in this function (returns, or never returns).
    Stop,
}

/// What an instruction reads and writes, for the definite-assignment pass.
#[derive(Clone, Copy, Debug, Default)]
struct Effects {
    reads: [u16; 3],
    nreads: u8,
    /// A window of consecutive registers read: first and count.
    window: (u16, u32),
    def: Option<u16>,
    flow: Flow,
}

/// Checks one instruction.
struct InstrCheck<'a, 'm> {
    v: &'a Verifier<'m>,
    fi: u32,
    f: &'m Function,
    pc: usize,
    ins: Instr,
    same_until: &'a [u32],
    eff: Effects,
    /// Units of work the checks took.
    work: u64,
}

/// Where a base type is expected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Base {
    Int,
    Float,
    Bool,
    Str,
}

impl Base {
    fn matches(self, t: &Type) -> bool {
        matches!(
            (self, t),
            (Base::Int, Type::Int) | (Base::Float, Type::Float) | (Base::Bool, Type::Bool) | (Base::Str, Type::Str)
        )
    }
    fn name(self) -> &'static str {
        match self {
            Base::Int => "int",
            Base::Float => "float",
            Base::Bool => "bool",
            Base::Str => "str",
        }
    }
}

impl<'a, 'm> InstrCheck<'a, 'm> {
    fn err<T>(&self, msg: impl Into<String>) -> Res<T> {
        Err(VerifyError {
            function: Some((self.fi, self.f.name.clone())),
            instr: Some(self.pc),
            message: format!("`{}`: {}", short_text(self.v.m, &self.ins, self.pc), msg.into()),
        })
    }

    fn nregs(&self) -> usize {
        self.f.regs.len()
    }

    /// The type of register `r`, which must be in the frame.
    fn reg(&self, r: u16) -> Res<TypeId> {
        match self.f.regs.get(r as usize) {
            Some(&t) => Ok(t),
            None => {
                self.err(format!("register r{r} is outside the frame (the function has {} registers)", self.nregs()))
            }
        }
    }
    fn read(&mut self, r: u16) -> Res<TypeId> {
        let t = self.reg(r)?;
        let e = &mut self.eff;
        e.reads[e.nreads as usize] = r;
        e.nreads += 1;
        Ok(t)
    }
    fn write(&mut self, r: u16) -> Res<TypeId> {
        let t = self.reg(r)?;
        self.eff.def = Some(r);
        Ok(t)
    }
    /// Registers `first..first+n` are read; they must be in the frame.
    fn window(&mut self, first: u16, n: usize) -> Res<()> {
        if first as usize + n > self.nregs() {
            return self.err(format!(
                "registers r{first}..r{} are outside the frame (the function has {} registers)",
                first as usize + n,
                self.nregs()
            ));
        }
        self.eff.window = (first, n as u32);
        Ok(())
    }
    fn ty(&self, id: TypeId) -> &'m Type {
        self.v.ty(id)
    }
    fn name(&self, id: TypeId) -> String {
        self.v.name(id)
    }
    fn base(&self, r: u16, t: TypeId, want: Base) -> Res<()> {
        if want.matches(self.ty(t)) {
            Ok(())
        } else {
            self.err(format!("register r{r} has type {}, expected {}", self.name(t), want.name()))
        }
    }
    fn read_base(&mut self, r: u16, want: Base) -> Res<()> {
        let t = self.read(r)?;
        self.base(r, t, want)
    }
    fn write_base(&mut self, r: u16, want: Base) -> Res<()> {
        let t = self.write(r)?;
        self.base(r, t, want)
    }
    fn same(&self, r: u16, t: TypeId, want: TypeId, role: &str) -> Res<()> {
        if t == want {
            Ok(())
        } else {
            self.err(format!("register r{r} has type {}, but {role} has type {}", self.name(t), self.name(want)))
        }
    }
    /// The window `first..first+n` holds exactly the types `want`, in order.
    fn window_types(&mut self, first: u16, want: &[TypeId], role: &str) -> Res<()> {
        self.window(first, want.len())?;
        self.work += want.len() as u64;
        for (i, &w) in want.iter().enumerate() {
            let r = first + i as u16;
            let t = self.f.regs[r as usize];
            if t != w {
                return self.err(format!(
                    "register r{r} has type {}, but {role} {i} has type {}",
                    self.name(t),
                    self.name(w)
                ));
            }
        }
        Ok(())
    }
    fn zero(&self, what: &str, v: u16) -> Res<()> {
        if v == 0 {
            Ok(())
        } else {
            self.err(format!("operand {what} is not used by this instruction and must be 0, not {v}"))
        }
    }
    fn target(&self, off: i64) -> Res<u32> {
        let op = self.ins.op;
        if off < 0 && !op.is_loop() {
            return self.err(format!(
                "jump offset {off} goes backward, which only a loop jump may do (here {}): a backward jump must use fuel",
                op.backward().name()
            ));
        }
        if off >= 0 && op.is_loop() {
            return self.err(format!(
                "a loop jump must go backward, but its offset is {off} (a forward jump is {})",
                op.forward().name()
            ));
        }
        let t = self.pc as i64 + 1 + off;
        if t < 0 || t >= self.f.code.len() as i64 {
            return self.err(format!(
                "jump offset {off} leads to instruction {t}, outside the function (instructions 0..{})",
                self.f.code.len()
            ));
        }
        Ok(t as u32)
    }
    /// A call's result: written to A if the callee has one, else A must be 0.
    fn result(&mut self, ret: Option<TypeId>, role: &str) -> Res<()> {
        match ret {
            Some(rt) => {
                let a = self.ins.a;
                let t = self.write(a)?;
                self.same(a, t, rt, role)
            }
            None => self.zero("A", self.ins.a),
        }
    }

    fn check(&mut self) -> Res<()> {
        let Instr { op, a, b, c } = self.ins;
        // Reserved operands, by format.
        match op.format() {
            Format::N => {
                self.zero("A", a)?;
                self.zero("B", b)?;
                self.zero("C", c)?;
            }
            Format::A => {
                self.zero("B", b)?;
                self.zero("C", c)?;
            }
            Format::AB => self.zero("C", c)?,
            Format::J => self.zero("A", a)?,
            Format::BN => self.zero("A", a)?,
            _ => {}
        }
        use Base::*;
        match op {
            Op::Nop => {}
            Op::Move => {
                let tb = self.read(b)?;
                let ta = self.write(a)?;
                let ok =
                    ta == tb || matches!(self.ty(ta), Type::Optional(inner) if *inner == tb && !is_prim(self.ty(tb)));
                if !ok {
                    return self.err(format!(
                        "cannot move a {} (r{b}) into a {} register (r{a})",
                        self.name(tb),
                        self.name(ta)
                    ));
                }
            }
            Op::LoadInt => self.write_base(a, Int)?,
            Op::LoadConst => {
                let k = self.ins.bc();
                let want = match self.v.m.consts.get(k as usize) {
                    Some(Const::Int(_)) => Int,
                    Some(Const::Float(_)) => Float,
                    Some(Const::Str(_)) => Str,
                    None => {
                        return self.err(format!("constant {k} does not exist ({} constants)", self.v.m.consts.len()))
                    }
                };
                self.write_base(a, want)?;
            }
            Op::LoadBool => {
                if self.ins.bc() > 1 {
                    return self.err(format!("the value must be 0 or 1, not {}", self.ins.bc()));
                }
                self.write_base(a, Bool)?;
            }
            Op::LoadNil => {
                let t = self.write(a)?;
                if !matches!(self.ty(t), Type::Optional(_)) {
                    return self.err(format!("register r{a} has type {}, expected an optional", self.name(t)));
                }
            }
            Op::GetGlobal | Op::SetGlobal => {
                let g = self.ins.bc();
                let Some(global) = self.v.m.globals.get(g as usize) else {
                    return self.err(format!("global {g} does not exist ({} globals)", self.v.m.globals.len()));
                };
                let t = if op == Op::GetGlobal { self.write(a)? } else { self.read(a)? };
                self.same(a, t, global.ty, &format!("global {g} ({})", global.name))?;
            }
            Op::AddI
            | Op::SubI
            | Op::MulI
            | Op::DivI
            | Op::RemI
            | Op::AndI
            | Op::OrI
            | Op::XorI
            | Op::ShlI
            | Op::ShrI
            | Op::MinI
            | Op::MaxI => self.abc(Int, Int, Int)?,
            Op::AddF | Op::SubF | Op::MulF | Op::DivF | Op::RemF | Op::Pow | Op::Atan2 | Op::MinF | Op::MaxF => {
                self.abc(Float, Float, Float)?
            }
            Op::EqI | Op::NeI | Op::LtI | Op::LeI => self.abc(Bool, Int, Int)?,
            Op::EqF | Op::NeF | Op::LtF | Op::LeF => self.abc(Bool, Float, Float)?,
            Op::EqB | Op::NeB => self.abc(Bool, Bool, Bool)?,
            Op::EqS | Op::NeS | Op::LtS | Op::LeS | Op::Concat => {
                let r = if op == Op::Concat { Str } else { Bool };
                self.abc(r, Str, Str)?
            }
            Op::AddIImm => {
                self.read_base(b, Int)?;
                self.write_base(a, Int)?;
            }
            Op::NegI | Op::BitNotI | Op::AbsI => self.ab(Int, Int)?,
            Op::NegF => self.ab(Float, Float)?,
            Op::IntToFloat => self.ab(Float, Int)?,
            Op::FloatToInt => self.ab(Int, Float)?,
            Op::Not => self.ab(Bool, Bool)?,
            Op::StrLen => self.ab(Int, Str)?,
            Op::Math => {
                if MathFn::from_u16(c).is_none() {
                    return self.err(format!("math function {c} does not exist ({} exist)", MathFn::ALL.len()));
                }
                self.ab(Float, Float)?;
            }
            Op::EqRef => {
                let tb = self.read(b)?;
                let tc = self.read(c)?;
                self.write_base(a, Bool)?;
                self.same(c, tc, tb, &format!("r{b}"))?;
                if !matches!(self.ty(tb), Type::Array(_) | Type::Map(..) | Type::Struct(_) | Type::Fn(..)) {
                    return self.err(format!(
                        "register r{b} has type {}, expected an array, map, struct or function",
                        self.name(tb)
                    ));
                }
            }
            Op::EqOpt => {
                let tb = self.read(b)?;
                let tc = self.read(c)?;
                self.write_base(a, Bool)?;
                self.same(c, tc, tb, &format!("r{b}"))?;
                self.optional(b, tb)?;
            }
            Op::IsNil => {
                let tb = self.read(b)?;
                self.write_base(a, Bool)?;
                self.optional(b, tb)?;
            }
            // A loop jump is checked as its forward twin; `target` checks the direction.
            Op::Jmp | Op::Loop => {
                let t = self.target(self.ins.sbc() as i64)?;
                self.eff.flow = Flow::Goto(t);
            }
            Op::JmpIf
            | Op::JmpIfNot
            | Op::JmpIfNil
            | Op::JmpIfNotNil
            | Op::LoopIf
            | Op::LoopIfNot
            | Op::LoopIfNil
            | Op::LoopIfNotNil => {
                let ta = self.read(a)?;
                if matches!(op.forward(), Op::JmpIf | Op::JmpIfNot) {
                    self.base(a, ta, Bool)?;
                } else {
                    self.optional(a, ta)?;
                }
                let t = self.target(self.ins.sbc() as i64)?;
                self.eff.flow = Flow::Branch(t);
            }
            Op::JmpIfLtI
            | Op::JmpIfNotLtI
            | Op::JmpIfLeI
            | Op::JmpIfNotLeI
            | Op::JmpIfEqI
            | Op::JmpIfNeI
            | Op::JmpIfLtF
            | Op::JmpIfLeF
            | Op::JmpIfNotLtF
            | Op::JmpIfNotLeF
            | Op::LoopIfLtI
            | Op::LoopIfNotLtI
            | Op::LoopIfLeI
            | Op::LoopIfNotLeI
            | Op::LoopIfEqI
            | Op::LoopIfNeI
            | Op::LoopIfLtF
            | Op::LoopIfLeF
            | Op::LoopIfNotLtF
            | Op::LoopIfNotLeF => {
                let want = if matches!(op.forward(), Op::JmpIfLtF | Op::JmpIfLeF | Op::JmpIfNotLtF | Op::JmpIfNotLeF) {
                    Float
                } else {
                    Int
                };
                self.read_base(a, want)?;
                self.read_base(b, want)?;
                let t = self.target(self.ins.sc() as i64)?;
                self.eff.flow = Flow::Branch(t);
            }
            Op::JmpIfLtIK
            | Op::JmpIfNotLtIK
            | Op::JmpIfLeIK
            | Op::JmpIfNotLeIK
            | Op::JmpIfEqIK
            | Op::JmpIfNeIK
            | Op::LoopIfLtIK
            | Op::LoopIfNotLtIK
            | Op::LoopIfLeIK
            | Op::LoopIfNotLeIK
            | Op::LoopIfEqIK
            | Op::LoopIfNeIK => {
                self.read_base(a, Int)?;
                let t = self.target(self.ins.sc() as i64)?;
                self.eff.flow = Flow::Branch(t);
            }
            Op::CallNoFuel | Op::CallClosureNoFuel => {
                return self.err(format!("opcode {} is internal to the VM and never valid in a module", op as u8));
            }
            Op::Call => {
                let Some(callee) = self.v.m.functions.get(b as usize) else {
                    return self.err(format!("function {b} does not exist ({} functions)", self.v.m.functions.len()));
                };
                if !callee.captures.is_empty() {
                    return self.err(format!(
                        "function {b} ({}) has captures; it can only be called through a closure",
                        callee.name
                    ));
                }
                self.window_types(c, &callee.params, &format!("function {b} ({}) takes as parameter", callee.name))?;
                self.result(callee.ret, &format!("the result of function {b} ({})", callee.name))?;
            }
            Op::CallClosure => {
                let tb = self.read(b)?;
                let Type::Fn(ps, r) = self.ty(tb) else {
                    return self.err(format!("register r{b} has type {}, expected a function", self.name(tb)));
                };
                self.window_types(c, ps, "the function takes as parameter")?;
                self.result(*r, "the function's result")?;
            }
            Op::CallHost => {
                let Some(imp) = self.v.m.imports.get(b as usize) else {
                    return self.err(format!("import {b} does not exist ({} imports)", self.v.m.imports.len()));
                };
                let who = format!("import {b} ({}.{})", imp.module, imp.name);
                self.window_types(c, &imp.params, &format!("{who} takes as parameter"))?;
                self.result(imp.ret, &format!("the result of {who}"))?;
            }
            Op::CallBuiltin => self.builtin()?,
            Op::Ret => {
                let ta = self.read(a)?;
                match self.f.ret {
                    Some(rt) => self.same(a, ta, rt, "the function's result")?,
                    None => return self.err("the function returns nothing; use RetVoid"),
                }
                self.eff.flow = Flow::Stop;
            }
            Op::RetVoid => {
                if let Some(rt) = self.f.ret {
                    return self.err(format!("the function must return a {}", self.name(rt)));
                }
                self.eff.flow = Flow::Stop;
            }
            Op::MakeClosure => {
                let Some(callee) = self.v.m.functions.get(b as usize) else {
                    return self.err(format!("function {b} does not exist ({} functions)", self.v.m.functions.len()));
                };
                self.window_types(c, &callee.captures, &format!("function {b} ({}) captures as value", callee.name))?;
                let ta = self.write(a)?;
                let ok = matches!(self.ty(ta), Type::Fn(ps, r) if *ps == callee.params && *r == callee.ret);
                if !ok {
                    return self.err(format!(
                        "register r{a} has type {}, which is not the type of function {b} ({})",
                        self.name(ta),
                        callee.name
                    ));
                }
            }
            Op::NewArray => {
                let ta = self.write(a)?;
                let e = self.array(a, ta)?;
                self.window(b, c as usize)?;
                if c > 0
                    && (self.f.regs[b as usize] != e
                        || (self.same_until[b as usize] as usize) < b as usize + c as usize)
                {
                    let bad = (b..b + c).find(|&r| self.f.regs[r as usize] != e).unwrap_or(b);
                    return self.err(format!(
                        "element register r{bad} has type {}, but the array holds {}",
                        self.name(self.f.regs[bad as usize]),
                        self.name(e)
                    ));
                }
            }
            Op::ArrayRepeat => {
                let tb = self.read(b)?;
                self.read_base(c, Int)?;
                let ta = self.write(a)?;
                let e = self.array(a, ta)?;
                self.same(b, tb, e, "the array's elements")?;
            }
            Op::GetIndex => {
                let tb = self.read(b)?;
                self.read_base(c, Int)?;
                let ta = self.write(a)?;
                let e = self.array(b, tb)?;
                self.same(a, ta, e, "the array's elements")?;
            }
            Op::SetIndex => {
                let ta = self.read(a)?;
                self.read_base(b, Int)?;
                let tc = self.read(c)?;
                let e = self.array(a, ta)?;
                self.same(c, tc, e, "the array's elements")?;
            }
            Op::ArrayLen => {
                let tb = self.read(b)?;
                self.write_base(a, Int)?;
                self.array(b, tb)?;
            }
            Op::ArrayPush => {
                let ta = self.read(a)?;
                let tb = self.read(b)?;
                let e = self.array(a, ta)?;
                self.same(b, tb, e, "the array's elements")?;
            }
            Op::NewMap => {
                let ta = self.write(a)?;
                self.map(a, ta)?;
            }
            Op::MapGet | Op::MapGetOpt => {
                let tb = self.read(b)?;
                let tc = self.read(c)?;
                let ta = self.write(a)?;
                let (k, v) = self.map(b, tb)?;
                self.same(c, tc, k, "the map's keys")?;
                if op == Op::MapGet {
                    self.same(a, ta, v, "the map's values")?;
                } else {
                    self.opt_of(a, ta, v)?;
                }
            }
            Op::MapSet => {
                let ta = self.read(a)?;
                let tb = self.read(b)?;
                let tc = self.read(c)?;
                let (k, v) = self.map(a, ta)?;
                self.same(b, tb, k, "the map's keys")?;
                self.same(c, tc, v, "the map's values")?;
            }
            Op::NewStruct => {
                let Some(s) = self.v.m.structs.get(b as usize) else {
                    return self.err(format!("struct {b} does not exist ({} structs)", self.v.m.structs.len()));
                };
                let want: Vec<TypeId> = s.fields.iter().map(|f| f.ty).collect();
                self.window_types(c, &want, &format!("struct {b} ({}) has as field", s.name))?;
                let ta = self.write(a)?;
                if *self.ty(ta) != Type::Struct(b as u32) {
                    return self.err(format!(
                        "register r{a} has type {}, expected struct {b} ({})",
                        self.name(ta),
                        s.name
                    ));
                }
            }
            Op::GetField => {
                let tb = self.read(b)?;
                let ta = self.write(a)?;
                let ft = self.field(b, tb, c)?;
                self.same(a, ta, ft, &format!("field {c}"))?;
            }
            Op::SetField => {
                let ta = self.read(a)?;
                let tc = self.read(c)?;
                let ft = self.field(a, ta, b)?;
                self.same(c, tc, ft, &format!("field {b}"))?;
            }
            Op::WrapOpt => {
                let tb = self.read(b)?;
                let ta = self.write(a)?;
                if !is_prim(self.ty(tb)) || *self.ty(ta) != Type::Optional(tb) {
                    return self.err(format!(
                        "cannot box a {} (r{b}) into a {} register (r{a}); WrapOpt takes an int, float or bool into its optional",
                        self.name(tb),
                        self.name(ta)
                    ));
                }
            }
            Op::UnwrapBox | Op::UnwrapRef => {
                let tb = self.read(b)?;
                let ta = self.write(a)?;
                let prim_wanted = op == Op::UnwrapBox;
                if *self.ty(tb) != Type::Optional(ta) || is_prim(self.ty(ta)) != prim_wanted {
                    let kind = if prim_wanted { "an int, float or bool" } else { "a reference" };
                    return self.err(format!(
                        "cannot unwrap a {} (r{b}) into a {} register (r{a}); {} takes the optional of {kind}",
                        self.name(tb),
                        self.name(ta),
                        op.name()
                    ));
                }
            }
            Op::ToStr => {
                self.read(b)?;
                self.write_base(a, Str)?;
            }
            Op::Print => self.window(b, c as usize)?,
        }
        Ok(())
    }

    fn abc(&mut self, a: Base, b: Base, c: Base) -> Res<()> {
        let Instr { a: ra, b: rb, c: rc, .. } = self.ins;
        self.read_base(rb, b)?;
        self.read_base(rc, c)?;
        self.write_base(ra, a)
    }
    fn ab(&mut self, a: Base, b: Base) -> Res<()> {
        let Instr { a: ra, b: rb, .. } = self.ins;
        self.read_base(rb, b)?;
        self.write_base(ra, a)
    }
    fn optional(&self, r: u16, t: TypeId) -> Res<()> {
        if matches!(self.ty(t), Type::Optional(_)) {
            Ok(())
        } else {
            self.err(format!("register r{r} has type {}, expected an optional", self.name(t)))
        }
    }
    /// The element type of the array in register `r`.
    fn array(&self, r: u16, t: TypeId) -> Res<TypeId> {
        match self.ty(t) {
            Type::Array(e) => Ok(*e),
            _ => self.err(format!("register r{r} has type {}, expected an array", self.name(t))),
        }
    }
    /// The key and value types of the map in register `r`.
    fn map(&self, r: u16, t: TypeId) -> Res<(TypeId, TypeId)> {
        match self.ty(t) {
            Type::Map(k, v) => Ok((*k, *v)),
            _ => self.err(format!("register r{r} has type {}, expected a map", self.name(t))),
        }
    }
    /// Register `r` (type `t`) must be `V?`, or `V` itself when `V` is optional.
    fn opt_of(&self, r: u16, t: TypeId, v: TypeId) -> Res<()> {
        let ok = if matches!(self.ty(v), Type::Optional(_)) { t == v } else { *self.ty(t) == Type::Optional(v) };
        if ok {
            Ok(())
        } else {
            self.err(format!("register r{r} has type {}, expected the optional of {}", self.name(t), self.name(v)))
        }
    }
    /// The type of field `i` of the struct in register `r`.
    fn field(&self, r: u16, t: TypeId, i: u16) -> Res<TypeId> {
        let Type::Struct(s) = self.ty(t) else {
            return self.err(format!("register r{r} has type {}, expected a struct", self.name(t)));
        };
        let def = &self.v.m.structs[*s as usize];
        match def.fields.get(i as usize) {
            Some(f) => Ok(f.ty),
            None => self.err(format!("struct {} has no field {i} (it has {})", def.name, def.fields.len())),
        }
    }

    fn builtin(&mut self) -> Res<()> {
        let Instr { a, b, c, .. } = self.ins;
        let Some(bi) = Builtin::from_u16(b) else {
            return self.err(format!("built-in {b} does not exist ({} exist)", Builtin::ALL.len()));
        };
        if bi.variadic() {
            // `eprint`: A is the count; any types.
            return self.window(c, a as usize);
        }
        let sig = builtin_sig(bi);
        if sig.params.len() != bi.arity() {
            return self.err(format!("built-in {} has no usable signature", bi.name()));
        }
        self.window(c, sig.params.len())?;
        self.work += sig.params.len() as u64;
        let (mut elem, mut arr, mut kv) = (None, None, None);
        for (i, p) in sig.params.iter().enumerate() {
            let r = c + i as u16;
            let t = self.f.regs[r as usize];
            let ok = match p {
                Pat::Array => match self.ty(t) {
                    Type::Array(e) => {
                        elem = Some(*e);
                        arr = Some(t);
                        true
                    }
                    _ => false,
                },
                Pat::Map => match self.ty(t) {
                    Type::Map(k, v) => {
                        kv = Some((*k, *v));
                        true
                    }
                    _ => false,
                },
                p => self.pat(*p, t, elem, arr, kv),
            };
            if !ok {
                return self.err(format!(
                    "argument {i} of {} (r{r}) has type {}, expected {p} (the built-in takes {sig})",
                    bi.name(),
                    self.name(t)
                ));
            }
        }
        if bi == Builtin::Panic {
            self.eff.flow = Flow::Stop;
        }
        match sig.ret {
            None => self.zero("A", a),
            Some(p) => {
                let t = self.write(a)?;
                if !self.pat(p, t, elem, arr, kv) {
                    return self.err(format!(
                        "the result register r{a} has type {}, expected {p} (the built-in {} takes {sig})",
                        self.name(t),
                        bi.name()
                    ));
                }
                Ok(())
            }
        }
    }

    /// Whether type `t` matches `p` given the bindings of `E`, the array type, and `K`/`V`.
    fn pat(&self, p: Pat, t: TypeId, elem: Option<TypeId>, arr: Option<TypeId>, kv: Option<(TypeId, TypeId)>) -> bool {
        let of = |b: Base, id: TypeId| b.matches(self.ty(id));
        let ty = self.ty(t);
        match p {
            Pat::Int => of(Base::Int, t),
            Pat::Float => of(Base::Float, t),
            Pat::Bool => of(Base::Bool, t),
            Pat::Str => of(Base::Str, t),
            Pat::OptInt => matches!(ty, Type::Optional(e) if of(Base::Int, *e)),
            Pat::OptFloat => matches!(ty, Type::Optional(e) if of(Base::Float, *e)),
            Pat::StrArray => matches!(ty, Type::Array(e) if of(Base::Str, *e)),
            Pat::IntArray => matches!(ty, Type::Array(e) if of(Base::Int, *e)),
            Pat::Array => matches!(ty, Type::Array(_)),
            Pat::Map => matches!(ty, Type::Map(..)),
            Pat::Elem => elem == Some(t),
            Pat::SameArray => arr == Some(t),
            Pat::Compare => match (ty, elem) {
                (Type::Fn(ps, Some(r)), Some(e)) => ps.len() == 2 && ps[0] == e && ps[1] == e && of(Base::Int, *r),
                _ => false,
            },
            Pat::Key => kv.is_some_and(|(k, _)| k == t),
            Pat::Val => kv.is_some_and(|(_, v)| v == t),
            Pat::OptVal => {
                kv.is_some_and(
                    |(_, v)| {
                        if matches!(self.ty(v), Type::Optional(_)) {
                            t == v
                        } else {
                            *ty == Type::Optional(v)
                        }
                    },
                )
            }
            Pat::KeyArray => kv.is_some_and(|(k, _)| *ty == Type::Array(k)),
            Pat::ValArray => kv.is_some_and(|(_, v)| *ty == Type::Array(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_signature_has_its_arity() {
        for &b in Builtin::ALL {
            if !b.variadic() {
                assert_eq!(builtin_sig(b).params.len(), b.arity(), "{}", b.name());
            }
        }
    }

    #[test]
    fn first_clear_finds_gaps() {
        let st = [u64::MAX, !(1u64 << 5)];
        assert_eq!(first_clear(&st, 0, 64), None);
        assert_eq!(first_clear(&st, 3, 69), None);
        assert_eq!(first_clear(&st, 3, 70), Some(69));
        assert_eq!(first_clear(&st, 70, 128), None);
        assert_eq!(first_clear(&st, 10, 10), None);
    }
}
