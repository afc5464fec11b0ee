//! The one opcode table. Every instruction is listed once in `for_each_op!`, with its
//! operand format and its meaning; the `Op` enum, the decoder's opcode check, the
//! disassembler and the verifier's operand checks are generated from it.
//!
//! Notation: `R[X]` is register X of the current frame, `K[X]` constant X of the module,
//! `G[X]` global X, `F[X]` function X, `S[X]` struct type X, `H[X]` host import X,
//! `B[X]` runtime built-in X. `sA`, `sC` are the operands read as signed. `BC` is the
//! 32-bit value `B | C << 16`; `sBC` the same read as signed. A jump offset is relative
//! to the instruction after the jump.
//!
//! Notes:
//! - Integer `+ - *` wrap; `DivI`/`RemI` trap on a zero divisor; `MIN / -1 = MIN`, `MIN % -1 = 0`.
//! - Shift counts use their low 6 bits; `ShrI` is arithmetic.
//! - `Call*` place the arguments `R[C..C+n]` (n from the callee's signature) in the callee's
//!   first registers; the result (if the callee returns one) goes to `R[A]`.
//! - Optionals of `int`, `float` and `bool` are boxed: `WrapOpt` boxes, `UnwrapBox` unboxes;
//!   optionals of reference types are the reference or nil, so `Move` wraps them.
//! - Jumps come in twins: each `Jmp…` jumps forward (offset ≥ 0) and its `Loop…` twin,
//!   with the same test, jumps backward (offset < 0). Every cycle in a function's code
//!   therefore passes a `Loop…` instruction, and a taken one uses one unit of fuel (as does
//!   every call): that is what makes fuel bound every run. The target of every jump is an
//!   instruction of the function.

/// Operand formats. Each names how `a`, `b` and `c` are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// No operands.
    N,
    /// `a`: register.
    A,
    /// `a`, `b`: registers.
    AB,
    /// `a`, `b`, `c`: registers.
    ABC,
    /// `a`, `b`: registers; `c`: signed 16-bit immediate.
    ABsC,
    /// `a`: register; `BC`: signed 32-bit immediate.
    AsBC,
    /// `a`: register; `BC`: constant index.
    AK,
    /// `a`: register; `BC`: global index.
    AG,
    /// `sBC`: jump offset.
    J,
    /// `a`: register; `sBC`: jump offset.
    AJ,
    /// `a`, `b`: registers; `sC`: jump offset.
    ABJ,
    /// `a`: register; `sB`: signed 16-bit immediate; `sC`: jump offset.
    AsBJ,
    /// `a`: register; `b`: function index; `c`: first argument register.
    AFC,
    /// `a`: register; `b`: struct index; `c`: first field register.
    ASC,
    /// `a`: register; `b`: import index; `c`: first argument register.
    AHC,
    /// `a`: register; `b`: built-in index; `c`: first argument register.
    ABuC,
    /// `a`: destination; `b`: object register; `c`: field index.
    ABF,
    /// `a`: object register; `b`: field index; `c`: value register.
    AFB,
    /// `a`: register; `b`: first register; `c`: count.
    ABN,
    /// `b`: first register; `c`: count.
    BN,
    /// `a`, `b`: registers; `c`: math function index.
    ABM,
}

impl Format {
    /// Which of the operands `a`, `b`, `c` name a single register. (Windows of registers,
    /// such as call arguments, start at a register operand and are counted elsewhere.)
    pub const fn register_operands(self) -> (bool, bool, bool) {
        match self {
            Format::N | Format::J => (false, false, false),
            Format::A | Format::AsBC | Format::AK | Format::AG | Format::AJ | Format::AsBJ => (true, false, false),
            Format::AB | Format::ABsC | Format::ABJ | Format::ABF | Format::ABM => (true, true, false),
            Format::ABC => (true, true, true),
            Format::AFB => (true, false, true),
            Format::AFC | Format::ASC | Format::AHC | Format::ABuC => (true, false, true),
            Format::ABN => (true, true, false),
            Format::BN => (false, true, false),
        }
    }
}

