//! Export the loaded trace with the trace crate's writers: Perfetto / Chrome JSON (IPIs as
//! flow events) and ktrdump text in the FreeBSD or DragonFly layout. Downloaded through a
//! Blob URL; nothing leaves the browser.

use super::model::Model;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};
use yew::prelude::*;

#[derive(Clone, Copy, PartialEq)]
enum To {
    Perfetto,
    FreeBsd,
    DragonFly,
}

fn render(to: To, m: &Model) -> Result<String, String> {
    let mut out = Vec::new();
    let written = match to {
        To::Perfetto => sdlab_trace::export::perfetto(&m.trace, &m.replay, &mut out),
        To::FreeBsd => sdlab_trace::export::freebsd(&m.trace, &mut out),
        To::DragonFly => sdlab_trace::export::dragonfly(&m.trace, &mut out),
    };
    written.map_err(|e| format!("the export failed: {e}"))?;
    String::from_utf8(out).map_err(|_| "the export is not UTF-8 text".into())
}

fn download(text: &str, name: &str, mime: &str) -> Result<(), JsValue> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let a: HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has started from the click; the URL can go once the event loop turns.
    gloo_timers::callback::Timeout::new(1000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
}

#[function_component]
pub fn ExportButtons(p: &Props) -> Html {
    let error = use_state(|| None::<String>);
    let stem = p.model.name.rsplit_once('.').map_or(p.model.name.as_str(), |(s, _)| s).to_string();
    let button = |to: To, id: &'static str, label: &'static str, title: &'static str| {
        let m = p.model.clone();
        let error = error.clone();
        let stem = stem.clone();
        let onclick = Callback::from(move |_| {
            let (suffix, mime) = match to {
                To::Perfetto => (".perfetto.json", "application/json"),
                To::FreeBsd => (".freebsd.ktr", "text/plain"),
                To::DragonFly => (".dragonfly.ktr", "text/plain"),
            };
            let result = render(to, &m).and_then(|text| {
                download(&text, &format!("{stem}{suffix}"), mime).map_err(|e| format!("the download failed: {e:?}"))
            });
            error.set(result.err());
        });
        html! { <button {id} {title} {onclick}>{ label }</button> }
    };
    html! {
        <span class="export" role="group" aria-label="Export the trace">
            { "export: " }
            { button(To::Perfetto, "export-perfetto", "Perfetto JSON", "Chrome/Perfetto trace JSON, IPIs as flow arrows (ui.perfetto.dev opens it)") }
            { button(To::FreeBsd, "export-ktr-freebsd", "ktrdump FreeBSD", "ktrdump text in the FreeBSD layout") }
            { button(To::DragonFly, "export-ktr-dragonfly", "ktrdump DragonFly", "ktrdump text in the DragonFly layout") }
            if let Some(e) = &*error {
                <span class="check-result failed" role="alert">{ e }</span>
            }
        </span>
    }
}
