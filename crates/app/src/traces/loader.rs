//! Opening a trace: the file (picked, dropped or a bundled sample fetched from this
//! app's own origin) goes to the web worker, which reads it in Blob slices and parses it
//! with progress; the events come back as one transferred buffer of fixed records.
//! Cancel terminates the worker. Files the tab cannot hold are refused before reading.

use super::model::{Model, Timing};
use super::state::Action;
use crate::protocol::{TraceReply, TRACE_CHUNK};
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent};
use yew::Callback;

/// Measured on the bundled Linux captures: ~120 bytes of text per event; an event costs
/// 48 bytes in the worker, 40 in transit and about 110 on the page (event, lane index,
/// pairing). 512 MiB of text is ~4.5 M events, ~0.5 GB on the page: past that a tab on a
/// lecture laptop is at risk, so larger files are refused up front.
pub const MAX_BYTES: f64 = 512.0 * 1024.0 * 1024.0;
const BYTES_PER_EVENT: f64 = 120.0;

/// The bundled samples: copied into `dist/samples/` by trunk (index.html).
pub const SAMPLES: &[(&str, &str)] = &[
    ("munmap-4cpu-4pages.trace", "Linux 6.12 in QEMU, 4 emulated CPUs: munmap of 4 pages, 200 times (ranged flushes)"),
    ("mprotect-4cpu-64pages.trace", "Linux 6.12 in QEMU, 4 emulated CPUs: mprotect of 64 pages, 200 times (full flushes)"),
    (
        "dragonfly-4cpu-seed7.ktrdump",
        "Emulated, not a real kernel: a run of the DragonFly model written as ktrdump (ipiq rings, a cpusync round)",
    ),
    (
        "munmap-handler-before-queue.trace",
        "Altered, not a real run: one round of the munmap capture with CPU 3's handler moved before the request was queued (a conformance mismatch)",
    ),
];

/// Where a bundled sample's events come from, said on screen with the trace: a lecture
/// must not take an emulator's latencies for hardware's. None for the user's own files.
pub fn provenance(name: &str) -> Option<&'static str> {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if file.ends_with(".trace") && SAMPLES.iter().any(|(f, _)| *f == file) && !file.starts_with("munmap-handler") {
        Some("Provenance: a real, unmodified Linux 6.12 kernel (Debian 6.12.95) on 4 CPUs emulated in software by QEMU 7.2 (TCG, no KVM), not on real hardware. The order of events is the kernel's; the times are the emulator's: IPI rounds of milliseconds here take microseconds on real CPUs.")
    } else if file.starts_with("munmap-handler") {
        Some("Provenance: altered by hand, not a real run: one round of the QEMU-emulated Linux 6.12 munmap capture with CPU 3's handler moved before the request was queued.")
    } else if file.ends_with(".ktrdump") && SAMPLES.iter().any(|(f, _)| *f == file) {
        Some("Provenance: emulated, not a real kernel: a seeded run of the DragonFly model on this page's emulated machine, written in ktrdump's layout (one tick per step).")
    } else {
        None
    }
}

/// The sample a link names (`#traces&sample=NAME`, NAME without its extension).
pub fn sample_named(stem: &str) -> Option<&'static str> {
    SAMPLES.iter().map(|(f, _)| *f).find(|f| f.rsplit_once('.').map_or(*f, |(s, _)| s) == stem)
}

pub use crate::worker_script::Running;

pub type Slot = Rc<RefCell<Option<Running>>>;

pub fn megabytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

/// Start parsing `blob`; replaces (and so cancels) a parse in progress.
pub fn open(blob: Blob, name: String, d: Callback<Action>, slot: Slot) {
    slot.borrow_mut().take();
    let size = blob.size();
    if size > MAX_BYTES {
        d.emit(Action::Failed(format!(
            "{name} is {}: this tab holds traces up to {} (about {:.1} million events at ~{BYTES_PER_EVENT:.0} bytes \
             per line). Cut the file first, e.g. `head -c 500M {name} > part.trace`, or use `sdlab trace stats` on \
             the command line.",
            megabytes(size),
            megabytes(MAX_BYTES),
            MAX_BYTES / BYTES_PER_EVENT / 1e6
        )));
        return;
    }
    let worker = match crate::worker_script::spawn() {
        Ok(w) => w,
        Err(e) => {
            d.emit(Action::Failed(format!("cannot start the worker: {e:?}")));
            return;
        }
    };
    d.emit(Action::Reading { name: name.clone(), bytes: 0, total: size as u64 });
    let (d2, w2, slot2, blob2, name2) = (d.clone(), worker.clone(), slot.clone(), blob.clone(), name.clone());
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
        let data = m.data();
        if let Some(text) = data.as_string() {
            match serde_json::from_str::<TraceReply>(&text) {
                Ok(TraceReply::Ready) => {
                    let req = js_sys::Object::new();
                    let _ = js_sys::Reflect::set(&req, &"file".into(), &blob2);
                    let _ = js_sys::Reflect::set(&req, &"chunk".into(), &(TRACE_CHUNK as f64).into());
                    let _ = w2.post_message(&req);
                }
                Ok(TraceReply::Progress { bytes, total }) => {
                    d2.emit(Action::Reading { name: name2.clone(), bytes, total })
                }
                Ok(TraceReply::Error { message }) => {
                    d2.emit(Action::Failed(format!("{name2}: {message}")));
                    let slot = slot2.clone();
                    Timeout::new(0, move || drop(slot.borrow_mut().take())).forget();
                }
                Ok(TraceReply::Parsed { .. }) => {}
                Err(e) => d2.emit(Action::Failed(format!("bad reply from the worker: {e}"))),
            }
            return;
        }
        received(&data, name2.clone(), blob2.clone(), d2.clone(), slot2.clone());
    });
    let d3 = d.clone();
    let name3 = name.clone();
    let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        e.prevent_default();
        d3.emit(Action::Failed(format!(
            "{name3}: the parser stopped ({}); the tab may be out of memory — try a smaller file",
            e.message()
        )));
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    *slot.borrow_mut() = Some(Running { worker, _onmessage: onmessage, _onerror: onerror });
}

