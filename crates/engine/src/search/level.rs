//! One level of the breadth-first search expanded by several threads, with exactly the
//! result of expanding it on one: the same states, transitions, node numbers, frontier
//! order and counterexample, whatever the number of threads and however they are
//! scheduled. So the tests that pin counts and schedules hold for both, and a lecturer
//! who runs the same check twice gets the same schedule twice.
//!
//! The level is expanded in rounds of a few thousand records a thread (so that what a
//! round keeps stays a few megabytes, however wide the level); each round's records are
//! cut into one contiguous slice per worker. "The same result" means the sequential
//! order: round by round, slice 0's transitions first, each slice in its own order.
//! Three phases per round, with the threads joined between them:
//!
//! 1. **Step** (each worker, its slice): step every enabled choice of every record,
//!    encode and fingerprint the successor, stopping at the slice's first violation or
//!    fault. The fingerprint and where the successor came from go to a list, its
//!    encoding to the worker's arena.
//! 2. **Insert** (each worker, the fingerprints its shard owns, from every slice in
//!    order): one writer per table, so no atomics in the table; a fingerprint is new
//!    exactly when the sequential search would have found it new, because the sequential
//!    order is kept within each shard and a state's duplicates share its shard.
//! 3. **Keep** (each worker, its slice): decode the new successors from the arena, check
//!    whether they are stuck, and append them to the worker's part of the next frontier,
//!    numbered as the sequential search numbers them.
//!
//! Then the first event in sequential order (a violation, a stuck state, the state limit)
//! ends the search, and otherwise the workers' parts are appended in slice order.

use super::canon::Canon;
use super::fingerprint::hash128;
use super::frontier::{path_to, record_head, word_choice, Packer, Unpacker};
use super::outcome::{strings, violation, Outcome, Progress};
use super::pool::Pool;
use super::visited::Shards;
use crate::machine::{Choice, Effect, Machine, State, Violation};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A successor found in phase 1: its fingerprint (two halves: a u128 would align the
/// record to 32 bytes), its parent record, which of its choices, and its encoding.
#[derive(Clone, Copy)]
struct Cand {
    fp: [u64; 2],
    rec: u32,
    k: u32,
    /// Where the successor's encoding starts in the worker's arena.
    at: u32,
}

impl Cand {
    fn fp(&self) -> u128 {
        (self.fp[1] as u128) << 64 | self.fp[0] as u128
    }
}

/// What stops a slice in phase 1: a step that breaks a property or faults, after
/// `at` candidates of the slice.
struct StepEvent {
    at: usize,
    rec: u32,
    k: u32,
    outcome: Either,
}

enum Either {
    Fault(String),
    Violation(Violation),
}

/// A new successor found stuck in phase 3: the candidate's index and its outcome.
struct Stuck {
    at: usize,
    outcome: Outcome,
}

/// One worker's buffers, kept from level to level.
#[derive(Default)]
pub(crate) struct Worker {
    /// Every successor's encoding, phase 1 to phase 3 (so new states are not stepped twice).
    arena: Vec<u32>,
    /// This worker's representative picker under CPU symmetry.
    canon: Option<Canon>,
    cands: Vec<Cand>,
    new: Vec<AtomicBool>,
    event: Option<StepEvent>,
    stuck: Option<Stuck>,
    next: Vec<u32>,
    next_offsets: Vec<u32>,
    /// Writes `next`, and reads the level's records in phase 1.
    pack: Packer,
    unpack: Unpacker,
    links: Vec<(u32, Choice)>,
    state: Option<State>,
    scratch: Option<State>,
    fx: Vec<Effect>,
    words: Vec<u32>,
    en: Vec<Choice>,
}

impl Worker {
    pub fn new(canon: Option<Canon>) -> Worker {
        Worker { canon, ..Default::default() }
    }
}

/// The frontier level being expanded: its records (node, choices, encoding) and where
/// each starts.
pub(crate) struct Frontier<'a> {
    pub records: &'a [u32],
    pub offsets: &'a [u32],
    /// Steps from the initial state to every state of the level.
    pub depth: u32,
}

impl Frontier<'_> {
    /// Record r's node and choices.
    fn record(&self, r: u32) -> (u32, &[u32]) {
        record_head(&self.records[self.offsets[r as usize] as usize..])
    }
}

/// What the level adds to the search when no event stops it.
pub(crate) struct Grown<'a> {
    pub links: &'a mut Vec<(u32, Choice)>,
    pub next: &'a mut Vec<u32>,
    pub next_offsets: &'a mut Vec<u32>,
    pub progress: &'a mut Progress,
    pub queued: &'a mut u64,
}

