//! A `view ring` declaration drawn as a ring: its slots around a circle, the queued and
//! taken arcs between its pointers, the pointers as labelled arrows, and a selector with a
//! thumbnail per ring (for [src][dst] pointers, a grid: row = source, column = target).
//! What the ring means comes from the engine (`ViewDecl::ring`); only geometry lives here.

use super::palette::word;
use super::state::Lab;
use sdlab_engine::lang::program::RingShape;
use sdlab_engine::machine::Effect;
use std::collections::HashSet;
use std::f64::consts::TAU;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    /// Index into `Program::views`.
    pub view: usize,
    #[prop_or_default]
    pub idp: AttrValue,
}

/// Line styles of the pointers, so that colour is not the only cue.
const POINTER_STYLE: [(&str, &str); 4] =
    [("#8a1510", ""), ("#00558a", "5 3"), ("#4d4d4d", "2 2"), ("#6a1b9a", "8 2 2 2")];
const ZONES: [&str; 3] = ["queued", "taken", "taken"];

/// One ring's values, read from the state.
struct Ring {
    pointers: Vec<i32>,
    slots: Vec<i32>,
    /// Per slot: the zone it lies in (0 = between the 2nd pointer and the 1st), if any.
    zone: Vec<Option<usize>>,
    written: bool,
    read: bool,
}

impl Ring {
    fn read(shape: &RingShape, k: u32, mem: &[i32], written: &HashSet<u32>, read: &HashSet<u32>) -> Ring {
        let n = shape.size as i64;
        let pointers: Vec<i32> = (0..shape.pointers()).map(|p| mem[shape.pointer_addr(p, k) as usize]).collect();
        let slots = (0..shape.size).map(|i| mem[shape.slot_addr(k, i) as usize]).collect();
        let mut zone = vec![None; shape.size as usize];
        // Each pointer trails the one before it; a later zone never overwrites an earlier one.
        for z in 0..pointers.len().saturating_sub(1) {
            let (hi, lo) = (pointers[z] as i64, pointers[z + 1] as i64);
            let len = if (0..=n).contains(&(hi - lo)) { hi - lo } else { (hi - lo).rem_euclid(n) };
            for j in 0..len {
                let s = (lo + j).rem_euclid(n) as usize;
                zone[s].get_or_insert(z);
            }
        }
        let written = shape.words(k).any(|a| written.contains(&a));
        let read = shape.words(k).any(|a| read.contains(&a));
        Ring { pointers, slots, zone, written, read }
    }
    fn held(&self) -> bool {
        self.zone.iter().any(|z| z.is_some())
    }
    fn queued(&self) -> usize {
        self.zone.iter().filter(|z| **z == Some(0)).count()
    }
}

/// "1 → 0" for a ring indexed by [source][target], the index otherwise.
fn ring_label(shape: &RingShape, k: u32) -> String {
    match shape.rings.as_slice() {
        [_, b] => format!("{} → {}", k / b, k % b),
        [] => String::new(),
        _ => k.to_string(),
    }
}

/// Short pointer labels: first letters when they differ, else the names.
fn short_names(names: &[String]) -> Vec<String> {
    let firsts: Vec<String> = names.iter().map(|n| n.chars().next().unwrap_or('?').to_string()).collect();
    let unique = firsts.iter().collect::<HashSet<_>>().len() == firsts.len();
    if unique {
        firsts
    } else {
        names.to_vec()
    }
}

