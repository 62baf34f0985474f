//! The breadth-first search split across workers that share no memory (the page's web
//! workers), with exactly the result of the one-thread search: the same states,
//! transitions, depth, verdict and counterexample on any number of workers. The ideas
//! are `level.rs`'s, carried by messages instead of shared memory:
//!
//! - Each level is held as one contiguous slice of records per worker, in the order the
//!   one-thread search expands them (slice 0 first). The initial state's record is at
//!   worker 0.
//! - The visited set is split by fingerprint: worker `fp mod n` owns a fingerprint (as in
//!   `visited::Shards`), so each set has one writer.
//! - A level takes three phases, with messages between them:
//!   1. **Expand** (`Part::expand`, each worker, its slice): step every enabled choice of
//!      every record, fingerprint the successor; the fingerprints go to their owners, one
//!      list per owner, in the worker's order.
//!   2. **Dedup** (`Part::dedup`, each owner): insert the lists of worker 0, then 1, …:
//!      the one-thread order within each owner, so a fingerprint is new exactly when the
//!      one-thread search finds it new. A bit per fingerprint goes back.
//!   3. **Keep** (`Part::keep`, each worker): step the new successors again (cheaper than
//!      keeping every successor's encoding across the messages), see whether each is
//!      stuck and append it to the worker's part of the next level.
//! - `Coordinator::merge` then accounts the workers' results in slice order (the first
//!   event, the state limit, node numbers), as `level.rs`'s merge does, and the next
//!   level is cut again into equal contiguous slices (`Part::split`, `Part::join`): only
//!   the records that change workers move.
//! - When the level holds an event, every worker reports the best-ranked event of its
//!   slice (`Part::best_event`) and the coordinator takes the first of the best rank: the
//!   event `bfs.rs`'s `first_of_level` reports.
//!
//! The coordinator keeps the parent links (8 bytes a state) and builds the
//! counterexample from them. Nothing here sends a message: `run_local` drives the phases
//! by direct calls (the tests, and the reference for any transport), the page's glue by
//! messages.

use super::canon::Canon;
use super::dfs::Dfs;
use super::fingerprint::{fingerprint, hash128};
use super::frontier::{choice_word, path_to, word_choice, ROOT};
use super::options::Options;
use super::outcome::{rank, restate, strings, violation, Outcome, Progress};
use super::visited::FpSet;
use crate::machine::{Choice, Effect, Machine, State};

/// The worker that owns fingerprint `fp` among `n`: the low bits, as `visited::Shards`.
fn owner(fp: u128, n: usize) -> usize {
    fp as u64 as usize % n
}

/// A successor found in phase 1: its fingerprint, its record in the slice and which of
/// the record's choices.
#[derive(Clone, Copy)]
struct Cand {
    fp: u128,
    rec: u32,
    k: u32,
}

/// An event that ends the search at a successor: a step that breaks a property or
/// faults, or a new state that is stuck, with the node it was reached from.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The parent's node number and the choice from it.
    pub node: u32,
    pub choice: Choice,
    /// The outcome with an empty schedule (the coordinator fills it in from its links).
    pub outcome: Outcome,
}

/// What a worker reports after phase 3.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kept {
    /// Successors computed (transitions) in the slice.
    pub cands: u32,
    /// Candidate indices of the new states kept, in order, and the record (index in the
    /// slice) each came from.
    pub new_at: Vec<u32>,
    pub new_rec: Vec<u32>,
    /// Parent node and choice of each new state (`choice_word`s).
    pub links: Vec<(u32, u32)>,
    /// The slice's step event (violation or fault): its candidate index, its record, the event.
    pub step_event: Option<(u32, u32, Event)>,
    /// The first new state found stuck: its candidate index, its record, the event.
    pub stuck: Option<(u32, u32, Event)>,
}

/// One worker's part of the search: its shard of the visited set and its slice of the
/// level being expanded.
pub struct Part {
    m: Machine,
    index: usize,
    n: usize,
    canon: Option<Canon>,
    seen: FpSet,
    cur: Vec<u32>,
    cur_offsets: Vec<u32>,
    next: Vec<u32>,
    next_offsets: Vec<u32>,
    cands: Vec<Cand>,
    /// The slice's first violating or faulting step: the candidate index, its record and
    /// the event.
    step_event: Option<(u32, u32, Event)>,
    state: State,
    scratch: State,
    fx: Vec<Effect>,
    words: Vec<u32>,
    en: Vec<Choice>,
}

