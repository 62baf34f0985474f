//! The model's code as one machine runs it. A `Program` is compiled once for every CPU
//! count and option setting; a machine fixes both, so before it takes a step it resolves
//! what they decide: options, constants and the CPU count become numbers, a load of a
//! scalar or of this CPU's own per-CPU word gets its address, and a branch on options and
//! constants alone (`if (pcid && pm_gen_late)`) becomes the jump it always takes. The
//! interpreter then does per step only what the state decides (issue #18: an option test
//! cost a full evaluation and an instruction dispatch every time a CPU passed it).
//!
//! Nothing observable changes: the code keeps every pc, line and visibility (the cursor,
//! the checker's states and the runaway-loop fuel count the same instructions), a folded
//! branch is invisible as it was, and the symmetry analysis and the reduction keep
//! reading the program as written.

use super::{Machine, VarLayout};
use crate::lang::program::{BinOp, ExprRef, Func, Instr, Kind, Op, Program, UnOp};

/// One operation of a postfix expression, as this machine evaluates it: `Op` with what
/// the machine fixes resolved (`Opt`, `Konst` and `Ncpu` stay only until the constants
/// are known, for evaluating them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MOp {
    Int(i32),
    Local(u16),
    Opt(u16),
    Konst(u16),
    Ncpu,
    SelfCpu,
    /// A load whose address needs its indices (and the layout): see `Machine::index`.
    Load {
        var: u16,
        nidx: u8,
    },
    /// A load of a scalar shared word.
    LoadAt(u32),
    /// A load of the evaluating CPU's word of a per-CPU scalar: `base + cpu`, for CPUs
    /// below `n` (the variable's first dimension; another CPU takes the checked path).
    LoadMine {
        base: u32,
        n: u16,
        var: u16,
    },
    Un(UnOp),
    Bin(BinOp),
    Func(Func, u8),
}

impl From<Op> for MOp {
    fn from(op: Op) -> MOp {
        match op {
            Op::Int(v) => MOp::Int(v),
            Op::Local(l) => MOp::Local(l),
            Op::Opt(o) => MOp::Opt(o),
            Op::Konst(k) => MOp::Konst(k),
            Op::Ncpu => MOp::Ncpu,
            Op::SelfCpu => MOp::SelfCpu,
            Op::Load { var, nidx } => MOp::Load { var, nidx },
            Op::Un(u) => MOp::Un(u),
            Op::Bin(b) => MOp::Bin(b),
            Op::Func(f, n) => MOp::Func(f, n),
        }
    }
}

/// An operand an expression names directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Leaf {
    Int(i32),
    Local(u16),
    SelfCpu,
    /// `MOp::LoadAt`
    At(u32),
    /// `MOp::LoadMine`
    Mine {
        base: u32,
        n: u16,
        var: u16,
    },
}

impl Leaf {
    fn of(op: MOp) -> Option<Leaf> {
        Some(match op {
            MOp::Int(v) => Leaf::Int(v),
            MOp::Local(l) => Leaf::Local(l),
            MOp::SelfCpu => Leaf::SelfCpu,
            MOp::LoadAt(a) => Leaf::At(a),
            MOp::LoadMine { base, n, var } => Leaf::Mine { base, n, var },
            _ => return None,
        })
    }
}

/// A shared array indexed by every one of its dimensions (one or two): `var[i]` is word
/// `base + i`, `var[i][j]` word `base + i * cols + j`, within `rows` × `cols`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Grid {
    pub(super) var: u16,
    pub(super) rank: u8,
    pub(super) base: u32,
    pub(super) rows: u32,
    pub(super) cols: u32,
}

