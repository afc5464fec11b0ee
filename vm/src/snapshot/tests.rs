//! Hostile snapshots, edited one field at a time: each is refused with an error that says
//! what is wrong, and never crashes the loader.

use super::{read, Obj, Snapshot, SnapshotError};
use crate::bytecode::{Const, Function, Instr, Loc, Module, Op, Type, VerifiedModule};
use crate::exec::{Tier, TierOptions};
use crate::host::HostFuncs;
use crate::runtime::trap::TrapCode;
use crate::runtime::{RunOptions, Vm};

const INT: u32 = 0;
const STR: u32 = 1;
const ARR: u32 = 2;
const OPT: u32 = 3;

/// `main`: `s = "hi"; xs = []; i = 0; do { i += 1; xs.push(i); o = i as int? } while i < 100;
/// print(s)` — at a suspension inside the loop, `i`, `s` and `xs` are live, `o` is not.
fn module() -> VerifiedModule {
    let ins = Instr::new;
    let code = vec![
        Instr::with_bc(Op::LoadConst, 1, 0),
        Instr::with_bc(Op::LoadInt, 0, 0),
        ins(Op::NewArray, 2, 0, 0),
        ins(Op::AddIImm, 0, 0, 1), // 3: loop header
        ins(Op::ArrayPush, 2, 0, 0),
        ins(Op::WrapOpt, 3, 0, 0),
        ins(Op::LoopIfLtIK, 0, 100, (-4i16) as u16), // 6 → 3
        ins(Op::Print, 0, 1, 1),
        ins(Op::RetVoid, 0, 0, 0),
    ];
    let locs = vec![Loc { file: 0, line: 1, col: 1 }; code.len()];
    let main = Function {
        name: "main".into(),
        params: vec![],
        captures: vec![],
        ret: None,
        regs: vec![INT, STR, ARR, OPT],
        code,
        locs,
    };
    let m = Module {
        types: vec![Type::Int, Type::Str, Type::Array(INT), Type::Optional(INT)],
        consts: vec![Const::Str("hi".into())],
        functions: vec![main],
        files: vec!["snap.kite".into()],
        main: Some(0),
        ..Module::default()
    };
    VerifiedModule::new(m).expect("verifies")
}

fn vm(m: VerifiedModule, out: Box<dyn std::io::Write + Send>) -> Vm {
    let t = TierOptions { tier: Tier::Interp, jit_threshold: 1 };
    let opts = RunOptions { fuel: Some(10_000), ..RunOptions::default() };
    Vm::new_in(t, m, &HostFuncs::new(), out, Box::new(std::io::sink()), opts).expect("instantiates")
}

/// A snapshot taken in the loop after 50 units of fuel.
fn snapshot() -> Snapshot<'static> {
    let mut v = vm(module(), Box::new(std::io::sink()));
    v.suspend_at_fuel(Some(50));
    let t = v.run_main().expect_err("suspends");
    assert_eq!(t.code, TrapCode::Suspended);
    read(&v.take_suspension().expect("a snapshot")).expect("its own snapshot reads back").into_owned()
}

fn refused(s: &Snapshot) -> String {
    match read(&s.to_bytes()) {
        Ok(_) => panic!("the edited snapshot was accepted"),
        Err(e) => e.to_string(),
    }
}

fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "{text:?} does not contain {part:?}");
}

