//! Maps: literals, lookups (trapping or optional), assignment.

use crate::heap::{map_of, MapObj};
use crate::runtime::code::Shape;
use crate::runtime::format::key_text;
use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::vm::Vm;

impl Vm {
    /// `NewMap`: `R[A] := {}` of the register's map type.
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_new_map(&mut self, regs: *mut u64, a: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: a frame is pushed and A is one of its registers, of a map type (Types).
        unsafe {
            let f = self.top();
            let Shape::Map { key, vals } = self.funcs.meta[f.func as usize].regs[a as usize].1 else {
                std::hint::unreachable_unchecked()
            };
            let m = self.heap.alloc_map(MapObj::new(key, vals));
            *regs.add(a as usize) = m;
        }
        Ok(())
    }

    /// `MapGet`: `R[A] := R[B][R[C]]`, trapping with the key's text if it is missing.
    ///
    /// # Safety
    /// As [`Vm::op_new_map`].
    #[inline(never)]
    pub(crate) unsafe fn op_map_get(&mut self, regs: *mut u64, a: u16, b: u16, c: u16) -> Result<(), Trap> {
        // Safety: B is a map register, written (a live map); C holds a key of its key type.
        unsafe {
            let m = map_of(*regs.add(b as usize));
            match m.map.get(&m.key(*regs.add(c as usize))) {
                Some(&v) => {
                    *regs.add(a as usize) = v;
                    Ok(())
                }
                None => Err(self.key_not_found(c)),
            }
        }
    }

    /// The trap for a missing key, the key in register `c` of the innermost frame.
    #[cold]
    #[inline(never)]
    unsafe fn key_not_found(&self, c: u16) -> Trap {
        // Safety: a frame is pushed and C is one of its registers (the caller's promise).
        let f = unsafe { self.top() };
        let ty = self.funcs.meta[f.func as usize].regs[c as usize].0;
        TrapCode::KeyNotFound(key_text(&self.module, self.reg(f.base, c), ty)).into()
    }

    /// `MapSet`: `R[A][R[B]] := R[C]`. A map that grew is counted (by its `heap_size`),
    /// and that is a safepoint.
    ///
    /// # Safety
    /// As [`Vm::op_new_map`].
    #[inline(never)]
    pub(crate) unsafe fn op_map_set(&mut self, regs: *mut u64, a: u16, b: u16, c: u16) -> Result<(), Trap> {
        // Safety: A is a map register, written (a live map); B and C hold a key and a value
        // of its types.
        let grown = unsafe {
            let m = map_of(*regs.add(a as usize));
            let before = m.heap_size();
            let k = m.key(*regs.add(b as usize));
            m.map.insert(k, *regs.add(c as usize));
            m.heap_size() - before
        };
        if grown != 0 {
            self.heap.account(grown);
            self.safepoint()?;
        }
        Ok(())
    }

    /// `MapGetOpt`: `R[A] := R[B].get(R[C])`: nil if missing, else the value (boxed when
    /// the value type is int, float or bool).
    ///
    /// # Safety
    /// As [`Vm::op_new_map`].
    #[inline(never)]
    pub(crate) unsafe fn op_map_get_opt(&mut self, regs: *mut u64, a: u16, b: u16, c: u16) -> Result<(), Trap> {
        // Safety: B is a map register, written (a live map); C holds a key of its key type;
        // A is an optional register of the frame.
        unsafe {
            let m = map_of(*regs.add(b as usize));
            let v = match m.map.get(&m.key(*regs.add(c as usize))).copied() {
                None => 0,
                Some(v) if m.val_is_ref => v,
                Some(v) => {
                    self.safepoint()?;
                    self.heap.alloc_box(v)
                }
            };
            *regs.add(a as usize) = v;
        }
        Ok(())
    }
}