impl Part {
    /// Worker `index` of `n`, at the initial state: worker 0 holds its record, its
    /// owner its fingerprint. `symmetry` as `Options::symmetry`.
    pub fn new(m: Machine, index: usize, n: usize, symmetry: bool) -> Part {
        let canon = if symmetry { Canon::new(&m).0 } else { None };
        let s0 = m.initial();
        let mut p = Part {
            index,
            n: n.max(1),
            canon,
            seen: FpSet::new(),
            cur: Vec::new(),
            cur_offsets: Vec::new(),
            next: Vec::new(),
            next_offsets: Vec::new(),
            cands: Vec::new(),
            step_event: None,
            state: s0.clone(),
            scratch: s0.clone(),
            fx: Vec::new(),
            words: Vec::new(),
            en: Vec::new(),
            m,
        };
        let fp = fingerprint(&s0);
        if owner(fp, p.n) == index {
            p.seen.insert(fp);
        }
        if index == 0 {
            p.m.enabled(&s0, &mut p.en);
            s0.encode(&mut p.words);
            push_record(&mut p.cur, &mut p.cur_offsets, ROOT, &p.en, &p.words);
        }
        p
    }

    /// Records in this worker's slice of the level.
    pub fn records(&self) -> usize {
        self.cur_offsets.len()
    }

    /// Fingerprints stored by this worker.
    pub fn stored(&self) -> usize {
        self.seen.len()
    }

    fn record(&self, r: u32) -> (u32, &[u32], &[u32]) {
        read_record(&self.cur[self.cur_offsets[r as usize] as usize..])
    }

    /// Record `r`'s node; its choices go to `en` and its state to `self.state`.
    fn load(&mut self, r: u32, en: &mut Vec<Choice>) -> u32 {
        let (node, choices, words) = read_record(&self.cur[self.cur_offsets[r as usize] as usize..]);
        en.clear();
        en.extend(choices.iter().map(|&w| word_choice(w)));
        self.state.decode_from(words);
        node
    }

    /// Step choice `k` of record `r` (decoded in `self.state`) into `self.scratch`.
    fn step(&mut self, k: usize, choice: Choice, prev: Option<Choice>) -> Result<crate::machine::Stepped, String> {
        match prev {
            Some(p) if self.canon.is_none() && k > 0 => self.scratch.restore(&self.state, p.cpu() as usize),
            _ => self.scratch.clone_from(&self.state),
        }
        self.fx.clear();
        self.m.step_enabled(&mut self.scratch, choice, &mut self.fx).map_err(|f| f.to_string())
    }

