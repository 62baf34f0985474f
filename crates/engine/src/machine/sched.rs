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
//! **Priorities** (`thread N: f() prio P;`, `cpu N: f() prio P;`, higher runs first, 0
//! without `prio`): a switch on CPU c goes to a runnable queued thread whose priority
//! is the best of c's run queue, and at least that of c's own thread while that thread
//! competes for the CPU (it can step, or waits in a `yield()` loop). That is the rule of
//! FreeBSD's ULE for the run queue it models: `tdq_choose` takes the first thread of the
//! best non-empty priority level (`runq_choose`, sys/kern/kern_switch.c), a preempted or
//! yielding thread goes back at the tail of its level (`sched_switch` and
//! `tdq_runq_add`, sys/kern/sched_ule.c; SRQ_PREEMPTED puts it at the head, which the
//! nondeterministic choice among equals covers), and a thread preempts only for a better
//! or equal one. A thread that waits in a `pause()` loop stands for a blocked thread
//! (the sleep folded into the wait), so it does not compete. With every priority equal
//! (every model before priorities) the rule allows exactly the switches it allowed.
//!
//! **Yield** (`yield()`, FreeBSD's `kern_yield` / `sched_relinquish`, sys/kern/sched_ule.c:
//! `mi_switch(SW_VOL | SWT_RELINQUISH)`): the thread goes to the tail of its level and the
//! best thread runs, the yielder itself again when nothing of its priority or higher is
//! runnable. So at a `yield()` with such a thread queued, the CPU's next move is a switch
//! to one of them (no preemption: the thread gave its CPU), and the yielder resumes after
//! the `yield()`; with none, the `yield()` is a step that changes nothing. A spin loop
//! whose body is `yield()` (`while (c) { yield(); }`) waits as a `pause()` loop does, but
//! the waiter stays runnable: a lower-priority thread never gets the CPU from it, which is
//! the priority inversion of DI-R3 (models/freebsd-di.sdm).
//!
//! **Sleep and wake-up** (`sleep(chan)`, `sleep_timo(chan)`, `wakeup(chan)`; FreeBSD's
//! sleepqueue, sys/kern/subr_sleepqueue.c, and `wakeup`, sys/kern/kern_synch.c): a wait
//! channel is a number. `sleep` takes the thread off its CPU, blocked on the channel
//! (`Thread::wait`), and leaves the CPU idle, free to switch to any runnable thread; a
//! blocked thread is on no run queue, so nothing switches to it or migrates it. `wakeup`
//! makes every thread blocked on the channel runnable on its CPU's run queue. `sleep_timo`
//! also arms a callout (`sleepq_set_timeout`): `Choice::Timeout(c, t)`, an environment
//! transition enabled while t sleeps, makes it runnable as a wakeup would. The liveness
//! pass treats it as weakly fair: a cycle in which a timeout stays enabled and never fires
//! is no run of the machine (search/dfs.rs). A thread may sleep only in thread context,
//! with IF=1 and outside a critical section (the kernel asserts as much), and only in a
//! scenario with `thread` entries.

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

    /// Whether a switch on CPU c now would be a preemption: its thread could still step
    /// (and does not stand at a `yield()`, which gives the CPU away).
    pub fn would_preempt(&self, s: &State, c: usize) -> bool {
        s.cpus.get(c).is_some_and(|cpu| !cpu.stack.is_empty()) && !self.spinning(s, c) && !self.at_yield(s, c)
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
                s.threads.iter().any(|q| q.id == t && q.cpu == c && self.may_take(s, c as usize, q))
                    && self.preemptible(s, c as usize)
            }
            _ => false,
        }
    }

    /// The priority of thread `id`: its scenario entry's `prio` (0 without one).
    pub fn thread_prio(&self, id: u8) -> u8 {
        let Some(sc) = self.prog.scenarios.get(self.cfg.scenario) else { return 0 };
        let ncpu = self.cfg.ncpu;
        if u32::from(id) < ncpu {
            return sc.spec_for(u32::from(id)).map_or(0, |s| s.prio);
        }
        sc.threads.get(usize::from(id) - ncpu as usize).map_or(0, |t| t.prio)
    }

    /// Whether CPU c's own thread competes for the CPU: it can step, or it waits in a
    /// `yield()` loop (a `pause()` loop stands for a blocked thread).
    fn competes(&self, s: &State, c: usize) -> bool {
        s.cpus.get(c).is_some_and(|cpu| !cpu.stack.is_empty()) && (!self.spinning(s, c) || self.spin_yields(s, c))
    }

    /// Whether CPU c waits in a spin loop whose body is `yield()`.
    pub fn spin_yields(&self, s: &State, c: usize) -> bool {
        let Some(a) = s.cpus.get(c).and_then(|cpu| cpu.stack.last()) else { return false };
        let code = &self.prog.procs[a.proc as usize].code;
        matches!(code.get(a.pc as usize).map(|i| i.kind), Some(Kind::Branch { spin: true, .. }))
            && matches!(code.get(a.pc as usize + 1).map(|i| i.kind), Some(Kind::Yield))
            && self.spinning(s, c)
    }

    /// Whether CPU c's thread stands at a `yield()` statement (not a `yield()` loop's wait).
    fn at_yield(&self, s: &State, c: usize) -> bool {
        let Some(a) = s.cpus.get(c).and_then(|cpu| cpu.stack.last()) else { return false };
        matches!(self.prog.procs[a.proc as usize].code.get(a.pc as usize).map(|i| i.kind), Some(Kind::Yield))
    }

    /// Whether the scheduler may give CPU c to queued thread `q` (priorities only; module
    /// doc): q is runnable on c's queue, no runnable thread of c's queue is better, and it
    /// is no worse than c's own thread while that one competes.
    fn may_take(&self, s: &State, c: usize, q: &Thread) -> bool {
        if !q.runnable() || q.cpu as usize != c {
            return false;
        }
        let p = self.thread_prio(q.id);
        let best_queued = s.threads.iter().all(|o| o.cpu != q.cpu || !o.runnable() || self.thread_prio(o.id) <= p);
        let cur = s.current.get(c).copied().unwrap_or(NO_THREAD);
        best_queued && (!self.competes(s, c) || self.thread_prio(cur) <= p)
    }

    /// Whether CPU c's thread is at a `yield()` that gives the CPU away: a thread the
    /// scheduler may take is queued (then its next move is that switch).
    #[inline]
    pub fn yield_gives_cpu(&self, s: &State, c: usize) -> bool {
        !s.threads.is_empty() && self.yield_gives_cpu_to_queued(s, c)
    }

    /// `yield_gives_cpu` where threads are queued (`enabled` asks per CPU per step, and
    /// a scenario without threads never queues one: that test is inlined).
    fn yield_gives_cpu_to_queued(&self, s: &State, c: usize) -> bool {
        self.at_yield(s, c) && self.preemptible(s, c) && s.threads.iter().any(|q| self.may_take(s, c, q))
    }

    /// The `Switch`, `Migrate` and `Timeout` choices enabled in `s`.
    pub(super) fn sched_choices(&self, s: &State, out: &mut Vec<Choice>) {
        for t in &s.threads {
            let c = t.cpu as usize;
            if self.preemptible(s, c) && !self.bound_withholds(s, c) && self.may_take(s, c, t) {
                out.push(Choice::Switch(t.cpu, t.id));
            }
        }
        for t in s.threads.iter().filter(|t| t.pin == 0 && t.runnable()) {
            for d in (0..s.cpus.len() as u8).filter(|&d| d != t.cpu) {
                out.push(Choice::Migrate(t.id, d));
            }
        }
        for t in s.threads.iter().filter(|t| t.wait & TIMO != 0) {
            out.push(Choice::Timeout(t.cpu, t.id));
        }
    }

    /// CPU c puts its thread (if any) on its run queue and runs queued thread `id`.
    pub(super) fn switch(&self, s: &mut State, c: usize, id: u8, fx: &mut Vec<Effect>) -> Result<(), Refused> {
        let k = s.threads.iter().position(|t| t.id == id && t.cpu as usize == c).ok_or(Refused::NotQueued)?;
        if !s.threads[k].runnable() {
            return Err(Refused::Blocked);
        }
        if !self.preemptible(s, c) {
            return Err(Refused::NotPreemptible);
        }
        if !self.may_take(s, c, &s.threads[k]) {
            return Err(Refused::Priority);
        }
        if self.bound_withholds(s, c) {
            return Err(Refused::PreemptionBound);
        }
        let gave = !self.would_preempt(s, c);
        if self.preemption_bound.is_some() && !gave {
            s.preemptions += 1;
        }
        if self.at_yield(s, c) {
            // The yielder resumes after its `yield()`.
            if let Some(top) = s.cpus[c].stack.last_mut() {
                top.pc += 1;
            }
            fx.push(Effect::Yield { cpu: c as u8, gave: true });
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
                wait: RUNNABLE,
            };
            let at = s.threads.partition_point(|t| t.id < out.id);
            s.threads.insert(at, out);
        }
        let Thread { id, cpu: _, pin, stack, locals, wait: _ } = incoming;
        cpu.stack = stack;
        cpu.locals = locals;
        cpu.pin = pin;
        cpu.crit = 0;
        cpu.intr = true;
        cpu.thread_done = false;
        if let Some(cur) = s.current.get_mut(c) {
            *cur = id;
        }
        fx.push(Effect::Switch { cpu: c as u8, from, to: id, gave });
        Ok(())
    }

    /// CPU c's thread blocks on wait channel `chan` (`sleep`, `sleep_timo`): it leaves the
    /// CPU, which idles until it switches to a runnable thread. Its stack's top activation
    /// is already past the `sleep`.
    pub(super) fn sleep(
        &self,
        s: &mut State,
        c: usize,
        chan: i32,
        timo: bool,
        fx: &mut Vec<Effect>,
    ) -> Result<(), RunError> {
        if !(0..MAX_WCHAN).contains(&chan) {
            return Err(RunError::BadWaitChannel { op: "sleep", chan });
        }
        let Some(&id) = s.current.get(c) else {
            return Err(RunError::CannotSleep {
                why: "the scenario declares no `thread` entries, so no scheduler would run anything else or wake it",
            });
        };
        let cpu = &mut s.cpus[c];
        if cpu.stack.iter().any(|a| a.ctx != Ctx::Thread) {
            return Err(RunError::CannotSleep { why: "only thread code may block, not a handler or the switch path" });
        }
        if !cpu.intr {
            return Err(RunError::CannotSleep { why: "interrupts are disabled" });
        }
        if cpu.crit != 0 {
            return Err(RunError::CannotSleep { why: "inside a critical section" });
        }
        let wait = (chan as u8 + 1) | if timo { TIMO } else { 0 };
        let t = Thread {
            id,
            cpu: c as u8,
            pin: cpu.pin,
            stack: std::mem::take(&mut cpu.stack),
            locals: std::mem::take(&mut cpu.locals),
            wait,
        };
        cpu.pin = 0;
        cpu.thread_done = true;
        let at = s.threads.partition_point(|q| q.id < id);
        s.threads.insert(at, t);
        if let Some(cur) = s.current.get_mut(c) {
            *cur = NO_THREAD;
        }
        fx.push(Effect::Sleep { cpu: c as u8, thread: id, chan, timo });
        Ok(())
    }

    /// `wakeup(chan)` on CPU c: every thread blocked on `chan` becomes runnable.
    pub(super) fn wakeup(&self, s: &mut State, c: usize, chan: i32, fx: &mut Vec<Effect>) -> Result<(), RunError> {
        if !(0..MAX_WCHAN).contains(&chan) {
            return Err(RunError::BadWaitChannel { op: "wakeup", chan });
        }
        let mut woken = 0;
        for t in s.threads.iter_mut().filter(|t| t.wchan() == Some(chan)) {
            t.wait = RUNNABLE;
            woken += 1;
        }
        fx.push(Effect::Wakeup { cpu: c as u8, chan, woken });
        Ok(())
    }

    /// The callout of thread `id`, asleep on CPU c's queue with a timeout, fires.
    pub(super) fn timeout(&self, s: &mut State, c: usize, id: u8, fx: &mut Vec<Effect>) -> Result<(), Refused> {
        let t = s
            .threads
            .iter_mut()
            .find(|t| t.id == id && t.cpu as usize == c && t.wait & TIMO != 0)
            .ok_or(Refused::NoTimeout)?;
        t.wait = RUNNABLE;
        fx.push(Effect::Timeout { cpu: c as u8, thread: id });
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
        if !t.runnable() {
            return Err(Refused::Blocked);
        }
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
            threads.push(Thread {
                id: (ncpu as usize + k) as u8,
                cpu: t.cpu as u8,
                pin: 0,
                stack,
                locals,
                wait: RUNNABLE,
            });
        }
        Ok((threads, current.collect()))
    }
}
