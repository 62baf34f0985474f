//! The Algorithms mode: a model stepped on emulated CPUs.

pub mod compare;
pub use sdlab_lab::permalink;
mod cited;
mod cpu;
mod editor;
pub mod export;
mod gallery;
mod gif;
pub mod guide;
mod memory;
mod palette;
mod race;
mod race_pool;
mod ring;
pub mod run_trace;
mod shared;
mod source;
pub mod state;
mod story;
mod toolbar;

use gloo_timers::callback::Timeout;
use state::{Action, Lab};
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// The keyboard, as the help overlay lists it.
pub const KEYS: &[(&str, &str)] = &[
    ("0–9", "step that CPU (a pending interrupt first; else commit its oldest buffered store)"),
    ("Shift+0–9", "switch that CPU to the first thread on its run queue, where the kernel could preempt"),
    ("→", "one step (the loaded schedule, else the seed)"),
    ("←", "back one step"),
    ("Home / End", "first step / last step"),
    ("i / a / v", "run the CPU of the last step to its next IPI / acknowledgement / violation"),
    ("space", "run or pause"),
    ("r", "reset"),
    ("f", "find a race"),
    ("p", "presenter mode"),
    ("e", "export this view as SVG"),
    ("g", "export a range of steps as an animated GIF"),
    ("c", "compare two runs side by side"),
    ("?", "this help and the glossary (IRR, ISR, IF, PCID, csd, lazy TLB, TSO, each property)"),
    ("Esc", "close the help or the GIF panel"),
];

/// What a key asks for: an action on the lab, or the export of the view (a download,
/// done by the listener: mapping a key has no effect of its own).
enum Key {
    Act(Action),
    ExportSvg,
    /// Open or close the help and glossary (page chrome, not the lab's state).
    Help,
}

/// Page chrome that is no part of the run: the help dialog is open. Local to the page
/// (`use_reducer`), not in the lab: opening it changes nothing a link or a step keeps.
#[derive(PartialEq)]
struct HelpOpen(bool);

impl Reducible for HelpOpen {
    /// Some(open), or None to toggle.
    type Action = Option<bool>;

    fn reduce(self: std::rc::Rc<Self>, open: Option<bool>) -> std::rc::Rc<Self> {
        std::rc::Rc::new(HelpOpen(open.unwrap_or(!self.0)))
    }
}

fn key_action(e: &KeyboardEvent) -> Option<Key> {
    if e.ctrl_key() || e.meta_key() || e.alt_key() {
        return None;
    }
    // Shift+digit by the key's place, not its character (which depends on the layout).
    if let Some(d) = e.code().strip_prefix("Digit").filter(|_| e.shift_key()) {
        return d.parse::<u8>().ok().map(|c| Key::Act(Action::SwitchCpu(c)));
    }
    let key = e.key();
    Some(Key::Act(match key.as_str() {
        "ArrowRight" => Action::StepSeeded,
        "ArrowLeft" => Action::Back,
        " " => Action::ToggleRun,
        "r" => Action::Reset,
        "Home" => Action::JumpTo(0),
        "End" => Action::End,
        "f" => Action::RequestCheck,
        "i" => Action::RunTo(None, state::Goal::Ipi),
        "a" => Action::RunTo(None, state::Goal::Ack),
        "v" => Action::RunTo(None, state::Goal::Violation),
        "p" => Action::TogglePresenter,
        "?" => return Some(Key::Help),
        "g" => Action::ToggleGif,
        "c" => Action::ToggleCompare,
        "e" => return Some(Key::ExportSvg),
        "Escape" => Action::Dismiss,
        k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() => Action::StepCpu(k.as_bytes()[0] - b'0'),
        _ => return None,
    }))
}

#[derive(Properties, PartialEq)]
pub struct StepperProps {
    /// Read the state from the page's address and keep the address up to date (off for
    /// steppers that are not the page's main view, such as component tests).
    #[prop_or(true)]
    pub address_bar: bool,
}

