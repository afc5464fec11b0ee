//! Hand-written hostile modules: each is refused by the decoder, the verifier or the
//! linker, with an error that says where and what. Built directly as bytes or as
//! in-memory modules, the way an attacker would.

use kite_vm::bytecode::decode::{decode, DecodeError};
use kite_vm::bytecode::encode::{encode, seal, HEADER_LEN, MAGIC, VERSION_MAJOR, VERSION_MINOR};
use kite_vm::bytecode::verify::limits::MAX_TYPE_DEPTH;
use kite_vm::bytecode::VerifiedModule;
use kite_vm::bytecode::*;
use kite_vm::host::{HostFunc, HostFuncs, LinkError, Val, ValType};
use kite_vm::runtime::{RunOptions, Vm};
use std::sync::Arc;

const INT: TypeId = 0;
const STR: TypeId = 1;

fn ins(op: Op, a: u16, b: u16, c: u16) -> Instr {
    Instr::new(op, a, b, c)
}

fn func(name: &str, params: Vec<TypeId>, ret: Option<TypeId>, regs: Vec<TypeId>, code: Vec<Instr>) -> Function {
    let locs = vec![Loc { file: 0, line: 1, col: 1 }; code.len()];
    Function { name: name.into(), captures: vec![], params, ret, regs, code, locs }
}

/// A module with `int`, `str` and `[int]` types and a `main` made of `code`.
fn program(regs: Vec<TypeId>, code: Vec<Instr>) -> Module {
    Module {
        types: vec![Type::Int, Type::Str, Type::Array(INT)],
        consts: vec![Const::Str("hi".into())],
        functions: vec![func("main", vec![], None, regs, code)],
        files: vec!["hostile.kite".into()],
        main: Some(0),
        ..Module::default()
    }
}

fn verify_err(m: &Module) -> VerifyError {
    match verify(m) {
        Ok(()) => panic!("the module verified"),
        Err(e) => e,
    }
}

fn decode_err(bytes: &[u8]) -> DecodeError {
    match decode(bytes) {
        Ok(_) => panic!("the bytes decoded"),
        Err(e) => e,
    }
}

fn assert_has(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "{text:?} does not contain {p:?}");
    }
}

/// A header followed by `body`, with the body's digest.
fn file(body: &[u8]) -> Vec<u8> {
    let mut b = Vec::from(MAGIC);
    b.extend_from_slice(&VERSION_MAJOR.to_le_bytes());
    b.extend_from_slice(&VERSION_MINOR.to_le_bytes());
    b.extend_from_slice(&[0; 32]);
    b.extend_from_slice(body);
    seal(&mut b);
    b
}

#[test]
fn a_count_of_2_to_the_32_functions() {
    // files, types, structs, consts, globals, imports: none; then 2^32 functions.
    let mut body = vec![0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x10]);
    let e = decode_err(&file(&body));
    assert_eq!(e.offset, HEADER_LEN + 6);
    assert_has(&e.to_string(), &["function count is 4294967296", "more than the limit of 65536"]);
}

#[test]
fn a_count_larger_than_the_file() {
    // 60,000 functions (under the cap) but only a few bytes left.
    let mut body = vec![0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&[0xe0, 0xd4, 0x03, 1, 2, 3]);
    let e = decode_err(&file(&body));
    assert_eq!(e.offset, HEADER_LEN + 6);
    assert_has(&e.to_string(), &["function count is 60000", "only 3 bytes remain"]);
}

#[test]
fn a_jump_to_offset_minus_one() {
    // At instruction 0, offset -2 lands on instruction -1: before the start.
    let m = program(vec![], vec![Instr::with_bc(Op::Loop, 0, (-2i32) as u32), ins(Op::RetVoid, 0, 0, 0)]);
    let e = verify_err(&m);
    assert_eq!((e.function.clone().map(|f| f.0), e.instr), (Some(0), Some(0)));
    assert_has(&e.to_string(), &["function 0 (main), instruction 0", "leads to instruction -1, outside the function"]);
    // And one past the end.
    let m = program(vec![], vec![Instr::with_bc(Op::Jmp, 0, 1), ins(Op::RetVoid, 0, 0, 0)]);
    assert_has(&verify_err(&m).to_string(), &["leads to instruction 2, outside the function (instructions 0..2)"]);
}

