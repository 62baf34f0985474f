//! Threads, context switches and migration (issue #14, first slice), opt-in: only a
//! scenario with `thread N: f();` entries has queued threads, and only then are
//! `Choice::Switch` and `Choice::Migrate` ever enabled, so every other model keeps its
//! state space.
//!
//! Where the kernel may preempt: at any instruction boundary of thread code (no handler
//! or NMI activation on the CPU's stack) with IF=1 and no critical section open, which is
//! FreeBSD's rule for kernel preemption (`critical_enter` defers it, sys/kern/kern_switch.c
//! `critical_exit` runs the deferred switch; interrupts-off code cannot be interrupted to
//! reschedule). A store buffer must be empty: every real switch path executes a locked
//! or serialising instruction first, so a thread never leaves stores behind on the CPU it
//! leaves. An idle CPU (its thread has exited, or `cpu N: idle`) may always pick a
//! thread from its run queue. `pin()` does not disable preemption (`sched_pin` only forbids
//! migration): a pinned thread may be switched out, but stays on its CPU's run queue.
//! With option `sched_switch_dsb` the switch path also executes DSB ISH: a CPU with
//! broadcast invalidations of its own still in flight does not switch (FreeBSD r355427,
//! arm64).
//!
//! **Preemption bound** (iterative context bounding, Musuvathi and Qadeer, PLDI 2007):
//! a *preemption* is a switch away from a thread that could still step (it is neither
//! spinning on a condition that holds nor finished). Under `with_preemption_bound(Some(k))`
//! a path takes at most k; a switch away from a waiting or finished thread is free, as a
//! thread that blocks gives up its CPU. The count is part of the state
//! (`State::preemptions`), so a search over the bounded machine is exact for the bound
//! (docs/checker.md). Without a bound nothing is counted and the states are those of the
//! first slice. A bound never removes the last enabled choice of a state: it withholds a
//! switch only where the thread it would preempt has a step.
//!
//! **Switch-in code** (`on_switch NAME;`): each switch then runs the model's procedure
//! `NAME(prev, next)` on the CPU, prev the loaded address space and next the incoming
//! thread's own (its entry's `in`), with IF=0 and in context `Ctx::Switch`, where no
//! switch is enabled (`enter_on_switch`). So each kernel's activation path (Linux's
//! `switch_mm_irqs_off`, FreeBSD's `pmap_activate_sw`, ...) is model text, stepped and
//! narrated, interruptible where its code sets IF=1.
//!
//! Left for later: blocking and wake-up on wait channels, yields, timeouts, priorities.

use super::*;

/// Queued threads one scenario may declare: thread ids stay below `MAX_CPUS` + this,
/// and the state's encoding counts them in 8 bits.
pub const MAX_QUEUED_THREADS: usize = 8;

impl Machine {
    /// Whether the scenario of this configuration declares queued threads (and so the
    /// machine may switch and migrate).
    pub fn has_threads(&self) -> bool {
        self.prog.scenarios.get(self.cfg.scenario).is_some_and(|sc| !sc.threads.is_empty())
    }

    /// Whether CPU c may switch to another thread now: it is idle, or its thread is at a
    /// preemption point (module doc).
    pub fn preemptible(&self, s: &State, c: usize) -> bool {
        let Some(cpu) = s.cpus.get(c) else { return false };
        if self.hw.switch_dsb && self.tlbsync_waits(s, c) {
            // The switch path's DSB ISH has not completed: it waits for this CPU's TLBIs.
            return false;
        }
        cpu.stack.is_empty()
            || (cpu.intr && cpu.crit == 0 && cpu.sb.is_empty() && cpu.stack.iter().all(|a| a.ctx == Ctx::Thread))
    }

    /// The same machine with at most `bound` preemptions on any path (`None`: any number).
    /// The checker sets it from `Options::preemptions`; the stepper runs without one.
    pub fn with_preemption_bound(mut self, bound: Option<u8>) -> Machine {
        self.preemption_bound = bound;
        self
    }

