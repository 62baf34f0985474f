//! Configuration (CPUs, scenario, the model's options) and the run controls.

use super::state::{Action, Goal, Lab};
use sdlab_lab::pace;
use sdlab_lab::view::ToolbarView;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Copy `text`: through the Clipboard API where the page may use it, else by the older
/// `copy` command on the selected link field. Whether it was copied.
async fn copy_text(text: String, field: Option<HtmlInputElement>) -> bool {
    let get = |on: &JsValue, key: &str| js_sys::Reflect::get(on, &JsValue::from_str(key)).ok();
    let Some(window) = web_sys::window() else { return false };
    let write = get(&window, "navigator")
        .and_then(|n| get(&n, "clipboard"))
        .filter(|c| c.is_object())
        .and_then(|c| get(&c, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok()).map(|f| (c, f)));
    if let Some((clipboard, write)) = write {
        if let Ok(Ok(promise)) =
            write.call1(&clipboard, &JsValue::from_str(&text)).map(|p| p.dyn_into::<js_sys::Promise>())
        {
            if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                return true;
            }
        }
    }
    let Some(field) = field else { return false };
    field.select();
    let exec = get(&window, "document").and_then(|d| {
        let f = get(&d, "execCommand")?.dyn_into::<js_sys::Function>().ok()?;
        f.call1(&d, &JsValue::from_str("copy")).ok()
    });
    exec.is_some_and(|copied| copied.is_truthy())
}

#[derive(Properties)]
pub struct Props {
    /// What the toolbar shows; it is drawn again only when this changes.
    pub view: ToolbarView,
    /// Read while drawing (the model's options and scenarios); the same `Rc` for the
    /// page's life.
    pub lab: Lab,
    pub dispatch: Callback<Action>,
    /// Opens or closes the help dialog (the page's own state).
    pub toggle_help: Callback<()>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        self.view == o.view
            && self.lab.same_pane(&o.lab)
            && self.dispatch == o.dispatch
            && self.toggle_help == o.toggle_help
    }
}

/// The run's length, handed to the step count by context: it is the only thing in the
/// toolbar that every step changes, and a context reaches its reader without drawing the
/// (memoised) toolbar again.
#[derive(Clone, Copy, PartialEq)]
pub struct StepsNow(pub usize);

#[function_component]
fn StepCount() -> Html {
    crate::renders::count("StepCount");
    let steps = use_context::<StepsNow>().map_or(0, |s| s.0);
    html! { <span id="step-count" class="count">{ format!("step {steps}") }</span> }
}

