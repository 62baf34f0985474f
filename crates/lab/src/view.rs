//! View models: what a leaf component of the stepper draws, built once per action from a
//! `Pane` (by the app's root component, which renders once per action). Each is plain
//! data with `PartialEq`, so a component whose view model did not change is not drawn
//! again: at 8 CPUs a step redraws the one or two CPU cards it touched, not eight.
//! Building reads the pane only (`&Pane`): nothing borrows mutably while the page draws.

use crate::state::Pane;
use sdlab_engine::machine::{describe_store_buffer, Choice, Ctx, Effect, NO_ASPACE, NO_THREAD};

/// A word as the page shows it: numbers that look like addresses in hex.
pub fn word(v: i32) -> String {
    if v >= 0x1000 {
        format!("{v:#x}")
    } else {
        v.to_string()
    }
}

/// One LAPIC vector of a CPU card: its name and number, and its IRR and ISR bits.
#[derive(Clone, Debug, PartialEq)]
pub struct LapicRow {
    pub name: String,
    pub number: u32,
    pub irr: bool,
    pub isr: bool,
}

/// One TLB entry of a CPU card.
#[derive(Clone, Debug, PartialEq)]
pub struct TlbRow {
    pub va: i32,
    pub frame: u32,
    pub writable: bool,
    pub dirty: bool,
    /// Its frame was freed (the generation moved on) since the entry was filled.
    pub stale: bool,
}

/// Everything a CPU card draws.
#[derive(Clone, Debug, PartialEq)]
pub struct CpuView {
    pub cpu: usize,
    /// The last step was this CPU's.
    pub just_stepped: bool,
    /// The main button: what the CPU's own next move is ("CPU 2: take IPI").
    pub step_label: String,
    /// The CPU's own next move, when it has one (the main button is disabled otherwise).
    pub preferred: Option<Choice>,
    /// The other enabled choices of this CPU, as buttons.
    pub extra: Vec<(String, Choice)>,
    /// The context stack, "kernel › irq IPI", or "idle".
    pub ctx: String,
    /// "spinning: …", "idle: takes interrupts only" or "in proc at line n".
    pub status: String,
    pub intr: bool,
    pub crit: u32,
    pub pin: u32,
    /// The loaded address space's name.
    pub aspace: String,
    /// The page of an open acknowledgement window (G-USERMODE-WINDOW).
    pub window: Option<i32>,
    /// INVLPGBs (TLBIs on arm64) this CPU issued that have not reached every TLB yet.
    pub issued: Vec<String>,
    /// The broadcast invalidation and its wait, as the model's architecture names them.
    pub broadcast: (&'static str, &'static str),
    pub lapic: Vec<LapicRow>,
    pub tlb: Vec<TlbRow>,
    /// An entry came or went in the last step (an INVLPG that found nothing changed nothing).
    pub tlb_changed: bool,
    /// The paging-structure cache: "mm → frame 3", "⚠" when that page table was freed
    /// since (empty in a model without a `map … table`).
    pub psc: Vec<String>,
    /// The model runs with `hw_tso`: the store buffer is drawn.
    pub tso: bool,
    pub store_buffer: Vec<String>,
    pub store_buffer_changed: bool,
    /// What the last step read, when the last step was this CPU's and read a word.
    pub last_read: Option<String>,
    /// In a scenario with threads: the thread the CPU runs and its run queue
    /// ("thread 0 · queue 2, 3"); None without threads, where the card stays as it was.
    pub threads: Option<String>,
}

/// The card of every CPU of the pane's machine.
pub fn cpus(p: &Pane) -> Vec<CpuView> {
    let m = &p.session.machine();
    let st = p.session.state();
    let mut enabled = Vec::new();
    m.enabled(st, &mut enabled);
    let last = p.session.log().last();
    (0..m.ncpu()).map(|c| cpu(p, c, &enabled, last)).collect()
}

