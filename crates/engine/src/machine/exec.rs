//! Executing steps: expression evaluation, the instruction interpreter, interrupt and
//! NMI entry, and the folding of local instructions into the next visible step.

use super::fault::OpName;
use super::psc::Walk;
use super::*;
use crate::lang::program::{ExprRef, Place, RmwOp};

/// Local instructions a CPU may run between two visible steps before we call it a
/// runaway loop.
const FUEL: u32 = 10_000;

type R<T> = Result<T, RunError>;

impl Machine {
    /// Execute one choice. Returns what happened; effects are appended to `fx`. A choice
    /// that is not enabled in `s` is refused with a located fault.
    pub fn step(&self, s: &mut State, ch: Choice, fx: &mut Vec<Effect>) -> Result<Stepped, Fault> {
        self.step_as(s, ch, fx, true)
    }

    /// `step` of a choice that `enabled(s)` gave for this very state, as the checker and
    /// the step benchmark take them: a CPU's step is not asked again whether its spin
    /// condition holds or its yield gives the CPU away (`enabled` just evaluated both, and
    /// the checker steps each state some eight times, so that was most of its spin tests).
    pub fn step_enabled(&self, s: &mut State, ch: Choice, fx: &mut Vec<Effect>) -> Result<Stepped, Fault> {
        debug_assert!(
            {
                let mut en = Vec::new();
                self.enabled(s, &mut en);
                en.contains(&ch)
            },
            "{ch} is not enabled"
        );
        self.step_as(s, ch, fx, false)
    }

