//! Mutations of valid snapshots, and the check every mutant must pass: reading it,
//! restoring it and (if both succeed) a bounded run may fail with an error or a trap, but
//! must never panic, crash, hang or exhaust memory.
//!
//! Shared by the bounded test (`tests/snapshot_hostile.rs`, part of `cargo test`) and the
//! cargo-fuzz target `snapshot`, which include this file by path.

#![allow(dead_code)]

use kite::vm::bytecode::VerifiedModule;
use kite::vm::exec::{Tier, TierOptions};
use kite::vm::host::HostFuncs;
use kite::vm::runtime::trap::TrapCode;
use kite::vm::runtime::{RunOptions, Vm};
use kite::vm::snapshot::{checksum, read, HEADER_LEN};

/// Fuel of the bounded run after a restore, and the memory a restore may take.
pub const FUEL: u64 = 5_000;
pub const MAX_MEMORY: usize = 256 << 20;

/// A source of choices (the bytecode mutator's `Choices`).
pub trait Pick {
    fn pick(&mut self, n: usize) -> usize;
}

fn host() -> HostFuncs {
    let mut h = HostFuncs::new();
    kite::vm::modules::host::add_to(&mut h);
    h
}

/// The snapshot of `m` suspended after `k` units of fuel, if it runs that long.
pub fn snapshot_of(m: &VerifiedModule, k: u64) -> Option<Vec<u8>> {
    let t = TierOptions { tier: Tier::Interp, jit_threshold: 1 };
    let opts = RunOptions { fuel: Some(10_000_000), ..RunOptions::default() };
    let sink = || Box::new(std::io::sink());
    let mut vm = Vm::new_in(t, m.clone(), &host(), sink(), sink(), opts).ok()?;
    vm.suspend_at_fuel(Some(k));
    match vm.run_main() {
        Err(t) if t.code == TrapCode::Suspended => vm.take_suspension(),
        _ => None,
    }
}

/// Where the state starts: after the header and the embedded module (mutations there
/// mostly test the bytecode decoder, which has fuzzers of its own).
fn state_start(b: &[u8]) -> usize {
    let mut pos = HEADER_LEN;
    let mut n: usize = 0;
    let mut shift = 0;
    while let Some(&x) = b.get(pos) {
        pos += 1;
        n |= ((x & 0x7f) as usize) << shift;
        shift += 7;
        if x & 0x80 == 0 || shift > 56 {
            break;
        }
    }
    (pos + n).min(b.len())
}

/// A mutant of snapshot `seed`, with a correct checksum (so that the body is what is tested).
pub fn mutate(seed: &[u8], c: &mut dyn Pick) -> Vec<u8> {
    let mut b = seed.to_vec();
    let start = state_start(&b);
    let edits = 1 + c.pick(3);
    for _ in 0..edits {
        let len = b.len();
        if len <= start {
            break;
        }
        let at = start + c.pick(len - start);
        match c.pick(8) {
            0 => b[at] ^= 1 << c.pick(8),
            1 => b[at] = [0, 1, 2, 0x7f, 0x80, 0xff][c.pick(6)],
            2 => b[at] = c.pick(256) as u8,
            3 => b.insert(at, c.pick(256) as u8),
            4 => {
                b.remove(at);
            }
            5 => b.truncate(at),
            6 => {
                // A number made large: a LEB128 continuation run.
                let n = 1 + c.pick(9);
                for i in 0..n {
                    b.insert(at + i, 0xff);
                }
            }
            _ => {
                // Bytes copied from elsewhere in the state (an object number, a value).
                let from = start + c.pick(len - start);
                let n = (1 + c.pick(8)).min(len - from).min(len - at);
                let chunk = b[from..from + n].to_vec();
                b[at..at + n].copy_from_slice(&chunk);
            }
        }
    }
    if b.len() >= HEADER_LEN {
        let d = checksum(&b[HEADER_LEN..]);
        b[8..HEADER_LEN].copy_from_slice(&d);
    }
    b
}

/// What became of a mutant.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Refused,
    NotRestored,
    Ran,
}

/// Reads, restores (in the interpreter or the JIT) and runs a snapshot within bounds.
pub fn check(bytes: &[u8], jit: bool) -> Outcome {
    let Ok(snap) = read(bytes) else { return Outcome::Refused };
    let tier = if jit { Tier::Jit } else { Tier::Interp };
    let t = TierOptions { tier, jit_threshold: 1 };
    let opts = RunOptions { fuel: Some(FUEL), max_depth: 200 };
    let sink = || Box::new(std::io::sink());
    let Ok(mut vm) = Vm::from_snapshot(t, snap, &host(), sink(), sink(), opts, Some(MAX_MEMORY)) else {
        return Outcome::NotRestored;
    };
    let _ = vm.resume_main();
    Outcome::Ran
}
