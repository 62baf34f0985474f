//! Depth-first exploration: the checker's second mode and its liveness pass.
//!
//! **Cycles.** When a step leads back to a state on the DFS stack, the stack segment and
//! that step form a cycle. It is reported as G-NOLOST (a lasso: the path to the cycle,
//! then the cycle) when some CPU spin-waits in every state of the cycle and the cycle is
//! *fair*: every CPU that has a choice enabled in every state of the cycle (a step, or a
//! pending interrupt it can take) takes one in the cycle, a store buffer that holds a
//! store in every state of the cycle commits one in it, an interrupt deliverable in some
//! state of the cycle is delivered in it (the LAPIC does not wait), and an INVLPGB
//! arrival enabled in every state of the cycle happens in it. Only the cycles closed by DFS
//! back edges are examined, so this finds fair non-progress cycles but is not a complete
//! fair-cycle search (a nested-DFS/SCC analysis would be). With threads, a context switch
//! or a migration is the scheduler's choice and counts as no CPU's step; a queued thread
//! that some CPU could switch to in every state of the cycle (ignoring the preemption
//! bound) must be switched to in it, a migration never has to be, and a callout
//! (`Choice::Timeout`) enabled in every state of the cycle must fire in it (weak fairness).
//!
//! **Partial-order reduction** (`por`): in a state where some CPU c runs with IF=0, no
//! NMI can arrive, c has no other enabled choice, and c's next step α (with the local
//! instructions folded into it) touches only c's private state (`private_effect`: IF,
//! pin and critical depths, its TLB, address space and acknowledgement window, its
//! stack), only α is explored: an ample set of one. It is sound by the ample-set
//! conditions (Clarke, Grumberg, Peled, *Model Checking*, ch. 10):
//!
//! - C1, no choice dependent on α runs before α on any path of the full graph that
//!   starts here. Another CPU's step reads and writes memory, page tables, frames, IRR
//!   and ISR, broadcasts and its own private state, never c's private state, so it
//!   commutes with α and neither enables nor disables it (α is no spin test). What
//!   remains is c's own choices, and those other CPUs' steps can *enable* before α:
//!   - `Step(c)` is α itself; c has no other choice now.
//!   - `Irq(c, _)` needs IF=1, and only c changes its IF.
//!   - `Nmi(c)`: none arrives (the first condition).
//!   - `Drain(c)`: c's buffer is empty (else the drain would be enabled) and only c's
//!     stores fill it.
//!   - `Lose(c, v)`: another CPU's IPI may enable it, but it touches only c's IRR and the
//!     loss budget, which α neither reads nor writes: independent.
//!   - `Fill(c, slot)` (`hw_speculative_fill`): another CPU's `pte_set` may enable it,
//!     and it reads c's address space and TLB: dependent on any α that changes either
//!     (`EnvChoices::conflicts`), so such an α is not ample in these configurations.
//!   - `Bcast(c, k)`: another CPU's `invlpgb` may enable it, and it closes c's window:
//!     dependent on an α that opens one, which is then not ample in a model that
//!     issues INVLPGB. It commutes with α's invalidations and closings (all remove).
//! - C2, α is invisible: its effects are private, and no property is judged on them
//!   (only user accesses, shared accesses, assertions and stuck states break one).
//! - C3, the cycle proviso: α is not taken alone when its successor is on the stack.
//!   The state being expanded is on the stack when `ample` judges this (`push`), so a
//!   private step back to that very state (a self-loop, `while (true) { fence(); }` with
//!   IF=0) is not taken alone either: otherwise it would stand for every choice there,
//!   and the other CPUs would never run from it (tests/cases/por-self-loop.sdm).
//!
//! So every reachable violation, deadlock and lost shootdown is still reached. The
//! probe steps α and judges its effects, not the instruction's kind: an operand that
//! reads shared memory (`invlpg(va_var)`) or a folded `retire` makes it shared.
//!
//! **Threads** (a scenario with `thread` entries). A context switch replaces a CPU's
//! whole private state (stack, locals, pin depth, IF), and a private step (`pin`, `sti`)
//! decides whether a switch or a migration is enabled at all; rather than argue each
//! pair, a configuration with threads takes no ample step: the search is the full one.
//!
//! **Store buffers** (`hw_tso`). A drain is a shared write by its CPU: it changes memory
//! that every other CPU may read, so it is never an ample step, and it depends on the
//! other CPUs' accesses to its word. The reduction stays sound because it only ever
//! picks a CPU with no other enabled choice: a CPU whose buffer holds a store has its
//! drain enabled, so it is never reduced, and a private step taken with an empty buffer
//! commits nothing (the fences, INVLPG and CR3 loads that drain first find nothing to
//! drain). Another CPU's drain neither reads nor writes what the private step touches,
//! nor can it enable or disable that step (a private step is not a spin test).
//!
//! **Lost IPIs** (`hw_ipi_loss`). A loss, `Choice::Lose(c, v)`, is an environment choice
//! of CPU c that clears a bit of c's IRR and spends the shared budget: never an ample
//! step, and a CPU with a loss enabled has another choice, so it is not reduced either.
//! A private step neither reads nor writes IRR bits or the budget, so another CPU's loss
//! commutes with it and cannot enable or disable it.

