//! Starting the `sdlab-worker` web worker: trunk builds `sdlab-worker.js` (wasm-bindgen,
//! no-modules) next to the page; a tiny blob script loads it with absolute URLs, so the
//! worker works from any path the app is served under.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker};

pub fn spawn() -> Result<Worker, JsValue> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let base = doc.base_uri()?.unwrap_or_default();
    let js = Url::new_with_base("sdlab-worker.js", &base)?.href();
    let wasm = Url::new_with_base("sdlab-worker_bg.wasm", &base)?.href();
    let script = js_sys::Array::new();
    script.push(&JsValue::from_str(&format!("importScripts({js:?}); wasm_bindgen({wasm:?});")));
    let opts = BlobPropertyBag::new();
    opts.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&script, &opts)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let w = Worker::new(&url);
    let _ = Url::revoke_object_url(&url);
    w
}

/// A worker at work, with the handlers that must live as long as it does; dropping it
/// terminates the worker, which is how both the checker and the trace parser cancel.
pub struct Running {
    pub worker: Worker,
    pub _onmessage: Closure<dyn Fn(MessageEvent)>,
    pub _onerror: Closure<dyn Fn(web_sys::ErrorEvent)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
