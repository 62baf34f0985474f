//! Shootdown Lab in the browser: a thin Yew layer over `sdlab-engine`.

pub mod bench;
pub mod protocol;
pub mod stepper;

use yew::prelude::*;

#[function_component]
pub fn App() -> Html {
    if let Some(req) = bench::request_from_url() {
        return html! { <bench::BenchPage req={req} /> };
    }
    html! {
        <>
            <header class="app-header">
                <h1>{ "Shootdown Lab" }</h1>
                <nav aria-label="Mode"><span class="mode active" aria-current="page">{ "Algorithms" }</span></nav>
            </header>
            <main id="app"><stepper::Stepper /></main>
        </>
    }
}
