//! Breadth-first model checker over the step API: it explores every interleaving of the
//! machine and returns the *shortest* schedule that breaks a property, as a `Vec<Choice>`
//! that replays in a `Session` (the stepper, the CLI, a permalink).
//!
//! Properties: G-STALE and the model's assertions (reported by `step`), G-DEADLOCK and
//! G-NOLOST (a reachable state where no choice is enabled while some CPU still has
//! work; spin-waits are waits, see ARCHITECTURE.md), and model faults (an index out of
//! bounds, a double free) which are reported as such.
//!
//! Visited states are kept as 128-bit fingerprints (hash compaction): 20 bytes per state
//! with its parent link. Two distinct states collide with probability about n²/2¹²⁹, far
//! below 10⁻¹⁸ for a billion states. The checker is driven in slices (`run(budget)`), has
//! no threads and no clock, so the CLI and a web worker report progress and can cancel.

use crate::machine::{Choice, Ctx, Effect, Machine, State, Violation};
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Breadth-first: the shortest counterexample for every safety property.
    Bfs,
    /// Depth-first: a counterexample (not necessarily the shortest), with optional
    /// partial-order reduction; finds fair non-progress cycles on its way.
    Dfs,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Stop with `Limit` after this many distinct states.
    pub max_states: usize,
    /// Stop with `Limit` when the frontier would go deeper than this.
    pub max_depth: u32,
    pub mode: Mode,
    /// Partial-order reduction (depth-first mode only): see `dfs.rs` for what it skips
    /// and why that preserves every property checked.
    pub por: bool,
    /// After a breadth-first search that finds nothing, search depth-first for a fair
    /// cycle in which a CPU waits forever (G-NOLOST as a lasso).
    pub liveness: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_states: 5_000_000, max_depth: 10_000, mode: Mode::Bfs, por: false, liveness: true }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Outcome {
    Verified,
    Violation {
        property: String,
        message: String,
        /// The shortest schedule from the initial state to the violating step (or to
        /// the stuck state).
        schedule: Vec<String>,
        #[serde(skip)]
        choices: Vec<Choice>,
        /// For a lasso (a waiter that is never released): the index in `schedule` where
        /// the cycle starts; the schedule ends where the cycle closes.
        cycle_start: Option<usize>,
    },
    /// A model error was reached (not a property of the algorithm).
    Fault {
        message: String,
        schedule: Vec<String>,
        #[serde(skip)]
        choices: Vec<Choice>,
    },
    Limit {
        reason: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub states: u64,
    pub transitions: u64,
    pub depth: u32,
    pub frontier: u64,
}

/// A 128-bit fingerprint hasher: two independent 64-bit lanes mixed per word.
#[derive(Clone, Copy)]
struct Fp {
    a: u64,
    b: u64,
}

impl Fp {
    fn new() -> Fp {
        Fp { a: 0x243F_6A88_85A3_08D3, b: 0x1319_8A2E_0370_7344 }
    }
    fn word(&mut self, x: u64) {
        self.a = (self.a ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        self.b = (self.b.rotate_left(17) ^ x).wrapping_mul(0xC2B2_AE3D_27D4_EB4F).wrapping_add(0x1656_67B1_9E37_79F9);
    }
    fn finish128(&self) -> u128 {
        let a = crate::schedule::splitmix64(self.a ^ self.b.rotate_left(7));
        let b = crate::schedule::splitmix64(self.b ^ a);
        ((a as u128) << 64) | b as u128
    }
}

/// The state packed densely into 64-bit words and mixed into 128 bits. Packing first
/// (rather than feeding `derive(Hash)` field by field) cuts the mixing work several-fold;
/// this is the checker's hottest function.
pub fn fingerprint(s: &State) -> u128 {
    let mut h = Fp::new();
    let mut pair = |lo: u64, hi: u64| h.word(lo | (hi << 32));
    for w in s.mem.chunks(2) {
        pair(w[0] as u32 as u64, w.get(1).map_or(0, |&x| x as u32 as u64));
    }
    h.word(0xFEED_0000 | s.mem.len() as u64);
    for c in &s.cpus {
        h.word(
            c.intr as u64
                | (c.nmi_latch as u64) << 1
                | (c.thread_done as u64) << 2
                | (c.aspace as u64) << 8
                | (c.crit as u64) << 16
                | (c.pin as u64) << 32
                | (c.stack.len() as u64) << 48
                | (c.tlb.len() as u64) << 56,
        );
        h.word(c.irr as u64 | (c.isr as u64) << 32);
        for a in &c.stack {
            let ctx = match a.ctx {
                Ctx::Thread => 0u64,
                Ctx::Irq(v) => 1 + v as u64,
                Ctx::Nmi => 255,
            };
            h.word(
                a.proc as u64
                    | (a.pc as u64 & 0xFFFFF) << 16
                    | ctx << 36
                    | (a.ctx_base as u64) << 44
                    | (a.saved_if as u64) << 45
                    | (a.base as u64 & 0x3FFFF) << 46,
            );
        }
        h.word(0xC0C0_0000 | c.locals.len() as u64);
        for w in c.locals.chunks(2) {
            h.word(w[0] as u32 as u64 | (w.get(1).map_or(0, |&x| x as u32 as u64)) << 32);
        }
        for e in &c.tlb {
            h.word(e.va as u32 as u64 | (e.frame as u64) << 32 | (e.gen as u64) << 48);
            h.word(e.aspace as u64 | (e.writable as u64) << 8 | (e.dirty as u64) << 9);
        }
    }
    for p in &s.ptes {
        h.word(
            p.frame as u64
                | (p.present as u64) << 16
                | (p.writable as u64) << 17
                | (p.dirty as u64) << 18
                | (p.accessed as u64) << 19,
        );
    }
    for f in &s.frames {
        h.word(f.allocated as u64 | (f.clean as u64) << 1 | (f.hidden as u64) << 2 | (f.gen as u64) << 3);
    }
    h.word(s.nmis_left as u64 | 0xE0D0_0000);
    h.finish128()
}

/// Identity hasher for keys that already are fingerprints.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ *b as u64;
        }
    }
    fn write_u128(&mut self, i: u128) {
        self.0 = i as u64;
    }
}

