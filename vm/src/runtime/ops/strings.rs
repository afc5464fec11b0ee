//! Strings: comparison, concatenation, the text of values, printing.

use crate::heap::{str_of, StrObj};
use crate::runtime::format::{write_value, Sink};
use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::vm::Vm;
use std::io::Write;

/// `x == y` on strings: by content.
///
/// # Safety
/// `x` and `y` are live string objects.
#[inline]
pub unsafe fn str_eq(x: u64, y: u64) -> bool {
    // Safety: the caller's promise.
    unsafe { StrObj::same_text(x as *const StrObj, y as *const StrObj) }
}

/// `x < y` on strings: byte-wise.
///
/// # Safety
/// As [`str_eq`].
#[inline]
pub unsafe fn str_lt(x: u64, y: u64) -> bool {
    // Safety: the caller's promise.
    unsafe { str_of(x).as_bytes() < str_of(y).as_bytes() }
}

/// `x <= y` on strings: byte-wise.
///
/// # Safety
/// As [`str_eq`].
#[inline]
pub unsafe fn str_le(x: u64, y: u64) -> bool {
    // Safety: the caller's promise.
    unsafe { str_of(x).as_bytes() <= str_of(y).as_bytes() }
}

/// The largest line buffer `print` keeps between lines.
const LINE_KEEP: usize = 64 << 10;

impl Vm {
    /// `Concat`: `R[A] := R[B] + R[C]` on strings.
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_concat(&mut self, regs: *mut u64, a: u16, b: u16, c: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: B and C are str registers, written (Types, Definite assignment).
        let (x, y) = unsafe { (str_of(*regs.add(b as usize)), str_of(*regs.add(c as usize))) };
        let n = x.len().saturating_add(y.len());
        self.reserve_heap(n)?;
        self.burn_work(n)?;
        // Safety: as above; collecting does not move or free the (rooted) operands.
        let (x, y) = unsafe { (str_of(*regs.add(b as usize)), str_of(*regs.add(c as usize))) };
        let s = self.heap.try_alloc_str_parts(&[x, y]).ok_or(TrapCode::OutOfMemory)?;
        // Safety: A is a str register of the frame.
        unsafe { *regs.add(a as usize) = s };
        Ok(())
    }

    /// `ToStr`: `R[A] := str(R[B])`. The text is bounded by the memory limit and uses fuel
    /// as it grows (see `format.rs`).
    ///
    /// # Safety
    /// As [`Vm::op_concat`].
    #[inline(never)]
    pub(crate) unsafe fn op_to_str(&mut self, regs: *mut u64, a: u16, b: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: a frame is pushed (the caller's promise).
        let f = unsafe { self.top() };
        let ty = self.funcs.meta[f.func as usize].regs[b as usize].0;
        let mut s = String::new();
        self.format_into(&mut s, self.reg(f.base, b), ty)?;
        self.reserve_heap(s.len())?;
        let v = self.heap.alloc_string(s);
        // Safety: A is a str register of the frame.
        unsafe { *regs.add(a as usize) = v };
        Ok(())
    }

    /// Appends the text of `v` (of type `ty`) to `out`: at most what the memory limit
    /// leaves, one unit of fuel per `WORK_PER_FUEL` bytes, the interrupt flag polled.
    pub(crate) fn format_into(&mut self, out: &mut String, v: u64, ty: u32) -> Result<(), Trap> {
        let m = self.module.clone();
        let limit = self.heap.room();
        let mut progress = |n: usize| self.burn_work(n);
        let mut sink = Sink::new(out, limit, &mut progress);
        write_value(&mut sink, &m, v, ty)?;
        sink.finish()
    }

    /// `Print`: writes registers `first..first + n` of the innermost frame, space
    /// separated, and a newline.
    ///
    /// # Safety
    /// As [`Vm::op_concat`].
    #[inline(never)]
    pub(crate) unsafe fn op_print(&mut self, first: u16, n: u16) -> Result<(), Trap> {
        self.print_line(first, n, false)
    }

    /// Writes the values in registers `first..first+n` of the innermost frame, space
    /// separated and with a newline, to the program's output or (`to_err`) error stream.
    /// The line is bounded and uses fuel as [`Vm::format_into`] says.
    pub(crate) fn print_line(&mut self, first: u16, n: u16, to_err: bool) -> Result<(), Trap> {
        // Safety: a frame is pushed (every caller runs inside one).
        let f = unsafe { self.top() };
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let mut res = Ok(());
        for i in 0..n {
            let r = first + i;
            let ty = self.funcs.meta[f.func as usize].regs[r as usize].0;
            if i > 0 {
                line.push(' ');
            }
            res = self.format_into(&mut line, self.reg(f.base, r), ty);
            if res.is_err() {
                break;
            }
        }
        if res.is_ok() {
            line.push('\n');
            let written = if to_err {
                let _ = self.out.flush();
                self.err.write_all(line.as_bytes())
            } else {
                self.out.write_all(line.as_bytes())
            };
            res = written.map_err(|e| TrapCode::Output(e.to_string()).into());
        }
        // Keep the buffer for the next line, unless a long line made it big.
        if line.capacity() <= LINE_KEEP {
            self.line = line;
        }
        res
    }
}