use super::fingerprint::{hash128, PassThrough};
use super::options::Options;
use super::outcome::{strings, violation, Outcome, Progress};
use super::visited::FpSet;
use crate::lang::program::Kind;
use crate::machine::{Choice, Effect, Fault, Machine, State, Stepped};
use crate::property::Property;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

type FpMap<V> = HashMap<u128, V, BuildHasherDefault<PassThrough>>;

/// The states here are boxed, as the search's buffers are: a state is some 270 bytes of
/// vector headers, and a transition moved them between the buffers several times (with
/// an empty state put in the place of each and dropped again): 7 % of the liveness pass.
struct Frame {
    state: Box<State>,
    fp: u128,
    /// Every enabled choice (for fairness), and those to explore (after reduction).
    enabled: Vec<Choice>,
    todo: Vec<Choice>,
    next: usize,
    via: Option<Choice>,
    /// Number of the push that made this frame, to recognise it after pops and pushes.
    id: u64,
    /// The successor by `todo[i]`, computed one choice ahead (see `run`): its index,
    /// the step's result and the successor's fingerprint (0 after a fault); the state
    /// is in `ahead`.
    ahead_for: Option<(usize, Result<Stepped, Fault>, u128)>,
    ahead: Box<State>,
}

pub(crate) struct Dfs {
    /// Boxed: a frame is two states and its lists, some 400 bytes, which every push and
    /// pop would otherwise copy twice (to and from `pool`).
    #[allow(clippy::vec_box)]
    stack: Vec<Box<Frame>>,
    /// Popped frames, kept with their buffers so that pushing allocates nothing.
    #[allow(clippy::vec_box)]
    pool: Vec<Box<Frame>>,
    on_stack: FpMap<usize>,
    seen: FpSet,
    por: bool,
    /// Report safety violations and count states (depth-first mode), or only look for
    /// cycles (the liveness pass after a breadth-first search).
    safety: bool,
    pub outcome: Option<Outcome>,
    fx: Vec<Effect>,
    /// Enabled choices of the successor being judged, handed to its frame.
    en: Vec<Choice>,
    /// Successors are computed here; a new one is swapped onto the stack. `None` only
    /// while a transition has it out.
    scratch: Option<Box<State>>,
    /// Pushes so far, and which frame `scratch` is a successor of (and by which CPU), if
    /// it is one: then undoing that step is cheaper than copying the frame's state.
    pushes: u64,
    scratch_from: Option<(u64, usize)>,
    /// The reduction's one successor of frame `id`, already computed in `probe`: the
    /// frame's single step takes it instead of stepping again.
    probed: Option<(u64, Choice, u128, Stepped)>,
    /// The successor tried by the reduction's cycle proviso (`None` while it is out).
    probe: Option<Box<State>>,
    words: Vec<u32>,
    env: EnvChoices,
}

impl Dfs {
    pub fn new(m: &Machine, por: bool, safety: bool) -> Dfs {
        let mut d = Dfs {
            stack: Vec::new(),
            on_stack: FpMap::default(),
            seen: FpSet::new(),
            por,
            safety,
            outcome: None,
            fx: Vec::new(),
            en: Vec::new(),
            scratch: Some(Box::new(m.initial())),
            probe: Some(Box::new(m.initial())),
            words: Vec::new(),
            pool: Vec::new(),
            pushes: 0,
            scratch_from: None,
            probed: None,
            env: EnvChoices::of(m),
        };
        let mut s0 = Box::new(m.initial());
        let fp = d.fingerprint(&s0);
        d.seen.insert(fp);
        if safety {
            if let Some(stuck) = m.stuck(&s0) {
                d.outcome = Some(violation(stuck.property, stuck.message, vec![]));
            }
        }
        d.push(m, &mut s0, fp, None, false);
        d
    }

