//! The stepper's state as Yew holds it: the browser-free `Pane` of `sdlab-lab` behind one
//! `Rc<RefCell<…>>`, mutated in place by `Pane::apply`; every action bumps `version`,
//! which is what Yew compares, so a step costs O(1) and not a copy of the history.

pub use sdlab_lab::state::*;
use std::cell::RefCell;
use std::rc::Rc;
use yew::Reducible;

#[derive(Clone)]
pub struct Lab {
    pub inner: Rc<RefCell<Pane>>,
    pub version: u64,
}

impl PartialEq for Lab {
    fn eq(&self, other: &Self) -> bool {
        self.same_pane(other) && self.version == other.version
    }
}

impl Lab {
    /// The same pane, whatever the version: one `Rc` for the page's life, so a component
    /// that reads the pane only when asked (not while drawing) compares labs with this.
    pub fn same_pane(&self, other: &Lab) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    pub fn new() -> Lab {
        Lab { inner: Rc::new(RefCell::new(Pane::opening())), version: 0 }
    }

    /// The stepper as the page's address asks for it: a permalink, or the default; or a
    /// kernel trace's round the Traces mode has just asked to play.
    pub fn from_location() -> Lab {
        let lab = Lab::new();
        if let Some(g) = super::guide::take() {
            lab.inner.borrow_mut().apply(Action::LoadGuide(Box::new(g)));
            return lab;
        }
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        let frag = hash.trim_start_matches('#');
        if !frag.is_empty() {
            lab.inner.borrow_mut().open_link(frag);
        }
        lab
    }
}

impl Default for Lab {
    fn default() -> Self {
        Lab::new()
    }
}

impl Reducible for Lab {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        self.inner.borrow_mut().apply(action);
        Rc::new(Lab { inner: self.inner.clone(), version: self.version + 1 })
    }
}