/// Calls `$m!` with the whole table: `Name(Format) [PROPERTIES] => TWIN "meaning", "typing
/// rule";` per instruction. The typing rule is what the verifier checks (see `verify.rs` and
/// `docs/bytecode.md`, whose opcode table is generated from this one). The properties say
/// what an instruction may do, for every tier and for the compiler (see [`props`]):
/// `W` writes `R[A]`, `T` may trap, `A` may allocate or collect (a safepoint), `C` leaves the
/// function (runs other guest or host code), `B` jumps backward, `F` uses fuel, `R` returns,
/// `I` is internal (never in a module). `=> TWIN` names the instruction's fuel-free twin: the
/// same operation without the fuel (a loop jump's forward jump, a call's `…NoFuel` copy).
macro_rules! for_each_op {
    ($m:ident) => {
        $m! {
            Nop(N) [] "no operation", "—";
            Move(AB) [W] "R[A] := R[B]", "A, B: T; or A: T? and B: T, T a reference type";
            LoadInt(AsBC) [W] "R[A] := sBC", "A: int";
            LoadConst(AK) [W] "R[A] := K[BC]", "A: int, float or str, as K[BC] is";
            LoadBool(AsBC) [W] "R[A] := BC != 0", "A: bool; BC is 0 or 1";
            LoadNil(A) [W] "R[A] := nil", "A: T?";
            GetGlobal(AG) [W T] "R[A] := G[BC] (traps if a reference global is read before its initializer ran)", "A: the type of G[BC]";
            SetGlobal(AG) [] "G[BC] := R[A]", "A: the type of G[BC]";

            AddI(ABC) [W] "R[A] := R[B] + R[C] (int, wrapping)", "A, B, C: int";
            SubI(ABC) [W] "R[A] := R[B] - R[C] (int, wrapping)", "A, B, C: int";
            MulI(ABC) [W] "R[A] := R[B] * R[C] (int, wrapping)", "A, B, C: int";
            DivI(ABC) [W T] "R[A] := R[B] / R[C] (int, truncating; traps on zero)", "A, B, C: int";
            RemI(ABC) [W T] "R[A] := R[B] % R[C] (int, sign of dividend; traps on zero)", "A, B, C: int";
            AndI(ABC) [W] "R[A] := R[B] & R[C]", "A, B, C: int";
            OrI(ABC) [W] "R[A] := R[B] | R[C]", "A, B, C: int";
            XorI(ABC) [W] "R[A] := R[B] ^ R[C]", "A, B, C: int";
            ShlI(ABC) [W] "R[A] := R[B] << (R[C] & 63)", "A, B, C: int";
            ShrI(ABC) [W] "R[A] := R[B] >> (R[C] & 63) (arithmetic)", "A, B, C: int";
            AddIImm(ABsC) [W] "R[A] := R[B] + sC (int, wrapping)", "A, B: int";
            NegI(AB) [W] "R[A] := -R[B] (int, wrapping)", "A, B: int";
            BitNotI(AB) [W] "R[A] := ~R[B]", "A, B: int";

            AddF(ABC) [W] "R[A] := R[B] + R[C] (float)", "A, B, C: float";
            SubF(ABC) [W] "R[A] := R[B] - R[C] (float)", "A, B, C: float";
            MulF(ABC) [W] "R[A] := R[B] * R[C] (float)", "A, B, C: float";
            DivF(ABC) [W] "R[A] := R[B] / R[C] (float)", "A, B, C: float";
            RemF(ABC) [W] "R[A] := fmod(R[B], R[C]) (float)", "A, B, C: float";
            NegF(AB) [W] "R[A] := -R[B] (float)", "A, B: float";
            IntToFloat(AB) [W] "R[A] := float(R[B])", "A: float; B: int";
            FloatToInt(AB) [W] "R[A] := int(R[B]) (truncating, saturating, NaN gives 0)", "A: int; B: float";
            Math(ABM) [W] "R[A] := math function C of R[B] (float -> float)", "A, B: float; C < 11 (sqrt sin cos tan atan exp log floor ceil round abs)";
            Pow(ABC) [W] "R[A] := pow(R[B], R[C]) (float)", "A, B, C: float";
            Atan2(ABC) [W] "R[A] := atan2(R[B], R[C]) (float)", "A, B, C: float";
            MinI(ABC) [W] "R[A] := min(R[B], R[C]) (int)", "A, B, C: int";
            MaxI(ABC) [W] "R[A] := max(R[B], R[C]) (int)", "A, B, C: int";
            MinF(ABC) [W] "R[A] := min(R[B], R[C]) (float; NaN if either is NaN)", "A, B, C: float";
            MaxF(ABC) [W] "R[A] := max(R[B], R[C]) (float; NaN if either is NaN)", "A, B, C: float";
            AbsI(AB) [W] "R[A] := |R[B]| (int, wrapping)", "A, B: int";

            EqI(ABC) [W] "R[A] := R[B] == R[C] (int)", "A: bool; B, C: int";
            NeI(ABC) [W] "R[A] := R[B] != R[C] (int)", "A: bool; B, C: int";
            LtI(ABC) [W] "R[A] := R[B] < R[C] (int)", "A: bool; B, C: int";
            LeI(ABC) [W] "R[A] := R[B] <= R[C] (int)", "A: bool; B, C: int";
            EqF(ABC) [W] "R[A] := R[B] == R[C] (float, IEEE)", "A: bool; B, C: float";
            NeF(ABC) [W] "R[A] := R[B] != R[C] (float, IEEE)", "A: bool; B, C: float";
            LtF(ABC) [W] "R[A] := R[B] < R[C] (float)", "A: bool; B, C: float";
            LeF(ABC) [W] "R[A] := R[B] <= R[C] (float)", "A: bool; B, C: float";
            EqB(ABC) [W] "R[A] := R[B] == R[C] (bool)", "A, B, C: bool";
            NeB(ABC) [W] "R[A] := R[B] != R[C] (bool)", "A, B, C: bool";
            EqS(ABC) [W] "R[A] := R[B] == R[C] (str, by content)", "A: bool; B, C: str";
            NeS(ABC) [W] "R[A] := R[B] != R[C] (str, by content)", "A: bool; B, C: str";
            LtS(ABC) [W] "R[A] := R[B] < R[C] (str, byte-wise)", "A: bool; B, C: str";
            LeS(ABC) [W] "R[A] := R[B] <= R[C] (str, byte-wise)", "A: bool; B, C: str";
            EqRef(ABC) [W] "R[A] := R[B] is R[C] (identity of arrays, maps, structs, functions)", "A: bool; B, C: T, T an array, map, struct or function type";
            EqOpt(ABC) [W] "R[A] := R[B] == R[C] (optionals: both nil, or both hold equal values)", "A: bool; B, C: T?";
            IsNil(AB) [W] "R[A] := R[B] == nil", "A: bool; B: T?";
            Not(AB) [W] "R[A] := !R[B] (bool)", "A, B: bool";

            Jmp(J) [] "pc += sBC", "the offset is not negative";
            JmpIf(AJ) [] "if R[A] { pc += sBC }", "A: bool; the offset is not negative";
            JmpIfNot(AJ) [] "if !R[A] { pc += sBC }", "A: bool; the offset is not negative";
            JmpIfNil(AJ) [] "if R[A] == nil { pc += sBC }", "A: T?; the offset is not negative";
            JmpIfNotNil(AJ) [] "if R[A] != nil { pc += sBC }", "A: T?; the offset is not negative";
            JmpIfLtI(ABJ) [] "if R[A] < R[B] { pc += sC } (int)", "A, B: int; the offset is not negative";
            JmpIfNotLtI(ABJ) [] "if !(R[A] < R[B]) { pc += sC } (int)", "A, B: int; the offset is not negative";
            JmpIfLeI(ABJ) [] "if R[A] <= R[B] { pc += sC } (int)", "A, B: int; the offset is not negative";
            JmpIfNotLeI(ABJ) [] "if !(R[A] <= R[B]) { pc += sC } (int)", "A, B: int; the offset is not negative";
            JmpIfEqI(ABJ) [] "if R[A] == R[B] { pc += sC } (int)", "A, B: int; the offset is not negative";
            JmpIfNeI(ABJ) [] "if R[A] != R[B] { pc += sC } (int)", "A, B: int; the offset is not negative";
            JmpIfLtF(ABJ) [] "if R[A] < R[B] { pc += sC } (float)", "A, B: float; the offset is not negative";
            JmpIfLeF(ABJ) [] "if R[A] <= R[B] { pc += sC } (float)", "A, B: float; the offset is not negative";
            JmpIfNotLtF(ABJ) [] "if !(R[A] < R[B]) { pc += sC } (float)", "A, B: float; the offset is not negative";
            JmpIfNotLeF(ABJ) [] "if !(R[A] <= R[B]) { pc += sC } (float)", "A, B: float; the offset is not negative";

            Call(AFC) [W T A C F] => CallNoFuel "R[A] := F[B](R[C], ...)", "F[B] has no captures; R[C..C+n]: its n parameter types; A: its result type (A = 0 if it has none)";
            CallClosure(ABC) [W T A C F] => CallClosureNoFuel "R[A] := R[B](R[C], ...) (closure or function value)", "B: fn(P1, ..., Pn) -> T; R[C..C+n]: P1, ..., Pn; A: T (A = 0 if there is no T)";
            CallHost(AHC) [W T A C] "R[A] := H[B](R[C], ...) (host import)", "R[C..C+n]: the n parameter types of H[B]; A: its result type (A = 0 if it has none)";
            CallBuiltin(ABuC) [W T A C] "R[A] := B[B](R[C], ...) (runtime built-in)", "R[C..C+n]: the parameter types of B[B] (see Built-ins); A: its result type (A = 0 if it has none; the argument count for eprint)";
            Ret(A) [R] "return R[A]", "A: the function's result type";
            RetVoid(N) [R] "return", "the function has no result type";
            MakeClosure(AFC) [W A] "R[A] := closure of F[B] capturing R[C], ... (count from F[B])", "A: fn(params of F[B]) -> result of F[B]; R[C..C+n]: the n capture types of F[B]";

            NewArray(ABN) [W A] "R[A] := [R[B], ..., R[B+C-1]]", "A: [T]; R[B..B+C]: T";
            ArrayRepeat(ABC) [W T A] "R[A] := [R[B]; R[C]] (traps if R[C] < 0)", "A: [T]; B: T; C: int";
            GetIndex(ABC) [W T] "R[A] := R[B][R[C]] (array; traps out of bounds)", "A: T; B: [T]; C: int";
            SetIndex(ABC) [T] "R[A][R[B]] := R[C] (array; traps out of bounds)", "A: [T]; B: int; C: T";
            ArrayLen(AB) [W] "R[A] := R[B].len() (array)", "A: int; B: [T]";
            ArrayPush(AB) [T A] "R[A].push(R[B])", "A: [T]; B: T";
            NewMap(A) [W A] "R[A] := {}", "A: {K: V}";
            MapGet(ABC) [W T] "R[A] := R[B][R[C]] (map; traps if missing)", "A: V; B: {K: V}; C: K";
            MapSet(ABC) [T A] "R[A][R[B]] := R[C] (map)", "A: {K: V}; B: K; C: V";
            MapGetOpt(ABC) [W A] "R[A] := R[B].get(R[C]) (map; nil if missing)", "A: V? (V itself when V is optional); B: {K: V}; C: K";
            NewStruct(ASC) [W A] "R[A] := S[B] { R[C], ... } (fields in declaration order)", "A: struct B; R[C..C+n]: the n field types of struct B";
            GetField(ABF) [W] "R[A] := R[B].field[C]", "B: a struct with field C; A: that field's type";
            SetField(AFB) [] "R[A].field[B] := R[C]", "A: a struct with field B; C: that field's type";

            WrapOpt(AB) [W A] "R[A] := box(R[B]) (int/float/bool into an optional)", "A: T?; B: T, T one of int, float, bool";
            UnwrapBox(AB) [W T] "R[A] := unbox(R[B]) (traps on nil)", "A: T; B: T?, T one of int, float, bool";
            UnwrapRef(AB) [W T] "R[A] := R[B] (traps on nil)", "A: T; B: T?, T a reference type";

            StrLen(AB) [W] "R[A] := R[B].len() (str, bytes)", "A: int; B: str";
            Concat(ABC) [W T A] "R[A] := R[B] + R[C] (str)", "A, B, C: str";
            ToStr(AB) [W T A] "R[A] := str(R[B]) (text of any value)", "A: str; B: any type";
            Print(BN) [T] "print R[B], ..., R[B+C-1] separated by spaces, then a newline", "R[B..B+C]: any types";
            JmpIfLtIK(AsBJ) [] "if R[A] < sB { pc += sC } (int)", "A: int; the offset is not negative";
            JmpIfNotLtIK(AsBJ) [] "if !(R[A] < sB) { pc += sC } (int)", "A: int; the offset is not negative";
            JmpIfLeIK(AsBJ) [] "if R[A] <= sB { pc += sC } (int)", "A: int; the offset is not negative";
            JmpIfNotLeIK(AsBJ) [] "if !(R[A] <= sB) { pc += sC } (int)", "A: int; the offset is not negative";
            JmpIfEqIK(AsBJ) [] "if R[A] == sB { pc += sC } (int)", "A: int; the offset is not negative";
            JmpIfNeIK(AsBJ) [] "if R[A] != sB { pc += sC } (int)", "A: int; the offset is not negative";
            Loop(J) [B F] => Jmp "pc += sBC, a backward jump: one unit of fuel when taken", "the offset is negative";
            LoopIf(AJ) [B F] => JmpIf "if R[A] { pc += sBC }, a backward jump: one unit of fuel when taken", "A: bool; the offset is negative";
            LoopIfNot(AJ) [B F] => JmpIfNot "if !R[A] { pc += sBC }, a backward jump: one unit of fuel when taken", "A: bool; the offset is negative";
            LoopIfNil(AJ) [B F] => JmpIfNil "if R[A] == nil { pc += sBC }, a backward jump: one unit of fuel when taken", "A: T?; the offset is negative";
            LoopIfNotNil(AJ) [B F] => JmpIfNotNil "if R[A] != nil { pc += sBC }, a backward jump: one unit of fuel when taken", "A: T?; the offset is negative";
            LoopIfLtI(ABJ) [B F] => JmpIfLtI "if R[A] < R[B] { pc += sC } (int), a backward jump: one unit of fuel when taken", "A, B: int; the offset is negative";
            LoopIfNotLtI(ABJ) [B F] => JmpIfNotLtI "if !(R[A] < R[B]) { pc += sC } (int), a backward jump: one unit of fuel when taken", "A, B: int; the offset is negative";
            LoopIfLeI(ABJ) [B F] => JmpIfLeI "if R[A] <= R[B] { pc += sC } (int), a backward jump: one unit of fuel when taken", "A, B: int; the offset is negative";
            LoopIfNotLeI(ABJ) [B F] => JmpIfNotLeI "if !(R[A] <= R[B]) { pc += sC } (int), a backward jump: one unit of fuel when taken", "A, B: int; the offset is negative";
            LoopIfEqI(ABJ) [B F] => JmpIfEqI "if R[A] == R[B] { pc += sC } (int), a backward jump: one unit of fuel when taken", "A, B: int; the offset is negative";
            LoopIfNeI(ABJ) [B F] => JmpIfNeI "if R[A] != R[B] { pc += sC } (int), a backward jump: one unit of fuel when taken", "A, B: int; the offset is negative";
            LoopIfLtF(ABJ) [B F] => JmpIfLtF "if R[A] < R[B] { pc += sC } (float), a backward jump: one unit of fuel when taken", "A, B: float; the offset is negative";
            LoopIfLeF(ABJ) [B F] => JmpIfLeF "if R[A] <= R[B] { pc += sC } (float), a backward jump: one unit of fuel when taken", "A, B: float; the offset is negative";
            LoopIfNotLtF(ABJ) [B F] => JmpIfNotLtF "if !(R[A] < R[B]) { pc += sC } (float), a backward jump: one unit of fuel when taken", "A, B: float; the offset is negative";
            LoopIfNotLeF(ABJ) [B F] => JmpIfNotLeF "if !(R[A] <= R[B]) { pc += sC } (float), a backward jump: one unit of fuel when taken", "A, B: float; the offset is negative";
            LoopIfLtIK(AsBJ) [B F] => JmpIfLtIK "if R[A] < sB { pc += sC } (int), a backward jump: one unit of fuel when taken", "A: int; the offset is negative";
            LoopIfNotLtIK(AsBJ) [B F] => JmpIfNotLtIK "if !(R[A] < sB) { pc += sC } (int), a backward jump: one unit of fuel when taken", "A: int; the offset is negative";
            LoopIfLeIK(AsBJ) [B F] => JmpIfLeIK "if R[A] <= sB { pc += sC } (int), a backward jump: one unit of fuel when taken", "A: int; the offset is negative";
            LoopIfNotLeIK(AsBJ) [B F] => JmpIfNotLeIK "if !(R[A] <= sB) { pc += sC } (int), a backward jump: one unit of fuel when taken", "A: int; the offset is negative";
            LoopIfEqIK(AsBJ) [B F] => JmpIfEqIK "if R[A] == sB { pc += sC } (int), a backward jump: one unit of fuel when taken", "A: int; the offset is negative";
            LoopIfNeIK(AsBJ) [B F] => JmpIfNeIK "if R[A] != sB { pc += sC } (int), a backward jump: one unit of fuel when taken", "A: int; the offset is negative";

            CallNoFuel(AFC) [W T A C I] "Call without using fuel (internal)", "never in a module";
            CallClosureNoFuel(ABC) [W T A C I] "CallClosure without using fuel (internal)", "never in a module";
        }
    };
}

