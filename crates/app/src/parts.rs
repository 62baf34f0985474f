//! "Find a race" on several web workers (`sdlab_engine::checker::partition`): what the
//! page and its part workers send each other. The page coordinates; each worker holds a
//! `Part`. A message either way is a JS object `{ part: op, json: text, bufs: [ArrayBuffer] }`:
//! the op names the phase, the JSON carries the small values, the buffers the large ones
//! (fingerprints, bits, records, links), little-endian, transferred.

use crate::protocol::{CheckReply, Verdict};
use sdlab_engine::checker::partition::{Event, Kept};
use sdlab_engine::checker::{Outcome, Progress};
use sdlab_engine::{schedule, Choice, Property};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// What a part worker is made from: the configuration the page checks, and its place.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct PartRequest {
    pub check: crate::protocol::CheckRequest,
    pub index: usize,
    pub workers: usize,
}

pub fn u128s_to_bytes(v: &[u128]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn bytes_to_u128s(b: &[u8]) -> Vec<u128> {
    b.chunks_exact(16).map(|c| u128::from_le_bytes(c.try_into().unwrap_or([0; 16]))).collect()
}

pub fn u32s_to_bytes(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn bytes_to_u32s(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// An event as it crosses: the outcome without its schedule (the page builds it).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct WireEvent {
    pub at: u32,
    pub rec: u32,
    pub node: u32,
    pub choice: String,
    /// None for a model fault.
    pub property: Option<Property>,
    pub message: String,
}

impl WireEvent {
    pub fn new(at: u32, rec: u32, e: &Event) -> WireEvent {
        let (property, message) = match &e.outcome {
            Outcome::Violation { property, message, .. } => (Some(*property), message.clone()),
            Outcome::Fault { message, .. } => (None, message.clone()),
            Outcome::Verified | Outcome::Limit { .. } => (None, String::new()),
        };
        WireEvent { at, rec, node: e.node, choice: schedule::format(&[e.choice]), property, message }
    }

    pub fn event(&self) -> Result<Event, String> {
        let choice: Choice = *schedule::parse(&self.choice)?.first().ok_or("an event without its choice")?;
        let outcome = match self.property {
            Some(property) => Outcome::Violation {
                property,
                message: self.message.clone(),
                schedule: vec![],
                choices: vec![],
                cycle_start: None,
            },
            None => Outcome::Fault { message: self.message.clone(), schedule: vec![], choices: vec![] },
        };
        Ok(Event { node: self.node, choice, outcome })
    }
}

/// `Kept` without its events: `[cands, n, new_at × n, new_rec × n, (node, choice) × n]`.
pub fn pack_kept(k: &Kept) -> Vec<u32> {
    let n = k.new_at.len();
    let mut w = Vec::with_capacity(2 + 4 * n);
    w.extend([k.cands, n as u32]);
    w.extend_from_slice(&k.new_at);
    w.extend_from_slice(&k.new_rec);
    w.extend(k.links.iter().flat_map(|&(a, b)| [a, b]));
    w
}

/// The events of a `Kept`: its step event and its stuck state.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct KeptEvents {
    pub step_event: Option<WireEvent>,
    pub stuck: Option<WireEvent>,
}

pub fn kept_events(k: &Kept) -> KeptEvents {
    KeptEvents {
        step_event: k.step_event.as_ref().map(|(a, r, e)| WireEvent::new(*a, *r, e)),
        stuck: k.stuck.as_ref().map(|(a, r, e)| WireEvent::new(*a, *r, e)),
    }
}

pub fn unpack_kept(w: &[u32], ev: &KeptEvents) -> Result<Kept, String> {
    let bad = || "a worker's part of the level arrived cut short".to_string();
    let (&cands, &n) = (w.first().ok_or_else(bad)?, w.get(1).ok_or_else(bad)?);
    let n = n as usize;
    if w.len() != 2 + 4 * n {
        return Err(bad());
    }
    let links = w[2 + 2 * n..].chunks_exact(2).map(|c| (c[0], c[1])).collect();
    let event = |e: &Option<WireEvent>| -> Result<Option<(u32, u32, Event)>, String> {
        e.as_ref().map(|e| Ok((e.at, e.rec, e.event()?))).transpose()
    };
    Ok(Kept {
        cands,
        new_at: w[2..2 + n].to_vec(),
        new_rec: w[2 + n..2 + 2 * n].to_vec(),
        links,
        step_event: event(&ev.step_event)?,
        stuck: event(&ev.stuck)?,
    })
}

/// A message `{ part, json, bufs }` with the buffers transferred; returns it and the
/// transfer list.
pub fn message(op: &str, json: &str, bufs: Vec<Vec<u8>>) -> (JsValue, js_sys::Array) {
    let bufs = bufs
        .iter()
        .map(|b| {
            let a = js_sys::Uint8Array::new_with_length(b.len() as u32);
            a.copy_from(b);
            a.buffer().into()
        })
        .collect();
    message_js(op, json, bufs)
}

/// A message whose buffers are already `ArrayBuffer`s (the page passes a worker's
/// buffers on to another without reading them).
pub fn message_js(op: &str, json: &str, bufs: Vec<JsValue>) -> (JsValue, js_sys::Array) {
    let msg = js_sys::Object::new();
    let list = js_sys::Array::new();
    for b in bufs {
        list.push(&b);
    }
    let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("part"), &JsValue::from_str(op));
    let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("json"), &JsValue::from_str(json));
    let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("bufs"), &list);
    (msg.into(), list)
}