fn cpu(p: &Pane, c: usize, enabled: &[Choice], last: Option<&sdlab_engine::session::LogEntry>) -> CpuView {
    let m = &p.session.machine();
    let prog = &m.prog();
    let st = p.session.state();
    let cpu = &st.cpus[c];
    let cc = c as u8;
    // The CPU's own move: a deliverable interrupt first, else its step, else a drain
    // (the order of `Pane::preferred`).
    let preferred = enabled
        .iter()
        .find(|x| matches!(x, Choice::Irq(k, _) if *k == cc))
        .or_else(|| enabled.iter().find(|x| **x == Choice::Step(cc)))
        .or_else(|| enabled.iter().find(|x| **x == Choice::Drain(cc)))
        .copied();
    let tlb_changed = last.is_some_and(|e| {
        e.effects.iter().any(|f| match f {
            Effect::TlbFill { cpu, .. } => *cpu as usize == c,
            Effect::TlbInvalidate { cpu, removed, .. }
            | Effect::TlbFlush { cpu, removed }
            | Effect::BcastReach { cpu, removed, .. } => *cpu as usize == c && *removed > 0,
            _ => false,
        })
    });
    let just_stepped = last.is_some_and(|e| e.cpu as usize == c);
    let store_buffer_changed = last.is_some_and(|e| {
        e.effects.iter().any(|f| {
            matches!(f, Effect::StoreBuffered { cpu, .. } | Effect::StoreCommitted { cpu, .. } if *cpu as usize == c)
        })
    });
    let store_buffer = describe_store_buffer(m, &cpu.sb);
    let ctxs: Vec<String> = cpu
        .stack
        .iter()
        .filter(|a| a.ctx_base)
        .map(|a| match a.ctx {
            Ctx::Thread if prog.procs[a.proc as usize].user => "user".to_string(),
            Ctx::Thread => "kernel".to_string(),
            Ctx::Irq(v) => format!("irq {}", m.vector_name(v)),
            Ctx::Nmi => "nmi".to_string(),
            Ctx::Switch => "switch".to_string(),
        })
        .collect();
    let status = if let Some(w) = m.wait(st, c) {
        let reads = w.reads.map(|(n, v)| format!(" ({n} = {v})")).unwrap_or_default();
        format!("spinning: {}{reads}", w.condition)
    } else if let Some(a) = cpu.stack.last() {
        format!("in {} at line {}", prog.procs[a.proc as usize].name, m.cursor(st, c).unwrap_or(0))
    } else {
        "idle: takes interrupts only".to_string()
    };
    let lapic = prog
        .vectors
        .iter()
        .enumerate()
        .map(|(v, d)| LapicRow {
            name: d.name.clone(),
            number: d.number as u32,
            irr: cpu.irr & (1 << v) != 0,
            isr: cpu.isr & (1 << v) != 0,
        })
        .collect();
    let tlb = cpu
        .tlb
        .iter()
        .map(|e| TlbRow {
            va: e.va,
            frame: e.frame as u32,
            writable: e.writable,
            dirty: e.dirty,
            stale: st.frames[e.frame as usize].gen != e.gen,
        })
        .collect();
    let issue = m.prog().broadcast_names().0;
    let extra = enabled
        .iter()
        .filter(|ch| ch.cpu() as usize == c && Some(**ch) != preferred)
        .map(|ch| {
            let label = match *ch {
                Choice::Step(_) => "step".to_string(),
                Choice::Irq(_, v) => format!("take {}", m.vector_name(v)),
                Choice::Nmi(_) => "NMI".to_string(),
                Choice::Fill(_, sl) => format!("fill {:#x}", m.slots()[sl as usize].va),
                Choice::Drain(_) => format!("commit {}", store_buffer.first().map_or("", String::as_str)),
                Choice::Lose(_, v) => format!("lose {}", m.vector_name(v)),
                Choice::Switch(_, t) => format!("switch to thread {t}"),
                Choice::Migrate(t, _) => format!("thread {t} migrates here"),
                Choice::Timeout(_, t) => format!("thread {t}'s callout fires"),
                Choice::Bcast(_, k) => {
                    st.bcast.get(k as usize).map_or_else(|| issue.into(), |b| format!("{issue} {:#x} arrives", b.va))
                }
            };
            (label, *ch)
        })
        .collect();
    let step_label = match preferred {
        Some(Choice::Irq(_, v)) => format!("CPU {c}: take {}", m.vector_name(v)),
        Some(Choice::Drain(_)) => format!("CPU {c}: commit {}", store_buffer.first().map_or("", String::as_str)),
        Some(_) => format!("CPU {c}: step"),
        None => format!("CPU {c}"),
    };
    let issued = st.bcast.iter().filter(|b| b.issuer as usize == c).map(|b| format!("{:#x}", b.va)).collect();
    let psc = cpu
        .psc
        .iter()
        .map(|e| {
            let fr = st.frames[e.frame as usize];
            let freed = if !fr.allocated || fr.gen != e.gen { " ⚠ freed" } else { "" };
            format!("{} → frame {}{freed}", m.aspace_name(e.aspace), e.frame)
        })
        .collect();
    let aspace = if cpu.aspace == NO_ASPACE { "kernel".to_string() } else { m.aspace_name(cpu.aspace).to_string() };
    let last_read = last.filter(|e| e.cpu as usize == c).and_then(|e| {
        e.effects.iter().find_map(|f| match f {
            Effect::Read { addr, value, .. } => Some(format!("read {} = {}", m.addr_name(*addr), word(*value))),
            _ => None,
        })
    });
    let threads = st.current.get(c).map(|&t| {
        let running = if t == NO_THREAD { "no thread".to_string() } else { format!("thread {t}") };
        let queue: Vec<String> = st.threads.iter().filter(|q| q.cpu as usize == c).map(|q| q.id.to_string()).collect();
        if queue.is_empty() {
            format!("{running} · queue empty")
        } else {
            format!("{running} · queue {}", queue.join(", "))
        }
    });
    CpuView {
        cpu: c,
        just_stepped,
        step_label,
        preferred,
        extra,
        ctx: if ctxs.is_empty() { "idle".to_string() } else { ctxs.join(" › ") },
        status,
        intr: cpu.intr,
        crit: cpu.crit as u32,
        pin: cpu.pin as u32,
        aspace,
        window: cpu.window.map(|w| w.va),
        issued,
        broadcast: m.prog().broadcast_names(),
        lapic,
        tlb,
        tlb_changed,
        psc,
        tso: m.hw().tso,
        store_buffer,
        store_buffer_changed,
        last_read,
        threads,
    }
}

