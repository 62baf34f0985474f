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

use crate::machine::{Choice, Effect, Machine, State, Violation};
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};

#[derive(Clone, Debug)]
pub struct Options {
    /// Stop with `Limit` after this many distinct states.
    pub max_states: usize,
    /// Stop with `Limit` when the frontier would go deeper than this.
    pub max_depth: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_states: 5_000_000, max_depth: 10_000 }
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

impl Hasher for Fp {
    fn finish(&self) -> u64 {
        self.finish128() as u64
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(w) ^ ((chunk.len() as u64) << 56));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.word(i as u64 | 0x100);
    }
    fn write_u16(&mut self, i: u16) {
        self.word(i as u64 | 0x2_0000);
    }
    fn write_u32(&mut self, i: u32) {
        self.word(i as u64 | 0x4_0000_0000);
    }
    fn write_i32(&mut self, i: i32) {
        self.write_u32(i as u32);
    }
    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64 ^ 0xA5A5_0000_0000_0000);
    }
}

pub fn fingerprint(s: &State) -> u128 {
    let mut h = Fp::new();
    s.hash(&mut h);
    h.finish128()
}

/// Identity hasher for keys that already are fingerprints.
#[derive(Default)]
struct PassThrough(u64);

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
}

impl Checker {
    pub fn new(machine: Machine, opts: Options) -> Checker {
        let s0 = machine.initial();
        let mut c = Checker {
            machine,
            opts,
            seen: HashMap::default(),
            links: Vec::new(),
            frontier: VecDeque::new(),
            progress: Progress::default(),
            outcome: None,
            en: Vec::new(),
            fx: Vec::new(),
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
        let stop = self.progress.transitions.saturating_add(budget);
        while self.outcome.is_none() {
            if self.progress.transitions >= stop {
                return false;
            }
            let Some((node, depth, state)) = self.frontier.pop_front() else {
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
                let mut next = state.clone();
                self.fx.clear();
                self.progress.transitions += 1;
                match self.machine.step(&mut next, choice, &mut self.fx) {
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
                let fp = fingerprint(&next);
                let id = self.links.len() as u32;
                if let Entry::Vacant(v) = self.seen.entry(fp) {
                    v.insert(id);
                    self.links.push((node, choice));
                    self.progress.states += 1;
                    if let Some(stuck) = self.machine.stuck(&next) {
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
                    self.frontier.push_back((id, depth + 1, next));
                }
            }
            self.en = en;
            self.progress.frontier = self.frontier.len() as u64;
        }
        self.progress.frontier = self.frontier.len() as u64;
        true
    }

    /// Run to the end.
    pub fn check(mut self) -> (Outcome, Progress) {
        while !self.run(u64::MAX) {}
        (self.outcome.take().unwrap_or(Outcome::Verified), self.progress)
    }
}

fn strings(path: &[Choice]) -> Vec<String> {
    path.iter().map(|c| c.to_string()).collect()
}

fn violation(property: &str, message: String, path: Vec<Choice>) -> Outcome {
    Outcome::Violation { property: property.to_string(), message, schedule: strings(&path), choices: path }
}

impl Outcome {
    pub fn choices(&self) -> &[Choice] {
        match self {
            Outcome::Violation { choices, .. } | Outcome::Fault { choices, .. } => choices,
            _ => &[],
        }
    }
}
