//! G-USERMODE-WINDOW (algorithms.md §0.4): a responder that acknowledges before it
//! invalidates (`ack_window(va)`) must not touch `va` until the invalidation, whatever
//! its TLB holds at that moment. The window is per CPU and part of the state.

use super::*;

impl Machine {
    pub(super) fn open_window(&self, s: &mut State, c: usize, va: i32, fx: &mut Vec<Effect>) {
        let cpu = &mut s.cpus[c];
        cpu.window = Some(Window { aspace: cpu.aspace, va });
        fx.push(Effect::WindowOpen { cpu: c as u8, va });
    }

    /// Close CPU c's window if an invalidation of (aspace, va) covers it; `va` None is a
    /// flush of the whole address space, `aspace` None the responder's own decision.
    pub(super) fn close_window(
        &self,
        s: &mut State,
        c: usize,
        aspace: Option<u8>,
        va: Option<i32>,
        fx: &mut Vec<Effect>,
    ) {
        let cpu = &mut s.cpus[c];
        if let Some(w) = cpu.window {
            if aspace.is_none_or(|a| a == w.aspace) && va.is_none_or(|v| v == w.va) {
                cpu.window = None;
                fx.push(Effect::WindowClose { cpu: c as u8, va: w.va });
            }
        }
    }

    /// The violation of a user access by CPU c to `va` in its current address space, if
    /// its window is open on that page.
    pub(super) fn window_violation(&self, s: &State, c: usize, va: i32, write: bool) -> Option<Violation> {
        let cpu = &s.cpus[c];
        let w = cpu.window?;
        (w.aspace == cpu.aspace && w.va == va).then(|| Violation {
            property: "G-USERMODE-WINDOW",
            cpu: c as u8,
            message: format!(
                "CPU {c} {} va {va:#x} after acknowledging its invalidation and before invalidating it{}: the initiator may already have reused the page",
                if write { "wrote" } else { "read" },
                if cpu.in_nmi() { " (from an NMI handler)" } else { "" }
            ),
        })
    }
}
