//! The gallery: every bundled algorithm and, under it, every known race it declares,
//! with its kind (real bug, reconstruction or mutation), its citation and its story; "show me" loads the race's configuration and finds the shortest
//! counterexample live in the checker's worker.

use super::state::{Action, Lab};
use sdlab_engine::{compile, models, Program};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    pub dispatch: Callback<Action>,
    /// Opens a section of the algorithm reference (a § in a story or citation).
    pub open_ref: Callback<String>,
}

#[function_component]
pub fn Gallery(props: &Props) -> Html {
    crate::renders::count("Gallery");
    let library: Rc<Vec<(&'static str, Program)>> =
        use_memo((), |_| models::BUNDLED.iter().filter_map(|b| compile(b.source).0.map(|p| (b.id, p))).collect());
    let d = props.dispatch.clone();
    let close = Callback::from(move |_: MouseEvent| d.emit(Action::ShowGallery(false)));
    html! {
        <section id="gallery" class="gallery" tabindex="0" aria-label="Gallery of algorithms and their races">
            <header class="row">
                <h2>{ "Gallery: every algorithm and its known races" }</h2>
                <button id="close-gallery" onclick={close}>{ "back to the stepper" }</button>
            </header>
            { for library.iter().map(|(id, p)| html! {
                <article class="gallery-model" data-model={*id}>
                    <h3>{ &p.title }</h3>
                    <p class="doc">{ &p.doc }</p>
                    <ul>
                        { for p.races.iter().enumerate().map(|(i, r)| {
                            let d = props.dispatch.clone();
                            let id = id.to_string();
                            let show = Callback::from(move |_: MouseEvent| d.emit(Action::LoadRace(id.clone(), i)));
                            let scenario = p.scenarios.get(r.scenario).map(|s| s.name.as_str()).unwrap_or("");
                            html! {
                                <li class="gallery-race" data-race={r.name.clone()} data-expect={r.expect.code()}>
                                    <div class="race-head">
                                        <strong>{ &r.title }</strong>
                                        <span class={classes!("kind", r.kind.keyword())}>{ r.kind.label() }</span>
                                        <span class="dim">{ format!(" {} · {} CPUs · {scenario}", r.expect.label(), r.cpus) }</span>
                                        <button class="show-race" onclick={show} aria-label={format!("Show me: {}", r.title)}>{ "show me" }</button>
                                    </div>
                                    <p>{ super::cited::cited(&r.story, &props.open_ref) }</p>
                                    <p class="cite dim">{ "Source: " }<cite>{ super::cited::cited(&r.cite, &props.open_ref) }</cite></p>
                                </li>
                            }
                        }) }
                    </ul>
                </article>
            }) }
        </section>
    }
}