/// One page-table entry as the memory pane draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct PteRow {
    pub space: String,
    pub va: i32,
    /// The frame it maps, when present.
    pub frame: Option<u32>,
    pub writable: bool,
    pub accessed: bool,
    pub dirty: bool,
    /// The last step wrote it.
    pub changed: bool,
}

/// One page frame as the memory pane draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameRow {
    pub allocated: bool,
    pub clean: bool,
    pub unseen: bool,
    pub gen: u32,
    /// The last step freed or allocated it.
    pub changed: bool,
}

/// What the memory pane draws: the page table and the page frames.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryView {
    pub ptes: Vec<PteRow>,
    pub frames: Vec<FrameRow>,
}

pub fn memory(p: &Pane) -> MemoryView {
    let m = &p.session.machine();
    let st = p.session.state();
    let effects = p.session.log().last().map_or(&[][..], |e| &e.effects[..]);
    let ptes = m
        .slots()
        .iter()
        .enumerate()
        .map(|(i, sl)| {
            let e = st.ptes[i];
            PteRow {
                space: m.aspace_name(sl.aspace).to_string(),
                va: sl.va,
                frame: e.present.then_some(e.frame as u32),
                writable: e.writable,
                accessed: e.accessed,
                dirty: e.dirty,
                changed: effects.iter().any(|f| matches!(f, Effect::PteWrite { slot, .. } if *slot as usize == i)),
            }
        })
        .collect();
    let frames = st
        .frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            FrameRow {
            allocated: f.allocated,
            clean: f.clean,
            unseen: f.unseen,
            gen: f.gen as u32,
            changed: effects.iter().any(|e| {
                matches!(e, Effect::FrameFree { frame, .. } | Effect::FrameAlloc { frame, .. } if *frame as usize == i)
            }),
        }
        })
        .collect();
    MemoryView { ptes, frames }
}

/// A row of the step log: one step (1-based), or repeated iterations folded into one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogRow {
    Step(usize),
    /// Steps `first..=last` repeat the `period` steps just before them, `times` more times.
    Folded {
        first: usize,
        last: usize,
        period: usize,
        times: usize,
    },
}

