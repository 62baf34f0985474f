//! The checker's web worker: receives a `CheckRequest`, explores in slices, posts
//! `Progress` after each slice and `Done` at the end. Cancelling is terminating it.

use sdlab_app::protocol::{CheckReply, CheckRequest};
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::machine::{Config, Machine};
use sdlab_engine::{compile, schedule};
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Transitions per slice: a progress report every few tens of milliseconds.
const SLICE: u64 = 40_000;

fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}

fn post(scope: &DedicatedWorkerGlobalScope, r: &CheckReply) {
    if let Ok(text) = serde_json::to_string(r) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

fn check(scope: &DedicatedWorkerGlobalScope, req: CheckRequest) -> Result<(), String> {
    let prog = match compile(&req.source) {
        (Some(p), d) if d.is_empty() => Arc::new(p),
        (_, d) => return Err(d.first().map_or("the model does not compile".into(), |d| d.to_string())),
    };
    if req.options.len() != prog.options.len() {
        return Err("option values do not match the model".into());
    }
    let cfg = Config { ncpu: req.ncpu, scenario: req.scenario, options: req.options };
    let machine = Machine::new(prog, cfg)?;
    let mut c = Checker::new(machine, Options { max_states: req.max_states, ..Options::default() });
    let t0 = now();
    while !c.run(SLICE) {
        let p = c.progress();
        post(
            scope,
            &CheckReply::Progress { states: p.states, transitions: p.transitions, depth: p.depth, seconds: now() - t0 },
        );
    }
    let p = c.progress().clone();
    let outcome = c.outcome().cloned().unwrap_or(Outcome::Verified);
    let (verdict, property, message) = match &outcome {
        Outcome::Verified => ("verified", None, None),
        Outcome::Violation { property, message, .. } => ("violation", Some(property.clone()), Some(message.clone())),
        Outcome::Fault { message, .. } => ("fault", None, Some(message.clone())),
        Outcome::Limit { reason } => ("limit", None, Some(reason.clone())),
    };
    let choices = outcome.choices();
    let cycle_start = match &outcome {
        Outcome::Violation { cycle_start, .. } => *cycle_start,
        _ => None,
    };
    post(
        scope,
        &CheckReply::Done {
            verdict: verdict.into(),
            property,
            message,
            schedule: (!choices.is_empty()).then(|| schedule::format(choices)),
            cycle_start,
            states: p.states,
            transitions: p.transitions,
            depth: p.depth,
            seconds: now() - t0,
        },
    );
    Ok(())
}

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
        let text = m.data().as_string().unwrap_or_default();
        let result = serde_json::from_str::<CheckRequest>(&text)
            .map_err(|e| format!("bad request: {e}"))
            .and_then(|req| check(&reply_to, req));
        if let Err(message) = result {
            post(&reply_to, &CheckReply::Error { message });
        }
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    post(&scope, &CheckReply::Ready);
}
