//! Strings: comparison, concatenation, the text of values, printing.

use crate::heap::str_of;
use crate::runtime::format::write_value;
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
    x == y || unsafe { str_of(x) == str_of(y) }
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

impl Vm {
    /// `Concat`: `R[A] := R[B] + R[C]` on strings.
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    pub(crate) unsafe fn op_concat(&mut self, a: u16, b: u16, c: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: B and C are str registers, written (Types, Definite assignment).
        let (x, y) = unsafe { (str_of(self.r(b)), str_of(self.r(c))) };
        let n = x.len().saturating_add(y.len());
        self.reserve_heap(n)?;
        self.burn_work(n)?;
        // Safety: as above; collecting does not move or free the (rooted) operands.
        let (x, y) = unsafe { (str_of(self.r(b)), str_of(self.r(c))) };
        let s = self.heap.try_alloc_str_parts(&[x, y]).ok_or(TrapCode::OutOfMemory)?;
        // Safety: A is a str register of the frame.
        unsafe { self.set_r(a, s) };
        Ok(())
    }

    /// `ToStr`: `R[A] := str(R[B])`.
    ///
    /// # Safety
    /// As [`Vm::op_concat`].
    pub(crate) unsafe fn op_to_str(&mut self, a: u16, b: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: a frame is pushed (the caller's promise).
        let f = unsafe { self.top() };
        let ty = self.funcs.meta[f.func as usize].regs[b as usize].0;
        let mut s = String::new();
        // Safety: B is a register of the frame holding a value of type `ty`.
        write_value(&mut s, &self.module, unsafe { self.r(b) }, ty);
        let v = self.heap.alloc_string(s);
        // Safety: A is a str register of the frame.
        unsafe { self.set_r(a, v) };
        Ok(())
    }

    /// `Print`: writes registers `first..first + n` of the innermost frame, space
    /// separated, and a newline.
    ///
    /// # Safety
    /// As [`Vm::op_concat`].
    pub(crate) unsafe fn op_print(&mut self, first: u16, n: u16) -> Result<(), Trap> {
        self.print_line(first, n, false)
    }

    /// Writes the values in registers `first..first+n` of the innermost frame, space
    /// separated and with a newline, to the program's output or (`to_err`) error stream.
    pub(crate) fn print_line(&mut self, first: u16, n: u16, to_err: bool) -> Result<(), Trap> {
        // Safety: a frame is pushed (every caller runs inside one).
        let f = unsafe { self.top() };
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        for i in 0..n {
            if i > 0 {
                line.push(' ');
            }
            let r = first + i;
            let ty = self.funcs.meta[f.func as usize].regs[r as usize].0;
            write_value(&mut line, &self.module, self.reg(f.base, r), ty);
        }
        line.push('\n');
        let res = if to_err {
            let _ = self.out.flush();
            self.err.write_all(line.as_bytes())
        } else {
            self.out.write_all(line.as_bytes())
        };
        self.line = line;
        res.map_err(|e| TrapCode::Output(e.to_string()).into())
    }
}
