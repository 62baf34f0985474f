//! The model source with one coloured cursor per CPU on the line it executes next.

use super::palette::cpu_colour;
use super::state::Lab;
use sdlab_engine::lang::builtins::{self, KEYWORDS};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
}

fn highlight(code: &str) -> Html {
    let mut out: Vec<Html> = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Html>| {
        if !word.is_empty() {
            let w = std::mem::take(word);
            if KEYWORDS.contains(&w.as_str()) {
                out.push(html! { <span class="kw">{ w }</span> });
            } else if let Some(b) = builtins::find(&w) {
                out.push(html! { <span class="builtin" title={b.help}>{ w }</span> });
            } else {
                out.push(html! { { w } });
            }
        }
    };
    for ch in code.chars() {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(html! { { ch.to_string() } });
        }
    }
    flush(&mut word, &mut out);
    out.into_iter().collect()
}

pub(super) fn line_html(text: &str) -> Html {
    let (code, comment) = match text.find("//") {
        Some(i) => (&text[..i], Some(&text[i..])),
        None => (text, None),
    };
    let comment = comment.map(|c| {
        let class = if c.starts_with("///") { "narr" } else { "comment" };
        html! { <span class={class}>{ c.to_string() }</span> }
    });
    // Text between double quotes is a string, not code.
    let parts = code.split('"').enumerate().map(|(i, part)| {
        if i % 2 == 1 {
            html! { <span class="str">{ format!("\"{part}\"") }</span> }
        } else {
            highlight(part)
        }
    });
    html! { <>{ for parts }{ for comment }</> }
}

#[function_component]
pub fn SourcePane(props: &Props) -> Html {
    crate::renders::count("SourcePane");
    let pane = use_node_ref();
    let s = props.lab.inner.borrow();
    let m = &s.session.machine();
    let st = s.session.state();
    let cursors: Vec<Option<u32>> = (0..m.ncpu()).map(|c| m.cursor(st, c)).collect();
    let last = s.session.log().last().map(|e| (e.cpu, e.line));
    // The cursor of the CPU that just moved; if it has finished (a run's last step), the
    // line it executed last, where a violation is; else any CPU's cursor.
    let focus_line = last
        .and_then(|(c, _)| cursors.get(c as usize).copied().flatten())
        .or(last.map(|(_, l)| l).filter(|l| *l > 0))
        .or(cursors.iter().flatten().next().copied());
    {
        let pane = pane.clone();
        use_effect_with((props.lab.version, focus_line), move |(_, line)| {
            let target = line.and_then(|l| {
                web_sys::window()?
                    .document()?
                    .get_element_by_id(&format!("src-line-{l}"))?
                    .dyn_into::<HtmlElement>()
                    .ok()
            });
            if let (Some(el), Some(pane)) = (target, pane.cast::<HtmlElement>()) {
                // Keep the cursor of the CPU that just moved in view, a third from the top.
                let (top, h) = (el.offset_top(), el.offset_height());
                let view = pane.client_height();
                let cur = pane.scroll_top();
                if top < cur + h * 2 || top > cur + view - h * 4 {
                    pane.set_scroll_top((top - view / 3).max(0));
                }
            }
        });
    }
    let lines = s.prog.source.lines().enumerate().map(|(i, text)| {
        let n = i as u32 + 1;
        let here: Vec<usize> = cursors.iter().enumerate().filter(|(_, l)| **l == Some(n)).map(|(c, _)| c).collect();
        let was_last = last.is_some_and(|(_, l)| l == n);
        let style = here.first().map(|&c| format!("--cursor: {}", cpu_colour(c))).unwrap_or_default();
        let class = classes!("src-line", (!here.is_empty()).then_some("cursor"), was_last.then_some("last"));
        let data_cpus = here.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ");
        html! {
            <div class={class} id={format!("src-line-{n}")} data-cpus={data_cpus} style={style}>
                <span class="ln">{ n }</span>
                <span class="badges">
                    { for here.iter().map(|&c| html! {
                        <span class="badge chip" style={format!("--cpu: {}", cpu_colour(c))} title={format!("CPU {c} executes this line next")}>{ c }</span>
                    }) }
                </span>
                <code>{ line_html(text) }</code>
            </div>
        }
    });
    html! {
        <section class="source-pane" aria-label="Model source">
            <div class="source" ref={pane} tabindex="0" aria-label="Model source; each CPU's cursor marks the line it executes next">{ for lines }</div>
        </section>
    }
}
