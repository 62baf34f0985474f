//! "Find a race": the checker runs in a web worker (the page stays responsive), with
//! progress and cancel; a counterexample loads into the stepper at step 0 and shows as
//! a timeline with the violating step marked.

use super::palette::cpu_colour;
use super::state::{Action, CheckStatus, Lab};
use crate::protocol::{CauseReply, CheckReply, CheckRequest};
use crate::worker_script::Running;
use sdlab_lab::view::RaceView;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;
use yew::prelude::*;

/// States the browser checker may store before it stops with a message saying how far
/// it got: as many as the worker's wasm memory and the device's memory hold, at the
/// measured cost per state (`protocol::state_limit`).
fn max_states() -> usize {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok();
    let gib = navigator.and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("deviceMemory")).ok());
    crate::protocol::state_limit(gib.and_then(|g| g.as_f64()))
}

/// The last reply of a finished check, as the worker sent it, on `window.sdlabLastCheck`:
/// what the page does not show (memory, the safety search's seconds) for the benchmark.
pub(super) fn keep_for_bench(text: &str) {
    let _ = js_sys::Reflect::set(&js_sys::global(), &JsValue::from_str("sdlabLastCheck"), &JsValue::from_str(text));
}

/// A check at work: one worker, or a pool of them (`race_pool.rs`). Dropping it
/// terminates its workers, which is how a check is cancelled.
pub enum Job {
    One(#[allow(dead_code)] Running),
    Pool(#[allow(dead_code)] Rc<RefCell<super::race_pool::Pool>>),
}

/// The cores the browser offers (`hardwareConcurrency`; 1 where it does not say).
fn cores() -> usize {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok();
    let cores = navigator.and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("hardwareConcurrency")).ok());
    cores.and_then(|c| c.as_f64()).map_or(1, |c| c.clamp(1.0, 64.0) as usize)
}

/// Web workers for a check, given the cores: with two or more, the liveness pass runs
/// beside the search on a worker of its own (`race_pool.rs`), and the search gets one per
/// core but two, at least one and at most 8. The core left is the page's: it coordinates
/// every level, and each level waits for the slowest worker, so a worker that shares its
/// core with the page (or with another program) holds up the others (BENCHMARKS.md: on 2
/// busy cores two workers ran at 0.6 x one worker's rate). With two cores, the search's
/// worker and the pass's share them with the page. One core: one worker, both in turn.
fn workers(cores: usize) -> (usize, bool) {
    let beside = cores >= 2;
    let search = if beside { cores.saturating_sub(2) } else { 1 };
    (search.clamp(1, 8), beside)
}

fn start_check(lab: &Lab, d: &Callback<Action>, running: &Rc<RefCell<Option<Job>>>) {
    {
        let (req, gen, machine) = {
            let s = lab.inner.borrow();
            let req = CheckRequest {
                source: s.prog.source.clone(),
                ncpu: s.cfg.ncpu,
                scenario: s.cfg.scenario,
                options: s.cfg.options.clone(),
                max_states: max_states(),
            };
            (req, s.check_gen + 1, s.session.machine().clone())
        };
        running.borrow_mut().take();
        let (n, beside) = workers(cores());
        if n > 1 || beside {
            d.emit(Action::CheckStarted(gen));
            match super::race_pool::start(machine, req, n, beside, gen, d.clone()) {
                Ok(pool) => *running.borrow_mut() = Some(Job::Pool(pool)),
                Err(message) => d.emit(Action::CheckReply(gen, CheckReply::Error { message })),
            }
            return;
        }
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
                Ok(r) => {
                    if matches!(r, CheckReply::Done { .. }) {
                        keep_for_bench(&data);
                    }
                    d2.emit(Action::CheckReply(gen, r))
                }
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
        *running.borrow_mut() = Some(Job::One(Running { worker, _onmessage: onmessage, _onerror: onerror }));
        d.emit(Action::CheckStarted(gen));
    }
}

#[derive(Properties)]
pub struct Props {
    /// What the panel draws; the panel is drawn again only when this changes.
    pub view: RaceView,
    /// For starting a check (its source and configuration are read when it starts).
    pub lab: Lab,
    pub dispatch: Callback<Action>,
    /// Opens a section of the algorithm reference (a § in the race's story).
    pub open_ref: Callback<String>,
}

/// Equal when the view is: the lab behind it is the same `Rc` for the page's life, so a
/// step that changes nothing here does not draw the panel again.
impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        self.view == o.view && self.lab.same_pane(&o.lab) && self.dispatch == o.dispatch && self.open_ref == o.open_ref
    }
}