#[function_component]
pub fn Stepper(props: &StepperProps) -> Html {
    crate::renders::count("Stepper");
    let address_bar = props.address_bar;
    let lab = use_reducer(move || if address_bar { Lab::from_location() } else { Lab::new() });
    // One callback for the page's life: a component whose props hold it is not redrawn
    // because the stepper was.
    let dispatch = {
        let d = lab.dispatcher();
        use_callback((), move |a: Action, _| d.dispatch(a))
    };
    // B's clicks move A (and so B): a CPU's choice in B is that CPU's step in A.
    let dispatch_b = {
        let d = lab.dispatcher();
        use_callback((), move |a: Action, _| {
            d.dispatch(match a {
                Action::Choose(c) => Action::StepCpu(c.cpu()),
                a => a,
            })
        })
    };
    let help = use_reducer(|| HelpOpen(false));
    // The section of the algorithm reference on screen (page chrome, like the help).
    let reference = use_state(|| None::<String>);
    let open_ref = {
        let r = reference.clone();
        use_callback((), move |id: String, _| r.set(Some(id)))
    };
    let toggle_help = {
        let h = help.dispatcher();
        use_callback((), move |_: (), _| h.dispatch(None))
    };
    {
        let d = lab.dispatcher();
        let help_d = help.dispatcher();
        use_effect_with((), move |_| {
            crate::keys::listen(move |e: KeyboardEvent| {
                // Leave typing in text fields alone, and let space toggle a focused
                // checkbox or press a focused button as the browser does.
                let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                let activates = target.as_ref().is_some_and(|el| matches!(el.tag_name().as_str(), "BUTTON" | "INPUT"));
                if crate::keys::typing(&e) || (e.key() == " " && activates) {
                    return;
                }
                match key_action(&e) {
                    Some(Key::Act(a)) => {
                        e.prevent_default();
                        if matches!(a, Action::Dismiss) {
                            help_d.dispatch(Some(false));
                        }
                        d.dispatch(a);
                    }
                    Some(Key::ExportSvg) => {
                        let _ = export::export_svg(export::VIEW, "shootdown-lab.svg");
                    }
                    Some(Key::Help) => {
                        e.prevent_default();
                        help_d.dispatch(None);
                    }
                    None => {}
                }
            })
        });
    }
    {
        // The address bar is the permalink of what is on screen.
        let frag = permalink::encode(&lab.inner.borrow().link());
        use_effect_with(frag, move |frag| {
            if let Some(w) = web_sys::window().filter(|_| address_bar) {
                let current = w.location().hash().unwrap_or_default();
                if current.trim_start_matches('#') != frag.as_str() {
                    if let Ok(h) = w.history() {
                        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("#{frag}")));
                    }
                }
            }
        });
    }
    {
        // A link pasted into this tab's address bar changes only the fragment.
        let d = lab.dispatcher();
        use_effect_with((), move |_| {
            let target = crate::listen::window().filter(|_| address_bar);
            crate::listen::listen(target, &["hashchange"], move |_: web_sys::Event| {
                let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
                d.dispatch(Action::FromLink(hash.trim_start_matches('#').to_string()));
            })
        });
    }
    {
        // While running, each state change schedules the next tick; dropping the
        // timeout on the next change (or on pause) cancels it.
        let (running, speed) = {
            let s = lab.inner.borrow();
            (s.running, s.tick_ms())
        };
        let d = lab.dispatcher();
        use_effect_with((lab.version, running, speed), move |(_, running, speed)| {
            let t = running.then(|| Timeout::new(*speed, move || d.dispatch(Action::Tick)));
            move || drop(t)
        });
    }
    {
        // What the step changed stays on screen: its structure is scrolled into view
        // (the nearest edge, and only when it is not visible already).
        let touched = {
            let s = lab.inner.borrow();
            (!s.gallery && !s.editor).then(|| sdlab_lab::view::touched(&s)).flatten()
        };
        use_effect_with((lab.version, touched), |(_, touched)| {
            let doc = web_sys::window().and_then(|w| w.document());
            // Said on the page too, for the e2e walk that checks it is on screen.
            if let Some(root) = doc.as_ref().and_then(|d| d.document_element()) {
                let _ = root.set_attribute("data-touched", touched.as_deref().unwrap_or(""));
            }
            let el = touched.as_ref().and_then(|id| doc?.get_element_by_id(id));
            if let Some(el) = el {
                reveal(&el);
            }
        });
    }
    let (ncpu, show_gallery, presenter, help, embed, editing, comparing, gif_panel) = {
        let s = lab.inner.borrow();
        let comparing = s.compare.as_ref().map(|c| c.b.clone());
        (s.session.machine().ncpu(), s.gallery, s.presenter, help.0, s.embed, s.editor, comparing, s.gif_panel)
    };
    let lab = (*lab).clone();
    let is_comparing = comparing.is_some();
    let stage = if show_gallery {
        html! { <gallery::Gallery lab={lab.clone()} dispatch={dispatch.clone()} open_ref={open_ref.clone()} /> }
    } else if let Some(b) = comparing {
        // B is drawn by A's components from its own state; its clicks move A (and so B).
        let lab_b = state::Lab { inner: b, version: lab.version };
        let cards_b = sdlab_lab::view::cpus(&lab_b.inner.borrow());
        let (a_words, b_words) = {
            let s = lab.inner.borrow();
            let b_set = s
                .compare
                .as_ref()
                .map(|c| {
                    let how = match &c.follow {
                        compare::Follow::Mirror => " · replays A's choices".to_string(),
                        compare::Follow::Own { choices, seed } if choices.is_empty() => {
                            format!(" · its own seed {seed}")
                        }
                        compare::Follow::Own { choices, seed } => {
                            format!(" · its own schedule ({} steps), then seed {seed}", choices.len())
                        }
                    };
                    format!("{}{how}", compare::describe_set(&s, &c.set))
                })
                .unwrap_or_default();
            let a_set = s
                .compare
                .as_ref()
                .map(|c| {
                    let mine: Vec<(String, i32)> = c
                        .set
                        .iter()
                        .filter_map(|(n, _)| s.prog.option_index(n).map(|i| (n.clone(), s.cfg.options[i])))
                        .collect();
                    compare::describe_set(&s, &mine)
                })
                .unwrap_or_default();
            (a_set, b_set)
        };
        html! {
            <div class="stage compare-stage">
                <section class="pane pane-a" aria-label="Run A">
                    <h2 class="pane-head"><span class="pane-tag">{ "A" }</span>{ format!(" {a_words}") }</h2>
                    <compare::CompareTimeline lab={lab.clone()} dispatch={dispatch.clone()} pane="a" />
                    { machine(&lab, &dispatch, "Run A: the machine") }
                </section>
                <section id="compare-pane" class="pane pane-b" aria-label="Run B">
                    <h2 class="pane-head"><span class="pane-tag">{ "B" }</span>{ format!(" {b_words}") }</h2>
                    <compare::CompareTimeline lab={lab.clone()} dispatch={dispatch.clone()} pane="b" />
                    <div class="machine" tabindex="0" aria-label="Run B: the machine">
                        <story::Narration lab={lab_b.clone()} dispatch={dispatch_b.clone()} idp="b-" />
                        <story::Banner view={sdlab_lab::view::banner(&lab_b.inner.borrow())} idp="b-" />
                        <div class="cpus">
                            { for cards_b.into_iter().map(|v| html! { <cpu::CpuCard key={v.cpu.to_string()} view={v.clone()} dispatch={dispatch_b.clone()} /> }) }
                        </div>
                        <div class="lower">
                            <shared::SharedPane lab={lab_b.clone()} idp="b-" />
                            <memory::MemoryPane view={sdlab_lab::view::memory(&lab_b.inner.borrow())} idp="b-" />
                            <story::StepLog lab={lab_b.clone()} dispatch={dispatch_b.clone()} idp="b-" />
                        </div>
                    </div>
                </section>
            </div>
        }
    } else {
        html! {
            <div class="stage">
                if editing {
                    <editor::Editor lab={lab.clone()} dispatch={dispatch.clone()} />
                } else {
                    <source::SourcePane lab={lab.clone()} />
                }
                { machine(&lab, &dispatch, "The machine") }
            </div>
        }
    };
    // The race panel keeps its place in the tree in both views: it owns the checker's
    // worker, which must survive a visit to the gallery.
    html! {
        <>
        <div class={classes!("stepper", presenter.then_some("presenter"), embed.then_some("embed"))} style={format!("--ncpu: {}", ncpu.min(4))}>
            if help {
                <div id="help" class="help" role="dialog" aria-label="Keyboard shortcuts">
                    <h2>{ "Keyboard" }</h2>
                    <table>{ for KEYS.iter().map(|(k, what)| html! { <tr><th><kbd>{ *k }</kbd></th><td>{ *what }</td></tr> }) }</table>
                    <h2 id="glossary-title">{ "Glossary" }</h2>
                    <dl id="glossary" class="glossary" aria-labelledby="glossary-title">
                        { for sdlab_lab::glossary::GLOSSARY.iter().map(|(t, m)| html! { <><dt>{ *t }</dt><dd>{ *m }</dd></> }) }
                    </dl>
                    <button id="close-help" onclick={{ let t = toggle_help.clone(); Callback::from(move |_| t.emit(())) }}>{ "close (?)" }</button>
                </div>
            }
            if let Some(s) = reference.as_ref().and_then(|id| sdlab_lab::reference::section(id)) {
                <div id="reference" class="help reference" role="dialog" aria-label="Algorithm reference" data-section={s.id.clone()}>
                    <h2>{ format!("§{}", s.title) }</h2>
                    <p class="dim">{ "From the algorithm reference bundled with the app (docs/algorithms.md)." }</p>
                    <pre class="reference-body">{ s.body.clone() }</pre>
                    <button id="close-reference" onclick={{ let r = reference.clone(); Callback::from(move |_| r.set(None)) }}>{ "close" }</button>
                </div>
            }
            <ContextProvider<toolbar::StepsNow> context={toolbar::StepsNow(lab.inner.borrow().session.steps())}>
                <toolbar::Toolbar view={sdlab_lab::view::toolbar(&lab.inner.borrow())} lab={lab.clone()} dispatch={dispatch.clone()} toggle_help={toggle_help.clone()} />
            </ContextProvider<toolbar::StepsNow>>
            <div class="race-slot" hidden={show_gallery}>
                <race::RacePanel view={sdlab_lab::view::race(&lab.inner.borrow())} lab={lab.clone()} dispatch={dispatch.clone()} open_ref={open_ref.clone()} />
            </div>
            if !show_gallery && is_comparing {
                <compare::ComparePanel lab={lab.clone()} dispatch={dispatch.clone()} />
            }
            { stage }
        </div>
        // Outside the exported element: the GIF's frames do not show its own controls.
        if gif_panel {
            <gif::GifPanel lab={lab.clone()} dispatch={dispatch.clone()} />
        }
        </>
    }
}

