//! Renaming CPUs in a state, and picking a representative of a state's orbit.

use super::{Sort, Symmetry};
use crate::machine::{Choice, Cpu, State};

impl Symmetry {
    /// `out` = `s` with every CPU c renamed `perm[c]`: the CPU records, CPU-indexed words
    /// (every CPU dimension), CPU numbers and masks in memory and in locals, addresses in
    /// store buffers and retired storage (kept sorted), broadcast issuers and targets.
    /// `perm` must map each class onto itself and fix every other CPU.
    pub fn permute(&self, s: &State, perm: &[u8], out: &mut State) {
        out.clone_from(s);
        let cpu = |v: i32| if v >= 0 && (v as usize) < self.ncpu { perm[v as usize] as i32 } else { v };
        let mask = |m: u32| permute_mask(m, perm);
        let value = |sort: Sort, v: i32| match sort {
            Sort::Plain => v,
            Sort::Cpu => cpu(v),
            Sort::Mask => mask(v as u32) as i32,
        };
        for v in &self.vars {
            // `clone_from` has copied the words renaming leaves alone.
            if v.content == Sort::Plain && !v.cpu_dim.iter().any(|&d| d) {
                continue;
            }
            let size: u32 = v.dims.iter().product();
            for k in 0..size {
                let to = v.base + self.moved_offset(v, k, perm);
                out.mem[to as usize] = value(v.content, s.mem[(v.base + k) as usize]);
            }
        }
        for (c, from) in s.cpus.iter().enumerate() {
            let d = &mut out.cpus[perm[c] as usize];
            d.clone_from(from);
            for a in &from.stack {
                for (i, &sort) in self.locals[a.proc as usize].iter().enumerate() {
                    let at = a.base as usize + i;
                    if let Some(x) = d.locals.get_mut(at) {
                        *x = value(sort, from.locals[at]);
                    }
                }
            }
            // A buffered store carries its word's value: a CPU number or mask moves too.
            for st in &mut d.sb {
                if let Some(v) = self.var_at(st.addr) {
                    st.value = value(v.content, st.value);
                }
                st.addr = self.addr(st.addr, perm);
            }
        }
        for b in &mut out.bcast {
            b.issuer = perm[b.issuer as usize];
            b.pending = mask(b.pending);
        }
        for r in &mut out.retired {
            r.owner = perm[r.owner as usize];
            r.addr = self.addr(r.addr, perm);
        }
        out.retired.sort_unstable_by_key(|r| r.addr);
    }

    /// The choice `c` becomes when CPUs are renamed by `perm`.
    pub fn permute_choice(&self, perm: &[u8], c: Choice) -> Choice {
        let p = |x: u8| perm[x as usize];
        match c {
            Choice::Step(x) => Choice::Step(p(x)),
            Choice::Irq(x, v) => Choice::Irq(p(x), v),
            Choice::Fill(x, s) => Choice::Fill(p(x), s),
            Choice::Nmi(x) => Choice::Nmi(p(x)),
            Choice::Drain(x) => Choice::Drain(p(x)),
            Choice::Bcast(x, k) => Choice::Bcast(p(x), k),
            Choice::Lose(x, v) => Choice::Lose(p(x), v),
            // Never reached: the analysis refuses a scenario with threads (thread ids
            // are not renamed with their CPUs).
            Choice::Switch(x, t) => Choice::Switch(p(x), t),
            Choice::Migrate(t, x) => Choice::Migrate(t, p(x)),
            Choice::Timeout(x, t) => Choice::Timeout(p(x), t),
        }
    }

    /// A member of `s`'s orbit, in `out`, and the renaming that takes `s` to it, in `perm`.
    /// Not the canonical least member (any member is sound; this one is cheap): the CPUs
    /// of each class are sorted by a fingerprint of their own record and their per-CPU
    /// words, ties in index order. In the fingerprint a CPU number is reduced to what
    /// renaming keeps: "me", "a CPU of class k", or itself (a CPU no renaming moves, or
    /// no CPU at all, like -1); a mask to my bit, its bits outside every class, and how
    /// many CPUs of each class it holds. With no class, `out` is `s` and `perm` the
    /// identity.
    pub fn representative(&self, s: &State, out: &mut State, perm: &mut Vec<u8>) {
        perm.clear();
        perm.extend(0..self.ncpu as u8);
        if self.classes.is_empty() {
            out.clone_from(s);
            return;
        }
        // At most 32 CPUs: a buffer on the stack, as this runs on every transition.
        let mut buf = [(0u64, 0u8); 32];
        let mut masks = [0u32; 16];
        let masks = &mut masks[..self.classes.len()];
        for (m, class) in masks.iter_mut().zip(&self.classes) {
            *m = class.iter().fold(0, |a, &c| a | 1 << c);
        }
        for class in &self.classes {
            let keyed = &mut buf[..class.len()];
            for (k, &c) in keyed.iter_mut().zip(class) {
                *k = (self.fingerprint(s, c as usize, masks), c);
            }
            keyed.sort_unstable();
            for (i, &(_, c)) in keyed.iter().enumerate() {
                perm[c as usize] = class[i];
            }
        }
        self.permute(s, perm, out);
    }

