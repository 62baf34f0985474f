//! The panels under the timeline: the selected event (fields and raw line), the
//! reconstructed rounds, the warnings, and step mode's reconstructed state.

use super::conform::{badge, checkable, Conformance};
use super::kinds::cpu_colour;
use super::kinds::{describe, Cat};
use super::loader::raw_line;
use super::model::Model;
use super::state::{Action, ROUNDS_PER_PAGE};
use sdlab_runtrace::conform as search;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DetailsProps {
    pub model: Rc<Model>,
    pub blob: Option<web_sys::Blob>,
    pub selected: Option<u32>,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn Details(p: &DetailsProps) -> Html {
    let raw = use_state(|| None::<(u32, String)>);
    {
        let raw = raw.clone();
        let ev = p.selected.and_then(|i| p.model.event(i).map(|e| (i, e.offset)));
        use_effect_with((ev, p.blob.clone()), move |(ev, blob)| {
            if let (Some((i, offset)), Some(blob)) = (*ev, blob.clone()) {
                wasm_bindgen_futures::spawn_local(async move {
                    let text = raw_line(blob, offset).await.unwrap_or_else(|| "(the file could not be read)".into());
                    raw.set(Some((i, text)));
                });
            }
        });
    }
    let Some((i, e)) = p.selected.and_then(|i| p.model.event(i).map(|e| (i, e))) else {
        return html! { <p class="dim">{ "Click an event on the timeline (or press . to step) to see its fields and its line in the file." }</p> };
    };
    let m = &p.model;
    let raw_text = raw.as_ref().filter(|(j, _)| *j == i).map(|(_, t)| t.clone());
    let round = m.rounds.iter().position(|r| {
        r.start_idx == i
            || r.targets.iter().any(|t| t.queued_idx == i || t.received_idx == Some(i) || t.done_idx == Some(i))
    });
    let cat = Cat::of(&e.kind);
    html! {
        <div id="event-details" class="event-details">
            <dl>
                <dt>{ "event" }</dt><dd><span class="swatch" style={format!("background:{}", cat.colour())}></span>{ describe(&e.kind, &m.trace.names) }</dd>
                <dt>{ "name" }</dt><dd>{ sdlab_trace::export::kind_name(&m.trace, &e.kind) }</dd>
                { for sdlab_trace::export::fields(&m.trace, e).into_iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd>{ v }</dd></> }) }
                <dt>{ "CPU" }</dt><dd>{ e.cpu }</dd>
                <dt>{ "time" }</dt><dd>{ m.at(e.ts) }</dd>
                <dt>{ "line" }</dt><dd id="event-line">{ e.line }</dd>
                <dt>{ "event #" }</dt><dd>{ format!("{} of {}", i + 1, m.trace.events.len()) }</dd>
                <dt>{ "file offset" }</dt><dd>{ format!("byte {}", e.offset) }</dd>
                if let Some(r) = round {
                    <dt>{ "round" }</dt><dd>
                        <button class="link" id="event-round" onclick={{ let d = p.dispatch.clone(); Callback::from(move |_| d.emit(Action::SelectRound(r))) }}
                                title="Zoom to this round">{ format!("#{}", r + 1) }</button>
                        { format!(" (initiator CPU {})", m.rounds[r].initiator) }</dd>
                }
            </dl>
            <pre id="raw-line" class="raw-line" aria-label="The line in the file">{ raw_text.unwrap_or_else(|| "…".into()) }</pre>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct RoundsProps {
    pub model: Rc<Model>,
    pub selected: Option<usize>,
    pub page: usize,
    pub by_latency: bool,
    pub dispatch: Callback<Action>,
    pub conform: Rc<Conformance>,
    pub mismatches_only: bool,
    /// Check these rounds (by start event; all when empty) in the worker.
    pub on_check: Callback<Vec<u32>>,
    /// Play the round starting at this event in the machine.
    pub on_play: Callback<u32>,
    pub on_cancel: Callback<()>,
}

/// Conformance of the trace to a model: which model, a button to check every round, the
/// job's progress and the counts, the mismatch filter, and for a window trace its verdict.
fn conform_bar(p: &RoundsProps, checkable: &[u32]) -> Html {
    let c = &p.conform;
    let d = p.dispatch.clone();
    let on_model = Callback::from(move |e: Event| {
        if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            d.emit(Action::ConformModel(sel.value()));
        }
    });
    let (ok, bad, open) = c.counts();
    let status = if c.running {
        format!("checking {} of {} rounds…", c.verdicts.len().min(c.planned.max(1)), c.planned)
    } else if c.verdicts.is_empty() {
        format!("{} rounds to check", checkable.len())
    } else {
        let rate = c.last.map(|(n, s)| format!(" · {:.1} rounds/s", n as f64 / s.max(1e-3))).unwrap_or_default();
        format!("{ok} conform, {bad} mismatch, {open} undecided of {} checked{rate}", c.verdicts.len())
    };
    let whole = search::whole_window(p.model.trace.format);
    let check_all = {
        let on = p.on_check.clone();
        Callback::from(move |_| on.emit(Vec::new()))
    };
    let cancel = {
        let on = p.on_cancel.clone();
        Callback::from(move |_| on.emit(()))
    };
    let play_whole = {
        let on = p.on_play.clone();
        Callback::from(move |_| on.emit(0))
    };
    let (sym, class, words) = badge(c.verdicts.get(&0));
    html! {
        <div class="row conform-bar" id="conform-bar">
            <label>{ "conformance to the model " }
                <select id="conform-model" onchange={on_model} aria-label="Model to check the rounds against">
                    { for sdlab_engine::models::BUNDLED.iter().map(|b| html! { <option value={b.id} selected={b.id == c.model}>{ b.id }</option> }) }
                </select>
            </label>
            if whole {
                <button id="conform-play" onclick={play_whole} disabled={c.running}
                        title="Find a run of the model that produces this trace, and play it in the machine">{ "▶ play the trace in the machine" }</button>
                <span id="conform-whole" class={classes!("conform", class)} title={words.clone()}>{ format!("{sym} {words}") }</span>
            } else {
                <button id="conform-check" onclick={check_all} disabled={c.running || checkable.is_empty()}>{ "check every round" }</button>
                if c.running {
                    <button id="conform-cancel" onclick={cancel}>{ "cancel" }</button>
                }
                <span id="conform-status" role="status" data-conform={ok.to_string()} data-mismatch={bad.to_string()} data-undecided={open.to_string()}
                      data-running={c.running.to_string()} data-seconds={c.last.map_or(String::new(), |(_, s)| format!("{s:.3}"))}>{ status }</span>
                <label class="opt"><input type="checkbox" id="rounds-mismatches" checked={p.mismatches_only}
                    onchange={{ let d = p.dispatch.clone(); let on = !p.mismatches_only; Callback::from(move |_| d.emit(Action::MismatchesOnly(on))) }} />
                    { "only mismatches" }</label>
            }
            if let Some(e) = &c.error {
                <span id="conform-error" class="error" role="alert">{ e }</span>
            }
        </div>
    }
}

