//! A checked [`Snapshot`] into a fresh `Vm`: its objects, globals, function values and
//! frames, its fuel and host state. Nothing runs until the caller continues it
//! ([`Vm::resume_main`] or [`Vm::resume_call`]).

use super::{object_bytes, Obj, Snapshot, SnapshotError};
use crate::bytecode::{Kind, Op};
use crate::exec::TierOptions;
use crate::heap::{ArrayKind, ArrayObj, ClosureObj, KeyKind, MapObj, StructObj};
use crate::host::HostFuncs;
use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::{RunOptions, Vm};
use std::io::Write;

type R<T> = Result<T, SnapshotError>;

impl Vm {
    /// A `Vm` in `tier` holding the state of snapshot `snap`, with `host`'s functions, the
    /// given output streams and options. `max_memory` bounds the memory the state needs.
    pub fn from_snapshot(
        tier: TierOptions,
        mut snap: Snapshot<'_>,
        host: &HostFuncs,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        opts: RunOptions,
        max_memory: Option<usize>,
    ) -> R<Vm> {
        let mut vm = Vm::new_in(tier, snap.module.clone(), host, out, err, opts)
            .map_err(|e| SnapshotError::Link(e.to_string()))?;
        let limit = max_memory.unwrap_or(usize::MAX);
        let m = snap.module.clone();
        let regs: usize = snap.frames.iter().map(|f| f.regs.len()).sum();
        let needed = snap
            .objects
            .iter()
            .map(object_bytes)
            .fold(vm.heap.used(), usize::saturating_add)
            .saturating_add(regs.saturating_mul(8));
        if needed > limit {
            return Err(SnapshotError::Memory { needed, limit });
        }
        let no_room = || SnapshotError::Memory { needed, limit };

        // Every object, with its references left nil; then the references.
        // (An array of words takes over the snapshot's vector of its elements, grown to its
        // capacity; an array of references holds object numbers until the second pass.)
        let mut addr = vec![0u64; snap.objects.len() + 1];
        for (i, o) in snap.objects.iter_mut().enumerate() {
            let a = match o {
                Obj::Str(s) => vm.heap.try_alloc_str_parts(&[s]).ok_or_else(no_room)?,
                Obj::Box(v) => vm.heap.alloc_box(*v),
                Obj::Array { kind: ArrayKind::Bytes, cap, words } => {
                    vm.heap.try_alloc_array_with_capacity(ArrayKind::Bytes, *cap, words).ok_or_else(no_room)?
                }
                Obj::Array { kind, cap, words, .. } => {
                    let mut items = std::mem::take(words);
                    items.try_reserve_exact(cap.saturating_sub(items.len())).map_err(|_| no_room())?;
                    vm.heap.alloc_array(items, *kind)
                }
                Obj::Map { key, vals, cap, .. } => {
                    let mut mo = MapObj::new(*key, *vals);
                    mo.map.try_reserve_exact(*cap).map_err(|_| no_room())?;
                    vm.heap.alloc_map(mo)
                }
                // Reference fields and captures hold object numbers until the second pass.
                Obj::Struct { sid, fields } => vm.heap.alloc_struct(*sid, fields),
                Obj::Closure { func, captures } => vm.heap.alloc_closure(*func, captures.to_vec().into_boxed_slice()),
            };
            addr[i + 1] = a;
        }
        let at = |v: u64| addr[v as usize];
        for (i, o) in snap.objects.iter().enumerate() {
            let p = addr[i + 1];
            // Safety: `p` is the object just made for `o`, of `o`'s kind and size; the
            // checks of `read` made every number an object and the counts fit the module.
            unsafe {
                match o {
                    Obj::Array { kind: ArrayKind::Refs, .. } => {
                        let a = &mut *(p as *mut ArrayObj);
                        if let Some(ws) = a.words_mut() {
                            for w in ws.iter_mut() {
                                *w = at(*w);
                            }
                        }
                    }
                    Obj::Map { key, vals, entries, .. } => {
                        let mo = &mut *(p as *mut MapObj);
                        for &(k, v) in entries {
                            let k = if *key == KeyKind::Str { at(k) } else { k };
                            let v = if *vals == ArrayKind::Refs { at(v) } else { v };
                            if mo.map.insert(mo.key(k), v).is_some() {
                                return Err(SnapshotError::Invalid(format!("object {} has a key twice", i + 1)));
                            }
                        }
                    }
                    Obj::Struct { sid, .. } => {
                        let so = p as *mut StructObj;
                        for (j, f) in m.structs[*sid as usize].fields.iter().enumerate() {
                            if m.kind(f.ty) == Kind::Ref {
                                let slot = StructObj::field(so, j);
                                *slot = at(*slot);
                            }
                        }
                    }
                    Obj::Closure { func, .. } => {
                        let c = &mut *(p as *mut ClosureObj);
                        for (j, &t) in m.functions[*func as usize].captures.iter().enumerate() {
                            if m.kind(t) == Kind::Ref {
                                if let Some(slot) = c.captures.get_mut(j) {
                                    *slot = at(*slot);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }

        for (i, (g, &v)) in m.globals.iter().zip(&snap.globals).enumerate() {
            vm.global_store[i] = if m.kind(g.ty) == Kind::Ref { at(v) } else { v };
        }
        for &(f, v) in &snap.fn_values {
            vm.fn_values[f as usize] = at(v);
        }
        vm.heap.set_limit(limit);
        for (i, fr) in snap.frames.iter().enumerate() {
            let f = &m.functions[fr.func as usize];
            // The result goes where the caller's call instruction says.
            let ret_dst = match i.checked_sub(1).map(|c| &snap.frames[c]) {
                Some(caller) => m.functions[caller.func as usize].code[caller.pc as usize - 1].a,
                None => 0,
            };
            let base = vm.next_base();
            vm.push_frame(fr.func, base, ret_dst, 0).map_err(|t| match t.code {
                TrapCode::OutOfMemory => no_room(),
                _ => SnapshotError::Invalid(format!("{} frames: {}", snap.frames.len(), t.message)),
            })?;
            for (r, (&t, &v)) in f.regs.iter().zip(&fr.regs).enumerate() {
                let w = if m.kind(t) == Kind::Ref { at(v) } else { v };
                vm.set_reg(base, r as u16, w);
            }
            let d = vm.depth() - 1;
            // Safety: frame `d` was just pushed.
            unsafe { (*vm.ex.frames.add(d)).pc = fr.pc };
        }
        debug_assert!(snap.frames.last().is_none_or(|fr| {
            let op = m.functions[fr.func as usize].code[fr.pc as usize].op;
            op == Op::Call || op == Op::CallClosure || op.is_loop()
        }));
        vm.heap.stats.peak_bytes = vm.heap.used();
        // Everything restored is live (the snapshot holds only reachable objects): no
        // collection until the program has made as much again, as after a collection.
        vm.heap.set_threshold_from_live();
        vm.then_main = snap.then_main;
        vm.fuel_base = snap.fuel_used;
        vm.ctx.seed = snap.seed;
        vm.ctx.args = snap.args;
        vm.ctx.restore_data(snap.host_data);
        vm.ctx.sandbox.unread_input(snap.stdin);
        Ok(vm)
    }

    /// Continues a program resumed from a snapshot the way `run_main` runs one: its frames
    /// (from where they stopped, in the interpreter, which enters native code at loop
    /// headers and calls), then `main` if the frames were the global initializers'.
    /// Returns the exit code, as `run_main` does.
    pub fn resume_main(&mut self) -> Result<i32, Trap> {
        let main = self.module.main;
        if self.depth() > 0 {
            let outer = self.frames()[0].func;
            let then_main = self.then_main;
            let r = self.resume_call();
            self.then_main = false;
            let v = r?;
            if !then_main {
                self.flush().map_err(|e| Trap::from(TrapCode::Output(e.to_string())))?;
                return Ok(match (main, self.module.functions[outer as usize].ret) {
                    (Some(f), Some(_)) if f == outer => v as i64 as i32,
                    _ => 0,
                });
            }
        }
        let Some(main) = main else {
            return Err(TrapCode::NoMain.into());
        };
        let r = self.call(main, &[])?;
        self.flush().map_err(|e| Trap::from(TrapCode::Output(e.to_string())))?;
        Ok(match self.module.functions[main as usize].ret {
            Some(_) => r as i64 as i32,
            None => 0,
        })
    }

    /// The function of the outermost frame, if a call is running (or suspended).
    pub fn outermost_function(&self) -> Option<u32> {
        self.frames().first().map(|f| f.func)
    }

    /// The snapshot of this `Vm` between calls: its globals and heap (no frames).
    pub fn snapshot_idle(&mut self) -> Vec<u8> {
        debug_assert_eq!(self.depth(), 0);
        super::capture(self)
    }

    /// Runs the global initializers `init`; if they are suspended, the snapshot says
    /// whether `main` runs after them.
    pub fn call_init(&mut self, init: u32, then_main: bool) -> Result<u64, Trap> {
        self.then_main = then_main;
        let r = self.call(init, &[]);
        self.then_main = false;
        r
    }

    /// Runs the frames of a resumed snapshot to the end of the outermost one; its result
    /// (0 if none, or if there were no frames).
    pub fn resume_call(&mut self) -> Result<u64, Trap> {
        if self.depth() == 0 {
            return Ok(0);
        }
        // The innermost frame is in the middle of its function: the interpreter starts it.
        let runner = self.runner;
        self.runner = self.interpret;
        let r = self.run(0);
        self.runner = runner;
        r
    }
}