#[function_component]
pub fn RingView(props: &Props) -> Html {
    crate::renders::count("RingView");
    let chosen = use_state(|| None::<u32>);
    let last_auto = use_mut_ref(|| None::<u32>);
    let s = props.lab.inner.borrow();
    let m = &s.session.machine();
    let st = s.session.state();
    let Some(v) = m.prog().views.get(props.view) else { return html! {} };
    let shape = match v.ring(m.prog(), m.vars()) {
        Ok(shape) => shape,
        Err(e) => return html! { <p class="view-error">{ format!("view `{}`: {e}", v.name) }</p> },
    };
    let (mut written, mut read) = (HashSet::new(), HashSet::new());
    for f in s.session.log().last().map(|e| e.effects.as_slice()).unwrap_or_default() {
        match f {
            Effect::Write { addr, .. } | Effect::Rmw { addr, .. } => {
                written.insert(*addr);
            }
            Effect::Read { addr, .. } => {
                read.insert(*addr);
            }
            _ => {}
        }
    }
    let rings: Vec<Ring> = (0..shape.count()).map(|k| Ring::read(&shape, k, &st.mem, &written, &read)).collect();
    // Follow the last step: the ring it wrote, or read while it held something (a CPU
    // polling its empty rings is no news), else the ring shown before.
    let auto = {
        let mut a = last_auto.borrow_mut();
        let news = rings.iter().position(|r| r.written).or_else(|| rings.iter().position(|r| r.read && r.held()));
        // A view opened mid-run (compare mode, a link) starts on the fullest ring.
        let fullest = || (0..rings.len()).rev().max_by_key(|&k| rings[k].queued()).unwrap_or(0);
        let k = news.or((*a).filter(|k| *k < shape.count()).map(|k| k as usize)).unwrap_or_else(fullest) as u32;
        *a = Some(k);
        k
    };
    let sel = chosen.filter(|k| *k < shape.count()).unwrap_or(auto);
    let names: Vec<String> = v.vars[1..].iter().map(|&i| m.prog().vars[i as usize].name.clone()).collect();
    let short = short_names(&names);
    let ring = &rings[sel as usize];
    let label = ring_label(&shape, sel);
    let n = shape.size;
    let slot_name = m.prog().vars[v.vars[0] as usize].name.clone();

    // Geometry of the main ring.
    let (cx, cy, r) = (100.0, 100.0, 62.0);
    let at = |i: f64, rad: f64| {
        let a = i / n as f64 * TAU - TAU / 4.0;
        (cx + rad * a.cos(), cy + rad * a.sin())
    };
    let (sw, sh) = ((TAU * r / n as f64 * 0.8).min(46.0), 22.0);
    let font = if sw >= 40.0 { 11.0 } else { (sw / 4.0).max(6.0) };
    let slots = (0..n).map(|i| {
        let (x, y) = at(i as f64, r);
        let (lx, ly) = at(i as f64, r + 27.0);
        let addr = shape.slot_addr(sel, i);
        let zone = ring.zone[i as usize];
        let class = classes!(
            "slot",
            zone.map(|z| ZONES[z.min(2)]).unwrap_or("empty"),
            written.contains(&addr).then_some("written"),
            read.contains(&addr).then_some("read")
        );
        html! {
            <g class={class} data-slot={i.to_string()}>
                <rect x={format!("{:.1}", x - sw / 2.0)} y={format!("{:.1}", y - sh / 2.0)} width={format!("{sw:.1}")} height={sh.to_string()} rx="4" />
                <text class="slot-value" x={format!("{x:.1}")} y={format!("{:.1}", y + font / 2.8)} font-size={font.to_string()}>{ word(ring.slots[i as usize]) }</text>
                <text class="slot-index" x={format!("{lx:.1}")} y={format!("{:.1}", ly + 3.5)}>{ i }</text>
            </g>
        }
    });
    // Pointers at the same slot share one arrow, their labels side by side.
    let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
    for (p, &val) in ring.pointers.iter().enumerate() {
        let slot = (val as i64).rem_euclid(n as i64) as u32;
        match groups.iter_mut().find(|g| g.0 == slot) {
            Some(g) => g.1.push(p),
            None => groups.push((slot, vec![p])),
        }
    }
    let arrows = groups.iter().map(|(slot, ps)| {
        let (x, y) = at(*slot as f64, r - sh / 2.0 - 4.0);
        // The label sits beside its arrow (rotated a quarter turn back), not across it.
        let a = *slot as f64 / n as f64 * TAU - TAU / 4.0;
        let (px, py) = (a.sin(), -a.cos());
        let (lx, ly) = at(*slot as f64, r * 0.45);
        let (lx, ly) = (lx + 7.0 * px, ly + 7.0 * py);
        let anchor = if px < -0.5 {
            "end"
        } else if px > 0.5 {
            "start"
        } else {
            "middle"
        };
        let (colour, dash) = POINTER_STYLE[ps[0] % POINTER_STYLE.len()];
        html! {
            <g class="pointer-arrow">
                <line x1={cx.to_string()} y1={cy.to_string()} x2={format!("{x:.1}")} y2={format!("{y:.1}")} stroke={colour} stroke-dasharray={dash} marker-end={format!("url(#{}arrow-{})", props.idp, v.name)} />
                <text x={format!("{lx:.1}")} y={format!("{:.1}", ly + 4.0)} class="pointer-label" text-anchor={anchor}>
                    { for ps.iter().enumerate().map(|(j, &p)| html! {
                        <tspan fill={POINTER_STYLE[p % POINTER_STYLE.len()].0}>{ if j > 0 { format!(" {}", short[p]) } else { short[p].clone() } }</tspan>
                    }) }
                </text>
            </g>
        }
    });
    let describe = |k: u32, rg: &Ring| {
        let ptrs: Vec<String> = names
            .iter()
            .zip(&rg.pointers)
            .map(|(nm, val)| format!("{nm} {val} (slot {})", (*val as i64).rem_euclid(n as i64)))
            .collect();
        let held: Vec<String> = (0..n as usize)
            .filter_map(|i| rg.zone[i].map(|z| format!("slot {i} {} {}", ZONES[z.min(2)], word(rg.slots[i]))))
            .collect();
        format!(
            "{} {}: {}; {}",
            v.name,
            ring_label(&shape, k),
            ptrs.join(", "),
            if held.is_empty() { "empty".to_string() } else { held.join(", ") }
        )
    };
    let alt = describe(sel, ring);
    let legend = names.iter().enumerate().map(|(p, nm)| {
        let val = ring.pointers[p];
        let addr = shape.pointer_addr(p, sel);
        let wraps = (val as i64).div_euclid(n as i64);
        html! {
            <li class={classes!("cell", written.contains(&addr).then_some("written"), read.contains(&addr).then_some("read"))}
                data-pointer={nm.clone()} data-value={val.to_string()} data-slot={(val as i64).rem_euclid(n as i64).to_string()}>
                <svg width="22" height="8" aria-hidden="true"><line x1="0" y1="4" x2="22" y2="4" stroke={POINTER_STYLE[p % POINTER_STYLE.len()].0} stroke-width="2" stroke-dasharray={POINTER_STYLE[p % POINTER_STYLE.len()].1} /></svg>
                { format!(" {} {nm} = {val} → slot {}", short[p], (val as i64).rem_euclid(n as i64)) }
                if wraps > 0 { <span class="dim">{ format!(" (wrapped {wraps}×)") }</span> }
            </li>
        }
    });
    let selector = (shape.count() > 1).then(|| {
        let cols = match shape.rings.as_slice() {
            [_, b] => *b,
            _ => shape.count(),
        };
        let rows = shape.count() / cols;
        let thumb = |k: u32| {
            let rg = &rings[k as usize];
            let pick = {
                let chosen = chosen.clone();
                Callback::from(move |_| chosen.set(Some(k)))
            };
            let dots = (0..n).map(|i| {
                let a = i as f64 / n as f64 * TAU - TAU / 4.0;
                let cls = rg.zone[i as usize].map(|z| ZONES[z.min(2)]).unwrap_or("empty");
                html! { <circle class={cls} cx={format!("{:.1}", 11.0 + 7.5 * a.cos())} cy={format!("{:.1}", 11.0 + 7.5 * a.sin())} r="3" /> }
            });
            html! {
                <button class={classes!("ring-pick", rg.written.then_some("written"), rg.read.then_some("read"))} aria-pressed={(k == sel).to_string()}
                        aria-label={describe(k, rg)} title={describe(k, rg)} data-ring={k.to_string()} onclick={pick}>
                    <svg width="22" height="22" aria-hidden="true">{ for dots }</svg>
                    if rg.queued() > 0 { <span class="ring-count">{ rg.queued() }</span> }
                </button>
            }
        };
        let follow = {
            let chosen = chosen.clone();
            Callback::from(move |_| chosen.set(None))
        };
        let two_d = shape.rings.len() == 2;
        let corner = match v.axes.as_slice() {
            [a, b] => format!("row = {a}, column = {b}"),
            _ => String::new(),
        };
        html! {
            <div class="ring-selector">
                if !corner.is_empty() { <div class="ring-axes dim">{ corner }</div> }
                <table role="presentation">
                    if two_d { <tr><th></th>{ for (0..cols).map(|c| html! { <th>{ c }</th> }) }</tr> }
                    { for (0..rows).map(|row| html! {
                        <tr>
                            if two_d { <th>{ row }</th> }
                            { for (0..cols).map(|c| html! { <td>{ thumb(row * cols + c) }</td> }) }
                        </tr>
                    }) }
                </table>
                <button class="ring-follow small" aria-pressed={chosen.is_none().to_string()} onclick={follow}
                        title="show the ring the last step touched">{ "follow steps" }</button>
            </div>
        }
    });
    let doc = v.doc.clone().unwrap_or_default();
    html! {
        <figure class="ring-view" id={format!("{}view-{}", props.idp, v.name)} title={doc} data-ring={sel.to_string()}>
            <figcaption>{ &v.name }{ " " }<span class="ring-pair">{ &label }</span>
                if !v.caption.is_empty() { <span class="dim">{ format!(" · {}", v.caption) }</span> }</figcaption>
            <div class="ring-body">
                <svg class="ring-main" viewBox="0 0 200 200" width="200" height="200" role="img" aria-label={alt.clone()}>
                    <title>{ alt }</title>
                    <defs>
                        <marker id={format!("{}arrow-{}", props.idp, v.name)} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                            <path d="M 0 0 L 10 5 L 0 10 z" fill="#333" />
                        </marker>
                    </defs>
                    <circle class="ring-track" cx={cx.to_string()} cy={cy.to_string()} r={r.to_string()} />
                    { for slots }
                    { for arrows }
                </svg>
                <div class="ring-side">
                    <ul class="ring-legend">{ for legend }</ul>
                    <p class="ring-key dim"><span class="key queued"></span>{ format!(" queued ({}) ", ring.queued()) }
                        if names.len() > 2 { <span class="key taken"></span>{ " taken, not done" } }
                        <br />{ format!("slots: {slot_name}") }</p>
                    { for selector }
                </div>
            </div>
        </figure>
    }
}