const ROOT: u32 = u32::MAX;

pub struct Checker {
    machine: Machine,
    /// The depth-first search, in depth-first mode or for the liveness pass.
    dfs: Option<crate::dfs::Dfs>,
    /// Counts of the breadth-first pass, kept when the liveness pass takes over.
    bfs_done: bool,
    opts: Options,
    /// fingerprint → index into `links`
    seen: HashMap<u128, u32, BuildHasherDefault<PassThrough>>,
    /// parent node and the choice that led here, per node
    links: Vec<(u32, Choice)>,
    frontier: VecDeque<(u32, u32, State)>,
    progress: Progress,
    outcome: Option<Outcome>,
    en: Vec<Choice>,
    fx: Vec<Effect>,
    /// Every successor is computed here first; only new states are copied out.
    scratch: State,
    en2: Vec<Choice>,
}

impl Checker {
    pub fn new(machine: Machine, opts: Options) -> Checker {
        let s0 = machine.initial();
        let dfs = (opts.mode == Mode::Dfs).then(|| crate::dfs::Dfs::new(&machine, opts.por, true));
        let mut c = Checker {
            dfs,
            bfs_done: false,
            machine,
            opts,
            seen: HashMap::default(),
            links: Vec::new(),
            frontier: VecDeque::new(),
            progress: Progress::default(),
            outcome: None,
            en: Vec::new(),
            fx: Vec::new(),
            scratch: s0.clone(),
            en2: Vec::new(),
        };
        c.seen.insert(fingerprint(&s0), ROOT);
        c.progress.states = 1;
        if let Some(stuck) = c.machine.stuck(&s0) {
            c.outcome = Some(violation(stuck.property, stuck.message, vec![]));
        }
        c.frontier.push_back((ROOT, 0, s0));
        c
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

    fn path(&self, mut node: u32) -> Vec<Choice> {
        let mut out = Vec::new();
        while node != ROOT {
            let (parent, c) = self.links[node as usize];
            out.push(c);
            node = parent;
        }
        out.reverse();
        out
    }

    /// Explore up to `budget` transitions; returns whether the check is over.
    pub fn run(&mut self, budget: u64) -> bool {
        if let Some(d) = &mut self.dfs {
            let done = d.run(&self.machine, &self.opts, budget, &mut self.progress);
            if done {
                let found = d.outcome.take();
                match found {
                    Some(o) => self.outcome = Some(o),
                    None if self.bfs_done => self.outcome = Some(Outcome::Verified),
                    None => self.outcome = Some(Outcome::Verified),
                }
                self.dfs = None;
            }
            return done;
        }
        if self.bfs_done {
            return true;
        }
        let stop = self.progress.transitions.saturating_add(budget);
        while self.outcome.is_none() {
            if self.progress.transitions >= stop {
                return false;
            }
            let Some((node, depth, state)) = self.frontier.pop_front() else {
                if self.opts.liveness && !self.bfs_done {
                    // Safety holds; now look for waiters that are never released.
                    self.bfs_done = true;
                    self.seen = HashMap::default();
                    self.links = Vec::new();
                    self.dfs = Some(crate::dfs::Dfs::new(&self.machine, false, false));
                    return false;
                }
                self.outcome = Some(Outcome::Verified);
                break;
            };
            self.progress.depth = self.progress.depth.max(depth);
            if depth >= self.opts.max_depth {
                self.outcome =
                    Some(Outcome::Limit { reason: format!("depth limit of {} steps reached", self.opts.max_depth) });
                break;
            }
            self.machine.enabled(&state, &mut self.en);
            let en = std::mem::take(&mut self.en);
            for &choice in &en {
                self.scratch.clone_from(&state);
                let next = &mut self.scratch;
                self.fx.clear();
                self.progress.transitions += 1;
                match self.machine.step(next, choice, &mut self.fx) {
                    Err(f) => {
                        let mut path = self.path(node);
                        path.push(choice);
                        self.outcome =
                            Some(Outcome::Fault { message: f.to_string(), schedule: strings(&path), choices: path });
                        break;
                    }
                    Ok(st) => {
                        if let Some(Violation { property, message, .. }) = st.violation {
                            let mut path = self.path(node);
                            path.push(choice);
                            self.outcome = Some(violation(property, message, path));
                            break;
                        }
                    }
                }
                let fp = fingerprint(&self.scratch);
                let id = self.links.len() as u32;
                if let Entry::Vacant(v) = self.seen.entry(fp) {
                    v.insert(id);
                    self.links.push((node, choice));
                    self.progress.states += 1;
                    self.machine.enabled(&self.scratch, &mut self.en2);
                    if let Some(stuck) = self.en2.is_empty().then(|| self.machine.stuck(&self.scratch)).flatten() {
                        self.outcome = Some(violation(stuck.property, stuck.message, self.path(id)));
                        break;
                    }
                    if self.progress.states as usize >= self.opts.max_states {
                        self.outcome = Some(Outcome::Limit {
                            reason: format!(
                                "state limit of {} reached at depth {} with {} states still to explore",
                                self.opts.max_states,
                                depth + 1,
                                self.frontier.len()
                            ),
                        });
                        break;
                    }
                    self.frontier.push_back((id, depth + 1, self.scratch.clone()));
                }
            }
            self.en = en;
            self.progress.frontier = self.frontier.len() as u64;
        }
        self.progress.frontier = self.frontier.len() as u64;
        true
    }

    /// Whether the breadth-first pass is over and the liveness pass runs.
    pub fn in_liveness_pass(&self) -> bool {
        self.bfs_done && self.outcome.is_none()
    }

    /// Run to the end.
    pub fn check(mut self) -> (Outcome, Progress) {
        while !self.run(u64::MAX) {}
        (self.outcome.take().unwrap_or(Outcome::Verified), self.progress)
    }
}

pub(crate) fn strings(path: &[Choice]) -> Vec<String> {
    path.iter().map(|c| c.to_string()).collect()
}

pub(crate) fn violation(property: &str, message: String, path: Vec<Choice>) -> Outcome {
    Outcome::Violation {
        property: property.to_string(),
        message,
        schedule: strings(&path),
        choices: path,
        cycle_start: None,
    }
}

impl Outcome {
    pub fn choices(&self) -> &[Choice] {
        match self {
            Outcome::Violation { choices, .. } | Outcome::Fault { choices, .. } => choices,
            _ => &[],
        }
    }
}