    fn fingerprint(&mut self, s: &State) -> u128 {
        fingerprint(&mut self.words, s)
    }

    fn path(&self, last: Choice) -> Vec<Choice> {
        let mut p: Vec<Choice> = self.stack.iter().filter_map(|f| f.via).collect();
        p.push(last);
        p
    }

    /// Push a new state; `state` is swapped into the frame and gets back a buffer to reuse.
    /// `known`: `self.en` holds the state's enabled choices already (computed by `visit`).
    fn push(&mut self, m: &Machine, state: &mut Box<State>, fp: u128, via: Option<Choice>, known: bool) {
        let mut f = self.pool.pop().unwrap_or_else(|| {
            Box::new(Frame {
                state: Box::new(State::empty()),
                fp,
                enabled: Vec::new(),
                todo: Vec::new(),
                next: 0,
                via,
                id: 0,
                ahead_for: None,
                ahead: Box::new(State::empty()),
            })
        });
        std::mem::swap(&mut f.state, state);
        f.ahead_for = None;
        f.fp = fp;
        f.next = 0;
        f.via = via;
        self.pushes += 1;
        f.id = self.pushes;
        if known {
            std::mem::swap(&mut f.enabled, &mut self.en);
        } else {
            m.enabled(&f.state, &mut f.enabled);
        }
        f.todo.clear();
        // On the stack before the reduction looks: the cycle proviso must see a private
        // step that leads back to this very state (a self-loop) as a step onto the stack.
        self.on_stack.insert(fp, self.stack.len());
        match self.por.then(|| self.ample(m, &f.state, &f.enabled, f.id)).flatten() {
            Some(c) => f.todo.push(c),
            None => f.todo.extend_from_slice(&f.enabled),
        }
        self.stack.push(f);
    }