#[function_component]
pub fn RacePanel(props: &Props) -> Html {
    crate::renders::count("RacePanel");
    let running: Rc<RefCell<Option<Job>>> = use_mut_ref(|| None);
    let cause_job: Rc<RefCell<Option<Running>>> = use_mut_ref(|| None);
    let v = &props.view;
    let is_running = matches!(v.check, CheckStatus::Running { .. });
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
        use_effect_with((v.check_gen, v.check_requested), move |&(_, requested)| {
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
        let request = props.lab.inner.borrow().cause_request();
        use_effect_with(request, move |req| {
            job.borrow_mut().take();
            if let Some(req) = req {
                let msg = js_sys::Object::new();
                let text = serde_json::to_string(req).unwrap_or_default();
                let _ = js_sys::Reflect::set(&msg, &JsValue::from_str("cause"), &JsValue::from_str(&text));
                let on_reply = {
                    let d = d.clone();
                    move |text: String| {
                        if let Ok(r) = serde_json::from_str::<CauseReply>(&text) {
                            d.emit(Action::CauseFound(r));
                        }
                    }
                };
                // Without a worker the race is still marked at its violating step, and the
                // timeline stops saying that a step is being looked for.
                let on_fail = {
                    let (d, request) = (d.clone(), req.clone());
                    move |message: String| {
                        let error = Some(format!("the worker looking for the step stopped: {message}"));
                        d.emit(Action::CauseFound(CauseReply { request: request.clone(), step: None, error }));
                    }
                };
                match crate::worker_script::job(msg.into(), on_reply, on_fail) {
                    Ok(running) => *job.borrow_mut() = Some(running),
                    Err(e) => d.emit(Action::CauseFound(CauseReply {
                        request: req.clone(),
                        step: None,
                        error: Some(format!("no worker to look for the step: {e:?}")),
                    })),
                }
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
    let status = match &v.check {
        CheckStatus::Idle => html! {},
        CheckStatus::Running { states, depth, seconds } => {
            let rate = if *seconds > 0.0 { *states as f64 / seconds } else { 0.0 };
            let frac = (*states as f64 / max_states() as f64).min(1.0);
            html! {
                <span class="check-progress" role="status">
                    <progress max="1" value={format!("{frac:.4}")} aria-label="states explored, of the limit"></progress>
                    { format!(" {states} states · depth {depth} · {rate:.0} states/s ") }
                    <button id="cancel-check" onclick={cancel}>{ "cancel" }</button>
                </span>
            }
        }
        CheckStatus::Finished { text, stats, violation } => html! {
            <span id="check-result" class={classes!("check-result", violation.then_some("found"))} role="status">
                { format!("{text} ") }<span class="check-stats">{ stats }</span>
            </span>
        },
        CheckStatus::Failed(m) => {
            html! { <span id="check-result" class="check-result failed" role="status">{ m }</span> }
        }
    };
    let busy = v.cause_pending;
    let timeline = v.timeline.as_ref().map(|(label, cells)| {
        let cells = cells.iter().map(|c| {
            let (step, cpu) = (c.step, c.cpu);
            let d = props.dispatch.clone();
            let onclick = Callback::from(move |_| d.emit(Action::JumpTo(step)));
            let class = classes!(
                "tl-step",
                c.done.then_some("done"),
                c.now.then_some("now"),
                c.violation.then_some("violation"),
                c.cause.then_some("cause"),
                c.in_cycle.then_some("cycle"),
                c.traced.then_some("traced")
            );
            let what = if c.violation {
                " — the violating step"
            } else if c.cause {
                " — after this step the violation can no longer be avoided"
            } else {
                ""
            };
            html! {
                <button class={class} style={format!("--cpu: {}", cpu_colour(cpu as usize))} onclick={onclick}
                        data-step={step.to_string()} title={format!("step {step}: {}{what}", c.choice)}
                        aria-label={if c.violation { format!("⚠ step {step}: the violating step, CPU {cpu}") }
                                    else if c.cause { format!("◆ step {step}: CPU {cpu}; after it the violation can no longer be avoided") }
                                    else { format!("{cpu} step {step}: CPU {cpu}") }}>
                    { if c.violation { "⚠".to_string() } else if c.cause { format!("◆{cpu}") } else { cpu.to_string() } }
                </button>
            }
        });
        let d = props.dispatch.clone();
        html! {
            <div id="timeline" class="timeline" aria-label="Counterexample timeline" aria-busy={busy.to_string()}>
                <span class="tl-label">{ label }</span>
                { for cells }
                <button class="small" onclick={Callback::from(move |_| d.emit(Action::DropPlan))} title="Forget the counterexample">{ "×" }</button>
            </div>
        }
    });
    // The race's story, as the gallery tells it, while its counterexample is on screen.
    let story = v.story.as_ref().map(|(title, story)| {
        html! {
            <p id="race-story" class="race-story">
                <strong>{ format!("{title}. ") }</strong>{ super::cited::cited(story, &props.open_ref) }
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_keeps_a_core_and_the_liveness_pass_gets_one_from_two_cores_on() {
        assert_eq!(super::workers(1), (1, false));
        assert_eq!(super::workers(2), (1, true));
        assert_eq!(super::workers(3), (1, true));
        assert_eq!(super::workers(4), (2, true));
        assert_eq!(super::workers(64), (8, true));
    }
}
