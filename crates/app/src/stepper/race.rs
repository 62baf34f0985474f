//! "Find a race": the checker runs in a web worker (the page stays responsive), with
//! progress and cancel; a counterexample loads into the stepper at step 0 and shows as
//! a timeline with the violating step marked.

use super::palette::cpu_colour;
use super::state::{Action, CheckStatus, Lab};
use crate::protocol::{CauseReply, CheckReply, CheckRequest};
use crate::worker_script::Running;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;
use yew::prelude::*;

/// States the browser checker may store before it stops with a message (about 40 bytes
/// each for the visited set, plus the frontier): well inside a tab's memory.
const MAX_STATES: usize = 3_000_000;

fn start_check(lab: &Lab, d: &Callback<Action>, running: &Rc<RefCell<Option<Running>>>) {
    {
        let (req, gen) = {
            let s = lab.inner.borrow();
            let req = CheckRequest {
                source: s.prog.source.clone(),
                ncpu: s.cfg.ncpu,
                scenario: s.cfg.scenario,
                options: s.cfg.options.clone(),
                max_states: MAX_STATES,
            };
            (req, s.check_gen + 1)
        };
        running.borrow_mut().take();
        let worker = match crate::worker_script::spawn() {
            Ok(w) => w,
            Err(e) => {
                d.emit(Action::CheckStarted(gen));
                d.emit(Action::CheckReply(
                    gen,
                    CheckReply::Error { message: format!("cannot start the worker: {e:?}") },
                ));
                return;
            }
        };
        let Ok(text) = serde_json::to_string(&req) else { return };
        let (d2, w2) = (d.clone(), worker.clone());
        let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
            let Some(data) = m.data().as_string() else { return };
            match serde_json::from_str::<CheckReply>(&data) {
                // The worker listens only once its wasm has loaded: send then.
                Ok(CheckReply::Ready) => {
                    let _ = w2.post_message(&JsValue::from_str(&text));
                }
                Ok(r) => d2.emit(Action::CheckReply(gen, r)),
                Err(e) => d2.emit(Action::CheckReply(gen, CheckReply::Error { message: format!("bad reply: {e}") })),
            }
        });
        let d3 = d.clone();
        let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
            let message =
                format!("the checker stopped: {} (the tab may be out of memory; try fewer CPUs)", e.message());
            d3.emit(Action::CheckReply(gen, CheckReply::Error { message }));
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        *running.borrow_mut() = Some(Running { worker, _onmessage: onmessage, _onerror: onerror });
        d.emit(Action::CheckStarted(gen));
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    pub dispatch: Callback<Action>,
    /// Opens a section of the algorithm reference (a § in the race's story).
    pub open_ref: Callback<String>,
}

