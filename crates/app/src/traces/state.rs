//! The Traces mode's reducer: what is loaded, how it is filtered, what is selected and
//! where step mode stands. The model and its lane index sit behind `Rc`s, so an action
//! copies a handful of pointers, never the events.

use super::conform::Conformance;
use super::kinds::{Cat, CATS};
use super::model::{LaneIndex, Model};
use crate::protocol::ConformReply;
use sdlab_trace::Event;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    Idle,
    Reading {
        name: String,
        bytes: u64,
        total: u64,
    },
    /// Events arrived; the page is building the rounds and the index.
    Building {
        name: String,
    },
    Failed(String),
    Cancelled(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Details,
    Rounds,
    Charts,
    Warnings,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// CPUs hidden (bit per CPU).
    pub hidden_cpus: u64,
    /// Kind groups shown (bit per `Cat`).
    pub cats: u16,
    pub text: String,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter { hidden_cpus: 0, cats: CATS.iter().fold(0, |m, c| m | c.bit()), text: String::new() }
    }
}

impl Filter {
    pub fn keeps(&self, e: &Event, text_syms: &Option<Vec<bool>>) -> bool {
        if self.hidden_cpus >> (e.cpu.min(63)) & 1 == 1 || self.cats & Cat::of(&e.kind).bit() == 0 {
            return false;
        }
        match text_syms {
            None => true,
            Some(syms) => {
                let sym = match e.kind {
                    sdlab_trace::Kind::CsdQueue { func, .. }
                    | sdlab_trace::Kind::CsdEntry { func, .. }
                    | sdlab_trace::Kind::CsdExit { func, .. } => Some(func),
                    sdlab_trace::Kind::Other { name } => Some(name),
                    sdlab_trace::Kind::FuncEntry { func } | sdlab_trace::Kind::FuncExit { func } => Some(func),
                    _ => None,
                };
                let needle = self.text.to_lowercase();
                sym.is_some_and(|s| syms.get(s as usize).copied().unwrap_or(false))
                    || Cat::of(&e.kind).label().contains(&needle)
                    || e.kind.name().contains(&needle)
            }
        }
    }
}

/// A request to the timeline to show a time range; `gen` makes a repeated request for
/// the same range (after the user panned away) a new one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Focus {
    pub t0: f64,
    pub t1: f64,
    pub gen: u32,
}

#[derive(Clone, PartialEq)]
pub struct TraceLab {
    pub load: Load,
    pub model: Option<Rc<Model>>,
    pub blob: Option<web_sys::Blob>,
    pub index: Rc<LaneIndex>,
    pub filter: Filter,
    pub selected: Option<u32>,
    pub round: Option<usize>,
    pub focus: Focus,
    pub step: Option<u32>,
    pub panel: Panel,
    pub round_page: usize,
    /// The rounds table lists the slowest first instead of in time order.
    pub by_latency: bool,
    pub help: bool,
    /// The rounds' conformance to a model, as the worker decides them.
    pub conform: Rc<Conformance>,
    /// The rounds table lists only rounds the model cannot produce.
    pub mismatches_only: bool,
}

impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        std::ptr::eq(self, other)
    }
}

pub enum Action {
    Reading {
        name: String,
        bytes: u64,
        total: u64,
    },
    Building(String),
    Loaded(Rc<Model>, web_sys::Blob),
    Failed(String),
    Cancelled,
    Select(Option<u32>),
    SelectRound(usize),
    RoundPage(usize),
    RoundOrder(bool),
    ToggleCpu(u16),
    ToggleCat(Cat),
    Text(String),
    Fit,
    StepMode(bool),
    ToggleStep,
    Step(i64),
    StepTo(u32),
    Panel(Panel),
    ToggleHelp,
    /// A conformance job started on these rounds (all when empty); `play` opens that
    /// round in the stepper once decided.
    ConformBegin {
        rounds: usize,
        play: Option<u32>,
    },
    Conform(ConformReply),
    /// Check against another bundled model from now on.
    ConformModel(String),
    MismatchesOnly(bool),
    /// The round asked for has been handed to the stepper.
    Played,
}

pub const ROUNDS_PER_PAGE: usize = 100;

impl Default for TraceLab {
    fn default() -> TraceLab {
        TraceLab {
            load: Load::Idle,
            model: None,
            blob: None,
            index: Rc::default(),
            filter: Filter::default(),
            selected: None,
            round: None,
            focus: Focus { t0: 0.0, t1: 1.0, gen: 0 },
            step: None,
            panel: Panel::Rounds,
            round_page: 0,
            by_latency: false,
            help: false,
            conform: Rc::default(),
            mismatches_only: false,
        }
    }
}

impl TraceLab {
    fn reindex(&mut self) {
        let Some(m) = &self.model else { return };
        let syms = (!self.filter.text.is_empty()).then(|| {
            let needle = self.filter.text.to_lowercase();
            (0..m.trace.names.len()).map(|s| m.trace.names.get(s as u32).to_lowercase().contains(&needle)).collect()
        });
        let f = &self.filter;
        self.index = Rc::new(m.index(|e| f.keeps(e, &syms)));
    }

    fn refocus(&mut self, t0: f64, t1: f64) {
        self.focus = Focus { t0, t1, gen: self.focus.gen + 1 };
    }