    fn step_as(&self, s: &mut State, ch: Choice, fx: &mut Vec<Effect>, check: bool) -> Result<Stepped, Fault> {
        let c = ch.cpu() as usize;
        let not_enabled = |why| Fault { cpu: c as u8, line: 0, error: RunError::NotPossible { choice: ch, why } };
        if c >= s.cpus.len() {
            return Err(not_enabled(Refused::NoSuchCpu));
        }
        match ch {
            Choice::Step(_) => {
                let Some(a) = s.cpus[c].stack.last().copied() else { return Err(not_enabled(Refused::Idle)) };
                if check && self.spinning(s, c) {
                    return Err(not_enabled(Refused::Spinning));
                }
                if check && self.yield_gives_cpu(s, c) {
                    return Err(not_enabled(Refused::Yielding));
                }
                let line = self.code.procs[a.proc as usize][a.pc as usize].line;
                let mut violation = None;
                let start = fx.len();
                self.exec(s, c, fx, &mut violation).map_err(|m| Fault { cpu: c as u8, line, error: m })?;
                // Judged before `settle`, which may retire what this step just read.
                if let Some(v) = self.check_retired(s, c, &fx[start..]) {
                    violation.get_or_insert(v);
                }
                self.settle(s, c, fx)?;
                Ok(Stepped { cpu: c as u8, at: Some((a.proc, a.pc)), line, violation })
            }
            Choice::Irq(_, v) => {
                if self.deliverable(&s.cpus[c]) != Some(v) {
                    return Err(not_enabled(Refused::NotDeliverable));
                }
                let handler = self.prog.vectors[v as usize].handler;
                self.frame_room(&s.cpus[c], handler).map_err(|m| Fault { cpu: c as u8, line: 0, error: m })?;
                let cpu = &mut s.cpus[c];
                cpu.irr &= !(1 << v);
                cpu.isr |= 1 << v;
                let saved_if = cpu.intr;
                cpu.intr = false;
                self.push_activation(cpu, handler, Ctx::Irq(v), saved_if);
                fx.push(Effect::IrqEnter { cpu: c as u8, vector: v });
                self.settle(s, c, fx)?;
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None })
            }
            Choice::Nmi(_) => {
                let Some(nmi) = self.prog.nmi else { return Err(not_enabled(Refused::NoNmiHandler)) };
                if s.nmis_left == 0 {
                    return Err(not_enabled(Refused::NoNmiLeft));
                }
                self.frame_room(&s.cpus[c], nmi).map_err(|m| Fault { cpu: c as u8, line: 0, error: m })?;
                s.nmis_left -= 1;
                let cpu = &mut s.cpus[c];
                if cpu.in_nmi() {
                    if cpu.nmi_latch {
                        return Err(not_enabled(Refused::NmiLatched));
                    }
                    cpu.nmi_latch = true;
                    fx.push(Effect::NmiLatched { cpu: c as u8 });
                } else {
                    let saved_if = cpu.intr;
                    cpu.intr = false;
                    self.push_activation(cpu, nmi, Ctx::Nmi, saved_if);
                    fx.push(Effect::NmiEnter { cpu: c as u8 });
                    self.settle(s, c, fx)?;
                }
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None })
            }
            Choice::Lose(_, v) => {
                let cpu = &mut s.cpus[c];
                if s.ipi_losses_left == 0 || v >= 32 || cpu.irr & (1 << v) == 0 {
                    return Err(not_enabled(Refused::NoIpiToLose));
                }
                s.ipi_losses_left -= 1;
                cpu.irr &= !(1 << v);
                fx.push(Effect::IpiLost { cpu: c as u8, vector: v });
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None })
            }
            Choice::Bcast(_, k) => {
                if !self.bcast_reach(s, c, k as usize, fx) {
                    return Err(not_enabled(Refused::NoBroadcast));
                }
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None })
            }
            Choice::Fill(_, slot) => {
                let Some(sl) = self.slots.get(slot as usize).copied() else {
                    return Err(not_enabled(Refused::NoSuchSlot));
                };
                if !self.hw.speculative_fill || !self.fill_changes(s, c, slot as usize) {
                    return Err(not_enabled(Refused::NoFill));
                }
                // A speculative walk is a walk: like the demand walk, it sets the accessed
                // bit with a locked operation (SDM vol. 3A §9.1.2.1), which waits for the
                // CPU's older stores, so it sees the CPU's own buffered PTE (issue #13).
                self.drain_for_walk(s, c, fx);
                let pte = match self.walk(s, c, slot as usize, fx) {
                    // A walk that only refilled the paging-structure cache.
                    Walk::Leaf(_) if self.tlb_has(&s.cpus[c], sl) => {
                        return Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None });
                    }
                    Walk::Leaf(pte) => pte,
                    Walk::Fault => return Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None }),
                    Walk::Freed { frame, cached } => {
                        fx.push(Effect::WalkFreed { cpu: c as u8, va: sl.va, frame, cached });
                        let violation = Some(self.freed_table_violation(c, sl.va, frame, cached));
                        return Ok(Stepped { cpu: c as u8, at: None, line: 0, violation });
                    }
                };
                let cpu = &mut s.cpus[c];
                let gen = s.frames[pte.frame as usize].gen_for_translation();
                let entry = TlbEntry {
                    aspace: sl.aspace,
                    va: sl.va,
                    frame: pte.frame,
                    gen,
                    writable: pte.writable,
                    dirty: pte.dirty,
                };
                cpu.tlb.push(entry);
                cpu.tlb.sort_unstable_by_key(|e| (e.aspace, e.va));
                fx.push(Effect::TlbFill { cpu: c as u8, entry });
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None })
            }
            Choice::Switch(_, t) => {
                self.switch(s, c, t, fx).map_err(not_enabled)?;
                self.enter_on_switch(s, c, fx)?;
                self.settle(s, c, fx)?;
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None })
            }
            Choice::Migrate(t, _) => {
                self.migrate(s, t, c, fx).map_err(not_enabled)?;
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None })
            }
            Choice::Timeout(_, t) => {
                self.timeout(s, c, t, fx).map_err(not_enabled)?;
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation: None })
            }
            Choice::Drain(_) => {
                let start = fx.len();
                if !self.drain_one(s, c, fx) {
                    return Err(not_enabled(Refused::StoreBufferEmpty));
                }
                // A store that lands on request storage retired meanwhile is G-MEM.
                let violation = self.check_retired(s, c, &fx[start..]);
                Ok(Stepped { cpu: c as u8, at: None, line: 0, violation })
            }
        }
    }

    /// Whether CPU `cpu` can take an activation of `proc`: its locals, all activations
    /// together, stay within `MAX_CPU_LOCALS`, which the state's encoding counts in 16 bits.
    pub(super) fn frame_room(&self, cpu: &Cpu, proc: u16) -> R<()> {
        let n = self.prog.procs.get(proc as usize).map_or(0, |p| p.local_names.len());
        if cpu.locals.len() + n > MAX_CPU_LOCALS {
            return Err(RunError::LocalsFull { max: MAX_CPU_LOCALS });
        }
        Ok(())
    }

    pub(super) fn push_activation(&self, cpu: &mut Cpu, proc: u16, ctx: Ctx, saved_if: bool) {
        let base = cpu.locals.len() as u32;
        let n = self.prog.procs[proc as usize].local_names.len();
        cpu.locals.resize(cpu.locals.len() + n, 0);
        cpu.stack.push(Activation { proc, pc: 0, base, ctx, ctx_base: true, saved_if });
    }

    /// Run the CPU's local instructions up to its next visible one, so that the cursor
    /// shows what the CPU will do next.
    pub(super) fn settle(&self, s: &mut State, c: usize, fx: &mut Vec<Effect>) -> Result<(), Fault> {
        let mut fuel = FUEL;
        let mut violation = None;
        while let Some(a) = s.cpus[c].stack.last_mut() {
            let ins = &self.code.procs[a.proc as usize][a.pc as usize];
            if ins.visible {
                return Ok(());
            }
            // Most of what a CPU passes between steps is jumps (loops, and the branches
            // on options that compiled.rs resolved): taken here, without a dispatch.
            if let Kind::Jump(t) = ins.kind {
                if fuel == 0 {
                    return Err(Fault { cpu: c as u8, line: ins.line, error: RunError::RunawayLoop { fuel: FUEL } });
                }
                fuel -= 1;
                a.pc = t;
                continue;
            }
            // An assertion over locals that fails is a violation like any other, so it
            // needs a step to be reported from: the CPU stops in front of it, and its next
            // step executes it (the checker and the stepper then see `assert`).
            if let Kind::Assert { cond, .. } = ins.kind {
                if matches!(self.eval(s, c, cond, &mut None), Ok(0)) {
                    return Ok(());
                }
            }
            if fuel == 0 {
                return Err(Fault { cpu: c as u8, line: ins.line, error: RunError::RunawayLoop { fuel: FUEL } });
            }
            fuel -= 1;
            self.exec(s, c, fx, &mut violation).map_err(|m| Fault { cpu: c as u8, line: ins.line, error: m })?;
            if let Some(v) = violation.take() {
                // Failing assertions stop the settling above; any other violation of a
                // local instruction has nowhere to report from, so it is never lost.
                return Err(Fault {
                    cpu: c as u8,
                    line: ins.line,
                    error: RunError::ViolationInLocalCode { message: v.message },
                });
            }
        }
        Ok(())
    }

    fn exec(&self, s: &mut State, c: usize, fx: &mut Vec<Effect>, violation: &mut Option<Violation>) -> R<()> {
        let c8 = c as u8;
        let a = *s.cpus[c].stack.last().ok_or(RunError::Internal("idle CPU"))?;
        let ins = &self.code.procs[a.proc as usize][a.pc as usize];
        let mut next = a.pc + 1;
        let mut read = None;
        if self.hw.tso && tso::drains_first(&ins.kind) {
            self.drain_all(s, c, fx);
        }
        match ins.kind {
            Kind::Eval { dst, src } => {
                let v = self.eval(s, c, src, &mut read)?;
                self.write(s, c, dst, v, fx, &mut read)?;
            }
            Kind::Jump(t) => next = t,
            Kind::Branch { cond, else_to, .. } => {
                if self.eval(s, c, cond, &mut read)? == 0 {
                    next = else_to;
                }
            }
            Kind::Call { proc, args, nargs } => {
                let mut vals = [0i32; 16];
                if nargs as usize > vals.len() {
                    return Err(RunError::TooManyArguments);
                }
                for (i, v) in vals.iter_mut().enumerate().take(nargs as usize) {
                    *v = self.eval(s, c, self.prog.arg_pool[args as usize + i], &mut read)?;
                }
                self.flush_read(c8, &mut read, fx);
                if s.cpus[c].stack.len() >= 64 {
                    return Err(RunError::CallTooDeep);
                }
                self.frame_room(&s.cpus[c], proc)?;
                let cpu = &mut s.cpus[c];
                cpu.stack.last_mut().ok_or(RunError::Internal("idle CPU"))?.pc = next;
                let base = cpu.locals.len() as u32;
                let n = self.prog.procs[proc as usize].local_names.len();
                cpu.locals.resize(base as usize + n, 0);
                cpu.locals[base as usize..base as usize + nargs as usize].copy_from_slice(&vals[..nargs as usize]);
                cpu.stack.push(Activation { proc, pc: 0, base, ctx: a.ctx, ctx_base: false, saved_if: false });
                fx.push(Effect::Call { cpu: c8, proc });
                return Ok(());
            }
            Kind::Return => {
                self.ret(s, c, fx);
                return Ok(());
            }
            Kind::Ktr { name, args, nargs } => {
                let mut vals = [0i32; 3];
                for (i, v) in vals.iter_mut().enumerate().take(nargs as usize) {
                    *v = self.eval(s, c, self.prog.arg_pool[args as usize + i], &mut read)?;
                }
                fx.push(Effect::Ktr { cpu: c8, name, args: vals, nargs: nargs.min(3) });
            }
            Kind::Assert { cond, msg } => {
                if self.eval(s, c, cond, &mut read)? == 0 {
                    *violation = Some(Violation {
                        property: Property::Assert,
                        cpu: c8,
                        message: self.prog.messages[msg as usize].clone(),
                    });
                }
            }
            Kind::Rmw { op, place, a: ea, b: eb, dst } => {
                let x = self.eval(s, c, ea, &mut read)?;
                let y = self.eval(s, c, eb, &mut read)?;
                let Place::Var { var, nidx, idx } = place else { return Err(RunError::OnALocal { op: "atomic" }) };
                let addr = self.addr(s, c, var, nidx, &idx)?;
                let old = s.mem[addr as usize];
                let (new, result) = match op {
                    RmwOp::FetchAdd => (old.wrapping_add(x), old),
                    RmwOp::Xchg => (x, old),
                    RmwOp::Or => (old | x, old),
                    RmwOp::And => (old & x, old),
                    RmwOp::Cmpxchg => {
                        if old == x {
                            (y, 1)
                        } else {
                            (old, 0)
                        }
                    }
                };
                s.mem[addr as usize] = new;
                fx.push(Effect::Rmw { cpu: c8, addr, old, new });
                if let Some(d) = dst {
                    self.set_local(s, c, d, result);
                }
            }
            Kind::Dcas { lo, hi, elo, ehi, nlo, nhi, dst } => {
                let new = [self.eval(s, c, nlo, &mut read)?, self.eval(s, c, nhi, &mut read)?];
                let (Place::Var { var: vl, nidx: nl, idx: il }, Place::Var { var: vh, nidx: nh, idx: ih }) = (lo, hi)
                else {
                    return Err(RunError::OnALocal { op: "dcas" });
                };
                let a = self.addr(s, c, vl, nl, &il)?;
                let b = self.addr(s, c, vh, nh, &ih)?;
                if b != a + 1 {
                    return Err(RunError::DcasNotAdjacent { first: self.addr_name(a), second: self.addr_name(b) });
                }
                let base = s.cpus[c].stack.last().map_or(0, |t| t.base as usize);
                let want = [s.cpus[c].locals[base + elo as usize], s.cpus[c].locals[base + ehi as usize]];
                let old = [s.mem[a as usize], s.mem[a as usize + 1]];
                let ok = old == want;
                for (k, addr) in [a, b].into_iter().enumerate() {
                    if ok {
                        s.mem[addr as usize] = new[k];
                        fx.push(Effect::Rmw { cpu: c8, addr, old: old[k], new: new[k] });
                    } else {
                        fx.push(Effect::Read { cpu: c8, addr, value: old[k] });
                    }
                }
                if !ok {
                    self.set_local(s, c, elo, old[0]);
                    self.set_local(s, c, ehi, old[1]);
                }
                if let Some(d) = dst {
                    self.set_local(s, c, d, ok as i32);
                }
            }
            Kind::Fence(_) => fx.push(Effect::Fence { cpu: c8 }),
            Kind::Cli | Kind::Sti => {
                let on = matches!(ins.kind, Kind::Sti);
                s.cpus[c].intr = on;
                fx.push(Effect::Interrupts { cpu: c8, enabled: on });
            }
            Kind::CritEnter | Kind::CritExit => {
                let enter = matches!(ins.kind, Kind::CritEnter);
                let depth = nest(&mut s.cpus[c].crit, enter, "critical_enter", "critical_exit")?;
                fx.push(Effect::Critical { cpu: c8, depth });
            }
            Kind::Pin | Kind::Unpin => {
                let depth = nest(&mut s.cpus[c].pin, matches!(ins.kind, Kind::Pin), "pin", "unpin")?;
                fx.push(Effect::Pinned { cpu: c8, depth });
            }
            Kind::SendIpi { mask, vector } => {
                let m = self.eval(s, c, mask, &mut read)? as u32 & self.all_cpus();
                fx.push(Effect::IpiSent { cpu: c8, targets: m, vector });
                for t in 0..s.cpus.len() {
                    if m & (1 << t) == 0 {
                        continue;
                    }
                    let tc = &mut s.cpus[t];
                    let t8 = t as u8;
                    if tc.irr & (1 << vector) != 0 {
                        fx.push(Effect::IpiMerged { cpu: t8, vector });
                    } else if tc.isr & (1 << vector) != 0 && !self.hw.irr_latch {
                        fx.push(Effect::IpiDropped { cpu: t8, vector });
                    } else {
                        tc.irr |= 1 << vector;
                        fx.push(Effect::IpiPending { cpu: t8, vector });
                    }
                }
            }
            Kind::Eoi => {
                let cpu = &mut s.cpus[c];
                let v = (0..self.prog.vectors.len())
                    .filter(|&v| cpu.isr & (1 << v) != 0)
                    .max_by_key(|&v| self.prog.vectors[v].number)
                    .ok_or(RunError::EoiWithNothingInService)?;
                cpu.isr &= !(1 << v);
                fx.push(Effect::Eoi { cpu: c8, vector: v as u8 });
            }
            Kind::PteClear { aspace, va, dst }
            | Kind::PteRead { aspace, va, dst }
            | Kind::PteClearDirty { aspace, va, dst }
            | Kind::PteDirty { aspace, va, dst } => {
                let slot = self.slot(s, c, aspace, va)?;
                // The locked operations drained the buffer first; a plain read sees the
                // CPU's own buffered `pte_set`.
                let old = self.pte_view(s, c, slot);
                // What the operation writes back (None for a read) and what it returns.
                let frame = if old.present { old.frame as i32 } else { -1 };
                let (new, result) = match ins.kind {
                    Kind::PteClear { .. } => (Some(Pte { present: false, ..old }), frame),
                    Kind::PteClearDirty { .. } => (Some(Pte { dirty: false, ..old }), old.dirty as i32),
                    Kind::PteDirty { .. } => (None, old.dirty as i32),
                    _ => (None, frame),
                };
                match new {
                    Some(new) => {
                        s.ptes[slot] = new;
                        fx.push(Effect::PteWrite { slot: slot as u16, old, new });
                    }
                    None => fx.push(Effect::PteRead { cpu: c8, slot: slot as u16 }),
                }
                if let Some(d) = dst {
                    self.set_local(s, c, d, result);
                }
                // The kernel has read a dirty bit set (G-DIRTY): it knows the page is dirty,
                // and every store so far is its to save.
                if matches!(ins.kind, Kind::PteClearDirty { .. } | Kind::PteDirty { .. }) && old.dirty {
                    if let Some(fr) = s.frames.get_mut(old.frame as usize) {
                        fr.unseen = false;
                    }
                }
            }
            Kind::PageSave(f) => {
                let f = self.eval(s, c, f, &mut read)?;
                let fr = usize::try_from(f)
                    .ok()
                    .and_then(|i| s.frames.get_mut(i))
                    .ok_or(RunError::NoFrame { op: "page_save", frame: f })?;
                // The I/O copies the frame as it is now: every store so far is on disk.
                fr.unseen = false;
                fx.push(Effect::FrameSave { cpu: c8, frame: f as u16 });
            }
            Kind::PageClean(f) => {
                let f = self.eval(s, c, f, &mut read)?;
                // A store whose dirty bit a PTE still holds is not lost: the kernel's next
                // look at the bit (before it frees the page) finds it.
                let recorded = s.ptes.iter().any(|p| i32::from(p.frame) == f && p.dirty);
                let fr = usize::try_from(f)
                    .ok()
                    .and_then(|i| s.frames.get_mut(i))
                    .ok_or(RunError::NoFrame { op: "page_clean", frame: f })?;
                fr.clean = true;
                if fr.unseen && !recorded {
                    *violation = Some(Violation {
                        property: Property::Dirty,
                        cpu: c8,
                        message: format!(
                            "lost modification: CPU {c} declares frame {f} clean, but a store reached it since the kernel last read a dirty bit set for it or wrote it out, and no dirty bit records that store"
                        ),
                    });
                }
                fx.push(Effect::FrameClean { cpu: c8, frame: f as u16 });
            }
            Kind::PteSet { aspace, va, frame, writable } => {
                let slot = self.slot(s, c, aspace, va)?;
                let f = self.eval(s, c, frame, &mut read)?;
                let w = self.eval(s, c, writable, &mut read)? != 0;
                if f < 0 || f as usize >= s.frames.len() {
                    return Err(RunError::NoFrame { op: "pte_set", frame: f });
                }
                let new = Pte { frame: f as u16, present: true, writable: w, dirty: false, accessed: false };
                self.store_pte(s, c, slot, new, fx);
            }
            Kind::PteCmpset { aspace, va, frame, dirty, writable, dst } => {
                let slot = self.slot(s, c, aspace, va)?;
                let f = self.eval(s, c, frame, &mut read)?;
                let d = self.eval(s, c, dirty, &mut read)? != 0;
                let w = self.eval(s, c, writable, &mut read)? != 0;
                let old = s.ptes[slot];
                let current = if old.present { old.frame as i32 } else { -1 };
                // The accessed bit is not compared: a kernel loop that retried when only A
                // changed would end in the same PTE.
                let ok = current == f && old.dirty == d;
                if ok {
                    let new = Pte { writable: w, ..old };
                    s.ptes[slot] = new;
                    fx.push(Effect::PteWrite { slot: slot as u16, old, new });
                } else {
                    fx.push(Effect::PteRead { cpu: c8, slot: slot as u16 });
                }
                if let Some(dst) = dst {
                    self.set_local(s, c, dst, ok as i32);
                }
            }
            Kind::Invlpg(va) => {
                let va = self.eval(s, c, va, &mut read)?;
                let cpu = &mut s.cpus[c];
                let before = cpu.tlb.len();
                let asp = cpu.aspace;
                cpu.tlb.retain(|e| !(e.va == va && e.aspace == asp));
                fx.push(Effect::TlbInvalidate { cpu: c8, va, removed: (before - cpu.tlb.len()) as u8 });
                self.psc_drop(s, c, Some(asp), fx);
                self.close_window(s, c, Some(asp), Some(va), fx);
            }
            Kind::FlushTlb => {
                // A CR3 reload drops the non-global entries of the loaded address space
                // (with PCIDs, other spaces' entries stay).
                let cpu = &mut s.cpus[c];
                let before = cpu.tlb.len();
                let asp = cpu.aspace;
                cpu.tlb.retain(|e| e.aspace != asp);
                fx.push(Effect::TlbFlush { cpu: c8, removed: (before - cpu.tlb.len()) as u8 });
                self.psc_drop(s, c, Some(asp), fx);
                self.close_window(s, c, Some(asp), None, fx);
            }
            Kind::UserAccess { va, write } => {
                let va = self.eval(s, c, va, &mut read)?;
                self.user_access(s, c, va, write, fx, violation)?;
            }
            Kind::Alloc { dst } => {
                let f = s.frames.iter().position(|f| !f.allocated).ok_or(RunError::NoFreeFrame)?;
                s.frames[f] = PageFrame { allocated: true, clean: false, unseen: false, ..s.frames[f] };
                fx.push(Effect::FrameAlloc { cpu: c8, frame: f as u16 });
                if let Some(d) = dst {
                    self.set_local(s, c, d, f as i32);
                }
            }
            Kind::Free(f) => {
                let f = self.eval(s, c, f, &mut read)?;
                let fr = s
                    .frames
                    .get_mut(usize::try_from(f).map_err(|_| RunError::NoFrame { op: "free_page", frame: f })?)
                    .ok_or(RunError::NoFrame { op: "free_page", frame: f })?;
                if !fr.allocated {
                    return Err(RunError::DoubleFree { frame: f });
                }
                // A generation that wrapped around would make a TLB entry of the first
                // allocation look fresh again, and hide a stale access.
                let gen = fr.gen.checked_add(1).ok_or(RunError::GenerationFull { frame: f })?;
                if fr.clean && fr.unseen {
                    *violation = Some(Violation {
                        property: Property::Dirty,
                        cpu: c8,
                        message: format!(
                            "lost modification: CPU {c} frees frame {f}, held clean, but a store reached it since the kernel last read a dirty bit set for it or wrote it out"
                        ),
                    });
                }
                *fr = PageFrame { allocated: false, clean: false, unseen: false, gen };
                fx.push(Effect::FrameFree { cpu: c8, frame: f as u16 });
            }
            Kind::LoadCr3 { aspace, flush } => {
                let asp = self.eval(s, c, aspace, &mut read)?;
                let flush = self.eval(s, c, flush, &mut read)? != 0;
                if asp < 0 || asp as usize >= self.prog.aspaces.len() {
                    return Err(RunError::NoAddressSpace { op: "load_cr3", aspace: asp });
                }
                let cpu = &mut s.cpus[c];
                cpu.aspace = asp as u8;
                fx.push(Effect::AddressSpace { cpu: c8, aspace: asp as u8 });
                if flush {
                    let before = cpu.tlb.len();
                    cpu.tlb.retain(|e| e.aspace != asp as u8);
                    fx.push(Effect::TlbFlush { cpu: c8, removed: (before - cpu.tlb.len()) as u8 });
                    self.psc_drop(s, c, Some(asp as u8), fx);
                    self.close_window(s, c, Some(asp as u8), None, fx);
                }
            }
            Kind::SwitchTo(asp) => {
                let asp = self.eval(s, c, asp, &mut read)?;
                if asp < 0 || asp as usize >= self.prog.aspaces.len() {
                    return Err(RunError::NoAddressSpace { op: "switch_to", aspace: asp });
                }
                let cpu = &mut s.cpus[c];
                cpu.aspace = asp as u8;
                let removed = cpu.tlb.len() as u8;
                cpu.tlb.clear();
                fx.push(Effect::AddressSpace { cpu: c8, aspace: asp as u8 });
                fx.push(Effect::TlbFlush { cpu: c8, removed });
                self.psc_drop(s, c, None, fx);
                self.close_window(s, c, None, None, fx);
            }
            Kind::AckWindow(va) => {
                let va = self.eval(s, c, va, &mut read)?;
                self.open_window(s, c, va, fx);
            }
            Kind::CloseWindow => self.close_window(s, c, None, None, fx),
            Kind::Invlpgb { aspace, va } => {
                let asp = self.eval(s, c, aspace, &mut read)?;
                let va = self.eval(s, c, va, &mut read)?;
                self.invlpgb(s, c, asp, va, fx)?;
            }
            Kind::Tlbsync => fx.push(Effect::Tlbsync { cpu: c8 }),
            // Reached only when nothing may take the CPU (`yield_gives_cpu`): it runs on.
            Kind::Yield => fx.push(Effect::Yield { cpu: c8, gave: false }),
            Kind::Sleep { chan, timo } => {
                let chan = self.eval(s, c, chan, &mut read)?;
                if self.hw.tso {
                    // The sleep queue's spin lock is a locked instruction.
                    self.drain_all(s, c, fx);
                }
                if let Some(top) = s.cpus[c].stack.last_mut() {
                    top.pc = next;
                }
                self.sleep(s, c, chan, timo, fx)?;
            }
            Kind::Wakeup(chan) => {
                let chan = self.eval(s, c, chan, &mut read)?;
                self.wakeup(s, c, chan, fx)?;
            }
            Kind::Retire(place) => {
                let Place::Var { var, nidx, idx } = place else { return Err(RunError::OnALocal { op: "retire" }) };
                let addr = self.addr(s, c, var, nidx, &idx)?;
                self.retire(s, c, addr, fx)?;
            }
        }
        self.flush_read(c8, &mut read, fx);
        if let Some(top) = s.cpus[c].stack.last_mut() {
            top.pc = next;
        }
        Ok(())
    }

    fn flush_read(&self, cpu: u8, read: &mut Option<(u32, i32)>, fx: &mut Vec<Effect>) {
        if let Some((addr, value)) = read.take() {
            fx.push(Effect::Read { cpu, addr, value });
        }
    }

    fn ret(&self, s: &mut State, c: usize, fx: &mut Vec<Effect>) {
        let c8 = c as u8;
        let iret = s.cpus[c].stack.last().is_some_and(|a| a.ctx_base && a.ctx != Ctx::Thread);
        if self.hw.tso && iret {
            // IRET is serialising: the handler's stores are in memory before it returns
            // (and the end of `on_switch` code, like every real switch path, has executed
            // a locked or serialising instruction).
            self.drain_all(s, c, fx);
        }
        let cpu = &mut s.cpus[c];
        let Some(a) = cpu.stack.pop() else { return };
        cpu.locals.truncate(a.base as usize);
        if !a.ctx_base {
            return;
        }
        match a.ctx {
            Ctx::Thread => {
                cpu.thread_done = true;
                cpu.intr = true;
                if let Some(cur) = s.current.get_mut(c) {
                    *cur = NO_THREAD;
                }
                fx.push(Effect::ThreadDone { cpu: c8 });
            }
            Ctx::Irq(v) => {
                cpu.intr = a.saved_if;
                fx.push(Effect::Iret { cpu: c8, vector: v });
            }
            Ctx::Switch => cpu.intr = a.saved_if,
            Ctx::Nmi => {
                cpu.intr = a.saved_if;
                fx.push(Effect::NmiExit { cpu: c8 });
                if cpu.nmi_latch {
                    cpu.nmi_latch = false;
                    if let Some(nmi) = self.prog.nmi {
                        let saved = cpu.intr;
                        cpu.intr = false;
                        self.push_activation(cpu, nmi, Ctx::Nmi, saved);
                        fx.push(Effect::NmiEnter { cpu: c8 });
                    }
                }
            }
        }
    }

    fn user_access(
        &self,
        s: &mut State,
        c: usize,
        va: i32,
        write: bool,
        fx: &mut Vec<Effect>,
        violation: &mut Option<Violation>,
    ) -> R<()> {
        // The window forbids a use of the entry being invalidated, so it is judged on the
        // TLB before the access changes it. An access in the window that also reads a
        // freed frame is reported as the window's, with the consequence named: the
        // window is the property the early acknowledgement breaks, and a search then
        // reports the same property whichever of the two it reaches first.
        let window = self.window_violation(s, c, va, write);
        let before = violation.is_some();
        self.user_access_tlb(s, c, va, write, fx, violation)?;
        if let Some(mut w) = window {
            match violation {
                Some(v) if !before && v.property == Property::Stale => {
                    w.message.push_str("; and the frame is already freed: a use after free");
                    *violation = Some(w);
                }
                None => *violation = Some(w),
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn user_access_tlb(
        &self,
        s: &mut State,
        c: usize,
        va: i32,
        write: bool,
        fx: &mut Vec<Effect>,
        violation: &mut Option<Violation>,
    ) -> R<()> {
        let c8 = c as u8;
        let asp = s.cpus[c].aspace;
        let hit = s.cpus[c].tlb.iter().position(|e| e.aspace == asp && e.va == va);
        // A miss walks, and so does a store through an entry caching D=0 (the assist).
        if hit.is_none_or(|i| write && !s.cpus[c].tlb[i].dirty) {
            self.drain_for_walk(s, c, fx);
        }
        let entry = match hit {
            Some(i) => s.cpus[c].tlb[i],
            None => {
                // An upper-level entry is no page: an access to its address faults.
                let Some(slot) = self.slot_of(asp, va).filter(|&i| !self.slots[i].table) else {
                    fx.push(Effect::PageFault { cpu: c8, va });
                    return Ok(());
                };
                let pte = match self.walk(s, c, slot, fx) {
                    Walk::Leaf(pte) => pte,
                    Walk::Fault => {
                        fx.push(Effect::PageFault { cpu: c8, va });
                        return Ok(());
                    }
                    Walk::Freed { frame, cached } => {
                        fx.push(Effect::WalkFreed { cpu: c8, va, frame, cached });
                        *violation = Some(self.freed_table_violation(c, va, frame, cached));
                        return Ok(());
                    }
                };
                let e = TlbEntry {
                    aspace: asp,
                    va,
                    frame: pte.frame,
                    gen: s.frames[pte.frame as usize].gen,
                    writable: pte.writable,
                    dirty: pte.dirty,
                };
                if !s.frames[pte.frame as usize].allocated {
                    *violation = Some(Violation {
                        property: Property::Stale,
                        cpu: c8,
                        message: format!(
                            "use after free: CPU {c} {} va {va:#x} through the page table into frame {}, which is free",
                            if write { "wrote" } else { "read" },
                            pte.frame
                        ),
                    });
                }
                s.ptes[slot].accessed = true;
                let cpu = &mut s.cpus[c];
                cpu.tlb.push(e);
                cpu.tlb.sort_unstable_by_key(|e| (e.aspace, e.va));
                fx.push(Effect::TlbFill { cpu: c8, entry: e });
                e
            }
        };
        if write && !entry.writable {
            fx.push(Effect::PageFault { cpu: c8, va });
            return Ok(());
        }
        let slot = self.slot_of(asp, va).filter(|&i| !self.slots[i].table);
        if write && !entry.dirty {
            // The A/D assist: a store through an entry caching D=0 walks the page table
            // again to set D, and faults (dropping the entry) if the PTE is no longer
            // present or writable, before the store lands (Intel SDM vol. 3A §4.8). It is a
            // walk like any other: through the upper-level entry or its cached copy.
            let writable = match slot {
                Some(i) => match self.walk(s, c, i, fx) {
                    Walk::Leaf(p) => p.writable,
                    Walk::Fault => false,
                    Walk::Freed { frame, cached } => {
                        fx.push(Effect::WalkFreed { cpu: c8, va, frame, cached });
                        *violation = Some(self.freed_table_violation(c, va, frame, cached));
                        return Ok(());
                    }
                },
                None => false,
            };
            if !writable {
                let cpu = &mut s.cpus[c];
                let before = cpu.tlb.len();
                cpu.tlb.retain(|e| !(e.aspace == asp && e.va == va));
                fx.push(Effect::TlbInvalidate { cpu: c8, va, removed: (before - cpu.tlb.len()) as u8 });
                fx.push(Effect::PageFault { cpu: c8, va });
                return Ok(());
            }
        }
        let frame = s.frames[entry.frame as usize];
        let stale = frame.gen != entry.gen;
        if stale && violation.is_none() {
            let state = match (frame.allocated, self.hw.speculative_fill) {
                (true, false) => "freed and reallocated since",
                (true, true) => "freed and reallocated since (or free when a speculative walk filled)",
                (false, false) => "freed since",
                (false, true) => "freed since (or free when a speculative walk filled)",
            };
            *violation = Some(Violation {
                property: Property::Stale,
                cpu: c8,
                message: format!(
                    "use after free: CPU {c} {} va {va:#x} through a stale TLB entry into frame {}, {state} the entry was filled",
                    if write { "wrote" } else { "read" },
                    entry.frame
                ),
            });
        }
        if write {
            // G-DIRTY: every store counts as unseen until the kernel reads a dirty bit set
            // in a PTE mapping the frame, or writes the frame out (`page_save`).
            s.frames[entry.frame as usize].unseen = true;
        }
        if write && entry.dirty {
            // The A/D assist only runs for a clean TLB entry: this store leaves no trace in
            // the PTE if its dirty bit has been cleared since the entry was filled. Into a
            // frame the kernel holds clean, nothing can record it any more.
            let pte_dirty = slot.is_some_and(|i| {
                let p = s.ptes[i];
                p.present && p.frame == entry.frame && p.dirty
            });
            if !pte_dirty && frame.clean && violation.is_none() {
                *violation = Some(Violation {
                    property: Property::Dirty,
                    cpu: c8,
                    message: format!(
                        "lost modification: CPU {c} wrote va {va:#x} (frame {}) through a TLB entry that still caches D=1 after the kernel declared the frame clean; no dirty bit records the write",
                        entry.frame
                    ),
                });
            }
        }
        if write && !entry.dirty {
            // The re-walk above found the PTE present and writable: set its D.
            if let Some(slot) = slot {
                if s.ptes[slot].frame == entry.frame {
                    s.ptes[slot].dirty = true;
                    fx.push(Effect::DirtyAssist { cpu: c8, slot: slot as u16 });
                }
            }
            if let Some(e) = s.cpus[c].tlb.iter_mut().find(|e| e.aspace == asp && e.va == va) {
                e.dirty = true;
            }
        }
        fx.push(Effect::UserAccess { cpu: c8, va, frame: entry.frame, write, stale });
        Ok(())
    }

    /// The page-table slot declared for (address space, va), if any.
    fn slot_of(&self, aspace: u8, va: i32) -> Option<usize> {
        self.slots.iter().position(|sl| sl.aspace == aspace && sl.va == va)
    }

    fn slot(&self, s: &State, c: usize, aspace: ExprRef, va: ExprRef) -> R<usize> {
        let mut read = None;
        let a = self.eval(s, c, aspace, &mut read)?;
        let v = self.eval(s, c, va, &mut read)?;
        self.slots
            .iter()
            .position(|sl| sl.aspace as i32 == a && sl.va == v)
            .ok_or_else(|| RunError::NoPte { va: v, aspace: self.aspace_name(a as u8).to_string() })
    }

    fn set_local(&self, s: &mut State, c: usize, slot: u16, v: i32) {
        let cpu = &mut s.cpus[c];
        if let Some(a) = cpu.stack.last() {
            cpu.locals[a.base as usize + slot as usize] = v;
        }
    }

    fn write(
        &self,
        s: &mut State,
        c: usize,
        dst: Place,
        v: i32,
        fx: &mut Vec<Effect>,
        read: &mut Option<(u32, i32)>,
    ) -> R<()> {
        match dst {
            Place::Local(l) => self.set_local(s, c, l, v),
            Place::Var { var, nidx, idx } => {
                let addr = self.addr(s, c, var, nidx, &idx)?;
                self.flush_read(c as u8, read, fx);
                self.store(s, c, addr, v, fx);
            }
        }
        Ok(())
    }

    fn addr(&self, s: &State, c: usize, var: u16, nidx: u8, idx: &[ExprRef; 2]) -> R<u32> {
        let mut vals = [0i32; 2];
        let mut read = None;
        for i in 0..nidx as usize {
            vals[i] = self.eval(s, c, idx[i], &mut read)?;
        }
        self.index(c, var, &vals[..nidx as usize])
    }
}

/// One level deeper (`enter`) or shallower in a nesting count: critical sections, pins.
/// A depth that stopped at 65 535 would let the 65 536th exit fault for no reason, so the
/// excess is a model error, as is an exit with nothing to leave.
fn nest(depth: &mut u16, enter: bool, open: OpName, close: OpName) -> R<u16> {
    *depth = if enter {
        depth.checked_add(1).ok_or(RunError::NestedTooDeep { open })?
    } else {
        depth.checked_sub(1).ok_or(RunError::CloseWithoutOpen { open, close })?
    };
    Ok(*depth)
}
