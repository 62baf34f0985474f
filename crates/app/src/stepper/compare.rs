//! Compare mode: a second run B of the same model (same CPU count and scenario) beside
//! the run A on screen. B differs by option values, by its schedule, or both; it is
//! derived from A step by step, so every key and button that moves A moves B too. Both
//! runs are also projected as far as they are known (A's loaded schedule), so the first
//! step where they differ is marked on both timelines before it is reached.

use super::palette::cpu_colour;
use super::state::{Action, Lab};
use crate::protocol::{CheckReply, CheckRequest, Verdict};
use crate::worker_script::Running;
use sdlab_engine::machine::Machine;
use sdlab_engine::schedule;
pub use sdlab_lab::compare::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Timeline cells drawn per run (the rest is summarised).
const MAX_CELLS: usize = 400;
/// States B's checker (in the worker) may store before it gives up.
const B_MAX_STATES: usize = 400_000;

/// Find B's shortest counterexample in a web worker (the checker of "Find a race", with
/// B's options), reporting progress, then make it B's own schedule (with the options it
/// needs). Dropping the returned job cancels the search.
fn find_b_race(
    req: CheckRequest,
    set: Vec<(String, i32)>,
    seed: u64,
    d: Callback<Action>,
    status: UseStateSetter<Option<String>>,
) -> Option<Running> {
    let text = serde_json::to_string(&req).ok()?;
    let failed = status.clone();
    let on_reply = move |text: String| {
        let Ok(reply) = serde_json::from_str::<CheckReply>(&text) else { return };
        let words = match reply {
            CheckReply::Ready => return,
            CheckReply::Progress { states, .. } => format!("Finding B's race: {states} states explored…"),
            CheckReply::Error { message } => format!("B's search failed: {message}"),
            CheckReply::Done { verdict, property, message, schedule: sched, .. } => match verdict {
                Verdict::Violation => match sched.as_deref().map(schedule::parse) {
                    Some(Ok(choices)) => {
                        let n = choices.len();
                        d.emit(Action::CompareVariant(set.clone(), Follow::Own { choices, seed }));
                        let what = property.map_or_else(|| "a violation".to_string(), |p| p.describe());
                        format!("B plays its shortest counterexample: {what} in {n} steps.")
                    }
                    _ => "B's counterexample does not parse.".into(),
                },
                Verdict::Limit => {
                    format!("B's search stopped: {}. Nothing found; try fewer CPUs.", message.unwrap_or_default())
                }
                Verdict::Fault => format!("B's model faults: {}", message.unwrap_or_default()),
                Verdict::Verified => {
                    "B's variant verifies: no race in this configuration, so B keeps its schedule.".into()
                }
            },
        };
        status.set(Some(words));
    };
    let on_error = move |e: String| failed.set(Some(format!("B's search stopped: {e}")));
    crate::worker_script::job(JsValue::from_str(&text), on_reply, on_error).ok()
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    pub dispatch: Callback<Action>,
}