    /// Phase 1: every successor of the slice, fingerprinted; returns one list of
    /// fingerprints per owner, each in the slice's order. Stops at the slice's first
    /// violating or faulting step (the search ends in this level then).
    pub fn expand(&mut self) -> Vec<Vec<u128>> {
        self.cands.clear();
        self.step_event = None;
        let mut out = vec![Vec::new(); self.n];
        let mut en = Vec::new();
        'records: for r in 0..self.records() as u32 {
            let node = self.load(r, &mut en);
            for (k, &choice) in en.iter().enumerate() {
                let prev = k.checked_sub(1).map(|j| en[j]);
                let event = match self.step(k, choice, prev) {
                    Err(message) => Some(Outcome::Fault { message, schedule: vec![], choices: vec![] }),
                    Ok(st) => st.violation.map(|v| violation(v.property, v.message, vec![])),
                };
                if let Some(outcome) = event {
                    self.step_event = Some((self.cands.len() as u32, r, Event { node, choice, outcome }));
                    break 'records;
                }
                if let Some(c) = &mut self.canon {
                    c.represent(&mut self.scratch);
                }
                self.scratch.encode(&mut self.words);
                let fp = hash128(&self.words);
                out[owner(fp, self.n)].push(fp);
                self.cands.push(Cand { fp, rec: r, k: k as u32 });
            }
        }
        out
    }

    /// Phase 2, as the owner of some fingerprints: `lists[w]` is what worker `w` sent
    /// (its fingerprints owned here, in its order). Returns, per worker, whether each
    /// was new.
    pub fn dedup(&mut self, lists: &[Vec<u128>]) -> Vec<Vec<bool>> {
        lists.iter().map(|l| l.iter().map(|&fp| self.seen.insert(fp)).collect()).collect()
    }

    /// Phase 3: `new[o]` is owner `o`'s answer to this worker's list. Keeps the new
    /// successors as this worker's part of the next level, numbered from 0 (`commit`
    /// numbers them for the whole search), up to the first stuck one.
    pub fn keep(&mut self, new: &[Vec<bool>]) -> Kept {
        let mut kept = Kept { cands: self.cands.len() as u32, step_event: self.step_event.take(), ..Kept::default() };
        self.next.clear();
        self.next_offsets.clear();
        let mut at = vec![0usize; self.n];
        let mut decoded = None;
        let cands = std::mem::take(&mut self.cands);
        let mut en2 = Vec::new();
        for (i, c) in cands.iter().enumerate() {
            let o = owner(c.fp, self.n);
            let is_new = new.get(o).and_then(|l| l.get(at[o])).copied().unwrap_or(false);
            at[o] += 1;
            if !is_new {
                continue;
            }
            let (node, choice) = {
                let (node, choices, _) = self.record(c.rec);
                (node, word_choice(choices[c.k as usize]))
            };
            if decoded != Some(c.rec) {
                let off = self.cur_offsets[c.rec as usize] as usize;
                let skip = 2 + self.cur[off + 1] as usize;
                self.state.decode_from(&self.cur[off + skip..]);
                decoded = Some(c.rec);
            }
            // The same step as in phase 1, so the same successor.
            let _ = self.step(0, choice, None);
            if let Some(k) = &mut self.canon {
                k.represent(&mut self.scratch);
            }
            self.m.enabled(&self.scratch, &mut en2);
            if let Some(st) = en2.is_empty().then(|| self.m.stuck(&self.scratch)).flatten() {
                let outcome = violation(st.property, st.message, vec![]);
                kept.stuck = Some((i as u32, c.rec, Event { node, choice, outcome }));
                break;
            }
            self.scratch.encode(&mut self.words);
            push_record(&mut self.next, &mut self.next_offsets, kept.links.len() as u32, &en2, &self.words);
            kept.new_at.push(i as u32);
            kept.new_rec.push(c.rec);
            kept.links.push((node, choice_word(choice)));
        }
        self.cands = cands;
        kept
    }

    /// The next level becomes the current one, its nodes numbered from `base`.
    pub fn commit(&mut self, base: u32) {
        for &o in &self.next_offsets {
            self.next[o as usize] += base;
        }
        std::mem::swap(&mut self.cur, &mut self.next);
        std::mem::swap(&mut self.cur_offsets, &mut self.next_offsets);
        self.next.clear();
        self.next_offsets.clear();
    }

    /// This worker's slice cut into `ends.len()` pieces, piece `w` holding records
    /// `ends[w-1]..ends[w]` (local indices, `ends` ascending, the last = `records()`),
    /// each packed as `[count, offsets…, records…]` for `join`.
    pub fn split(&mut self, ends: &[usize]) -> Vec<Vec<u32>> {
        let mut pieces = Vec::with_capacity(ends.len());
        let mut from = 0;
        for &to in ends {
            let to = to.clamp(from, self.records());
            let start = self.cur_offsets.get(from).map_or(self.cur.len(), |&o| o as usize);
            let end = self.cur_offsets.get(to).map_or(self.cur.len(), |&o| o as usize);
            let mut p = Vec::with_capacity(1 + to - from + end - start);
            p.push((to - from) as u32);
            p.extend(self.cur_offsets[from..to].iter().map(|&o| o - start as u32));
            p.extend_from_slice(&self.cur[start..end]);
            pieces.push(p);
            from = to;
        }
        self.cur.clear();
        self.cur_offsets.clear();
        pieces
    }

    /// The slice becomes the pieces, in order (one from each worker, this one's own
    /// included, as `split` packed them).
    pub fn join(&mut self, pieces: &[Vec<u32>]) {
        self.cur.clear();
        self.cur_offsets.clear();
        for p in pieces {
            let Some(&count) = p.first() else { continue };
            let count = count as usize;
            let base = self.cur.len() as u32;
            self.cur_offsets.extend(p[1..1 + count].iter().map(|&o| o + base));
            self.cur.extend_from_slice(&p[1 + count..]);
        }
    }

    /// The best-ranked event among every successor of the slice (`outcome::rank`), the
    /// first of that rank: a violating or faulting step, or a stuck successor (new or
    /// not: one seen before would have been reported at a smaller depth).
    pub fn best_event(&mut self) -> Option<(u8, Event)> {
        let mut best: Option<(u8, Event)> = None;
        let mut en = Vec::new();
        let mut en2 = Vec::new();
        for r in 0..self.records() as u32 {
            let node = self.load(r, &mut en);
            for &choice in &en {
                let outcome = match self.step(0, choice, None) {
                    Err(message) => Outcome::Fault { message, schedule: vec![], choices: vec![] },
                    Ok(st) => match st.violation {
                        Some(v) => violation(v.property, v.message, vec![]),
                        None => {
                            self.m.enabled(&self.scratch, &mut en2);
                            match en2.is_empty().then(|| self.m.stuck(&self.scratch)).flatten() {
                                Some(st) => violation(st.property, st.message, vec![]),
                                None => continue,
                            }
                        }
                    },
                };
                let r = rank(&outcome).unwrap_or(u8::MAX);
                if best.as_ref().is_none_or(|(b, _)| r < *b) {
                    best = Some((r, Event { node, choice, outcome }));
                    if r == 0 {
                        return best;
                    }
                }
            }
        }
        best
    }

    /// This worker's index among the workers.
    pub fn index(&self) -> usize {
        self.index
    }
}

