//! Page tables and page frames, with the frame life cycle that makes a use-after-free
//! through a stale TLB entry visible.

use super::state::Lab;
use sdlab_engine::machine::Effect;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    /// Prefix of the element ids, so that a second pane (compare mode) repeats none.
    #[prop_or_default]
    pub idp: AttrValue,
}

#[function_component]
pub fn MemoryPane(props: &Props) -> Html {
    crate::renders::count("MemoryPane");
    let s = props.lab.inner.borrow();
    let m = &s.session.machine;
    let st = s.session.state();
    let last = s.session.log.last();
    let pte_changed = |slot: usize| {
        last.is_some_and(|e| {
            e.effects.iter().any(|f| matches!(f, Effect::PteWrite { slot: s, .. } if *s as usize == slot))
        })
    };
    let frame_changed = |fr: usize| {
        last.is_some_and(|e| e.effects.iter().any(|f| matches!(f, Effect::FrameFree { frame, .. } | Effect::FrameAlloc { frame, .. } if *frame as usize == fr)))
    };
    html! {
        <section class="memory-pane" aria-label="Page table and frames">
            <table id={format!("{}page-table", props.idp)}>
                <caption>{ "page table" }</caption>
                <thead><tr><th>{ "space" }</th><th>{ "va" }</th><th>{ "PTE" }</th><th>{ "bits" }</th></tr></thead>
                <tbody>{ for m.slots.iter().enumerate().map(|(i, sl)| {
                    let p = st.ptes[i];
                    html! {
                        <tr class={classes!(pte_changed(i).then_some("written"))}>
                            <td>{ m.aspace_name(sl.aspace) }</td>
                            <td>{ format!("{:#x}", sl.va) }</td>
                            <td>{ if p.present { format!("→ frame {}", p.frame) } else { "not present".to_string() } }</td>
                            <td>{ format!("{}{}{}", if p.writable { "W" } else { "-" }, if p.accessed { "A" } else { "-" }, if p.dirty { "D" } else { "-" }) }</td>
                        </tr>
                    }
                }) }</tbody>
            </table>
            <table id={format!("{}frames", props.idp)}>
                <caption>{ "page frames" }</caption>
                <thead><tr><th>{ "frame" }</th><th>{ "state" }</th><th>{ "gen" }</th></tr></thead>
                <tbody>{ for st.frames.iter().enumerate().map(|(i, f)| html! {
                    <tr class={classes!((!f.allocated).then_some("free"), frame_changed(i).then_some("written"))}>
                        <td>{ i }</td>
                        <td>{ if f.allocated { "allocated" } else { "free" } }
                            { if f.clean { " · declared clean" } else { "" } }
                            { if f.unseen { " · written since the kernel saw it dirty" } else { "" } }</td>
                        <td>{ f.gen }</td>
                    </tr>
                }) }</tbody>
            </table>
        </section>
    }
}
