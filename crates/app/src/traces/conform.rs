//! Conformance in the Traces mode: the rounds of the open trace checked against a model
//! in the web worker (the search of `sdlab trace conform`), a badge per round, and "play
//! in the machine", which opens a round's run in the stepper with the trace lines it
//! produced (or where the kernel and the model part ways).

use super::model::Model;
use super::state::Action;
use crate::protocol::{ConformReply, ConformRequest, RoundVerdict};
use crate::worker_script::Running;
use sdlab_lab::guide::Guide;
use sdlab_runtrace::conform as search;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;
use yew::Callback;

/// Product states per round before it is left undecided, as the CLI's default.
pub const MAX_STATES: usize = 1_000_000;
/// Seconds per round before it is left undecided (the page is slower than the CLI).
pub const SECONDS: f64 = 30.0;

/// What is known of the open trace's conformance to one model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conformance {
    pub model: String,
    pub scenario: Option<String>,
    /// Verdicts by the event index their round starts at.
    pub verdicts: BTreeMap<u32, RoundVerdict>,
    /// Rounds the running job will check, and whether one is running.
    pub planned: usize,
    pub running: bool,
    /// Seconds the last finished job took, and how many rounds it checked.
    pub last: Option<(usize, f64)>,
    pub error: Option<String>,
    /// A round to play as soon as its verdict arrives.
    pub play: Option<u32>,
}

impl Conformance {
    /// The model the trace's kernel runs, or the model of the run that made it.
    pub fn for_model(m: &Model) -> Conformance {
        let (model, scenario) = match &m.origin {
            Some((model, scenario)) => (model.clone(), Some(scenario.clone())),
            None => (search::default_model(m.trace.format).to_string(), None),
        };
        Conformance { model, scenario, ..Conformance::default() }
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for v in self.verdicts.values() {
            match v.verdict.word() {
                "conforms" => c.0 += 1,
                "mismatch" => c.1 += 1,
                _ => c.2 += 1,
            }
        }
        c
    }

    pub fn apply(&mut self, r: ConformReply) {
        match r {
            ConformReply::Ready => {}
            ConformReply::Planned { rounds } => self.planned = rounds,
            ConformReply::Round(v) => {
                self.verdicts.insert(v.start, v);
            }
            ConformReply::Done { rounds, seconds } => {
                self.running = false;
                self.last = Some((rounds, seconds));
            }
            ConformReply::Error { message } => {
                self.running = false;
                self.play = None;
                self.error = Some(message);
            }
        }
    }
}

/// The round starts (event indices) conformance checks in `m`: Linux shootdown rounds
/// with csd evidence, or one window from event 0 for a ktrdump trace or a stepper run.
pub fn checkable(m: &Model) -> Vec<u32> {
    if search::whole_window(m.trace.format) {
        vec![0]
    } else {
        m.replay.rounds.iter().filter(|r| search::checks_round(m.replay.evidence, r)).map(|r| r.start).collect()
    }
}

/// The badge of a verdict: symbol, class and words.
pub fn badge(v: Option<&RoundVerdict>) -> (&'static str, &'static str, String) {
    use crate::protocol::ConformVerdict as V;
    match v.map(|v| &v.verdict) {
        None => ("·", "unchecked", "not checked yet".into()),
        Some(V::Conforms { matched, .. }) => ("✓", "conforms", format!("conforms: {} events matched", matched.len())),
        Some(V::Mismatch { reason, .. }) => ("✗", "mismatch", format!("mismatch: {reason}")),
        Some(V::Undecided { reason }) => ("?", "undecided", format!("undecided: {reason}")),
    }
}

pub type Slot = Rc<RefCell<Option<Running>>>;