/// Longest block folded (steps per iteration): DragonFly's `lwkt_send_ipiq` retry loop
/// is 9 steps, which an 8-step limit left unfolded in its 64-step ring deadlock.
const MAX_PERIOD: usize = 12;
/// The fewest steps a folded row hides: a row that stands for one step saves nothing.
const MIN_FOLDED: usize = 2;

/// The step log with repeated loop iterations folded: where a block of up to 12 steps
/// (the same choices at the same lines) comes again right after itself, hiding at least
/// 2 steps (a single step repeated 3 times, a longer block twice), the first iteration is
/// shown and the others become one row. `keys[i]` is step `i + 1`'s
/// (choice, line); a step `keep` marks (a violation, the causing step, the last step) is
/// never folded away.
pub fn fold_log<K: PartialEq>(keys: &[K], keep: impl Fn(usize) -> bool) -> Vec<LogRow> {
    let n = keys.len();
    let mut rows = Vec::new();
    let mut i = 0;
    while i < n {
        // The period that covers the most steps from i.
        let mut best: Option<(usize, usize)> = None;
        for p in 1..=MAX_PERIOD.min((n - i) / 2) {
            let mut r = 1;
            while i + (r + 1) * p <= n && (0..p).all(|j| keys[i + r * p + j] == keys[i + j]) {
                r += 1;
            }
            if (r - 1) * p >= MIN_FOLDED && best.is_none_or(|(bp, br)| r * p > bp * br) {
                best = Some((p, r));
            }
        }
        let Some((p, r)) = best else {
            rows.push(LogRow::Step(i + 1));
            i += 1;
            continue;
        };
        // Whole iterations after the first, stopping before a kept step.
        let mut times = r - 1;
        while times > 0 && (i + p..i + (1 + times) * p).any(|k| keep(k + 1)) {
            times -= 1;
        }
        rows.extend((i..i + p).map(|k| LogRow::Step(k + 1)));
        if times * p >= MIN_FOLDED {
            rows.push(LogRow::Folded { first: i + p + 1, last: i + (1 + times) * p, period: p, times });
            i += (1 + times) * p;
        } else {
            i += p;
        }
    }
    rows
}

/// The steps the log shows whatever repeats around them (1-based): the first violation,
/// the step after which the loaded race is unavoidable, and the steps that produced a line
/// of the kernel trace being played. The last step of a folded range is kept too
/// (`fold_steps`), so a reader sees where the run stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Marks {
    pub first_bad: Option<usize>,
    pub cause: Option<usize>,
    pub traced: Option<std::collections::BTreeSet<usize>>,
}

impl Marks {
    pub fn of(p: &Pane) -> Marks {
        let taken = p.session.schedule();
        let cause = p
            .plan
            .as_ref()
            .filter(|pl| pl.choices.starts_with(&taken) || taken.starts_with(&pl.choices))
            .and_then(|pl| pl.cause);
        Marks {
            first_bad: p.session.first_violation().map(|(n, _)| n),
            cause,
            traced: p.guide_on_track().map(|g| g.lines.iter().map(|l| l.step + 1).collect()),
        }
    }

    pub fn kept(&self, step: usize) -> bool {
        self.first_bad == Some(step)
            || self.cause == Some(step)
            || self.traced.as_ref().is_some_and(|t| t.contains(&step))
    }
}

/// Steps `from + 1..=to` of a log folded as the step log shows them, in absolute step
/// numbers. The step log, the GIF export and the demo pace all call this, so a GIF has a
/// frame for exactly the rows the log shows and the demo plays fast exactly what it folds.
pub fn fold_steps(log: &[sdlab_engine::session::LogEntry], from: usize, to: usize, marks: &Marks) -> Vec<LogRow> {
    let to = to.min(log.len());
    let from = from.min(to);
    let keys: Vec<_> = log[from..to].iter().map(|e| (e.choice, e.line)).collect();
    fold_log(&keys, |k| from + k == to || marks.kept(from + k))
        .into_iter()
        .map(|r| match r {
            LogRow::Step(k) => LogRow::Step(from + k),
            LogRow::Folded { first, last, period, times } => {
                LogRow::Folded { first: from + first, last: from + last, period, times }
            }
        })
        .collect()
}

