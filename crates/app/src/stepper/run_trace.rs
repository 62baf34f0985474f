//! The run on screen as a kernel trace: opened in the Traces mode (lanes, IPI arrows,
//! rounds) or downloaded as Perfetto JSON or ktrdump text in the FreeBSD or DragonFly
//! layout, which the Traces mode and `sdlab trace` read back.

use super::state::Lab;
use crate::traces::handoff;
use sdlab_engine::Session;
use sdlab_trace::Trace;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Switches the app to the Traces mode (provided by the app around both modes).
#[derive(Clone, PartialEq)]
pub struct OpenTraces(pub Callback<()>);

/// The run as a trace whose events point into `text`: one line per step with its
/// narration, so the Traces mode's "raw line" of an emulated event is the step that made it.
fn run_trace(session: &Session) -> (Trace, String) {
    let mut trace = sdlab_runtrace::session_to_trace(session);
    let mut text = String::from("step 0: the machine starts\n");
    let mut starts = vec![0u64];
    for (i, entry) in session.log().iter().enumerate() {
        starts.push(text.len() as u64);
        text.push_str(&format!("step {}: CPU {}: {}\n", i + 1, entry.cpu, entry.summary(session.machine())));
    }
    for e in &mut trace.events {
        // `line` is the step's number from 1 (runtrace); line 1 of the text is the start.
        e.offset = starts.get(e.line as usize).copied().unwrap_or(0);
        e.line += 1;
    }
    trace.bytes = text.len() as u64;
    trace.lines = starts.len() as u64;
    (trace, text)
}

#[derive(Properties)]
pub struct Props {
    pub lab: Lab,
}

/// The menu draws the same whatever the run; the run is read when an export is chosen.
/// So one lab (the same `Rc` for the page's life) is one set of props: a step does not
/// draw the menu again.
impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        self.lab.same_pane(&o.lab)
    }
}

#[function_component]
pub fn RunExport(p: &Props) -> Html {
    crate::renders::count("RunExport");
    let open = use_context::<OpenTraces>();
    let error = use_state(|| None::<String>);
    let onchange = {
        let lab = p.lab.clone();
        let error = error.clone();
        Callback::from(move |e: Event| {
            let Some(select) = e.target_dyn_into::<HtmlSelectElement>() else { return };
            let what = select.value();
            select.set_value("");
            let s = lab.inner.borrow();
            let (trace, text) = run_trace(&s.session);
            let stem = format!("{}-{}cpu-{}steps", s.model_id, s.cfg.ncpu, s.session.log().len());
            let mut out = Vec::new();
            let written = match what.as_str() {
                "open" => {
                    let scenario = s.prog.scenarios.get(s.cfg.scenario).map(|sc| sc.name.clone()).unwrap_or_default();
                    let origin = (s.model_id != sdlab_lab::permalink::EDITED).then(|| (s.model_id.clone(), scenario));
                    handoff::offer(handoff::Run { name: format!("{stem} (emulated run)"), trace, text, origin });
                    if let Some(open) = &open {
                        open.0.emit(());
                    }
                    return;
                }
                "perfetto" => {
                    let replay = sdlab_trace::replay::reconstruct(&trace);
                    sdlab_trace::export::perfetto(&trace, &replay, &mut out)
                        .map(|_| ("perfetto.json", "application/json"))
                }
                "freebsd" => sdlab_trace::export::freebsd(&trace, &mut out).map(|_| ("freebsd.ktr", "text/plain")),
                "dragonfly" => {
                    sdlab_trace::export::dragonfly(&trace, &mut out).map(|_| ("dragonfly.ktr", "text/plain"))
                }
                _ => return,
            };
            let result = written.map_err(|e| format!("the export failed: {e}")).and_then(|(suffix, mime)| {
                super::export::download_bytes(&out, mime, &format!("{stem}.{suffix}"))
                    .map_err(|e| format!("the download failed: {e:?}"))
            });
            error.set(result.err());
        })
    };
    html! {
        <>
            <label for="run-trace">{ "trace " }
                <select id="run-trace" {onchange} title="This run (the steps taken so far) as a kernel trace">
                    <option value="" selected=true>{ "this run as…" }</option>
                    <option value="open">{ "open in Traces" }</option>
                    <option value="perfetto">{ "Perfetto JSON" }</option>
                    <option value="freebsd">{ "ktrdump FreeBSD" }</option>
                    <option value="dragonfly">{ "ktrdump DragonFly" }</option>
                </select>
            </label>
            if let Some(e) = &*error {
                <span class="check-result failed" role="alert">{ e }</span>
            }
        </>
    }
}
