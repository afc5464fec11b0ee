//! Instructions the compiler never emits (`Nop`, `JmpIfNotNil`, `LoopIfNil`,
//! `LoopIfNotNil`) are still valid bytecode: a hand-written module using them gives the same
//! result and fuel in every tier, including `auto` entering its loops natively (OSR).

use kite_vm::bytecode::*;
use kite_vm::exec::{Tier, TierOptions};
use kite_vm::host::HostFuncs;
use kite_vm::runtime::{RunOptions, Vm};

fn ins(op: Op, a: u16, b: u16, c: u16) -> Instr {
    Instr::new(op, a, b, c)
}

fn jump(op: Op, a: u16, off: i32) -> Instr {
    Instr::with_bc(op, a, off as u32)
}

/// `fn f() -> int`: a loop until an optional is set (`LoopIfNil`), a loop until it is
/// cleared (`LoopIfNotNil`), a `JmpIfNotNil` not taken and one taken; returns 10 + 30.
fn module() -> Module {
    const INT: TypeId = 0;
    const OPT: TypeId = 1;
    let code = vec![
        ins(Op::Nop, 0, 0, 0),
        ins(Op::LoadNil, 0, 0, 0),
        Instr::with_bc(Op::LoadInt, 1, 0),
        ins(Op::AddIImm, 1, 1, 1), // 3: loop header
        ins(Op::JmpIfNeIK, 1, 10, 1),
        ins(Op::WrapOpt, 0, 1, 0),
        jump(Op::LoopIfNil, 0, -4), // 6 → 3
        Instr::with_bc(Op::LoadInt, 2, 0),
        ins(Op::AddIImm, 2, 2, 3), // 8: loop header
        ins(Op::JmpIfLtIK, 2, 30, 1),
        ins(Op::LoadNil, 0, 0, 0),
        jump(Op::LoopIfNotNil, 0, -4), // 11 → 8
        jump(Op::JmpIfNotNil, 0, 2),   // 12: not taken
        ins(Op::WrapOpt, 0, 2, 0),
        jump(Op::JmpIfNotNil, 0, 2), // 14: taken → 17
        Instr::with_bc(Op::LoadInt, 1, (-1i32) as u32),
        ins(Op::Ret, 1, 0, 0),
        ins(Op::UnwrapBox, 3, 0, 0), // 17
        ins(Op::AddI, 1, 1, 3),
        ins(Op::Ret, 1, 0, 0),
    ];
    let locs = vec![Loc { file: 0, line: 1, col: 1 }; code.len()];
    let f = Function {
        name: "f".into(),
        captures: vec![],
        params: vec![],
        ret: Some(INT),
        regs: vec![OPT, INT, INT, INT],
        code,
        locs,
    };
    Module {
        types: vec![Type::Int, Type::Optional(INT)],
        functions: vec![f],
        files: vec!["handwritten.kite".into()],
        ..Module::default()
    }
}

#[test]
fn every_tier_runs_the_instructions_the_compiler_never_emits() {
    let m = VerifiedModule::new(module()).expect("verifies");
    let mut tiers = vec![TierOptions { tier: Tier::Interp, jit_threshold: 1 }];
    if cfg!(feature = "jit") {
        tiers.push(TierOptions { tier: Tier::Jit, jit_threshold: 1 });
        for threshold in [1, 3, 7] {
            tiers.push(TierOptions { tier: Tier::Auto, jit_threshold: threshold });
        }
    }
    for tier in tiers {
        let opts = RunOptions { fuel: Some(1000), ..RunOptions::default() };
        let mut vm =
            Vm::new_in(tier, m.clone(), &HostFuncs::new(), Box::new(std::io::sink()), Box::new(std::io::sink()), opts)
                .expect("instantiates");
        let r = vm.call(0, &[]).unwrap_or_else(|t| panic!("{tier:?}: {t}"));
        assert_eq!(r as i64, 40, "{tier:?}");
        // Nine taken loop jumps in each loop, and no call (the host's call is not counted).
        assert_eq!(vm.fuel_left(), Some(1000 - 18), "{tier:?}");
        if tier.tier != Tier::Interp {
            assert_eq!(vm.tier_stats.functions_compiled, 1, "{tier:?}: compiled");
        }
        if tier.tier == Tier::Auto {
            assert!(vm.tier_stats.osr_entries >= 1, "{tier:?}: entered a loop natively");
        }
    }
}
