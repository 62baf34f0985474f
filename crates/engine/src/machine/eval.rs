//! Evaluating expressions: the resolved shapes of compiled.rs directly, the rest on a
//! postfix stack machine. Inside, an error is `Wrong`, a few bytes that a result carries
//! in registers; `RunError`, with its names and text, is made only when one leaves
//! through `eval` (an evaluation runs several times a step, an error about once a run).

use super::compiled::{Grid, Leaf, MOp, Shape};
use super::*;
use crate::lang::program::{BinOp, ExprRef, Func, UnOp};

/// What went wrong in an evaluation, before the machine names it (`Machine::explain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wrong {
    /// A broken invariant of the compiler or the machine, by `INTERNAL` index.
    Internal(u8),
    IndexOutOfBounds {
        var: u16,
        index: i32,
        size: u32,
    },
    ShiftOutOfRange {
        by: i32,
    },
    DivisionByZero,
    DivisionOverflow {
        x: i32,
        rem: bool,
    },
    BitOutsideMask {
        bit: i32,
    },
}

const LOCAL: u8 = 0;
const OPTION: u8 = 1;
const CONSTANT: u8 = 2;
const MEMORY: u8 = 3;
const INTERNAL: [&str; 4] = [
    "local out of range",
    "option out of range",
    "constant used before it is defined",
    "shared memory is not available here",
];

type E<T> = Result<T, Wrong>;

impl Machine {
    /// The value of `e` for CPU c in state `s`; a load is recorded in `read`.
    #[inline(always)]
    pub(super) fn eval(&self, s: &State, c: usize, e: ExprRef, read: &mut Option<(u32, i32)>) -> Result<i32, RunError> {
        let cpu = &s.cpus[c];
        let base = cpu.stack.last().map_or(0, |a| a.base as usize);
        self.eval_with(e, c, &cpu.locals[base..], (&s.mem, &cpu.sb), read).map_err(|w| self.explain(w))
    }

    /// The value of `e` where only constants, options and `self` (= `cpu`) mean something.
    pub(super) fn const_eval(&self, e: ExprRef, cpu: u32) -> Result<i32, RunError> {
        self.eval_with(e, cpu as usize, &[], (&[], &[]), &mut None).map_err(|w| self.explain(w))
    }

    /// The word of `var` at indices `idx`, the CPU's own first when the variable is
    /// per-CPU and one index is left out.
    pub(super) fn index(&self, c: usize, var: u16, idx: &[i32]) -> Result<u32, RunError> {
        self.word(c, var, idx).map_err(|w| self.explain(w))
    }

    /// `w` as a run error, with the names the machine knows.
    #[cold]
    pub(super) fn explain(&self, w: Wrong) -> RunError {
        match w {
            Wrong::Internal(k) => RunError::Internal(INTERNAL[k as usize]),
            Wrong::IndexOutOfBounds { var, index, size } => {
                let var = self.prog.vars.get(var as usize).map_or_else(|| "?".to_string(), |v| v.name.clone());
                RunError::IndexOutOfBounds { var, index, size }
            }
            Wrong::ShiftOutOfRange { by } => RunError::ShiftOutOfRange { by },
            Wrong::DivisionByZero => RunError::DivisionByZero,
            Wrong::DivisionOverflow { x, rem } => RunError::DivisionOverflow { x, op: if rem { '%' } else { '/' } },
            Wrong::BitOutsideMask { bit } => RunError::BitOutsideMask { bit },
        }
    }

    fn word(&self, c: usize, var: u16, idx: &[i32]) -> E<u32> {
        let l = &self.vars[var as usize];
        let implied = l.dims.len() - idx.len();
        let mut off = 0u32;
        for (k, &d) in l.dims.iter().enumerate() {
            let i = if k < implied { c as i32 } else { idx[k - implied] };
            if i < 0 || i as u32 >= d {
                return Err(Wrong::IndexOutOfBounds { var, index: i, size: d });
            }
            off = off * d + i as u32;
        }
        Ok(l.base + off)
    }

    pub(super) fn all_cpus(&self) -> u32 {
        if self.cfg.ncpu >= 32 {
            u32::MAX
        } else {
            (1u32 << self.cfg.ncpu) - 1
        }
    }