/// The shapes that most evaluations have (measured on the bundled models: a loop test
/// `i < NCPU`, a spin test `scoreboard[t][self] != gen`, a load `addr1[i]`), evaluated
/// without the stack machine. Each stands for exactly the postfix ops it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// `x op y`
    Bin(BinOp, Leaf, Leaf),
    /// `f(x)` of a one-argument function
    Func(Func, Leaf),
    /// `a[i]` or `a[i][j]`
    Load(Grid, Leaf, Leaf),
    /// `a[i][j] op y` (or `a[i] op y`)
    LoadBin(Grid, Leaf, Leaf, BinOp, Leaf),
}

/// Expressions and procedures, index for index and pc for pc those of the program.
#[derive(Clone, Debug)]
pub(super) struct Code {
    pub(super) ops: Vec<MOp>,
    pub(super) procs: Vec<Vec<Instr>>,
    /// By an expression's first op: the index in `shapes` of the shape that starts there
    /// (`NO_SHAPE`: none), with the length the shape covers.
    shape_at: Vec<u32>,
    shapes: Vec<(u16, Shape)>,
}

const NO_SHAPE: u32 = u32::MAX;

impl Code {
    /// The program's expressions as written, and no code: what evaluates the constants,
    /// sizes and initial values before the machine can resolve anything (the editor does
    /// that at every CPU count on each keystroke; no instruction runs before `resolve`).
    pub(super) fn as_written(prog: &Program) -> Code {
        Code {
            ops: prog.ops.iter().map(|&op| op.into()).collect(),
            procs: Vec::new(),
            shape_at: Vec::new(),
            shapes: Vec::new(),
        }
    }

    /// The program as machine `m` runs it (its constants, layout and options known).
    pub(super) fn resolve(m: &Machine) -> Code {
        let ops: Vec<MOp> = m.prog.ops.iter().map(|&op| resolve_op(m, op)).collect();
        let mut shape_at = vec![NO_SHAPE; ops.len()];
        let mut shapes = Vec::new();
        for (start, at) in shape_at.iter_mut().enumerate() {
            if let Some(found) = shape(m, &ops[start..]) {
                *at = shapes.len() as u32;
                shapes.push(found);
            }
        }
        let mut code = Code { ops, procs: Vec::new(), shape_at, shapes };
        code.procs = m
            .prog
            .procs
            .iter()
            .map(|p| {
                let mut out = p.code.clone();
                for (pc, ins) in out.iter_mut().enumerate() {
                    if let Kind::Branch { cond, else_to, spin: false } = ins.kind {
                        if let Some(v) = code.fixed_value(m, cond) {
                            ins.kind = Kind::Jump(if v != 0 { pc as u32 + 1 } else { else_to });
                        }
                    }
                }
                out
            })
            .collect();
        code
    }

    /// The shape of expression `e`, if it has one of those `Shape` lists.
    #[inline]
    pub(super) fn shape(&self, e: ExprRef) -> Option<&Shape> {
        let i = *self.shape_at.get(e.start as usize)?;
        match self.shapes.get(i as usize) {
            Some((len, sh)) if *len == e.len => Some(sh),
            _ => None,
        }
    }

    /// The value of `e` when nothing in it depends on the state or the CPU; `None` also
    /// when evaluating it fails, so that the error comes where it would have.
    fn fixed_value(&self, m: &Machine, e: ExprRef) -> Option<i32> {
        let ops = self.ops.get(e.start as usize..e.start as usize + e.len as usize)?;
        if !ops.iter().all(|op| matches!(op, MOp::Int(_) | MOp::Un(_) | MOp::Bin(_) | MOp::Func(..))) {
            return None;
        }
        m.eval_ops(ops, 0, &[], (&[], &[]), &mut None).ok()
    }
}