    /// A single private step that may stand for all choices here (see the module doc).
    /// `id` is the frame's: the successor the cycle proviso computes is kept for it.
    fn ample(&mut self, m: &Machine, s: &State, enabled: &[Choice], id: u64) -> Option<Choice> {
        if m.prog.nmi.is_some() && s.nmis_left > 0 {
            return None;
        }
        // Switches and migrations are taken as dependent on everything (module doc).
        if m.has_threads() {
            return None;
        }
        'cpus: for (c, cpu) in s.cpus.iter().enumerate() {
            let c8 = c as u8;
            if cpu.intr
                || !enabled.contains(&Choice::Step(c8))
                || enabled.iter().any(|x| x.cpu() == c8 && *x != Choice::Step(c8))
            {
                continue;
            }
            let Some(a) = cpu.stack.last() else { continue };
            // A cheap filter before the probe; the probe's effects decide.
            let candidate = matches!(
                m.prog.procs[a.proc as usize].code[a.pc as usize].kind,
                Kind::Fence(_)
                    | Kind::Cli
                    | Kind::Sti
                    | Kind::CritEnter
                    | Kind::CritExit
                    | Kind::Pin
                    | Kind::Unpin
                    | Kind::Invlpg(_)
                    | Kind::FlushTlb
                    | Kind::SwitchTo(_)
                    | Kind::LoadCr3 { .. }
            );
            if !candidate {
                continue;
            }
            let mut next = self.probe.take().expect("the probe buffer is in place");
            next.as_mut().clone_from(s);
            self.fx.clear();
            let result = m.step_enabled(&mut next, Choice::Step(c8), &mut self.fx);
            let independent = result.as_ref().is_ok_and(|st| st.violation.is_none())
                && self.fx.iter().all(|e| private_effect(e, c8))
                && !self.env.conflicts(&self.fx);
            // Cycle proviso: never defer the others past a state on the stack.
            let fp = independent.then(|| self.fingerprint(&next));
            self.probe = Some(next);
            match (fp, result) {
                (Some(fp), Ok(st)) if !self.on_stack.contains_key(&fp) => {
                    self.probed = Some((id, Choice::Step(c8), fp, st));
                    return Some(Choice::Step(c8));
                }
                _ => continue 'cpus,
            }
        }
        None
    }

    /// Explore up to `budget` transitions. True when finished (outcome set, or the
    /// space is exhausted with nothing found: `outcome` stays None).
    pub fn run(&mut self, m: &Machine, opts: &Options, budget: u64, progress: &mut Progress) -> bool {
        let stop = progress.transitions.saturating_add(budget);
        loop {
            if self.outcome.is_some() {
                return true;
            }
            if progress.transitions >= stop {
                return false;
            }
            let Some(top) = self.stack.last_mut() else { return true };
            if top.next >= top.todo.len() {
                let f = self.stack.pop().expect("non-empty");
                self.on_stack.remove(&f.fp);
                self.pool.push(f);
                continue;
            }
            let k = top.next;
            let ch = top.todo[k];
            top.next += 1;
            let mut next = self.scratch.take().expect("the scratch buffer is in place");
            let from = top.id;
            progress.transitions += 1;
            let (result, known) = match (top.ahead_for.take(), self.probed.take()) {
                (Some((i, r, fp)), _) if i == k => {
                    // The scratch buffer goes to `ahead`, still described by `scratch_from`.
                    std::mem::swap(&mut next, &mut top.ahead);
                    (r, Some(fp))
                }
                (_, Some((id, c, fp, st))) if id == from && c == ch => {
                    std::mem::swap(&mut next, self.probe.as_mut().expect("the probe buffer is in place"));
                    self.scratch_from = None;
                    (Ok(st), Some(fp))
                }
                _ => {
                    match self.scratch_from {
                        Some((id, c)) if id == from => next.restore(&top.state, c),
                        _ => next.clone_from(&top.state),
                    }
                    self.scratch_from = None;
                    self.fx.clear();
                    let r = m.step_enabled(&mut next, ch, &mut self.fx);
                    let fp = r.is_ok().then(|| fingerprint(&mut self.words, &next));
                    (r, fp)
                }
            };
            // Compute the next sibling before judging this successor: the visited-set
            // probes of both are cache misses at random addresses, and starting them
            // early lets each one's miss overlap the other's stepping and hashing.
            if let Some(fp) = known {
                self.seen.prefetch(fp);
            }
            if top.next < top.todo.len() {
                let (k2, ch2) = (top.next, top.todo[top.next]);
                match self.scratch_from {
                    Some((id, c)) if id == from => top.ahead.restore(&top.state, c),
                    _ => top.ahead.clone_from(&top.state),
                }
                self.fx.clear();
                let r = m.step_enabled(&mut top.ahead, ch2, &mut self.fx);
                let fp = if r.is_ok() { fingerprint(&mut self.words, &top.ahead) } else { 0 };
                self.seen.prefetch(fp);
                top.ahead_for = Some((k2, r, fp));
            }
            self.scratch_from = Some((from, ch.cpu() as usize));
            if let Some(fp) = self.visit(m, opts, progress, ch, &next, (result, known)) {
                self.push(m, &mut next, fp, Some(ch), self.safety);
                self.scratch_from = None;
            }
            self.scratch = Some(next);
        }
    }

    /// Judge a successor: record what it breaks, or its fingerprint when it is new and
    /// is to be explored. The step's result comes with the successor's fingerprint when
    /// that is known already (the reduction's probe).
    fn visit(
        &mut self,
        m: &Machine,
        opts: &Options,
        progress: &mut Progress,
        ch: Choice,
        next: &State,
        (result, known): (Result<Stepped, crate::machine::Fault>, Option<u128>),
    ) -> Option<u128> {
        match result {
            Err(f) => {
                if self.safety {
                    let path = self.path(ch);
                    self.outcome =
                        Some(Outcome::Fault { message: f.to_string(), schedule: strings(&path), choices: path });
                }
                return None;
            }
            Ok(st) => {
                if let (true, Some(v)) = (self.safety, st.violation) {
                    self.outcome = Some(violation(v.property, v.message, self.path(ch)));
                    return None;
                }
            }
        }
        let fp = known.unwrap_or_else(|| self.fingerprint(next));
        if let Some(&i) = self.on_stack.get(&fp) {
            if let Some(message) = self.fair_nonprogress(m, i, ch) {
                let path = self.path(ch);
                // The cycle starts after the i-th step of the path.
                self.outcome = Some(Outcome::Violation {
                    property: Property::NoLost,
                    message,
                    schedule: strings(&path),
                    choices: path,
                    cycle_start: Some(i),
                });
            }
            return None;
        }
        if !self.seen.insert(fp) {
            return None;
        }
        if self.safety {
            progress.states += 1;
            progress.depth = progress.depth.max(self.stack.len() as u32);
            m.enabled(next, &mut self.en);
            if let Some(stuck) = self.en.is_empty().then(|| m.stuck(next)).flatten() {
                self.outcome = Some(violation(stuck.property, stuck.message, self.path(ch)));
                return None;
            }
            if progress.states as usize >= opts.max_states {
                self.outcome = Some(Outcome::Limit { reason: format!("state limit of {} reached", opts.max_states) });
                return None;
            }
        } else if self.seen.len() >= opts.max_states {
            self.outcome = Some(Outcome::Limit {
                reason: format!(
                    "safety verified, but the liveness pass reached the state limit of {}",
                    opts.max_states
                ),
            });
            return None;
        }
        if self.stack.len() as u32 >= opts.max_depth {
            self.outcome = Some(Outcome::Limit { reason: format!("depth limit of {} steps reached", opts.max_depth) });
            return None;
        }
        Some(fp)
    }

    /// The cycle stack[i..] + `closing` back to stack[i]: a message if some CPU waits in
    /// all of its states and the cycle is fair.
    fn fair_nonprogress(&self, m: &Machine, i: usize, closing: Choice) -> Option<String> {
        let frames = &self.stack[i..];
        let steps: Vec<Choice> = frames[1..].iter().filter_map(|f| f.via).chain(std::iter::once(closing)).collect();
        let ncpu = m.ncpu();
        let waiter = (0..ncpu).find(|&c| frames.iter().all(|f| m.spinning(&f.state, c)))?;
        // A switch or a migration is the scheduler's choice, not progress of the CPU it
        // names: a cycle of migrations while a CPU could take a broadcast is not fair.
        let cpu_choice = |x: &&Choice, d: u8| {
            x.cpu() == d && !matches!(x, Choice::Switch(..) | Choice::Migrate(..) | Choice::Timeout(..))
        };
        for d in 0..ncpu as u8 {
            let always = frames.iter().all(|f| f.enabled.iter().any(|x| cpu_choice(&x, d)));
            if always && !steps.iter().any(|x| cpu_choice(&x, d)) {
                return None;
            }
            // A store buffer drains eventually whatever its CPU does meanwhile: a cycle
            // that keeps a store buffered forever is not a run of the hardware.
            let drain = Choice::Drain(d);
            if frames.iter().all(|f| f.enabled.contains(&drain)) && !steps.contains(&drain) {
                return None;
            }
        }
        for f in frames {
            for &x in &f.enabled {
                match x {
                    // The LAPIC delivers a pending interrupt at the first instruction
                    // boundary with IF=1 (strong fairness): a cycle that passes such a
                    // boundary with the interrupt pending and never takes it is no run of
                    // the hardware (a CPU that keeps switching threads, IF=0 in each
                    // switch path and 1 between them, still takes its IPI).
                    Choice::Irq(..) if !steps.contains(&x) => return None,
                    // An INVLPGB reaches every TLB eventually, whatever that CPU does
                    // meanwhile (weak fairness, as for a drain).
                    Choice::Bcast(..) if !steps.contains(&x) && frames.iter().all(|g| g.enabled.contains(&x)) => {
                        return None
                    }
                    // A callout armed by `sleep_timo` fires eventually (weak fairness):
                    // a cycle that keeps a timeout pending and never fires it is no run.
                    Choice::Timeout(..) if !steps.contains(&x) && frames.iter().all(|g| g.enabled.contains(&x)) => {
                        return None
                    }
                    _ => {}
                }
            }
        }
        // A fair scheduler eventually runs a queued thread that some CPU could switch to
        // in every state of the cycle, on whichever run queue it sits (migrating it back
        // and forth does not starve it); it need never migrate. Could means without the
        // preemption bound: a cycle in which only the bound keeps a thread off its CPU is
        // no run of a fair scheduler.
        for t in &frames[0].state.threads {
            let runs = |g: &Frame| {
                g.state
                    .threads
                    .iter()
                    .any(|q| q.id == t.id && m.switch_possible_unbounded(&g.state, Choice::Switch(q.cpu, q.id)))
            };
            if frames.iter().all(|g| runs(g))
                && !steps.iter().any(|x| matches!(x, Choice::Switch(_, id) if *id == t.id))
            {
                return None;
            }
        }
        let w = m.wait(&frames[0].state, waiter)?;
        let reads = w.reads.map(|(n, v)| format!(" ({n} is {v})")).unwrap_or_default();
        Some(format!(
            "Lost wake-up: CPU {waiter} waits forever at line {} while `{}`{reads}; the other CPUs repeat a cycle of {} steps that never releases it.",
            w.line,
            w.condition,
            steps.len()
        ))
    }
}

