//! The Traces mode: open a kernel trace, see it as CPU lanes with IPI arrows, walk its
//! shootdown rounds and events, chart it, export it.

mod charts;
mod export;
mod kinds;
mod loader;
pub mod model;
mod panels;
pub mod state;
mod timeline;

use kinds::CATS;
use loader::Slot;
use state::{Action, Load, Panel, TraceLab};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

/// The keyboard of the Traces mode, as its help lists it.
pub const KEYS: &[(&str, &str)] = &[
    ("← →", "pan the timeline"),
    ("+ −  (or wheel)", "zoom in / out (the wheel zooms around the pointer)"),
    ("0", "fit the whole trace"),
    ("s", "step mode on / off"),
    (". ,", "next / previous event (step mode)"),
    ("Esc", "leave step mode"),
    ("?", "this help"),
];

fn typing(e: &KeyboardEvent) -> bool {
    let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    target.is_some_and(|el| match el.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => !matches!(el.get_attribute("type").as_deref(), Some("checkbox" | "radio" | "button" | "file")),
        _ => false,
    })
}

#[function_component]
pub fn Traces() -> Html {
    let lab = use_reducer(TraceLab::default);
    let slot: Slot = use_mut_ref(|| None);
    let tl = use_memo((), |_| timeline::Handle::default());
    let dispatch = {
        let d = lab.dispatcher();
        Callback::from(move |a: Action| d.dispatch(a))
    };
    {
        // Keys act on the timeline's view directly (no re-render) or go to the reducer.
        let d = dispatch.clone();
        let tl = (*tl).clone();
        use_effect_with((), move |_| {
            let listener = Closure::<dyn Fn(KeyboardEvent)>::new(move |e: KeyboardEvent| {
                if typing(&e) || e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                let mut s = tl.0.borrow_mut();
                let handled = match e.key().as_str() {
                    "ArrowLeft" => {
                        s.pan(-0.2);
                        true
                    }
                    "ArrowRight" => {
                        s.pan(0.2);
                        true
                    }
                    "+" | "=" => {
                        s.zoom(0.5, None);
                        true
                    }
                    "-" | "_" => {
                        s.zoom(2.0, None);
                        true
                    }
                    "0" => {
                        s.fit();
                        true
                    }
                    _ => false,
                };
                if handled {
                    e.prevent_default();
                    s.draw();
                    return;
                }
                drop(s);
                let a = match e.key().as_str() {
                    "." => Action::Step(1),
                    "," => Action::Step(-1),
                    "s" => Action::StepMode(true),
                    "Escape" => Action::StepMode(false),
                    "?" => Action::ToggleHelp,
                    _ => return,
                };
                e.prevent_default();
                d.emit(a);
            });
            let doc = web_sys::window().and_then(|w| w.document());
            if let Some(doc) = &doc {
                let _ = doc.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(doc) = doc {
                    let _ = doc.remove_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
                }
            }
        });
    }
    let open_file = {
        let d = dispatch.clone();
        let slot = slot.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
            if let Some(f) = input.files().and_then(|l| l.get(0)) {
                loader::open(f.clone().into(), f.name(), d.clone(), slot.clone());
            }
            // The same file picked again is a new choice.
            input.set_value("");
        })
    };
    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let ondrop = {
        let d = dispatch.clone();
        let slot = slot.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(f) = e.data_transfer().and_then(|dt| dt.files()).and_then(|l| l.get(0)) {
                loader::open(f.clone().into(), f.name(), d.clone(), slot.clone());
            }
        })
    };
    let cancel = {
        let d = dispatch.clone();
        let slot = slot.clone();
        Callback::from(move |_: MouseEvent| {
            slot.borrow_mut().take();
            d.emit(Action::Cancelled);
        })
    };
    let samples = loader::SAMPLES.iter().map(|(file, what)| {
        let d = dispatch.clone();
        let slot = slot.clone();
        let onclick = Callback::from(move |_| loader::open_sample(file, d.clone(), slot.clone()));
        html! { <button class="sample" id={format!("sample-{}", file.trim_end_matches(".trace"))} title={*what} {onclick}>{ file.trim_end_matches(".trace") }</button> }
    });
    let status = match &lab.load {
        Load::Idle => html! {},
        Load::Reading { name, bytes, total } => {
            let frac = if *total > 0 { *bytes as f64 / *total as f64 } else { 0.0 };
            html! {
                <span id="trace-progress" class="check-progress" role="status">
                    { format!("reading {name} ") }
                    <progress max="1" value={format!("{frac:.4}")} aria-label="bytes read, of the file"></progress>
                    { format!(" {} of {} ", loader::megabytes(*bytes as f64), loader::megabytes(*total as f64)) }
                    <button id="cancel-parse" onclick={cancel}>{ "Cancel" }</button>
                </span>
            }
        }
        Load::Building { name } => {
            html! { <span id="trace-progress" role="status">{ format!("{name}: pairing IPIs and rounds…") }</span> }
        }
        Load::Failed(m) => html! { <span id="trace-error" class="check-result failed" role="alert">{ m }</span> },
        Load::Cancelled(name) => {
            html! { <span id="trace-cancelled" class="check-result" role="status">{ format!("reading {name} cancelled") }</span> }
        }
    };
    let toolbar = html! {
        <div class="toolbar trace-toolbar">
            <div class="row">
                <label class="file-pick">
                    { "Open a trace… " }
                    <input type="file" id="trace-file" onchange={open_file} aria-label="Open a trace file (ftrace, trace-cmd report, ktrdump)" />
                </label>
                <span class="dim">{ "or drop a file here · samples:" }</span>
                { for samples }
                { status }
                if let Some(m) = &lab.model {
                    <export::ExportButtons model={m.clone()} />
                }
                <button id="trace-help" class="small" onclick={{ let d = dispatch.clone(); Callback::from(move |_| d.emit(Action::ToggleHelp)) }} title="Keyboard shortcuts (?)">{ "?" }</button>
            </div>
        </div>
    };
    let help = lab.help.then(|| {
        let d = dispatch.clone();
        html! {
            <div id="help" class="help" role="dialog" aria-label="Keyboard shortcuts">
                <h2>{ "Keyboard (Traces)" }</h2>
                <table>{ for KEYS.iter().map(|(k, what)| html! { <tr><th><kbd>{ *k }</kbd></th><td>{ *what }</td></tr> }) }</table>
                <button id="close-help" onclick={Callback::from(move |_| d.emit(Action::ToggleHelp))}>{ "close (?)" }</button>
            </div>
        }
    });
    let body = match &lab.model {
        None => html! {
            <div class="drop-zone" id="drop-zone">
                <p>{ "Open a kernel trace to replay it: Linux ftrace text (/sys/kernel/tracing/trace, trace-cmd report, latency format) or ktrdump output of FreeBSD or DragonFly." }</p>
                <p class="dim">{ "Drop a file here, use “Open a trace…”, or load a sample captured from Linux 6.12 on 4 CPUs. The file stays in this browser." }</p>
            </div>
        },
        Some(m) => loaded(&lab, m, &dispatch, &tl),
    };
    html! {
        <section class="traces" aria-label="Traces" {ondragover} {ondrop}>
            { for help }
            { toolbar }
            { body }
        </section>
    }
}

