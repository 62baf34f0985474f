//! "Find a race" on every core the browser offers: one web worker per core, each holding
//! a part of the breadth-first search (`sdlab_engine::checker::partition`), the page
//! coordinating the phases of each level by messages (`crate::parts`). The result is the
//! one-worker result (the same states, verdict and counterexample). Where the search has
//! a single worker (two or three cores: one for the search, one for the pass below), it
//! runs whole there, as on one core but without the liveness pass.
//!
//! The liveness pass (a depth-first search for lassos, on one worker: it cannot be split
//! by levels) is as long as the search itself, and waiting for the search before starting
//! it made a 4-CPU check on two cores take their sum. So it runs beside the search from
//! the start, on a worker of its own, under a state limit that keeps both within the
//! memory one search may have (`protocol::beside_limit`). Its answer counts only once the
//! search has found nothing, exactly as if it had run after it; where it cannot give one
//! (its limit was reached, or the search outgrew the limit and it was let go), the pass
//! runs after the search on worker 0, as it always did. Dropping the pool terminates its
//! workers, which is how a check is cancelled.

use super::state::Action;
use crate::parts::{self, PartRequest};
use crate::protocol::{CheckReply, CheckRequest};
use crate::worker_script::Running;
use sdlab_engine::checker::partition::{Coordinator, Event, Kept, Merged};
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::Machine;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;
use yew::Callback;

/// What the pool waits for: one reply from every worker (from worker 0 in `Live`).
#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Ready,
    Expand,
    Dedup,
    Keep,
    Split,
    Best,
    Live,
    Over,
}

/// The liveness pass running beside the search.
struct Beside {
    /// `None` once it has answered (its memory is let go with it).
    worker: Option<Running>,
    /// Its answer, when it came before the search's.
    done: Option<CheckReply>,
}

pub struct Pool {
    workers: Vec<Running>,
    beside: Option<Beside>,
    /// The states each of the search and the pass beside may hold while both run.
    beside_limit: usize,
    /// Workers of the search (the pass beside, while it counts, is one more).
    searchers: usize,
    coord: Coordinator,
    req: CheckRequest,
    phase: Phase,
    /// The replies of the current phase, by worker: JSON and buffers.
    got: Vec<Option<(String, Vec<JsValue>)>>,
    gen: u64,
    d: Callback<Action>,
    t0: f64,
    safety_seconds: Option<f64>,
    memory: Vec<u64>,
    reductions: String,
}

fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// Start a check of `m` (the configuration `req` describes) on `n` workers, with the
/// liveness pass beside them on one more when `beside`.
pub fn start(
    m: Machine,
    req: CheckRequest,
    n: usize,
    beside: bool,
    gen: u64,
    d: Callback<Action>,
) -> Result<Rc<RefCell<Pool>>, String> {
    let reductions = Checker::new(m.clone(), Options::default()).reductions().to_string();
    let coord = Coordinator::new(m, n, true, req.max_states);
    let beside_limit = crate::protocol::beside_limit(req.max_states);
    let pool = Rc::new(RefCell::new(Pool {
        workers: Vec::new(),
        beside: None,
        beside_limit,
        searchers: n,
        coord,
        req,
        phase: Phase::Ready,
        got: vec![None; n],
        gen,
        d,
        t0: now(),
        safety_seconds: None,
        memory: vec![0; n],
        reductions,
    }));
    let stuck = pool.borrow().coord.initial_outcome();
    if let Some(o) = stuck {
        pool.borrow_mut().finish(&o);
        return Ok(pool);
    }
    for w in 0..n {
        let running = pool_worker(&pool, move |p, data| p.message(w, &data), |p, why| p.stopped(&why))?;
        pool.borrow_mut().workers.push(running);
    }
    if beside && beside_limit > 0 {
        // Out of memory, most likely, on an error: the pass runs after the search instead.
        let running = pool_worker(&pool, |p, data| p.beside_message(&data), |p, _| p.beside_failed())?;
        pool.borrow_mut().beside = Some(Beside { worker: Some(running), done: None });
    }
    Ok(pool)
}

/// A worker of the pool: while the pool lives, each message it sends goes to
/// `on_message` and an error in it to `on_error`, the pool borrowed for either.
fn pool_worker(
    pool: &Rc<RefCell<Pool>>,
    on_message: impl Fn(&mut Pool, JsValue) + 'static,
    on_error: impl Fn(&mut Pool, String) + 'static,
) -> Result<Running, String> {
    let worker = crate::worker_script::spawn().map_err(|e| format!("cannot start the worker: {e:?}"))?;
    let weak: Weak<RefCell<Pool>> = Rc::downgrade(pool);
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
        if let Some(pool) = weak.upgrade() {
            on_message(&mut pool.borrow_mut(), m.data());
        }
    });
    let weak: Weak<RefCell<Pool>> = Rc::downgrade(pool);
    let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        if let Some(pool) = weak.upgrade() {
            on_error(&mut pool.borrow_mut(), e.message());
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    Ok(Running { worker, _onmessage: onmessage, _onerror: onerror })
}