/// Start the worker on `starts` (all rounds when empty). Replies go to the reducer as
/// `Action::Conform`; the previous job, if any, is cancelled by dropping it.
pub fn start(m: &Model, c: &Conformance, starts: Vec<u32>, d: Callback<Action>, slot: Slot) {
    slot.borrow_mut().take();
    let worker = match crate::worker_script::spawn() {
        Ok(w) => w,
        Err(e) => {
            d.emit(Action::Conform(ConformReply::Error { message: format!("cannot start the worker: {e:?}") }));
            return;
        }
    };
    // The events go as the records the worker itself sends them in; the rest as JSON.
    let trace = sdlab_trace::Trace { events: Vec::new(), ..m.trace.clone() };
    let req = ConformRequest {
        trace,
        model: c.model.clone(),
        scenario: c.scenario.clone(),
        starts,
        max_states: MAX_STATES,
        seconds: SECONDS,
    };
    let json = match serde_json::to_string(&req) {
        Ok(j) => j,
        Err(e) => {
            d.emit(Action::Conform(ConformReply::Error { message: e.to_string() }));
            return;
        }
    };
    let records = crate::wire::encode(&m.trace.events);
    let (d2, w2, slot2) = (d.clone(), worker.clone(), slot.clone());
    let pending = RefCell::new(Some((json, records)));
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else { return };
        match serde_json::from_str::<ConformReply>(&text) {
            Ok(ConformReply::Ready) => {
                let Some((json, records)) = pending.borrow_mut().take() else { return };
                let array = js_sys::Uint8Array::new_with_length(records.len() as u32);
                array.copy_from(&records);
                let msg = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&msg, &"conform".into(), &JsValue::from_str(&json));
                let _ = js_sys::Reflect::set(&msg, &"events".into(), &array.buffer());
                let _ = w2.post_message_with_transfer(&msg, &js_sys::Array::of1(&array.buffer()));
            }
            Ok(r) => {
                let done = matches!(r, ConformReply::Done { .. } | ConformReply::Error { .. });
                d2.emit(Action::Conform(r));
                if done {
                    let slot = slot2.clone();
                    gloo_timers::callback::Timeout::new(0, move || drop(slot.borrow_mut().take())).forget();
                }
            }
            // The worker greets every page with the checker's `Ready`; anything else it
            // sends here is a conformance reply.
            Err(err) => d2.emit(Action::Conform(ConformReply::Error { message: format!("bad reply: {err}") })),
        }
    });
    let d3 = d.clone();
    let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        e.prevent_default();
        d3.emit(Action::Conform(ConformReply::Error { message: format!("the worker stopped: {}", e.message()) }));
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    *slot.borrow_mut() = Some(Running { worker, _onmessage: onmessage, _onerror: onerror });
}

/// Open a decided round in the stepper: read the lines its events came from, build the
/// guide, hand it over and switch modes. `round_no` is the row's number in the rounds table.
pub fn play(
    m: Rc<Model>,
    blob: Option<web_sys::Blob>,
    c: &Conformance,
    v: RoundVerdict,
    round_no: Option<usize>,
    open: Callback<()>,
    d: Callback<Action>,
) {
    let (model, scenario) = (
        c.model.clone(),
        c.scenario.clone().or_else(|| (c.model == "linux").then(|| search::LINUX_SCENARIO.to_string())),
    );
    wasm_bindgen_futures::spawn_local(async move {
        let mut wanted: Vec<u32> = match &v.verdict {
            crate::protocol::ConformVerdict::Conforms { matched, .. } => matched.iter().map(|p| p.1).collect(),
            crate::protocol::ConformVerdict::Mismatch { matched, event, .. } => {
                matched.iter().map(|p| p.1).chain(std::iter::once(*event)).collect()
            }
            crate::protocol::ConformVerdict::Undecided { .. } => Vec::new(),
        };
        wanted.sort_unstable();
        wanted.dedup();
        let mut raws: BTreeMap<u32, String> = BTreeMap::new();
        for i in wanted {
            let text = match (&blob, m.event(i)) {
                (Some(b), Some(e)) => super::loader::raw_line(b.clone(), e.offset).await,
                _ => None,
            };
            raws.insert(i, text.unwrap_or_default());
        }
        let title = match round_no {
            Some(r) => format!("{}, round #{}", m.name, r + 1),
            None => m.name.clone(),
        };
        let raw = |i: u32| raws.get(&i).cloned().unwrap_or_default();
        match Guide::from_verdict(title, &model, scenario.as_deref(), &m.trace, &v, search::FACTS, &raw) {
            Ok(g) => {
                crate::stepper::guide::offer(g);
                open.emit(());
            }
            Err(e) => d.emit(Action::Conform(ConformReply::Error { message: e })),
        }
    });
}