#[function_component]
pub fn Toolbar(props: &Props) -> Html {
    crate::renders::count("Toolbar");
    let sharing = use_state(|| false);
    // Pacing: the CPU "run to its next …" moves (page chrome: local to the toolbar).
    let run_cpu = use_state(|| 0u8);
    // What Share did, said where a person sees it: copied, or how to copy by hand.
    let share_status = use_state(|| None::<(bool, &'static str)>);
    let share_ref = use_node_ref();
    {
        let share_ref = share_ref.clone();
        let share_status = share_status.clone();
        use_effect_with(*sharing, move |on| {
            share_status.set(None);
            if *on {
                let input = share_ref.cast::<HtmlInputElement>();
                if let Some(input) = &input {
                    let _ = input.focus();
                    input.select();
                }
                let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
                wasm_bindgen_futures::spawn_local(async move {
                    let copied = copy_text(href, input).await;
                    share_status.set(Some(if copied {
                        (true, "Link copied")
                    } else {
                        (false, "The browser did not let the page copy: press Ctrl+C (⌘C) to copy the selected link")
                    }));
                });
            }
        });
    }
    let toggle_share = {
        let sharing = sharing.clone();
        Callback::from(move |_: MouseEvent| sharing.set(!*sharing))
    };
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    let s = props.lab.inner.borrow();
    let prog = &s.prog;
    let d = props.dispatch.clone();
    let act = |a: fn() -> Action| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.emit(a()))
    };
    let act_with = |c: u8, goal: Goal| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.emit(Action::RunTo(Some(c), goal)))
    };
    // A <select> of numbers: its value, parsed, becomes an action.
    let on_number = |to: fn(u32) -> Action| {
        let d = d.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = e.target_unchecked_into::<HtmlSelectElement>().value().parse() {
                d.emit(to(n));
            }
        })
    };
    let on_cpus = on_number(Action::SetCpus);
    let on_scenario = on_number(|n| Action::SetScenario(n as usize));
    let on_speed = on_number(Action::SetSpeed);
    let on_seed = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = e.target_unchecked_into::<HtmlInputElement>().value().trim().parse() {
                d.emit(Action::SetSeed(n));
            }
        })
    };
    let on_model = {
        let d = d.clone();
        Callback::from(move |e: Event| d.emit(Action::SetModel(e.target_unchecked_into::<HtmlSelectElement>().value())))
    };
    let (lo, hi, _) = prog.cpus;
    let v = &props.view;
    let changed = super::permalink::changed_options(prog, &s.cfg).len();
    // A loaded run played whole in about 30 seconds, the length of a demo in a lecture
    // (`sdlab_lab::pace`): offered while there is a run to fit.
    let demo_offered = v.demo_offered;
    let demo_title = match &v.demo {
        Some(pace) if pace.shown < pace.steps => format!(
            "The loaded run in about {} s: {} ms a step, the {} repeated steps the log folds at {} ms",
            pace::DEMO_MS / 1000,
            pace.step_ms,
            pace.steps - pace.shown,
            pace::FAST_MS
        ),
        Some(pace) => format!("The loaded run in about {} s: {} ms a step", pace::DEMO_MS / 1000, pace.step_ms),
        None => format!("The loaded run in about {} s, repeated loop iterations played fast", pace::DEMO_MS / 1000),
    };
    let options = prog.options.iter().enumerate().map(|(i, o)| {
        let value = s.cfg.options[i];
        let d = d.clone();
        let id = format!("opt-{}", o.name);
        if o.is_bool {
            let onchange = Callback::from(move |e: Event| {
                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                d.emit(Action::SetOption(i, on as i32));
            });
            html! {
                <label class="opt" title={o.doc.clone()} for={id.clone()}>
                    <input type="checkbox" id={id} checked={value != 0} {onchange} />
                    { &o.doc }
                </label>
            }
        } else {
            let onchange = Callback::from(move |e: Event| {
                if let Ok(v) = e.target_unchecked_into::<HtmlInputElement>().value().trim().parse() {
                    d.emit(Action::SetOption(i, v));
                }
            });
            html! {
                <label class="opt" title={o.doc.clone()} for={id.clone()}>
                    <input type="number" id={id} min="0" max="9" value={value.to_string()} {onchange} />
                    { &o.doc }
                </label>
            }
        }
    });
    html! {
        <section class="toolbar" aria-label="Configuration and controls">
            <div class="row">
                <label for="model" class="model-pick">{ "algorithm " }
                    <select id="model" onchange={on_model} title={prog.doc.clone()}>
                        { for sdlab_engine::models::BUNDLED.iter().map(|b| html! {
                            <option value={b.id} selected={b.id == s.model_id}>{ b.title() }</option>
                        }) }
                        if s.model_id == super::permalink::EDITED {
                            <option value={super::permalink::EDITED} selected=true>{ format!("{} (edited)", prog.title) }</option>
                        }
                    </select>
                </label>
                <strong id="model-title" class="sr-only">{ &prog.title }</strong>
                <button id="open-gallery" onclick={act(|| Action::ShowGallery(true))} title="Every algorithm and its known races">{ "Gallery of races" }</button>
                <button id="edit-model" onclick={act(|| Action::ToggleEditor)} aria-pressed={s.editor.to_string()} title="Edit this model, then run and check the edited version">{ "Edit model" }</button>
                <button id="presenter" onclick={act(|| Action::TogglePresenter)} aria-pressed={s.presenter.to_string()} title="Large type and high contrast for a lecture hall (p)">{ "Presenter" }</button>
                <button id="help-button" onclick={props.toggle_help.reform(|_: MouseEvent| ())} title="Keyboard shortcuts (?)">{ "?" }</button>
                <button id="export-svg" onclick={Callback::from(|_: MouseEvent| { let _ = super::export::export_svg(super::export::VIEW, "shootdown-lab.svg"); })}
                        title="Save this view as SVG, for slides (e)">{ "SVG" }</button>
                <button id="export-png" onclick={Callback::from(|_: MouseEvent| { let _ = super::export::export_png(super::export::VIEW, "shootdown-lab.png"); })}
                        title="Save this view as PNG, for slides">{ "PNG" }</button>
                <button id="export-gif" onclick={act(|| Action::ToggleGif)} aria-pressed={s.gif_panel.to_string()}
                        title="Save a range of steps as an animated GIF, for slides (g)">{ "GIF" }</button>
                <button id="compare" onclick={act(|| Action::ToggleCompare)} aria-pressed={s.compare.is_some().to_string()}
                        title="Two runs side by side, stepped together, with their first difference marked (c)">{ "Compare" }</button>
                <super::run_trace::RunExport lab={props.lab.clone()} />
                <button id="share" onclick={toggle_share} aria-expanded={sharing.to_string()} title="Copy a link to exactly this state">{ "Share" }</button>
                if *sharing {
                    <input id="share-link" ref={share_ref} class="share-link" readonly=true value={href} aria-label="Link to this state: copy it" />
                    <span id="share-status" class={classes!("share-status", share_status.is_some_and(|(ok, _)| ok).then_some("ok"))}
                          role="status">{ share_status.map_or("", |(_, m)| m) }</span>
                }
                <label for="cpus">{ "CPUs " }
                    <select id="cpus" onchange={on_cpus}>
                        { for (lo..=hi).map(|n| html! { <option value={n.to_string()} selected={n == s.cfg.ncpu}>{ n }</option> }) }
                    </select>
                </label>
                <label for="scenario">{ "scenario " }
                    <select id="scenario" onchange={on_scenario} title={prog.scenarios.get(s.cfg.scenario).map(|sc| sc.doc.clone()).unwrap_or_default()}>
                        { for prog.scenarios.iter().enumerate().map(|(i, sc)| html! {
                            <option value={i.to_string()} selected={i == s.cfg.scenario} title={sc.doc.clone()}>{ &sc.name }</option>
                        }) }
                    </select>
                </label>
                <span class="controls">
                    <button id="reset" onclick={act(|| Action::Reset)} title="Reset to step 0 (r)">{ "↺ reset" }</button>
                    <button id="back" onclick={act(|| Action::Back)} disabled={!v.can_go_back} title="Undo one step (←)">{ "◀ back" }</button>
                    <button id="step" onclick={act(|| Action::StepSeeded)} title="One step of the seeded schedule (→)">{ "step ▶" }</button>
                    <button id="run" onclick={act(|| Action::ToggleRun)} title="Run or pause (space)">{ if s.running { "‖ pause" } else { "▶▶ run" } }</button>
                    <span class="run-to" role="group" aria-label="Run one CPU to its next event">
                        <label for="run-cpu">{ "run CPU " }
                            <select id="run-cpu" onchange={{
                                let run_cpu = run_cpu.clone();
                                Callback::from(move |e: Event| {
                                    if let Ok(c) = e.target_unchecked_into::<HtmlSelectElement>().value().parse() {
                                        run_cpu.set(c);
                                    }
                                })
                            }}>
                                { for (0..s.session.machine().ncpu() as u8).map(|c| html! {
                                    <option value={c.to_string()} selected={c == *run_cpu}>{ c }</option>
                                }) }
                            </select>
                        </label>
                        { " to its next " }
                        <button id="run-to-ipi" onclick={act_with(*run_cpu, Goal::Ipi)}
                                title="Step this CPU until it sends or takes an IPI (i: the CPU of the last step)">{ "IPI" }</button>
                        <button id="run-to-ack" onclick={act_with(*run_cpu, Goal::Ack)}
                                title="Step this CPU until it acknowledges (a: the CPU of the last step)">{ "ack" }</button>
                        <button id="run-to-violation" onclick={act_with(*run_cpu, Goal::Violation)}
                                title="Step this CPU until a property breaks (v: the CPU of the last step)">{ "violation" }</button>
                    </span>
                    <label for="speed">{ "speed " }
                        <select id="speed" onchange={on_speed} title={(s.speed_ms == pace::DEMO).then_some(demo_title)}>
                            { for [(1000, "slow"), (400, "normal"), (120, "fast"), (30, "very fast")].iter().map(|(ms, name)| html! {
                                <option value={ms.to_string()} selected={*ms == s.speed_ms}>{ *name }</option>
                            }) }
                            if demo_offered {
                                <option id="speed-demo" value={pace::DEMO.to_string()} selected={s.speed_ms == pace::DEMO}>{ format!("{} s demo", pace::DEMO_MS / 1000) }</option>
                            }
                        </select>
                    </label>
                    <label for="seed">{ "seed " }<input id="seed" type="number" min="0" value={s.seed.to_string()} onchange={on_seed} /></label>
                    <StepCount />
                </span>
            </div>
            if s.presenter {
                // Presenter mode has no room for the option row, but a demo unticks options:
                // a drawer, closed until opened, with each option's whole sentence.
                <details id="options-drawer" class="options-drawer">
                    <summary>{ format!("Options ({changed} of {} changed from the model's defaults)", prog.options.len()) }</summary>
                    <div class="drawer-options">{ for options }</div>
                </details>
            } else {
                <div class="row options">{ for options }</div>
            }
        </section>
    }
}