/// The controls of the comparison: B's options, how B steps, and the difference in words.
#[function_component]
pub fn ComparePanel(props: &Props) -> Html {
    crate::renders::count("ComparePanel");
    let sched_error = use_state(|| None::<String>);
    let search = use_state(|| None::<String>);
    let job: Rc<RefCell<Option<Running>>> = use_mut_ref(|| None);
    let s = props.lab.inner.borrow();
    {
        // Leaving compare mode stops B's search.
        let job = job.clone();
        use_effect_with(s.compare.is_some(), move |_| move || drop(job.borrow_mut().take()));
    }
    let Some(cmp) = &s.compare else { return html! {} };
    let d = props.dispatch.clone();
    let b_cfg = cmp.b.borrow().cfg.clone();
    let options = s.prog.options.iter().enumerate().map(|(i, o)| {
        let value = b_cfg.options.get(i).copied().unwrap_or(o.default);
        let id = format!("cmp-opt-{}", o.name);
        let name = o.name.clone();
        let d = d.clone();
        let differs = s.cfg.options.get(i) != Some(&value);
        if o.is_bool {
            let onchange = Callback::from(move |e: Event| {
                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                d.emit(Action::CompareOption(name.clone(), on as i32));
            });
            html! {
                <label class={classes!("opt", differs.then_some("differs"))} title={o.doc.clone()} for={id.clone()}>
                    <input type="checkbox" id={id} checked={value != 0} {onchange} />
                    { &o.name }
                </label>
            }
        } else {
            let onchange = Callback::from(move |e: Event| {
                if let Ok(v) = e.target_unchecked_into::<HtmlInputElement>().value().trim().parse() {
                    d.emit(Action::CompareOption(name.clone(), v));
                }
            });
            html! {
                <label class={classes!("opt", differs.then_some("differs"))} title={o.doc.clone()} for={id.clone()}>
                    <input type="number" id={id} min="0" max="9" value={value.to_string()} {onchange} />
                    { &o.name }
                </label>
            }
        }
    });
    let (mode, own_text, own_seed) = match &cmp.follow {
        Follow::Mirror => ("mirror", String::new(), s.seed),
        Follow::Own { choices, seed } => ("own", schedule::format(choices), *seed),
    };
    let on_mode = {
        let d = d.clone();
        let seed = s.seed;
        Callback::from(move |e: Event| {
            let follow = match e.target_unchecked_into::<HtmlSelectElement>().value().as_str() {
                "own" => Follow::Own { choices: vec![], seed: seed.wrapping_add(1) },
                _ => Follow::Mirror,
            };
            d.emit(Action::CompareFollow(follow));
        })
    };
    let on_seed = {
        let d = d.clone();
        let choices = match &cmp.follow {
            Follow::Own { choices, .. } => choices.clone(),
            Follow::Mirror => vec![],
        };
        Callback::from(move |e: Event| {
            if let Ok(seed) = e.target_unchecked_into::<HtmlInputElement>().value().trim().parse() {
                d.emit(Action::CompareFollow(Follow::Own { choices: choices.clone(), seed }));
            }
        })
    };
    let on_sched = {
        let d = d.clone();
        let sched_error = sched_error.clone();
        Callback::from(move |e: Event| match schedule::parse(&e.target_unchecked_into::<HtmlInputElement>().value()) {
            Ok(choices) => {
                sched_error.set(None);
                d.emit(Action::CompareFollow(Follow::Own { choices, seed: own_seed }));
            }
            Err(err) => sched_error.set(Some(err.to_string())),
        })
    };
    let close = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.emit(Action::ToggleCompare))
    };
    // The model's declared races in A's CPU count and scenario: B can be one of them.
    let races: Vec<(usize, String)> = s
        .prog
        .races
        .iter()
        .enumerate()
        .filter(|(_, r)| r.cpus == s.cfg.ncpu && r.scenario == s.cfg.scenario)
        .map(|(i, r)| (i, format!("{}: {}", r.name, r.title)))
        .collect();
    // Start B's search: with the options of race `r`, or B's own options.
    let start_search = {
        let (d, search, job) = (d.clone(), search.clone(), job.clone());
        let (prog, a_cfg, b_set, seed) = (s.prog.clone(), s.cfg.clone(), cmp.set.clone(), s.seed);
        move |race: Option<usize>| {
            let set: Vec<(String, i32)> = match race.and_then(|r| prog.races.get(r)) {
                Some(r) => {
                    r.sets.iter().filter_map(|&(i, v)| prog.options.get(i).map(|o| (o.name.clone(), v))).collect()
                }
                None => b_set.clone(),
            };
            let mut cfg = a_cfg.clone();
            for (n, v) in &set {
                if let Err(e) = cfg.set(&prog, n, &v.to_string()) {
                    search.set(Some(e.to_string()));
                    return;
                }
            }
            if let Err(e) = Machine::new(prog.clone(), cfg.clone()) {
                search.set(Some(e.to_string()));
                return;
            }
            let req = CheckRequest {
                source: prog.source.clone(),
                ncpu: cfg.ncpu,
                scenario: cfg.scenario,
                options: cfg.options.clone(),
                max_states: B_MAX_STATES,
            };
            search.set(Some("Finding B's race…".into()));
            // A new search replaces the one in flight.
            let started = find_b_race(req, set, seed, d.clone(), search.setter());
            if started.is_none() {
                search.set(Some("B's search could not start its worker.".into()));
            }
            *job.borrow_mut() = started;
        }
    };
    let on_race = {
        let start = start_search.clone();
        Callback::from(move |e: Event| {
            if let Ok(r) = e.target_unchecked_into::<HtmlSelectElement>().value().parse::<usize>() {
                start(Some(r));
            }
        })
    };
    let find = Callback::from(move |_: MouseEvent| start_search(None));
    let v = &cmp.view;
    html! {
        <section id="compare-panel" class="compare-panel" aria-label="Compare two runs">
            <div class="row">
                <strong>{ "Compare: " }</strong>
                <span class="cmp-controls">
                <span>{ "B differs by " }</span>
                { for options }
                <label for="cmp-follow">{ "B steps by " }
                    <select id="cmp-follow" onchange={on_mode}>
                        <option value="mirror" selected={mode == "mirror"}>{ "A's choices" }</option>
                        <option value="own" selected={mode == "own"}>{ "its own schedule" }</option>
                    </select>
                </label>
                if mode == "own" {
                    <label for="cmp-schedule">{ "schedule " }
                        <input id="cmp-schedule" class="cmp-schedule" value={own_text} onchange={on_sched} placeholder="e.g. 0 1 i1.0 (then its seed)" />
                    </label>
                    <label for="cmp-seed">{ "then seed " }
                        <input id="cmp-seed" type="number" min="0" value={own_seed.to_string()} onchange={on_seed} />
                    </label>
                }
                if !races.is_empty() {
                    <label for="cmp-race">{ "B is a known race " }
                        <select id="cmp-race" onchange={on_race}>
                            <option value="" selected=true>{ "choose…" }</option>
                            { for races.iter().map(|(i, t)| html! { <option value={i.to_string()}>{ t }</option> }) }
                        </select>
                    </label>
                }
                <button id="cmp-find" onclick={find} title="Find the shortest counterexample of B's variant and let B play it">{ "Find B's race" }</button>
                </span>
                <button id="close-compare" class="small" onclick={close} title="Leave compare mode (c)">{ "× close" }</button>
            </div>
            if let Some(text) = &*search {
                <p id="cmp-search" class="cmp-search" role="status">{ text }</p>
            }
            if let Some(e) = cmp.error.as_ref().or(sched_error.as_ref()) {
                <p class="cmp-error" role="status">{ e }</p>
            }
            <p id="divergence" class={classes!("divergence", v.diverge.is_some().then_some("found"))} role="status"
               data-step={v.diverge.map(|k| k.to_string()).unwrap_or_default()}>
                { if v.diverge.is_some() { "≠ First difference — " } else { "= " } }{ &v.words }
            </p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub lab: Lab,
    pub dispatch: Callback<Action>,
    /// "a" or "b".
    pub pane: AttrValue,
}

