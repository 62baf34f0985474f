//! Charts drawn with plotters into SVG strings, inserted as markup: the shootdown latency
//! histogram, where the slowest rounds' time went, IPI counts per (sender, receiver) and
//! events per CPU over time. Each is computed once per loaded trace.

use super::kinds::cpu_colour;
use super::model::Model;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use sdlab_trace::Kind;
use std::rc::Rc;
use yew::prelude::*;

const W: u32 = 420;
const H: u32 = 260;

fn hex(c: &str) -> RGBColor {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).unwrap_or(0x888888);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

/// Round latencies in µs when the time unit is known, else in ticks.
fn latency_svg(m: &Model) -> Result<String, String> {
    let scale = m.unit_seconds().map_or(1.0, |u| u * 1e6);
    let unit = if m.unit_seconds().is_some() { "µs" } else { "ticks" };
    let mut lat: Vec<f64> = m.rounds.iter().filter_map(|r| r.latency()).map(|l| l as f64 * scale).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        if lat.is_empty() {
            root.draw(&Text::new("no complete rounds", (W as i32 / 2 - 60, H as i32 / 2), ("sans-serif", 14)))
                .map_err(|e| e.to_string())?;
        } else {
            lat.sort_by(f64::total_cmp);
            // Up to the 99th percentile, so one straggler does not squash the rest.
            let hi = lat[(lat.len() * 99 / 100).min(lat.len() - 1)].max(lat[0] + 1e-9);
            let bins = 30usize;
            let w = hi / bins as f64;
            let mut counts = vec![0u32; bins];
            for &l in &lat {
                counts[((l / w) as usize).min(bins - 1)] += 1;
            }
            let top = counts.iter().copied().max().unwrap_or(1).max(1);
            let mut chart = ChartBuilder::on(&root)
                .caption(format!("Shootdown latency ({} rounds)", lat.len()), ("sans-serif", 15))
                .margin(8)
                .x_label_area_size(32)
                .y_label_area_size(40)
                .build_cartesian_2d(0f64..hi, 0u32..top + top / 10 + 1)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(5)
                .x_label_formatter(&|v| format!("{v:.0}"))
                .x_desc(format!("latency ({unit}; last bin includes the slowest 1%)"))
                .y_desc("rounds")
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                    Rectangle::new([(i as f64 * w, 0), ((i + 1) as f64 * w, c)], hex("#0072B2").filled())
                }))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn heatmap_svg(m: &Model) -> Result<String, String> {
    let n = m.ncpu().min(64);
    let mut counts = vec![0u32; n * n];
    for e in &m.trace.events {
        let s = e.cpu as usize;
        if s >= n {
            continue;
        }
        match e.kind {
            Kind::IpiSend { targets, all_but_self, .. } => {
                let mask = if all_but_self { !(1u64 << s) } else { targets };
                for r in (0..n).filter(|&r| mask >> r & 1 == 1) {
                    counts[s * n + r] += 1;
                }
            }
            Kind::IpiqSend { dcpu, .. } if (dcpu as usize) < n => counts[s * n + dcpu as usize] += 1,
            _ => {}
        }
    }
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption("IPIs per (sender, receiver)", ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d((0i32..n as i32).into_segmented(), (0i32..n as i32).into_segmented())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n.min(16))
            .y_labels(n.min(16))
            .x_desc("receiver CPU")
            .y_desc("sender CPU")
            .draw()
            .map_err(|e| e.to_string())?;
        let cells = move || (0..n).flat_map(move |s| (0..n).map(move |r| (s, r)));
        chart
            .draw_series(cells().map(|(s, r)| {
                let v = counts[s * n + r] as f64 / top as f64;
                // White to Okabe–Ito blue: lightness carries the count.
                let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * v.sqrt()) as u8;
                let c = RGBColor(mix(255, 0), mix(255, 0x72), mix(255, 0xB2));
                let (x0, y0) = (SegmentValue::Exact(r as i32), SegmentValue::Exact(s as i32));
                let (x1, y1) = (SegmentValue::Exact(r as i32 + 1), SegmentValue::Exact(s as i32 + 1));
                Rectangle::new([(x0, y0), (x1, y1)], c.filled())
            }))
            .map_err(|e| e.to_string())?;
        if n <= 8 {
            chart
                .draw_series(cells().map(|(s, r)| {
                    let v = counts[s * n + r];
                    let colour = if (v as f64 / top as f64).sqrt() > 0.5 { WHITE } else { BLACK };
                    let style = ("sans-serif", 13).into_font().color(&colour).pos(Pos::new(HPos::Center, VPos::Center));
                    Text::new(
                        v.to_string(),
                        (SegmentValue::CenterOf(r as i32), SegmentValue::CenterOf(s as i32)),
                        style,
                    )
                }))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn per_cpu_svg(m: &Model) -> Result<String, String> {
    let n = m.ncpu().min(16);
    let bins = 60usize;
    let end = m.end.max(1) as f64;
    let mut counts = vec![vec![0u32; bins]; n];
    for e in &m.trace.events {
        if (e.cpu as usize) < n {
            counts[e.cpu as usize][((e.ts as f64 / end * bins as f64) as usize).min(bins - 1)] += 1;
        }
    }
    let top = counts.iter().flatten().copied().max().unwrap_or(1).max(1);
    let scale = m.unit_seconds().unwrap_or(1.0);
    let unit = if m.unit_seconds().is_some() { "s" } else { "ticks" };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Events per CPU over time", ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..end * scale, 0u32..top + top / 10 + 1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(format!("time ({unit})"))
            .y_desc(format!("events per {} bin", m.dur((m.end / bins as u64).max(1))))
            .draw()
            .map_err(|e| e.to_string())?;
        for (c, row) in counts.iter().enumerate() {
            let colour = hex(cpu_colour(c));
            chart
                .draw_series(LineSeries::new(
                    row.iter().enumerate().map(|(i, &k)| ((i as f64 + 0.5) / bins as f64 * end * scale, k)),
                    colour.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?
                .label(format!("CPU {c}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Colours of the breakdown's parts (Okabe-Ito, told apart with any colour vision).
const PART_COLOURS: [&str; 5] = ["#999999", "#E69F00", "#56B4E9", "#009E73", "#CC79A7"];
/// Rounds drawn in the breakdown: the median round, then the slowest.
const BREAKDOWN_ROWS: usize = 10;

/// Stacked bars: the median round and the slowest rounds, each split into the five parts
/// of `Round::breakdown` along the target the initiator waited for longest.
fn breakdown_svg(m: &Model) -> Result<String, String> {
    let scale = m.unit_seconds().map_or(1.0, |u| u * 1e6);
    let unit = if m.unit_seconds().is_some() { "µs" } else { "ticks" };
    let mut done: Vec<(usize, super::model::Breakdown)> =
        m.rounds.iter().enumerate().filter_map(|(i, r)| r.breakdown().map(|b| (i, b))).collect();
    done.sort_by_key(|(_, b)| std::cmp::Reverse(b.total()));
    let mut rows: Vec<(String, super::model::Breakdown)> = Vec::new();
    if let Some((i, b)) = done.get(done.len() / 2) {
        rows.push((format!("median: round {}", i + 1), *b));
    }
    for (i, b) in done.iter().take(BREAKDOWN_ROWS - 1) {
        rows.push((format!("round {} → CPU {}", i + 1, b.cpu), *b));
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W + 60, H + 70)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (upper, lower) = root.split_vertically(H);
        if rows.is_empty() {
            root.draw(&Text::new("no complete rounds", (W as i32 / 2 - 60, H as i32 / 2), ("sans-serif", 14)))
                .map_err(|e| e.to_string())?;
        } else {
            let hi = rows.iter().map(|(_, b)| b.total() as f64 * scale).fold(0.0, f64::max).max(1e-9);
            let n = rows.len() as u32;
            let mut chart = ChartBuilder::on(&upper)
                .caption("Where the slowest rounds' time went", ("sans-serif", 15))
                .margin(8)
                .x_label_area_size(30)
                .y_label_area_size(130)
                .build_cartesian_2d(0f64..hi * 1.02, (0u32..n - 1).into_segmented())
                .map_err(|e| e.to_string())?;
            let labels: Vec<String> = rows.iter().map(|(l, _)| l.clone()).collect();
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_labels(5)
                .x_label_formatter(&|v| format!("{v:.0}"))
                .x_desc(format!("time ({unit})"))
                .y_labels(n as usize)
                .y_label_formatter(&|y| match y {
                    SegmentValue::CenterOf(y) if *y < n => labels[(n - 1 - y) as usize].clone(),
                    _ => String::new(),
                })
                .draw()
                .map_err(|e| e.to_string())?;
            for (k, colour) in PART_COLOURS.iter().enumerate() {
                chart
                    .draw_series(rows.iter().enumerate().map(|(row, (_, b))| {
                        let parts = b.parts();
                        let x0: u64 = parts[..k].iter().map(|p| p.1).sum();
                        let x1 = x0 + parts[k].1;
                        let y = n - 1 - row as u32;
                        let (y0, y1) = (SegmentValue::Exact(y), SegmentValue::Exact(y + 1));
                        Rectangle::new([(x0 as f64 * scale, y0), (x1 as f64 * scale, y1)], hex(colour).filled())
                    }))
                    .map_err(|e| e.to_string())?;
            }
            // The legend under the chart, where it hides no bar.
            for (k, (name, _)) in rows[0].1.parts().iter().enumerate() {
                let (x, y) = (12 + (k as i32 % 2) * 240, 8 + (k as i32 / 2) * 20);
                lower
                    .draw(&Rectangle::new([(x, y), (x + 12, y + 12)], hex(PART_COLOURS[k]).filled()))
                    .map_err(|e| e.to_string())?;
                lower.draw(&Text::new(*name, (x + 17, y), ("sans-serif", 12))).map_err(|e| e.to_string())?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
}

#[function_component]
pub fn Charts(p: &Props) -> Html {
    let svgs = use_memo(p.model.clone(), |m| {
        [
            ("chart-latency", "Histogram of shootdown round latencies", latency_svg(m)),
            (
                "chart-breakdown",
                "The median and the slowest rounds split into delivery, handler, flush, acknowledgement and notice",
                breakdown_svg(m),
            ),
            ("chart-heatmap", "IPI counts per sender and receiver CPU", heatmap_svg(m)),
            ("chart-per-cpu", "Events per CPU over time", per_cpu_svg(m)),
        ]
    });
    html! {
        <div class="charts">
            { for svgs.iter().map(|(id, label, svg)| match svg {
                Ok(svg) => html! {
                    <figure id={*id} class="chart" role="img" aria-label={*label}>
                        { Html::from_html_unchecked(AttrValue::from(svg.clone())) }
                    </figure>
                },
                Err(e) => html! { <p class="dim">{ format!("{label}: {e}") }</p> },
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled Linux 6.12 capture: the breakdown draws its median and slowest rounds,
    /// five parts each, with the five parts named in the legend.
    #[test]
    fn the_breakdown_chart_draws_every_part_of_each_row() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../traces/linux-6.12-qemu-4cpu/munmap-4cpu-4pages.trace");
        let bytes = std::fs::read(path).expect("the bundled capture");
        let trace = sdlab_trace::parse(&bytes).expect("parses");
        let m = Model::new("munmap".into(), trace, Default::default());
        let complete = m.rounds.iter().filter(|r| r.breakdown().is_some()).count();
        assert!(complete >= BREAKDOWN_ROWS, "{complete} complete rounds");
        let svg = breakdown_svg(&m).expect("draws");
        for (name, _) in m.rounds.iter().find_map(|r| r.breakdown()).expect("one").parts() {
            assert!(svg.contains(name), "the legend lacks {name}");
        }
        assert!(svg.contains("median: round"), "{svg}");
        // One rectangle per part and row (zero-width parts included), plus the legend's.
        let rects = svg.matches("<rect").count();
        assert!(rects >= BREAKDOWN_ROWS * 5 + 5, "{rects} rectangles");
    }
}
