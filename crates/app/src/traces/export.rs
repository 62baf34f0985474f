//! Export the loaded trace with the trace crate's writers: Perfetto / Chrome JSON (IPIs as
//! flow events) and ktrdump text in the FreeBSD or DragonFly layout. Downloaded through a
//! Blob URL; nothing leaves the browser.

use super::model::Model;
use std::rc::Rc;
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
                crate::stepper::export::download_bytes(text.as_bytes(), mime, &format!("{stem}{suffix}"))
                    .map_err(|e| format!("the download failed: {e:?}"))
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