/// The frames of a GIF of steps `from..=rows' last`: the step `from`, then one frame per
/// row of the folded log, a folded row showing its last step with a marker that says how
/// many iterations it stands for. The marker is in words a slide can carry alone.
pub fn gif_frames(from: usize, rows: &[LogRow]) -> Vec<(usize, Option<String>)> {
    let mut frames = vec![(from, None)];
    frames.extend(rows.iter().map(|r| match *r {
        LogRow::Step(k) => (k, None),
        LogRow::Folded { first, last, period, times } => {
            let what = if period == 1 { "the step before".to_string() } else { format!("the {period} steps before") };
            (last, Some(format!("↻ ×{times}  steps {first}–{last} repeat {what}")))
        }
    }));
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_iterations_fold_into_one_row() {
        // 1 2 | a b a b a b a b | 3
        let keys = [1, 2, 10, 11, 10, 11, 10, 11, 10, 11, 3];
        let rows = fold_log(&keys, |_| false);
        assert_eq!(
            rows,
            vec![
                LogRow::Step(1),
                LogRow::Step(2),
                LogRow::Step(3),
                LogRow::Step(4),
                LogRow::Folded { first: 5, last: 10, period: 2, times: 3 },
                LogRow::Step(11),
            ]
        );
        // Every step is shown or folded, once.
        let covered: usize = rows
            .iter()
            .map(|r| match r {
                LogRow::Step(_) => 1,
                LogRow::Folded { first, last, .. } => last - first + 1,
            })
            .sum();
        assert_eq!(covered, keys.len());
    }

    #[test]
    fn two_repeats_do_not_fold_and_kept_steps_stay_visible() {
        assert!(fold_log(&[5, 5, 1], |_| false).iter().all(|r| matches!(r, LogRow::Step(_))));
        // A 9-step loop (DragonFly's send retry) seen twice folds its second iteration.
        let keys: Vec<u32> = [vec![1], (10..19).collect(), (10..19).collect(), vec![2]].concat();
        assert_eq!(fold_log(&keys, |_| false)[10], LogRow::Folded { first: 11, last: 19, period: 9, times: 1 });
        // Step 6 (inside the repetition) is the violation: the folding stops before it.
        let keys = [7; 8];
        let rows = fold_log(&keys, |k| k == 6);
        assert!(rows.contains(&LogRow::Step(6)), "{rows:?}");
        assert!(rows.contains(&LogRow::Folded { first: 2, last: 5, period: 1, times: 4 }), "{rows:?}");
    }
}

/// The banner over the machine: a violation, a lost wake-up at the end of a lasso, a
/// deadlock or lost shootdown, an error, or a finished run; None when there is nothing to say.
#[derive(Clone, Debug, PartialEq)]
pub struct BannerView {
    /// "violation", "deadlock", "error" or "done" (the banner's class).
    pub kind: &'static str,
    /// In bold first, when there is one.
    pub title: Option<String>,
    pub text: String,
    /// For a deadlock: each waiting CPU in words.
    pub waits: Vec<String>,
}