#[test]
fn a_register_past_the_frame() {
    let m = program(vec![INT, INT], vec![Instr::with_bc(Op::LoadInt, 5, 7), ins(Op::RetVoid, 0, 0, 0)]);
    let e = verify_err(&m);
    assert_eq!(e.instr, Some(0));
    assert_has(&e.to_string(), &["register r5 is outside the frame (the function has 2 registers)"]);
    // A window that starts inside the frame and ends past it.
    let m = program(vec![INT, INT], vec![ins(Op::Print, 0, 1, 2), ins(Op::RetVoid, 0, 0, 0)]);
    assert_has(&verify_err(&m).to_string(), &["registers r1..r3 are outside the frame"]);
}

#[test]
fn a_call_to_an_import_with_a_different_signature() {
    let mut m = program(
        vec![INT],
        vec![Instr::with_bc(Op::LoadInt, 0, 1), ins(Op::CallHost, 0, 0, 0), ins(Op::RetVoid, 0, 0, 0)],
    );
    m.imports = vec![Import { module: "app".into(), name: "log".into(), params: vec![INT], ret: None }];
    verify(&m).expect("the module itself is valid");
    let mut host = HostFuncs::new();
    let log = HostFunc { params: vec![ValType::Str], ret: None, callback: Arc::new(|_, _| Ok(Val::Nil)) };
    host.define("app", "log", log);
    let expected = "the program imports app.log(int), but the host provides app.log(str)";
    match host.resolve(&m) {
        Err(e @ LinkError::Mismatch { .. }) => assert_eq!(e.to_string(), expected),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("resolved"),
    }
    let m = VerifiedModule::new(m).expect("verifies");
    let vm = Vm::new(m, &host, Box::new(std::io::sink()), Box::new(std::io::sink()), RunOptions::default());
    match vm {
        Err(e) => assert_eq!(e.to_string(), expected),
        Ok(_) => panic!("instantiated"),
    }
}

#[test]
fn a_call_with_the_wrong_argument_types() {
    // Inside the module: f(int) called with a str argument.
    let mut m = program(
        vec![STR, INT],
        vec![Instr::with_bc(Op::LoadConst, 0, 0), ins(Op::Call, 1, 1, 0), ins(Op::RetVoid, 0, 0, 0)],
    );
    m.functions.push(func("f", vec![INT], Some(INT), vec![INT], vec![ins(Op::Ret, 0, 0, 0)]));
    assert_has(
        &verify_err(&m).to_string(),
        &["instruction 1", "register r0 has type str, but function 1 (f) takes as parameter 0 has type int"],
    );
}

#[test]
fn a_string_constant_that_is_not_utf8() {
    let m = program(vec![STR], vec![Instr::with_bc(Op::LoadConst, 0, 0), ins(Op::RetVoid, 0, 0, 0)]);
    let mut bytes = encode(&m);
    let at = bytes.windows(2).position(|w| w == b"hi").expect("the constant");
    bytes[at + 1] = 0xff;
    seal(&mut bytes);
    let e = decode_err(&bytes);
    assert_eq!(e.offset, at + 1);
    assert_has(&e.to_string(), &[&format!("at byte {}", at + 1), "string constant is not valid UTF-8"]);
}

#[test]
fn recursive_type_definitions_are_refused() {
    // [[...]]: type 0 is an array of type 1, which is an array of type 0.
    let mut m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 0)]);
    m.types = vec![Type::Array(1), Type::Array(0)];
    assert_has(&verify_err(&m).to_string(), &["type 0 refers to type 1, which is not defined before it"]);
    // An optional of itself.
    m.types = vec![Type::Optional(0)];
    assert_has(&verify_err(&m).to_string(), &["type 0 refers to type 0"]);
    // A function type taking itself.
    m.types = vec![Type::Int, Type::Fn(vec![0, 1], None)];
    assert_has(&verify_err(&m).to_string(), &["type 1 refers to type 1"]);
    // The text of such a type stays finite, verified or not.
    assert!(m.type_name(1).len() < 300);
}