/// The run's machine: narration, note, banner, a card per CPU, shared words, memory and
/// the step log (run B of a comparison has its own, without notes and with prefixed ids).
fn machine(lab: &Lab, dispatch: &Callback<Action>, label: &'static str) -> Html {
    let (has_guide, note) = {
        let s = lab.inner.borrow();
        let step = s.session.steps();
        (s.guide.is_some(), s.notes.get(&step).map(|n| (step, n.clone())))
    };
    html! {
        <div class="machine" tabindex="0" aria-label={label}>
            <story::Narration lab={lab.clone()} dispatch={dispatch.clone()} />
            if has_guide {
                <guide::GuidePanel lab={lab.clone()} dispatch={dispatch.clone()} />
            }
            <story::Note note={note} dispatch={dispatch.clone()} />
            <story::Banner view={sdlab_lab::view::banner(&lab.inner.borrow())} />
            <div class="cpus">
                { for sdlab_lab::view::cpus(&lab.inner.borrow()).into_iter().map(|v| html! { <cpu::CpuCard key={v.cpu.to_string()} view={v.clone()} dispatch={dispatch.clone()} /> }) }
            </div>
            <div class="lower">
                <shared::SharedPane lab={lab.clone()} />
                <memory::MemoryPane view={sdlab_lab::view::memory(&lab.inner.borrow())} />
                <story::StepLog lab={lab.clone()} dispatch={dispatch.clone()} />
            </div>
        </div>
    }
}

