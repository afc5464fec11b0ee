//! Structured mutations of valid modules, and the check every mutant must pass: decoding,
//! verifying and (if it verifies) a bounded run may fail with an error or a trap, but must
//! never panic, crash, hang or exhaust memory.
//!
//! Shared by the bounded mutation test (`tests/bytecode_fuzz.rs`, part of `cargo test`) and
//! the cargo-fuzz targets in `fuzz/`, which include this file by path.

#![allow(dead_code)]

use kite_vm::bytecode::decode::decode;
use kite_vm::bytecode::encode::{encode_with_map, seal, EncodeMap, HEADER_LEN, MAGIC, VERSION_MAJOR, VERSION_MINOR};
use kite_vm::bytecode::VerifiedModule;
use kite_vm::bytecode::{verify, Module, Op};
use kite_vm::host::{HostFunc, HostFuncs, Val, ValType};
use kite_vm::runtime::{RunOptions, Vm};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Fuel, call depth and heap limit of the bounded run.
pub const FUEL: u64 = 5_000;
pub const MAX_DEPTH: usize = 48;
pub const MAX_HEAP: usize = 256 << 20;

/// A source of choices: a seeded generator, or the bytes of a fuzzer's input.
pub trait Choices {
    fn next_u64(&mut self) -> u64;
    /// Uniform-ish in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// SplitMix64: small, fast, and the same sequence on every host.
pub struct SplitMix(pub u64);

impl Choices for SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Choices read from a fuzzer's input, four bytes each, then from a generator seeded by
/// the input's length once the input runs out.
pub struct Tape<'a> {
    data: &'a [u8],
    pos: usize,
    rest: SplitMix,
}

impl<'a> Tape<'a> {
    pub fn new(data: &'a [u8]) -> Tape<'a> {
        Tape { data, pos: 0, rest: SplitMix(data.len() as u64) }
    }
}

impl Choices for Tape<'_> {
    fn next_u64(&mut self) -> u64 {
        if self.pos + 4 <= self.data.len() {
            let b = &self.data[self.pos..self.pos + 4];
            self.pos += 4;
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64
        } else {
            self.rest.next_u64()
        }
    }
}

/// A valid module to mutate: its bytes and where its counts and instructions are.
pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
    pub map: EncodeMap,
}

impl Seed {
    pub fn new(name: String, m: &Module) -> Seed {
        let (bytes, map) = encode_with_map(m);
        Seed { name, bytes, map }
    }
}

#[path = "programs.rs"]
pub mod program_files;
use program_files::collect;

/// The `.kite` programs under `dirs` that are expected to compile, sorted.
pub fn programs(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for d in dirs {
        collect(d, &mut files);
    }
    files.retain(|p| std::fs::read_to_string(p).is_ok_and(|s| !s.contains("// expect-error:")));
    files.sort();
    files
}