    /// `mem` is shared memory as this CPU sees it: memory and its store buffer.
    fn eval_with(
        &self,
        e: ExprRef,
        c: usize,
        locals: &[i32],
        mem: (&[i32], &[Store]),
        read: &mut Option<(u32, i32)>,
    ) -> E<i32> {
        let ops = &self.code.ops[e.start as usize..e.start as usize + e.len as usize];
        if ops.len() > 1 {
            if let Some(sh) = self.code.shape(e) {
                return self.eval_shape(sh, c, locals, mem, read);
            }
        }
        self.eval_ops(ops, c, locals, mem, read)
    }

    /// A function of the expression language on its arguments.
    fn func(&self, f: Func, a: &[i32]) -> E<i32> {
        Ok(match f {
            Func::Bit => {
                if !(0..32).contains(&a[0]) {
                    return Err(Wrong::BitOutsideMask { bit: a[0] });
                }
                (1u32 << a[0]) as i32
            }
            Func::AllCpus => self.all_cpus() as i32,
            Func::Has => (a[1] >= 0 && a[1] < 32 && (a[0] as u32) & (1 << a[1]) != 0) as i32,
            Func::Lowest => {
                if a[0] == 0 {
                    -1
                } else {
                    a[0].trailing_zeros() as i32
                }
            }
            Func::Popcount => a[0].count_ones() as i32,
            Func::Min => a[0].min(a[1]),
            Func::Max => a[0].max(a[1]),
        })
    }

    /// An operand of a shape.
    #[inline(always)]
    fn leaf(
        &self,
        l: Leaf,
        c: usize,
        locals: &[i32],
        (mem, sb): (&[i32], &[Store]),
        read: &mut Option<(u32, i32)>,
    ) -> E<i32> {
        match l {
            Leaf::Int(v) => Ok(v),
            Leaf::Local(l) => locals.get(l as usize).copied().ok_or(Wrong::Internal(LOCAL)),
            Leaf::SelfCpu => Ok(c as i32),
            Leaf::At(addr) => load(mem, sb, addr, read),
            Leaf::Mine { base, n, var } => {
                let addr = if c < n as usize { base + c as u32 } else { self.word_cold(c, var)? };
                load(mem, sb, addr, read)
            }
        }
    }

    /// The word of a per-CPU scalar for a CPU past its first dimension (an error).
    #[cold]
    #[inline(never)]
    fn word_cold(&self, c: usize, var: u16) -> E<u32> {
        self.word(c, var, &[])
    }

    /// The word `g[i][j]` (or `g[i]`) as this CPU reads it.
    #[inline]
    fn grid(
        &self,
        g: Grid,
        (i, j): (i32, i32),
        c: usize,
        (mem, sb): (&[i32], &[Store]),
        read: &mut Option<(u32, i32)>,
    ) -> E<i32> {
        let addr = if (i as u32) < g.rows && (j as u32) < g.cols {
            g.base + i as u32 * g.cols + j as u32
        } else {
            self.word(c, g.var, &[i, j][..g.rank as usize])?
        };
        load(mem, sb, addr, read)
    }

    /// What the ops of `sh` evaluate to, as `eval_ops` would evaluate them (operands in
    /// their order, so that the same error comes first).
    #[inline]
    fn eval_shape(
        &self,
        sh: &Shape,
        c: usize,
        locals: &[i32],
        mem: (&[i32], &[Store]),
        read: &mut Option<(u32, i32)>,
    ) -> E<i32> {
        match *sh {
            Shape::Bin(b, x, y) => {
                let x = self.leaf(x, c, locals, mem, read)?;
                binary(b, x, self.leaf(y, c, locals, mem, read)?)
            }
            Shape::Func(f, x) => self.func(f, &[self.leaf(x, c, locals, mem, read)?]),
            Shape::Load(g, i, j) => {
                let i = self.leaf(i, c, locals, mem, read)?;
                let j = self.leaf(j, c, locals, mem, read)?;
                self.grid(g, (i, j), c, mem, read)
            }
            Shape::LoadBin(g, i, j, b, y) => {
                let i = self.leaf(i, c, locals, mem, read)?;
                let j = self.leaf(j, c, locals, mem, read)?;
                let x = self.grid(g, (i, j), c, mem, read)?;
                binary(b, x, self.leaf(y, c, locals, mem, read)?)
            }
        }
    }

