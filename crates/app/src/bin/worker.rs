//! The web worker: a `CheckRequest` (a JSON string) runs the checker in slices, posting
//! `Progress` after each slice and `Done` at the end; a trace request (a JS object with a
//! `file` Blob) reads the file slice by slice (a helper worker reads the next slices while
//! this one is parsed: `file_slices`), parses it and posts the events as one transferred buffer. Cancelling either
//! is terminating the worker.

use sdlab_app::parts;
use sdlab_app::protocol::{
    CauseRequest, CheckReply, CheckRequest, ConformReply, ConformRequest, RoundVerdict, TraceReply, TRACE_CHUNK,
};
use sdlab_engine::checker::partition::{Liveness, Part};
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::compile;
use sdlab_engine::machine::{Config, Machine};
use sdlab_runtrace::conform;
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

/// The whole check on this worker: the search, then (with `liveness`) the liveness pass;
/// progress on the way, and the answer as `CheckReply::Done`.
fn check_whole(scope: &DedicatedWorkerGlobalScope, req: &CheckRequest, liveness: bool) -> Result<CheckReply, String> {
    let opts = Options { max_states: req.max_states, liveness, ..Options::default() };
    let mut c = Checker::new(machine(req)?, opts);
    let t0 = now();
    // When the breadth-first (safety) search ended and the liveness pass began.
    let mut safety_seconds = None;
    while !c.run(SLICE) {
        let p = c.progress();
        if safety_seconds.is_none() && c.in_liveness_pass() {
            safety_seconds = Some(now() - t0);
        }
        post(
            scope,
            &CheckReply::Progress { states: p.states, transitions: p.transitions, depth: p.depth, seconds: now() - t0 },
        );
    }
    let outcome = c.outcome().cloned().unwrap_or(Outcome::Verified);
    let reply = parts::done(&outcome, c.progress(), now() - t0, c.reductions().to_string(), safety_seconds);
    Ok(parts::with_memory(reply, memory_bytes(), 1))
}

fn check(scope: &DedicatedWorkerGlobalScope, req: CheckRequest) -> Result<(), String> {
    post(scope, &check_whole(scope, &req, true)?);
    Ok(())
}

/// The size of this worker's wasm memory, which only grows: its peak.
fn memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size(0) as u64 * 65536;
    #[cfg(not(target_arch = "wasm32"))]
    0
}