/// Whether effect `e` of a step of CPU c touches only state of c that no other CPU's
/// step reads or writes: its IF, critical and pin depths, TLB and paging-structure
/// cache, loaded address space,
/// acknowledgement window, call stack and locals. Everything else (memory, store buffers,
/// IRR and ISR, which `send_ipi` reads, page tables, frames, request storage,
/// broadcasts) is shared.
fn private_effect(e: &Effect, c: u8) -> bool {
    let cpu = match *e {
        Effect::Fence { cpu }
        | Effect::Interrupts { cpu, .. }
        | Effect::Critical { cpu, .. }
        | Effect::Pinned { cpu, .. }
        | Effect::TlbInvalidate { cpu, .. }
        | Effect::TlbFlush { cpu, .. }
        | Effect::PscFlush { cpu, .. }
        | Effect::AddressSpace { cpu, .. }
        | Effect::WindowOpen { cpu, .. }
        | Effect::WindowClose { cpu, .. }
        | Effect::Call { cpu, .. }
        | Effect::Iret { cpu, .. }
        | Effect::NmiExit { cpu }
        | Effect::NmiEnter { cpu }
        | Effect::ThreadDone { cpu }
        | Effect::Ktr { cpu, .. } => cpu,
        _ => return false,
    };
    cpu == c
}