fn post(r: &Running, op: &str, json: &str, bufs: Vec<JsValue>) {
    let (msg, transfer) = parts::message_js(op, json, bufs);
    let _ = r.worker.post_message_with_transfer(&msg, &transfer);
}

impl Pool {
    /// The search runs whole on its one worker (`search`, the liveness pass off), not in
    /// parts: beside the pass, on two or three cores, the levels need no coordinating,
    /// and the partitioned search on one worker was 1.23 x slower than the whole one.
    fn whole(&self) -> bool {
        self.searchers == 1
    }

    fn send(&self, w: usize, op: &str, json: &str, bufs: Vec<JsValue>) {
        if let Some(r) = self.workers.get(w) {
            post(r, op, json, bufs);
        }
    }

    /// A message from search worker `w`: a part of a phase, or a JSON string.
    fn message(&mut self, w: usize, data: &JsValue) {
        if let Some((op, json, bufs)) = parts::read_js(data) {
            self.reply(w, &op, json, bufs);
        } else if let Some(text) = data.as_string() {
            self.text(w, &text);
        }
    }

    /// A search worker stopped with an error.
    fn stopped(&self, why: &str) {
        let message = format!("the checker stopped: {why} (the tab may be out of memory; try fewer CPUs)");
        self.d.emit(Action::CheckReply(self.gen, CheckReply::Error { message }));
    }

    /// A message from the worker beside: its answer, or a JSON string.
    fn beside_message(&mut self, data: &JsValue) {
        if let Some((op, json, _)) = parts::read_js(data) {
            if op == "live-done" {
                self.beside_done(&json);
            }
        } else if let Some(text) = data.as_string() {
            self.beside_text(&text);
        }
    }

    fn all(&mut self, op: &str) {
        for w in 0..self.workers.len() {
            self.send(w, op, "", vec![]);
        }
    }

    fn fail(&mut self, message: String) {
        self.phase = Phase::Over;
        self.d.emit(Action::CheckReply(self.gen, CheckReply::Error { message }));
    }

    /// A JSON string from worker `w`: it has loaded, or the liveness pass's progress,
    /// or an error.
    fn text(&mut self, w: usize, text: &str) {
        match serde_json::from_str::<CheckReply>(text) {
            Ok(CheckReply::Ready) if self.whole() => {
                self.send(w, "search", &serde_json::to_string(&self.req).unwrap_or_default(), vec![]);
            }
            Ok(CheckReply::Ready) => {
                let req = PartRequest { check: self.req.clone(), index: w, workers: self.got.len() };
                self.send(w, "new", &serde_json::to_string(&req).unwrap_or_default(), vec![]);
            }
            Ok(CheckReply::Progress { states, transitions, depth, .. }) => {
                let seconds = now() - self.t0;
                self.d.emit(Action::CheckReply(self.gen, CheckReply::Progress { states, transitions, depth, seconds }));
                if self.whole() && self.phase != Phase::Live {
                    self.check_beside_room(states);
                }
            }
            Ok(CheckReply::Error { message }) => self.fail(message),
            Ok(_) => {}
            Err(e) => self.fail(format!("bad reply: {e}")),
        }
    }