#[derive(Clone, Default)]
struct Out(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
impl std::io::Write for Out {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_snapshot_resumes_and_finishes() {
    let s = snapshot();
    assert_eq!(s.depth(), 1);
    assert_eq!(s.frames[0].pc, 6, "at the loop jump");
    assert_eq!(s.frames[0].regs[3], 0, "the dead register is written as 0");
    assert_eq!(s.fuel_used(), 50);
    let out = Out::default();
    let t = TierOptions { tier: Tier::Interp, jit_threshold: 1 };
    let opts = RunOptions { fuel: Some(10_000), ..RunOptions::default() };
    let mut v =
        Vm::from_snapshot(t, s, &HostFuncs::new(), Box::new(out.clone()), Box::new(std::io::sink()), opts, None)
            .expect("restores");
    assert_eq!(v.resume_main().expect("finishes"), 0);
    assert_eq!(String::from_utf8_lossy(&out.0.lock().unwrap()), "hi\n");
    // 99 loop jumps in all, whichever process ran them.
    assert_eq!(v.fuel_used(), 99);
}

#[test]
fn bytes_that_are_not_a_snapshot() {
    let b = snapshot().to_bytes();
    let e = read(&b[..10]).unwrap_err();
    assert_has(&e.to_string(), "24-byte header");
    let mut x = b.clone();
    x[0] = b'X';
    assert_has(&read(&x).unwrap_err().to_string(), "bad magic");
    let mut x = b.clone();
    x[4] = 9;
    assert_has(&read(&x).unwrap_err().to_string(), "snapshot version 9.0");
    let mut x = b.clone();
    let last = x.len() - 1;
    x[last] ^= 1;
    assert_has(&read(&x).unwrap_err().to_string(), "checksum");
    // Truncated (and resealed): the end of the file comes too early.
    let mut x = b[..b.len() - 3].to_vec();
    let d = super::checksum(&x[super::HEADER_LEN..]);
    x[8..super::HEADER_LEN].copy_from_slice(&d);
    assert!(matches!(read(&x), Err(SnapshotError::Format { .. })));
}

#[test]
fn a_frame_that_is_not_at_a_safepoint() {
    let mut s = snapshot();
    s.frames[0].pc = 4;
    assert_has(&refused(&s), "a run stops only at a call or a loop jump");
    s.frames[0].pc = 1000;
    assert_has(&refused(&s), "past the end of main");
}

#[test]
fn a_live_reference_register_that_is_nil_or_of_another_type() {
    let mut s = snapshot();
    s.frames[0].regs[1] = 0;
    assert_has(&refused(&s), "register r1 is nil, but its type str cannot be");
    let mut s = snapshot();
    let arr = s.frames[0].regs[2];
    s.frames[0].regs[1] = arr;
    assert_has(&refused(&s), "is reached as str and, from frame 0 (main at pc 6): register r2, as [int]");
    let mut s = snapshot();
    s.frames[0].regs[1] = 99;
    assert_has(&refused(&s), "refers to object 99");
}

#[test]
fn a_dead_register_that_is_not_zero() {
    let mut s = snapshot();
    s.frames[0].regs[3] = s.frames[0].regs[1];
    assert_has(&refused(&s), "register r3 is not live there, so it must be 0");
}

#[test]
fn objects_that_do_not_fit() {
    // An object no root reaches.
    let mut s = snapshot();
    s.objects.push(Obj::Str("stray".into()));
    assert_has(&refused(&s), "is not reachable");
    // A capacity below the length.
    let mut s = snapshot();
    for o in &mut s.objects {
        if let Obj::Array { cap, .. } = o {
            *cap = 0;
        }
    }
    assert_has(&refused(&s), "less than its length");
    // An array of the wrong kind for its type.
    let mut s = snapshot();
    for o in &mut s.objects {
        if let Obj::Array { kind, .. } = o {
            *kind = crate::heap::ArrayKind::Bytes;
        }
    }
    assert!(read(&s.to_bytes()).is_err());
    // A struct the module does not have.
    let mut s = snapshot();
    let i = s.frames[0].regs[1] as usize - 1;
    s.objects[i] = Obj::Struct { sid: 7, fields: Vec::new().into() };
    assert_has(&refused(&s), "struct 7, which the module does not have");
}

#[test]
fn a_huge_capacity_is_refused_before_it_is_allocated() {
    let mut s = snapshot();
    for o in &mut s.objects {
        if let Obj::Array { cap, .. } = o {
            *cap = 1 << 29;
        }
    }
    let bytes = s.to_bytes();
    let s = read(&bytes).expect("well-formed");
    let t = TierOptions { tier: Tier::Interp, jit_threshold: 1 };
    let e = Vm::from_snapshot(
        t,
        s,
        &HostFuncs::new(),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
        RunOptions::default(),
        Some(1 << 20),
    )
    .err()
    .expect("refused");
    assert_has(&e.to_string(), "more than the limit of 1048576");
}

#[test]
fn main_next_without_initializers() {
    let mut s = snapshot();
    s.then_main = true;
    assert_has(&refused(&s), "none are running");
}
