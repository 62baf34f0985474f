//! Animated GIF of a range of steps, for slides. Each frame is the view the SVG/PNG
//! export renders (the page's markup in an SVG, drawn on a canvas); frames are encoded
//! in Rust with the `gif` crate. Only the rectangle that changed since the previous frame
//! is stored, so a step that moves one word costs little. The palette learnt (NeuQuant) on
//! one frame is reused for the next ones while it still fits their colours, which makes a
//! frame several times cheaper than learning anew. The page yields between frames, so it
//! repaints and shows the progress, and a cancel is seen at the next frame.

use super::export;
use super::state::{Action, Lab};
use sdlab_lab::view::{fold_steps, gif_frames, Marks};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::platform::time::sleep;
use yew::prelude::*;

/// Frames per GIF: a slide's animation, not a film.
pub const MAX_FRAMES: usize = 150;
/// The last step a GIF may show (reaching it replays the run up to there).
const MAX_STEP: usize = 20_000;
/// A frame larger than this many pixels is scaled down to it.
const MAX_FRAME_PIXELS: f64 = 2_000_000.0;
/// The encoded file stops growing here, with a message.
const MAX_BYTES: usize = 40 << 20;
const DELAYS: [(u32, &str); 5] = [(250, "0.25 s"), (500, "0.5 s"), (800, "0.8 s"), (1200, "1.2 s"), (2000, "2 s")];

/// A colour farther than this (squared RGB distance) from every palette entry is "not
/// covered" by the palette.
const FAR: u32 = 3 * 20 * 20;

/// A GIF being written: a full first frame, then the changed rectangle of each next one.
pub struct GifWriter {
    enc: gif::Encoder<Vec<u8>>,
    prev: Option<Vec<u8>>,
    w: usize,
    h: usize,
    pub frames: usize,
    /// The palette in use (RGB triples) and, per colour seen, its entry and whether it is far.
    palette: Option<Vec<u8>>,
    nearest: HashMap<u32, (u8, bool)>,
}

fn nearest(palette: &[u8], p: &[u8]) -> (u8, bool) {
    let mut best = (0usize, u32::MAX);
    for (i, c) in palette.chunks_exact(3).enumerate() {
        let d = (0..3).map(|k| (c[k] as i32 - p[k] as i32).pow(2) as u32).sum::<u32>();
        if d < best.1 {
            best = (i, d);
        }
    }
    (best.0.min(255) as u8, best.1 > FAR)
}

/// The smallest rectangle (x0, y0, x1, y1) holding every pixel that differs.
fn changed_box(a: &[u8], b: &[u8], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        let (ra, rb) = (&a[y * w * 4..(y + 1) * w * 4], &b[y * w * 4..(y + 1) * w * 4]);
        if ra == rb {
            continue;
        }
        let first = ra.chunks_exact(4).zip(rb.chunks_exact(4)).position(|(p, q)| p != q).unwrap_or(0);
        let last = ra.chunks_exact(4).zip(rb.chunks_exact(4)).rposition(|(p, q)| p != q).unwrap_or(w - 1);
        x0 = x0.min(first);
        x1 = x1.max(last + 1);
        y0 = y0.min(y);
        y1 = y + 1;
    }
    (x1 > x0).then_some((x0, y0, x1, y1))
}

impl GifWriter {
    pub fn new(w: u16, h: u16) -> Result<GifWriter, String> {
        let mut enc = gif::Encoder::new(Vec::new(), w, h, &[]).map_err(|e| e.to_string())?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(|e| e.to_string())?;
        Ok(GifWriter {
            enc,
            prev: None,
            w: w as usize,
            h: h as usize,
            frames: 0,
            palette: None,
            nearest: HashMap::new(),
        })
    }

    /// The pixels as entries of the current palette, unless more than one in a thousand
    /// has no close entry (a colour that appeared since: learn a new palette).
    fn map(&mut self, rgba: &[u8]) -> Option<Vec<u8>> {
        let palette = self.palette.as_ref()?;
        let mut far = 0;
        let mut out = Vec::with_capacity(rgba.len() / 4);
        for p in rgba.chunks_exact(4) {
            let key = u32::from_le_bytes([p[0], p[1], p[2], 0]);
            let (i, is_far) = *self.nearest.entry(key).or_insert_with(|| nearest(palette, p));
            far += is_far as usize;
            out.push(i);
        }
        (far * 1000 <= out.len()).then_some(out)
    }