pub fn banner(p: &Pane) -> Option<BannerView> {
    use sdlab_engine::Property;
    let steps = p.session.steps();
    if let Some((step, v)) = p.session.first_violation() {
        return Some(BannerView {
            kind: "violation",
            title: Some(format!("Violation ({}) at step {step}: ", v.property)),
            text: v.message.clone(),
            waits: vec![],
        });
    }
    if let Some(plan) = p.plan.as_ref().filter(|q| q.cycle_start.is_some() && steps == q.choices.len()) {
        let k = plan.cycle_start.unwrap_or(0);
        return Some(BannerView {
            kind: "deadlock",
            title: Some(format!("Lost wake-up ({}) after step {steps}: ", plan.property.unwrap_or(Property::NoLost))),
            text: format!(
                "{} Steps {}–{} bring the machine back to the state after step {k}: they repeat forever.",
                plan.message,
                k + 1,
                plan.choices.len()
            ),
            waits: vec![],
        });
    }
    if let Some(stuck) = p.session.stuck() {
        let title = if stuck.property == Property::Deadlock { "Deadlock" } else { "Lost shootdown" };
        let waits = stuck
            .waits
            .iter()
            .map(|w| {
                let masked = if w.interrupts_enabled {
                    String::new()
                } else if w.masked.is_empty() {
                    " (interrupts disabled)".into()
                } else {
                    format!(" — interrupts disabled, {} pending but masked", w.masked.join(", "))
                };
                format!(
                    "CPU {} spins at line {} waiting while `{}`{}{masked}{}",
                    w.cpu,
                    w.line,
                    w.condition,
                    w.reads.as_ref().map(|(n, v)| format!(" — {n} is {v}")).unwrap_or_default(),
                    if w.self_deadlock {
                        " — in a handler, above the code it interrupted, the only code left that could end the wait"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        return Some(BannerView {
            kind: "deadlock",
            title: Some(format!("{title} ({}) after step {steps}: ", stuck.property)),
            text: "no CPU can make progress.".into(),
            waits,
        });
    }
    if let Some(e) = &p.error {
        return Some(BannerView { kind: "error", title: None, text: e.clone(), waits: vec![] });
    }
    let st = p.session.state();
    (st.cpus.iter().all(|c| c.stack.is_empty()) && steps > 0).then(|| BannerView {
        kind: "done",
        title: None,
        text: format!("Finished after {steps} steps: every CPU is idle, no property broken."),
        waits: vec![],
    })
}

/// The DOM id (without the pane's prefix) of the structure the last step wrote: the ring
/// view that draws the word, the per-CPU table, or the variable's own figure. The page
/// scrolls it into view, so that what a step changes is on screen (a DragonFly ring, a
/// scoreboard row below the fold). None when the step wrote no shared word.
pub fn touched(p: &Pane) -> Option<String> {
    let m = p.session.machine();
    // Stuck, what matters is what the waits are waiting on (a full ring, a scoreboard
    // row): the word the first waiting CPU reads, whatever the last step wrote.
    if let Some(stuck) = p.session.stuck() {
        let read = stuck.waits.iter().find_map(|w| w.reads.as_ref().map(|(name, _)| name.clone()));
        let name = read.as_deref().map(|n| n.split('[').next().unwrap_or(n));
        if let Some(v) = name.and_then(|n| m.prog().vars.iter().position(|d| d.name == n)) {
            return Some(figure(m, v));
        }
    }
    let e = p.session.log().last()?;
    let addr = e.effects.iter().rev().find_map(|fx| match *fx {
        Effect::Write { addr, .. } | Effect::Rmw { addr, .. } | Effect::StoreCommitted { addr, .. } => Some(addr),
        _ => None,
    })?;
    let v = m.vars().iter().position(|l| addr >= l.base && addr < l.base + l.size())?;
    Some(figure(m, v))
}

/// The DOM id (without the pane's prefix) of the figure that draws variable `v`.
fn figure(m: &sdlab_engine::Machine, v: usize) -> String {
    let decl = &m.prog().vars[v];
    let ring = m.prog().views.iter().find(|w| {
        w.kind == sdlab_engine::lang::program::ViewKind::Ring
            && w.vars.contains(&(v as u16))
            && w.ring(m.prog(), m.vars()).is_ok()
    });
    match ring {
        Some(w) => format!("view-{}", w.name),
        None if decl.per_cpu && m.vars()[v].dims.len() == 1 => "percpu-vars".to_string(),
        None => format!("var-{}", decl.name),
    }
}

/// One step of the counterexample timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineCell {
    pub step: usize,
    pub cpu: u8,
    /// The choice as the schedule writes it (`0`, `i1.3`, …).
    pub choice: String,
    pub done: bool,
    pub now: bool,
    /// The violating step (the last of a counterexample).
    pub violation: bool,
    /// After this step the violation can no longer be avoided.
    pub cause: bool,
    pub in_cycle: bool,
    /// The step logged a line of the kernel trace being played.
    pub traced: bool,
}

/// The "Find a race" panel: the checker's status, the loaded schedule as a timeline, and
/// the declared race's story while its counterexample is on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceView {
    pub check: crate::state::CheckStatus,
    /// A check was asked for and not started yet, and the generation it will run as.
    pub check_requested: bool,
    pub check_gen: u64,
    pub timeline: Option<(String, Vec<TimelineCell>)>,
    /// The step that makes the loaded race is still being looked for (`Plan::cause_pending`):
    /// the timeline's marks and label are not final yet.
    pub cause_pending: bool,
    /// The race's title and story.
    pub story: Option<(String, String)>,
}

pub fn race(p: &Pane) -> RaceView {
    // A kernel trace's run: its last step breaks nothing, and the steps that logged a
    // line of the trace are marked.
    let guide = p.guide.as_ref().filter(|g| p.plan.as_ref().is_some_and(|q| q.choices == g.schedule));
    let traced: std::collections::BTreeSet<usize> =
        guide.map(|g| g.lines.iter().map(|l| l.step + 1).collect()).unwrap_or_default();
    let timeline = p.plan.as_ref().map(|plan| {
        let now = p.session.steps();
        let n = if guide.is_some() { usize::MAX } else { plan.choices.len() };
        let cause = plan.cause.filter(|_| guide.is_none());
        let cells = (plan.choices.iter().enumerate())
            .map(|(i, c)| {
                let step = i + 1;
                TimelineCell {
                    step,
                    cpu: c.cpu(),
                    choice: c.to_string(),
                    done: step <= now,
                    now: step == now,
                    violation: step == n,
                    cause: cause == Some(step),
                    in_cycle: plan.cycle_start.is_some_and(|k| step > k),
                    traced: traced.contains(&step),
                }
            })
            .collect();
        let label = match plan.cycle_start {
            _ if guide.is_some() => format!(
                "the kernel's round as a run ({} steps; ▾ marks a step that logged a trace line): ",
                plan.choices.len()
            ),
            Some(k) => format!("lasso ({k} steps, then a cycle of {} that repeats): ", n - k),
            None if plan.property.is_none() => format!("schedule from the link ({n} steps): "),
            None => match cause {
                Some(k) => format!(
                    "counterexample ({n} steps; ◆ after step {k} it can no longer be avoided; ⚠ step {n} breaks the property): "
                ),
                None if plan.cause_pending => {
                    format!("counterexample ({n} steps; looking for the step after which it can no longer be avoided…): ")
                }
                None => format!("counterexample ({n} steps): "),
            },
        };
        (label, cells)
    });
    RaceView {
        check: p.check.clone(),
        check_requested: p.check_requested,
        check_gen: p.check_gen,
        timeline,
        cause_pending: p.plan.as_ref().is_some_and(|q| q.cause_pending && guide.is_none()),
        story: p.race().map(|r| (r.title.clone(), r.story.clone())),
    }
}

/// What the toolbar shows, for deciding when to draw it again: the configuration, the
/// modes and the run controls' states, not the run itself (the step count has its own
/// component), so a step that changes none of these does not draw the toolbar.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolbarView {
    /// The program by identity: a new model, or an edit that compiled, is a new one.
    pub prog: usize,
    pub model_id: String,
    pub cfg: sdlab_engine::Config,
    pub editor: bool,
    pub presenter: bool,
    pub gif_panel: bool,
    pub compare: bool,
    pub running: bool,
    pub speed_ms: u32,
    pub seed: u64,
    pub can_go_back: bool,
    pub demo_offered: bool,
    pub demo: Option<crate::pace::Pace>,
}

pub fn toolbar(p: &Pane) -> ToolbarView {
    ToolbarView {
        prog: std::sync::Arc::as_ptr(&p.prog) as usize,
        model_id: p.model_id.clone(),
        cfg: p.cfg.clone(),
        editor: p.editor,
        presenter: p.presenter,
        gif_panel: p.gif_panel,
        compare: p.compare.is_some(),
        running: p.running,
        speed_ms: p.speed_ms,
        seed: p.seed,
        can_go_back: p.session.steps() > 0,
        demo_offered: p.plan.as_ref().is_some_and(|q| !q.choices.is_empty()),
        demo: p.demo.as_ref().map(|(_, _, pace)| pace.clone()),
    }
}