#[function_component]
pub fn Rounds(p: &RoundsProps) -> Html {
    let m = &p.model;
    let n = m.rounds.len();
    let notes = html! {
        <details id="round-notes" class="round-notes" open={n == 0}>
            <summary>{ "How these rounds were found" }</summary>
            <ul>{ for m.notes.iter().map(|t| html! { <li>{ t }</li> }) }</ul>
        </details>
    };
    if n == 0 {
        let whole = search::whole_window(m.trace.format);
        return html! {
            <div class="rounds">
                <p id="rounds-empty" class="dim">{ "No rounds found in this trace." }</p>
                if whole {
                    { conform_bar(p, &[0]) }
                }
                { notes }
            </div>
        };
    }
    let shootdowns = m.rounds.iter().filter(|r| r.kind.is_tlb_shootdown()).count();
    let checkable = checkable(m);
    let whole = search::whole_window(m.trace.format);
    // The rows listed, in the order asked for: every round, or the mismatching ones.
    let order: Vec<usize> = (0..n)
        .map(|pos| if p.by_latency { m.slowest.get(pos).copied().unwrap_or(pos) } else { pos })
        .filter(|&r| {
            !p.mismatches_only
                || p.conform.verdicts.get(&m.rounds[r].start_idx).is_some_and(|v| v.verdict.word() == "mismatch")
        })
        .collect();
    let listed = order.len();
    let pages = listed.div_ceil(ROUNDS_PER_PAGE).max(1);
    let page = p.page.min(pages - 1);
    let complete = m.rounds.iter().filter(|r| r.end.is_some()).count();
    let rel =
        |t: Option<u64>, start: u64| t.map_or("—".to_string(), |t| format!("+{}", m.dur(t.saturating_sub(start))));
    let rows = order.iter().skip(page * ROUNDS_PER_PAGE).take(ROUNDS_PER_PAGE).map(|&r| {
        let round = &m.rounds[r];
        let start = round.start_idx;
        let model_cell = if whole {
            html! { <td class="dim">{ "whole trace" }</td> }
        } else if checkable.binary_search(&start).is_ok() {
            let (sym, class, words) = badge(p.conform.verdicts.get(&start));
            let on = p.on_play.clone();
            let play = Callback::from(move |_| on.emit(start));
            html! {
                <td class="conform-cell">
                    <span class={classes!("conform", class)} title={words.clone()} aria-label={words}>{ sym }</span>
                    <button class="round-play" onclick={play} disabled={p.conform.running && p.conform.play.is_some()}
                            title="Play this round in the machine: the model's run that produces its events">{ "▶ play" }</button>
                </td>
            }
        } else {
            html! { <td class="dim" title="no csd evidence: conformance checks TLB shootdown rounds with queued requests">{ "—" }</td> }
        };
        let d = p.dispatch.clone();
        let onclick = Callback::from(move |_| d.emit(Action::SelectRound(r)));
        let targets = round.targets.iter().map(|t| {
            html! {
                <li>
                    <span class="badge" style={format!("background:{}", cpu_colour(t.cpu as usize))}>{ t.cpu }</span>
                    { format!(" recv {} · flush {} · done {}", rel(t.received, round.start), rel(t.flushed, round.start), rel(t.done, round.start)) }
                </li>
            }
        });
        html! {
            <tr class={classes!("round-row", (p.selected == Some(r)).then_some("selected"))} aria-selected={(p.selected == Some(r)).to_string()}>
                <td><button class="round-pick" {onclick} title="Zoom the timeline to this round">{ format!("#{}", r + 1) }</button></td>
                <td>{ round.kind.words() }</td>
                <td><span class="badge" style={format!("background:{}", cpu_colour(round.initiator as usize))}>{ round.initiator }</span></td>
                <td>{ m.at(round.start) }</td>
                <td><ul class="targets">{ for targets }</ul></td>
                <td>{ round.end.map_or("incomplete".to_string(), |e| m.at(e)) }</td>
                <td class="num">{ round.latency().map_or("—".to_string(), |l| m.dur(l)) }</td>
                { model_cell }
            </tr>
        }
    });
    let d = p.dispatch.clone();
    let prev = Callback::from({
        let d = d.clone();
        move |_| d.emit(Action::RoundPage(page.saturating_sub(1)))
    });
    let next = Callback::from(move |_| d.emit(Action::RoundPage((page + 1).min(pages - 1))));
    let targets: usize = m.rounds.iter().map(|r| r.targets.len()).sum();
    html! {
        <div class="rounds">
            <div class="row">
                <span id="rounds-count" data-rounds={n.to_string()} data-targets={targets.to_string()} data-complete={complete.to_string()} data-shootdowns={shootdowns.to_string()}>
                    { format!("{n} rounds ({shootdowns} TLB shootdowns), {complete} complete, {targets} target requests") }
                </span>
                <label class="opt"><input type="checkbox" id="rounds-slowest" checked={p.by_latency}
                    onchange={{ let d = p.dispatch.clone(); let on = !p.by_latency; Callback::from(move |_| d.emit(Action::RoundOrder(on))) }} />
                    { "slowest first" }</label>
                if p.mismatches_only {
                    <span id="rounds-listed">{ format!("{listed} listed") }</span>
                }
                <span class="pager">
                    <button onclick={prev} disabled={page == 0} aria-label="Previous page of rounds">{ "‹" }</button>
                    { format!(" page {} of {pages} ", page + 1) }
                    <button onclick={next} disabled={page + 1 >= pages} aria-label="Next page of rounds">{ "›" }</button>
                </span>
            </div>
            { conform_bar(p, &checkable) }
            <div class="table-scroll" tabindex="0" aria-label="Rounds">
                <table id="rounds-table">
                    <thead><tr><th>{ "round" }</th><th>{ "kind" }</th><th>{ "initiator" }</th><th>{ "start" }</th><th>{ "targets: receive, flush, done" }</th><th>{ "complete" }</th><th>{ "latency" }</th><th>{ "model" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            { notes }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct WarningsProps {
    pub model: Rc<Model>,
}

const WARNINGS_SHOWN: usize = 500;

#[function_component]
pub fn Warnings(p: &WarningsProps) -> Html {
    let t = &p.model.trace;
    let r = &p.model.replay;
    let total = t.warning_count + r.warning_count;
    if total == 0 {
        return html! { <p id="warnings-none" class="dim">{ "Every line was understood, and every receive paired with its send." }</p> };
    }
    // Parser warnings first (lines not understood), then the reconstruction's, by line.
    let mut all: Vec<&sdlab_trace::Warning> = t.warnings.iter().chain(r.warnings.iter()).collect();
    all.sort_by_key(|w| {
        (w.class != sdlab_trace::WarningClass::Tokenize && w.class != sdlab_trace::WarningClass::Parse, w.line)
    });
    let rows = all.iter().take(WARNINGS_SHOWN).map(|w| {
        html! { <tr><td class="num">{ w.line }</td><td>{ format!("{:?}", w.class).to_lowercase() }</td><td>{ &w.reason }</td></tr> }
    });
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    html! {
        <div class="warnings">
            <p id="warnings-count" data-count={t.warning_count.to_string()} data-reconstruct={r.warning_count.to_string()}>
                { format!("{} line{} not understood; the rest loaded.", t.warning_count, plural(t.warning_count)) }
                if r.warning_count > 0 {
                    { format!(" {} event{} that do not fit together (reconstruction).", r.warning_count, plural(r.warning_count)) }
                }
                if (total as usize) > WARNINGS_SHOWN.min(all.len()) {
                    { format!(" The first {} are listed.", WARNINGS_SHOWN.min(all.len())) }
                }
            </p>
            if r.orphans_at_start + r.unfinished_at_end > 0 {
                <p class="dim">{ format!("Not warnings: {} receives whose send came before the trace started, {} requests still open at its end.", r.orphans_at_start, r.unfinished_at_end) }</p>
            }
            <div class="table-scroll" tabindex="0" aria-label="Warnings">
                <table id="warnings-table"><thead><tr><th>{ "line" }</th><th>{ "stage" }</th><th>{ "reason" }</th></tr></thead><tbody>{ for rows }</tbody></table>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct StepProps {
    pub model: Rc<Model>,
    pub at: u32,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn StepState(p: &StepProps) -> Html {
    let m = &p.model;
    let s = use_memo((p.model.clone(), p.at), |(m, at)| m.state_at(*at));
    let Some(e) = m.event(p.at) else { return html! {} };
    let d = p.dispatch.clone();
    let btn = |label: &'static str, id: &'static str, a: fn() -> Action, title: &'static str| {
        let d = d.clone();
        html! { <button id={id} title={title} onclick={Callback::from(move |_| d.emit(a()))}>{ label }</button> }
    };
    let per_cpu = (0..m.ncpu()).map(|c| {
        html! {
            <tr>
                <th><span class="badge" style={format!("background:{}", cpu_colour(c))}>{ c }</span></th>
                <td class="num">{ s.pending_ipis[c] }</td>
                <td class="num">{ s.queued[c] }</td>
            </tr>
        }
    });
    let rings = s.rings.iter().map(
        |(a, b, k)| html! { <li>{ format!("CPU {a} → CPU {b}: {k} message{}", if *k == 1 { "" } else { "s" }) }</li> },
    );
    let flights = s.in_flight.iter().take(20).map(|&r| {
        let round = &m.rounds[r];
        let d = d.clone();
        let waiting: Vec<String> = round.targets.iter().filter(|t| t.done_idx.is_none_or(|x| x > p.at)).map(|t| t.cpu.to_string()).collect();
        html! {
            <li><button class="link" onclick={Callback::from(move |_| d.emit(Action::SelectRound(r)))}>{ format!("#{}", r + 1) }</button>
                { format!(" from CPU {}, waiting for CPU {}", round.initiator, if waiting.is_empty() { "none".into() } else { waiting.join(",") }) }</li>
        }
    });
    html! {
        <section id="step-state" class="step-state" aria-label="Step mode" data-at={p.at.to_string()}>
            <div class="row">
                { btn("◀ previous", "step-prev", || Action::Step(-1), "Previous event (,)") }
                { btn("next ▶", "step-next", || Action::Step(1), "Next event (.)") }
                { btn("leave step mode", "step-exit", || Action::StepMode(false), "Leave step mode (s)") }
            </div>
            <p class="step-now" aria-live="polite">
                { format!("event {} of {} · line {} · CPU {} · {}: ", p.at + 1, m.trace.events.len(), e.line, e.cpu, m.at(e.ts)) }
                <strong>{ describe(&e.kind, &m.trace.names) }</strong>
            </p>
            <div class="step-grid">
                <table id="step-cpus">
                    <thead><tr><th>{ "CPU" }</th><th>{ "IPIs pending" }</th><th>{ "flush requests queued" }</th></tr></thead>
                    <tbody>{ for per_cpu }</tbody>
                </table>
                <div>
                    <h3>{ format!("Rounds in flight: {}", s.in_flight.len()) }</h3>
                    <ul id="step-rounds">{ for flights }</ul>
                    if !s.rings.is_empty() {
                        <h3>{ "ipiq ring occupancy" }</h3>
                        <ul id="step-rings">{ for rings }</ul>
                    }
                </div>
            </div>
        </section>
    }
}
