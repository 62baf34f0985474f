//! Breadth-first model checker over the step API: it explores every interleaving of the
//! machine and returns the *shortest* schedule that breaks a property, as a `Vec<Choice>`
//! that replays in a `Session` (the stepper, the CLI, a permalink).
//!
//! Properties: G-STALE and the model's assertions (reported by `step`), G-DEADLOCK and
//! G-NOLOST (a reachable state where no choice is enabled while some CPU still has
//! work; spin-waits are waits, see ARCHITECTURE.md), and model faults (an index out of
//! bounds, a double free) which are reported as such.
//!
//! Visited states are kept as 128-bit fingerprints (hash compaction) of their compact
//! encoding: a 16-byte slot in an open-addressed table plus an 8-byte parent link. Two
//! distinct states collide with probability about n²/2¹²⁹, far below 10⁻¹⁸ for a billion
//! states. The checker is driven in slices (`run(budget)`), has
//! no threads and no clock, so the CLI and a web worker report progress and can cancel.

mod canon;
mod dfs;
mod level;
mod pool;
mod visited;

use crate::machine::{Choice, Effect, Machine, State, Violation};
use serde::Serialize;
use std::hash::Hasher;
pub(crate) use visited::FpSet;
use visited::Shards;

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
    /// Threads expanding each breadth-first level (`level.rs`); the result is the same
    /// for every count. 1 in the browser, which has no threads.
    pub threads: usize,
    /// With several threads, levels of fewer records are expanded on one: below about a
    /// thousand, waking the threads three times and stepping the new states twice cost
    /// more than they save (measured on the scoreboard's E1 search, whose levels have
    /// 300–1 800 records). Tests set 1 to run every level on the threads.
    pub parallel_level: usize,
    /// Records per thread in one round of a parallel level: the successors' encodings of
    /// a round are kept until its new states are, so this bounds that memory (4096: a few
    /// megabytes per thread). Tests make it small to cross many round boundaries.
    pub parallel_chunk: usize,
    /// Breadth-first only: keep one state per orbit of interchangeable CPUs, where the
    /// configuration has some (`Machine::symmetry`, canon.rs). The liveness pass and the
    /// depth-first search never reduce by symmetry.
    pub symmetry: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_states: 5_000_000,
            max_depth: 10_000,
            mode: Mode::Bfs,
            por: false,
            liveness: true,
            threads: 1,
            parallel_level: 1024,
            parallel_chunk: 4096,
            symmetry: true,
        }
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

/// 64×64→128-bit multiply folded to 64 bits: one instruction pair on x86-64 and the core
/// of the wyhash family.
#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ (r >> 64) as u64
}

const S0: u64 = 0xA076_1D64_78BD_642F;
const S1: u64 = 0xE703_7ED1_A0B4_28DB;
const S2: u64 = 0x8EBC_6AF0_9C88_C6E3;
const S3: u64 = 0x5899_65CC_7537_4CC3;
const SECRET: [u64; 4] = [0x1D8E_4E27_C47D_124F, 0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9];

/// 128-bit hash of a word buffer: four wyhash-style lanes with independent secrets, each
/// taking 16 bytes per multiply, so that four multiplies are in flight at once (a state
/// of 4 CPUs is about 100 words; one chain made hashing 15 % of a search, waiting on each
/// multiply in turn). The lanes are folded pairwise and finalised by SplitMix64 so that
/// every output bit depends on every input bit. The length seeds the lanes, so zero
/// padding of the last block is unambiguous.
pub(crate) fn hash128(w: &[u32]) -> u128 {
    let n = w.len() as u64;
    let mut lane = [S0 ^ n, S1 ^ n.rotate_left(16), S2 ^ n.rotate_left(32), S3 ^ n.rotate_left(48)];
    let mut blocks = w.chunks_exact(16);
    for c in &mut blocks {
        for (k, l) in lane.iter_mut().enumerate() {
            let (x, y) = (pair(c[4 * k], c[4 * k + 1]), pair(c[4 * k + 2], c[4 * k + 3]));
            *l = mix(x ^ SECRET[k], y ^ *l);
        }
    }
    let r = blocks.remainder();
    if !r.is_empty() {
        let mut t = [0u32; 16];
        t[..r.len()].copy_from_slice(r);
        for (k, l) in lane.iter_mut().enumerate().take(r.len().div_ceil(4)) {
            let (x, y) = (pair(t[4 * k], t[4 * k + 1]), pair(t[4 * k + 2], t[4 * k + 3]));
            *l = mix(x ^ SECRET[k], y ^ *l);
        }
    }
    let a = mix(lane[0] ^ S2, lane[2] ^ S3);
    let b = mix(lane[1] ^ S0, lane[3] ^ S1);
    let hi = crate::schedule::splitmix64(a ^ b.rotate_left(7));
    let lo = crate::schedule::splitmix64(b ^ hi);
    ((hi as u128) << 64) | lo as u128
}

