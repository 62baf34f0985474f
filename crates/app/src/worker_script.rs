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
    from_source(&format!("importScripts({js:?}); wasm_bindgen({wasm:?});"))
}

/// A worker running `source`, through a blob URL (no file to serve; from a worker too).
pub fn from_source(source: &str) -> Result<Worker, JsValue> {
    let script = js_sys::Array::of1(&JsValue::from_str(source));
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

/// One job in a fresh worker: `request` is posted once the worker has loaded (it says
/// `CheckReply::Ready`), every other message it sends is handed to `reply` as text, and an
/// error in the worker to `fail`. Dropping the returned `Running` cancels the job.
pub fn job(
    request: JsValue,
    reply: impl Fn(String) + 'static,
    fail: impl Fn(String) + 'static,
) -> Result<Running, JsValue> {
    use wasm_bindgen::JsCast;
    let worker = spawn()?;
    let w2 = worker.clone();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
        let Some(text) = m.data().as_string() else { return };
        if serde_json::from_str::<crate::protocol::CheckReply>(&text)
            .is_ok_and(|r| r == crate::protocol::CheckReply::Ready)
        {
            let _ = w2.post_message(&request);
        } else {
            reply(text);
        }
    });
    let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| fail(e.message()));
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    Ok(Running { worker, _onmessage: onmessage, _onerror: onerror })
}
