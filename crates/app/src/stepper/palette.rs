//! CPU colours: the Okabe–Ito palette, distinguishable with the common colour-vision
//! deficiencies. Colour is never the only carrier of meaning: every badge also says
//! the CPU's number.

const CPU_COLOURS: [&str; 8] = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#999999"];

pub fn cpu_colour(c: usize) -> &'static str {
    CPU_COLOURS[c % CPU_COLOURS.len()]
}

/// A CPU's number as a chip of its colour with dark text (colour as text would be
/// unreadable: yellow on white is 1.3:1); a plain number where the axis is not CPUs.
pub fn cpu_label(is_cpu: bool, c: usize) -> yew::Html {
    if is_cpu {
        yew::html! { <span class="chip" style={format!("--cpu: {}", cpu_colour(c))}>{ c }</span> }
    } else {
        yew::html! { { c } }
    }
}

/// Numbers that look like addresses read better in hex.
pub fn word(v: i32) -> String {
    if v >= 0x1000 {
        format!("{v:#x}")
    } else {
        v.to_string()
    }
}
