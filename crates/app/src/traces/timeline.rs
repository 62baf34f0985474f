//! The canvas timeline: one lane per CPU, marks by kind, handler and csd-function bars,
//! IPI arrows. Level of detail comes from the lane index: in each pixel column a lane
//! draws at most one mark and one bar, found by binary search, so a frame costs
//! O(width × lanes × log n) whatever the number of events.
//!
//! The view (time range) lives outside Yew's render cycle in `Shared`: wheel, drag and
//! keys change it and redraw at once, without re-rendering the page.

use super::kinds::{Cat, CATS};
use super::model::{Arrow, LaneIndex, Model};
use sdlab_trace::replay::ArrowKind;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

const GUTTER: f64 = 52.0;
const AXIS: f64 = 22.0;

/// What a frame draws: set from the props on every render.
#[derive(Default)]
pub struct Scene {
    pub model: Option<Rc<Model>>,
    pub index: Rc<LaneIndex>,
    pub selected: Option<u32>,
    pub cursor: Option<u32>,
    pub round: Option<usize>,
    pub hidden_cpus: u64,
    pub show_arrows: bool,
}

pub struct View {
    pub t0: f64,
    pub t1: f64,
}

#[derive(Default)]
pub struct Shared {
    pub scene: Scene,
    pub view: Option<View>,
    pub canvas: Option<HtmlCanvasElement>,
    drag: Option<(f64, f64, f64, bool)>,
}

/// Compared by pointer: the page and the timeline share one `Shared`.
#[derive(Clone, Default)]
pub struct Handle(pub Rc<RefCell<Shared>>);