fn leb(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// The value and length of the LEB128 number at `at`.
fn read_leb(bytes: &[u8], at: usize) -> (u64, usize) {
    let mut v = 0u64;
    for i in 0..10 {
        let Some(&b) = bytes.get(at + i) else { return (v, i) };
        v |= ((b & 0x7f) as u64).wrapping_shl(7 * i as u32);
        if b & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    (v, 10)
}

/// One edit of the original bytes: replace `len` bytes at `at` with `with`.
struct Edit {
    at: usize,
    len: usize,
    with: Vec<u8>,
}

const COUNT_VALUES: &[u64] =
    &[0, 1, 255, 256, 65_535, 65_536, 65_537, 1 << 20, (1 << 24) + 1, u32::MAX as u64, 1 << 32, u64::MAX];

const OPERAND_VALUES: &[u16] = &[0, 1, 2, 3, 7, 255, 256, 0x7fff, 0x8000, 0xfffe, 0xffff];

/// A mutant of `seed`: one to four structured or byte-level changes, then (usually) the
/// digest recomputed so that the decoder reads the body.
pub fn mutate(seed: &Seed, c: &mut dyn Choices) -> Vec<u8> {
    let orig = &seed.bytes;
    let mut edits: Vec<Edit> = Vec::new();
    let mut byte_ops: Vec<usize> = Vec::new();
    for _ in 0..1 + c.below(4) {
        match c.below(16) {
            // An inflated (or deflated) count.
            0..=2 if !seed.map.counts.is_empty() => {
                let at = seed.map.counts[c.below(seed.map.counts.len())];
                let (old, len) = read_leb(orig, at);
                let v = match c.below(4) {
                    0 => old.wrapping_add(1 + c.below(3) as u64),
                    1 => old.wrapping_mul(2).wrapping_add(1),
                    2 => c.next_u64() >> c.below(64),
                    _ => COUNT_VALUES[c.below(COUNT_VALUES.len())],
                };
                edits.push(Edit { at, len, with: leb(v) });
            }
            // Swapped operands of an instruction.
            3..=6 if !seed.map.instrs.is_empty() => {
                let at = seed.map.instrs[c.below(seed.map.instrs.len())];
                let (x, y) = (c.below(3), c.below(3));
                let ops = [&orig[at + 2..at + 4], &orig[at + 4..at + 6], &orig[at + 6..at + 8]];
                let mut new: Vec<u8> = orig[at..at + 8].to_vec();
                new[2 + 2 * x..4 + 2 * x].copy_from_slice(ops[y]);
                new[2 + 2 * y..4 + 2 * y].copy_from_slice(ops[x]);
                edits.push(Edit { at, len: 8, with: new });
            }
            // An operand set to a boundary value, or nudged.
            7..=10 if !seed.map.instrs.is_empty() => {
                let at = seed.map.instrs[c.below(seed.map.instrs.len())];
                let k = c.below(3);
                let old = u16::from_le_bytes([orig[at + 2 + 2 * k], orig[at + 3 + 2 * k]]);
                let v = match c.below(3) {
                    0 => old.wrapping_add(1),
                    1 => old.wrapping_sub(1),
                    _ => OPERAND_VALUES[c.below(OPERAND_VALUES.len())],
                };
                let mut new: Vec<u8> = orig[at..at + 8].to_vec();
                new[2 + 2 * k..4 + 2 * k].copy_from_slice(&v.to_le_bytes());
                edits.push(Edit { at, len: 8, with: new });
            }
            // Another opcode (occasionally one that does not exist).
            11 | 12 if !seed.map.instrs.is_empty() => {
                let at = seed.map.instrs[c.below(seed.map.instrs.len())];
                let op = c.below(Op::ALL.len() + 2) as u8;
                edits.push(Edit { at, len: 1, with: vec![op] });
            }
            k => byte_ops.push(k),
        }
    }
    // Apply the structured edits from the end, so offsets stay right; skip overlaps.
    edits.sort_by_key(|e| std::cmp::Reverse(e.at));
    let mut out = orig.clone();
    let mut limit = usize::MAX;
    for e in edits {
        if e.at + e.len <= limit {
            out.splice(e.at..e.at + e.len, e.with);
            limit = e.at;
        }
    }
    // Then the byte-level ones, mostly in the body.
    for k in byte_ops {
        let body = if out.len() > HEADER_LEN && c.below(8) != 0 { HEADER_LEN } else { 0 };
        let span = out.len().saturating_sub(body).max(1);
        let pos = body + c.below(span);
        match k % 4 {
            0 => {
                if pos < out.len() {
                    out[pos] ^= 1 << c.below(8);
                }
            }
            1 => out.truncate(pos),
            2 => {
                let n = 1 + c.below(8);
                let ins: Vec<u8> = (0..n).map(|_| c.next_u64() as u8).collect();
                let pos = pos.min(out.len());
                out.splice(pos..pos, ins);
            }
            _ => {
                if pos < out.len() {
                    out[pos] = [0x00, 0x7f, 0x80, 0xff][c.below(4)];
                }
            }
        }
    }
    if c.below(16) != 0 {
        seal(&mut out);
    }
    out
}

/// What happened to one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Refused by the decoder.
    Decode(String),
    /// Refused by the verifier.
    Verify(String),
    /// Verified, but an import could not be linked.
    Link(String),
    /// Ran to the end (exit code) or trapped (message).
    Ran(Result<i32, String>),
}

/// `body` behind a correct header: lets a fuzzer reach the body parser directly.
pub fn with_header(body: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(HEADER_LEN + body.len());
    b.extend_from_slice(&MAGIC);
    b.extend_from_slice(&VERSION_MAJOR.to_le_bytes());
    b.extend_from_slice(&VERSION_MINOR.to_le_bytes());
    b.extend_from_slice(&[0; 32]);
    b.extend_from_slice(body);
    seal(&mut b);
    b
}

/// Decodes and verifies `bytes` (no run).
pub fn load(bytes: &[u8]) -> Result<Module, Outcome> {
    let m = decode(bytes).map_err(|e| Outcome::Decode(e.to_string()))?;
    verify(&m).map_err(|e| Outcome::Verify(e.to_string()))?;
    Ok(m)
}

/// Decodes, verifies and runs `bytes` with small limits.
pub fn check(bytes: &[u8]) -> Outcome {
    match load(bytes) {
        Ok(m) => run_bounded(m),
        Err(o) => o,
    }
}

/// A value of the host type `t`, for stub host functions.
fn default_val(t: &Option<ValType>) -> Val {
    match t {
        None | Some(ValType::Optional(_)) => Val::Nil,
        Some(ValType::Int) => Val::Int(0),
        Some(ValType::Float) => Val::Float(0.0),
        Some(ValType::Bool) => Val::Bool(false),
        Some(ValType::Str) => Val::Str(String::new()),
        Some(ValType::Array(_)) => Val::Array(Vec::new()),
        Some(ValType::Map(..)) => Val::Map(Vec::new()),
        // A struct of no fields: a struct type with fields refuses it, and the call traps.
        Some(ValType::Struct(name)) => Val::Struct { name: name.clone(), fields: Vec::new() },
        Some(ValType::Any) => Val::Nil,
    }
}

/// Host functions for every import of `m` whose types can cross the boundary, each
/// returning a default value: nothing outside the VM is touched.
pub fn stub_host(m: &Module) -> HostFuncs {
    let mut host = HostFuncs::new();
    for imp in &m.imports {
        let params: Option<Vec<ValType>> = imp.params.iter().map(|p| ValType::from_type(m, *p)).collect();
        let ret = imp.ret.map(|r| ValType::from_type(m, r));
        let (Some(params), false) = (params, matches!(ret, Some(None))) else { continue };
        let ret = ret.flatten();
        let value = default_val(&ret);
        host.define(
            &imp.module,
            &imp.name,
            HostFunc { params, ret, callback: Arc::new(move |_, _| Ok(value.clone())) },
        );
    }
    host
}

/// Runs a verified module's `init` and `main` with [`FUEL`], [`MAX_DEPTH`] and
/// [`MAX_HEAP`], output discarded.
pub fn run_bounded(m: Module) -> Outcome {
    let host = stub_host(&m);
    // Any limits added later keep their defaults.
    #[allow(clippy::needless_update)]
    let opts = RunOptions { max_depth: MAX_DEPTH, fuel: Some(FUEL), ..RunOptions::default() };
    let sink = || Box::new(std::io::sink());
    let m = match VerifiedModule::new(m) {
        Ok(m) => m,
        Err(e) => return Outcome::Link(format!("invalid bytecode: {e}")),
    };
    match Vm::new(m, &host, sink(), sink(), opts) {
        Err(e) => Outcome::Link(e.to_string()),
        Ok(mut vm) => {
            vm.heap.set_limit(MAX_HEAP);
            Outcome::Ran(vm.run_main().map_err(|t| t.message))
        }
    }
}

/// A global allocator that refuses to hold more than `cap` bytes at once. Runs of mutated
/// programs can ask for absurd amounts (`[0; 2_000_000_000]`); refused, the VM's fallible
/// allocations trap with `out of memory` instead of taking the machine's memory.
pub struct CappedAlloc {
    cap: usize,
    used: AtomicUsize,
}

impl CappedAlloc {
    pub const fn new(cap: usize) -> CappedAlloc {
        CappedAlloc { cap, used: AtomicUsize::new(0) }
    }
    fn take(&self, n: usize) -> bool {
        let prev = self.used.fetch_add(n, Ordering::Relaxed);
        if prev.saturating_add(n) > self.cap {
            self.used.fetch_sub(n, Ordering::Relaxed);
            return false;
        }
        true
    }
}

// Safety: every allocation is delegated to `System`; the counter only decides whether to
// ask, and a refusal is the null pointer the `GlobalAlloc` contract allows.
unsafe impl GlobalAlloc for CappedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !self.take(layout.size()) {
            return std::ptr::null_mut();
        }
        // Safety: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            self.used.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !self.take(layout.size()) {
            return std::ptr::null_mut();
        }
        // Safety: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            self.used.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !self.take(new_size - old) {
            return std::ptr::null_mut();
        }
        // Safety: forwarded with the caller's pointer and layout.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > old {
                self.used.fetch_sub(new_size - old, Ordering::Relaxed);
            }
        } else if new_size < old {
            self.used.fetch_sub(old - new_size, Ordering::Relaxed);
        }
        p
    }
}