    /// Zoom so the event sits in the middle of a window a thousandth of the trace wide
    /// (or the current request's width when that is narrower).
    fn focus_event(&mut self, i: u32) {
        let Some(m) = &self.model else { return };
        let Some(e) = m.event(i) else { return };
        let w = (m.end as f64 / 1000.0).max(50.0);
        let t = e.ts as f64;
        self.refocus(t - w / 2.0, t + w / 2.0);
    }

    /// The first event the filter shows from `start` (inclusive) in direction `dir` (±1).
    fn shown_from(&self, start: i64, dir: i64) -> Option<u32> {
        let m = self.model.as_ref()?;
        let n = m.trace.events.len() as i64;
        let dir = if dir < 0 { -1 } else { 1 };
        let mut i = start;
        let syms = (!self.filter.text.is_empty()).then(|| {
            let needle = self.filter.text.to_lowercase();
            (0..m.trace.names.len()).map(|s| m.trace.names.get(s as u32).to_lowercase().contains(&needle)).collect()
        });
        while (0..n).contains(&i) {
            if self.filter.keeps(&m.trace.events[i as usize], &syms) {
                return Some(i as u32);
            }
            i += dir;
        }
        None
    }
}

impl Reducible for TraceLab {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Reading { name, bytes, total } => s.load = Load::Reading { name, bytes, total },
            Action::Building(name) => s.load = Load::Building { name },
            Action::Loaded(m, blob) => {
                let end = m.end as f64;
                s = TraceLab { panel: s.panel, help: s.help, by_latency: s.by_latency, ..TraceLab::default() };
                s.conform = Rc::new(Conformance::for_model(&m));
                s.model = Some(m);
                s.blob = Some(blob);
                s.reindex();
                s.refocus(0.0, end);
            }
            Action::Failed(msg) => s.load = Load::Failed(msg),
            Action::Cancelled => {
                let name = match &s.load {
                    Load::Reading { name, .. } | Load::Building { name } => name.clone(),
                    _ => String::new(),
                };
                s.load = Load::Cancelled(name);
            }
            Action::Select(i) => {
                s.selected = i;
                if i.is_some() {
                    s.panel = Panel::Details;
                }
                if s.step.is_some() {
                    s.step = i.or(s.step);
                }
            }
            Action::SelectRound(r) => {
                let Some(m) = &s.model else { return self };
                let Some(round) = m.rounds.get(r) else { return self };
                let end = round.end.or_else(|| round.targets.iter().filter_map(|t| t.done.or(t.received)).max());
                let (a, b) = (round.start as f64, end.unwrap_or(round.start) as f64);
                let pad = ((b - a) * 0.15).max(50.0);
                s.round = Some(r);
                let pos = if s.by_latency { m.slowest.iter().position(|&x| x == r).unwrap_or(0) } else { r };
                s.round_page = pos / ROUNDS_PER_PAGE;
                s.selected = Some(round.start_idx);
                if s.step.is_some() {
                    s.step = Some(round.start_idx);
                }
                s.refocus(a - pad, b + pad);
            }
            Action::RoundPage(p) => s.round_page = p,
            Action::RoundOrder(by_latency) => {
                s.by_latency = by_latency;
                s.round_page = 0;
            }
            Action::ToggleCpu(c) => {
                s.filter.hidden_cpus ^= 1u64 << c.min(63);
                s.reindex();
            }
            Action::ToggleCat(c) => {
                s.filter.cats ^= c.bit();
                s.reindex();
            }
            Action::Text(t) => {
                if t == s.filter.text {
                    return self;
                }
                s.filter.text = t;
                s.reindex();
            }
            Action::Fit => {
                let Some(m) = &s.model else { return self };
                let end = m.end as f64;
                s.refocus(0.0, end);
            }
            Action::StepMode(on) => {
                s.step = if on { s.selected.or_else(|| s.shown_from(0, 1)) } else { None };
                if let Some(i) = s.step {
                    s.selected = Some(i);
                    s.focus_event(i);
                }
            }
            Action::ToggleStep => return self.reduce(Action::StepMode(s.step.is_none())),
            Action::Step(dir) => {
                let from = s.step.or(s.selected).unwrap_or(0);
                let Some(i) = s.shown_from(from as i64 + dir.signum(), dir) else { return self };
                s.step = Some(i);
                s.selected = Some(i);
                s.panel = Panel::Details;
                s.focus_event(i);
            }
            Action::StepTo(i) => {
                let Some(m) = &s.model else { return self };
                if i as usize >= m.trace.events.len() {
                    return self;
                }
                s.step = Some(i);
                s.selected = Some(i);
                s.focus_event(i);
            }
            Action::Panel(p) => s.panel = p,
            Action::ToggleHelp => s.help = !s.help,
            Action::ConformBegin { rounds, play } => {
                let c = Rc::make_mut(&mut s.conform);
                c.running = true;
                c.planned = rounds;
                c.error = None;
                c.play = play;
            }
            Action::Conform(r) => Rc::make_mut(&mut s.conform).apply(r),
            Action::ConformModel(id) => {
                let origin = s.model.as_ref().and_then(|m| m.origin.clone());
                let scenario = origin.filter(|(m, _)| *m == id).map(|(_, sc)| sc);
                s.conform = Rc::new(Conformance { model: id, scenario, ..Conformance::default() });
                s.mismatches_only = false;
            }
            Action::MismatchesOnly(on) => {
                s.mismatches_only = on;
                s.round_page = 0;
            }
            Action::Played => Rc::make_mut(&mut s.conform).play = None,
        }
        Rc::new(s)
    }
}
