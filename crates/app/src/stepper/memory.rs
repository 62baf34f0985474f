//! Page tables and page frames, with the frame life cycle that makes a use-after-free
//! through a stale TLB entry visible. It draws `sdlab_lab::view::MemoryView`, so the many
//! steps that touch no PTE and no frame do not redraw it.

use sdlab_lab::view::MemoryView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub view: MemoryView,
    /// Prefix of the element ids, so that a second pane (compare mode) repeats none.
    #[prop_or_default]
    pub idp: AttrValue,
}

#[function_component]
pub fn MemoryPane(props: &Props) -> Html {
    crate::renders::count("MemoryPane");
    let v = &props.view;
    html! {
        <section class="memory-pane" aria-label="Page table and frames">
            <table id={format!("{}page-table", props.idp)}>
                <caption>{ "page table" }</caption>
                <thead><tr><th>{ "space" }</th><th>{ "va" }</th><th>{ "PTE" }</th><th>{ "bits" }</th></tr></thead>
                <tbody>{ for v.ptes.iter().map(|p| html! {
                    <tr class={classes!(p.changed.then_some("written"))}>
                        <td>{ &p.space }</td>
                        <td>{ format!("{:#x}", p.va) }</td>
                        <td>{ p.frame.map_or_else(|| "not present".to_string(), |f| format!("→ frame {f}")) }</td>
                        <td>{ format!("{}{}{}", if p.writable { "W" } else { "-" }, if p.accessed { "A" } else { "-" }, if p.dirty { "D" } else { "-" }) }</td>
                    </tr>
                }) }</tbody>
            </table>
            <table id={format!("{}frames", props.idp)}>
                <caption>{ "page frames" }</caption>
                <thead><tr><th>{ "frame" }</th><th>{ "state" }</th><th>{ "gen" }</th></tr></thead>
                <tbody>{ for v.frames.iter().enumerate().map(|(i, f)| html! {
                    <tr class={classes!((!f.allocated).then_some("free"), f.changed.then_some("written"))}>
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
