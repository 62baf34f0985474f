//! The model editor: the source with line numbers and syntax colouring (a highlighted
//! layer under a transparent textarea), compile errors at their line and column, and
//! "run the edited model". The edited source is kept in the permalink.

use super::source::line_html;
use super::state::{Action, Lab};
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn Editor(props: &Props) -> Html {
    crate::renders::count("Editor");
    let layer = use_node_ref();
    let gutter = use_node_ref();
    let s = props.lab.inner.borrow();
    let bad_lines: Vec<u32> = s.edit_diags.iter().map(|d| d.span.line).collect();
    let oninput = {
        let d = props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            d.emit(Action::EditText(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
        })
    };
    let onscroll = {
        let (layer, gutter) = (layer.clone(), gutter.clone());
        Callback::from(move |e: Event| {
            let ta = e.target_unchecked_into::<HtmlTextAreaElement>();
            for el in [layer.cast::<HtmlElement>(), gutter.cast::<HtmlElement>()].into_iter().flatten() {
                el.set_scroll_top(ta.scroll_top());
                el.set_scroll_left(ta.scroll_left());
            }
        })
    };
    let d = props.dispatch.clone();
    let apply = Callback::from(move |_: MouseEvent| d.emit(Action::ApplyEdit));
    let d = props.dispatch.clone();
    let close = Callback::from(move |_: MouseEvent| d.emit(Action::ToggleEditor));
    let lines: Vec<&str> = s.edit_text.split('\n').collect();
    html! {
        <section class="editor-pane" aria-label="Model editor">
            <div class="editor-bar">
                <button id="apply-edit" onclick={apply} disabled={!s.edit_diags.is_empty()}
                        title="Compile and run the edited model">{ "run the edited model" }</button>
                <button id="close-editor" onclick={close}>{ "close the editor" }</button>
                <span class={classes!("edit-status", (!s.edit_diags.is_empty()).then_some("bad"))}>
                    { if s.edit_diags.is_empty() { "compiles".to_string() } else { format!("{} error(s)", s.edit_diags.len()) } }
                </span>
            </div>
            <div class="editor">
                <div class="gutter" ref={gutter} aria-hidden="true">
                    { for (1..=lines.len() as u32).map(|n| html! {
                        <div class={classes!(bad_lines.contains(&n).then_some("bad"))}>{ n }</div>
                    }) }
                </div>
                <div class="edit-area">
                    <pre class="highlight" ref={layer} aria-hidden="true">
                        { for lines.iter().map(|l| html! { <div class="hl-line">{ line_html(l) }{ "\u{200b}" }</div> }) }
                    </pre>
                    <textarea id="model-editor" spellcheck="false" value={s.edit_text.clone()} {oninput} {onscroll}
                              aria-label="Model source" />
                </div>
            </div>
            <ul id="diagnostics" class="diagnostics" aria-live="polite">
                { for s.edit_diags.iter().take(20).map(|d| html! {
                    <li>
                        { format!("line {}, column {}: {}", d.span.line, d.span.col, d.message) }
                        { for d.labels.iter().map(|l| html! {
                            <span class="diag-label">{ format!(" (line {}, column {}: {})", l.span.line, l.span.col, l.message) }</span>
                        }) }
                        { for d.notes.iter().map(|n| html! { <div class="diag-note">{ format!("note: {n}") }</div> }) }
                    </li>
                }) }
            </ul>
        </section>
    }
}