/// What the coordinator decides after a level's phase 3.
#[derive(Debug, PartialEq)]
pub enum Merged {
    /// Go on: commit each worker's part with these node bases, and cut the next level
    /// into slices as `Coordinator::cuts` says.
    Next { bases: Vec<u32> },
    /// The level holds an event: ask every worker for `best_event` and hand the answers
    /// to `Coordinator::settle`.
    Event,
    /// The search is over (verified when every level is exhausted, or the state limit).
    Over(Outcome),
}

/// The search as a whole: the parent links, the counts, the level's depth.
pub struct Coordinator {
    m: Machine,
    canon: Option<Canon>,
    max_states: usize,
    n: usize,
    links: Vec<(u32, Choice)>,
    pub progress: Progress,
    depth: u32,
    /// Records of each worker's slice of the current level.
    slices: Vec<usize>,
}

impl Coordinator {
    /// The search over `n` workers. None when the initial state is already stuck: then
    /// `initial_outcome` says how.
    pub fn new(m: Machine, n: usize, symmetry: bool, max_states: usize) -> Coordinator {
        let canon = if symmetry { Canon::new(&m).0 } else { None };
        let n = n.max(1);
        let mut slices = vec![0; n];
        slices[0] = 1;
        Coordinator {
            m,
            canon,
            max_states,
            n,
            links: Vec::new(),
            progress: Progress { states: 1, frontier: 1, ..Progress::default() },
            depth: 0,
            slices,
        }
    }

    /// The violation of a stuck initial state, which ends the search before it starts.
    pub fn initial_outcome(&self) -> Option<Outcome> {
        let st = self.m.stuck(&self.m.initial())?;
        Some(violation(st.property, st.message, vec![]))
    }