    /// Add a frame of RGBA pixels shown for `delay_cs` hundredths of a second.
    pub fn add(&mut self, rgba: Vec<u8>, delay_cs: u16) -> Result<(), String> {
        let (w, h) = (self.w, self.h);
        if rgba.len() != w * h * 4 {
            return Err(format!("a frame of {} bytes, not {w}×{h} pixels", rgba.len()));
        }
        // An unchanged frame still takes its time on screen: one pixel stands for it.
        let (x0, y0, x1, y1) = match &self.prev {
            None => (0, 0, w, h),
            Some(p) => changed_box(p, &rgba, w, h).unwrap_or((0, 0, 1, 1)),
        };
        let mut sub = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
        for y in y0..y1 {
            sub.extend_from_slice(&rgba[(y * w + x0) * 4..(y * w + x1) * 4]);
        }
        let (sw, sh) = ((x1 - x0) as u16, (y1 - y0) as u16);
        let mut f = match (self.map(&sub), &self.palette) {
            (Some(indices), Some(palette)) => gif::Frame::from_palette_pixels(sw, sh, indices, palette.clone(), None),
            _ => {
                let f = gif::Frame::from_rgba_speed(sw, sh, &mut sub, 10);
                self.palette = f.palette.clone();
                self.nearest.clear();
                f
            }
        };
        f.left = x0 as u16;
        f.top = y0 as u16;
        f.delay = delay_cs;
        f.dispose = gif::DisposalMethod::Keep;
        self.enc.write_frame(&f).map_err(|e| e.to_string())?;
        self.prev = Some(rgba);
        self.frames += 1;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.enc.get_ref().len()
    }

    pub fn finish(self) -> Result<Vec<u8>, String> {
        self.enc.into_inner().map_err(|e| e.to_string())
    }
}

/// The range offered first: the loaded schedule (a race's whole counterexample), else the
/// last steps up to the one on screen, else the first ten.
fn default_range(lab: &Lab) -> (usize, usize) {
    let s = lab.inner.borrow();
    let now = s.session.steps();
    let taken = s.session.schedule();
    if let Some(p) = s.plan.as_ref().filter(|p| p.choices.starts_with(&taken) && !p.choices.is_empty()) {
        return (0, p.choices.len().min(MAX_FRAMES - 1));
    }
    let diverge = s.compare.as_ref().and_then(|c| c.view.diverge).unwrap_or(0);
    if now > 0 || diverge > 0 {
        let to = now.max(diverge + 1);
        return (to.saturating_sub(20), to);
    }
    (0, 10)
}

struct Job {
    lab: Lab,
    dispatch: Callback<Action>,
    from: usize,
    to: usize,
    delay_ms: u32,
    progress: UseStateSetter<Option<(usize, usize)>>,
    cancel: Rc<Cell<bool>>,
}

/// The background of the "↻ ×N" marker on a folded frame: a yellow no CPU and no rule
/// of the page's styles uses, so the e2e walk finds the marker in the decoded GIF.
const MARKER_FILL: &str = "#ffcc00";

/// The SVG with the marker of a folded frame drawn over its top right corner, in the
/// SVG's own units (its viewBox is the slide grown to the view), large enough to read on
/// a projected slide.
fn with_marker(svg: &str, text: &str) -> String {
    let viewbox = svg.split("viewBox=\"0 0 ").nth(1).and_then(|v| v.split('"').next()).unwrap_or("1920 1080");
    let vw = viewbox.split(' ').next().and_then(|w| w.parse::<f64>().ok()).unwrap_or(1920.0);
    let font = (vw / 60.0).max(14.0);
    // Wide enough for the text in any sans-serif: 0.62 em a character on average.
    let width = text.chars().count() as f64 * font * 0.62 + font;
    let (x, y) = (vw - width - font / 2.0, font / 2.0);
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;");
    let marker = format!(
        r##"<g font-family="system-ui,sans-serif" font-size="{font}" font-weight="700"><rect x="{x}" y="{y}" width="{width}" height="{h}" rx="{r}" fill="{MARKER_FILL}" stroke="#1a1a1a" stroke-width="{sw}"/><text x="{tx}" y="{ty}" fill="#1a1a1a">{escaped}</text></g>"##,
        h = font * 1.8,
        r = font / 3.0,
        sw = font / 12.0,
        tx = x + font / 2.0,
        ty = y + font * 1.25,
    );
    match svg.rfind("</svg>") {
        Some(end) => format!("{}{marker}</svg>", &svg[..end]),
        None => svg.to_string(),
    }
}

