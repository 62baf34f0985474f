//! The breadth-first search: level by level over the frontier (`frontier.rs`), visited
//! states as fingerprints with parent links, so the first event found is at the shortest
//! depth and its schedule follows the links back. Wide levels go to the threads
//! (`level.rs`) with the same result; under CPU symmetry every successor is replaced by
//! its orbit's representative (`canon.rs`).

use super::canon::Canon;
use super::fingerprint::{fingerprint, hash128};
use super::frontier::{path_to, word_choice, Levels, Unpacker};
use super::level::{self, Worker};
use super::options::Options;
use super::outcome::{rank, restate, strings, violation, Outcome, Progress};
use super::pool::Pool;
use super::visited::Shards;
use crate::machine::{Choice, Effect, Fault, Machine, State, Stepped, Violation};

/// How a slice of the search ended.
pub(crate) enum Ran {
    /// The budget ran out; the search goes on at the next call.
    Paused,
    /// The search is over: with an event or a limit, or None when every reachable state
    /// was expanded and nothing broke.
    Over(Option<Outcome>),
}

/// The threads of the parallel level expansion and each one's buffers.
struct Parallel {
    pool: Pool,
    workers: Vec<Worker>,
}

/// The states and lists one record's expansion works in, kept from record to record so
/// that expanding allocates nothing.
struct Work {
    /// The record's enabled choices.
    en: Vec<Choice>,
    fx: Vec<Effect>,
    /// The state being expanded, decoded from the frontier.
    state: State,
    /// Every successor is computed here first; only new states are encoded into the frontier.
    /// Boxed with `ahead`, which it is swapped with at every transition (two pointers, not
    /// two states of some 270 bytes each).
    scratch: Box<State>,
    /// The next successor, computed one choice ahead, and its encoding.
    ahead: Box<State>,
    words: Vec<u32>,
    words_ahead: Vec<u32>,
    /// The enabled choices of a new successor, for its record.
    en2: Vec<Choice>,
}

pub(crate) struct Bfs {
    seen: Shards,
    /// Parent node and the choice that led here, per node.
    links: Vec<(u32, Choice)>,
    levels: Levels,
    /// Reads `levels.cur` from `levels.head` on.
    unpack: Unpacker,
    /// None with one thread, or where threads cannot start.
    parallel: Option<Parallel>,
    /// CPU symmetry in force.
    canon: Option<Canon>,
    work: Work,
    outcome: Option<Outcome>,
}

impl Bfs {
    /// The search from `m`'s initial state, which the caller has found not stuck.
    pub fn new(m: &Machine, opts: &Options, canon: Option<Canon>) -> Bfs {
        let s0 = m.initial();
        let parallel = match opts.threads {
            n if n > 1 => Pool::new(n).map(|pool| {
                let workers = (0..pool.workers()).map(|_| Worker::new(canon.as_ref().map(|k| k.fork(m)))).collect();
                Parallel { pool, workers }
            }),
            _ => None,
        };
        let mut seen = Shards::new(parallel.as_ref().map_or(1, |p| p.pool.workers()));
        seen.insert(fingerprint(&s0));
        let mut work = Work {
            en: Vec::new(),
            fx: Vec::new(),
            state: s0.clone(),
            scratch: Box::new(s0.clone()),
            ahead: Box::new(s0.clone()),
            words: Vec::new(),
            words_ahead: Vec::new(),
            en2: Vec::new(),
        };
        m.enabled(&s0, &mut work.en2);
        s0.encode(&mut work.words);
        let levels = Levels::start(&work.en2, &work.words);
        Bfs { seen, links: Vec::new(), levels, unpack: Unpacker::default(), parallel, canon, work, outcome: None }
    }

    /// Explore up to `budget` transitions.
    pub fn run(&mut self, m: &Machine, opts: &Options, budget: u64, progress: &mut Progress) -> Ran {
        let stop = progress.transitions.saturating_add(budget);
        while self.outcome.is_none() {
            if progress.transitions >= stop {
                return Ran::Paused;
            }
            self.levels.advance();
            // A level at the depth limit goes to `expand_record`, which stops at its first
            // record: the one place the limit is judged, so that the counts it leaves (the
            // depth reached, the records still queued) are the same with threads.
            if self.levels.head == 0
                && self.levels.cur_offsets.len() >= opts.parallel_level
                && self.parallel.is_some()
                && self.levels.depth < opts.max_depth
            {
                self.expand_level(m, opts, progress);
                continue;
            }
            if self.levels.exhausted() {
                break;
            }
            self.expand_record(m, opts, progress);
            progress.frontier = self.levels.queued;
        }
        progress.frontier = self.levels.queued;
        self.first_of_level(m);
        self.concretize(m);
        Ran::Over(self.outcome.take())
    }

