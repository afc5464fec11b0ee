//! Host implementations of the built-in modules, registered by name into a VM's host
//! function table. `fs`, `env.get` and `time` are capabilities: without a grant each call
//! traps with `capability denied`.

use crate::signatures::{SigTy, MODULE_FNS};
use kite_vm::host::{Caller, HostFunc, HostFuncs, Val, ValType};
use kite_vm::runtime::trap::Trap;
use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};

/// What the built-in modules see of the outside world.
#[derive(Clone, Debug, Default)]
pub struct StdConfig {
    /// `env.args()`: the words after the program file.
    pub args: Vec<String>,
    /// Seed of `rand`.
    pub seed: u64,
    /// Whether `io.read_line` / `io.read_all` may read standard input.
    pub stdin: bool,
}

fn val_type(t: SigTy) -> ValType {
    match t {
        SigTy::Int => ValType::Int,
        SigTy::Float => ValType::Float,
        SigTy::Bool => ValType::Bool,
        SigTy::Str => ValType::Str,
        SigTy::OptStr => ValType::Optional(Box::new(ValType::Str)),
        SigTy::StrArray => ValType::Array(Box::new(ValType::Str)),
        SigTy::OptStrArray => ValType::Optional(Box::new(ValType::Array(Box::new(ValType::Str)))),
    }
}

type Callback = Arc<dyn Fn(&mut Caller<'_>, Vec<Val>) -> Result<Val, Trap> + Send + Sync>;

/// A fast, seedable generator (xoshiro256**, seeded through SplitMix64): the same seed
/// gives the same numbers on every host.
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng { s: [next(), next(), next(), next()] }
    }
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }
    /// Uniform in `lo..hi` (requires `lo < hi`), without modulo bias.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128) as u128 as u64;
        let zone = u64::MAX - (u64::MAX - span + 1) % span;
        loop {
            let v = self.next_u64();
            if v <= zone {
                return (lo as i128 + (v % span) as i128) as i64;
            }
        }
    }
    /// Uniform in `[0, 1)`.
    pub fn float(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

fn denied(call: &str, what: &str, flag: &str) -> Trap {
    Trap::new(format!("capability denied: {call} {what} (grant with {flag})"))
}

fn first_str(args: &[Val]) -> String {
    match args.first() {
        Some(Val::Str(s)) => format!("{s:?}"),
        _ => String::new(),
    }
}

fn callback(module: &str, name: &str, cfg: &StdConfig, rng: &Arc<Mutex<Rng>>) -> Callback {
    let cfg = cfg.clone();
    let rng = Arc::clone(rng);
    match (module, name) {
        ("env", "args") => Arc::new(move |_, _| Ok(Val::Array(cfg.args.iter().cloned().map(Val::Str).collect()))),
        ("env", "get") => Arc::new(|_, a| Err(denied("env.get", &first_str(&a), "--allow-env"))),
        ("rand", "int") => Arc::new(move |_, a| match (&a[0], &a[1]) {
            (Val::Int(lo), Val::Int(hi)) if lo < hi => {
                Ok(Val::Int(rng.lock().map_err(|_| Trap::new("rand is poisoned"))?.range(*lo, *hi)))
            }
            (Val::Int(lo), Val::Int(hi)) => Err(Trap::new(format!("rand.int: empty range {lo}..{hi}"))),
            _ => Err(Trap::new("rand.int: bad arguments")),
        }),
        ("rand", "float") => {
            Arc::new(move |_, _| Ok(Val::Float(rng.lock().map_err(|_| Trap::new("rand is poisoned"))?.float())))
        }
        ("io", "read_line") => Arc::new(move |c, _| {
            if !cfg.stdin {
                return Err(Trap::new("capability denied: io.read_line (standard input is not granted)"));
            }
            let _ = c.out.flush();
            let mut line = String::new();
            match std::io::stdin().lock().read_line(&mut line) {
                Ok(0) => Ok(Val::Nil),
                Ok(_) => {
                    if line.ends_with('\n') {
                        line.pop();
                        if line.ends_with('\r') {
                            line.pop();
                        }
                    }
                    Ok(Val::Str(line))
                }
                Err(e) => Err(Trap::new(format!("io.read_line: {e}"))),
            }
        }),
        ("io", "read_all") => Arc::new(move |c, _| {
            if !cfg.stdin {
                return Err(Trap::new("capability denied: io.read_all (standard input is not granted)"));
            }
            let _ = c.out.flush();
            let mut s = String::new();
            std::io::stdin().lock().read_to_string(&mut s).map_err(|e| Trap::new(format!("io.read_all: {e}")))?;
            Ok(Val::Str(s))
        }),
        ("fs", f) => {
            let (call, flag) = match f {
                "write" | "append" | "remove" => (format!("fs.{f}"), "--allow-write=DIR"),
                _ => (format!("fs.{f}"), "--allow-read=DIR"),
            };
            Arc::new(move |_, a| Err(denied(&call, &format!("{} is outside the granted folders", first_str(&a)), flag)))
        }
        ("time", f) => {
            let call = format!("time.{f}");
            Arc::new(move |_, _| Err(denied(&call, "is not granted", "--allow-time")))
        }
        _ => Arc::new(|_, _| Err(Trap::new("unknown built-in module function"))),
    }
}

/// Registers every built-in module function into `host`.
pub fn add_to(host: &mut HostFuncs, cfg: &StdConfig) {
    let rng = Arc::new(Mutex::new(Rng::new(cfg.seed)));
    for f in MODULE_FNS {
        host.define(
            f.module,
            f.name,
            HostFunc {
                params: f.params.iter().map(|t| val_type(*t)).collect(),
                ret: f.ret.map(val_type),
                callback: callback(f.module, f.name, cfg, &rng),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn rng_is_reproducible_and_in_range() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            let x = a.range(-3, 5);
            assert_eq!(x, b.range(-3, 5));
            assert!((-3..5).contains(&x));
            let f = a.float();
            assert_eq!(f, b.float());
            assert!((0.0..1.0).contains(&f));
        }
        assert_eq!(Rng::new(1).range(i64::MIN, i64::MAX), Rng::new(1).range(i64::MIN, i64::MAX));
    }
}