/// The properties of an instruction (the bracketed letters of the table).
pub mod props {
    /// Writes `R[A]` (calls: when the callee returns a value; built-ins: see
    /// `Builtin::ret`, a variadic built-in's `A` is its argument count).
    pub const W: u8 = 1;
    /// May trap (a runtime error or a resource limit).
    pub const T: u8 = 1 << 1;
    /// May allocate or collect: a safepoint, where every live reference must be in a root.
    pub const A: u8 = 1 << 2;
    /// Leaves the function: runs other guest code or host code.
    pub const C: u8 = 1 << 3;
    /// Jumps backward (a loop jump).
    pub const B: u8 = 1 << 4;
    /// Uses a unit of fuel (calls, and loop jumps when taken).
    pub const F: u8 = 1 << 5;
    /// Returns from the function.
    pub const R: u8 = 1 << 6;
    /// Internal: only the VM's own copies of the code use it; no module may.
    pub const I: u8 = 1 << 7;
}

macro_rules! define_ops {
    ($($name:ident($fmt:ident) [$($flag:ident)*] $(=> $twin:ident)? $doc:literal, $typing:literal;)*) => {
        /// An instruction's operation. See the module docs for the notation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Op {
            $(#[doc = concat!("`", $doc, "`")] $name,)*
        }

        impl Op {
            /// Every operation, in opcode order.
            pub const ALL: &'static [Op] = &[$(Op::$name,)*];

            /// The operation with this opcode, if any.
            pub fn from_u8(b: u8) -> Option<Op> {
                Op::ALL.get(b as usize).copied()
            }
            /// The operation's name as the disassembler prints it.
            pub fn name(self) -> &'static str {
                match self { $(Op::$name => stringify!($name),)* }
            }
            /// How the operands are read.
            pub fn format(self) -> Format {
                match self { $(Op::$name => Format::$fmt,)* }
            }
            /// The one-line meaning from the table.
            pub fn meaning(self) -> &'static str {
                match self { $(Op::$name => $doc,)* }
            }
            /// The typing rule from the table: what the verifier requires of the operands.
            pub fn typing(self) -> &'static str {
                match self { $(Op::$name => $typing,)* }
            }
            /// The properties from the table, a set of [`props`] bits.
            #[inline]
            pub const fn props(self) -> u8 {
                match self { $(Op::$name => 0 $(| props::$flag)*,)* }
            }
            /// The fuel-free twin from the table: the same operation without its fuel
            /// (itself for an operation that uses none).
            pub const fn fuel_free(self) -> Op {
                match self { $(Op::$name => define_ops!(@twin $name $($twin)?),)* }
            }
        }
    };
    (@twin $name:ident $twin:ident) => { Op::$twin };
    (@twin $name:ident) => { Op::$name };
}

