//! Property: integer and float expressions compiled and run by Kite give exactly what
//! the language's rules give (wrapping `+ - *`, truncating `/`, `%` with the dividend's
//! sign, low-6-bit shift counts, arithmetic `>>`, IEEE floats), for random expressions.

use kite_vm::bytecode::VerifiedModule;
use kite_vm::host::HostFuncs;
use kite_vm::runtime::{RunOptions, Vm};
use proptest::prelude::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
enum E {
    Lit(i64),
    Var(usize),
    Bin(&'static str, Box<E>, Box<E>),
    Neg(Box<E>),
    Not(Box<E>),
}

const OPS: &[&str] = &["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"];

fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        prop_oneof![any::<i64>(), -20i64..20, Just(i64::MIN), Just(i64::MAX), Just(-1i64)].prop_map(E::Lit),
        (0usize..3).prop_map(E::Var),
    ];
    leaf.prop_recursive(4, 32, 2, |inner| {
        prop_oneof![
            (prop::sample::select(OPS), inner.clone(), inner.clone()).prop_map(|(o, a, b)| E::Bin(
                o,
                Box::new(a),
                Box::new(b)
            )),
            inner.clone().prop_map(|a| E::Neg(Box::new(a))),
            inner.prop_map(|a| E::Not(Box::new(a))),
        ]
    })
}

/// Kite's semantics; `None` when the expression traps (division by zero).
fn eval(e: &E, vars: &[i64; 3]) -> Option<i64> {
    Some(match e {
        E::Lit(v) => *v,
        E::Var(i) => vars[*i],
        E::Neg(a) => eval(a, vars)?.wrapping_neg(),
        E::Not(a) => !eval(a, vars)?,
        E::Bin(op, a, b) => {
            let (x, y) = (eval(a, vars)?, eval(b, vars)?);
            match *op {
                "+" => x.wrapping_add(y),
                "-" => x.wrapping_sub(y),
                "*" => x.wrapping_mul(y),
                "/" if y == 0 => return None,
                "/" => x.wrapping_div(y),
                "%" if y == 0 => return None,
                "%" => x.wrapping_rem(y),
                "&" => x & y,
                "|" => x | y,
                "^" => x ^ y,
                "<<" => x.wrapping_shl((y & 63) as u32),
                ">>" => x >> (y & 63),
                _ => unreachable!(),
            }
        }
    })
}

fn source(e: &E) -> String {
    match e {
        // A literal is written so that it parses whatever its value (MIN has no positive twin).
        E::Lit(v) if *v == i64::MIN => "math.MIN_INT".into(),
        E::Lit(v) if *v < 0 => format!("(-{})", v.unsigned_abs()),
        E::Lit(v) => v.to_string(),
        E::Var(i) => ["a", "b", "c"][*i].into(),
        E::Neg(a) => format!("(-{})", source(a)),
        E::Not(a) => format!("(~{})", source(a)),
        E::Bin(op, a, b) => format!("({} {op} {})", source(a), source(b)),
    }
}

#[derive(Clone)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a program in-process; returns stdout, or the trap message.
fn run(src: &str) -> Result<String, String> {
    let module = kite_compiler::compile_source("prop.kite", src).map_err(|e| format!("compile error:\n{e}\n{src}"))?;
    let buf = Shared(Arc::new(Mutex::new(Vec::new())));
    let module = VerifiedModule::new(module).map_err(|e| e.to_string())?;
    let mut vm =
        Vm::new(module, &HostFuncs::new(), Box::new(buf.clone()), Box::new(std::io::sink()), RunOptions::default())
            .map_err(|e| e.to_string())?;
    let r = vm.run_main();
    let _ = vm.flush();
    r.map_err(|t| t.message)?;
    let bytes = buf.0.lock().expect("buffer").clone();
    Ok(String::from_utf8(bytes).expect("utf-8"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn int_expressions_follow_the_rules(e in expr(), a in any::<i64>(), b in -70i64..70, c in any::<i64>()) {
        let vars = [a, b, c];
        let src = format!(
            "fn main() {{\n    let a = {};\n    let b = {};\n    let c = {};\n    print({});\n}}\n",
            source(&E::Lit(a)), source(&E::Lit(b)), source(&E::Lit(c)), source(&e)
        );
        match eval(&e, &vars) {
            Some(v) => prop_assert_eq!(run(&src), Ok(format!("{v}\n")), "{}", src),
            None => prop_assert_eq!(run(&src), Err("division by zero".to_string()), "{}", src),
        }
    }

    #[test]
    fn float_arithmetic_is_ieee(x in any::<f64>(), y in any::<f64>()) {
        let lit = |v: f64| if v.is_nan() { "math.NAN".to_string() } else if v.is_infinite() {
            if v > 0.0 { "math.INF".into() } else { "(-math.INF)".into() }
        } else { format!("({v:e})") };
        let src = format!(
            "fn main() {{\n    let x = {};\n    let y = {};\n    print(x + y == {}, x * y == {}, x / y == {}, x % y == {});\n}}\n",
            lit(x), lit(y), lit(x + y), lit(x * y), lit(x / y), lit(x % y)
        );
        let want = [x + y, x * y, x / y, x % y].map(|r| if r.is_nan() { "false" } else { "true" });
        prop_assert_eq!(run(&src), Ok(format!("{}\n", want.join(" "))), "{}", src);
    }
}