/// Scroll the pane that holds `el` (its nearest ancestor that scrolls) just enough to show
/// it, and nothing else: `scrollIntoView` also scrolls every ancestor that clips, the
/// layout's own boxes included, which slid the toolbar over the narration at 1280x720.
fn reveal(el: &web_sys::Element) {
    let Some(w) = web_sys::window() else { return };
    let scrolls = |e: &web_sys::Element| {
        e.scroll_height() > e.client_height()
            && w.get_computed_style(e)
                .ok()
                .flatten()
                .and_then(|st| st.get_property_value("overflow-y").ok())
                .is_some_and(|o| o == "auto" || o == "scroll")
    };
    let mut pane = el.parent_element();
    while let Some(p) = pane.as_ref().filter(|p| !scrolls(p)) {
        pane = p.parent_element();
    }
    let Some(pane) = pane else { return };
    let (e, c) = (el.get_bounding_client_rect(), pane.get_bounding_client_rect());
    // Nearest edge: the top if it is above, else the bottom if it is below (but never past
    // the top, for a structure taller than the pane).
    let delta = if e.top() < c.top() {
        e.top() - c.top()
    } else if e.bottom() > c.bottom() {
        (e.bottom() - c.bottom()).min(e.top() - c.top())
    } else {
        0.0
    };
    if delta != 0.0 {
        pane.set_scroll_top(pane.scroll_top() + delta.round() as i32);
    }
}