fn post_trace(scope: &DedicatedWorkerGlobalScope, r: &TraceReply) {
    if let Ok(text) = serde_json::to_string(r) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

/// Slices read ahead of the parser (each `TRACE_CHUNK` bytes).
const READ_AHEAD: u32 = 3;

async fn parse_trace(scope: &DedicatedWorkerGlobalScope, req: &JsValue) -> Result<(), String> {
    let file: web_sys::Blob = js_sys::Reflect::get(req, &JsValue::from_str("file"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("the request names no file")?;
    let chunk = js_sys::Reflect::get(req, &JsValue::from_str("chunk"))
        .ok()
        .and_then(|c| c.as_f64())
        .map_or(TRACE_CHUNK as f64, |c| c.clamp(4096.0, 64.0 * 1024.0 * 1024.0));
    let total = file.size();
    let t0 = js_sys::Date::now();
    let mut parser = sdlab_trace::Reader::new();
    parser.expect_bytes(total as u64);
    let mut buf = Vec::new();
    let mut read_ms = 0.0;
    let mut done = 0.0;
    let mut slices = sdlab_app::file_slices::Slices::open(&file, chunk, READ_AHEAD);
    loop {
        let r0 = js_sys::Date::now();
        let Some(bytes) = slices.next().await? else { break };
        let view = js_sys::Uint8Array::new(&bytes);
        buf.resize(view.length() as usize, 0);
        view.copy_to(&mut buf);
        read_ms += js_sys::Date::now() - r0;
        parser.feed(&buf);
        done += buf.len() as f64;
        post_trace(scope, &TraceReply::Progress { bytes: done as u64, total: total as u64 });
    }
    drop(buf);
    let mut trace = parser.finish().map_err(|e| format!("not a trace this lab reads: {e}"))?;
    let events = std::mem::take(&mut trace.events);
    let parse_ms = js_sys::Date::now() - t0;
    let json = serde_json::to_string(&TraceReply::Parsed { trace, parse_ms, read_ms }).map_err(|e| e.to_string())?;
    let records = sdlab_app::wire::encode(&events);
    drop(events);
    let array = js_sys::Uint8Array::new_with_length(records.len() as u32);
    array.copy_from(&records);
    drop(records);
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("json"), &JsValue::from_str(&json));
    let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("events"), &array.buffer());
    let transfer = js_sys::Array::of1(&array.buffer());
    scope.post_message_with_transfer(&msg, &transfer).map_err(|_| "the events could not be sent to the page".into())
}

fn post_conform(scope: &DedicatedWorkerGlobalScope, r: &ConformReply) {
    if let Ok(text) = serde_json::to_string(r) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

/// Check the requested rounds one after another, posting each verdict as it is decided.
/// The same search as `sdlab trace conform`, on the same machines.
fn conform_trace(scope: &DedicatedWorkerGlobalScope, req: &JsValue) -> Result<(), String> {
    let json = js_sys::Reflect::get(req, &JsValue::from_str("conform"))
        .ok()
        .and_then(|j| j.as_string())
        .ok_or("the request carries no conformance job")?;
    let req_json: ConformRequest = serde_json::from_str(&json).map_err(|e| format!("bad request: {e}"))?;
    let buffer =
        js_sys::Reflect::get(req, &JsValue::from_str("events")).map_err(|_| "the request carries no events")?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let mut trace = req_json.trace;
    trace.events = sdlab_app::wire::decode(&bytes)?;
    drop(bytes);
    if sdlab_engine::models::find(&req_json.model).is_none() {
        return Err(format!("no bundled model `{}`", req_json.model));
    }
    let rounds = conform::rounds(&trace, conform::max_cpus(&req_json.model));
    let chosen: Vec<&conform::Round> =
        rounds.iter().filter(|r| req_json.starts.is_empty() || req_json.starts.contains(&r.start)).collect();
    post_conform(scope, &ConformReply::Planned { rounds: chosen.len() });
    let opts = conform::Options { max_states: req_json.max_states, skew: 0 };
    let mut machines = conform::Machines::new(&req_json.model, req_json.scenario.as_deref());
    let t0 = now();
    for r in &chosen {
        let r0 = now();
        let deadline = r0 + req_json.seconds;
        let (outcome, scenario) = machines.check(&trace, r, &opts, &mut || now() < deadline);
        let round = RoundVerdict::new(r, outcome, scenario, now() - r0);
        post_conform(scope, &ConformReply::Round(round));
    }
    post_conform(scope, &ConformReply::Done { rounds: chosen.len(), seconds: now() - t0 });
    Ok(())
}

thread_local! {
    /// This worker's part of a search split across workers (`sdlab_app::parts`).
    static PART: std::cell::RefCell<Option<Part>> = const { std::cell::RefCell::new(None) };
}

fn machine(req: &CheckRequest) -> Result<Machine, String> {
    let prog = match compile(&req.source) {
        (Some(p), d) if d.is_empty() => Arc::new(p),
        (_, d) => return Err(d.first().map_or("the model does not compile".into(), |d| d.to_string())),
    };
    if req.options.len() != prog.options.len() {
        return Err("option values do not match the model".into());
    }
    let cfg = Config { ncpu: req.ncpu, scenario: req.scenario, options: req.options.clone() };
    Machine::new(prog, cfg).map_err(|e| e.to_string())
}

fn post_part(scope: &DedicatedWorkerGlobalScope, op: &str, json: &str, bufs: Vec<Vec<u8>>) {
    let (msg, transfer) = parts::message(op, json, bufs);
    let _ = scope.post_message_with_transfer(&msg, &transfer);
}

/// One phase of a split search (`partition::Part`), answered with a part message; the
/// liveness pass after it posts progress as a lone worker does, then its `Done`.
fn part(scope: &DedicatedWorkerGlobalScope, op: &str, json: &str, bufs: Vec<Vec<u8>>) -> Result<(), String> {
    if op == "new" {
        let req: parts::PartRequest = serde_json::from_str(json).map_err(|e| format!("bad request: {e}"))?;
        let p = Part::new(machine(&req.check)?, req.index, req.workers, true);
        PART.with(|c| *c.borrow_mut() = Some(p));
        post_part(scope, "ready", "", vec![]);
        return Ok(());
    }
    // The search whole, without the liveness pass (which runs beside it on another
    // worker): a pool of one search worker needs no partition of the levels.
    if op == "search" {
        let req: CheckRequest = serde_json::from_str(json).map_err(|e| format!("bad request: {e}"))?;
        let reply = check_whole(scope, &req, false)?;
        post_part(scope, "searched", &serde_json::to_string(&reply).unwrap_or_default(), vec![]);
        return Ok(());
    }
    if op == "liveness" {
        let (req, states, transitions, depth): (CheckRequest, u64, u64, u32) =
            serde_json::from_str(json).map_err(|e| format!("bad request: {e}"))?;
        // The part's visited shard and records are no longer needed.
        PART.with(|c| c.borrow_mut().take());
        let progress = sdlab_engine::checker::Progress { states, transitions, depth, frontier: 0 };
        let mut l = Liveness::new(machine(&req)?, req.max_states, progress);
        let t0 = now();
        let outcome = loop {
            if let Some(o) = l.run(SLICE) {
                break o;
            }
            let p = &l.progress;
            post(
                scope,
                &CheckReply::Progress {
                    states: p.states,
                    transitions: p.transitions,
                    depth: p.depth,
                    seconds: now() - t0,
                },
            );
        };
        let reply = parts::with_memory(parts::done(&outcome, &l.progress, 0.0, String::new(), None), memory_bytes(), 1);
        post_part(scope, "live-done", &serde_json::to_string(&reply).unwrap_or_default(), vec![]);
        return Ok(());
    }
    PART.with(|c| {
        let mut c = c.borrow_mut();
        let p = c.as_mut().ok_or("no part of a search in this worker")?;
        match op {
            "expand" => expand(scope, p),
            "dedup" => {
                let lists: Vec<Vec<u128>> = bufs.iter().map(|b| parts::bytes_to_u128s(b)).collect();
                let bits = p.dedup(&lists);
                post_part(scope, "deduped", "", bits.iter().map(|b| b.iter().map(|&x| x as u8).collect()).collect());
            }
            "keep" => {
                let bits: Vec<Vec<bool>> = bufs.iter().map(|b| b.iter().map(|&x| x != 0).collect()).collect();
                let k = p.keep(&bits);
                let events = serde_json::to_string(&parts::kept_events(&k)).map_err(|e| e.to_string())?;
                post_part(scope, "kept", &events, vec![parts::u32s_to_bytes(&parts::pack_kept(&k))]);
            }
            "commit" => {
                // The next level: expanded here when the slices stay as they are, else
                // cut into pieces for the other workers first.
                let (base, ends): (u32, Option<Vec<usize>>) =
                    serde_json::from_str(json).map_err(|e| format!("bad request: {e}"))?;
                p.commit(base);
                match ends {
                    Some(ends) => {
                        let pieces = p.split(&ends);
                        post_part(scope, "pieces", "", pieces.iter().map(|x| parts::u32s_to_bytes(x)).collect());
                    }
                    None => expand(scope, p),
                }
            }
            "join" => {
                let pieces: Vec<Vec<u32>> = bufs.iter().map(|b| parts::bytes_to_u32s(b)).collect();
                p.join(&pieces);
                expand(scope, p);
            }
            "best" => {
                let best = p.best_event().map(|(r, e)| (r, parts::WireEvent::new(0, 0, &e)));
                post_part(scope, "best", &serde_json::to_string(&best).unwrap_or_default(), vec![]);
            }
            _ => return Err(format!("unknown part request `{op}`")),
        }
        Ok(())
    })
}

/// Phase 1 on this worker's slice: its fingerprints for each owner, and its memory.
fn expand(scope: &DedicatedWorkerGlobalScope, p: &mut Part) {
    let lists = p.expand();
    let bufs = lists.iter().map(|l| parts::u128s_to_bytes(l)).collect();
    post_part(scope, "expanded", &memory_bytes().to_string(), bufs);
}

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
        let data = m.data();
        if let Some((op, json, bufs)) = parts::read(&data) {
            if let Err(message) = part(&reply_to, &op, &json, bufs) {
                post(&reply_to, &CheckReply::Error { message });
            }
            return;
        }
        if !data.is_string() && js_sys::Reflect::has(&data, &JsValue::from_str("conform")).unwrap_or(false) {
            if let Err(message) = conform_trace(&reply_to, &data) {
                post_conform(&reply_to, &ConformReply::Error { message });
            }
            return;
        }
        if !data.is_string() && js_sys::Reflect::has(&data, &JsValue::from_str("cause")).unwrap_or(false) {
            // The step that makes a loaded counterexample's race (bisection over bounded
            // explorations: up to a tenth of a second, so not on the page's thread).
            let json = js_sys::Reflect::get(&data, &JsValue::from_str("cause")).ok().and_then(|j| j.as_string());
            let reply = match json.as_deref().map(serde_json::from_str::<CauseRequest>) {
                Some(Ok(req)) => sdlab_lab::cause::answer(&req),
                _ => return post(&reply_to, &CheckReply::Error { message: "bad cause request".into() }),
            };
            if let Ok(text) = serde_json::to_string(&reply) {
                let _ = reply_to.post_message(&JsValue::from_str(&text));
            }
            return;
        }
        if !data.is_string() {
            let scope = reply_to.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(message) = parse_trace(&scope, &data).await {
                    post_trace(&scope, &TraceReply::Error { message });
                }
            });
            return;
        }
        let text = data.as_string().unwrap_or_default();
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