/// Expand the whole level `f` with one thread per worker and one shard of
/// `seen` per worker; returns the outcome if an event (violation, fault, stuck state,
/// state limit) ends the search in it.
pub(crate) fn expand(
    pool: &Pool,
    m: &Machine,
    f: &Frontier,
    workers: &mut [Worker],
    seen: &mut Shards,
    (max_states, chunk): (usize, usize),
    mut g: Grown,
) -> Option<Outcome> {
    let n = f.offsets.len();
    *g.queued = 0;
    g.progress.frontier = 0;
    g.progress.depth = g.progress.depth.max(f.depth);
    // In chunks, so that the successors' encodings kept from phase 1 to phase 3 stay a
    // few megabytes however wide the level (a 4-CPU level can have millions).
    let chunk = chunk.max(1) * workers.len();
    for start in (0..n).step_by(chunk) {
        let end = (start + chunk).min(n);
        if let Some(o) = expand_chunk(pool, m, f, start..end, workers, seen, max_states, &mut g) {
            return Some(o);
        }
    }
    None
}

/// The three phases on records `range` of the level.
#[allow(clippy::too_many_arguments)]
fn expand_chunk(
    pool: &Pool,
    m: &Machine,
    f: &Frontier,
    range: std::ops::Range<usize>,
    workers: &mut [Worker],
    seen: &mut Shards,
    max_states: usize,
    g: &mut Grown,
) -> Option<Outcome> {
    let n = range.len();
    let nw = workers.len();
    let cut = |w: usize| (range.start + n * w / nw) as u32;
    let first_id = g.links.len() as u32;
    each(pool, workers, |w, wk| step_slice(m, f, wk, cut(w)..cut(w + 1)));
    {
        let workers = &*workers;
        let owner = |fp: u128| fp as u64 as usize % nw;
        each(pool, seen.shards_mut(), |o, shard| {
            for wk in workers {
                for (i, c) in wk.cands.iter().enumerate() {
                    // Start loading a later slot of ours while this one is probed.
                    if let Some(a) = wk.cands.get(i + 8).filter(|a| owner(a.fp()) == o) {
                        shard.prefetch(a.fp());
                    }
                    if owner(c.fp()) == o && shard.insert(c.fp()) {
                        wk.new[i].store(true, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    let mut id = first_id;
    let mut ids = Vec::with_capacity(nw);
    for wk in workers.iter() {
        ids.push(id);
        id += wk.new.iter().filter(|b| b.load(Ordering::Relaxed)).count() as u32;
    }
    let links: &[(u32, Choice)] = g.links;
    each(pool, workers, |w, wk| keep_slice(m, f, wk, ids[w], links));
    merge(f, workers, max_states, g)
}

/// `f(i, items[i])` for every worker at once, one item per worker of `pool`.
fn each<T: Send>(pool: &Pool, items: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
    // An uncontended lock per item hands each worker its own `&mut` without unsafe code.
    let cells: Vec<Mutex<&mut T>> = items.iter_mut().map(Mutex::new).collect();
    pool.run(&|i| {
        if let Some(cell) = cells.get(i) {
            f(i, &mut cell.lock().unwrap_or_else(|e| e.into_inner()));
        }
    });
}

/// Phase 1 for records `range`.
fn step_slice(m: &Machine, f: &Frontier, wk: &mut Worker, range: std::ops::Range<u32>) {
    wk.cands.clear();
    wk.arena.clear();
    wk.event = None;
    let state = wk.state.get_or_insert_with(|| m.initial());
    let scratch = wk.scratch.get_or_insert_with(|| m.initial());
    wk.unpack.seek(f.records, f.offsets, range.start as usize);
    'records: for r in range {
        let (_, en, words, _) = wk.unpack.read(&f.records[f.offsets[r as usize] as usize..]);
        state.decode_from(words);
        for (k, &cw) in en.iter().enumerate() {
            let choice = word_choice(cw);
            match k {
                _ if k == 0 || wk.canon.is_some() => scratch.clone_from(state),
                _ => scratch.restore(state, word_choice(en[k - 1]).cpu() as usize),
            }
            wk.fx.clear();
            let outcome = match m.step_enabled(scratch, choice, &mut wk.fx) {
                Err(e) => Some(Either::Fault(e.to_string())),
                Ok(st) => st.violation.map(Either::Violation),
            };
            if let Some(outcome) = outcome {
                wk.event = Some(StepEvent { at: wk.cands.len(), rec: r, k: k as u32, outcome });
                break 'records;
            }
            if let Some(k) = &mut wk.canon {
                k.represent(scratch);
            }
            scratch.encode(&mut wk.words);
            let fp = hash128(&wk.words);
            let at = wk.arena.len() as u32;
            wk.arena.extend_from_slice(&wk.words);
            wk.cands.push(Cand { fp: [fp as u64, (fp >> 64) as u64], rec: r, k: k as u32, at });
        }
    }
    wk.new.clear();
    wk.new.resize_with(wk.cands.len(), || AtomicBool::new(false));
}

/// Phase 3: the new successors of the slice, numbered from `id`.
fn keep_slice(m: &Machine, f: &Frontier, wk: &mut Worker, mut id: u32, links: &[(u32, Choice)]) {
    wk.stuck = None;
    wk.next.clear();
    wk.next_offsets.clear();
    wk.links.clear();
    let scratch = wk.scratch.get_or_insert_with(|| m.initial());
    for (i, c) in wk.cands.iter().enumerate() {
        if !wk.new[i].load(Ordering::Relaxed) {
            continue;
        }
        let (node, en) = f.record(c.rec);
        let choice = word_choice(en[c.k as usize]);
        let end = wk.cands.get(i + 1).map_or(wk.arena.len(), |d| d.at as usize);
        let words = &wk.arena[c.at as usize..end];
        scratch.decode_from(words);
        wk.links.push((node, choice));
        m.enabled(scratch, &mut wk.en);
        if let Some(stuck) = wk.en.is_empty().then(|| m.stuck(scratch)).flatten() {
            let mut p = path_to(links, node);
            p.push(choice);
            wk.stuck = Some(Stuck { at: i, outcome: violation(stuck.property, stuck.message, p) });
            return;
        }
        wk.pack.push(&mut wk.next, &mut wk.next_offsets, id, &wk.en, words);
        id += 1;
    }
}

/// Account the workers' results in sequential order and find the first event.
fn merge(f: &Frontier, workers: &[Worker], max_states: usize, g: &mut Grown) -> Option<Outcome> {
    let depth = f.depth;
    let Grown { links, next, next_offsets, progress, queued } = g;
    let records = f.offsets.len() as u64;
    for wk in workers {
        // The candidate index at which this slice's first event happens, if any: a
        // stuck new state, the new state that reaches the limit, or the step event.
        let limit_at = {
            let room = max_states.saturating_sub(progress.states as usize);
            wk.new
                .iter()
                .enumerate()
                .filter(|(_, b)| b.load(Ordering::Relaxed))
                .nth(room.saturating_sub(1))
                .map(|(i, _)| i)
        };
        let stuck_at = wk.stuck.as_ref().map(|s| s.at);
        let step_at = wk.event.as_ref().map(|e| e.at);
        let first = [stuck_at, limit_at, step_at].into_iter().flatten().min();
        let Some(at) = first else {
            let base = next.len() as u32;
            next_offsets.extend(wk.next_offsets.iter().map(|o| o + base));
            next.extend_from_slice(&wk.next);
            links.extend_from_slice(&wk.links);
            let added = wk.links.len() as u64;
            progress.states += added;
            **queued += added;
            progress.transitions += wk.cands.len() as u64;
            continue;
        };
        // New states up to and including candidate `at` (a step event at `at` comes
        // after candidate at-1: the violating step made no candidate).
        let new_before = wk.new[..at].iter().filter(|b| b.load(Ordering::Relaxed)).count() as u64;
        progress.transitions += at as u64 + 1;
        // What the sequential search still had queued: the records after this one and
        // the new states before this candidate.
        let rec = wk.cands.get(at).map_or_else(|| wk.event.as_ref().map_or(0, |e| e.rec), |c| c.rec) as u64;
        **queued += records - rec - 1 + new_before;
        progress.frontier = **queued;
        if stuck_at == Some(at) {
            progress.states += new_before + 1;
            return wk.stuck.as_ref().map(|s| s.outcome.clone());
        }
        if limit_at == Some(at) {
            progress.states += new_before + 1;
            return Some(Outcome::Limit {
                reason: format!(
                    "state limit of {max_states} reached at depth {} with {} states still to explore",
                    depth + 1,
                    **queued
                ),
            });
        }
        progress.states += new_before;
        let e = wk.event.as_ref()?;
        let (node, en) = f.record(e.rec);
        let mut p = path_to(links, node);
        p.push(word_choice(en[e.k as usize]));
        return Some(match &e.outcome {
            Either::Fault(message) => Outcome::Fault { message: message.clone(), schedule: strings(&p), choices: p },
            Either::Violation(v) => violation(v.property, v.message.clone(), p),
        });
    }
    None
}