/// The parsed trace arrived: decode the records, then (after the status has painted)
/// build the model on the page.
fn received(data: &JsValue, name: String, blob: Blob, d: Callback<Action>, slot: Slot) {
    let json = js_sys::Reflect::get(data, &"json".into()).ok().and_then(|j| j.as_string()).unwrap_or_default();
    let buffer = js_sys::Reflect::get(data, &"events".into()).ok();
    let (mut trace, timing) = match serde_json::from_str::<TraceReply>(&json) {
        Ok(TraceReply::Parsed { trace, parse_ms, read_ms }) => (trace, Timing { parse_ms, read_ms, build_ms: 0.0 }),
        Ok(_) | Err(_) => {
            d.emit(Action::Failed("the worker sent a result the page does not understand".into()));
            return;
        }
    };
    let Some(buffer) = buffer.and_then(|b| b.dyn_into::<js_sys::ArrayBuffer>().ok()) else {
        d.emit(Action::Failed("the worker sent no events".into()));
        return;
    };
    d.emit(Action::Building(name.clone()));
    Timeout::new(0, move || {
        let t0 = js_sys::Date::now();
        // Let the worker go first: its memory is the other half of the peak.
        slot.borrow_mut().take();
        let view = js_sys::Uint8Array::new(&buffer);
        let total = view.length();
        let step = (crate::wire::RECORD * 100_000) as u32;
        let mut events = Vec::with_capacity(total as usize / crate::wire::RECORD);
        let mut buf = Vec::new();
        let mut at = 0;
        while at < total {
            let end = (at + step).min(total);
            buf.resize((end - at) as usize, 0);
            view.subarray(at, end).copy_to(&mut buf);
            if let Err(e) = crate::wire::decode_into(&buf, &mut events) {
                d.emit(Action::Failed(e));
                return;
            }
            at = end;
        }
        trace.events = events;
        let mut model = Model::new(name, trace, timing);
        model.timing.build_ms = js_sys::Date::now() - t0;
        d.emit(Action::Loaded(Rc::new(model), blob));
    })
    .forget();
}

/// A bundled sample, fetched from the app's own origin.
pub fn open_sample(file: &'static str, d: Callback<Action>, slot: Slot) {
    d.emit(Action::Reading { name: file.to_string(), bytes: 0, total: 0 });
    wasm_bindgen_futures::spawn_local(async move {
        let result: Result<Blob, JsValue> = async {
            let w = web_sys::window().ok_or("no window")?;
            let resp: web_sys::Response =
                wasm_bindgen_futures::JsFuture::from(w.fetch_with_str(&format!("samples/{file}"))).await?.dyn_into()?;
            if !resp.ok() {
                return Err(JsValue::from_str(&format!("HTTP {}", resp.status())));
            }
            wasm_bindgen_futures::JsFuture::from(resp.blob()?).await?.dyn_into()
        }
        .await;
        match result {
            Ok(blob) => open(blob, file.to_string(), d, slot),
            Err(e) => d.emit(Action::Failed(format!("the sample {file} could not be fetched: {e:?}"))),
        }
    });
}

/// The first line at `offset` of the file, for the details panel.
pub async fn raw_line(blob: Blob, offset: u64) -> Option<String> {
    let slice = blob.slice_with_f64_and_f64(offset as f64, offset as f64 + 4096.0).ok()?;
    let text = wasm_bindgen_futures::JsFuture::from(slice.text()).await.ok()?.as_string()?;
    Some(text.split('\n').next().unwrap_or("").trim_end_matches('\r').to_string())
}