    pub(super) fn eval_ops(
        &self,
        ops: &[MOp],
        c: usize,
        locals: &[i32],
        (mem, sb): (&[i32], &[Store]),
        read: &mut Option<(u32, i32)>,
    ) -> E<i32> {
        // Most expressions are a single constant, local, `self` or load: skip the stack machine.
        if let [op] = ops {
            match *op {
                MOp::Int(v) => return Ok(v),
                MOp::Local(l) => return locals.get(l as usize).copied().ok_or(Wrong::Internal(LOCAL)),
                MOp::SelfCpu => return Ok(c as i32),
                MOp::LoadAt(addr) => return load(mem, sb, addr, read),
                MOp::LoadMine { base, n, .. } if c < n as usize => return load(mem, sb, base + c as u32, read),
                _ => {}
            }
        }
        let mut st = [0i32; 32];
        let mut sp = 0usize;
        for op in ops {
            let v = match *op {
                MOp::Int(v) => v,
                MOp::Local(l) => *locals.get(l as usize).ok_or(Wrong::Internal(LOCAL))?,
                MOp::Opt(o) => *self.cfg.options.get(o as usize).ok_or(Wrong::Internal(OPTION))?,
                MOp::Konst(k) => *self.consts.get(k as usize).ok_or(Wrong::Internal(CONSTANT))?,
                MOp::Ncpu => self.cfg.ncpu as i32,
                MOp::SelfCpu => c as i32,
                MOp::Load { var, nidx } => {
                    let n = nidx as usize;
                    sp -= n;
                    let addr = self.word(c, var, &st[sp..sp + n])?;
                    load(mem, sb, addr, read)?
                }
                MOp::LoadAt(addr) => load(mem, sb, addr, read)?,
                MOp::LoadMine { base, n, var } => {
                    let addr = if c < n as usize { base + c as u32 } else { self.word(c, var, &[])? };
                    load(mem, sb, addr, read)?
                }
                MOp::Un(u) => {
                    sp -= 1;
                    let a = st[sp];
                    match u {
                        UnOp::Not => (a == 0) as i32,
                        UnOp::BitNot => !a,
                        UnOp::Neg => a.wrapping_neg(),
                    }
                }
                MOp::Bin(b) => {
                    sp -= 2;
                    binary(b, st[sp], st[sp + 1])?
                }
                MOp::Func(f, n) => {
                    let n = n as usize;
                    sp -= n;
                    self.func(f, &st[sp..sp + n])?
                }
            };
            st[sp] = v;
            sp += 1;
        }
        Ok(if sp > 0 { st[sp - 1] } else { 0 })
    }
}

/// A shared word as a CPU with store buffer `sb` reads it, recorded in `read`.
#[inline]
fn load(mem: &[i32], sb: &[Store], addr: u32, read: &mut Option<(u32, i32)>) -> E<i32> {
    let v = tso::forward(mem, sb, addr).ok_or(Wrong::Internal(MEMORY))?;
    *read = Some((addr, v));
    Ok(v)
}

/// A binary operator of the expression language.
#[inline]
fn binary(b: BinOp, x: i32, y: i32) -> E<i32> {
    Ok(match b {
        BinOp::Or => (x != 0 || y != 0) as i32,
        BinOp::And => (x != 0 && y != 0) as i32,
        BinOp::BitOr => x | y,
        BinOp::BitXor => x ^ y,
        BinOp::BitAnd => x & y,
        BinOp::Eq => (x == y) as i32,
        BinOp::Ne => (x != y) as i32,
        BinOp::Lt => (x < y) as i32,
        BinOp::Le => (x <= y) as i32,
        BinOp::Gt => (x > y) as i32,
        BinOp::Ge => (x >= y) as i32,
        // C leaves a shift by the word's width or more undefined and x86 masks the count;
        // either way `1 << 40` is a model error, as `bit(40)` is.
        BinOp::Shl | BinOp::Shr if !(0..32).contains(&y) => return Err(Wrong::ShiftOutOfRange { by: y }),
        BinOp::Shl => x << y,
        BinOp::Shr => ((x as u32) >> y) as i32,
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        BinOp::Div | BinOp::Rem if y == 0 => return Err(Wrong::DivisionByZero),
        // The one quotient that does not fit a word (x86's IDIV faults on it).
        BinOp::Div | BinOp::Rem if x == i32::MIN && y == -1 => {
            return Err(Wrong::DivisionOverflow { x, rem: b == BinOp::Rem });
        }
        BinOp::Div => x / y,
        BinOp::Rem => x % y,
    })
}
