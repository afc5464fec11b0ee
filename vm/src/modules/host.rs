//! Host implementations of the built-in modules, registered by name into a VM's host
//! function table. They hold no state of their own: the arguments, the `rand` seed and
//! generator, and the capabilities come from the store through the [`Caller`]. `fs`,
//! `env.get`, `time` and `io` only call the store's [`Sandbox`](crate::sandbox::Sandbox),
//! which checks every call against what the host granted.

use super::signatures::{SigTy, MODULE_FNS};
use crate::host::{Caller, HostCallback, HostFunc, HostFuncs, Persist, Val, ValType};
use crate::runtime::trap::Trap;
use std::any::Any;
use std::sync::Arc;

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

/// A fast, seedable generator (xoshiro256**, seeded through SplitMix64): the same seed
/// gives the same numbers on every host.
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator seeded with `seed`.
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
    /// The next 64 random bits.
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

fn str_arg(a: &[Val], i: usize) -> &str {
    match a.get(i) {
        Some(Val::Str(s)) => s,
        _ => "",
    }
}

fn opt_str(v: Option<String>) -> Val {
    v.map_or(Val::Nil, Val::Str)
}

impl Persist for Rng {
    const KEY: &'static str = "rand";
    fn save(&self) -> Vec<u8> {
        self.s.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
    fn load(bytes: &[u8]) -> Option<Rng> {
        if bytes.len() != 32 {
            return None;
        }
        let mut s = [0u64; 4];
        for (w, b) in s.iter_mut().zip(bytes.chunks_exact(8)) {
            *w = u64::from_le_bytes(b.try_into().ok()?);
        }
        Some(Rng { s })
    }
}

/// The store's `rand` generator, seeded from the store's seed on first use (or where a
/// snapshot left it).
fn rng<'c>(c: &'c mut Caller<'_, dyn Any + Send>) -> &'c mut Rng {
    let seed = c.seed();
    c.persistent(|| Rng::new(seed))
}

fn callback(module: &str, name: &str) -> HostCallback {
    match (module, name) {
        ("env", "args") => Arc::new(|c, _| Ok(Val::Array(c.args().iter().cloned().map(Val::Str).collect()))),
        ("env", "get") => Arc::new(|c, a| Ok(opt_str(c.sandbox().env_get(str_arg(&a, 0))?))),
        ("rand", "int") => Arc::new(|c, a| match (&a[0], &a[1]) {
            (Val::Int(lo), Val::Int(hi)) if lo < hi => Ok(Val::Int(rng(c).range(*lo, *hi))),
            (Val::Int(lo), Val::Int(hi)) => Err(Trap::new(format!("rand.int: empty range {lo}..{hi}"))),
            _ => Err(Trap::new("rand.int: bad arguments")),
        }),
        ("rand", "float") => Arc::new(|c, _| Ok(Val::Float(rng(c).float()))),
        ("io", "read_line") => Arc::new(|c, _| {
            let _ = c.out().flush();
            let room = c.memory_room();
            Ok(opt_str(c.sandbox().read_line(room)?))
        }),
        ("io", "read_all") => Arc::new(|c, _| {
            let _ = c.out().flush();
            let room = c.memory_room();
            Ok(Val::Str(c.sandbox().read_all(room)?))
        }),
        ("fs", "read") => Arc::new(|c, a| {
            let room = c.memory_room();
            Ok(opt_str(c.sandbox().fs_read(str_arg(&a, 0), room)?))
        }),
        ("fs", "write") => {
            Arc::new(|c, a| Ok(Val::Bool(c.sandbox().fs_write(str_arg(&a, 0), str_arg(&a, 1), false)?)))
        }
        ("fs", "append") => {
            Arc::new(|c, a| Ok(Val::Bool(c.sandbox().fs_write(str_arg(&a, 0), str_arg(&a, 1), true)?)))
        }
        ("fs", "list") => Arc::new(|c, a| {
            Ok(c.sandbox()
                .fs_list(str_arg(&a, 0))?
                .map_or(Val::Nil, |v| Val::Array(v.into_iter().map(Val::Str).collect())))
        }),
        ("fs", "exists") => Arc::new(|c, a| Ok(Val::Bool(c.sandbox().fs_exists(str_arg(&a, 0))?))),
        ("fs", "remove") => Arc::new(|c, a| Ok(Val::Bool(c.sandbox().fs_remove(str_arg(&a, 0))?))),
        ("time", "now") => Arc::new(|c, _| Ok(Val::Float(c.sandbox().time_now()?))),
        ("time", "mono_ns") => Arc::new(|c, _| Ok(Val::Int(c.sandbox().time_mono_ns()?))),
        _ => Arc::new(|_, _| Err(Trap::new("unknown built-in module function"))),
    }
}

/// Every built-in module function: module, name and implementation.
pub fn builtins() -> Vec<(&'static str, &'static str, HostFunc)> {
    MODULE_FNS
        .iter()
        .map(|f| {
            let func = HostFunc {
                params: f.params.iter().map(|t| val_type(*t)).collect(),
                ret: f.ret.map(val_type),
                callback: callback(f.module, f.name),
            };
            (f.module, f.name, func)
        })
        .collect()
}

/// Registers every built-in module function into `host`.
pub fn add_to(host: &mut HostFuncs) {
    for (module, name, f) in builtins() {
        host.define(module, name, f);
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