for_each_op!(define_ops);

impl Op {
    /// Whether the operation has every property in `p` (a set of [`props`] bits).
    #[inline]
    pub const fn has(self, p: u8) -> bool {
        self.props() & p == p
    }
    /// Whether only the VM's own code may use this operation (property `I`).
    pub const fn is_internal(self) -> bool {
        self.has(props::I)
    }
    /// Whether this is a jump (forward or loop).
    pub fn is_jump(self) -> bool {
        matches!(self.format(), Format::J | Format::AJ | Format::ABJ | Format::AsBJ)
    }
    /// Whether this is a loop jump: a backward jump that uses fuel when taken (property `B`).
    pub const fn is_loop(self) -> bool {
        self.has(props::B)
    }
    /// The forward twin of a loop jump; any other operation itself.
    pub const fn forward(self) -> Op {
        if self.is_loop() {
            self.fuel_free()
        } else {
            self
        }
    }
    /// The loop twin of a forward jump; any other operation itself.
    pub fn backward(self) -> Op {
        Op::ALL.iter().copied().find(|l| l.is_loop() && l.fuel_free() == self).unwrap_or(self)
    }
    /// Whether the operation can neither trap, allocate, leave the function, jump nor
    /// return: a straight-line step whose only effect is on registers, fields or globals
    /// (what the compiler's inliner may copy into a caller).
    pub fn is_plain(self) -> bool {
        self.props() & (props::T | props::A | props::C | props::B | props::R | props::I) == 0 && !self.is_jump()
    }
}

