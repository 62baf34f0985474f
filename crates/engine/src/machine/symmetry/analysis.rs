//! Deciding which CPUs are interchangeable: candidate classes from the scenario, then a
//! sort inference (plain number, CPU number, CPU mask) over the code this configuration
//! can reach, refusing every use of a CPU number that depends on how CPUs are numbered.
//! Options are constants, so branches on them are folded and dead code is not judged.

use super::{Sort, Symmetry, VarSym};
use crate::lang::program::{BinOp, ExprRef, Func, Kind, Op, Place, RmwOp, UnOp};
use crate::machine::Machine;

/// The abstract value of an expression. `Num` is a value renaming leaves alone; `fixed`:
/// used as a CPU number it names a CPU every renaming fixes; `inv`: used as a mask it is
/// invariant (each class all in or all out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    Num { fixed: bool, inv: bool },
    Cpu,
    Mask,
}

const UNKNOWN: K = K::Num { fixed: false, inv: false };

struct An<'a> {
    m: &'a Machine,
    /// Bit c set: CPU c is in a class of at least two.
    moving: u32,
    classes: &'a [Vec<u8>],
    locals: Vec<Vec<K>>,
    content: Vec<K>,
    /// Per variable and dimension: indexed by CPU numbers somewhere.
    cpu_dim: Vec<Vec<bool>>,
    /// Per procedure: None unreachable, Some(true) when a moving CPU may run it.
    runs: Vec<Option<bool>>,
    /// (proc, slot) of trace-only `for t in mask` variables, and the pc of their clear
    /// (the one instruction besides trace points that reads them).
    scratch: Vec<(u16, u16)>,
    exempt: Vec<(u16, u32)>,
    pc: u32,
    final_pass: bool,
    changed: bool,
    err: Option<String>,
    proc: u16,
    line: u32,
}

pub(super) fn analyse(m: &Machine) -> Symmetry {
    let classes = candidate_classes(m);
    let mut sym =
        Symmetry { ncpu: m.ncpu(), classes: vec![], refusal: None, locals: vec![], vars: vec![], scratch: vec![] };
    if classes.is_empty() {
        return sym;
    }
    // A thread keeps its id when it migrates, and the state names queued threads by
    // id and CPU: renaming CPUs would have to rename threads too, which `permute` does not.
    if let Some(t) = m.prog.scenarios.get(m.cfg.scenario).and_then(|sc| sc.threads.first()) {
        let text = m.prog.source_line(t.line);
        sym.refusal = Some(format!(
            "line {}: the scenario queues threads, which migrate between CPUs; CPU symmetry does not rename \
             threads (`{text}`)",
            t.line
        ));
        return sym;
    }
    let moving = classes.iter().flatten().fold(0u32, |a, &c| a | 1 << c);
    let prog = &m.prog;
    let mut an = An {
        m,
        moving,
        classes: &classes,
        locals: prog.procs.iter().map(|p| vec![UNKNOWN; p.local_names.len()]).collect(),
        content: vec![],
        cpu_dim: m.vars.iter().map(|l| vec![false; l.dims.len()]).collect(),
        runs: vec![None; prog.procs.len()],
        scratch: vec![],
        exempt: vec![],
        final_pass: false,
        changed: false,
        err: None,
        proc: 0,
        line: 0,
        pc: 0,
    };
    // Every local starts as 0 when its procedure is entered.
    let zero = an.of_value(0);
    for l in an.locals.iter_mut().flatten() {
        *l = zero;
    }
    for (v, d) in prog.vars.iter().enumerate() {
        let k = match d.init {
            Some(e) => an.init_kind(e),
            None => zero,
        };
        an.content.push(k);
        if d.per_cpu {
            an.cpu_dim[v][0] = true;
        }
    }
    an.reach();
    an.entry_arguments();
    // Each slot's sort only rises in a lattice of height 2, so this settles quickly.
    let mut settled = false;
    for _ in 0..64 {
        an.changed = false;
        an.pass();
        if !an.changed {
            settled = true;
            break;
        }
    }
    an.final_pass = true;
    if settled {
        an.pass();
    } else {
        an.refuse("the analysis of CPU numbers did not settle".into());
    }
    if an.err.is_none() {
        an.check_layout();
    }
    sym.locals = an.locals.iter().map(|ls| ls.iter().map(|&k| sort(k)).collect()).collect();
    // A dead loop variable is left as it is: any value will do, and keeping it makes the
    // states a renaming exchanges equal instead of different in a word nobody reads.
    for &(p, slot) in &an.scratch {
        sym.locals[p as usize][slot as usize] = Sort::Plain;
    }
    sym.vars = m
        .vars
        .iter()
        .enumerate()
        .map(|(v, l)| VarSym {
            base: l.base,
            dims: l.dims.clone(),
            cpu_dim: an.cpu_dim[v].clone(),
            content: sort(an.content[v]),
        })
        .collect();
    sym.scratch = an.scratch.clone();
    if let Some(e) = an.err {
        sym.refusal = Some(e);
        return sym;
    }
    sym.classes = classes;
    // The last word: renaming must leave the initial state alone.
    let init = m.initial();
    let mut out = init.clone();
    for class in sym.classes.clone() {
        for w in class.windows(2) {
            let mut perm: Vec<u8> = (0..m.ncpu() as u8).collect();
            perm.swap(w[0] as usize, w[1] as usize);
            sym.permute(&init, &perm, &mut out);
            if out != init {
                sym.classes.clear();
                sym.refusal =
                    Some(format!("CPUs {} and {} start in states that renaming does not exchange", w[0], w[1]));
                return sym;
            }
        }
    }
    sym
}

