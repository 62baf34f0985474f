//! The model checker over the step API: it explores every interleaving of the machine
//! and returns a schedule that breaks a property, as a `Vec<Choice>` that replays in a
//! `Session` (the stepper, the CLI, a permalink) — breadth-first the *shortest* one.
//!
//! Properties: G-STALE and the model's assertions (reported by `step`), G-DEADLOCK and
//! G-NOLOST (a reachable state where no choice is enabled while some CPU still has
//! work; spin-waits are waits, see ARCHITECTURE.md), and model faults (an index out of
//! bounds, a double free) which are reported as such.
//!
//! Visited states are kept as 128-bit fingerprints (hash compaction, `fingerprint.rs`)
//! in an open-addressed table (`visited.rs`), breadth-first with an 8-byte parent link
//! each. The checker is driven in slices (`run(budget)`), so the CLI and a web worker
//! report progress and can cancel.
//!
//! The files, in the order a search uses them: `options.rs` and `outcome.rs` (what goes
//! in and comes out, and the helpers every phase words outcomes with), `bfs.rs` (levels
//! over `frontier.rs`'s records), `canon.rs` (CPU symmetry for it), `level.rs` (one wide
//! level on several threads), `dfs.rs` (depth-first search, partial-order reduction and
//! the liveness pass), `partition.rs` (the breadth-first search split across workers
//! that share no memory, for the page's web workers, and the liveness pass on its own),
//! `fingerprint.rs`, `visited.rs`. Imports only go down that list
//! to the shared files, never back to this one or between the phases.
//!
//! **Threads and the clock live in `pool.rs` only**: the fork-join pool that `level.rs`
//! expands a level on, with `Options::threads > 1` (native: the CLI's `--threads`). It
//! reads `Instant` to spin briefly before parking; nothing it computes depends on time
//! or scheduling, so the result is the one-thread result. In the browser the search
//! never starts the pool: the page splits it across web workers (`partition.rs`).

mod bfs;
mod canon;
mod dfs;
mod fingerprint;
mod frontier;
mod level;
mod options;
mod outcome;
pub mod partition;
mod pool;
mod visited;

pub use fingerprint::fingerprint;
pub use options::{Mode, Options};
pub use outcome::{Outcome, Progress};

use crate::machine::Machine;
use bfs::{Bfs, Ran};
use canon::Canon;
use dfs::Dfs;
use outcome::violation;

/// Where a check is: which search runs, or that it is over.
enum Phase {
    Breadth(Box<Bfs>),
    Depth(Box<Dfs>),
    /// After a breadth-first search that found nothing: a depth-first search for fair
    /// cycles in which a CPU waits forever (`Options::liveness`).
    Liveness(Box<Dfs>),
    Over,
}

pub struct Checker {
    machine: Machine,
    opts: Options,
    phase: Phase,
    progress: Progress,
    outcome: Option<Outcome>,
    /// What the reductions in force are, in words.
    reductions: String,
}

impl Checker {
    pub fn new(machine: Machine, opts: Options) -> Checker {
        let machine = machine.with_preemption_bound(opts.preemptions);
        let mut canon = None;
        let reductions = match opts.mode {
            Mode::Bfs if opts.symmetry => {
                let (c, text) = Canon::new(&machine);
                let words = match c {
                    Some(_) => format!("CPU symmetry ({text})"),
                    None => format!("none ({text})"),
                };
                canon = c;
                words
            }
            Mode::Dfs if opts.por => "partial-order reduction (private steps)".into(),
            _ => "none".into(),
        };
        let s0 = machine.initial();
        let (phase, outcome) = match machine.stuck(&s0) {
            Some(stuck) => (Phase::Over, Some(violation(stuck.property, stuck.message, vec![]))),
            None => match opts.mode {
                Mode::Bfs => (Phase::Breadth(Box::new(Bfs::new(&machine, &opts, canon))), None),
                Mode::Dfs => (Phase::Depth(Box::new(Dfs::new(&machine, opts.por, true))), None),
            },
        };
        let progress = Progress { states: 1, ..Progress::default() };
        Checker { machine, opts, phase, progress, outcome, reductions }
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The reductions in force, in words: "CPU symmetry (CPUs 1–3 are interchangeable)",
    /// or "none (no CPU symmetry: line 101: …)" saying why none applies.
    pub fn reductions(&self) -> &str {
        &self.reductions
    }

    /// What a verdict covers, in words, for a scenario with threads: "with up to 2
    /// preemptions", or "with any number of preemptions" without a bound. `None` without
    /// threads, where nothing is ever preempted.
    pub fn preemption_words(&self) -> Option<String> {
        self.machine.has_threads().then(|| match self.opts.preemptions {
            None => "with any number of preemptions".to_string(),
            Some(1) => "with up to 1 preemption".to_string(),
            Some(k) => format!("with up to {k} preemptions"),
        })
    }

    /// Explore up to `budget` transitions; returns whether the check is over.
    pub fn run(&mut self, budget: u64) -> bool {
        let (m, opts, progress) = (&self.machine, &self.opts, &mut self.progress);
        let found = match &mut self.phase {
            Phase::Over => return true,
            Phase::Breadth(b) => match b.run(m, opts, budget, progress) {
                Ran::Paused => return false,
                Ran::Over(None) if opts.liveness => {
                    // Safety holds; now look for waiters that are never released. The
                    // liveness pass explores the full state space, without symmetry.
                    self.phase = Phase::Liveness(Box::new(Dfs::new(m, false, false)));
                    return false;
                }
                Ran::Over(found) => found,
            },
            Phase::Depth(d) | Phase::Liveness(d) => match d.run(m, opts, budget, progress) {
                false => return false,
                true => d.outcome.take(),
            },
        };
        self.outcome = Some(found.unwrap_or(Outcome::Verified));
        self.phase = Phase::Over;
        true
    }

    /// Whether the breadth-first pass is over and the liveness pass runs.
    pub fn in_liveness_pass(&self) -> bool {
        matches!(self.phase, Phase::Liveness(_))
    }

    /// Run to the end.
    pub fn check(mut self) -> (Outcome, Progress) {
        while !self.run(u64::MAX) {}
        (self.outcome.take().unwrap_or(Outcome::Verified), self.progress)
    }
}