/// One pre-decoded instruction: 8 bytes, fixed size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Instr {
    pub op: Op,
    pub a: u16,
    pub b: u16,
    pub c: u16,
}

impl Instr {
    pub fn new(op: Op, a: u16, b: u16, c: u16) -> Instr {
        Instr { op, a, b, c }
    }
    /// An instruction with a 32-bit `BC` operand.
    pub fn with_bc(op: Op, a: u16, bc: u32) -> Instr {
        Instr { op, a, b: bc as u16, c: (bc >> 16) as u16 }
    }
    /// `B | C << 16`.
    #[inline(always)]
    pub fn bc(self) -> u32 {
        self.b as u32 | (self.c as u32) << 16
    }
    /// `BC` read as signed.
    #[inline(always)]
    pub fn sbc(self) -> i32 {
        self.bc() as i32
    }
    /// `B` read as signed.
    #[inline(always)]
    pub fn sb(self) -> i16 {
        self.b as i16
    }
    /// `C` read as signed.
    #[inline(always)]
    pub fn sc(self) -> i16 {
        self.c as i16
    }
    /// A jump's offset (`sC` or `sBC`, by format), relative to the next instruction.
    pub fn jump_offset(self) -> i64 {
        match self.op.format() {
            Format::ABJ | Format::AsBJ => self.sc() as i64,
            _ => self.sbc() as i64,
        }
    }
    /// Where this jump, at `pc`, goes when taken (in verified code, an instruction of the
    /// same function).
    pub fn jump_target(self, pc: usize) -> usize {
        (pc as i64 + 1 + self.jump_offset()) as usize
    }
    /// This jump with offset `off`, as the forward jump or its loop twin as `off` says;
    /// `None` if `off` does not fit the operand.
    pub fn with_jump_offset(self, off: i64) -> Option<Instr> {
        let op = if off < 0 { self.op.forward().backward() } else { self.op.forward() };
        match self.op.format() {
            Format::ABJ | Format::AsBJ => Some(Instr { op, c: i16::try_from(off).ok()? as u16, ..self }),
            _ => Some(Instr::with_bc(op, self.a, i32::try_from(off).ok()? as u32)),
        }
    }
}