    /// Whether a switch on CPU c now would be a preemption: its thread could still step.
    pub fn would_preempt(&self, s: &State, c: usize) -> bool {
        s.cpus.get(c).is_some_and(|cpu| !cpu.stack.is_empty()) && !self.spinning(s, c)
    }

    /// Whether the preemption bound withholds a switch on CPU c in `s`.
    fn bound_withholds(&self, s: &State, c: usize) -> bool {
        self.preemption_bound.is_some_and(|k| s.preemptions >= k) && self.would_preempt(s, c)
    }

    /// Whether `ch` is a switch the scheduler could make in `s` were there no preemption
    /// bound: the liveness pass judges a cycle's fairness by these, so that a cycle in
    /// which only the bound keeps a thread from running is no lost wake-up.
    pub fn switch_possible_unbounded(&self, s: &State, ch: Choice) -> bool {
        match ch {
            Choice::Switch(c, t) => {
                s.threads.iter().any(|q| q.id == t && q.cpu == c) && self.preemptible(s, c as usize)
            }
            _ => false,
        }
    }

    /// The `Switch` and `Migrate` choices enabled in `s`.
    pub(super) fn sched_choices(&self, s: &State, out: &mut Vec<Choice>) {
        for t in &s.threads {
            let c = t.cpu as usize;
            if self.preemptible(s, c) && !self.bound_withholds(s, c) {
                out.push(Choice::Switch(t.cpu, t.id));
            }
        }
        for t in s.threads.iter().filter(|t| t.pin == 0) {
            for d in (0..s.cpus.len() as u8).filter(|&d| d != t.cpu) {
                out.push(Choice::Migrate(t.id, d));
            }
        }
    }

    /// CPU c puts its thread (if any) on its run queue and runs queued thread `id`.
    pub(super) fn switch(&self, s: &mut State, c: usize, id: u8, fx: &mut Vec<Effect>) -> Result<(), Refused> {
        let k = s.threads.iter().position(|t| t.id == id && t.cpu as usize == c).ok_or(Refused::NotQueued)?;
        if !self.preemptible(s, c) {
            return Err(Refused::NotPreemptible);
        }
        if self.bound_withholds(s, c) {
            return Err(Refused::PreemptionBound);
        }
        if self.preemption_bound.is_some() && self.would_preempt(s, c) {
            s.preemptions += 1;
        }
        let incoming = s.threads.remove(k);
        let from = s.current.get(c).copied().unwrap_or(NO_THREAD);
        let cpu = &mut s.cpus[c];
        if !cpu.stack.is_empty() {
            let out = Thread {
                id: from,
                cpu: c as u8,
                pin: cpu.pin,
                stack: std::mem::take(&mut cpu.stack),
                locals: std::mem::take(&mut cpu.locals),
            };
            let at = s.threads.partition_point(|t| t.id < out.id);
            s.threads.insert(at, out);
        }
        let Thread { id, cpu: _, pin, stack, locals } = incoming;
        cpu.stack = stack;
        cpu.locals = locals;
        cpu.pin = pin;
        cpu.crit = 0;
        cpu.intr = true;
        cpu.thread_done = false;
        if let Some(cur) = s.current.get_mut(c) {
            *cur = id;
        }
        fx.push(Effect::Switch { cpu: c as u8, from, to: id });
        Ok(())
    }