#[test]
fn recursive_structs_are_fine_and_finite() {
    // struct Node { next: Node?, peer: Other }, struct Other { back: Node }: recursion
    // through structs is by reference, so it is allowed, and nothing walks it forever.
    let mut m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 0)]);
    m.types = vec![Type::Struct(0), Type::Optional(0), Type::Struct(1)];
    m.structs = vec![
        StructDef {
            name: "Node".into(),
            fields: vec![Field { name: "next".into(), ty: 1 }, Field { name: "peer".into(), ty: 2 }],
        },
        StructDef { name: "Other".into(), fields: vec![Field { name: "back".into(), ty: 0 }] },
    ];
    verify(&m).expect("recursive structs verify");
    assert_eq!(m.type_name(1), "Node?");
    let back = decode(&encode(&m)).expect("decodes");
    assert_eq!(back, m);
}

#[test]
fn deep_and_wide_types() {
    // 64 levels of `fn(T, T, ..., T)` with 256 parameters each: verifies (within the
    // depth limit), but its full text would have 256^63 parts; the name stays short.
    let mut m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 0)]);
    m.types = vec![Type::Int];
    for i in 0..(MAX_TYPE_DEPTH - 1) {
        m.types.push(Type::Fn(vec![i; 256], None));
    }
    verify(&m).expect("within the depth limit");
    assert!(m.type_name(MAX_TYPE_DEPTH - 1).len() < 300);
    m.types.push(Type::Array(MAX_TYPE_DEPTH - 1));
    assert_has(&verify_err(&m).to_string(), &["nests 65 deep, more than the limit of 64"]);
}

#[test]
fn bad_type_tables() {
    let mut m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 0)]);
    m.types = vec![Type::Float, Type::Map(0, 0)];
    assert_has(&verify_err(&m).to_string(), &["type 1 is a map whose key type float is not int, str or bool"]);
    m.types = vec![Type::Int, Type::Optional(0), Type::Optional(1)];
    assert_has(&verify_err(&m).to_string(), &["type 2 is an optional of an optional (int??)"]);
    m.types = vec![Type::Struct(3)];
    assert_has(&verify_err(&m).to_string(), &["type 0 is struct 3, but there are only 0 structs"]);
    m.types = vec![Type::Int];
    m.globals = vec![Global { name: "g".into(), ty: 9 }];
    assert_has(&verify_err(&m).to_string(), &["global 0 (g) has type 9, but there are only 1 types"]);
}

#[test]
fn a_digest_mismatch() {
    let m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 0)]);
    let mut bytes = encode(&m);
    let n = bytes.len();
    bytes[n - 3] ^= 0x40;
    let e = decode_err(&bytes);
    assert_eq!(e.offset, 8);
    assert_has(
        &e.to_string(),
        &[
            "at byte 8: digest mismatch: the header (bytes 8..40) records ",
            &format!("the body (bytes 40..{n}) hashes to"),
        ],
    );
}

#[test]
fn wrong_register_types() {
    // int + str
    let m = program(
        vec![INT, STR, INT],
        vec![
            Instr::with_bc(Op::LoadInt, 0, 1),
            Instr::with_bc(Op::LoadConst, 1, 0),
            ins(Op::AddI, 2, 0, 1),
            ins(Op::RetVoid, 0, 0, 0),
        ],
    );
    let e = verify_err(&m);
    assert_eq!(e.instr, Some(2));
    assert_has(&e.to_string(), &["`AddI r2, r0, r1`: register r1 has type str, expected int"]);
    // An int constant into a str register.
    let mut m = program(vec![STR], vec![Instr::with_bc(Op::LoadConst, 0, 1), ins(Op::RetVoid, 0, 0, 0)]);
    m.consts.push(Const::Int(7));
    assert_has(&verify_err(&m).to_string(), &["register r0 has type str, expected int"]);
    // A missing constant.
    let m = program(vec![STR], vec![Instr::with_bc(Op::LoadConst, 0, 9), ins(Op::RetVoid, 0, 0, 0)]);
    assert_has(&verify_err(&m).to_string(), &["constant 9 does not exist (1 constants)"]);
}