/// Float functions of one argument, the `c` operand of [`Op::Math`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum MathFn {
    Sqrt,
    Sin,
    Cos,
    Tan,
    Atan,
    Exp,
    Log,
    Floor,
    Ceil,
    Round,
    Abs,
}

impl MathFn {
    pub const ALL: &'static [MathFn] = &[
        MathFn::Sqrt,
        MathFn::Sin,
        MathFn::Cos,
        MathFn::Tan,
        MathFn::Atan,
        MathFn::Exp,
        MathFn::Log,
        MathFn::Floor,
        MathFn::Ceil,
        MathFn::Round,
        MathFn::Abs,
    ];
    pub fn from_u16(v: u16) -> Option<MathFn> {
        MathFn::ALL.get(v as usize).copied()
    }
    pub fn name(self) -> &'static str {
        match self {
            MathFn::Sqrt => "sqrt",
            MathFn::Sin => "sin",
            MathFn::Cos => "cos",
            MathFn::Tan => "tan",
            MathFn::Atan => "atan",
            MathFn::Exp => "exp",
            MathFn::Log => "log",
            MathFn::Floor => "floor",
            MathFn::Ceil => "ceil",
            MathFn::Round => "round",
            MathFn::Abs => "abs",
        }
    }
    /// Applies the function (the one definition both tiers use).
    pub fn apply(self, x: f64) -> f64 {
        match self {
            MathFn::Sqrt => x.sqrt(),
            MathFn::Sin => x.sin(),
            MathFn::Cos => x.cos(),
            MathFn::Tan => x.tan(),
            MathFn::Atan => x.atan(),
            MathFn::Exp => x.exp(),
            MathFn::Log => x.ln(),
            MathFn::Floor => x.floor(),
            MathFn::Ceil => x.ceil(),
            MathFn::Round => x.round(),
            MathFn::Abs => x.abs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_round_trip() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
            assert_eq!(Op::from_u8(i as u8), Some(*op));
        }
        assert_eq!(Op::from_u8(Op::ALL.len() as u8), None);
    }

    #[test]
    fn instr_is_eight_bytes() {
        assert_eq!(std::mem::size_of::<Instr>(), 8);
    }

    #[test]
    fn every_jump_has_a_loop_twin_of_its_format() {
        for op in Op::ALL.iter().copied().filter(|op| op.is_jump()) {
            let (f, l) = (op.forward(), op.backward());
            assert_eq!(op.is_loop(), op == l, "{op:?}");
            assert_ne!(f, l, "{op:?}");
            assert_eq!(f.format(), l.format());
            assert_eq!(f.backward(), l);
            assert_eq!(l.forward(), f);
        }
        assert_eq!(Op::AddI.forward(), Op::AddI);
        assert_eq!(Op::AddI.backward(), Op::AddI);
        assert!(!Op::AddI.is_loop());
    }

    #[test]
    fn the_offset_picks_the_direction() {
        let j = Instr::new(Op::JmpIfLtI, 1, 2, 0);
        let back = j.with_jump_offset(-3).unwrap();
        assert_eq!((back.op, back.jump_offset(), back.a, back.b), (Op::LoopIfLtI, -3, 1, 2));
        let fwd = back.with_jump_offset(0).unwrap();
        assert_eq!((fwd.op, fwd.jump_offset()), (Op::JmpIfLtI, 0));
        assert!(j.with_jump_offset(40_000).is_none());
        let far = Instr::with_bc(Op::JmpIf, 4, 0).with_jump_offset(-40_000).unwrap();
        assert_eq!((far.op, far.a, far.jump_offset()), (Op::LoopIf, 4, -40_000));
    }

    #[test]
    fn bc_splits_and_joins() {
        let i = Instr::with_bc(Op::Jmp, 0, (-5i32) as u32);
        assert_eq!(i.sbc(), -5);
    }
}
