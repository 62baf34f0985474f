//! Shootdown Lab in the browser: a thin Yew layer over `sdlab-engine`.

pub mod bench;
pub mod file_slices;
mod keys;
mod listen;
pub use sdlab_lab::protocol;
pub mod parts;
pub mod renders;
pub mod stepper;
pub mod traces;
pub mod wire;
pub mod worker_script;

use yew::prelude::*;

/// The fragment of the Traces mode. Algorithms links start with `v=`, so the two never
/// collide and every existing permalink still opens the stepper.
pub const TRACES_FRAGMENT: &str = "traces";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Algorithms,
    Traces,
}

fn hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default().trim_start_matches('#').to_string()
}

fn mode_of(fragment: &str) -> Mode {
    if fragment == TRACES_FRAGMENT || fragment.starts_with("traces&") {
        Mode::Traces
    } else {
        Mode::Algorithms
    }
}

/// A new history entry for the mode, so Back returns to the other one.
fn push(fragment: &str) {
    let Some(w) = web_sys::window() else { return };
    let url = if fragment.is_empty() {
        let l = w.location();
        format!("{}{}", l.pathname().unwrap_or_default(), l.search().unwrap_or_default())
    } else {
        format!("#{fragment}")
    };
    if let Ok(h) = w.history() {
        let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

#[function_component]
pub fn App() -> Html {
    let mode = use_state(|| mode_of(&hash()));
    // The stepper's link when the user left it, so coming back restores the exact state.
    let algorithms_link = use_mut_ref(String::new);
    {
        let mode = mode.clone();
        use_effect_with((), move |_| {
            listen::listen(listen::window(), &["popstate", "hashchange"], move |_: web_sys::Event| {
                mode.set(mode_of(&hash()))
            })
        });
    }
    if let Some(req) = bench::request_from_url() {
        return html! { <bench::BenchPage req={req} /> };
    }
    let to_traces = {
        let mode = mode.clone();
        let saved = algorithms_link.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            if *mode == Mode::Algorithms {
                *saved.borrow_mut() = hash();
                push(TRACES_FRAGMENT);
                mode.set(Mode::Traces);
            }
        })
    };
    let to_algorithms = {
        let mode = mode.clone();
        let saved = algorithms_link.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            if *mode == Mode::Traces {
                push(&saved.borrow());
                mode.set(Mode::Algorithms);
            }
        })
    };
    // The stepper opens its run in the Traces mode through this (see stepper::run_trace).
    let open_traces = {
        let to_traces = to_traces.clone();
        stepper::run_trace::OpenTraces(Callback::from(move |()| {
            if let Ok(e) = MouseEvent::new("click") {
                to_traces.emit(e);
            }
        }))
    };
    // "Play in the machine" opens the stepper on the guide it left (see traces::conform).
    let open_algorithms = {
        let to_algorithms = to_algorithms.clone();
        traces::OpenAlgorithms(Callback::from(move |()| {
            if let Ok(e) = MouseEvent::new("click") {
                to_algorithms.emit(e);
            }
        }))
    };
    let link = |m: Mode, label: &str, href: String, onclick: Callback<MouseEvent>| {
        let active = *mode == m;
        html! {
            <a class={classes!("mode", active.then_some("active"))} id={format!("mode-{}", label.to_lowercase())}
               href={href} aria-current={active.then_some("page")} {onclick}>{ label }</a>
        }
    };
    let algorithms_href = format!("#{}", algorithms_link.borrow());
    html! {
        <>
            <header class="app-header">
                <h1>{ "Shootdown Lab" }</h1>
                <nav aria-label="Mode">
                    { link(Mode::Algorithms, "Algorithms", algorithms_href, to_algorithms) }
                    { link(Mode::Traces, "Traces", format!("#{TRACES_FRAGMENT}"), to_traces) }
                </nav>
            </header>
            <ContextProvider<stepper::run_trace::OpenTraces> context={open_traces}>
            <ContextProvider<traces::OpenAlgorithms> context={open_algorithms}>
                <main id="app">
                    if *mode == Mode::Traces {
                        <traces::Traces />
                    } else {
                        <stepper::Stepper />
                    }
                </main>
            </ContextProvider<traces::OpenAlgorithms>>
            </ContextProvider<stepper::run_trace::OpenTraces>>
        </>
    }
}