    /// After a switch on CPU c: the model's `on_switch` code, if it declares one, runs on
    /// top of the incoming thread as `NAME(prev, next)`, entered with IF=0 as every
    /// kernel's switch path runs (Linux's `switch_mm_irqs_off`, FreeBSD's `cpu_switch`
    /// under the thread lock), in context `Ctx::Switch`, where no switch is enabled; its
    /// return restores IF=1. `prev` is the address space the CPU has loaded, `next` the
    /// incoming thread's own (its entry's `in`); -1 for none (a kernel thread).
    pub(super) fn enter_on_switch(&self, s: &mut State, c: usize, fx: &mut Vec<Effect>) -> Result<(), Fault> {
        let Some(p) = self.prog.on_switch else { return Ok(()) };
        let id = s.current.get(c).copied().unwrap_or(NO_THREAD);
        let space = |a: u8| if a == NO_ASPACE { -1 } else { i32::from(a) };
        let (prev, next) = (space(s.cpus[c].aspace), space(self.thread_aspace(id)));
        let cpu = &mut s.cpus[c];
        let room = if cpu.stack.len() >= 64 {
            Err(RunError::LocalsFull { max: MAX_CPU_LOCALS })
        } else {
            self.frame_room(cpu, p)
        };
        room.map_err(|error| Fault { cpu: c as u8, line: 0, error })?;
        let base = cpu.locals.len();
        self.push_activation(cpu, p, Ctx::Switch, true);
        cpu.locals[base] = prev;
        cpu.locals[base + 1] = next;
        cpu.intr = false;
        fx.push(Effect::Call { cpu: c as u8, proc: p });
        Ok(())
    }

    /// The address space of thread `id`: its scenario entry's `in` (`NO_ASPACE` for a
    /// kernel thread, or no such thread).
    pub fn thread_aspace(&self, id: u8) -> u8 {
        let Some(sc) = self.prog.scenarios.get(self.cfg.scenario) else { return NO_ASPACE };
        let ncpu = self.cfg.ncpu;
        let space = if u32::from(id) < ncpu {
            sc.spec_for(u32::from(id)).and_then(|s| s.aspace)
        } else {
            sc.threads.get(usize::from(id) - ncpu as usize).and_then(|t| t.aspace)
        };
        space.unwrap_or(NO_ASPACE)
    }

    /// Queued thread `id` moves to CPU d's run queue.
    pub(super) fn migrate(&self, s: &mut State, id: u8, d: usize, fx: &mut Vec<Effect>) -> Result<(), Refused> {
        let t = s.threads.iter_mut().find(|t| t.id == id).ok_or(Refused::NotQueued)?;
        if t.pin != 0 {
            return Err(Refused::Pinned);
        }
        if t.cpu as usize == d {
            return Err(Refused::SameCpu);
        }
        let from = t.cpu;
        t.cpu = d as u8;
        fx.push(Effect::Migrate { thread: id, from, to: d as u8 });
        Ok(())
    }

    /// The threads of a scenario's `thread` entries, queued and never run, and each CPU's
    /// first thread id (its number, `NO_THREAD` for an idle CPU). Both empty without them.
    pub(super) fn queued_threads(&self, sc: &Scenario, cpus: &[Cpu]) -> Result<(Vec<Thread>, Vec<u8>), String> {
        if sc.threads.is_empty() {
            return Ok((vec![], vec![]));
        }
        let ncpu = self.cfg.ncpu;
        let current = cpus.iter().enumerate().map(|(c, cpu)| if cpu.stack.is_empty() { NO_THREAD } else { c as u8 });
        let mut threads = Vec::new();
        for (k, t) in sc.threads.iter().enumerate() {
            if t.cpu >= ncpu {
                return Err(format!("line {}: a thread on CPU {}, but this machine has {ncpu} CPUs", t.line, t.cpu));
            }
            let proc =
                self.prog.procs.get(t.proc as usize).ok_or_else(|| format!("line {}: no such procedure", t.line))?;
            let mut locals = vec![0; proc.local_names.len()];
            for (l, a) in locals.iter_mut().zip(&t.args) {
                *l = self.const_eval(*a, t.cpu).map_err(|e| format!("argument of `{}`: {e}", proc.name))?;
            }
            let stack =
                vec![Activation { proc: t.proc, pc: 0, base: 0, ctx: Ctx::Thread, ctx_base: true, saved_if: true }];
            threads.push(Thread { id: (ncpu as usize + k) as u8, cpu: t.cpu as u8, pin: 0, stack, locals });
        }
        Ok((threads, current.collect()))
    }
}