#[test]
fn a_reference_read_before_it_is_written() {
    // print(r0) where r0: str was never written: a null string.
    let m = program(vec![STR], vec![ins(Op::Print, 0, 0, 1), ins(Op::RetVoid, 0, 0, 0)]);
    assert_has(&verify_err(&m).to_string(), &["instruction 0", "register r0 (str) may be read before it is written"]);
    // Written on one branch only: `if b { s = "hi" } print(s)`.
    let bool_ty = 3;
    let mut m = program(
        vec![bool_ty, STR],
        vec![
            Instr::with_bc(Op::LoadBool, 0, 1),
            Instr::with_bc(Op::JmpIfNot, 0, 1),
            Instr::with_bc(Op::LoadConst, 1, 0),
            ins(Op::Print, 0, 1, 1),
            ins(Op::RetVoid, 0, 0, 0),
        ],
    );
    m.types.push(Type::Bool);
    assert_has(&verify_err(&m).to_string(), &["instruction 3", "register r1 (str) may be read before it is written"]);
    // Written on both branches: fine.
    m.functions[0].code[1] = Instr::with_bc(Op::JmpIfNot, 0, 2);
    m.functions[0].code.insert(3, Instr::with_bc(Op::Jmp, 0, 1));
    m.functions[0].code.insert(4, Instr::with_bc(Op::LoadConst, 1, 0));
    m.functions[0].locs = vec![Loc::default(); m.functions[0].code.len()];
    verify(&m).expect("written on every path");
}

#[test]
fn a_loop_that_reads_what_only_its_body_writes() {
    // top: print(s); s = "hi"; jump top — the first iteration reads an unwritten s.
    let m = program(
        vec![STR],
        vec![ins(Op::Print, 0, 0, 1), Instr::with_bc(Op::LoadConst, 0, 0), Instr::with_bc(Op::Loop, 0, (-3i32) as u32)],
    );
    assert_has(&verify_err(&m).to_string(), &["instruction 0", "may be read before it is written"]);
}

#[test]
fn a_backward_jump_must_be_a_loop_jump() {
    // `while true {}` written with a forward-jump opcode would turn without using fuel.
    let m = program(vec![], vec![Instr::with_bc(Op::Jmp, 0, (-1i32) as u32)]);
    assert_has(
        &verify_err(&m).to_string(),
        &["instruction 0", "jump offset -1 goes backward, which only a loop jump may do (here Loop)"],
    );
    let m = program(vec![INT], vec![Instr::new(Op::JmpIfLtIK, 0, 5, (-1i16) as u16), ins(Op::RetVoid, 0, 0, 0)]);
    assert_has(&verify_err(&m).to_string(), &["goes backward", "(here LoopIfLtIK)"]);
    // And a loop jump may not go forward.
    let m = program(vec![INT], vec![Instr::new(Op::LoopIfLtIK, 0, 5, 0), ins(Op::RetVoid, 0, 0, 0)]);
    assert_has(
        &verify_err(&m).to_string(),
        &["a loop jump must go backward, but its offset is 0 (a forward jump is JmpIfLtIK)"],
    );
}

#[test]
fn the_vm_internal_opcodes_are_refused() {
    // CallNoFuel is what the VM runs for Call when nothing counts fuel: not for modules.
    let mut m = program(vec![], vec![ins(Op::CallNoFuel, 0, 0, 0), ins(Op::RetVoid, 0, 0, 0)]);
    assert_has(&verify_err(&m).to_string(), &["instruction 0", "is internal to the VM and never valid in a module"]);
    m.functions[0].code[0] = ins(Op::Call, 0, 0, 0);
    let mut bytes = encode(&m);
    let call = [Op::Call as u8, 0, 0, 0, 0, 0, 0, 0];
    let at = HEADER_LEN + bytes[HEADER_LEN..].windows(8).position(|w| w == call).expect("the call");
    bytes[at] = Op::CallNoFuel as u8;
    seal(&mut bytes);
    assert_has(&decode_err(&bytes).to_string(), &[&format!("unknown opcode {}", Op::CallNoFuel as u8)]);
}

