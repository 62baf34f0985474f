//! CPU colours: the Okabe–Ito palette, distinguishable with the common colour-vision
//! deficiencies. Colour is never the only carrier of meaning: every badge also says
//! the CPU's number.

const CPU_COLOURS: [&str; 8] = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#999999"];

pub fn cpu_colour(c: usize) -> &'static str {
    CPU_COLOURS[c % CPU_COLOURS.len()]
}

/// Numbers that look like addresses read better in hex.
pub fn word(v: i32) -> String {
    if v >= 0x1000 {
        format!("{v:#x}")
    } else {
        v.to_string()
    }
}