#[function_component]
pub fn RacePanel(props: &Props) -> Html {
    crate::renders::count("RacePanel");
    let running: Rc<RefCell<Option<Running>>> = use_mut_ref(|| None);
    let cause_job: Rc<RefCell<Option<Running>>> = use_mut_ref(|| None);
    let s = props.lab.inner.borrow();
    let is_running = matches!(s.check, CheckStatus::Running { .. });
    {
        // A finished, cancelled or superseded check: let its worker go (after the render,
        // which only draws).
        let running = running.clone();
        use_effect_with(is_running, move |is_running| {
            if !*is_running {
                running.borrow_mut().take();
            }
        });
    }
    {
        // Start a requested check (the button, or a gallery entry) once per request.
        let lab = props.lab.clone();
        let d = props.dispatch.clone();
        let running = running.clone();
        let requested = s.check_requested;
        use_effect_with((props.lab.version, requested), move |_| {
            if requested {
                start_check(&lab, &d, &running);
            }
        });
    }
    {
        // The step that makes a loaded counterexample's race is found in a worker of its
        // own; a new counterexample (or none) drops the job in flight.
        let job: Rc<RefCell<Option<Running>>> = cause_job.clone();
        let d = props.dispatch.clone();
        use_effect_with(s.cause_request(), move |req| {
            job.borrow_mut().take();
            if let Some(req) = req {
                let msg = js_sys::Object::new();
                let text = serde_json::to_string(req).unwrap_or_default();
                let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("cause"), &JsValue::from_str(&text));
                let on_reply = move |text: String| {
                    if let Ok(r) = serde_json::from_str::<CauseReply>(&text) {
                        d.emit(Action::CauseFound(r));
                    }
                };
                // Without a worker the race is still marked at its violating step.
                *job.borrow_mut() = crate::worker_script::job(msg.into(), on_reply, |_| {}).ok();
            }
        });
    }
    let start = {
        let d = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.emit(Action::RequestCheck))
    };
    let cancel = {
        let d = props.dispatch.clone();
        let running = running.clone();
        Callback::from(move |_: MouseEvent| {
            running.borrow_mut().take();
            d.emit(Action::CheckCancelled);
        })
    };
    let status = match &s.check {
        CheckStatus::Idle => html! {},
        CheckStatus::Running { states, depth, seconds } => {
            let rate = if *seconds > 0.0 { *states as f64 / seconds } else { 0.0 };
            let frac = (*states as f64 / MAX_STATES as f64).min(1.0);
            html! {
                <span class="check-progress" role="status">
                    <progress max="1" value={format!("{frac:.4}")} aria-label="states explored, of the limit"></progress>
                    { format!(" {states} states · depth {depth} · {rate:.0} states/s ") }
                    <button id="cancel-check" onclick={cancel}>{ "cancel" }</button>
                </span>
            }
        }
        CheckStatus::Finished { text, violation } => {
            html! { <span id="check-result" class={classes!("check-result", violation.then_some("found"))} role="status">{ text }</span> }
        }
        CheckStatus::Failed(m) => {
            html! { <span id="check-result" class="check-result failed" role="status">{ m }</span> }
        }
    };
    // A kernel trace's run: its last step breaks nothing, and the steps that logged a
    // line of the trace are marked.
    let guide = s.guide.as_ref().filter(|g| s.plan.as_ref().is_some_and(|p| p.choices == g.schedule));
    let traced: std::collections::BTreeSet<usize> =
        guide.map(|g| g.lines.iter().map(|l| l.step + 1).collect()).unwrap_or_default();
    let timeline = s.plan.as_ref().map(|p| {
        let now = s.session.steps();
        let n = if guide.is_some() { usize::MAX } else { p.choices.len() };
        let cause = p.cause.filter(|_| guide.is_none());
        let cells = p.choices.iter().enumerate().map(|(i, c)| {
            let step = i + 1;
            let d = props.dispatch.clone();
            let onclick = Callback::from(move |_| d.emit(Action::JumpTo(step)));
            let in_cycle = p.cycle_start.is_some_and(|k| step > k);
            let is_cause = cause == Some(step);
            let class = classes!(
                "tl-step",
                (step <= now).then_some("done"),
                (step == now).then_some("now"),
                (step == n).then_some("violation"),
                is_cause.then_some("cause"),
                in_cycle.then_some("cycle"),
                traced.contains(&step).then_some("traced")
            );
            let what = if step == n {
                " — the violating step"
            } else if is_cause {
                " — after this step the violation can no longer be avoided"
            } else {
                ""
            };
            html! {
                <button class={class} style={format!("--cpu: {}", cpu_colour(c.cpu() as usize))} onclick={onclick}
                        data-step={step.to_string()} title={format!("step {step}: {c}{what}")}
                        aria-label={if step == n { format!("⚠ step {step}: the violating step, CPU {}", c.cpu()) }
                                    else if is_cause { format!("◆ step {step}: CPU {}; after it the violation can no longer be avoided", c.cpu()) }
                                    else { format!("{} step {step}: CPU {}", c.cpu(), c.cpu()) }}>
                    { if step == n { "⚠".to_string() } else if is_cause { format!("◆{}", c.cpu()) } else { c.cpu().to_string() } }
                </button>
            }
        });
        let d = props.dispatch.clone();
        html! {
            <div id="timeline" class="timeline" aria-label="Counterexample timeline">
                <span class="tl-label">{ match p.cycle_start {
                    _ if guide.is_some() => format!("the kernel's round as a run ({} steps; ▾ marks a step that logged a trace line): ", p.choices.len()),
                    Some(k) => format!("lasso ({k} steps, then a cycle of {} that repeats): ", n - k),
                    None if p.property.is_none() => format!("schedule from the link ({n} steps): "),
                    None => match cause {
                        Some(k) => format!("counterexample ({n} steps; ◆ after step {k} it can no longer be avoided; ⚠ step {n} breaks the property): "),
                        None => format!("counterexample ({n} steps): "),
                    },
                } }</span>
                { for cells }
                <button class="small" onclick={Callback::from(move |_| d.emit(Action::DropPlan))} title="Forget the counterexample">{ "×" }</button>
            </div>
        }
    });
    // The race's story, as the gallery tells it, while its counterexample is on screen.
    let story = s.race().map(|r| {
        html! {
            <p id="race-story" class="race-story">
                <strong>{ format!("{}. ", r.title) }</strong>{ super::cited::cited(&r.story, &props.open_ref) }
            </p>
        }
    });
    html! {
        <section class="race" aria-label="Find a race">
            <div class="row">
                <button id="find-race" onclick={start} disabled={is_running}
                        title="Explore every interleaving of this configuration for the shortest one that breaks a property">
                    { "Find a race" }
                </button>
                { status }
            </div>
            { for timeline }
            { for story }
        </section>
    }
}
