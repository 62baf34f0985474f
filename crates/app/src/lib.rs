use yew::prelude::*;

#[function_component]
pub fn App() -> Html {
    html! { <main id="app"><h1>{ "Shootdown Lab" }</h1></main> }
}