    /// The depth of the level being expanded: every run of up to this many steps has
    /// been explored when the level starts.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Account the workers' `Kept` in slice order, as the one-thread search would have
    /// met them (`level.rs`'s merge).
    pub fn merge(&mut self, kept: &[Kept]) -> Merged {
        let records: u64 = self.slices.iter().sum::<usize>() as u64;
        let mut queued = 0u64;
        let mut done_records = 0u64;
        let mut bases = Vec::with_capacity(kept.len());
        self.progress.depth = self.progress.depth.max(self.depth);
        for (w, k) in kept.iter().enumerate() {
            let room = self.max_states.saturating_sub(self.progress.states as usize);
            let limit_at = k.new_at.get(room.saturating_sub(1)).map(|&i| (i, k.new_rec[room.saturating_sub(1)]));
            let stuck_at = k.stuck.as_ref().map(|s| (s.0, s.1));
            let step_at = k.step_event.as_ref().map(|e| (e.0, e.1));
            let first = [stuck_at, limit_at, step_at].into_iter().flatten().min();
            let Some((at, rec)) = first else {
                bases.push(self.links.len() as u32);
                self.links.extend(k.links.iter().map(|&(node, c)| (node, word_choice(c))));
                self.progress.states += k.links.len() as u64;
                self.progress.transitions += k.cands as u64;
                queued += k.links.len() as u64;
                done_records += self.slices.get(w).copied().unwrap_or(0) as u64;
                continue;
            };
            let new_before = k.new_at.iter().take_while(|&&i| i < at).count() as u64;
            self.progress.transitions += at as u64 + 1;
            // What the one-thread search still had queued: the records after this one
            // and the new states before this candidate.
            queued += records - (done_records + rec as u64) - 1 + new_before;
            self.progress.frontier = queued;
            if stuck_at.map(|s| s.0) == Some(at) || step_at.map(|s| s.0) == Some(at) {
                self.progress.states += new_before + u64::from(stuck_at.map(|s| s.0) == Some(at));
                return Merged::Event;
            }
            self.progress.states += new_before + 1;
            return Merged::Over(Outcome::Limit {
                reason: format!(
                    "state limit of {} reached at depth {} with {queued} states still to explore",
                    self.max_states,
                    self.depth + 1
                ),
            });
        }
        self.progress.frontier = queued;
        self.depth += 1;
        if queued == 0 {
            return Merged::Over(Outcome::Verified);
        }
        Merged::Next { bases }
    }

    /// After `Merged::Next`, how the next level is cut into slices, from each worker's
    /// new records (`counts[w]`, the links of its `Kept`): None when they are within an
    /// eighth of equal (each worker keeps its own, and no message moves records), else
    /// `cuts[w]`, the `ends` worker `w` passes to `Part::split` (piece `v` goes to
    /// worker `v`) for equal contiguous slices. The slices stay in the one-thread order
    /// either way, so the result does not depend on it.
    pub fn cuts(&mut self, counts: &[usize]) -> Option<Vec<Vec<usize>>> {
        let total: usize = counts.iter().sum();
        let most = counts.iter().copied().max().unwrap_or(0);
        if most * self.n <= total + total / 8 || total < 64 * self.n {
            self.slices = counts.to_vec();
            return None;
        }
        let target = |v: usize| total * v / self.n;
        let mut start = 0;
        let mut cuts = Vec::with_capacity(counts.len());
        for &c in counts {
            let ends = (1..=self.n).map(|v| target(v).clamp(start, start + c) - start).collect();
            cuts.push(ends);
            start += c;
        }
        self.slices = (0..self.n).map(|v| target(v + 1) - target(v)).collect();
        Some(cuts)
    }

    /// After `Merged::Event`: the workers' `best_event` answers, in worker order. The
    /// first of the best rank is the outcome, its schedule built from the links and, under
    /// CPU symmetry, turned into a run of the machine as it is.
    pub fn settle(&mut self, answers: Vec<Option<(u8, Event)>>) -> Outcome {
        let mut best: Option<(u8, Event)> = None;
        for a in answers.into_iter().flatten() {
            if best.as_ref().is_none_or(|(b, _)| a.0 < *b) {
                best = Some(a);
            }
        }
        let Some((_, e)) = best else { return Outcome::Verified };
        let mut path = path_to(&self.links, e.node);
        path.push(e.choice);
        let mut o = match e.outcome {
            Outcome::Violation { property, message, .. } => violation(property, message, path),
            Outcome::Fault { message, .. } => Outcome::Fault { message, schedule: strings(&path), choices: path },
            other => other,
        };
        if let Some(canon) = &mut self.canon {
            let (choices, schedule, message) = match &mut o {
                Outcome::Violation { choices, schedule, message, .. } => (choices, schedule, message),
                Outcome::Fault { choices, schedule, message } => (choices, schedule, message),
                _ => return o,
            };
            *choices = canon.concrete(&self.m, choices);
            *schedule = strings(choices);
            if let Some(msg) = restate(&self.m, choices) {
                *message = msg;
            }
        }
        o
    }
}