/// Record the frames; the caller returns the stepper to where it was.
async fn frames(job: &Job) -> Result<(Vec<u8>, String), String> {
    let t0 = js_sys::Date::now();
    // The last step first: the log up to it is what folds, as the step log folds it.
    job.dispatch.emit(Action::GifFrame(job.to));
    sleep(Duration::ZERO).await;
    let (plan, last) = {
        let s = job.lab.inner.borrow();
        let at = s.session.steps();
        if at < job.from {
            return Err(format!("The run has no step {}: nothing to record.", job.from));
        }
        let rows = fold_steps(s.session.log(), job.from, at, &Marks::of(&s));
        (gif_frames(job.from, &rows), at)
    };
    let total = plan.len();
    job.progress.set(Some((0, total)));
    let mut out: Option<(GifWriter, u32, u32, f64)> = None;
    let delay = (job.delay_ms / 10).clamp(2, 6000) as u16;
    let mut folded = 0;
    for (i, (k, marker)) in plan.iter().enumerate() {
        if job.cancel.get() {
            return Err("Cancelled: no GIF saved.".into());
        }
        job.dispatch.emit(Action::GifFrame(*k));
        // Let Yew render the step before the markup is read.
        sleep(Duration::ZERO).await;
        let at = job.lab.inner.borrow().session.steps();
        if at != *k {
            return Err(format!("The run did not reach step {k} again (it stopped at {at}): no GIF saved."));
        }
        let (svg, w, h) = export::svg_of(export::VIEW).map_err(|e| format!("cannot read the view: {e:?}"))?;
        let svg = match marker {
            Some(text) => {
                folded += 1;
                with_marker(&svg, text)
            }
            None => svg,
        };
        if out.is_none() {
            let scale = (MAX_FRAME_PIXELS / (w * h).max(1.0)).sqrt().min(1.0);
            let (gw, gh) = (((w * scale) as u32).clamp(1, 4000), ((h * scale) as u32).clamp(1, 4000));
            out = Some((GifWriter::new(gw as u16, gh as u16)?, gw, gh, scale));
        }
        let Some((gif, gw, gh, scale)) = out.as_mut() else {
            return Err("the GIF could not be started".into());
        };
        let rgba =
            export::rasterize(&svg, *gw, *gh, *scale).await.map_err(|e| format!("cannot draw a frame: {e:?}"))?;
        // The last frame stays longer, so a looping slide pauses on the outcome; a folded
        // frame twice as long, so its marker can be read.
        let shown = match (i + 1 == total, marker.is_some()) {
            (true, _) => delay.saturating_mul(3),
            (false, true) => delay.saturating_mul(2),
            (false, false) => delay,
        };
        gif.add(rgba, shown)?;
        if gif.len() > MAX_BYTES {
            return Err(format!("The GIF passed {} MB at frame {}: choose fewer steps.", MAX_BYTES >> 20, i + 1));
        }
        job.progress.set(Some((i + 1, total)));
        sleep(Duration::ZERO).await;
    }
    let Some((gif, gw, gh, _)) = out else {
        return Err(format!("The run has no step {}: nothing to record.", job.from));
    };
    let n = gif.frames;
    let bytes = gif.finish()?;
    let mut words = format!(
        "Saved steps {}–{last}: {n} frames, {gw}×{gh} pixels, {} KB, made in {:.1} s.",
        job.from,
        bytes.len().div_ceil(1024),
        (js_sys::Date::now() - t0) / 1000.0
    );
    if folded > 0 {
        words.push_str(&format!(
            " Repeated loop iterations are folded as in the step log: {folded} frame{} marked ↻ ×N stand{} for {} steps.",
            if folded == 1 { "" } else { "s" },
            if folded == 1 { "s" } else { "" },
            (last - job.from + 1) - (n - folded)
        ));
    }
    // A run that ends early was recorded up to its last step.
    if last < job.to {
        words.push_str(&format!(" The run ends at step {last}, before step {}.", job.to));
    }
    Ok((bytes, words))
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lab: Lab,
    pub dispatch: Callback<Action>,
}

