//! The Traces mode: open a kernel trace, see it as CPU lanes with IPI arrows, walk its
//! shootdown rounds and events, chart it, export it.

mod charts;
pub mod conform;
mod export;
pub mod handoff;
mod kinds;
mod loader;
pub mod model;
mod panels;
pub mod state;
mod timeline;

use kinds::CATS;
use loader::Slot;
use sdlab_runtrace::conform as conform_search;
use state::{Action, Load, Panel, TraceLab};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

/// Switches the page to the Algorithms mode (given by the app): "play in the machine"
/// hands the stepper a guide and calls this.
#[derive(Clone, PartialEq)]
pub struct OpenAlgorithms(pub Callback<()>);

/// The keyboard of the Traces mode, as its help lists it.
pub const KEYS: &[(&str, &str)] = &[
    ("← →", "pan the timeline; in step mode, previous / next event"),
    ("+ −  (or wheel)", "zoom in / out (the wheel zooms around the pointer)"),
    ("0", "fit the whole trace"),
    ("s", "step mode on / off"),
    (". ,", "next / previous event (step mode)"),
    ("Esc", "leave step mode"),
    ("?", "this help"),
];

/// How to capture a trace each kernel can give, in one line each (docs/capturing-ktrdump.md
/// and traces/README.md have the reasons).
const CAPTURE: [(&str, &str); 4] = [
    (
        "Linux 6.4 and later",
        "trace-cmd record -e tlb:tlb_flush -e ipi:ipi_send_cpu -e ipi:ipi_send_cpumask -e csd -e irq_vectors:call_function_entry -e irq_vectors:call_function_exit -e irq_vectors:call_function_single_entry -e irq_vectors:call_function_single_exit -e sched:sched_switch (boot with no_hash_pointers so csd addresses pair), then trace-cmd report > x.trace; or the same events in /sys/kernel/tracing/set_event and cat /sys/kernel/tracing/trace",
    ),
    (
        "Linux before 6.4 (no ipi_send_* or csd events)",
        "trace-cmd record -e tlb:tlb_flush -e irq_vectors:call_function_entry -e irq_vectors:call_function_exit -e irq_vectors:call_function_single_entry -e irq_vectors:call_function_single_exit -e sched:sched_switch: rounds are paired by time and CPU, and the rounds' notes say how",
    ),
    (
        "FreeBSD",
        "kernel options KTR, KTR_ENTRIES=262144, KTR_COMPILE=(KTR_SMP|KTR_PMAP); then sysctl debug.ktr.clear=1; sysctl debug.ktr.mask=0x50; run the workload; sysctl debug.ktr.mask=0; ktrdump -c -t -H -o ktr.txt (KTR logs only IPI sends: rounds have no receive side)",
    ),
    (
        "DragonFly",
        "kernel options KTR, KTR_ENTRIES=65536; sysctl debug.ktr.ipiq_enable=-1; run the workload; ktrdump -c -i -t -p -o ktr.txt (its rounds are cpusync rendezvous: pmap_inval_smp logs nothing)",
    ),
];