/// The whole search over `n` parts by direct calls: the reference the page's messages
/// follow, and what the tests compare with the one-thread search.
pub fn run_local(m: &Machine, n: usize, symmetry: bool, max_states: usize) -> (Outcome, Progress) {
    let mut coord = Coordinator::new(m.clone(), n, symmetry, max_states);
    if let Some(o) = coord.initial_outcome() {
        return (o, coord.progress);
    }
    let mut parts: Vec<Part> = (0..n.max(1)).map(|i| Part::new(m.clone(), i, n, symmetry)).collect();
    loop {
        let sent: Vec<Vec<Vec<u128>>> = parts.iter_mut().map(Part::expand).collect();
        let answers: Vec<Vec<Vec<bool>>> = parts
            .iter_mut()
            .enumerate()
            .map(|(o, p)| p.dedup(&sent.iter().map(|s| s[o].clone()).collect::<Vec<_>>()))
            .collect();
        let kept: Vec<Kept> = parts
            .iter_mut()
            .enumerate()
            .map(|(w, p)| p.keep(&answers.iter().map(|a| a[w].clone()).collect::<Vec<_>>()))
            .collect();
        match coord.merge(&kept) {
            Merged::Over(o) => return (o, coord.progress),
            Merged::Event => {
                let best = parts.iter_mut().map(Part::best_event).collect();
                let o = coord.settle(best);
                return (o, coord.progress);
            }
            Merged::Next { bases } => {
                for (p, b) in parts.iter_mut().zip(bases) {
                    p.commit(b);
                }
                let counts: Vec<usize> = parts.iter().map(Part::records).collect();
                if let Some(cuts) = coord.cuts(&counts) {
                    let pieces: Vec<Vec<Vec<u32>>> = parts.iter_mut().zip(&cuts).map(|(p, c)| p.split(c)).collect();
                    for (v, p) in parts.iter_mut().enumerate() {
                        let mine: Vec<Vec<u32>> = pieces.iter().map(|ps| ps[v].clone()).collect();
                        p.join(&mine);
                    }
                }
            }
        }
    }
}

/// The liveness pass that follows a breadth-first search which found nothing (as
/// `Checker` runs it), on its own: after a partitioned search, one worker runs it, its
/// counts going on from the search's.
pub struct Liveness {
    m: Machine,
    opts: Options,
    dfs: Box<Dfs>,
    pub progress: Progress,
}

impl Liveness {
    pub fn new(m: Machine, max_states: usize, progress: Progress) -> Liveness {
        let dfs = Box::new(Dfs::new(&m, false, false));
        Liveness { opts: Options { max_states, ..Options::default() }, dfs, progress, m }
    }

    /// Explore up to `budget` transitions; the outcome once the pass is over.
    pub fn run(&mut self, budget: u64) -> Option<Outcome> {
        if self.dfs.run(&self.m, &self.opts, budget, &mut self.progress) {
            return Some(self.dfs.outcome.take().unwrap_or(Outcome::Verified));
        }
        None
    }
}

/// Append a whole record to `buf` (and where it starts to `offsets`): the node, its
/// enabled choices and the state's encoding. A worker's level is read by record number,
/// so its records are whole, not packed against the one before as the one-process
/// frontier's are.
fn push_record(buf: &mut Vec<u32>, offsets: &mut Vec<u32>, node: u32, en: &[Choice], words: &[u32]) {
    offsets.push(buf.len() as u32);
    buf.push(node);
    buf.push(en.len() as u32);
    buf.extend(en.iter().map(|&c| choice_word(c)));
    buf.extend_from_slice(words);
}

/// The record starting `buf`: its node, its choices (as `choice_word`s) and the words
/// from its encoding on.
fn read_record(buf: &[u32]) -> (u32, &[u32], &[u32]) {
    let n = buf[1] as usize;
    (buf[0], &buf[2..2 + n], &buf[2 + n..])
}