fn loaded(lab: &TraceLab, m: &Rc<model::Model>, d: &Callback<Action>, tl: &timeline::Handle) -> Html {
    let t = &m.trace;
    let complete = m.rounds.iter().filter(|r| r.end.is_some()).count();
    let warnings = t.warning_count + m.replay.warning_count;
    let meta = html! {
        <div class="trace-meta" id="trace-meta" data-events={t.events.len().to_string()} data-cpus={m.ncpu().to_string()}
             data-rounds={m.rounds.len().to_string()} data-warnings={warnings.to_string()} data-line-warnings={t.warning_count.to_string()}
             data-bytes={t.bytes.to_string()} data-parse-ms={format!("{:.1}", m.timing.parse_ms)}
             data-read-ms={format!("{:.1}", m.timing.read_ms)} data-build-ms={format!("{:.1}", m.timing.build_ms)}>
            <strong>{ &m.name }</strong>
            { format!(" · {} · {} events · {} CPUs · {} rounds ({} complete) · {} lines · parsed in {:.0} ms",
                t.format.name(), t.events.len(), m.ncpu(), m.rounds.len(), complete, t.lines, m.timing.parse_ms) }
            if warnings > 0 {
                <button class="link warn" id="warnings-link" onclick={{ let d = d.clone(); Callback::from(move |_| d.emit(Action::Panel(Panel::Warnings))) }}>
                    { format!(" · ⚠ {warnings} warnings") }
                </button>
            }
        </div>
    };
    let cpu_boxes = (0..m.ncpu().min(64)).map(|c| {
        let d = d.clone();
        let on = lab.filter.hidden_cpus >> c & 1 == 0;
        html! {
            <label class="opt"><input type="checkbox" id={format!("cpu-{c}")} checked={on}
                onchange={Callback::from(move |_| d.emit(Action::ToggleCpu(c as u16)))} />{ format!("CPU {c}") }</label>
        }
    });
    let cat_boxes = CATS.iter().map(|&c| {
        let d = d.clone();
        let on = lab.filter.cats & c.bit() != 0;
        html! {
            <label class="opt legend"><input type="checkbox" id={format!("kind-{}", c.id())} checked={on}
                onchange={Callback::from(move |_| d.emit(Action::ToggleCat(c)))} />
                <span class="swatch" style={format!("background:{}", c.colour())}></span>{ c.label() }</label>
        }
    });
    let ontext = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
                d.emit(Action::Text(i.value()));
            }
        })
    };
    let filters = html! {
        <div class="trace-filters" role="group" aria-label="Filters">
            <span class="row">{ for cpu_boxes }</span>
            <span class="row">{ for cat_boxes }
                <span class="legend-extra"><span class="swatch bar-irq"></span>{ "handler bar" }<span class="swatch bar-csd"></span>{ "csd function bar" }<span class="swatch arrow"></span>{ "IPI" }<span class="swatch arrow csd"></span>{ "csd request" }<span class="swatch bar-wait"></span>{ "initiator waits" }</span>
            </span>
            <span class="row">
                <input type="search" id="trace-filter-text" placeholder="filter: function or event name" value={lab.filter.text.clone()} oninput={ontext} aria-label="Filter events by text" />
                <span id="shown-count" data-shown={lab.index.shown.to_string()}>{ format!("{} of {} events shown", lab.index.shown, t.events.len()) }</span>
                <button id="fit" onclick={{ let d = d.clone(); Callback::from(move |_| d.emit(Action::Fit)) }} title="Fit the whole trace (0)">{ "fit all" }</button>
                <button id="step-mode" aria-pressed={lab.step.is_some().to_string()}
                        onclick={{ let d = d.clone(); let on = lab.step.is_none(); Callback::from(move |_| d.emit(Action::StepMode(on))) }}
                        title="Walk the trace event by event (s)">{ if lab.step.is_some() { "step mode: on" } else { "step mode" } }</button>
            </span>
        </div>
    };
    let on_select = {
        let d = d.clone();
        Callback::from(move |i: Option<u32>| d.emit(Action::Select(i)))
    };
    let tabs = [
        (Panel::Details, "tab-details", "Event".to_string()),
        (Panel::Rounds, "tab-rounds", format!("Rounds ({})", m.rounds.len())),
        (Panel::Charts, "tab-charts", "Charts".to_string()),
        (Panel::Warnings, "tab-warnings", format!("Warnings ({warnings})")),
    ];
    let tab_buttons = tabs.iter().map(|(p, id, label)| {
        let d = d.clone();
        let p = *p;
        html! {
            <button role="tab" id={*id} aria-selected={(lab.panel == p).to_string()} class={classes!("tab", (lab.panel == p).then_some("active"))}
                    onclick={Callback::from(move |_| d.emit(Action::Panel(p)))}>{ label }</button>
        }
    });
    let panel = match lab.panel {
        Panel::Details => {
            html! { <panels::Details model={m.clone()} blob={lab.blob.clone()} selected={lab.selected} /> }
        }
        Panel::Rounds => {
            html! { <panels::Rounds model={m.clone()} selected={lab.round} page={lab.round_page} dispatch={d.clone()} /> }
        }
        Panel::Charts => html! { <charts::Charts model={m.clone()} /> },
        Panel::Warnings => html! { <panels::Warnings model={m.clone()} /> },
    };
    html! {
        <>
            { meta }
            { filters }
            <timeline::Timeline handle={tl.clone()} model={m.clone()} index={lab.index.clone()} selected={lab.selected}
                cursor={lab.step} round={lab.round} hidden_cpus={lab.filter.hidden_cpus} focus={lab.focus} {on_select} />
            <div class="trace-lower">
                <div class="trace-panel">
                    <div role="tablist" class="tabs">{ for tab_buttons }</div>
                    <div class="tab-body" role="tabpanel">{ panel }</div>
                </div>
                if let Some(at) = lab.step {
                    <panels::StepState model={m.clone()} {at} dispatch={d.clone()} />
                }
            </div>
        </>
    }
}