fn resolve_op(m: &Machine, op: Op) -> MOp {
    match op {
        Op::Opt(o) => m.cfg.options.get(o as usize).map_or(MOp::Opt(o), |&v| MOp::Int(v)),
        Op::Konst(k) => m.consts.get(k as usize).map_or(MOp::Konst(k), |&v| MOp::Int(v)),
        Op::Ncpu => MOp::Int(m.cfg.ncpu as i32),
        Op::Func(Func::AllCpus, 0) => MOp::Int(m.all_cpus() as i32),
        Op::Load { var, nidx: 0 } => match m.vars.get(var as usize) {
            Some(VarLayout { base, dims }) if dims.is_empty() => MOp::LoadAt(*base),
            Some(VarLayout { base, dims }) if dims.len() == 1 && m.prog.vars[var as usize].per_cpu => {
                MOp::LoadMine { base: *base, n: dims[0].min(u32::from(u16::MAX)) as u16, var }
            }
            _ => MOp::Load { var, nidx: 0 },
        },
        op => op.into(),
    }
}

/// The longest `Shape` that the ops from the start of `ops` make, with its length.
fn shape(m: &Machine, ops: &[MOp]) -> Option<(u16, Shape)> {
    let grid = |op: MOp, nidx: u8| -> Option<Grid> {
        let MOp::Load { var, nidx: k } = op else { return None };
        let l = m.vars.get(var as usize)?;
        // Every dimension indexed: a per-CPU variable's implied CPU takes the general path.
        if k != nidx || l.dims.len() != nidx as usize {
            return None;
        }
        Some(Grid { var, rank: nidx, base: l.base, rows: l.dims[0], cols: l.dims.get(1).copied().unwrap_or(1) })
    };
    let leaf = |i: usize| ops.get(i).copied().and_then(Leaf::of);
    let load = || -> Option<(usize, Grid, Leaf, Leaf)> {
        if let (Some(i), Some(j), Some(g)) = (leaf(0), leaf(1), ops.get(2).and_then(|&op| grid(op, 2))) {
            return Some((3, g, i, j));
        }
        let g = grid(*ops.get(1)?, 1)?;
        Some((2, g, leaf(0)?, Leaf::Int(0)))
    };
    if let Some((n, g, i, j)) = load() {
        if let (Some(y), Some(MOp::Bin(b))) = (leaf(n), ops.get(n + 1)) {
            return Some((n as u16 + 2, Shape::LoadBin(g, i, j, *b, y)));
        }
        return Some((n as u16, Shape::Load(g, i, j)));
    }
    match (leaf(0)?, ops.get(1)?, ops.get(2)) {
        (x, MOp::Func(f, 1), _) => Some((2, Shape::Func(*f, x))),
        (x, &op, Some(MOp::Bin(b))) => Some((3, Shape::Bin(*b, x, Leaf::of(op)?))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::program::Place;
    use crate::machine::Config;
    use std::sync::Arc;

    const SRC: &str = r#"
model "m";
cpus 2..4 default 2;
option fast = true;
const K = 3;
shared g = 7;
percpu mine = 0;
shared row[4] = 0;
shared grid[NCPU][4] = 0;
proc main(v) {
    if (fast && K > 2) { g = 1; } else { g = 2; }
    local a = v < K;
    local b = bit(v);
    local c = row[v];
    local d = grid[self][v];
    local e = grid[self][K] != v;
    local f = mine;
    local h = g;
    local i = NCPU + K + all_cpus();
    local j = v + v + v;
    local k = g != v;
    local n = mine + 1;
}
scenario s { cpu 0: main(1); }
"#;

    fn machine(fast: bool) -> Machine {
        let (p, d) = crate::compile(SRC);
        assert!(d.is_empty(), "{d:?}");
        let p = Arc::new(p.expect("compiled"));
        let mut cfg = Config::new(&p);
        cfg.ncpu = 3;
        cfg.set(&p, "fast", if fast { "true" } else { "false" }).expect("option");
        Machine::new(p, cfg).expect("machine")
    }

    /// The sources of main's `local x = …` lines, in order.
    fn locals(m: &Machine) -> Vec<ExprRef> {
        m.prog.procs[0]
            .code
            .iter()
            .filter_map(|i| match i.kind {
                Kind::Eval { dst: Place::Local(l), src } if l >= 1 => Some(src),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_branch_on_options_and_constants_alone_is_the_jump_it_always_takes() {
        for fast in [true, false] {
            let m = machine(fast);
            let (written, run) = (&m.prog.procs[0].code, &m.code.procs[0]);
            assert_eq!(written.len(), run.len());
            let pc = written.iter().position(|i| matches!(i.kind, Kind::Branch { .. })).expect("the if");
            let Kind::Branch { else_to, .. } = written[pc].kind else { unreachable!() };
            let want = if fast { pc as u32 + 1 } else { else_to };
            assert_eq!(run[pc].kind, Kind::Jump(want), "fast = {fast}");
            // Everything else, and every line and visibility, as written.
            for (k, (w, r)) in written.iter().zip(run).enumerate() {
                assert_eq!((w.line, w.visible), (r.line, r.visible));
                if k != pc {
                    assert_eq!(w.kind, r.kind, "pc {k}");
                }
            }
        }
    }

    #[test]
    fn options_constants_and_addresses_are_resolved() {
        let m = machine(true);
        assert!(!m.code.ops.iter().any(|op| matches!(op, MOp::Opt(_) | MOp::Konst(_) | MOp::Ncpu)));
        let l = locals(&m);
        let ops = |e: ExprRef| &m.code.ops[e.start as usize..e.start as usize + e.len as usize];
        let var = |name: &str| m.prog.vars.iter().position(|v| v.name == name).unwrap();
        let mine = &m.vars[var("mine")];
        assert_eq!(ops(l[5]), [MOp::LoadMine { base: mine.base, n: 3, var: var("mine") as u16 }]);
        assert_eq!(ops(l[6]), [MOp::LoadAt(m.vars[var("g")].base)]);
        // NCPU + K + all_cpus() = 3 + 3 + 0b111
        assert_eq!(m.eval_ops(ops(l[7]), 0, &[], (&[], &[]), &mut None), Ok(13));
        assert_eq!(ops(l[7]), [MOp::Int(3), MOp::Int(3), MOp::Bin(BinOp::Add), MOp::Int(7), MOp::Bin(BinOp::Add)]);
    }

    #[test]
    fn the_common_shapes_are_found_and_no_others() {
        let m = machine(true);
        let l = locals(&m);
        let var = |name: &str| m.prog.vars.iter().position(|v| v.name == name).unwrap() as u16;
        let row = Grid { var: var("row"), rank: 1, base: m.vars[var("row") as usize].base, rows: 4, cols: 1 };
        let grid = Grid { var: var("grid"), rank: 2, base: m.vars[var("grid") as usize].base, rows: 3, cols: 4 };
        let v = Leaf::Local(0);
        assert_eq!(m.code.shape(l[0]), Some(&Shape::Bin(BinOp::Lt, v, Leaf::Int(3))));
        assert_eq!(m.code.shape(l[1]), Some(&Shape::Func(Func::Bit, v)));
        assert_eq!(m.code.shape(l[2]), Some(&Shape::Load(row, v, Leaf::Int(0))));
        assert_eq!(m.code.shape(l[3]), Some(&Shape::Load(grid, Leaf::SelfCpu, v)));
        assert_eq!(m.code.shape(l[4]), Some(&Shape::LoadBin(grid, Leaf::SelfCpu, Leaf::Int(3), BinOp::Ne, v)));
        let (g, mine) = (m.vars[var("g") as usize].base, m.vars[var("mine") as usize].base);
        assert_eq!(m.code.shape(l[9]), Some(&Shape::Bin(BinOp::Ne, Leaf::At(g), v)));
        let mine = Leaf::Mine { base: mine, n: 3, var: var("mine") };
        assert_eq!(m.code.shape(l[10]), Some(&Shape::Bin(BinOp::Add, mine, Leaf::Int(1))));
        // One op, or five that are no shape: the general path.
        assert_eq!(m.code.shape(l[5]), None);
        assert_eq!(m.code.shape(l[8]), None);
    }
}