    /// `classes`: per class, the mask of its CPUs.
    fn fingerprint(&self, s: &State, c: usize, classes: &[u32]) -> u64 {
        let mut h = Mix(0xcbf2_9ce4_8422_2325);
        let moving = classes.iter().fold(0, |a, m| a | m);
        let abstracted = |sort: Sort, v: i32| -> u64 {
            match sort {
                Sort::Plain => v as u32 as u64,
                Sort::Cpu if v == c as i32 => 1 << 40,
                Sort::Cpu => match classes.iter().position(|m| (0..32).contains(&v) && m >> v & 1 == 1) {
                    Some(k) => (k as u64 + 2) << 40,
                    None => v as u32 as u64,
                },
                Sort::Mask => {
                    let v = v as u32;
                    let mut x = ((v & !moving) as u64) << 1 | (v >> c & 1) as u64;
                    for m in classes {
                        x = x.wrapping_mul(0x0100_0000_01b3).wrapping_add((v & m).count_ones() as u64);
                    }
                    x
                }
            }
        };
        let cpu: &Cpu = &s.cpus[c];
        h.add(cpu.intr as u64 | (cpu.nmi_latch as u64) << 1 | (cpu.thread_done as u64) << 2 | (cpu.aspace as u64) << 8);
        h.add(cpu.crit as u64 | (cpu.pin as u64) << 16 | (cpu.irr as u64) << 32);
        h.add(cpu.isr as u64);
        for a in &cpu.stack {
            h.add(a.proc as u64 | (a.pc as u64) << 16);
            for (i, &sort) in self.locals[a.proc as usize].iter().enumerate() {
                if let Some(&v) = cpu.locals.get(a.base as usize + i) {
                    h.add(abstracted(sort, v));
                }
            }
        }
        for e in &cpu.tlb {
            h.add(e.va as u32 as u64 | (e.frame as u64) << 32 | (e.gen as u64) << 48);
        }
        h.add(cpu.sb.len() as u64);
        h.add(cpu.window.map_or(u64::MAX, |w| w.va as u32 as u64));
        // Row c of every variable whose first dimension is a CPU one; where a later
        // dimension is a CPU one too, the row's words are summed, not listed, since their
        // order follows the numbering. CPU numbers and masks elsewhere, abstracted as in a
        // row: which CPU a shared word names tells two CPUs apart as well as their own words.
        for v in &self.vars {
            if v.cpu_dim.first() != Some(&true) {
                if v.content != Sort::Plain {
                    let size: u32 = v.dims.iter().product();
                    for k in 0..size {
                        h.add(abstracted(v.content, s.mem[(v.base + k) as usize]));
                    }
                }
                continue;
            }
            if c as u32 >= v.dims[0] {
                continue;
            }
            let row: u32 = v.dims[1..].iter().product();
            let words = &s.mem[(v.base + c as u32 * row) as usize..(v.base + (c as u32 + 1) * row) as usize];
            if v.cpu_dim[1..].iter().any(|&d| d) {
                let mut sum = 0u64;
                for &x in words {
                    let mut e = Mix(0);
                    e.add(abstracted(v.content, x));
                    sum = sum.wrapping_add(e.0);
                }
                h.add(sum);
            } else {
                for &x in words {
                    h.add(abstracted(v.content, x));
                }
            }
        }
        for b in &s.bcast {
            h.add((b.issuer as usize == c) as u64 | ((((b.pending >> c) & 1) as u64) << 1));
        }
        for r in &s.retired {
            h.add((r.owner as usize == c) as u64);
        }
        h.0
    }

    /// The offset within variable `v` that offset `k` moves to.
    fn moved_offset(&self, v: &super::VarSym, k: u32, perm: &[u8]) -> u32 {
        if !v.cpu_dim.iter().any(|&d| d) {
            return k;
        }
        let mut rest = k;
        let mut out = 0;
        let mut scale = 1;
        for (d, &n) in v.dims.iter().enumerate().rev() {
            let mut i = rest % n;
            rest /= n;
            if v.cpu_dim[d] && (i as usize) < self.ncpu {
                i = perm[i as usize] as u32;
            }
            out += i * scale;
            scale *= n;
        }
        out
    }

    /// The variable whose words include `addr`.
    fn var_at(&self, addr: u32) -> Option<&super::VarSym> {
        self.vars.iter().find(|v| addr >= v.base && addr < v.base + v.dims.iter().product::<u32>())
    }

    /// The shared-memory address `addr` moves to.
    fn addr(&self, addr: u32, perm: &[u8]) -> u32 {
        match self.var_at(addr) {
            Some(v) => v.base + self.moved_offset(v, addr - v.base, perm),
            None => addr,
        }
    }
}

pub(super) fn permute_mask(m: u32, perm: &[u8]) -> u32 {
    // Bits beyond the machine's CPUs stay where they are.
    let n = perm.len();
    let mut out = if n >= 32 { 0 } else { m & !((1u32 << n) - 1) };
    for (c, &to) in perm.iter().enumerate() {
        if m & (1 << c) != 0 {
            out |= 1 << to;
        }
    }
    out
}

/// A small multiply-xorshift hash: deterministic across runs and platforms.
struct Mix(u64);

impl Mix {
    fn add(&mut self, x: u64) {
        self.0 = (self.0 ^ x).wrapping_mul(0x1000_0000_01b3).rotate_left(29);
    }
}