    /// A part message from worker `w`: kept until every worker of the phase has answered.
    fn reply(&mut self, w: usize, op: &str, json: String, bufs: Vec<JsValue>) {
        if self.phase == Phase::Over {
            return;
        }
        if op == "live-done" {
            return self.live_done(&json);
        }
        if op == "searched" {
            return self.searched(&json);
        }
        if let Some(slot) = self.got.get_mut(w) {
            *slot = Some((json, bufs));
        }
        if self.got.iter().any(Option::is_none) {
            return;
        }
        let got: Vec<(String, Vec<JsValue>)> = self.got.iter_mut().filter_map(Option::take).collect();
        let n = got.len();
        match self.phase {
            Phase::Ready => {
                self.phase = Phase::Expand;
                self.all("expand");
            }
            Phase::Expand => {
                for (w, (json, _)) in got.iter().enumerate() {
                    self.memory[w] = self.memory[w].max(json.parse().unwrap_or(0));
                }
                // Owner o gets every worker's list for it, in worker order.
                self.phase = Phase::Dedup;
                for o in 0..n {
                    let lists = got.iter().map(|(_, b)| b.get(o).cloned().unwrap_or(JsValue::UNDEFINED)).collect();
                    self.send(o, "dedup", "", lists);
                }
            }
            Phase::Dedup => {
                self.phase = Phase::Keep;
                for w in 0..n {
                    let bits = got.iter().map(|(_, b)| b.get(w).cloned().unwrap_or(JsValue::UNDEFINED)).collect();
                    self.send(w, "keep", "", bits);
                }
            }
            Phase::Keep => self.merge(&got),
            Phase::Split => {
                // Worker v gets its pieces from every worker, in worker order, and
                // expands its new slice.
                self.phase = Phase::Expand;
                for v in 0..n {
                    let pieces = got.iter().map(|(_, b)| b.get(v).cloned().unwrap_or(JsValue::UNDEFINED)).collect();
                    self.send(v, "join", "", pieces);
                }
            }
            Phase::Best => {
                let answers: Result<Vec<Option<(u8, Event)>>, String> = got
                    .iter()
                    .map(|(json, _)| {
                        let a: Option<(u8, parts::WireEvent)> =
                            serde_json::from_str(json).map_err(|e| e.to_string())?;
                        a.map(|(r, e)| Ok((r, e.event()?))).transpose()
                    })
                    .collect();
                match answers {
                    Ok(a) => {
                        let o = self.coord.settle(a);
                        self.finish(&o);
                    }
                    Err(e) => self.fail(format!("bad reply: {e}")),
                }
            }
            Phase::Live | Phase::Over => {}
        }
    }

    /// Phase 3's answers: the coordinator decides whether the search goes on.
    fn merge(&mut self, got: &[(String, Vec<JsValue>)]) {
        let kept: Result<Vec<Kept>, String> = got
            .iter()
            .map(|(json, bufs)| {
                let ev: parts::KeptEvents = serde_json::from_str(json).map_err(|e| e.to_string())?;
                let words = parts::bytes_to_u32s(&bufs.first().map(parts::bytes).unwrap_or_default());
                parts::unpack_kept(&words, &ev)
            })
            .collect();
        let kept = match kept {
            Ok(k) => k,
            Err(e) => return self.fail(format!("bad reply: {e}")),
        };
        let merged = self.coord.merge(&kept);
        let p = self.coord.progress.clone();
        let progress = CheckReply::Progress {
            states: p.states,
            transitions: p.transitions,
            depth: p.depth,
            seconds: now() - self.t0,
        };
        self.d.emit(Action::CheckReply(self.gen, progress));
        match merged {
            Merged::Next { bases } => {
                let counts: Vec<usize> = kept.iter().map(|k| k.links.len()).collect();
                let cuts = self.coord.cuts(&counts);
                self.phase = if cuts.is_some() { Phase::Split } else { Phase::Expand };
                for (w, b) in bases.iter().enumerate() {
                    let ends = cuts.as_ref().and_then(|c| c.get(w));
                    self.send(w, "commit", &serde_json::to_string(&(b, ends)).unwrap_or_default(), vec![]);
                }
            }
            Merged::Event => {
                self.phase = Phase::Best;
                self.all("best");
            }
            Merged::Over(Outcome::Verified) => self.safety_holds(),
            Merged::Over(o) => self.finish(&o),
        }
        if self.phase != Phase::Over {
            self.check_beside_room(p.states);
        }
    }

    /// Both at once would hold more than one search may: past `beside_limit` states of
    /// the search, the pass beside goes (and runs after the search instead).
    fn check_beside_room(&mut self, states: u64) {
        if states as usize > self.beside_limit && self.beside.as_ref().is_some_and(|b| b.worker.is_some()) {
            self.beside_failed();
        }
    }

    /// The search is over with nothing found: the liveness pass's answer decides, from
    /// beside or from worker 0 (the others let go).
    fn safety_holds(&mut self) {
        self.safety_seconds = Some(now() - self.t0);
        self.workers.truncate(1);
        self.got.truncate(1);
        self.phase = Phase::Live;
        match self.beside.as_mut().map(|b| b.done.take()) {
            Some(Some(done)) => self.live_answer(done),
            Some(None) => {}
            None => self.liveness_here(),
        }
    }

    /// The answer of a search run whole on worker 0: the verdict, unless safety holds
    /// and the liveness pass is still to answer. Its counts stand for the coordinator's.
    fn searched(&mut self, json: &str) {
        let Ok(done @ CheckReply::Done { verdict, states, transitions, depth, memory_bytes, .. }) =
            serde_json::from_str::<CheckReply>(json)
        else {
            return self.fail("bad reply from the search".into());
        };
        self.memory[0] = self.memory[0].max(memory_bytes);
        let p = &mut self.coord.progress;
        (p.states, p.transitions, p.depth) = (states, transitions, depth);
        if verdict == crate::protocol::Verdict::Verified {
            self.safety_holds();
        } else {
            self.report(Some(done));
        }
    }

