//! What just happened: the narration of the last step, the violation or deadlock banner,
//! and the log of every step (click one to go back to it).

use super::palette::cpu_colour;
use super::state::{Action, Lab};
use sdlab_lab::view::{fold_steps, BannerView, LogRow, Marks};
use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    /// Prefix of the element ids, so that a second pane (compare mode) repeats none.
    #[prop_or_default]
    pub idp: AttrValue,
    pub dispatch: Callback<Action>,
}

#[derive(Properties, PartialEq)]
pub struct BannerProps {
    /// Built once per action (`sdlab_lab::view::banner`): steps that change nothing it
    /// says do not redraw it.
    pub view: Option<BannerView>,
    #[prop_or_default]
    pub idp: AttrValue,
}

#[function_component]
pub fn Banner(props: &BannerProps) -> Html {
    crate::renders::count("Banner");
    let Some(b) = &props.view else { return html! {} };
    let role = if matches!(b.kind, "violation" | "deadlock") { "alert" } else { "status" };
    html! {
        <div id={format!("{}banner", props.idp)} class={classes!("banner", b.kind)} role={role}>
            if let Some(t) = &b.title {
                <strong>{ t }</strong>
            }
            { &b.text }
            if !b.waits.is_empty() {
                <ul>{ for b.waits.iter().map(|w| html! { <li>{ w }</li> }) }</ul>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct NoteProps {
    /// The step on screen and its note, when it has one (no step otherwise: a step
    /// without a note does not redraw this).
    pub note: Option<(usize, String)>,
    #[prop_or_default]
    pub idp: AttrValue,
    pub dispatch: Callback<Action>,
}

/// The lecturer's note for the step on screen, and the editor to write one. It takes only
/// the step and its note, so a step without notes on either side does not redraw it.
#[function_component]
pub fn Note(props: &NoteProps) -> Html {
    crate::renders::count("Note");
    let editing = use_state(|| false);
    let (step, note) = match &props.note {
        Some((k, n)) => (Some(*k), Some(n.clone())),
        None => (None, None),
    };
    let toggle = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(!*editing))
    };
    let save = {
        let d = props.dispatch.clone();
        let editing = editing.clone();
        Callback::from(move |e: Event| {
            let text = e.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            d.emit(Action::SetNote(text));
            editing.set(false);
        })
    };
    html! {
        <div class="note-row">
            if let Some(n) = &note {
                <aside id={format!("{}note", props.idp)} class="note" aria-label={format!("Note for step {}", step.unwrap_or_default())}>{ n }</aside>
            }
            if *editing {
                <input id={format!("{}note-input", props.idp)} class="note-input" value={note.clone().unwrap_or_default()} onchange={save}
                       maxlength={super::permalink::MAX_NOTE.to_string()} placeholder="a note shown at this step (Enter to keep, empty to remove)"
                       aria-label="Note for the step on screen" />
            } else {
                <button id={format!("{}add-note", props.idp)} class="small" onclick={toggle} title="Attach a note to this step; it is kept in the link">
                    { if note.is_some() { "edit note" } else { "add a note to this step" } }
                </button>
            }
        </div>
    }
}

#[function_component]
pub fn Narration(props: &Props) -> Html {
    crate::renders::count("Narration");
    let s = props.lab.inner.borrow();
    let m = &s.session.machine();
    match s.session.log().last() {
        Some(e) => {
            // By meaning (`sdlab_lab::narrate`): CPU sets, constants by name, addresses in
            // hex, no update that changes nothing, and a comment the machine contradicts
            // as the algorithm's belief.
            let facts = sdlab_lab::narrate::Words::new(m).facts(m, e);
            let (said, facts) = match &e.narration {
                Some(n) => (sdlab_lab::narrate::said(s.session.state(), n), facts),
                None => (facts, String::new()),
            };
            html! {
                <section id={format!("{}narration", props.idp)} class="narration" aria-live="polite" style={format!("--cpu: {}", cpu_colour(e.cpu as usize))}>
                    <span class="who">{ format!("step {} · CPU {}{}", s.session.steps(), e.cpu, if e.line > 0 { format!(" · line {}", e.line) } else { String::new() }) }</span>
                    <p class="said">{ said }</p>
                    if !facts.is_empty() { <p class="facts">{ facts }</p> }
                </section>
            }
        }
        None => html! {
            <section id={format!("{}narration", props.idp)} class="narration" aria-live="polite">
                <span class="who">{ "step 0" }</span>
                <p class="said">{ m.prog().scenarios.get(m.cfg().scenario).map(|sc| sc.doc.clone()).unwrap_or_default() }</p>
                <p class="facts">{ "Click a CPU (or press its number) to advance it one step, or press → for the seeded schedule." }</p>
            </section>
        },
    }
}

#[function_component]
pub fn StepLog(props: &Props) -> Html {
    crate::renders::count("StepLog");
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(props.lab.version, move |_| {
            if let Some(el) = list.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let s = props.lab.inner.borrow();
    let m = s.session.machine();
    // The violation, the step that made the race, the steps that produced a trace line.
    let marks = Marks::of(&s);
    let Marks { first_bad, cause, traced } = &marks;
    let (first_bad, cause) = (*first_bad, *cause);
    let n = s.session.log().len();
    let start = n.saturating_sub(300);
    let words = sdlab_lab::narrate::Words::new(m);
    // Repeated loop iterations folded into one row each; marked steps and the last stay.
    let rows = fold_steps(s.session.log(), start, n, &marks);
    html! {
        <section class="log-pane" aria-label="Step log">
            <ol id={format!("{}step-log", props.idp)} ref={list} start={(start + 1).to_string()} tabindex="0" aria-label="Steps taken">
                { for rows.into_iter().map(|row| {
                    let step = match row {
                        LogRow::Step(k) => k,
                        LogRow::Folded { first, last, period, times } => {
                            let d = props.dispatch.clone();
                            let onclick = Callback::from(move |_| d.emit(Action::JumpTo(last)));
                            let what = if period == 1 { "the step above".to_string() } else { format!("the {period} steps above") };
                            return html! {
                                <li class="folded" value={first.to_string()} onclick={onclick}
                                    title={format!("Steps {first}–{last} are folded; click to go to step {last}")}>
                                    { format!("↻ steps {first}–{last}: {what} again, {times} more time{}", if times == 1 { "" } else { "s" }) }
                                </li>
                            };
                        }
                    };
                    let e = &s.session.log()[step - 1];
                    let d = props.dispatch.clone();
                    let onclick = Callback::from(move |_| d.emit(Action::JumpTo(step)));
                    html! {
                        <li class={classes!((first_bad == Some(step)).then_some("bad"), (cause == Some(step)).then_some("cause"), traced.as_ref().is_some_and(|t| t.contains(&step)).then_some("traced"))} style={format!("--cpu: {}", cpu_colour(e.cpu as usize))}
                            value={step.to_string()} onclick={onclick} title="Go back to this step">
                            <span class="cpu">{ format!("CPU {}", e.cpu) }</span>
                            { if e.line > 0 { format!(" L{} ", e.line) } else { " ".to_string() } }
                            { words.summary(m, e) }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