    /// Expand the record at `levels.head`: step each of its choices, judge each successor.
    fn expand_record(&mut self, m: &Machine, opts: &Options, progress: &mut Progress) {
        let w = &mut self.work;
        let (node, en, words, len) = self.unpack.read(&self.levels.cur[self.levels.head..]);
        w.en.clear();
        w.en.extend(en.iter().map(|&w| word_choice(w)));
        w.state.decode_from(words);
        self.levels.head += len;
        self.levels.queued -= 1;
        let depth = self.levels.depth;
        progress.depth = progress.depth.max(depth);
        if depth >= opts.max_depth {
            self.outcome = Some(Outcome::Limit { reason: format!("depth limit of {} steps reached", opts.max_depth) });
            return;
        }
        let en = std::mem::take(&mut w.en);
        // Successor k+1 is computed before successor k is looked up in the visited
        // set, so that the two lookups' cache misses overlap with stepping and hashing
        // (the lookup is a miss at a random address in a table of hundreds of MB).
        let mut cur = en.first().map(|&c| {
            w.scratch.as_mut().clone_from(&w.state);
            w.fx.clear();
            successor(m, &mut w.scratch, c, &mut w.fx, &mut w.words, &self.seen, &mut self.canon)
        });
        for (k, &choice) in en.iter().enumerate() {
            let Some((result, fp)) = cur.take() else { break };
            let w = &mut self.work;
            if let Some(&c2) = en.get(k + 1) {
                // `ahead` holds the successor by choice k-1 (it was swapped out below).
                // `restore` copies back only what a step of one CPU changes; a
                // representative may have renamed every CPU.
                match k {
                    _ if k == 0 || self.canon.is_some() => w.ahead.as_mut().clone_from(&w.state),
                    _ => w.ahead.restore(&w.state, en[k - 1].cpu() as usize),
                }
                w.fx.clear();
                cur = Some(successor(m, &mut w.ahead, c2, &mut w.fx, &mut w.words_ahead, &self.seen, &mut self.canon));
            }
            progress.transitions += 1;
            if !self.judge(m, opts, progress, (node, choice, depth), result, fp) {
                break;
            }
            let w = &mut self.work;
            std::mem::swap(&mut w.scratch, &mut w.ahead);
            std::mem::swap(&mut w.words, &mut w.words_ahead);
        }
        self.work.en = en;
    }

    /// Judge the successor of `node` by `choice` (in `work.scratch`, its encoding in
    /// `work.words`): record the event it is, or keep it when it is new. False when the
    /// search stops here.
    fn judge(
        &mut self,
        m: &Machine,
        opts: &Options,
        progress: &mut Progress,
        (node, choice, depth): (u32, Choice, u32),
        result: Result<Stepped, Fault>,
        fp: u128,
    ) -> bool {
        match result {
            Err(f) => {
                let mut path = path_to(&self.links, node);
                path.push(choice);
                self.outcome = Some(Outcome::Fault { message: f.to_string(), schedule: strings(&path), choices: path });
                return false;
            }
            Ok(Stepped { violation: Some(Violation { property, message, .. }), .. }) => {
                let mut path = path_to(&self.links, node);
                path.push(choice);
                self.outcome = Some(violation(property, message, path));
                return false;
            }
            Ok(_) => {}
        }
        if !self.seen.insert(fp) {
            return true;
        }
        let w = &mut self.work;
        let id = self.links.len() as u32;
        self.links.push((node, choice));
        progress.states += 1;
        m.enabled(&w.scratch, &mut w.en2);
        if let Some(stuck) = w.en2.is_empty().then(|| m.stuck(&w.scratch)).flatten() {
            self.outcome = Some(violation(stuck.property, stuck.message, path_to(&self.links, id)));
            return false;
        }
        if progress.states as usize >= opts.max_states {
            self.outcome = Some(Outcome::Limit {
                reason: format!(
                    "state limit of {} reached at depth {} with {} states still to explore",
                    opts.max_states,
                    depth + 1,
                    self.levels.queued
                ),
            });
            return false;
        }
        self.levels.push(id, &w.en2, &w.words);
        self.levels.queued += 1;
        true
    }