#[inline(always)]
fn pair(lo: u32, hi: u32) -> u64 {
    lo as u64 | (hi as u64) << 32
}

/// The 128-bit fingerprint of a state: the hash of its compact encoding
/// (`State::encode`), which is lossless, so distinct states differ in their words.
pub fn fingerprint(s: &State) -> u128 {
    let mut buf = Vec::with_capacity(64);
    s.encode(&mut buf);
    hash128(&buf)
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

fn choice_word(c: Choice) -> u32 {
    match c {
        Choice::Step(c) => c as u32,
        // Tag 0 with bit 8 set: the two bits of tags are all taken.
        Choice::Drain(c) => 1 << 8 | c as u32,
        // Tag 0 with bit 9 set, the vector in bits 10..18 (steps and drains leave 9..30 clear).
        Choice::Lose(c, v) => 1 << 9 | (v as u32) << 10 | c as u32,
        Choice::Irq(c, v) => 1 << 30 | (v as u32) << 8 | c as u32,
        Choice::Nmi(c) => 2 << 30 | c as u32,
        // Shares the NMI tag, told apart by bit 29 (NMIs leave bits 8..30 clear).
        Choice::Bcast(c, k) => 2 << 30 | 1 << 29 | (k as u32) << 8 | c as u32,
        Choice::Fill(c, s) => 3 << 30 | (s as u32) << 8 | c as u32,
    }
}

pub(crate) fn word_choice(w: u32) -> Choice {
    let c = w as u8;
    match w >> 30 {
        0 if w & 1 << 9 != 0 => Choice::Lose(c, (w >> 10) as u8),
        0 if w & 1 << 8 != 0 => Choice::Drain(c),
        0 => Choice::Step(c),
        1 => Choice::Irq(c, (w >> 8) as u8),
        2 if w & 1 << 29 != 0 => Choice::Bcast(c, (w >> 8) as u8),
        2 => Choice::Nmi(c),
        _ => Choice::Fill(c, (w >> 8) as u16),
    }
}

pub struct Checker {
    machine: Machine,
    /// The depth-first search, in depth-first mode or for the liveness pass.
    dfs: Option<dfs::Dfs>,
    /// Counts of the breadth-first pass, kept when the liveness pass takes over.
    bfs_done: bool,
    opts: Options,
    seen: Shards,
    /// parent node and the choice that led here, per node
    links: Vec<(u32, Choice)>,
    /// The frontier, one level at a time: records of the level being expanded (`level`,
    /// read from `head`) and of the next one, each record being the node, its enabled
    /// choices (computed anyway when the state was found, to see whether it is stuck) and
    /// the state's compact encoding. Flat buffers: no allocation or free per state.
    cur: Vec<u32>,
    head: usize,
    next: Vec<u32>,
    /// Where each record of `cur` and `next` starts, to cut a level into slices.
    cur_offsets: Vec<u32>,
    next_offsets: Vec<u32>,
    /// The threads and per-thread buffers of the parallel level expansion (none with
    /// one thread, or where threads cannot start).
    pool: Option<pool::Pool>,
    workers: Vec<level::Worker>,
    level: u32,
    /// Records not yet expanded, in both levels.
    queued: u64,
    progress: Progress,
    outcome: Option<Outcome>,
    en: Vec<Choice>,
    fx: Vec<Effect>,
    /// The state being expanded, decoded from the frontier.
    state: State,
    /// Every successor is computed here first; only new states are encoded into the frontier.
    scratch: State,
    /// The next successor, computed one choice ahead, and its encoding.
    ahead: State,
    /// CPU symmetry in force (breadth-first), and what the reductions are in words.
    canon: Option<canon::Canon>,
    reductions: String,
    words_ahead: Vec<u32>,
    en2: Vec<Choice>,
    words: Vec<u32>,
}

impl Checker {
    pub fn new(machine: Machine, opts: Options) -> Checker {
        let s0 = machine.initial();
        let dfs = (opts.mode == Mode::Dfs).then(|| dfs::Dfs::new(&machine, opts.por, true));
        let mut c = Checker {
            dfs,
            bfs_done: false,
            machine,
            seen: Shards::new(1),
            links: Vec::new(),
            cur: Vec::new(),
            head: 0,
            next: Vec::new(),
            cur_offsets: Vec::new(),
            next_offsets: Vec::new(),
            pool: None,
            workers: Vec::new(),
            level: 0,
            queued: 0,
            progress: Progress::default(),
            outcome: None,
            en: Vec::new(),
            fx: Vec::new(),
            state: s0.clone(),
            scratch: s0.clone(),
            ahead: s0.clone(),
            canon: None,
            reductions: String::new(),
            words_ahead: Vec::new(),
            en2: Vec::new(),
            words: Vec::new(),
            opts,
        };
        if c.opts.mode == Mode::Bfs && c.opts.symmetry {
            let (canon, text) = canon::Canon::new(&c.machine);
            c.reductions = match canon {
                Some(_) => format!("CPU symmetry ({text})"),
                None => format!("none ({text})"),
            };
            c.canon = canon;
        } else if c.opts.mode == Mode::Dfs && c.opts.por {
            c.reductions = "partial-order reduction (private steps)".into();
        } else {
            c.reductions = "none".into();
        }
        if c.opts.threads > 1 && c.opts.mode == Mode::Bfs {
            c.pool = pool::Pool::new(c.opts.threads);
        }
        if let Some(pool) = &c.pool {
            c.seen = Shards::new(pool.workers());
            let (m, canon) = (&c.machine, &c.canon);
            c.workers = (0..pool.workers()).map(|_| level::Worker::new(canon.as_ref().map(|k| k.fork(m)))).collect();
        }
        c.seen.insert(fingerprint(&s0));
        c.progress.states = 1;
        if let Some(stuck) = c.machine.stuck(&s0) {
            c.outcome = Some(violation(stuck.property, stuck.message, vec![]));
        }
        c.machine.enabled(&s0, &mut c.en2);
        s0.encode(&mut c.words);
        push_record(&mut c.cur, &mut c.cur_offsets, ROOT, &c.en2, &c.words);
        c.queued = 1;
        c
    }

    /// Step `s` (a copy of the state being expanded) by `c`, replace it by its orbit's
    /// representative under CPU symmetry, encode it into `words` and start loading its
    /// visited-set slot.
    fn successor(
        m: &Machine,
        s: &mut State,
        c: Choice,
        fx: &mut Vec<Effect>,
        words: &mut Vec<u32>,
        seen: &Shards,
        canon: &mut Option<canon::Canon>,
    ) -> (Result<crate::machine::Stepped, crate::machine::Fault>, u128) {
        let r = m.step(s, c, fx);
        if r.is_err() {
            return (r, 0);
        }
        if let Some(k) = canon {
            k.represent(s);
        }
        s.encode(words);
        let fp = hash128(words);
        seen.prefetch(fp);
        (r, fp)
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

    fn path(&self, node: u32) -> Vec<Choice> {
        path_to(&self.links, node)
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
        // An outcome set before the search (a stuck initial state) has no level to settle.
        let searching = self.outcome.is_none();
        while self.outcome.is_none() {
            if self.progress.transitions >= stop {
                return false;
            }
            if self.head == self.cur.len() && !self.next.is_empty() {
                std::mem::swap(&mut self.cur, &mut self.next);
                std::mem::swap(&mut self.cur_offsets, &mut self.next_offsets);
                self.next.clear();
                self.next_offsets.clear();
                self.head = 0;
                self.level += 1;
            }
            if self.head == 0 && self.cur_offsets.len() >= self.opts.parallel_level && self.pool.is_some() {
                self.expand_level();
                continue;
            }
            if self.head == self.cur.len() {
                if self.opts.liveness && !self.bfs_done {
                    // Safety holds; now look for waiters that are never released.
                    self.bfs_done = true;
                    self.seen = Shards::new(1);
                    self.pool = None;
                    self.workers = Vec::new();
                    // The liveness pass explores the full state space.
                    self.canon = None;
                    self.links = Vec::new();
                    self.cur = Vec::new();
                    self.next = Vec::new();
                    self.dfs = Some(dfs::Dfs::new(&self.machine, false, false));
                    return false;
                }
                self.outcome = Some(Outcome::Verified);
                break;
            }
            let (node, en, words) = read_record(&self.cur[self.head..]);
            self.en.clear();
            self.en.extend(en.iter().map(|&w| word_choice(w)));
            self.head += 2 + en.len() + self.state.decode_from(words);
            self.queued -= 1;
            let depth = self.level;
            self.progress.depth = self.progress.depth.max(depth);
            if depth >= self.opts.max_depth {
                self.outcome =
                    Some(Outcome::Limit { reason: format!("depth limit of {} steps reached", self.opts.max_depth) });
                break;
            }
            let en = std::mem::take(&mut self.en);
            // Successor k+1 is computed before successor k is looked up in the visited
            // set, so that the two lookups' cache misses overlap with stepping and hashing
            // (the lookup is a miss at a random address in a table of hundreds of MB).
            let mut cur = en.first().map(|&c| {
                self.scratch.clone_from(&self.state);
                self.fx.clear();
                Self::successor(
                    &self.machine,
                    &mut self.scratch,
                    c,
                    &mut self.fx,
                    &mut self.words,
                    &self.seen,
                    &mut self.canon,
                )
            });
            for (k, &choice) in en.iter().enumerate() {
                let Some((result, fp)) = cur.take() else { break };
                if let Some(&c2) = en.get(k + 1) {
                    // `ahead` holds the successor by choice k-1 (it was swapped out below).
                    // `restore` copies back only what a step of one CPU changes; a
                    // representative may have renamed every CPU.
                    match k {
                        _ if k == 0 || self.canon.is_some() => self.ahead.clone_from(&self.state),
                        _ => self.ahead.restore(&self.state, en[k - 1].cpu() as usize),
                    }
                    self.fx.clear();
                    cur = Some(Self::successor(
                        &self.machine,
                        &mut self.ahead,
                        c2,
                        &mut self.fx,
                        &mut self.words_ahead,
                        &self.seen,
                        &mut self.canon,
                    ));
                }
                self.progress.transitions += 1;
                match result {
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
                if self.seen.insert(fp) {
                    let id = self.links.len() as u32;
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
                                self.queued
                            ),
                        });
                        break;
                    }
                    push_record(&mut self.next, &mut self.next_offsets, id, &self.en2, &self.words);
                    self.queued += 1;
                }
                std::mem::swap(&mut self.scratch, &mut self.ahead);
                std::mem::swap(&mut self.words, &mut self.words_ahead);
            }
            self.en = en;
            self.progress.frontier = self.queued;
        }
        self.progress.frontier = self.queued;
        if searching {
            self.first_of_level();
        }
        self.concretize();
        true
    }

    /// The search stopped at the first event (violation, fault, stuck state) of depth
    /// `level + 1` in the order it expands states. Which event that is depends on how
    /// states and CPUs are ordered, which CPU symmetry changes (a representative may
    /// number the CPUs differently); the *set* of properties broken at the shortest
    /// depth does not (a renaming maps a run to a run of the same length that breaks the
    /// same property). So every successor of the level is judged again and the event
    /// reported is the first of the best rank (`rank`): the same property in every
    /// breadth-first mode. Nothing is counted or stored: states and transitions stay
    /// those at the first event.
    fn first_of_level(&mut self) {
        let Some(first) = self.outcome.as_ref().and_then(rank) else { return };
        if first == 0 {
            // Nothing outranks it, and it is the first in the order of expansion.
            return;
        }
        let mut best: Option<(u8, Outcome)> = None;
        let mut at = 0;
        let mut state = State::empty();
        let mut next = State::empty();
        let mut en = Vec::new();
        while at < self.cur.len() {
            let (node, words_en, words) = read_record(&self.cur[at..]);
            en.clear();
            en.extend(words_en.iter().map(|&w| word_choice(w)));
            at += 2 + words_en.len() + state.decode_from(words);
            for &choice in &en {
                next.clone_from(&state);
                self.fx.clear();
                let event = match self.machine.step(&mut next, choice, &mut self.fx) {
                    Err(f) => Some(Err(f.to_string())),
                    Ok(st) => match st.violation {
                        Some(v) => Some(Ok((v.property, v.message))),
                        None => {
                            // A stuck successor seen before was stuck then, and would
                            // have been reported at a smaller depth: it is new here.
                            self.machine.enabled(&next, &mut self.en2);
                            let stuck = self.en2.is_empty().then(|| self.machine.stuck(&next)).flatten();
                            stuck.map(|st| Ok((st.property, st.message)))
                        }
                    },
                };
                let Some(event) = event else { continue };
                let mut path = self.path(node);
                path.push(choice);
                let o = match event {
                    Ok((property, message)) => violation(property, message, path),
                    Err(message) => Outcome::Fault { message, schedule: strings(&path), choices: path },
                };
                let r = rank(&o).unwrap_or(u8::MAX);
                if best.as_ref().is_none_or(|(b, _)| r < *b) {
                    best = Some((r, o));
                    if r == 0 {
                        at = self.cur.len();
                        break;
                    }
                }
            }
        }
        if let Some((_, o)) = best {
            self.outcome = Some(o);
        }
    }

    /// A breadth-first counterexample under CPU symmetry is a run among representatives:
    /// turn it into the run of the machine as it is, and word the message for it.
    fn concretize(&mut self) {
        let Some(canon) = &mut self.canon else { return };
        let (choices, schedule, message) = match &mut self.outcome {
            Some(Outcome::Violation { choices, schedule, message, cycle_start: None, .. }) => {
                (choices, schedule, message)
            }
            Some(Outcome::Fault { choices, schedule, message }) => (choices, schedule, message),
            _ => return,
        };
        *choices = canon.concrete(&self.machine, choices);
        *schedule = strings(choices);
        if let Some(m) = restate(&self.machine, choices) {
            *message = m;
        }
        self.canon = None;
    }

    /// The whole level in `cur` on the worker threads (`level.rs`).
    fn expand_level(&mut self) {
        if self.level >= self.opts.max_depth {
            self.outcome =
                Some(Outcome::Limit { reason: format!("depth limit of {} steps reached", self.opts.max_depth) });
            return;
        }
        let frontier = level::Frontier { records: &self.cur, offsets: &self.cur_offsets, depth: self.level };
        let grown = level::Grown {
            links: &mut self.links,
            next: &mut self.next,
            next_offsets: &mut self.next_offsets,
            progress: &mut self.progress,
            queued: &mut self.queued,
        };
        let Some(pool) = &self.pool else { return };
        self.outcome = level::expand(
            pool,
            &self.machine,
            &frontier,
            &mut self.workers,
            &mut self.seen,
            (self.opts.max_states, self.opts.parallel_chunk),
            grown,
        );
        self.head = self.cur.len();
        if self.outcome.is_none() {
            self.progress.frontier = self.queued;
        }
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

/// The order in which events found at the same breadth-first depth are preferred: the
/// hardware-level properties the checker exists for, then the model's assertions, then
/// stuck states, then model faults. None for an outcome that is no event (verified, a
/// limit, a lasso).
fn rank(o: &Outcome) -> Option<u8> {
    const ORDER: [&str; 7] = ["G-STALE", "G-DIRTY", "G-USERMODE-WINDOW", "G-MEM", "assert", "G-DEADLOCK", "G-NOLOST"];
    match o {
        Outcome::Violation { property, cycle_start: None, .. } => {
            Some(ORDER.iter().position(|p| p == property).unwrap_or(ORDER.len()) as u8)
        }
        Outcome::Fault { .. } => Some(ORDER.len() as u8 + 1),
        _ => None,
    }
}

/// Append a frontier record to `buf` (and where it starts to `offsets`): the node, its
/// enabled choices (computed anyway when the state was found, to see whether it is
/// stuck) and the state's compact encoding.
pub(crate) fn push_record(buf: &mut Vec<u32>, offsets: &mut Vec<u32>, node: u32, en: &[Choice], words: &[u32]) {
    offsets.push(buf.len() as u32);
    buf.push(node);
    buf.push(en.len() as u32);
    buf.extend(en.iter().map(|&c| choice_word(c)));
    buf.extend_from_slice(words);
}

/// The record starting `buf`: its node, its choices (as `choice_word`s) and the words
/// from its encoding on (to the end of `buf`; `State::decode_from` says how many).
pub(crate) fn read_record(buf: &[u32]) -> (u32, &[u32], &[u32]) {
    let n = buf[1] as usize;
    (buf[0], &buf[2..2 + n], &buf[2 + n..])
}

/// The schedule from the initial state to `node`, following the parent links.
pub(crate) fn path_to(links: &[(u32, Choice)], mut node: u32) -> Vec<Choice> {
    let mut out = Vec::new();
    while node != ROOT {
        let (parent, c) = links[node as usize];
        out.push(c);
        node = parent;
    }
    out.reverse();
    out
}

/// What the last step of `path` breaks, or why its end is stuck, in the words of this
/// run (CPU numbers included).
fn restate(m: &Machine, path: &[Choice]) -> Option<String> {
    let mut s = m.initial();
    let mut fx = Vec::new();
    for (i, &c) in path.iter().enumerate() {
        fx.clear();
        match m.step(&mut s, c, &mut fx) {
            Err(f) => return Some(f.to_string()),
            Ok(st) if i + 1 == path.len() => {
                if let Some(v) = st.violation {
                    return Some(v.message);
                }
            }
            Ok(_) => {}
        }
    }
    m.stuck(&s).map(|st| st.message)
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

#[cfg(test)]
mod tests {
    use super::{choice_word, hash128, word_choice};
    use crate::machine::Choice;
    use std::collections::HashSet;

    #[test]
    fn every_kind_of_choice_survives_the_parent_links() {
        let all = [
            Choice::Step(31),
            Choice::Irq(31, 255),
            Choice::Fill(31, 65535),
            Choice::Nmi(31),
            Choice::Drain(31),
            Choice::Bcast(31, 255),
            Choice::Step(0),
            Choice::Drain(0),
            Choice::Bcast(0, 0),
            Choice::Lose(31, 255),
            Choice::Lose(0, 0),
            Choice::Lose(7, 1),
        ];
        for c in all {
            assert_eq!(word_choice(choice_word(c)), c);
        }
    }

    #[test]
    fn hash128_separates_single_bit_flips_and_zero_padding() {
        let base: Vec<u32> = (0..101u32).map(|i| i.wrapping_mul(7)).collect();
        let mut seen = HashSet::new();
        assert!(seen.insert(hash128(&base)));
        for i in 0..base.len() {
            for bit in [0, 5, 31] {
                let mut w = base.clone();
                w[i] ^= 1 << bit;
                assert!(seen.insert(hash128(&w)), "flip of bit {bit} in word {i}");
            }
        }
        for n in 0..40 {
            assert!(seen.insert(hash128(&vec![0; n])), "{n} zero words");
        }
    }
}
