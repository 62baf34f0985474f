//! A stepper run handed to the Traces mode: the Algorithms mode leaves the run's trace
//! here and switches modes; the Traces mode takes it when it mounts. One slot, one tab.

use sdlab_trace::Trace;
use std::cell::RefCell;

/// What the Traces mode opens: a name, the trace, and the text its events point into (one
/// line per step, so an event's details show the narration of the step that made it).
pub struct Run {
    pub name: String,
    pub trace: Trace,
    pub text: String,
    /// The bundled model and scenario that made the run: conformance checks against them.
    pub origin: Option<(String, String)>,
}

thread_local! {
    static PENDING: RefCell<Option<Run>> = const { RefCell::new(None) };
}

pub fn offer(run: Run) {
    PENDING.with(|p| *p.borrow_mut() = Some(run));
}

pub fn take() -> Option<Run> {
    PENDING.with(|p| p.borrow_mut().take())
}