fn sort(k: K) -> Sort {
    match k {
        K::Num { .. } => Sort::Plain,
        K::Cpu => Sort::Cpu,
        K::Mask => Sort::Mask,
    }
}

/// CPUs whose scenario entries are identical (procedure, argument values, address
/// space), in classes of at least two.
fn candidate_classes(m: &Machine) -> Vec<Vec<u8>> {
    let sc = &m.prog.scenarios[m.cfg.scenario];
    let mut keys: Vec<(Option<u16>, Vec<i32>, Option<u8>)> = Vec::new();
    let mut classes: Vec<Vec<u8>> = Vec::new();
    for c in 0..m.cfg.ncpu {
        let spec = sc.spec_for(c);
        let key = match spec {
            Some(s) => (s.proc, s.args.iter().map(|a| m.const_eval(*a, c).unwrap_or(i32::MIN)).collect(), s.aspace),
            None => (None, vec![], None),
        };
        match keys.iter().position(|k| *k == key) {
            Some(i) => classes[i].push(c as u8),
            None => {
                keys.push(key);
                classes.push(vec![c as u8]);
            }
        }
    }
    classes.retain(|c| c.len() >= 2);
    classes
}

impl An<'_> {
    fn of_value(&self, v: i32) -> K {
        let moving_cpu = (0..32).contains(&v) && self.moving & (1 << v) != 0;
        let inv = self.classes.iter().all(|c| {
            let n = c.iter().filter(|&&x| v & (1 << x) != 0).count();
            n == 0 || n == c.len()
        });
        K::Num { fixed: !moving_cpu, inv }
    }

    fn init_kind(&mut self, e: ExprRef) -> K {
        // Per-CPU initial values are computed with `self` = the row.
        self.eval(e, true).unwrap_or(UNKNOWN)
    }

    /// Refuse, naming the line. Judged only in the last pass, once the sorts are stable:
    /// before, a local may not have its final sort yet. Every conflict or misuse of an
    /// earlier pass is met again in the last one, which runs every instruction again.
    fn refuse(&mut self, why: String) {
        if self.err.is_none() && self.final_pass {
            let line = self.line;
            self.err = Some(format!("line {line}: {why} (`{}`)", self.m.prog.source_line(line)));
        }
    }

    fn join(&mut self, a: K, b: K, what: &str) -> K {
        use K::*;
        match (a, b) {
            (Num { fixed: f1, inv: i1 }, Num { fixed: f2, inv: i2 }) => Num { fixed: f1 && f2, inv: i1 && i2 },
            (Cpu, Cpu) | (Cpu, Num { fixed: true, .. }) | (Num { fixed: true, .. }, Cpu) => Cpu,
            (Mask, Mask) | (Mask, Num { inv: true, .. }) | (Num { inv: true, .. }, Mask) => Mask,
            _ => {
                self.refuse(format!("{what} holds {} in one place and {} in another", name(a), name(b)));
                a
            }
        }
    }

    fn set_local(&mut self, l: u16, k: K) {
        let old = self.locals[self.proc as usize][l as usize];
        let what = format!("local `{}`", self.m.prog.procs[self.proc as usize].local_names[l as usize]);
        let new = self.join(old, k, &what);
        if new != old {
            self.locals[self.proc as usize][l as usize] = new;
            self.changed = true;
        }
    }

    fn set_var(&mut self, var: u16, k: K) {
        let old = self.content[var as usize];
        let what = format!("`{}`", self.m.prog.vars[var as usize].name);
        let new = self.join(old, k, &what);
        if new != old {
            self.content[var as usize] = new;
            self.changed = true;
        }
    }

    /// Record the indices of an access to `var` (explicit ones last, as `Machine::index`).
    fn access(&mut self, var: u16, idx: &[K], self_moves: bool) {
        let rank = self.cpu_dim[var as usize].len();
        let implied = rank - idx.len().min(rank);
        let name = &self.m.prog.vars[var as usize].name;
        for d in 0..rank {
            let k = if d < implied { self_kind(self_moves) } else { idx[d - implied] };
            match k {
                K::Mask => self.refuse(format!("a CPU mask indexes `{name}`")),
                K::Cpu if !self.cpu_dim[var as usize][d] => {
                    self.cpu_dim[var as usize][d] = true;
                    self.changed = true;
                }
                K::Num { fixed: false, .. } if self.cpu_dim[var as usize][d] => self.refuse(format!(
                    "`{name}` is indexed by CPU numbers elsewhere, and here by a plain number (a loop counter, a constant naming an interchangeable CPU, or a value from words that also hold plain numbers): which word that is depends on how CPUs are numbered"
                )),
                _ => {}
            }
        }
    }

    /// The scenario's argument values are the entry procedures' first locals.
    fn entry_arguments(&mut self) {
        let m = self.m;
        let sc = &m.prog.scenarios[m.cfg.scenario];
        for c in 0..m.cfg.ncpu {
            let Some(spec) = sc.spec_for(c) else {
                continue;
            };
            let Some(p) = spec.proc else { continue };
            for (i, &a) in spec.args.iter().enumerate() {
                let k = m.const_eval(a, c).map_or(UNKNOWN, |v| self.of_value(v));
                self.proc = p;
                self.set_local(i as u16, k);
            }
        }
    }

    /// Procedures reachable in this configuration, and whether a moving CPU may run each:
    /// handlers and the NMI handler may run on every CPU; a thread procedure only on the
    /// CPUs whose scenario entry leads to it.
    fn reach(&mut self) {
        let prog = &self.m.prog;
        let sc = &prog.scenarios[self.m.cfg.scenario];
        let mut work: Vec<(u16, bool)> = Vec::new();
        for c in 0..self.m.cfg.ncpu {
            let spec = sc.spec_for(c);
            if let Some(p) = spec.and_then(|s| s.proc) {
                work.push((p, self.moving & (1 << c) != 0));
            }
        }
        for v in &prog.vectors {
            work.push((v.handler, true));
        }
        if let Some(n) = prog.nmi {
            work.push((n, true));
        }
        while let Some((p, moves)) = work.pop() {
            let old = self.runs[p as usize];
            if old == Some(true) || old == Some(moves) {
                continue;
            }
            self.runs[p as usize] = Some(moves || old == Some(true));
            for pc in self.live_pcs(p) {
                if let Kind::Call { proc, .. } = prog.procs[p as usize].code[pc as usize].kind {
                    work.push((proc, moves || old == Some(true)));
                }
            }
        }
    }

    /// The pcs of procedure p reachable from its entry, branches on constants folded.
    fn live_pcs(&self, p: u16) -> Vec<u32> {
        let code = &self.m.prog.procs[p as usize].code;
        let mut seen = vec![false; code.len()];
        let mut work = vec![0u32];
        while let Some(pc) = work.pop() {
            if pc as usize >= code.len() || seen[pc as usize] {
                continue;
            }
            seen[pc as usize] = true;
            match code[pc as usize].kind {
                Kind::Jump(t) => work.push(t),
                Kind::Return => {}
                Kind::Branch { cond, else_to, .. } => match self.constant(cond) {
                    Some(0) => work.push(else_to),
                    Some(_) => work.push(pc + 1),
                    None => work.extend([pc + 1, else_to]),
                },
                _ => work.push(pc + 1),
            }
        }
        (0..code.len() as u32).filter(|&pc| seen[pc as usize]).collect()
    }

    /// The value of an expression that reads only literals, options and constants.
    fn constant(&self, e: ExprRef) -> Option<i32> {
        let ops = &self.m.prog.ops[e.start as usize..e.start as usize + e.len as usize];
        let pure = ops.iter().all(|op| {
            matches!(op, Op::Int(_) | Op::Opt(_) | Op::Konst(_) | Op::Ncpu | Op::Un(_) | Op::Bin(_) | Op::Func(..))
        });
        if pure {
            self.m.const_eval(e, 0).ok()
        } else {
            None
        }
    }

    fn pass(&mut self) {
        for p in 0..self.m.prog.procs.len() as u16 {
            let Some(moves) = self.runs[p as usize] else { continue };
            self.proc = p;
            for pc in self.live_pcs(p) {
                if self.err.is_some() {
                    return;
                }
                self.instr(p, pc, moves);
            }
        }
    }

    fn instr(&mut self, p: u16, pc: u32, moves: bool) {
        let prog = self.m.prog.clone();
        let proc = &prog.procs[p as usize];
        let ins = proc.code[pc as usize];
        self.line = ins.line;
        self.pc = pc;
        let ev = |an: &mut Self, e: ExprRef| an.eval(e, moves).unwrap_or(UNKNOWN);
        match ins.kind {
            Kind::Eval { dst, src } => {
                let v = match self.for_mask_pick(p, pc) {
                    Some(k) => k,
                    None => ev(self, src),
                };
                self.write(dst, v, moves);
            }
            Kind::Branch { cond, .. } => {
                let k = ev(self, cond);
                self.truth(k);
            }
            Kind::Assert { cond, .. } => {
                let k = ev(self, cond);
                self.truth(k);
            }
            Kind::Call { proc: callee, args, nargs } => {
                for i in 0..nargs as usize {
                    let k = ev(self, prog.arg_pool[args as usize + i]);
                    self.proc = callee;
                    self.set_local(i as u16, k);
                    self.proc = p;
                }
            }
            Kind::Rmw { op, place, a, b, dst } => {
                let x = ev(self, a);
                let y = ev(self, b);
                let Place::Var { var, .. } = place else { return };
                self.place(place, moves);
                let old = self.content[var as usize];
                let result = match op {
                    RmwOp::FetchAdd => {
                        self.plain(old, "fetch_add on a CPU number or mask");
                        self.plain(x, "fetch_add of a CPU number or mask");
                        // A sum is a plain number of no known value.
                        self.set_var(var, UNKNOWN);
                        self.content[var as usize]
                    }
                    RmwOp::Xchg => {
                        self.set_var(var, x);
                        self.content[var as usize]
                    }
                    RmwOp::Or | RmwOp::And => {
                        let k = self.bitwise(old, x);
                        self.set_var(var, k);
                        self.content[var as usize]
                    }
                    RmwOp::Cmpxchg => {
                        self.compare(old, x);
                        self.set_var(var, y);
                        UNKNOWN
                    }
                };
                if let Some(d) = dst {
                    self.set_local(d, result);
                }
            }
            Kind::Dcas { lo, hi, elo, ehi, nlo, nhi, dst } => {
                for (place, e, new) in [(lo, elo, nlo), (hi, ehi, nhi)] {
                    let Place::Var { var, .. } = place else { return };
                    self.place(place, moves);
                    let n = ev(self, new);
                    self.read_scratch(e);
                    let expected = self.locals[p as usize][e as usize];
                    self.compare(self.content[var as usize], expected);
                    self.set_var(var, n);
                    let k = self.content[var as usize];
                    self.set_local(e, k);
                    if self.final_pass && self.cpu_dim[var as usize].last() == Some(&true) {
                        self.refuse("a double-width CAS pairs words whose last index is a CPU number".into());
                    }
                }
                if self.final_pass && !self.dcas_pair_fixed(lo, hi) {
                    self.refuse(
                        "a double-width CAS pairs words whose adjacency depends on how CPUs are numbered (different CPU-indexed rows, or different variables)".into(),
                    );
                }
                if let Some(d) = dst {
                    self.set_local(d, UNKNOWN);
                }
            }
            Kind::SendIpi { mask, .. } => {
                let k = ev(self, mask);
                if !matches!(k, K::Mask | K::Num { inv: true, .. }) {
                    self.refuse(format!("send_ipi's targets are {}, not a CPU mask", name(k)));
                }
            }
            Kind::PteClear { aspace, va, dst }
            | Kind::PteRead { aspace, va, dst }
            | Kind::PteClearDirty { aspace, va, dst }
            | Kind::PteDirty { aspace, va, dst } => {
                self.plains(&[aspace, va], moves);
                if let Some(d) = dst {
                    self.set_local(d, UNKNOWN);
                }
            }
            Kind::PteCmpset { aspace, va, frame, dirty, writable, dst } => {
                self.plains(&[aspace, va, frame, dirty, writable], moves);
                if let Some(d) = dst {
                    self.set_local(d, UNKNOWN);
                }
            }
            Kind::PteSet { aspace, va, frame, writable } => self.plains(&[aspace, va, frame, writable], moves),
            Kind::LoadCr3 { aspace, flush } => self.plains(&[aspace, flush], moves),
            Kind::Invlpgb { aspace, va } => self.plains(&[aspace, va], moves),
            Kind::PageClean(e)
            | Kind::PageSave(e)
            | Kind::Invlpg(e)
            | Kind::Free(e)
            | Kind::SwitchTo(e)
            | Kind::AckWindow(e)
            | Kind::UserAccess { va: e, .. }
            | Kind::Sleep { chan: e, .. }
            | Kind::Wakeup(e) => self.plains(&[e], moves),
            Kind::Alloc { dst } => {
                if let Some(d) = dst {
                    self.set_local(d, UNKNOWN);
                }
            }
            Kind::Retire(place) => self.place(place, moves),
            // Trace records are not state, so their values may depend on CPU numbering;
            // but evaluating one can fault (a division by zero, `bit` out of range),
            // which ends the search: such arguments are judged like any value.
            Kind::Ktr { args, nargs, .. } => {
                let prog = self.m.prog.clone();
                for &e in &prog.arg_pool[args as usize..args as usize + nargs as usize] {
                    let ops = &prog.ops[e.start as usize..e.start as usize + e.len as usize];
                    let fallible =
                        ops.iter().any(|o| matches!(o, Op::Bin(BinOp::Div | BinOp::Rem) | Op::Func(Func::Bit, _)));
                    if fallible {
                        ev(self, e);
                    }
                }
            }
            Kind::Jump(_)
            | Kind::Return
            | Kind::Fence(_)
            | Kind::Cli
            | Kind::Sti
            | Kind::CritEnter
            | Kind::CritExit
            | Kind::Pin
            | Kind::Unpin
            | Kind::Eoi
            | Kind::FlushTlb
            | Kind::CloseWindow
            | Kind::Tlbsync
            | Kind::Yield => {}
        }
    }

    /// The pick of a `for t in mask` loop (`t = lowest(hidden)`): allowed, as a CPU number,
    /// only when the body records trace points and nothing else, so that the order it
    /// visits the CPUs in shows in no state. None when pc is not such a pick.
    fn for_mask_pick(&mut self, p: u16, pc: u32) -> Option<K> {
        let prog = self.m.prog.clone();
        let proc = &prog.procs[p as usize];
        let Kind::Eval { dst: Place::Local(slot), src } = proc.code[pc as usize].kind else { return None };
        let ops = &prog.ops[src.start as usize..src.start as usize + src.len as usize];
        let [Op::Local(hidden), Op::Func(Func::Lowest, 1)] = *ops else { return None };
        if !proc.local_names[hidden as usize].contains("#mask") || pc == 0 {
            return None;
        }
        let Kind::Branch { else_to, .. } = proc.code[pc as usize - 1].kind else { return None };
        let body = &proc.code[pc as usize + 2..(else_to as usize).saturating_sub(1)];
        if body.iter().any(|i| i.visible) {
            self.refuse("a `for` loop over a CPU mask visits CPUs in index order, and its body takes steps".into());
        } else if body.iter().any(|i| !matches!(i.kind, Kind::Ktr { .. })) {
            self.refuse(
                "a `for` loop over a CPU mask visits CPUs in index order, and its body computes with them".into(),
            );
        }
        if !self.scratch.contains(&(p, slot)) {
            self.scratch.push((p, slot));
            self.exempt.push((p, pc + 1));
        }
        let h = self.locals[p as usize][hidden as usize];
        if !matches!(h, K::Mask | K::Num { inv: true, .. }) {
            self.refuse(format!("a `for` loop over a mask runs over {}, not a CPU mask", name(h)));
        }
        Some(K::Cpu)
    }

    /// Whether the adjacency of dcas's two words is the same under every renaming: no CPU
    /// dimension is involved, or both are in one variable and every CPU-dimension index
    /// (implied ones are `self` for both) is the same expression.
    fn dcas_pair_fixed(&self, lo: Place, hi: Place) -> bool {
        let (Place::Var { var: a, nidx: na, idx: ia }, Place::Var { var: b, nidx: nb, idx: ib }) = (lo, hi) else {
            return true;
        };
        let cpu = |v: u16| self.cpu_dim[v as usize].iter().any(|&d| d);
        if !cpu(a) && !cpu(b) {
            return true;
        }
        if a != b || na != nb {
            return false;
        }
        let ops = |e: ExprRef| &self.m.prog.ops[e.start as usize..e.start as usize + e.len as usize];
        let dims = &self.cpu_dim[a as usize];
        let implied = dims.len() - na as usize;
        (0..na as usize).all(|i| !dims[implied + i] || ops(ia[i]) == ops(ib[i]))
    }

    fn write(&mut self, dst: Place, v: K, moves: bool) {
        match dst {
            Place::Local(l) => self.set_local(l, v),
            Place::Var { var, .. } => {
                self.place(dst, moves);
                self.set_var(var, v);
            }
        }
    }

    fn place(&mut self, p: Place, moves: bool) {
        let Place::Var { var, nidx, idx } = p else { return };
        let ks: Vec<K> = idx[..nidx as usize].iter().map(|&e| self.eval(e, moves).unwrap_or(UNKNOWN)).collect();
        self.access(var, &ks, moves);
    }

    fn plains(&mut self, es: &[ExprRef], moves: bool) {
        for &e in es {
            let k = self.eval(e, moves).unwrap_or(UNKNOWN);
            self.plain(k, "a CPU number or mask is used as a page-table or frame argument");
        }
    }

    fn plain(&mut self, k: K, why: &str) {
        if !matches!(k, K::Num { .. }) {
            self.refuse(why.into());
        }
    }

    /// Testing a value for zero: renaming keeps it for masks, and for CPU numbers when CPU 0
    /// is fixed.
    fn truth(&mut self, k: K) {
        if k == K::Cpu && self.moving & 1 != 0 {
            self.refuse("a CPU number is tested for zero, and CPU 0 is interchangeable".into());
        }
    }

    fn compare(&mut self, a: K, b: K) {
        use K::*;
        let ok = match (a, b) {
            (Num { .. }, Num { .. }) | (Cpu, Cpu) | (Mask, Mask) => true,
            (Cpu, Num { fixed, .. }) | (Num { fixed, .. }, Cpu) => fixed,
            (Mask, Num { inv, .. }) | (Num { inv, .. }, Mask) => inv,
            _ => false,
        };
        if !ok {
            self.refuse(format!("compares {} with {}", name(a), name(b)));
        }
    }

    fn bitwise(&mut self, a: K, b: K) -> K {
        use K::*;
        match (a, b) {
            (Mask, Mask) | (Mask, Num { inv: true, .. }) | (Num { inv: true, .. }, Mask) => Mask,
            (Num { inv: i1, .. }, Num { inv: i2, .. }) => Num { fixed: false, inv: i1 && i2 },
            _ => {
                self.refuse(format!("combines {} with {} bit by bit", name(a), name(b)));
                UNKNOWN
            }
        }
    }

    /// A read of local `l`: refused if it is a trace-only loop's variable read outside
    /// its loop (it holds the last CPU visited, which renaming does not follow).
    fn read_scratch(&mut self, l: u16) {
        let key = (self.proc, l);
        if self.final_pass && self.scratch.contains(&key) && !self.exempt.contains(&(self.proc, self.pc)) {
            let prog = self.m.prog.clone();
            let name = &prog.procs[self.proc as usize].local_names[l as usize];
            self.refuse(format!(
                "`{name}` still holds the last CPU a `for` loop over a mask visited, which depends on how CPUs are numbered"
            ));
        }
    }

    /// The sort of an expression evaluated by a CPU that may move (`moves`) or not.
    fn eval(&mut self, e: ExprRef, moves: bool) -> Option<K> {
        if let Some(v) = self.constant(e) {
            return Some(self.of_value(v));
        }
        let prog = self.m.prog.clone();
        let ops = &prog.ops[e.start as usize..e.start as usize + e.len as usize];
        let mut st: Vec<K> = Vec::new();
        // `-1` compiles as the negation of 1: keep it a constant, not an unknown number.
        let mut last_int = None;
        for op in ops {
            let int = last_int.take();
            let k = match *op {
                Op::Int(v) => {
                    last_int = Some(v);
                    self.of_value(v)
                }
                Op::Un(UnOp::Neg) if int.is_some() => {
                    st.pop()?;
                    self.of_value(int.unwrap_or(0).wrapping_neg())
                }
                Op::Opt(o) => self.of_value(self.m.cfg.options[o as usize]),
                Op::Konst(k) => self.of_value(*self.m.consts.get(k as usize)?),
                Op::Ncpu => self.of_value(self.m.cfg.ncpu as i32),
                Op::SelfCpu => self_kind(moves),
                Op::Local(l) => {
                    self.read_scratch(l);
                    *self.locals[self.proc as usize].get(l as usize)?
                }
                Op::Load { var, nidx } => {
                    let idx = st.split_off(st.len().checked_sub(nidx as usize)?);
                    self.access(var, &idx, moves);
                    self.content[var as usize]
                }
                Op::Un(u) => {
                    let a = st.pop()?;
                    match u {
                        UnOp::Not => {
                            self.truth(a);
                            UNKNOWN
                        }
                        UnOp::BitNot => match a {
                            K::Mask => K::Mask,
                            K::Num { inv, .. } => K::Num { fixed: false, inv },
                            K::Cpu => {
                                self.refuse("`~` of a CPU number".into());
                                UNKNOWN
                            }
                        },
                        UnOp::Neg => {
                            self.plain(a, "arithmetic on a CPU number or mask depends on how CPUs are numbered");
                            UNKNOWN
                        }
                    }
                }
                Op::Bin(b) => {
                    let y = st.pop()?;
                    let x = st.pop()?;
                    match b {
                        BinOp::Or | BinOp::And => {
                            self.truth(x);
                            self.truth(y);
                            UNKNOWN
                        }
                        BinOp::Eq | BinOp::Ne => {
                            self.compare(x, y);
                            UNKNOWN
                        }
                        BinOp::BitOr | BinOp::BitXor | BinOp::BitAnd => self.bitwise(x, y),
                        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                            if !matches!((x, y), (K::Num { .. }, K::Num { .. })) {
                                self.refuse(
                                    "orders CPU numbers (`<`, `<=`, `>`, `>=`), which depends on how CPUs are numbered"
                                        .into(),
                                );
                            }
                            UNKNOWN
                        }
                        _ => {
                            if !matches!((x, y), (K::Num { .. }, K::Num { .. })) {
                                self.refuse(
                                    "arithmetic on a CPU number or mask depends on how CPUs are numbered".into(),
                                );
                            }
                            UNKNOWN
                        }
                    }
                }
                Op::Func(f, n) => {
                    let a = st.split_off(st.len().checked_sub(n as usize)?);
                    self.func(f, &a)
                }
            };
            st.push(k);
        }
        st.pop()
    }

    fn func(&mut self, f: Func, a: &[K]) -> K {
        match f {
            Func::Bit => match a[0] {
                K::Cpu => K::Mask,
                K::Num { fixed: true, .. } => K::Num { fixed: false, inv: true },
                k => {
                    self.refuse(format!("bit() of {}, which may name an interchangeable CPU", name(k)));
                    UNKNOWN
                }
            },
            Func::AllCpus => K::Mask,
            Func::Has => {
                if !matches!(a[0], K::Mask | K::Num { inv: true, .. })
                    || !matches!(a[1], K::Cpu | K::Num { fixed: true, .. })
                {
                    self.refuse(format!(
                        "has() of {} and {}: it needs a CPU mask and a CPU number",
                        name(a[0]),
                        name(a[1])
                    ));
                }
                UNKNOWN
            }
            Func::Lowest => {
                self.refuse("`lowest()` picks a CPU by its number".into());
                UNKNOWN
            }
            Func::Popcount => {
                if a[0] == K::Cpu {
                    self.refuse("popcount() of a CPU number".into());
                }
                UNKNOWN
            }
            Func::Min | Func::Max => {
                if !a.iter().all(|k| matches!(k, K::Num { .. })) {
                    self.refuse("min()/max() of CPU numbers depends on how CPUs are numbered".into());
                }
                UNKNOWN
            }
        }
    }

    /// A CPU-indexed dimension must hold every interchangeable CPU, else renaming would
    /// move a word out of bounds.
    fn check_layout(&mut self) {
        let top = 32 - self.moving.leading_zeros();
        for (v, dims) in self.cpu_dim.clone().iter().enumerate() {
            for (d, &cpu) in dims.iter().enumerate() {
                if cpu && self.m.vars[v].dims[d] < top {
                    self.line = self.m.prog.vars[v].line;
                    self.refuse(format!(
                        "`{}` is indexed by CPU numbers but has only {} rows",
                        self.m.prog.vars[v].name, self.m.vars[v].dims[d]
                    ));
                }
            }
        }
    }
}

fn self_kind(moves: bool) -> K {
    if moves {
        K::Cpu
    } else {
        K::Num { fixed: true, inv: false }
    }
}

fn name(k: K) -> &'static str {
    match k {
        K::Num { .. } => "a plain number",
        K::Cpu => "a CPU number",
        K::Mask => "a CPU mask",
    }
}