impl PartialEq for Handle {
    fn eq(&self, o: &Handle) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

/// The first index at or after `from` where `before` turns false (`before` is monotone),
/// searched outward from `from`: the next pixel column's events are usually near, so
/// this touches a few cache lines where a binary search over the lane would miss each time.
fn gallop(len: usize, from: usize, before: impl Fn(usize) -> bool) -> usize {
    if from >= len || !before(from) {
        return from.min(len);
    }
    let mut step = 1;
    while from + step < len && before(from + step) {
        step *= 2;
    }
    let (mut lo, mut hi) = (from + step / 2 + 1, (from + step).min(len));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn lower_bound(ts: &[u64], t: f64) -> usize {
    if t <= 0.0 {
        return 0;
    }
    let t = t.ceil() as u64;
    ts.partition_point(|&x| x < t)
}

impl Shared {
    fn span(&self) -> (f64, f64) {
        self.view.as_ref().map_or((0.0, 1.0), |v| (v.t0, v.t1))
    }

    fn plot_width(&self) -> f64 {
        self.canvas.as_ref().map_or(800.0, |c| c.client_width() as f64) - GUTTER
    }

    /// Keep at least 20 time units on screen and at most the trace plus a margin.
    fn set_view(&mut self, t0: f64, t1: f64) {
        let end = self.scene.model.as_ref().map_or(1.0, |m| m.end as f64);
        let w = (t1 - t0).clamp(20.0, end * 1.2 + 20.0);
        let mid = (t0 + t1) / 2.0;
        let mid = mid.clamp(-end * 0.1, end * 1.1);
        self.view = Some(View { t0: mid - w / 2.0, t1: mid + w / 2.0 });
    }

    pub fn zoom(&mut self, factor: f64, at_px: Option<f64>) {
        let (t0, t1) = self.span();
        let w = self.plot_width().max(1.0);
        let frac = at_px.map_or(0.5, |x| ((x - GUTTER) / w).clamp(0.0, 1.0));
        let pivot = t0 + (t1 - t0) * frac;
        let nw = (t1 - t0) * factor;
        self.set_view(pivot - nw * frac, pivot - nw * frac + nw);
    }

    pub fn pan(&mut self, frac: f64) {
        let (t0, t1) = self.span();
        let d = (t1 - t0) * frac;
        self.set_view(t0 + d, t1 + d);
    }

    pub fn fit(&mut self) {
        let end = self.scene.model.as_ref().map_or(1.0, |m| m.end as f64);
        self.set_view(-end * 0.01, end * 1.01);
    }

    pub fn show(&mut self, t0: f64, t1: f64) {
        self.set_view(t0, t1);
    }

    fn lanes(&self) -> Vec<usize> {
        let n = self.scene.model.as_ref().map_or(0, |m| m.ncpu());
        (0..n).filter(|&c| self.scene.hidden_cpus >> c.min(63) & 1 == 0).collect()
    }

    /// The event under a click: the nearest shown event within 5 pixels in that lane.
    fn hit(&self, x: f64, y: f64) -> Option<u32> {
        let c = self.canvas.as_ref()?;
        let lanes = self.lanes();
        let lane_h = (c.client_height() as f64 - AXIS) / lanes.len().max(1) as f64;
        let cpu = *lanes.get((y / lane_h).floor().max(0.0) as usize)?;
        let (t0, t1) = self.span();
        let per_px = (t1 - t0) / self.plot_width().max(1.0);
        let t = t0 + (x - GUTTER) * per_px;
        let ts = self.scene.index.ts.get(cpu)?;
        let ids = &self.scene.index.ids[cpu];
        let lo = lower_bound(ts, t - 5.0 * per_px);
        let hi = lower_bound(ts, t + 5.0 * per_px);
        (lo..hi).min_by(|&a, &b| (ts[a] as f64 - t).abs().total_cmp(&(ts[b] as f64 - t).abs())).map(|k| ids[k])
    }

    pub fn draw(&self) {
        let Some(canvas) = &self.canvas else { return };
        let perf = web_sys::window().and_then(|w| w.performance());
        let start = perf.as_ref().map_or(0.0, |p| p.now());
        let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
        let (cw, ch) = (canvas.client_width() as f64, canvas.client_height() as f64);
        let (pw, ph) = ((cw * dpr).round() as u32, (ch * dpr).round() as u32);
        if canvas.width() != pw || canvas.height() != ph {
            canvas.set_width(pw);
            canvas.set_height(ph);
        }
        let Some(ctx) =
            canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, 0.0, cw, ch);
        let Some(m) = &self.scene.model else { return };
        let (t0, t1) = self.span();
        let w = (cw - GUTTER).max(1.0);
        let per_px = (t1 - t0) / w;
        let px = |t: f64| GUTTER + (t - t0) / per_px;
        let lanes = self.lanes();
        let lane_h = ((ch - AXIS) / lanes.len().max(1) as f64).max(8.0);
        let mut lane_y = vec![f64::NAN; m.ncpu()];
        for (row, &c) in lanes.iter().enumerate() {
            lane_y[c] = row as f64 * lane_h;
        }
        // Lanes and labels.
        ctx.set_font("12px system-ui, sans-serif");
        for (row, &c) in lanes.iter().enumerate() {
            let y = row as f64 * lane_h;
            ctx.set_fill_style_str(if row % 2 == 0 { "#f6f6f2" } else { "#ffffff" });
            ctx.fill_rect(0.0, y, cw, lane_h);
            ctx.set_fill_style_str("#1b1b1b");
            let _ = ctx.fill_text(&format!("CPU {c}"), 6.0, y + lane_h / 2.0 + 4.0);
        }
        ctx.set_fill_style_str("#d8d8d2");
        ctx.fill_rect(GUTTER - 1.0, 0.0, 1.0, ch - AXIS);
        // The selected round, as a band behind everything.
        if let Some(r) = self.scene.round.and_then(|r| m.rounds.get(r)) {
            let end = r.end.or_else(|| r.targets.iter().filter_map(|t| t.done.or(t.received)).max()).unwrap_or(r.start);
            let (a, b) = (px(r.start as f64).max(GUTTER), px(end as f64).min(cw));
            if b >= GUTTER && a <= cw {
                ctx.set_fill_style_str("rgba(255, 224, 138, 0.55)");
                ctx.fill_rect(a, 0.0, (b - a).max(2.0), ch - AXIS);
            }
        }
        // Bars: handler (light, full height) and csd function (darker, inner).
        for &c in &lanes {
            for ivs in [&m.waits[c], &m.handlers[c], &m.funcs[c]] {
                draw_bars(&ctx, ivs, lane_y[c], lane_h, t0, t1, cw, per_px, &px);
            }
        }
        // Marks: at most one per lane and pixel column, gathered by kind so each colour is
        // set once per frame.
        let mut drawn = 0u32;
        let w = if per_px < 1.0 { 2.0 } else { 1.5 };
        let mut by_cat: Vec<Vec<(f64, f64, f64, f64)>> = vec![Vec::new(); CATS.len()];
        for &c in &lanes {
            let (Some(ts), Some(cats)) = (self.scene.index.ts.get(c), self.scene.index.cats.get(c)) else { continue };
            let y = lane_y[c];
            let mut k = lower_bound(ts, t0);
            while k < ts.len() && (ts[k] as f64) <= t1 {
                let x = px(ts[k] as f64).floor();
                let cat = CATS[cats[k] as usize];
                let h = lane_h * 0.8 * cat.height();
                let top = y + (lane_h - h) / 2.0;
                // Neighbouring columns of one kind in one lane become one wider rectangle.
                match by_cat[cat.index()].last_mut() {
                    Some(last) if last.1 == top && last.0 + last.3 >= x - 0.5 => last.3 = x + w - last.0,
                    _ => by_cat[cat.index()].push((x, top, h, w)),
                }
                drawn += 1;
                let next = (t0 + (x + 1.0 - GUTTER) * per_px).ceil();
                k = gallop(ts.len(), k + 1, |i| (ts[i] as f64) < next);
            }
        }
        for (cat, marks) in CATS.iter().zip(&by_cat) {
            if marks.is_empty() {
                continue;
            }
            ctx.set_fill_style_str(cat.colour());
            for &(x, y, h, w) in marks {
                ctx.fill_rect(x, y, w, h);
            }
        }
        // Arrows, a few per pixel column at most.
        if self.scene.show_arrows {
            self.draw_arrows(&ctx, m, &lane_y, lane_h, t0, t1, per_px, &px);
        }
        // Selection and step cursor.
        for (which, colour) in [(self.scene.cursor, "#b3261e"), (self.scene.selected, "#000000")] {
            if let Some(e) = which.and_then(|i| m.event(i)) {
                let y = lane_y.get(e.cpu as usize).copied().unwrap_or(f64::NAN);
                let x = px(e.ts as f64);
                if y.is_nan() || x < GUTTER || x > cw {
                    continue;
                }
                ctx.set_stroke_style_str(colour);
                ctx.set_line_width(2.0);
                if which == self.scene.cursor {
                    ctx.begin_path();
                    ctx.move_to(x, 0.0);
                    ctx.line_to(x, ch - AXIS);
                    ctx.stroke();
                } else {
                    ctx.stroke_rect(x - 4.0, y + 2.0, 8.0, lane_h - 4.0);
                }
            }
        }
        self.draw_axis(&ctx, m, cw, ch, t0, t1);
        if let Some(p) = &perf {
            let ms = p.now() - start;
            // The browser benchmark reads the frame times from here when it asks for them.
            if let Some(w) = web_sys::window() {
                if let Ok(times) = js_sys::Reflect::get(&w, &"sdlabDrawTimes".into()) {
                    if let Some(a) = times.dyn_ref::<js_sys::Array>() {
                        a.push(&ms.into());
                    }
                }
            }
        }
        let _ = canvas.set_attribute("data-t0", &format!("{t0:.0}"));
        let _ = canvas.set_attribute("data-t1", &format!("{t1:.0}"));
        let _ = canvas.set_attribute("data-marks", &drawn.to_string());
        let _ = canvas.set_attribute("data-lanes", &lanes.len().to_string());
        // The spoken summary changes with every frame of a drag; say it when the drag ends.
        if self.drag.is_some() {
            return;
        }
        let _ = canvas.set_attribute(
            "aria-label",
            &format!(
                "Timeline of {} CPUs from {} to {}; {} events shown. Arrows pan, + and − zoom, 0 fits, \
                 . and , step through events.",
                lanes.len(),
                m.at(t0.max(0.0) as u64),
                m.at(t1.max(0.0) as u64),
                self.scene.index.shown
            ),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_arrows(
        &self,
        ctx: &CanvasRenderingContext2d,
        m: &Model,
        lane_y: &[f64],
        lane_h: f64,
        t0: f64,
        t1: f64,
        per_px: f64,
        px: &dyn Fn(f64) -> f64,
    ) {
        let arrows: &[Arrow] = &m.arrows;
        let mut k = arrows.partition_point(|a| (a.t_send as f64) < t0);
        // An arrow sent just before the view may land inside it.
        k = k.saturating_sub(16);
        // Zoomed out, hundreds of arrows are a blur: draw them faint, without heads, and
        // only the IPIs, so the structure shows and the marks stay visible.
        let visible = arrows[k..].partition_point(|a| (a.t_send as f64) <= t1);
        let dense = visible > 300;
        let per_col = if dense { 1 } else { 6 };
        let mut in_col = 0;
        let mut col = f64::NEG_INFINITY;
        let mut budget = if dense { 800 } else { 4000 };
        let no_dash: JsValue = js_sys::Array::new().into();
        let dashed = dash_pattern();
        ctx.set_line_width(1.2);
        // Dense: every line in one path per kind, stroked once (a stroke per arrow is what
        // made zoomed-out frames slow).
        let mut ring_lines: Vec<(f64, f64, f64, f64)> = Vec::new();
        if dense {
            ctx.set_stroke_style_str("rgba(213, 94, 0, 0.25)");
            ctx.begin_path();
        }
        while k < arrows.len() && budget > 0 {
            let a = arrows[k];
            if a.t_send as f64 > t1 {
                break;
            }
            k += 1;
            if dense && a.kind == ArrowKind::Csd {
                continue;
            }
            let (Some(&ya), Some(&yb)) = (lane_y.get(a.from as usize), lane_y.get(a.to as usize)) else { continue };
            if ya.is_nan() || yb.is_nan() || (a.t_recv as f64) < t0 {
                continue;
            }
            let x0 = px(a.t_send as f64);
            let x1 = px(a.t_recv as f64);
            if x0.floor() == col {
                in_col += 1;
                if in_col >= per_col {
                    // Enough arrows leave this column: jump to the next one.
                    let next_t = t0 + (col + 1.0 - GUTTER) * per_px;
                    k = gallop(arrows.len(), k, |i| (arrows[i].t_send as f64) < next_t);
                    continue;
                }
            } else {
                col = x0.floor();
                in_col = 0;
            }
            budget -= 1;
            let (y0, y1) = (ya + lane_h / 2.0, yb + lane_h / 2.0);
            if dense {
                if a.kind == ArrowKind::Ipiq {
                    ring_lines.push((x0, y0, x1, y1));
                } else {
                    ctx.move_to(x0, y0);
                    ctx.line_to(x1, y1);
                }
                continue;
            }
            // IPIs solid orange; csd requests (queue → function entry) dashed amber; ipiq
            // ring messages pink.
            let (line, head, dash) = match a.kind {
                ArrowKind::Ipi => ("rgba(213, 94, 0, 0.85)", "#D55E00", false),
                ArrowKind::Csd => ("rgba(166, 110, 0, 0.8)", "#8c6d00", true),
                ArrowKind::Ipiq => ("rgba(204, 121, 167, 0.9)", "#CC79A7", false),
            };
            ctx.set_stroke_style_str(line);
            let _ = ctx.set_line_dash(if dash { &dashed } else { &no_dash });
            ctx.begin_path();
            ctx.move_to(x0, y0);
            ctx.line_to(x1, y1);
            ctx.stroke();
            // The head, pointing along the arrow.
            let ang = (y1 - y0).atan2(x1 - x0);
            ctx.set_fill_style_str(head);
            ctx.begin_path();
            ctx.move_to(x1, y1);
            ctx.line_to(x1 - 7.0 * (ang - 0.4).cos(), y1 - 7.0 * (ang - 0.4).sin());
            ctx.line_to(x1 - 7.0 * (ang + 0.4).cos(), y1 - 7.0 * (ang + 0.4).sin());
            ctx.close_path();
            ctx.fill();
        }
        if dense {
            ctx.stroke();
            if !ring_lines.is_empty() {
                ctx.set_stroke_style_str("rgba(204, 121, 167, 0.35)");
                ctx.begin_path();
                for (x0, y0, x1, y1) in ring_lines {
                    ctx.move_to(x0, y0);
                    ctx.line_to(x1, y1);
                }
                ctx.stroke();
            }
        }
        let _ = ctx.set_line_dash(&no_dash);
    }

    fn draw_axis(&self, ctx: &CanvasRenderingContext2d, m: &Model, cw: f64, ch: f64, t0: f64, t1: f64) {
        let y = ch - AXIS;
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, y, cw, AXIS);
        ctx.set_fill_style_str("#5c5c5c");
        ctx.fill_rect(GUTTER, y, cw - GUTTER, 1.0);
        let span = (t1 - t0).max(1.0);
        // A 1-2-5 step giving about one label per 120 px.
        let target = span * 120.0 / (cw - GUTTER).max(1.0);
        let mag = 10f64.powf(target.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0].iter().map(|k| k * mag).find(|s| *s >= target).unwrap_or(10.0 * mag);
        let mut t = (t0 / step).ceil() * step;
        ctx.set_font("11px system-ui, sans-serif");
        while t <= t1 {
            let x = GUTTER + (t - t0) / span * (cw - GUTTER);
            ctx.fill_rect(x, y, 1.0, 5.0);
            if t >= 0.0 {
                let label = match m.unit_seconds() {
                    Some(u) => super::model::fmt_secs(t * u),
                    None => format!("{t:.0}"),
                };
                let _ = ctx.fill_text(&label, x + 2.0, y + 16.0);
            }
            t += step;
        }
    }
}

fn dash_pattern() -> JsValue {
    js_sys::Array::of2(&4.0.into(), &3.0.into()).into()
}

/// Bars of one layer, at most one per pixel column: after drawing a bar, skip the ones
/// that start and end within the same column.
#[allow(clippy::too_many_arguments)]
fn draw_bars(
    ctx: &CanvasRenderingContext2d,
    ivs: &[super::model::Interval],
    y: f64,
    lane_h: f64,
    t0: f64,
    t1: f64,
    cw: f64,
    per_px: f64,
    px: &dyn Fn(f64) -> f64,
) {
    let Some(first) = ivs.first() else { return };
    let (top, h, colour) = match first.cat {
        Cat::Handler => (y + lane_h * 0.2, lane_h * 0.6, "rgba(0, 114, 178, 0.22)"),
        Cat::CsdFunc => (y + lane_h * 0.32, lane_h * 0.36, "rgba(86, 180, 233, 0.8)"),
        // The initiator waiting for its round: a thin line along the lane's foot.
        _ => (y + lane_h * 0.86, lane_h * 0.08, "rgba(0, 158, 115, 0.85)"),
    };
    ctx.set_fill_style_str(colour);
    // Bars do not overlap within a layer, so the one covering t0 starts at most one back.
    let mut k = ivs.partition_point(|iv| (iv.start as f64) < t0).saturating_sub(1);
    let mut run: Option<(f64, f64)> = None;
    while k < ivs.len() {
        let iv = ivs[k];
        if iv.start as f64 > t1 {
            break;
        }
        k += 1;
        if (iv.end as f64) < t0 {
            continue;
        }
        let (x0, x1) = (px(iv.start as f64).max(GUTTER), px(iv.end as f64).min(cw));
        // Bars within a pixel of each other merge: zoomed out, a busy lane is a few long
        // rectangles instead of one per column.
        match run {
            Some((a, b)) if x0 <= b + 1.0 => run = Some((a, x1.max(b))),
            Some((a, b)) => {
                ctx.fill_rect(a, top, (b - a).max(1.0), h);
                run = Some((x0, x1));
            }
            None => run = Some((x0, x1)),
        }
        let next_t = t0 + (x1.floor() + 1.0 - GUTTER) * per_px;
        k = gallop(ivs.len(), k, |i| (ivs[i].end as f64) < next_t);
    }
    if let Some((a, b)) = run {
        ctx.fill_rect(a, top, (b - a).max(1.0), h);
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub handle: Handle,
    pub model: Rc<Model>,
    pub index: Rc<LaneIndex>,
    pub selected: Option<u32>,
    pub cursor: Option<u32>,
    pub round: Option<usize>,
    pub hidden_cpus: u64,
    pub focus: super::state::Focus,
    pub on_select: Callback<Option<u32>>,
}

#[function_component]
pub fn Timeline(p: &Props) -> Html {
    let canvas = use_node_ref();
    {
        let mut s = p.handle.0.borrow_mut();
        s.scene = Scene {
            model: Some(p.model.clone()),
            index: p.index.clone(),
            selected: p.selected,
            cursor: p.cursor,
            round: p.round,
            hidden_cpus: p.hidden_cpus,
            show_arrows: true,
        };
    }
    {
        let h = p.handle.clone();
        let c = canvas.clone();
        use_effect_with(p.focus, move |f| {
            let mut s = h.0.borrow_mut();
            s.canvas = c.cast::<HtmlCanvasElement>();
            s.show(f.t0, f.t1);
            s.draw();
        });
    }
    {
        // Everything else that changes the picture redraws it in place.
        let h = p.handle.clone();
        use_effect_with((p.index.clone(), p.selected, p.cursor, p.round, p.hidden_cpus), move |_| {
            let s = h.0.borrow();
            s.draw();
        });
    }
    {
        // Redraw at the new size when the window changes.
        let h = p.handle.clone();
        use_effect_with((), move |_| {
            crate::listen::listen(crate::listen::window(), &["resize"], move |_: web_sys::Event| h.0.borrow().draw())
        });
    }
    let onwheel = {
        let h = p.handle.clone();
        Callback::from(move |e: WheelEvent| {
            e.prevent_default();
            let mut s = h.0.borrow_mut();
            if e.shift_key() || e.delta_x().abs() > e.delta_y().abs() {
                let d = if e.delta_x().abs() > e.delta_y().abs() { e.delta_x() } else { e.delta_y() };
                s.pan(d.signum() * 0.1);
            } else {
                s.zoom(if e.delta_y() > 0.0 { 1.25 } else { 0.8 }, Some(e.offset_x() as f64));
            }
            s.draw();
        })
    };
    let onpointerdown = {
        let h = p.handle.clone();
        Callback::from(move |e: PointerEvent| {
            let mut s = h.0.borrow_mut();
            let (t0, _) = s.span();
            s.drag = Some((e.client_x() as f64, t0, e.client_y() as f64, false));
            if let Some(c) = &s.canvas {
                let _ = c.set_pointer_capture(e.pointer_id());
            }
        })
    };
    let onpointermove = {
        let h = p.handle.clone();
        Callback::from(move |e: PointerEvent| {
            let mut s = h.0.borrow_mut();
            let Some((x0, t0, y0, moved)) = s.drag else { return };
            let dx = e.client_x() as f64 - x0;
            let moved = moved || dx.abs() > 3.0 || (e.client_y() as f64 - y0).abs() > 3.0;
            s.drag = Some((x0, t0, y0, moved));
            if moved {
                let (a, b) = s.span();
                let per_px = (b - a) / s.plot_width().max(1.0);
                let nt0 = t0 - dx * per_px;
                s.set_view(nt0, nt0 + (b - a));
                s.draw();
            }
        })
    };
    let onpointerup = {
        let h = p.handle.clone();
        let on_select = p.on_select.clone();
        Callback::from(move |e: PointerEvent| {
            let hit = {
                let mut s = h.0.borrow_mut();
                let Some((_, _, _, moved)) = s.drag.take() else { return };
                if moved {
                    // The final frame of the drag, with its spoken summary.
                    s.draw();
                    return;
                }
                s.hit(e.offset_x() as f64, e.offset_y() as f64)
            };
            if hit.is_some() {
                on_select.emit(hit);
            }
        })
    };
    html! {
        <div class="trace-timeline" id="trace-timeline">
            <canvas ref={canvas} id="timeline-canvas" tabindex="0" role="img"
                    aria-label="Timeline" {onwheel} {onpointerdown} {onpointermove} {onpointerup}></canvas>
        </div>
    }
}