/// The op, the JSON and the buffers (`ArrayBuffer`s) of a message; None when it is not
/// a part message.
pub fn read_js(data: &JsValue) -> Option<(String, String, Vec<JsValue>)> {
    if data.is_string() {
        return None;
    }
    let op = js_sys::Reflect::get(data, &JsValue::from_str("part")).ok()?.as_string()?;
    let json = js_sys::Reflect::get(data, &JsValue::from_str("json")).ok()?.as_string().unwrap_or_default();
    let bufs = js_sys::Reflect::get(data, &JsValue::from_str("bufs")).ok()?;
    Some((op, json, js_sys::Array::from(&bufs).iter().collect()))
}

/// The bytes of an `ArrayBuffer`.
pub fn bytes(b: &JsValue) -> Vec<u8> {
    js_sys::Uint8Array::new(b).to_vec()
}

/// As `read_js`, with the buffers' bytes.
pub fn read(data: &JsValue) -> Option<(String, String, Vec<Vec<u8>>)> {
    let (op, json, bufs) = read_js(data)?;
    Some((op, json, bufs.iter().map(bytes).collect()))
}

/// The `Done` reply for an outcome (its memory and workers left at 0 and 1).
pub fn done(
    outcome: &Outcome,
    p: &Progress,
    seconds: f64,
    reductions: String,
    safety_seconds: Option<f64>,
) -> CheckReply {
    let (verdict, property, message) = match outcome {
        Outcome::Verified => (Verdict::Verified, None, None),
        Outcome::Violation { property, message, .. } => (Verdict::Violation, Some(*property), Some(message.clone())),
        Outcome::Fault { message, .. } => (Verdict::Fault, None, Some(message.clone())),
        Outcome::Limit { reason } => (Verdict::Limit, None, Some(reason.clone())),
    };
    let choices = outcome.choices();
    let cycle_start = match outcome {
        Outcome::Violation { cycle_start, .. } => *cycle_start,
        _ => None,
    };
    CheckReply::Done {
        verdict,
        property,
        message,
        schedule: (!choices.is_empty()).then(|| schedule::format(choices)),
        cycle_start,
        states: p.states,
        transitions: p.transitions,
        depth: p.depth,
        seconds,
        reductions,
        // A limit in the breadth-first search: every level before the one being
        // expanded is complete (a limit in the liveness pass says so in its reason).
        explored_depth: (verdict == Verdict::Limit && safety_seconds.is_none()).then_some(p.depth),
        safety_seconds,
        memory_bytes: 0,
        workers: 1,
    }
}

/// `r` with the search's peak memory and worker count, when it is a `Done`.
pub fn with_memory(mut r: CheckReply, bytes: u64, n: usize) -> CheckReply {
    if let CheckReply::Done { memory_bytes, workers, .. } = &mut r {
        *memory_bytes = bytes;
        *workers = n;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_part_survives_the_trip() {
        let k = Kept {
            cands: 9,
            new_at: vec![1, 4],
            new_rec: vec![0, 2],
            links: vec![(7, 3), (8, 1 << 30)],
            step_event: None,
            stuck: None,
        };
        assert_eq!(unpack_kept(&pack_kept(&k), &kept_events(&k)), Ok(k));
        assert!(unpack_kept(&[1, 5, 0], &KeptEvents::default()).is_err());
        assert_eq!(bytes_to_u128s(&u128s_to_bytes(&[1, u128::MAX, 3 << 100])), vec![1, u128::MAX, 3 << 100]);
    }
}