#[test]
fn falling_off_the_end() {
    let m = program(vec![INT], vec![Instr::with_bc(Op::LoadInt, 0, 1)]);
    assert_has(&verify_err(&m).to_string(), &["instruction 0", "control can run past the end of the function"]);
    // A conditional jump as the last instruction falls through too.
    let mut m =
        program(vec![3], vec![Instr::with_bc(Op::LoadBool, 0, 1), Instr::with_bc(Op::LoopIf, 0, (-2i32) as u32)]);
    m.types.push(Type::Bool);
    assert_has(&verify_err(&m).to_string(), &["instruction 1", "control can run past the end"]);
    // Unreachable code at the end is fine, and a call of panic ends a path.
    let m = program(
        vec![STR],
        vec![
            Instr::with_bc(Op::LoadConst, 0, 0),
            ins(Op::CallBuiltin, 0, Builtin::Panic as u16, 0),
            Instr::with_bc(Op::LoadInt, 0, 1),
        ],
    );
    assert_has(&verify_err(&m).to_string(), &["instruction 2", "register r0 has type str, expected int"]);
    let m = program(
        vec![STR],
        vec![Instr::with_bc(Op::LoadConst, 0, 0), ins(Op::CallBuiltin, 0, Builtin::Panic as u16, 0)],
    );
    verify(&m).expect("panic ends the function");
    // No instructions at all.
    let m = program(vec![], vec![]);
    assert_has(&verify_err(&m).to_string(), &["function 0 (main): it has no instructions"]);
}

#[test]
fn bad_indices() {
    let cases: Vec<(Instr, &str)> = vec![
        (ins(Op::Call, 0, 7, 0), "function 7 does not exist"),
        (ins(Op::CallHost, 0, 3, 0), "import 3 does not exist"),
        (ins(Op::CallBuiltin, 0, 999, 0), "built-in 999 does not exist"),
        (ins(Op::NewStruct, 0, 2, 0), "struct 2 does not exist"),
        (Instr::with_bc(Op::GetGlobal, 0, 4), "global 4 does not exist"),
        (ins(Op::Math, 1, 1, 40), "math function 40 does not exist"),
    ];
    for (i, want) in cases {
        let mut m = program(vec![INT, 3], vec![i, ins(Op::RetVoid, 0, 0, 0)]);
        m.types.push(Type::Float);
        assert_has(&verify_err(&m).to_string(), &["instruction 0", want]);
    }
}

#[test]
fn a_field_that_does_not_exist() {
    let mut m = program(
        vec![3, INT],
        vec![
            Instr::with_bc(Op::LoadInt, 1, 1),
            ins(Op::NewStruct, 0, 0, 1),
            ins(Op::GetField, 1, 0, 1),
            ins(Op::RetVoid, 0, 0, 0),
        ],
    );
    m.types.push(Type::Struct(0));
    m.structs = vec![StructDef { name: "P".into(), fields: vec![Field { name: "x".into(), ty: INT }] }];
    assert_has(&verify_err(&m).to_string(), &["instruction 2", "struct P has no field 1 (it has 1)"]);
    m.functions[0].code[2].c = 0;
    verify(&m).expect("field 0 exists");
}

#[test]
fn calls_that_break_the_rules() {
    // A direct call of a function that has captures (they would be left unset).
    let mut m = program(vec![], vec![ins(Op::Call, 0, 1, 0), ins(Op::RetVoid, 0, 0, 0)]);
    let mut f = func("<closure>", vec![], None, vec![STR], vec![ins(Op::RetVoid, 0, 0, 0)]);
    f.captures = vec![STR];
    m.functions.push(f);
    assert_has(&verify_err(&m).to_string(), &["function 1 (<closure>) has captures"]);
    // Ret in a function that returns nothing, RetVoid in one that returns an int.
    let m = program(vec![INT], vec![ins(Op::Ret, 0, 0, 0)]);
    assert_has(&verify_err(&m).to_string(), &["the function returns nothing"]);
    let mut m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 0)]);
    m.functions.push(func("f", vec![], Some(INT), vec![], vec![ins(Op::RetVoid, 0, 0, 0)]));
    assert_has(&verify_err(&m).to_string(), &["function 1 (f), instruction 0", "the function must return a int"]);
    // A result register for a call that returns nothing must be 0 (reserved).
    let mut m = program(vec![INT, INT], vec![ins(Op::Call, 1, 1, 0), ins(Op::RetVoid, 0, 0, 0)]);
    m.functions.push(func("g", vec![], None, vec![], vec![ins(Op::RetVoid, 0, 0, 0)]));
    assert_has(&verify_err(&m).to_string(), &["operand A is not used by this instruction and must be 0, not 1"]);
}