    /// The search stopped at the first event (violation, fault, stuck state) of depth
    /// `depth + 1` in the order it expands states. Which event that is depends on how
    /// states and CPUs are ordered, which CPU symmetry changes (a representative may
    /// number the CPUs differently); the *set* of properties broken at the shortest
    /// depth does not (a renaming maps a run to a run of the same length that breaks the
    /// same property). So every successor of the level is judged again and the event
    /// reported is the first of the best rank (`rank`): the same property in every
    /// breadth-first mode. Nothing is counted or stored: states and transitions stay
    /// those at the first event.
    fn first_of_level(&mut self, m: &Machine) {
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
        let mut unpack = Unpacker::default();
        let cur = &self.levels.cur;
        let w = &mut self.work;
        while at < cur.len() {
            let (node, words_en, words, len) = unpack.read(&cur[at..]);
            en.clear();
            en.extend(words_en.iter().map(|&w| word_choice(w)));
            state.decode_from(words);
            at += len;
            for &choice in &en {
                next.clone_from(&state);
                w.fx.clear();
                let event = match m.step_enabled(&mut next, choice, &mut w.fx) {
                    Err(f) => Some(Err(f.to_string())),
                    Ok(st) => match st.violation {
                        Some(v) => Some(Ok((v.property, v.message))),
                        None => {
                            // A stuck successor seen before was stuck then, and would
                            // have been reported at a smaller depth: it is new here.
                            m.enabled(&next, &mut w.en2);
                            let stuck = w.en2.is_empty().then(|| m.stuck(&next)).flatten();
                            stuck.map(|st| Ok((st.property, st.message)))
                        }
                    },
                };
                let Some(event) = event else { continue };
                let mut path = path_to(&self.links, node);
                path.push(choice);
                let o = match event {
                    Ok((property, message)) => violation(property, message, path),
                    Err(message) => Outcome::Fault { message, schedule: strings(&path), choices: path },
                };
                let r = rank(&o).unwrap_or(u8::MAX);
                if best.as_ref().is_none_or(|(b, _)| r < *b) {
                    best = Some((r, o));
                    if r == 0 {
                        at = cur.len();
                        break;
                    }
                }
            }
        }
        if let Some((_, o)) = best {
            self.outcome = Some(o);
        }
    }

    /// A counterexample under CPU symmetry is a run among representatives: turn it into
    /// the run of the machine as it is, and word the message for it.
    fn concretize(&mut self, m: &Machine) {
        let Some(canon) = &mut self.canon else { return };
        let (choices, schedule, message) = match &mut self.outcome {
            Some(Outcome::Violation { choices, schedule, message, cycle_start: None, .. }) => {
                (choices, schedule, message)
            }
            Some(Outcome::Fault { choices, schedule, message }) => (choices, schedule, message),
            _ => return,
        };
        *choices = canon.concrete(m, choices);
        *schedule = strings(choices);
        if let Some(msg) = restate(m, choices) {
            *message = msg;
        }
    }

    /// The whole level in `cur` on the worker threads (`level.rs`).
    fn expand_level(&mut self, m: &Machine, opts: &Options, progress: &mut Progress) {
        let l = &mut self.levels;
        let Some(p) = &mut self.parallel else { return };
        let frontier = level::Frontier { records: &l.cur, offsets: &l.cur_offsets, depth: l.depth };
        let grown = level::Grown {
            links: &mut self.links,
            next: &mut l.next,
            next_offsets: &mut l.next_offsets,
            progress: &mut *progress,
            queued: &mut l.queued,
        };
        self.outcome = level::expand(
            &p.pool,
            m,
            &frontier,
            &mut p.workers,
            &mut self.seen,
            (opts.max_states, opts.parallel_chunk),
            grown,
        );
        l.head = l.cur.len();
        if self.outcome.is_none() {
            progress.frontier = l.queued;
        }
    }
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
    canon: &mut Option<Canon>,
) -> (Result<Stepped, Fault>, u128) {
    let r = m.step_enabled(s, c, fx);
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