#[function_component]
pub fn Traces() -> Html {
    let lab = use_reducer(TraceLab::default);
    let slot: Slot = use_mut_ref(|| None);
    let conform_slot: conform::Slot = use_mut_ref(|| None);
    let open_algorithms = use_context::<OpenAlgorithms>().map(|o| o.0).unwrap_or_default();
    {
        // A round asked to be played opens in the stepper once the worker has decided it.
        let ready = lab.conform.play.and_then(|start| lab.conform.verdicts.get(&start).cloned());
        let (d, m, blob, c, open) =
            (lab.dispatcher(), lab.model.clone(), lab.blob.clone(), lab.conform.clone(), open_algorithms.clone());
        use_effect_with(ready, move |ready| {
            if let (Some(v), Some(m)) = (ready.clone(), m) {
                d.dispatch(Action::Played);
                if v.verdict.word() != "undecided" {
                    let row = (!conform_search::whole_window(m.trace.format))
                        .then(|| m.rounds.iter().position(|r| r.start_idx == v.start))
                        .flatten();
                    let d = Callback::from(move |a| d.dispatch(a));
                    conform::play(m, blob, &c, v, row, open, d);
                }
            }
        });
    }
    let tl = use_memo((), |_| timeline::Handle::default());
    let dispatch = {
        let d = lab.dispatcher();
        Callback::from(move |a: Action| d.dispatch(a))
    };
    {
        // A stepper run handed over by the Algorithms mode opens as soon as the mode does.
        let d = dispatch.clone();
        use_effect_with((), move |_| {
            if let Some(run) = handoff::take() {
                let t0 = js_sys::Date::now();
                let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&run.text));
                if let Ok(blob) = web_sys::Blob::new_with_str_sequence(&parts) {
                    let mut m = model::Model::new(run.name, run.trace, model::Timing::default());
                    m.origin = run.origin;
                    m.timing.build_ms = js_sys::Date::now() - t0;
                    d.emit(Action::Loaded(Rc::new(m), blob));
                }
            }
        });
    }
    // Whether step mode is on, for the key listener installed once (it reads it per key).
    let stepping = use_mut_ref(|| false);
    *stepping.borrow_mut() = lab.step.is_some();
    {
        // Keys act on the timeline's view directly (no re-render) or go to the reducer.
        let d = dispatch.clone();
        let tl = (*tl).clone();
        let stepping = stepping.clone();
        use_effect_with((), move |_| {
            crate::keys::listen(move |e: KeyboardEvent| {
                if crate::keys::typing(&e) || e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                // In step mode the arrows step, as in the Algorithms mode.
                if *stepping.borrow() {
                    let dir = match e.key().as_str() {
                        "ArrowRight" => Some(1),
                        "ArrowLeft" => Some(-1),
                        _ => None,
                    };
                    if let Some(dir) = dir {
                        e.prevent_default();
                        d.emit(Action::Step(dir));
                        return;
                    }
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
                    "s" => Action::ToggleStep,
                    "Escape" => Action::StepMode(false),
                    "?" => Action::ToggleHelp,
                    _ => return,
                };
                e.prevent_default();
                d.emit(a);
            })
        });
    }
    {
        // A link may name a bundled sample (`#traces&sample=munmap-4cpu-4pages`): at
        // mount, and when a link is pasted into this tab (our own address updates use
        // replaceState, which fires no hashchange).
        let d = dispatch.clone();
        let slot = slot.clone();
        use_effect_with((), move |_| {
            let follow = move || {
                let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
                let wanted = hash.split('&').find_map(|kv| kv.strip_prefix("sample=")).map(str::to_string);
                match wanted.as_deref().map(|w| (w, loader::sample_named(w))) {
                    Some((_, Some(file))) => loader::open_sample(file, d.clone(), slot.clone()),
                    Some((w, None)) => d.emit(Action::Failed(format!(
                        "the link names a sample `{}` this Shootdown Lab does not have",
                        w.chars().take(60).collect::<String>()
                    ))),
                    None => {}
                }
            };
            follow();
            crate::listen::listen(crate::listen::window(), &["hashchange"], move |_: web_sys::Event| follow())
        });
    }
    {
        // The address says which sample is open, so the link reopens it; a local file
        // cannot travel in a link.
        let name = lab.model.as_ref().map(|m| m.name.clone());
        use_effect_with(name, move |name| {
            let Some(name) = name else { return };
            let frag = match loader::SAMPLES.iter().find(|(f, _)| f == name) {
                Some((f, _)) => {
                    format!("#{}&sample={}", crate::TRACES_FRAGMENT, f.rsplit_once('.').map_or(*f, |(s, _)| s))
                }
                None => format!("#{}", crate::TRACES_FRAGMENT),
            };
            if let Some(w) = web_sys::window() {
                if w.location().hash().ok().as_deref() != Some(frag.as_str()) {
                    if let Ok(h) = w.history() {
                        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&frag));
                    }
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
    // Dropping shows where it will land: the whole mode is the target.
    let dragging = use_state(|| false);
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let d = dispatch.clone();
        let slot = slot.clone();
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
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
        let stem = file.rsplit_once('.').map_or(*file, |(s, _)| s);
        html! { <button class="sample" id={format!("sample-{stem}")} title={*what} aria-label={format!("{stem}: {what}")} {onclick}>
            { stem }{ if what.starts_with("Emulated") { " (emulated)" } else { "" } }</button> }
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
                <h2>{ "Capturing a trace to open here" }</h2>
                <dl id="capture-help" class="capture-help">
                    { for CAPTURE.iter().map(|(kernel, how)| html! { <><dt>{ *kernel }</dt><dd><code>{ *how }</code></dd></> }) }
                </dl>
                <p class="dim">{ "Every option and class, and what each kernel can and cannot show: docs/capturing-ktrdump.md and traces/README.md in the repository." }</p>
                <button id="close-help" onclick={Callback::from(move |_| d.emit(Action::ToggleHelp))}>{ "close (?)" }</button>
            </div>
        }
    });
    let body = match &lab.model {
        None => html! {
            <div class="drop-zone" id="drop-zone">
                <p>{ "Open a kernel trace to replay it: Linux ftrace text (/sys/kernel/tracing/trace, trace-cmd report, latency format) or ktrdump output of FreeBSD or DragonFly." }</p>
                <p class="dim">{ "Drop a file here, use “Open a trace…”, or load a sample captured from Linux 6.12 on 4 CPUs emulated by QEMU (software emulation, not real hardware). The file stays in this browser." }</p>
            </div>
        },
        Some(m) => loaded(&lab, m, &dispatch, &tl, &conform_slot, &open_algorithms),
    };
    html! {
        <section class={classes!("traces", dragging.then_some("dragging"))} aria-label="Traces" {ondragover} {ondragleave} {ondrop}>
            { for help }
            { toolbar }
            { body }
        </section>
    }
}