#[function_component]
pub fn GifPanel(props: &Props) -> Html {
    crate::renders::count("GifPanel");
    let range = {
        let lab = props.lab.clone();
        use_state(move || default_range(&lab))
    };
    let delay = use_state(|| 800u32);
    let progress = use_state(|| None::<(usize, usize)>);
    let message = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let cancel = use_mut_ref(|| Rc::new(Cell::new(false)));
    {
        // Closing the panel mid-recording cancels it.
        let cancel = cancel.borrow().clone();
        use_effect_with((), move |_| move || cancel.set(true));
    }
    let (from, to) = *range;
    let on_from = {
        let range = range.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = e.target_unchecked_into::<HtmlInputElement>().value().trim().parse::<usize>() {
                range.set((n, range.1));
            }
        })
    };
    let on_to = {
        let range = range.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = e.target_unchecked_into::<HtmlInputElement>().value().trim().parse::<usize>() {
                range.set((range.0, n));
            }
        })
    };
    let on_delay = {
        let delay = delay.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = e.target_unchecked_into::<HtmlSelectElement>().value().parse() {
                delay.set(n);
            }
        })
    };
    let make = {
        let (lab, dispatch) = (props.lab.clone(), props.dispatch.clone());
        let (progress, message, busy, cancel, delay) =
            (progress.clone(), message.clone(), busy.clone(), cancel.clone(), *delay);
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            if to < from {
                message.set(Some(format!("The range ends (step {to}) before it starts (step {from}).")));
                return;
            }
            // Checked on steps, before folding: folding needs the run played to `to` first.
            let count = to.saturating_sub(from).saturating_add(1);
            if count > MAX_FRAMES {
                message.set(Some(format!(
                    "{count} steps asked for; a GIF holds at most {MAX_FRAMES}. Choose a shorter range."
                )));
                return;
            }
            if to > MAX_STEP {
                message.set(Some(format!("Steps up to {MAX_STEP} can be recorded.")));
                return;
            }
            let flag = Rc::new(Cell::new(false));
            *cancel.borrow_mut() = flag.clone();
            let job = Job {
                lab: lab.clone(),
                dispatch: dispatch.clone(),
                from,
                to,
                delay_ms: delay,
                progress: progress.setter(),
                cancel: flag,
            };
            let (message, busy, progress) = (message.setter(), busy.setter(), progress.setter());
            busy.set(true);
            message.set(None);
            progress.set(Some((0, to - from + 1)));
            yew::platform::spawn_local(async move {
                job.dispatch.emit(Action::GifBegin);
                let result = frames(&job).await;
                job.dispatch.emit(Action::GifEnd);
                let text = match result {
                    Ok((bytes, words)) => {
                        match export::download_bytes(
                            &bytes,
                            "image/gif",
                            &format!("shootdown-lab-steps-{from}-{to}.gif"),
                        ) {
                            Ok(()) => words,
                            Err(e) => format!("The GIF was made but cannot be saved: {e:?}"),
                        }
                    }
                    Err(e) => e,
                };
                message.set(Some(text));
                progress.set(None);
                busy.set(false);
            });
        })
    };
    let stop = {
        let cancel = cancel.clone();
        Callback::from(move |_: MouseEvent| cancel.borrow().set(true))
    };
    let close = {
        let d = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.emit(Action::ToggleGif))
    };
    html! {
        <section id="gif-panel" class="gif-panel" role="dialog" aria-label="Export a range of steps as an animated GIF">
            <h2>{ "Animated GIF of steps" }</h2>
            <div class="row">
                <label for="gif-from">{ "from step " }
                    <input id="gif-from" type="number" min="0" value={from.to_string()} onchange={on_from} disabled={*busy} />
                </label>
                <label for="gif-to">{ "to step " }
                    <input id="gif-to" type="number" min="0" value={to.to_string()} onchange={on_to} disabled={*busy} />
                </label>
                <label for="gif-delay">{ "each step shows " }
                    <select id="gif-delay" onchange={on_delay} disabled={*busy}>
                        { for DELAYS.iter().map(|(ms, name)| html! {
                            <option value={ms.to_string()} selected={*ms == *delay}>{ *name }</option>
                        }) }
                    </select>
                </label>
            </div>
            <div class="row">
                if let Some((done, total)) = *progress {
                    <progress id="gif-progress" max={total.to_string()} value={done.to_string()} aria-label="frames recorded"></progress>
                    <span role="status">{ format!(" frame {done} of {total} ") }</span>
                    <button id="gif-cancel" onclick={stop}>{ "cancel" }</button>
                } else {
                    <button id="gif-make" onclick={make}>{ format!("Make the GIF ({} steps)", (to + 1).saturating_sub(from)) }</button>
                }
                <button id="gif-close" class="small" onclick={close} title="Close (g)">{ "close" }</button>
            </div>
            if let Some(m) = &*message {
                <p id="gif-message" role="status">{ m }</p>
            }
            <p class="dim">{ format!("One frame per row of the step log, as the SVG export draws the view: repeated loop iterations are folded into one frame marked ↻ ×N, shown twice as long. At most {MAX_FRAMES} steps. The last frame stays three times as long.") }</p>
        </section>
    }
}