#[test]
fn entry_points() {
    let mut m = program(vec![INT], vec![ins(Op::RetVoid, 0, 0, 0)]);
    m.functions[0].params = vec![INT];
    assert_has(&verify_err(&m).to_string(), &["main (function 0, main) must take no parameters"]);
    let mut m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 0)]);
    m.main = Some(5);
    assert_has(&verify_err(&m).to_string(), &["main is function 5, but there are only 1 functions"]);
    let mut m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 0)]);
    m.exports = vec![Export { name: "a".into(), func: 0 }, Export { name: "a".into(), func: 0 }];
    assert_has(&verify_err(&m).to_string(), &["two exports are named a"]);
}

#[test]
fn a_function_too_large_to_verify() {
    // 30,000 blocks (a chain of conditional jumps) and 60,000 registers of type str that
    // would each need tracking: more definite-assignment work than the budget allows.
    let n_regs = 60_000;
    let mut regs = vec![3, STR];
    regs.extend(std::iter::repeat_n(STR, n_regs));
    let mut code = vec![Instr::with_bc(Op::LoadBool, 0, 1)];
    for _ in 0..30_000 {
        code.push(Instr::with_bc(Op::JmpIf, 0, 0));
    }
    code.push(ins(Op::RetVoid, 0, 0, 0));
    let mut m = program(regs, code);
    m.types.push(Type::Bool);
    let started = std::time::Instant::now();
    let e = verify_err(&m);
    assert_has(&e.to_string(), &["function 0 (main)", "the module is too large to verify"]);
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
}

#[test]
fn reserved_operands_must_be_zero() {
    let m = program(vec![], vec![ins(Op::RetVoid, 0, 0, 3)]);
    assert_has(&verify_err(&m).to_string(), &["operand C is not used by this instruction and must be 0, not 3"]);
    let mut m = program(vec![3], vec![Instr::with_bc(Op::LoadBool, 0, 2), ins(Op::RetVoid, 0, 0, 0)]);
    m.types.push(Type::Bool);
    assert_has(&verify_err(&m).to_string(), &["the value must be 0 or 1, not 2"]);
}

#[test]
fn an_unverified_module_cannot_become_a_verified_one() {
    // `Vm::new` takes only a `VerifiedModule`, which only the verifier makes.
    let m = program(vec![STR], vec![ins(Op::Print, 0, 0, 1), ins(Op::RetVoid, 0, 0, 0)]);
    match VerifiedModule::new(m) {
        Err(e) => assert_has(&e.to_string(), &["function 0 (main)"]),
        Ok(_) => panic!("verified"),
    }
}

#[test]
fn fuel_runs_out_in_an_endless_loop() {
    // while true {}: one loop jump per iteration.
    let m = program(vec![], vec![Instr::with_bc(Op::Loop, 0, (-1i32) as u32)]);
    let opts = RunOptions { fuel: Some(1000), ..RunOptions::default() };
    let m = VerifiedModule::new(m).expect("verifies");
    let mut vm = Vm::new(m, &HostFuncs::new(), Box::new(std::io::sink()), Box::new(std::io::sink()), opts)
        .expect("instantiates");
    let t = vm.run_main().expect_err("runs out of fuel");
    assert_eq!(t.message, "out of fuel");
    assert_eq!(t.exit_code(), 3);
    assert_eq!(vm.fuel_left(), Some(0));
}

#[test]
fn a_branch_whose_two_ways_are_one_loop_header() {
    // 0: jump to 2; 1: if r0 goto 2 (both ways lead to 2, an enclosing loop's header);
    // 2: jump back to 1. The str register makes the definite-assignment pass run.
    let mut m = program(
        vec![3, STR],
        vec![
            Instr::with_bc(Op::Jmp, 0, 1),
            Instr::with_bc(Op::JmpIfNot, 0, 0),
            Instr::with_bc(Op::Loop, 0, (-2i32) as u32),
        ],
    );
    m.types.push(Type::Bool);
    verify(&m).expect("verifies");
    m.types[3] = Type::Str;
    m.functions[0].code[1] = Instr::with_bc(Op::JmpIfNotNil, 0, 0);
    assert!(verify(&m).is_err());
}