/// The environment choices of a CPU that other CPUs' steps can enable while it waits
/// with IF=0 and no choice but its private step α, and which do not commute with α
/// (module doc, "Environment choices"). If one of them could be enabled before α, the
/// order "it, then α" is a run the reduced search would never try.
struct EnvChoices {
    /// `hw_speculative_fill`: another CPU's `pte_set` enables `Fill(c, slot)`, which
    /// reads c's address space, TLB and paging-structure cache and adds entries; another
    /// CPU's `free_page` of a page-table page c caches enables one that reads it.
    fills: bool,
    /// The program issues INVLPGB: another CPU's `invlpgb` enables `Bcast(c, k)`, which
    /// closes c's window if it is open on that page.
    bcasts: bool,
}

impl EnvChoices {
    fn of(m: &Machine) -> EnvChoices {
        let bcasts = m.prog.procs.iter().any(|p| p.code.iter().any(|i| matches!(i.kind, Kind::Invlpgb { .. })));
        EnvChoices { fills: m.hw.speculative_fill, bcasts }
    }

    /// Whether a private step with effects `fx` depends on a choice that may be enabled
    /// later. A fill depends on every change of the TLB or the address space (fill then
    /// invalidate keeps no entry, invalidate then fill keeps one; fill then switch keeps
    /// an entry of the old space, switch then fill cannot make one). A broadcast's
    /// arrival depends on the opening of a window (arrival then opening leaves it open,
    /// opening then arrival closes it); with another invalidation or a closing it
    /// commutes (both only remove entries and close).
    fn conflicts(&self, fx: &[Effect]) -> bool {
        fx.iter().any(|e| match e {
            Effect::AddressSpace { .. }
            | Effect::TlbInvalidate { .. }
            | Effect::TlbFlush { .. }
            | Effect::PscFlush { .. } => self.fills,
            Effect::WindowOpen { .. } => self.bcasts,
            _ => false,
        })
    }
}

fn fingerprint(words: &mut Vec<u32>, s: &State) -> u128 {
    s.encode(words);
    hash128(words)
}
