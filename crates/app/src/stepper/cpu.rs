//! One card per CPU: its context stack, IF, critical and pin depths, LAPIC IRR/ISR bits
//! per vector, TLB entries (stale ones marked), its store buffer when the model runs
//! with `hw_tso`, and the moves it can make.

use super::palette::{cpu_colour, word};
use super::state::{Action, Lab};
use sdlab_engine::machine::{describe_store_buffer, Choice, Ctx, Effect, NO_ASPACE};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    pub cpu: usize,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn CpuCard(props: &Props) -> Html {
    crate::renders::count("CpuCard");
    let c = props.cpu;
    let mut s = props.lab.inner.borrow_mut();
    let enabled = s.session.enabled();
    let preferred = s.preferred(c as u8);
    let m = &s.session.machine;
    let prog = &m.prog;
    let st = s.session.state();
    let cpu = &st.cpus[c];
    let last = s.session.log.last();
    // "changed" only when an entry came or went: an INVLPG that found nothing changed nothing.
    let touched_tlb = last.is_some_and(|e| {
        e.effects.iter().any(|f| match f {
            Effect::TlbFill { cpu, .. } => *cpu as usize == c,
            Effect::TlbInvalidate { cpu, removed, .. }
            | Effect::TlbFlush { cpu, removed }
            | Effect::BcastReach { cpu, removed, .. } => *cpu as usize == c && *removed > 0,
            _ => false,
        })
    });
    let just_stepped = last.is_some_and(|e| e.cpu as usize == c);
    let touched_sb = last.is_some_and(|e| {
        e.effects.iter().any(|f| {
            matches!(f, Effect::StoreBuffered { cpu, .. } | Effect::StoreCommitted { cpu, .. } if *cpu as usize == c)
        })
    });
    let buffered = describe_store_buffer(m, &cpu.sb);

    // Context stack: thread (user/kernel) with interrupts nested on top.
    let mut ctxs: Vec<String> = Vec::new();
    for a in cpu.stack.iter().filter(|a| a.ctx_base) {
        ctxs.push(match a.ctx {
            Ctx::Thread => {
                if prog.procs[a.proc as usize].user {
                    "user".into()
                } else {
                    "kernel".into()
                }
            }
            Ctx::Irq(v) => format!("irq {}", m.vector_name(v)),
            Ctx::Nmi => "nmi".into(),
        });
    }
    let status = if let Some(w) = m.wait(st, c) {
        let reads = w.reads.map(|(n, v)| format!(" ({n} = {v})")).unwrap_or_default();
        format!("spinning: {}{reads}", w.condition)
    } else if cpu.stack.is_empty() {
        "idle: takes interrupts only".to_string()
    } else {
        let a = cpu.stack.last().expect("non-empty");
        let p = &prog.procs[a.proc as usize];
        format!("in {} at line {}", p.name, m.cursor(st, c).unwrap_or(0))
    };

    let lapic = prog.vectors.iter().enumerate().map(|(v, d)| {
        let irr = cpu.irr & (1 << v) != 0;
        let isr = cpu.isr & (1 << v) != 0;
        html! {
            <tr>
                <td>{ &d.name }<span class="dim">{ format!(" {:#x}", d.number) }</span></td>
                <td class={classes!("bit", irr.then_some("on"))} data-reg="irr">{ if irr { "1" } else { "0" } }</td>
                <td class={classes!("bit", isr.then_some("on"))} data-reg="isr">{ if isr { "1" } else { "0" } }</td>
            </tr>
        }
    });
    let tlb = cpu.tlb.iter().map(|e| {
        let stale = st.frames[e.frame as usize].gen != e.gen;
        html! {
            <tr class={classes!(stale.then_some("stale"))}>
                <td>{ format!("{:#x}", e.va) }</td>
                <td>{ format!("frame {}", e.frame) }</td>
                <td>{ if e.writable { "W" } else { "-" } }{ if e.dirty { "D" } else { "-" } }</td>
                <td>{ if stale { "⚠ stale" } else { "" } }</td>
            </tr>
        }
    });

    let d = props.dispatch.clone();
    let click = Callback::from(move |_| d.emit(Action::StepCpu(c as u8)));
    let extra = enabled.iter().filter(|ch| ch.cpu() as usize == c && Some(**ch) != preferred).map(|ch| {
        let label = match *ch {
            Choice::Step(_) => "step".to_string(),
            Choice::Irq(_, v) => format!("take {}", m.vector_name(v)),
            Choice::Nmi(_) => "NMI".to_string(),
            Choice::Fill(_, sl) => format!("fill {:#x}", m.slots[sl as usize].va),
            Choice::Drain(_) => format!("commit {}", buffered.first().map_or("", String::as_str)),
            Choice::Lose(_, v) => format!("lose {}", m.vector_name(v)),
            Choice::Bcast(_, k) => {
                st.bcast.get(k as usize).map_or_else(|| "INVLPGB".into(), |b| format!("INVLPGB {:#x} arrives", b.va))
            }
        };
        let d = props.dispatch.clone();
        let ch = *ch;
        html! { <button class="small" onclick={Callback::from(move |_| d.emit(Action::Choose(ch)))}>{ label }</button> }
    });
    let step_label = match preferred {
        Some(Choice::Irq(_, v)) => format!("CPU {c}: take {}", m.vector_name(v)),
        Some(Choice::Drain(_)) => format!("CPU {c}: commit {}", buffered.first().map_or("", String::as_str)),
        Some(_) => format!("CPU {c}: step"),
        None => format!("CPU {c}"),
    };
    // INVLPGBs this CPU issued that have not reached every TLB yet (what TLBSYNC waits for).
    let issued: Vec<String> =
        st.bcast.iter().filter(|b| b.issuer as usize == c).map(|b| format!("{:#x}", b.va)).collect();
    let aspace = if cpu.aspace == NO_ASPACE { "kernel".to_string() } else { m.aspace_name(cpu.aspace).to_string() };
    html! {
        <article class={classes!("cpu-card", just_stepped.then_some("just"))} data-cpu={c.to_string()}
                 style={format!("--cpu: {}", cpu_colour(c))} aria-label={format!("CPU {c}")}>
            <header>
                <button class="cpu-step" onclick={click} disabled={preferred.is_none()}
                        title={format!("Advance CPU {c} one step (key {c})")}>{ step_label }</button>
                { for extra }
            </header>
            <div class="ctx" title="context stack">{ if ctxs.is_empty() { "idle".to_string() } else { ctxs.join(" › ") } }</div>
            <div class="status">{ status }</div>
            <div class="flags">
                <span class={classes!("flag", (!cpu.intr).then_some("off"))} data-flag="if">{ format!("IF={}", cpu.intr as u8) }</span>
                <span class="flag" data-flag="crit">{ format!("crit={}", cpu.crit) }</span>
                <span class="flag" data-flag="pin">{ format!("pin={}", cpu.pin) }</span>
                <span class="flag" title="loaded address space">{ format!("cr3={aspace}") }</span>
                if let Some(w) = cpu.window {
                    <span class="flag off" data-flag="window"
                          title="acknowledged, not yet invalidated: no access to this page until the invalidation (G-USERMODE-WINDOW)">
                        { format!("ack window {:#x}", w.va) }</span>
                }
                if !issued.is_empty() {
                    <span class="flag" data-flag="invlpgb" title="INVLPGBs issued by this CPU still on their way (TLBSYNC waits for them)">
                        { format!("INVLPGB in flight: {}", issued.join(", ")) }</span>
                }
            </div>
            <table class="lapic"><thead><tr><th>{ "vector" }</th><th>{ "IRR" }</th><th>{ "ISR" }</th></tr></thead>
                <tbody>{ for lapic }</tbody></table>
            <table class={classes!("tlb", touched_tlb.then_some("changed"))}>
                <caption>{ format!("TLB ({})", cpu.tlb.len()) }</caption>
                <tbody>{ for tlb }</tbody>
            </table>
            if m.hw.tso {
                <div class={classes!("store-buffer", touched_sb.then_some("changed"))}
                     title="x86-TSO store buffer, oldest first: stores this CPU sees and the others do not yet">
                    <span class="caption">{ "store buffer" }</span>
                    if buffered.is_empty() {
                        <span class="dim">{ " empty" }</span>
                    } else {
                        <ol>{ for buffered.iter().map(|b| html! { <li>{ b }</li> }) }</ol>
                    }
                </div>
            }
            if let Some(e) = last.filter(|e| e.cpu as usize == c) {
                <div class="last-read">{ e.effects.iter().find_map(|f| match f {
                    Effect::Read { addr, value, .. } => Some(format!("read {} = {}", m.addr_name(*addr), word(*value))),
                    _ => None,
                }).unwrap_or_default() }</div>
            }
        </article>
    }
}
