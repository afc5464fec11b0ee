//! Generated programs exercise the whole language: over a range of seeds, every opcode
//! the compiler can emit, every runtime built-in, every `math` function and the
//! `rand`/`env` imports appear at least once, and each source construct appears in a
//! decent share of the programs.

mod support;

use kite_gen::from_seed;
use kite_vm::bytecode::{Builtin, MathFn, Module, Op};
use std::collections::{BTreeMap, HashSet};

const SEEDS: u64 = 200;

/// Operations the compiler never emits, and why; the test also checks that they stay
/// absent, so the list cannot go stale.
const NEVER_EMITTED: &[(Op, &str)] = &[
    (Op::Nop, "placeholder only: float `==`/`!=` never take the fused-branch path"),
    (Op::JmpIfNotNil, "nil tests branch as IsNil + JmpIf/JmpIfNot; JmpIfNil is only forward (if let, ??)"),
    (Op::LoopIfNil, "no loop condition is lowered to a nil jump"),
    (Op::LoopIfNotNil, "no loop condition is lowered to a nil jump"),
    (Op::CallNoFuel, "internal: the VM's copy of the code for runs without fuel"),
    (Op::CallClosureNoFuel, "internal: the VM's copy of the code for runs without fuel"),
];

/// Source constructs and the share of programs (in percent) that must contain each.
const CONSTRUCTS: &[(&str, u32)] = &[
    ("import ", 25),
    (" as m", 8),
    ("struct ", 50),
    ("impl ", 40),
    ("self.", 25),
    ("let G", 30),
    ("var G", 30),
    ("fn main() -> int", 15),
    ("if let ", 50),
    ("} else {", 50),
    ("} else if ", 30),
    ("while true {", 25),
    ("while ", 60),
    ("..=", 40),
    ("for x", 60),
    ("break;", 60),
    ("continue;", 35),
    ("return;", 25),
    (" ?? ", 60),
    ("!;", 10),
    (" == nil", 20),
    ("fn(", 60),
    (".sort_by(", 15),
    (".sort()", 8),
    (".push(", 30),
    (".pop()", 20),
    (".insert(", 20),
    (".remove(", 25),
    (".keys()", 15),
    (".values()", 30),
    (".has(", 30),
    (".get(", 50),
    (".split(", 40),
    (".chars()", 40),
    (".bytes()", 15),
    (".slice(", 35),
    (".replace(", 40),
    (".repeat(", 40),
    (".join(", 45),
    (".index_of(", 25),
    (".contains(", 40),
    ("fixed(", 25),
    ("parse_int(", 40),
    ("parse_float(", 30),
    ("chr(", 45),
    ("ord(", 30),
    ("str(", 45),
    ("write(", 35),
    ("eprint(", 35),
    ("assert(", 40),
    ("math.NAN", 35),
    ("math.INF", 35),
    ("math.MIN_INT", 25),
    ("-0.0", 25),
    ("<<", 40),
    (">>", 40),
    (" % ", 50),
    (" / ", 50),
    ("rand.", 45),
    ("env.args()", 40),
];

/// Whether a loop header (or a loop's guard) has a bound of at least 50 iterations,
/// so that a JIT with a low threshold compiles the loop and enters it mid-function.
fn has_hot_loop(text: &str) -> bool {
    let bound_after = |l: &str, sep: &str| {
        l.split(sep).skip(1).any(|rest| {
            let digits: String = rest.trim_start_matches('=').chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u64>().is_ok_and(|n| (50..1000).contains(&n))
        })
    };
    text.lines().map(str::trim_start).any(|l| {
        (l.starts_with("for ") && bound_after(l, ".."))
            || (l.starts_with("while ") && ["< ", "> ", "!= ", "<= ", ">= "].iter().any(|s| bound_after(l, s)))
            || (l.starts_with("if g") && bound_after(l, "> "))
    })
}

#[derive(Default)]
struct Seen {
    ops: HashSet<Op>,
    builtins: HashSet<u16>,
    math: HashSet<u16>,
    imports: HashSet<String>,
}

impl Seen {
    fn add(&mut self, m: &Module) {
        for f in &m.functions {
            for ins in &f.code {
                self.ops.insert(ins.op);
                match ins.op {
                    Op::CallBuiltin => {
                        self.builtins.insert(ins.b);
                    }
                    Op::Math => {
                        self.math.insert(ins.c);
                    }
                    _ => {}
                }
            }
        }
        for i in &m.imports {
            self.imports.insert(format!("{}.{}", i.module, i.name));
        }
    }
}

fn programs() -> (Seen, BTreeMap<&'static str, u32>, u32) {
    let mut hot = 0;
    let mut seen = Seen::default();
    let mut counts: BTreeMap<&'static str, u32> = BTreeMap::new();
    for seed in 0..SEEDS {
        let p = from_seed(seed);
        let m =
            support::compile(&p, "coverage").unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", support::listing(&p)));
        seen.add(&m);
        let text = format!("{}\n{}", p.main, p.modules.iter().map(|(_, t)| t.as_str()).collect::<String>());
        hot += u32::from(has_hot_loop(&text));
        for (c, _) in CONSTRUCTS {
            if text.contains(c) {
                *counts.entry(c).or_default() += 1;
            }
        }
    }
    (seen, counts, hot)
}

#[test]
fn generated_programs_cover_the_language() {
    let (seen, counts, hot) = programs();
    let mut problems = Vec::new();
    for &op in Op::ALL {
        let never = NEVER_EMITTED.iter().any(|(o, _)| *o == op);
        match (never, seen.ops.contains(&op)) {
            (false, false) => problems.push(format!("opcode {} never generated", op.name())),
            (true, true) => problems.push(format!("opcode {} is listed as never emitted, but was", op.name())),
            _ => {}
        }
    }
    for &b in Builtin::ALL {
        if !seen.builtins.contains(&(b as u16)) {
            problems.push(format!("built-in {} never generated", b.name()));
        }
    }
    for &f in MathFn::ALL {
        if !seen.math.contains(&(f as u16)) {
            problems.push(format!("math.{} never generated", f.name()));
        }
    }
    for imp in ["rand.int", "rand.float", "env.args"] {
        if !seen.imports.contains(imp) {
            problems.push(format!("import {imp} never generated"));
        }
    }
    for (c, min_share) in CONSTRUCTS {
        let n = counts.get(c).copied().unwrap_or(0);
        let share = n * 100 / SEEDS as u32;
        eprintln!("{share:>3}% {c:?}");
        if share < *min_share || n == 0 {
            problems.push(format!("{c:?} in {share}% of the programs (want at least {min_share}%)"));
        }
    }
    eprintln!("{hot} of {SEEDS} programs have a hot loop");
    if hot * 100 < SEEDS as u32 * 60 {
        problems.push(format!("only {hot} programs have a loop of 50 iterations or more"));
    }
    assert!(problems.is_empty(), "over {SEEDS} seeds:\n{}", problems.join("\n"));
}
