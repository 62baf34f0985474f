//! Charts drawn with plotters into SVG strings, inserted as markup: the shootdown latency
//! histogram, IPI counts per (sender, receiver) and events per CPU over time. Each is
//! computed once per loaded trace.

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

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
}

#[function_component]
pub fn Charts(p: &Props) -> Html {
    let svgs = use_memo(p.model.clone(), |m| {
        [
            ("chart-latency", "Histogram of shootdown round latencies", latency_svg(m)),
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
