//! Array headers kept in variables through a loop.
//!
//! An element access loads the array's length (for the bounds check) and its element
//! pointer from the array object. Inside a loop none of whose instructions may allocate,
//! collect or leave the function (no `A` or `C` property in the opcode table: no push, no
//! call, no built-in), nothing can grow, shrink or move any array: the only instructions
//! that change an array's length or pointer are pushes and runtime functions. If, besides,
//! no instruction of the loop writes the register holding the array, its length and pointer
//! read once stay true for as long as control stays inside the loop. (A fuel refill inside
//! the loop may suspend the run or compile other functions; neither changes an array, and a
//! suspended run comes back through an entry like any other.)
//!
//! So native code reads them on each *entry* into such a region — a jump or fallthrough
//! from an instruction outside it to one inside, the function's start, an on-stack
//! replacement at a loop header inside it — and keeps them in variables (registers)
//! everywhere inside. A register keeps one region per loop nest: the outermost loop that
//! qualifies, so an inner loop's entries read nothing again.

use crate::bytecode::opcodes::props;
use crate::bytecode::Instr;
use crate::runtime::code::Shape;

/// At most how many times the function's length the loops' lengths may add up to (the
/// depth of loop nesting, on average) for the analysis to run.
const MAX_LOOP_WORK: usize = 16;

/// At most how many regions a function keeps; each jump and element access looks through
/// them.
const MAX_REGIONS: usize = 256;

/// Where array registers keep their length and element pointer in variables.
#[derive(Debug)]
pub(crate) struct Hoisted {
    /// `(register, first pc, last pc)`, the regions of one register disjoint.
    regions: Vec<(u16, usize, usize)>,
}

impl Hoisted {
    /// Finds the regions of a function's `code`, whose registers have `shapes`. The work is
    /// linear in the loops' total length, which is bounded (see [`MAX_LOOP_WORK`]), and at
    /// most [`MAX_REGIONS`] regions are kept: code built to make it quadratic gets none.
    pub(crate) fn analyze(code: &[Instr], shapes: &[Shape]) -> Hoisted {
        let none = Hoisted { regions: Vec::new() };
        let is_array = |r: u16| matches!(shapes.get(r as usize), Some(Shape::Array { .. }));
        // Every loop: a backward jump at `end` to its header (the verifier checked it).
        let loops: Vec<(usize, usize)> = (code.iter().enumerate())
            .filter(|(_, ins)| ins.op.is_loop())
            .map(|(end, ins)| (ins.jump_target(end), end))
            .collect();
        if loops.iter().map(|&(first, last)| last + 1 - first).sum::<usize>() > MAX_LOOP_WORK * (code.len() + 1) {
            return none;
        }
        // Per qualifying loop, the array registers it reads elements or lengths of and
        // never writes.
        let mut candidates: Vec<(u16, usize, usize)> = Vec::new();
        let mut written = vec![false; shapes.len()];
        for &(first, last) in &loops {
            let body = &code[first..=last];
            if body.iter().any(|i| i.op.props() & (props::A | props::C | props::I) != 0) {
                continue;
            }
            let writes = || body.iter().filter(|i| i.op.props() & props::W != 0).map(|i| i.a as usize);
            writes().for_each(|r| written[r] = true);
            let mut arrays: Vec<u16> =
                body.iter().filter_map(array_read).filter(|&r| is_array(r) && !written[r as usize]).collect();
            arrays.sort_unstable();
            arrays.dedup();
            candidates.extend(arrays.into_iter().map(|r| (r, first, last)));
            writes().for_each(|r| written[r] = false);
        }
        // Per register, the outermost regions, in order: one inside another is covered by
        // it; two that overlap without nesting are both dropped (structured code has none).
        candidates.sort_unstable_by_key(|&(r, first, last)| (r, first, std::cmp::Reverse(last)));
        let mut kept: Vec<(u16, usize, usize, bool)> = Vec::new();
        for (r, first, last) in candidates {
            if let Some(cur) = kept.last_mut().filter(|cur| cur.0 == r && first <= cur.2) {
                if last > cur.2 {
                    cur.3 = false;
                    kept.push((r, first, last, false));
                }
                continue;
            }
            kept.push((r, first, last, true));
        }
        let regions: Vec<_> = kept.into_iter().filter(|k| k.3).map(|(r, f, l, _)| (r, f, l)).collect();
        if regions.len() > MAX_REGIONS {
            return none;
        }
        Hoisted { regions }
    }

    /// Whether register `r` has its length and pointer in variables at `pc`.
    pub(crate) fn holds(&self, r: u16, pc: usize) -> bool {
        self.region_of(r, pc).is_some()
    }

    fn region_of(&self, r: u16, pc: usize) -> Option<usize> {
        self.regions.iter().position(|&(r2, f, l)| r2 == r && f <= pc && pc <= l)
    }

    /// The registers whose headers must be read on the way from `from` (`None`: from
    /// outside the function's code, the start or an on-stack replacement) to `to`: those
    /// with a region that holds `to` but not `from`.
    pub(crate) fn entering(&self, from: Option<usize>, to: usize) -> Vec<u16> {
        // A register's regions are disjoint: at most one of them holds `to`.
        self.regions
            .iter()
            .filter(|&&(r, f, l)| f <= to && to <= l && from.is_none_or(|p| self.region_of(r, p).is_none()))
            .map(|&(r, ..)| r)
            .collect()
    }

