//! A kernel trace's round in the stepper: the Traces mode leaves a guide here and switches
//! modes; the stepper takes it when it mounts (`Lab::from_location`) and shows, beside the
//! narration, the trace lines the step on screen produced, the events matched so far, and
//! where the kernel and the model part ways.

use super::palette::cpu_colour;
use super::state::{Action, Lab};
use sdlab_lab::guide::Guide;
use std::cell::RefCell;
use yew::prelude::*;

thread_local! {
    static PENDING: RefCell<Option<Guide>> = const { RefCell::new(None) };
}

pub fn offer(g: Guide) {
    PENDING.with(|p| *p.borrow_mut() = Some(g));
}

pub fn take() -> Option<Guide> {
    PENDING.with(|p| p.borrow_mut().take())
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn GuidePanel(props: &Props) -> Html {
    crate::renders::count("GuidePanel");
    let s = props.lab.inner.borrow();
    let Some(g) = s.guide.as_ref() else { return html! {} };
    let steps = s.session.steps();
    let on_track = s.guide_on_track().is_some();
    let now = if on_track { g.lines_of_step(steps) } else { &[] };
    let matched = if on_track { g.matched_by(steps) } else { 0 };
    let total = g.mismatch.as_ref().map_or(g.lines.len(), |mm| mm.events);
    let cpus =
        g.cpus.iter().enumerate().map(|(m, t)| format!("CPU {m} = trace CPU {t}")).collect::<Vec<_>>().join(", ");
    let at_end = on_track && steps == g.schedule.len();
    let head = match &g.mismatch {
        None => format!(
            "{}: a run of the {} model that produces all {} of the round's events ({} steps)",
            g.title,
            g.model,
            g.lines.len(),
            g.schedule.len()
        ),
        Some(mm) => format!(
            "{}: the {} model matches {} of {} events, then cannot produce line {}",
            g.title, g.model, mm.prefix, mm.events, mm.line
        ),
    };
    let list = g.lines.iter().map(|l| {
        let step = l.step + 1;
        let d = props.dispatch.clone();
        let onclick = Callback::from(move |_| d.emit(Action::JumpTo(step)));
        let done = on_track && l.step < steps;
        let here = on_track && l.step + 1 == steps;
        html! {
            <li class={classes!(done.then_some("done"), here.then_some("here"))} onclick={onclick}
                title={format!("Go to step {step}, which produced this line")} data-step={step.to_string()} data-line={l.line.to_string()}>
                <span class="cpu" style={format!("--cpu: {}", cpu_colour(g.model_cpu(l.cpu).unwrap_or(0)))}>{ format!("step {step}") }</span>
                <span class="line-no">{ format!(" line {} ", l.line) }</span>
                <code>{ &l.raw }</code>
            </li>
        }
    });
    let drop = {
        let d = props.dispatch.clone();
        Callback::from(move |_| d.emit(Action::DropPlan))
    };
    html! {
        <section id="guide" class="guide" aria-label="Kernel trace played in the machine"
                 data-matched={matched.to_string()} data-events={total.to_string()} data-steps={g.schedule.len().to_string()}>
            <div class="guide-head">
                <strong>{ head }</strong>
                <span class="dim">{ format!(" · {cpus}") }</span>
                <button class="small" onclick={drop} title="Close the trace; the machine stays where it is">{ "close" }</button>
            </div>
            if !on_track {
                <p id="guide-off" class="guide-off">{ "These steps leave the trace's run: step back (←) to follow the kernel again." }</p>
            } else if now.is_empty() {
                <p id="guide-now" class="guide-now dim">{ format!("Step {steps} logs nothing in the trace ({matched} of {total} events matched so far).") }</p>
            } else {
                <div id="guide-now" class="guide-now" aria-live="polite">
                    { format!("Step {steps} produced {} of the kernel's trace:", if now.len() == 1 { "this line".to_string() } else { format!("these {} lines", now.len()) }) }
                    { for now.iter().map(|l| html! { <div class="raw"><span class="line-no">{ format!("line {} ", l.line) }</span><code>{ &l.raw }</code></div> }) }
                </div>
            }
            if let Some(mm) = g.mismatch.as_ref().filter(|_| at_end) {
                <div id="guide-mismatch" class="guide-mismatch" role="alert">
                    <strong>{ format!("Here the kernel and the model part ways (conformance mismatch): line {}", mm.line) }</strong>
                    <div class="raw"><code>{ &mm.raw }</code></div>
                    <p>{ &mm.reason }</p>
                    <details>
                        <summary>{ "The facts of the trace this relies on" }</summary>
                        <ul>{ for g.facts.iter().map(|f| html! { <li>{ f }</li> }) }</ul>
                    </details>
                </div>
            }
            <details class="guide-lines" open={g.lines.len() <= 12}>
                <summary>{ format!("Matched trace lines ({matched} of {} so far)", g.lines.len()) }</summary>
                <ol id="guide-lines">{ for list }</ol>
            </details>
        </section>
    }
}