/// The page's wasm memory (what the events, the replay and the index occupy, plus the
/// rest of the app): the benchmark reports it per event.
fn wasm_memory_bytes() -> f64 {
    js_sys::Reflect::get(&wasm_bindgen::memory(), &"buffer".into())
        .ok()
        .and_then(|b| js_sys::Reflect::get(&b, &"byteLength".into()).ok())
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0)
}

fn loaded(
    lab: &TraceLab,
    m: &Rc<model::Model>,
    d: &Callback<Action>,
    tl: &timeline::Handle,
    conform_slot: &conform::Slot,
    open_algorithms: &Callback<()>,
) -> Html {
    let t = &m.trace;
    let complete = m.rounds.iter().filter(|r| r.end.is_some()).count();
    let warnings = t.warning_count + m.replay.warning_count;
    let meta = html! {
        <div class="trace-meta" id="trace-meta" data-events={t.events.len().to_string()} data-cpus={m.ncpu().to_string()}
             data-rounds={m.rounds.len().to_string()} data-warnings={warnings.to_string()} data-line-warnings={t.warning_count.to_string()}
             data-bytes={t.bytes.to_string()} data-parse-ms={format!("{:.1}", m.timing.parse_ms)}
             data-read-ms={format!("{:.1}", m.timing.read_ms)} data-build-ms={format!("{:.1}", m.timing.build_ms)}
             data-wasm-bytes={wasm_memory_bytes().to_string()}>
            <strong>{ &m.name }</strong>
            { format!(" · {} · {} events · {} CPUs · {} rounds ({} complete) · {} lines · parsed in {:.0} ms",
                t.format.name(), t.events.len(), m.ncpu(), m.rounds.len(), complete, t.lines, m.timing.parse_ms) }
            if warnings > 0 {
                <button class="link warn" id="warnings-link" onclick={{ let d = d.clone(); Callback::from(move |_| d.emit(Action::Panel(Panel::Warnings))) }}>
                    { format!(" · ⚠ {warnings} warnings") }
                </button>
            }
            if let Some(p) = loader::provenance(&m.name) {
                <p id="trace-provenance" class="provenance">{ p }</p>
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
    let on_check = {
        let (d, m, c, slot) = (d.clone(), m.clone(), lab.conform.clone(), conform_slot.clone());
        Callback::from(move |starts: Vec<u32>| {
            let rounds = if starts.is_empty() { conform::checkable(&m).len() } else { starts.len() };
            d.emit(Action::ConformBegin { rounds, play: None });
            conform::start(&m, &c, starts, d.clone(), slot.clone());
        })
    };
    let on_play = {
        let (d, m, c, slot, blob) = (d.clone(), m.clone(), lab.conform.clone(), conform_slot.clone(), lab.blob.clone());
        let open = open_algorithms.clone();
        Callback::from(move |start: u32| match c.verdicts.get(&start) {
            Some(v) if v.verdict.word() != "undecided" => {
                let row = m.rounds.iter().position(|r| r.start_idx == start);
                let row = (!conform_search::whole_window(m.trace.format)).then_some(row).flatten();
                conform::play(m.clone(), blob.clone(), &c, v.clone(), row, open.clone(), d.clone());
            }
            _ => {
                d.emit(Action::ConformBegin { rounds: 1, play: Some(start) });
                conform::start(&m, &c, vec![start], d.clone(), slot.clone());
            }
        })
    };
    let on_cancel = {
        let (d, slot) = (d.clone(), conform_slot.clone());
        Callback::from(move |()| {
            slot.borrow_mut().take();
            d.emit(Action::Conform(crate::protocol::ConformReply::Error { message: "cancelled".into() }));
        })
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
            html! { <panels::Details model={m.clone()} blob={lab.blob.clone()} selected={lab.selected} dispatch={d.clone()} /> }
        }
        Panel::Rounds => {
            html! { <panels::Rounds model={m.clone()} selected={lab.round} page={lab.round_page} by_latency={lab.by_latency} dispatch={d.clone()}
            conform={lab.conform.clone()} mismatches_only={lab.mismatches_only}
            on_check={on_check.clone()} on_play={on_play.clone()} on_cancel={on_cancel.clone()} /> }
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
                    <div class="tab-body" role="tabpanel" tabindex="0" aria-label="Panel">{ panel }</div>
                </div>
                if let Some(at) = lab.step {
                    <panels::StepState model={m.clone()} {at} dispatch={d.clone()} />
                }
            </div>
        </>
    }
}
