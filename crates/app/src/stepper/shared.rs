//! Shared structures drawn from the model's declarations, with no per-algorithm code:
//! a 2-D array as a matrix (cells equal to its `mark` value stand out), per-CPU
//! variables as one table with a row per CPU, cpumasks as bit boxes, scalars as words.
//! Variables a `view` declaration names are drawn by that view instead (rings: `ring.rs`).

use super::palette::{cpu_colour, cpu_label, word};
use super::ring::RingView;
use super::state::Lab;
use sdlab_engine::lang::program::ViewKind;
use sdlab_engine::machine::Effect;
use std::collections::HashSet;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    /// Prefix of the element ids, so that a second pane (compare mode) repeats none.
    #[prop_or_default]
    pub idp: AttrValue,
}

/// A mask in words, for screen readers: "CPUs 0, 2" or "no CPU".
fn mask_words(val: u32, ncpu: usize) -> String {
    let on: Vec<String> = (0..ncpu).filter(|b| val & (1 << b) != 0).map(|b| b.to_string()).collect();
    if on.is_empty() {
        "no CPU".into()
    } else {
        format!("CPUs {}", on.join(", "))
    }
}

#[function_component]
pub fn SharedPane(props: &Props) -> Html {
    crate::renders::count("SharedPane");
    let s = props.lab.inner.borrow();
    let m = &s.session.machine();
    let st = s.session.state();
    let ncpu = m.ncpu();
    let (mut written, mut read) = (HashSet::new(), HashSet::new());
    if let Some(e) = s.session.log().last() {
        for f in &e.effects {
            match f {
                Effect::Write { addr, .. } | Effect::Rmw { addr, .. } | Effect::StoreCommitted { addr, .. } => {
                    written.insert(*addr);
                }
                Effect::Read { addr, .. } => {
                    read.insert(*addr);
                }
                _ => {}
            }
        }
    }
    let cell_class = |addr: u32, marked: bool| {
        classes!(
            "cell",
            marked.then_some("marked"),
            written.contains(&addr).then_some("written"),
            read.contains(&addr).then_some("read")
        )
    };
    let mut blocks: Vec<Html> = Vec::new();
    let mut in_view: HashSet<u16> = HashSet::new();
    for (i, view) in m.prog().views.iter().enumerate().filter(|(_, w)| w.kind == ViewKind::Ring) {
        // A ring that does not fit this machine says so, and its words stay in the generic view.
        if view.ring(m.prog(), m.vars()).is_ok() {
            in_view.extend(view.vars.iter().copied());
        }
        blocks.push(html! { <RingView lab={props.lab.clone()} view={i} idp={props.idp.clone()} /> });
    }
    let mut percpu_cols: Vec<usize> = Vec::new();
    let (mut scalars, mut scalars_at): (Vec<Html>, usize) = (Vec::new(), 0);
    for (i, (v, l)) in m.prog().vars.iter().zip(m.vars()).enumerate() {
        if in_view.contains(&(i as u16)) {
            continue;
        }
        let doc = v.doc.clone().unwrap_or_default();
        if v.per_cpu && l.dims.len() == 1 {
            percpu_cols.push(i);
            continue;
        }
        let value = |k: u32| st.mem[(l.base + k) as usize];
        let block = if l.dims.len() == 2 {
            let (rows, cols) = (l.dims[0], l.dims[1]);
            let cpu_axes = rows as usize == ncpu && cols as usize == ncpu;
            // What the axes mean is the model's word (`view matrix ... by (ROWS, COLUMNS)`).
            let view = m.prog().views.iter().find(|w| w.kind == ViewKind::Matrix && w.vars[0] as usize == i);
            let axes =
                view.filter(|w| w.axes.len() == 2).map(|w| format!(" row = {}, column = {}", w.axes[0], w.axes[1]));
            let caption = view.filter(|w| !w.caption.is_empty()).map(|w| format!(" · {}", w.caption));
            html! {
                <figure class="matrix" id={format!("{}var-{}", props.idp, v.name)} title={doc}>
                    <figcaption>{ &v.name }<span class="dim">{ axes.unwrap_or_default() }{ caption.unwrap_or_default() }</span></figcaption>
                    <table>
                        <thead><tr><th></th>{ for (0..cols).map(|c| html! {
                            <th>{ cpu_label(cpu_axes, c as usize) }</th> }) }</tr></thead>
                        <tbody>{ for (0..rows).map(|r| html! {
                            <tr><th>{ cpu_label(cpu_axes, r as usize) }</th>
                            { for (0..cols).map(|c| {
                                let k = r * cols + c;
                                let val = value(k);
                                html! { <td class={cell_class(l.base + k, v.mark == Some(val))} data-row={r.to_string()} data-col={c.to_string()}>{ word(val) }</td> }
                            }) }</tr>
                        }) }</tbody>
                    </table>
                </figure>
            }
        } else if l.dims.len() == 1 {
            html! {
                <figure class="array" id={format!("{}var-{}", props.idp, v.name)} title={doc}>
                    <figcaption>{ &v.name }</figcaption>
                    <table><tbody><tr>{ for (0..l.dims[0]).map(|k| html! {
                        <td class={cell_class(l.base + k, v.mark == Some(value(k)))}>{ word(value(k)) }</td>
                    }) }</tr></tbody></table>
                </figure>
            }
        } else if v.is_mask {
            let val = value(0) as u32;
            html! {
                <figure class="mask" id={format!("{}var-{}", props.idp, v.name)} title={doc}>
                    <figcaption>{ &v.name }</figcaption>
                    <div class={cell_class(l.base, false)}>{ for (0..ncpu).map(|c| {
                        let on = val & (1 << c) != 0;
                        html! { <span class={classes!("bitbox", on.then_some("on"))} style={on.then(|| format!("--cpu: {}", cpu_colour(c)))}
                                     title={format!("CPU {c}: {}", if on { "in the mask" } else { "not in the mask" })}>{ c }</span> }
                    }) }</div>
                </figure>
            }
        } else {
            // Plain words share one flowing row (name and value side by side), so a model
            // with many of them keeps the per-CPU table in view.
            if scalars.is_empty() {
                scalars_at = blocks.len();
            }
            scalars.push(html! {
                <figure class="scalar" id={format!("{}var-{}", props.idp, v.name)} title={doc}>
                    <figcaption>{ &v.name }</figcaption>
                    <span class={cell_class(l.base, v.mark == Some(value(0)))}>{ word(value(0)) }</span>
                </figure>
            });
            continue;
        };
        blocks.push(block);
    }
    if !scalars.is_empty() {
        blocks.insert(scalars_at, html! { <div class="scalars">{ for scalars }</div> });
    }
    let percpu = (!percpu_cols.is_empty()).then(|| {
        let title = percpu_cols.iter().filter_map(|&i| m.prog().vars[i].doc.clone()).next().unwrap_or_default();
        html! {
            <figure class="percpu" id={format!("{}percpu-vars", props.idp)} title={title}>
                <figcaption>{ "per-CPU variables" }</figcaption>
                <table>
                    <thead><tr><th>{ "CPU" }</th>{ for percpu_cols.iter().map(|&i| html! { <th>{ &m.prog().vars[i].name }</th> }) }</tr></thead>
                    <tbody>{ for (0..ncpu).map(|c| html! {
                        <tr><th>{ cpu_label(true, c) }</th>
                        { for percpu_cols.iter().map(|&i| {
                            let addr = m.vars()[i].base + c as u32;
                            let val = st.mem[addr as usize];
                            if m.prog().vars[i].is_mask {
                                // A per-CPU cpumask (cs_mack, ipimask) reads as bits, like a shared one.
                                html! { <td class={cell_class(addr, false)} aria-label={mask_words(val as u32, ncpu)}>{ for (0..ncpu).map(|b| {
                                    let on = val as u32 & (1 << b) != 0;
                                    html! { <span class={classes!("bitbox", "mini", on.then_some("on"))} style={on.then(|| format!("--cpu: {}", cpu_colour(b)))} aria-hidden="true">{ b }</span> }
                                }) }</td> }
                            } else {
                                html! { <td class={cell_class(addr, false)}>{ word(val) }</td> }
                            }
                        }) }</tr>
                    }) }</tbody>
                </table>
            </figure>
        }
    });
    html! {
        <section class="shared-pane" aria-label="Shared structures">
            { for blocks }
            { for percpu }
        </section>
    }
}