    /// Whether register `r` has a region.
    pub(crate) fn has_regions(&self, r: u16) -> bool {
        self.regions.iter().any(|&(r2, ..)| r2 == r)
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }
}

/// The array register whose header `ins` reads, if it reads one.
fn array_read(ins: &Instr) -> Option<u16> {
    use crate::bytecode::Op::*;
    match ins.op {
        GetIndex | ArrayLen => Some(ins.b),
        SetIndex => Some(ins.a),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::Op;
    use crate::heap::ArrayKind;

    fn ins(op: Op, a: u16, b: u16, c: u16) -> Instr {
        Instr { op, a, b, c }
    }
    fn jump(op: Op, a: u16, b: u16, offset: i64) -> Instr {
        ins(op, a, b, 0).with_jump_offset(offset).expect("an offset that fits")
    }
    fn shapes(n: usize) -> Vec<Shape> {
        (0..n).map(|r| if r == 0 { Shape::Array { kind: ArrayKind::Words } } else { Shape::Prim }).collect()
    }

    /// `r0` an array, `r1` an index, `r2` a bound: `r0[r1] = r3` over `r1 <= r2`, nested in
    /// an outer loop.
    fn nested(inner_body: Instr) -> Vec<Instr> {
        vec![
            ins(Op::LoadInt, 1, 0, 0),     // 0
            ins(Op::LoadInt, 4, 0, 0),     // 1: outer header
            jump(Op::Jmp, 0, 0, 1),        // 2 -> 4
            inner_body,                    // 3: inner header
            jump(Op::LoopIfLeI, 1, 2, -2), // 4 -> 3
            ins(Op::AddIImm, 4, 4, 1),     // 5
            jump(Op::LoopIfLeI, 4, 2, -6), // 6 -> 1
            ins(Op::RetVoid, 0, 0, 0),     // 7
        ]
    }

    #[test]
    fn an_array_read_in_a_loop_nest_gets_the_outermost_region() {
        let code = nested(ins(Op::SetIndex, 0, 1, 3));
        let h = Hoisted::analyze(&code, &shapes(5));
        assert_eq!(h.regions, vec![(0, 1, 6)]);
        assert!(h.holds(0, 3) && !h.holds(0, 0) && !h.holds(0, 7) && !h.holds(1, 3));
        // Entries: the fallthrough into the outer header, a start at it; not the inner jumps.
        assert_eq!(h.entering(Some(0), 1), vec![0]);
        assert_eq!(h.entering(None, 3), vec![0]);
        assert!(h.entering(Some(2), 4).is_empty());
        assert!(h.entering(Some(6), 7).is_empty());
    }

    #[test]
    fn a_loop_that_may_allocate_or_call_or_writes_the_register_keeps_nothing() {
        for body in [ins(Op::ArrayPush, 0, 3, 0), ins(Op::Call, 3, 0, 3), ins(Op::GetIndex, 0, 0, 1)] {
            let mut code = nested(body);
            code[5] = ins(Op::ArrayLen, 4, 0, 0);
            let h = Hoisted::analyze(&code, &shapes(5));
            assert!(h.is_empty(), "{body:?}: {:?}", h.regions);
        }
    }

    #[test]
    fn a_loop_the_register_is_written_in_leaves_its_inner_loop_a_region() {
        let mut code = nested(ins(Op::GetIndex, 3, 0, 1));
        code[5] = ins(Op::Move, 0, 3, 0);
        let mut sh = shapes(5);
        sh[3] = Shape::Array { kind: ArrayKind::Words };
        let h = Hoisted::analyze(&code, &sh);
        assert_eq!(h.regions, vec![(0, 3, 4)]);
        assert_eq!(h.entering(Some(2), 4), vec![0]);
        assert!(h.entering(Some(4), 3).is_empty());
    }

    #[test]
    fn loops_nested_too_deep_for_the_work_bound_keep_nothing() {
        // `n` loops, each inside the one before: their lengths add up to about n²/2.
        let n = 64;
        let mut code = vec![ins(Op::LoadInt, 1, 0, 0)];
        code.extend((0..n).map(|_| ins(Op::SetIndex, 0, 1, 3)));
        for k in 0..n {
            let header = n - k; // the k-th loop jump goes back to the (n-k)-th SetIndex
            let at = code.len();
            code.push(jump(Op::LoopIfLeI, 1, 2, header as i64 - at as i64 - 1));
        }
        code.push(ins(Op::RetVoid, 0, 0, 0));
        let work: usize = (code.iter().enumerate())
            .filter(|(_, i)| i.op.is_loop())
            .map(|(end, i)| end + 1 - i.jump_target(end))
            .sum();
        assert!(work > MAX_LOOP_WORK * (code.len() + 1), "the test must exceed the bound: {work}");
        assert!(Hoisted::analyze(&code, &shapes(5)).is_empty());
        // Shallow nesting over the same code is analysed.
        let shallow = nested(ins(Op::SetIndex, 0, 1, 3));
        assert!(!Hoisted::analyze(&shallow, &shapes(5)).is_empty());
    }

    #[test]
    fn registers_that_are_not_arrays_are_left_alone() {
        let code = nested(ins(Op::SetIndex, 0, 1, 3));
        let h = Hoisted::analyze(&code, &[Shape::Prim; 5]);
        assert!(h.is_empty());
    }
}
