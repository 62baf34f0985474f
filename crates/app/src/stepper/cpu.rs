//! One card per CPU: its context stack, IF, critical and pin depths, LAPIC IRR/ISR bits
//! per vector, TLB entries (stale ones marked), its paging-structure cache when the model
//! has one, its store buffer when the model runs with `hw_tso`, and the moves it can make.
//! It draws `sdlab_lab::view::CpuView` and nothing else, so a step redraws only the cards
//! whose view changed.

use super::palette::cpu_colour;
use super::state::Action;
use sdlab_lab::view::CpuView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub view: CpuView,
    /// Stable across renders (the stepper memoises it), so it never forces a redraw.
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn CpuCard(props: &Props) -> Html {
    crate::renders::count("CpuCard");
    let v = &props.view;
    let c = v.cpu;
    let lapic = v.lapic.iter().map(|r| {
        html! {
            <tr>
                <td>{ &r.name }<span class="dim">{ format!(" {:#x}", r.number) }</span></td>
                <td class={classes!("bit", r.irr.then_some("on"))} data-reg="irr">{ if r.irr { "1" } else { "0" } }</td>
                <td class={classes!("bit", r.isr.then_some("on"))} data-reg="isr">{ if r.isr { "1" } else { "0" } }</td>
            </tr>
        }
    });
    let tlb = v.tlb.iter().map(|e| {
        html! {
            <tr class={classes!(e.stale.then_some("stale"))}>
                <td>{ format!("{:#x}", e.va) }</td>
                <td>{ format!("frame {}", e.frame) }</td>
                <td>{ if e.writable { "W" } else { "-" } }{ if e.dirty { "D" } else { "-" } }</td>
                <td>{ if e.stale { "⚠ stale" } else { "" } }</td>
            </tr>
        }
    });
    let d = props.dispatch.clone();
    let click = Callback::from(move |_| d.emit(Action::StepCpu(c as u8)));
    let extra = v.extra.iter().map(|(label, ch)| {
        let d = props.dispatch.clone();
        let ch = *ch;
        html! { <button class="small" onclick={Callback::from(move |_| d.emit(Action::Choose(ch)))}>{ label }</button> }
    });
    html! {
        <article class={classes!("cpu-card", v.just_stepped.then_some("just"))} data-cpu={c.to_string()}
                 style={format!("--cpu: {}", cpu_colour(c))} aria-label={format!("CPU {c}")}>
            <header>
                <button class="cpu-step" onclick={click} disabled={v.preferred.is_none()}
                        title={format!("Advance CPU {c} one step (key {c})")}>{ &v.step_label }</button>
                { for extra }
            </header>
            <div class="ctx" title="context stack">{ &v.ctx }</div>
            if let Some(t) = &v.threads {
                <div class="threads" title="the thread this CPU runs, and its run queue (a switch or a migration is a button above)">{ t }</div>
            }
            <div class="status">{ &v.status }</div>
            <div class="flags">
                <span class={classes!("flag", (!v.intr).then_some("off"))} data-flag="if" title={sdlab_lab::glossary::meaning("IF")}>{ format!("IF={}", v.intr as u8) }</span>
                <span class="flag" data-flag="crit">{ format!("crit={}", v.crit) }</span>
                <span class="flag" data-flag="pin">{ format!("pin={}", v.pin) }</span>
                <span class="flag" title={format!("loaded address space. {}", sdlab_lab::glossary::meaning("PCID"))}>{ format!("cr3={}", v.aspace) }</span>
                if let Some(w) = v.window {
                    <span class="flag off" data-flag="window"
                          title="acknowledged, not yet invalidated: no access to this page until the invalidation (G-USERMODE-WINDOW)">
                        { format!("ack window {w:#x}") }</span>
                }
                if !v.psc.is_empty() {
                    <span class={classes!("flag", v.psc.iter().any(|e| e.contains('⚠')).then_some("off"))} data-flag="psc"
                          title="paging-structure cache: the upper-level entries this CPU's page walks use without reading the page table; INVLPG or a flushing CR3 load drops them">
                        { format!("PSC: {}", v.psc.join(", ")) }</span>
                }
                if !v.issued.is_empty() {
                    <span class="flag" data-flag="invlpgb" title={format!("{}s issued by this CPU still on their way ({} waits for them)", v.broadcast.0, v.broadcast.1)}>
                        { format!("{} in flight: {}", v.broadcast.0, v.issued.join(", ")) }</span>
                }
            </div>
            <table class="lapic"><thead><tr><th>{ "vector" }</th><th title={sdlab_lab::glossary::meaning("IRR")}>{ "IRR" }</th><th title={sdlab_lab::glossary::meaning("ISR")}>{ "ISR" }</th></tr></thead>
                <tbody>{ for lapic }</tbody></table>
            <table class={classes!("tlb", v.tlb_changed.then_some("changed"))}>
                <caption title={sdlab_lab::glossary::meaning("TLB")}>{ format!("TLB ({})", v.tlb.len()) }</caption>
                <tbody>{ for tlb }</tbody>
            </table>
            if v.tso {
                <div class={classes!("store-buffer", v.store_buffer_changed.then_some("changed"))}
                     title={format!("Store buffer, oldest first: stores this CPU sees and the others do not yet. {}", sdlab_lab::glossary::meaning("TSO"))}>
                    <span class="caption">{ "store buffer" }</span>
                    if v.store_buffer.is_empty() {
                        <span class="dim">{ " empty" }</span>
                    } else {
                        <ol>{ for v.store_buffer.iter().map(|b| html! { <li>{ b }</li> }) }</ol>
                    }
                </div>
            }
            if v.just_stepped {
                <div class="last-read">{ v.last_read.clone().unwrap_or_default() }</div>
            }
        </article>
    }
}
