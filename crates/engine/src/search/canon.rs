//! The breadth-first search's side of CPU symmetry (machine/symmetry): every successor is
//! replaced by a representative of its orbit before it is fingerprinted and kept, so the
//! search stores one state per orbit it meets; and a schedule found among representatives
//! is turned back into a schedule of the machine as it is, which the stepper can play.
//!
//! Distances are kept: renaming maps a run to a run of the same length, so the shortest
//! counterexample among representatives is as short as the shortest one of the full
//! search (tests/symmetry.rs compares them).

use crate::machine::{Choice, Effect, Machine, State, Symmetry};

/// The symmetry in force and the buffers for picking representatives.
pub(crate) struct Canon {
    sym: Symmetry,
    rep: State,
    perm: Vec<u8>,
}

impl Canon {
    /// The reduction for `m`'s configuration, if the analysis found interchangeable CPUs.
    pub fn new(m: &Machine) -> (Option<Canon>, String) {
        let sym = m.symmetry();
        let text = sym.describe();
        let canon = sym.reduces().then(|| Canon { sym, rep: m.initial(), perm: Vec::new() });
        (canon, text)
    }

    /// Replace `s` by its orbit's representative.
    pub fn represent(&mut self, s: &mut State) {
        self.sym.representative(s, &mut self.rep, &mut self.perm);
        std::mem::swap(s, &mut self.rep);
    }

    /// A second picker for another thread (level.rs): the same symmetry, its own buffers.
    pub fn fork(&self, m: &Machine) -> Canon {
        Canon { sym: self.sym.clone(), rep: m.initial(), perm: Vec::new() }
    }

    /// `path` is a schedule among representatives: choice i was taken in the
    /// representative reached by the first i choices. Returns the same run from the
    /// initial state of the machine as it is, CPU numbers renamed step by step.
    pub fn concrete(&mut self, m: &Machine, path: &[Choice]) -> Vec<Choice> {
        let n = m.ncpu();
        // `to_rep[x]`: the CPU that concrete CPU x is in the current representative.
        let mut to_rep: Vec<u8> = (0..n as u8).collect();
        let mut back = vec![0u8; n];
        let mut s = m.initial();
        let mut fx: Vec<Effect> = Vec::new();
        let mut out = Vec::with_capacity(path.len());
        for (i, &c) in path.iter().enumerate() {
            for (x, &r) in to_rep.iter().enumerate() {
                back[r as usize] = x as u8;
            }
            out.push(self.sym.permute_choice(&back, c));
            if i + 1 == path.len() {
                break;
            }
            fx.clear();
            if m.step(&mut s, c, &mut fx).is_err() {
                break;
            }
            self.sym.representative(&s, &mut self.rep, &mut self.perm);
            std::mem::swap(&mut s, &mut self.rep);
            for r in to_rep.iter_mut() {
                *r = self.perm[*r as usize];
            }
        }
        out
    }
}