    /// The liveness pass on worker 0, after the search, its counts going on from the search's.
    fn liveness_here(&mut self) {
        let p = &self.coord.progress;
        let job = (&self.req, p.states, p.transitions, p.depth);
        self.send(0, "liveness", &serde_json::to_string(&job).unwrap_or_default(), vec![]);
    }

    /// A JSON string from the worker beside: loaded (so it starts the pass), progress or an error.
    fn beside_text(&mut self, text: &str) {
        if self.phase == Phase::Over {
            return;
        }
        match serde_json::from_str::<CheckReply>(text) {
            Ok(CheckReply::Ready) => {
                let mut req = self.req.clone();
                req.max_states = self.beside_limit;
                let job = (&req, 0u64, 0u64, 0u32);
                if let Some(w) = self.beside.as_ref().and_then(|b| b.worker.as_ref()) {
                    post(w, "liveness", &serde_json::to_string(&job).unwrap_or_default(), vec![]);
                }
            }
            // Its progress shows once the search is over and only the pass is left.
            Ok(CheckReply::Progress { transitions, .. }) if self.phase == Phase::Live => {
                let p = &self.coord.progress;
                let progress = CheckReply::Progress {
                    states: p.states,
                    transitions: p.transitions + transitions,
                    depth: p.depth,
                    seconds: now() - self.t0,
                };
                self.d.emit(Action::CheckReply(self.gen, progress));
            }
            Ok(CheckReply::Error { .. }) | Err(_) => self.beside_failed(),
            Ok(_) => {}
        }
    }

    /// The pass beside cannot answer: let it go; the pass runs after the search instead
    /// (at once, if the search is already over).
    fn beside_failed(&mut self) {
        if self.beside.take().is_some() && self.phase == Phase::Live {
            self.liveness_here();
        }
    }

    /// The pass beside has answered: kept until the search is over, then used.
    fn beside_done(&mut self, json: &str) {
        if self.phase == Phase::Over {
            return;
        }
        let Ok(done @ CheckReply::Done { .. }) = serde_json::from_str::<CheckReply>(json) else {
            return self.beside_failed();
        };
        if let CheckReply::Done { verdict: crate::protocol::Verdict::Limit, .. } = done {
            // Its own limit, smaller than the search's: no answer.
            return self.beside_failed();
        }
        let Some(b) = self.beside.as_mut() else { return };
        b.worker = None;
        if self.phase == Phase::Live {
            self.live_answer(done);
        } else {
            b.done = Some(done);
        }
    }

    /// The answer of the pass beside, counted as if it had run after the search: the
    /// search's states and depth, both passes' transitions.
    fn live_answer(&mut self, mut done: CheckReply) {
        if let CheckReply::Done { states, transitions, depth, memory_bytes, .. } = &mut done {
            let p = &self.coord.progress;
            *states = p.states;
            *transitions += p.transitions;
            *depth = p.depth;
            self.memory.push(*memory_bytes);
        }
        self.report(Some(done));
    }

    fn live_done(&mut self, json: &str) {
        match serde_json::from_str::<CheckReply>(json) {
            Ok(r @ CheckReply::Done { .. }) => {
                if let CheckReply::Done { memory_bytes, .. } = &r {
                    self.memory[0] = self.memory[0].max(*memory_bytes);
                }
                self.report(Some(r));
            }
            _ => self.fail("bad reply from the liveness pass".into()),
        }
    }

    fn finish(&mut self, o: &Outcome) {
        let r = parts::done(o, &self.coord.progress, 0.0, String::new(), None);
        self.report(Some(r));
    }

    /// The `Done` with the pool's own clock, reductions and memory.
    fn report(&mut self, r: Option<CheckReply>) {
        self.phase = Phase::Over;
        // A pass still running beside would go on using a core for nothing.
        if let Some(b) = self.beside.as_mut() {
            b.worker = None;
        }
        let Some(mut r) = r else { return };
        if let CheckReply::Done { seconds, reductions, safety_seconds, explored_depth, .. } = &mut r {
            *seconds = now() - self.t0;
            *reductions = self.reductions.clone();
            if self.safety_seconds.is_some() {
                // Over in the liveness pass: a limit there says so in its reason.
                *safety_seconds = self.safety_seconds;
                *explored_depth = None;
            }
        }
        let used = self.searchers + usize::from(self.beside.is_some());
        let r = parts::with_memory(r, self.memory.iter().sum(), used);
        if let Ok(text) = serde_json::to_string(&r) {
            super::race::keep_for_bench(&text);
        }
        self.d.emit(Action::CheckReply(self.gen, r));
    }
}