/// One run's projected steps as cells, the current step and the first difference marked.
#[function_component]
pub fn CompareTimeline(props: &TimelineProps) -> Html {
    crate::renders::count("CompareTimeline");
    let s = props.lab.inner.borrow();
    let Some(cmp) = &s.compare else { return html! {} };
    let is_b = props.pane == "b";
    let run = if is_b { &cmp.view.b } else { &cmp.view.a };
    let now = s.session.steps();
    let diverge = cmp.view.diverge;
    let n = run.steps.len();
    let cells = run.steps.iter().take(MAX_CELLS).enumerate().map(|(i, st)| {
        let step = i + 1;
        let d = props.dispatch.clone();
        let onclick = Callback::from(move |_| d.emit(Action::JumpTo(step)));
        let at_diff = diverge == Some(step);
        let class = classes!(
            "tl-step",
            (step <= now).then_some("done"),
            (step == now).then_some("now"),
            at_diff.then_some("diverge"),
            st.violation.is_some().then_some("violation")
        );
        let label = format!(
            "step {step}: CPU {}{}{}",
            st.cpu,
            if at_diff { " — the first difference" } else { "" },
            if st.violation.is_some() { " — breaks a property" } else { "" }
        );
        html! {
            <button class={class} style={format!("--cpu: {}", cpu_colour(st.cpu as usize))} onclick={onclick}
                    data-step={step.to_string()} title={format!("{label}: {}", st.text)} aria-label={label}>
                { if at_diff { "≠".to_string() } else if st.violation.is_some() { "⚠".to_string() } else { st.cpu.to_string() } }
            </button>
        }
    });
    let end = run.end.as_ref().map(|e| format!(" then {e}")).unwrap_or_default();
    // This run stopped where the other goes on: its end is the difference.
    let end_marked = run.end.is_some() && diverge == Some(n + 1);
    html! {
        <div id={format!("cmp-timeline-{}", props.pane)} class="timeline cmp-timeline" role="group" aria-label={format!("Run {} timeline", props.pane.to_uppercase())}>
            <span class="tl-label">{ format!("{} ({n} steps{}):", props.pane.to_uppercase(), if n > MAX_CELLS { ", the first shown" } else { "" }) }</span>
            { for cells }
            if end_marked {
                <span class="tl-step diverge" data-step={(n + 1).to_string()} title={format!("after step {n}: this run{end}")}>{ "≠ ■" }</span>
            }
            if !end.is_empty() { <span class="tl-end">{ end }</span> }
        </div>
    }
}
