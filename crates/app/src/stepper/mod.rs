//! The Algorithms mode: a model stepped on emulated CPUs.

mod cpu;
mod editor;
pub mod export;
mod gallery;
mod memory;
mod palette;
pub mod permalink;
mod race;
mod shared;
mod source;
pub mod state;
mod story;
mod toolbar;

use gloo_timers::callback::Timeout;
use state::{Action, Lab};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// The keyboard, as the help overlay lists it.
pub const KEYS: &[(&str, &str)] = &[
    ("0–9", "step that CPU (a pending interrupt first)"),
    ("→", "one step (the loaded schedule, else the seed)"),
    ("←", "back one step"),
    ("Home / End", "first step / last step"),
    ("space", "run or pause"),
    ("r", "reset"),
    ("f", "find a race"),
    ("p", "presenter mode"),
    ("e", "export this view as SVG"),
    ("?", "this help"),
];

fn key_action(e: &KeyboardEvent) -> Option<Action> {
    if e.ctrl_key() || e.meta_key() || e.alt_key() {
        return None;
    }
    let key = e.key();
    Some(match key.as_str() {
        "ArrowRight" => Action::StepSeeded,
        "ArrowLeft" => Action::Back,
        " " => Action::ToggleRun,
        "r" => Action::Reset,
        "Home" => Action::JumpTo(0),
        "End" => Action::End,
        "f" => Action::RequestCheck,
        "p" => Action::TogglePresenter,
        "?" => Action::ToggleHelp,
        "e" => {
            let _ = export::export_svg(".stepper", "shootdown-lab.svg");
            return None;
        }
        "Escape" => return None,
        k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() => Action::StepCpu(k.as_bytes()[0] - b'0'),
        _ => return None,
    })
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
    let address_bar = props.address_bar;
    let lab = use_reducer(move || if address_bar { Lab::from_location() } else { Lab::new() });
    let dispatch = {
        let d = lab.dispatcher();
        Callback::from(move |a: Action| d.dispatch(a))
    };
    {
        let d = lab.dispatcher();
        use_effect_with((), move |_| {
            let listener = Closure::<dyn Fn(KeyboardEvent)>::new(move |e: KeyboardEvent| {
                // Leave typing in text fields alone, and let space toggle a focused
                // checkbox or press a focused button as the browser does.
                let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                let typing = target.as_ref().is_some_and(|el| match el.tag_name().as_str() {
                    "TEXTAREA" | "SELECT" => true,
                    "INPUT" => !matches!(el.get_attribute("type").as_deref(), Some("checkbox" | "radio" | "button")),
                    _ => false,
                });
                let activates = target.as_ref().is_some_and(|el| matches!(el.tag_name().as_str(), "BUTTON" | "INPUT"));
                if typing || (e.key() == " " && activates) {
                    return;
                }
                if let Some(a) = key_action(&e) {
                    e.prevent_default();
                    d.dispatch(a);
                }
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
            let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| {
                let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
                d.dispatch(Action::FromLink(hash.trim_start_matches('#').to_string()));
            });
            let w = web_sys::window().filter(|_| address_bar);
            if let Some(w) = &w {
                let _ = w.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = w {
                    let _ = w.remove_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
                }
            }
        });
    }
    {
        // While running, each state change schedules the next tick; dropping the
        // timeout on the next change (or on pause) cancels it.
        let (running, speed) = {
            let s = lab.inner.borrow();
            (s.running, s.speed_ms)
        };
        let d = lab.dispatcher();
        use_effect_with((lab.version, running, speed), move |(_, running, speed)| {
            let t = running.then(|| Timeout::new(*speed, move || d.dispatch(Action::Tick)));
            move || drop(t)
        });
    }
    let (ncpu, show_gallery, presenter, help, embed, editing) = {
        let s = lab.inner.borrow();
        (s.session.machine.ncpu(), s.gallery, s.presenter, s.help, s.embed, s.editor)
    };
    let lab = (*lab).clone();
    let stage = if show_gallery {
        html! { <gallery::Gallery lab={lab.clone()} dispatch={dispatch.clone()} /> }
    } else {
        html! {
            <div class="stage">
                if editing {
                    <editor::Editor lab={lab.clone()} dispatch={dispatch.clone()} />
                } else {
                    <source::SourcePane lab={lab.clone()} />
                }
                <div class="machine" tabindex="0" aria-label="The machine">
                    <story::Narration lab={lab.clone()} dispatch={dispatch.clone()} />
                    <story::Note lab={lab.clone()} dispatch={dispatch.clone()} />
                    <story::Banner lab={lab.clone()} dispatch={dispatch.clone()} />
                    <div class="cpus">
                        { for (0..ncpu).map(|c| html! { <cpu::CpuCard lab={lab.clone()} cpu={c} dispatch={dispatch.clone()} /> }) }
                    </div>
                    <div class="lower">
                        <shared::SharedPane lab={lab.clone()} />
                        <memory::MemoryPane lab={lab.clone()} />
                        <story::StepLog lab={lab.clone()} dispatch={dispatch.clone()} />
                    </div>
                </div>
            </div>
        }
    };
    // The race panel keeps its place in the tree in both views: it owns the checker's
    // worker, which must survive a visit to the gallery.
    html! {
        <div class={classes!("stepper", presenter.then_some("presenter"), embed.then_some("embed"))} style={format!("--ncpu: {}", ncpu.min(4))}>
            if help {
                <div id="help" class="help" role="dialog" aria-label="Keyboard shortcuts">
                    <h2>{ "Keyboard" }</h2>
                    <table>{ for KEYS.iter().map(|(k, what)| html! { <tr><th><kbd>{ *k }</kbd></th><td>{ *what }</td></tr> }) }</table>
                    <button id="close-help" onclick={{ let d = dispatch.clone(); Callback::from(move |_| d.emit(Action::ToggleHelp)) }}>{ "close (?)" }</button>
                </div>
            }
            <toolbar::Toolbar lab={lab.clone()} dispatch={dispatch.clone()} />
            <div class="race-slot" hidden={show_gallery}>
                <race::RacePanel lab={lab.clone()} dispatch={dispatch.clone()} />
            </div>
            { stage }
        </div>
    }
}
