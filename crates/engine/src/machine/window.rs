//! G-USERMODE-WINDOW (algorithms.md §0.4): a responder that acknowledges before it
//! invalidates (`ack_window(va)`) must not use its cached translation of `va` until the
//! invalidation: an access that hits the TLB entry in the window is a violation, one that
//! misses walks the current page table and is not (issue #13). The window is per CPU and
//! part of the state.

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
    /// its window is open on that page and the access could use the translation the
    /// invalidation is meant to remove: its TLB still caches the page. An access that
    /// misses walks the page table as it is now (a paging-structure-cache entry points to
    /// the page-table page, not to a copy of its PTEs), so it sees the change and uses
    /// nothing stale (issue #13).
    pub(super) fn window_violation(&self, s: &State, c: usize, va: i32, write: bool) -> Option<Violation> {
        let cpu = &s.cpus[c];
        let w = cpu.window?;
        let hit = cpu.tlb.iter().any(|e| e.aspace == cpu.aspace && e.va == va);
        (w.aspace == cpu.aspace && w.va == va && hit).then(|| Violation {
            property: Property::UsermodeWindow,
            cpu: c as u8,
            message: format!(
                "CPU {c} {} va {va:#x} through the TLB entry it has acknowledged but not yet invalidated{}: the initiator may already have reused the page",
                if write { "wrote" } else { "read" },
                if cpu.in_nmi() { " (from an NMI handler)" } else { "" }
            ),
        })
    }
}
