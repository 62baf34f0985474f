//! Page walks through an address space's upper-level entry, and the paging-structure
//! cache that remembers it (Intel SDM vol. 3A §4.10.3, "Paging-Structure Caches").
//!
//! A model that declares `map SPACE VA table;` gives SPACE one page-table page: the
//! frame of that mapping, holding every other PTE of SPACE (the models' pages all sit in
//! one 2 MiB region, so one page-directory entry covers them). A walk reads the
//! upper-level entry, unless the CPU caches it, and then the PTE in the page-table page.
//! The cache keeps pointing at the page after the kernel unhooks and frees it, until
//! an invalidation drops it; a walk through it then reads freed memory as a page table
//! (algorithms.md §7.9 LX3, §8.5 AX4). A model without a `table` mapping walks straight to
//! its PTEs, exactly as before the cache existed.

use super::*;

/// Where a walk for one PTE ends.
pub(super) enum Walk {
    /// Not present, at the upper level or at the PTE.
    Fault,
    /// The page-table page the walk reads was freed since the upper-level entry pointing
    /// to it was read (`cached`: the CPU's paging-structure cache still held it).
    Freed {
        frame: u16,
        cached: bool,
    },
    Leaf(Pte),
}

impl Machine {
    /// The `table` slot of address space `asp`, if it has one.
    pub(super) fn table_of(&self, asp: u8) -> Option<usize> {
        self.slots.iter().position(|sl| sl.table && sl.aspace == asp)
    }

    /// Walk CPU c's page table to the PTE in `slot`: through its paging-structure-cache
    /// entry for the address space, else through the upper-level entry in memory, which
    /// the walk then caches (SDM §4.10.3.1: a walk may cache any upper-level entry it
    /// uses, speculative walks included). Reads memory: the caller commits the CPU's
    /// buffered PTE stores first (`drain_for_walk`).
    pub(super) fn walk(&self, s: &mut State, c: usize, slot: usize, fx: &mut Vec<Effect>) -> Walk {
        let asp = self.slots[slot].aspace;
        if let Some(t) = self.table_of(asp) {
            let cached = s.cpus[c].psc.iter().find(|e| e.aspace == asp).copied();
            let e = match cached {
                Some(e) => e,
                None => {
                    let pde = s.ptes[t];
                    if !pde.present {
                        return Walk::Fault;
                    }
                    let gen = s.frames[pde.frame as usize].gen_for_translation();
                    let e = PscEntry { aspace: asp, frame: pde.frame, gen };
                    let cpu = &mut s.cpus[c];
                    cpu.psc.push(e);
                    cpu.psc.sort_unstable_by_key(|e| e.aspace);
                    fx.push(Effect::PscFill { cpu: c as u8, aspace: asp, frame: pde.frame });
                    e
                }
            };
            if !s.frames[e.frame as usize].holds(e.gen) {
                return Walk::Freed { frame: e.frame, cached: cached.is_some() };
            }
        }
        let pte = s.ptes[slot];
        if pte.present {
            Walk::Leaf(pte)
        } else {
            Walk::Fault
        }
    }

    /// Whether a speculative walk by CPU c for `slot` would change anything: fill the
    /// TLB, fill the paging-structure cache, or read a freed page-table page. Judged on
    /// what the CPU sees, its own buffered PTE stores included, since the walk commits
    /// them first. The upper level is walked even when the TLB caches the page: the
    /// page-table page holds the PTEs of 512 pages, most of which no model declares, and
    /// the walker may speculate on any of them; `slot` stands for them all.
    pub(super) fn fill_changes(&self, s: &State, c: usize, slot: usize) -> bool {
        let cpu = &s.cpus[c];
        let sl = self.slots[slot];
        if sl.table || sl.aspace != cpu.aspace {
            return false;
        }
        if let Some(t) = self.table_of(sl.aspace) {
            match cpu.psc.iter().find(|e| e.aspace == sl.aspace) {
                Some(e) if !s.frames[e.frame as usize].holds(e.gen) => return true,
                Some(_) => {}
                None if self.pte_view(s, c, t).present => return true,
                None => return false,
            }
        }
        !self.tlb_has(cpu, sl) && self.pte_view(s, c, slot).present
    }

    pub(super) fn tlb_has(&self, cpu: &Cpu, sl: Slot) -> bool {
        cpu.tlb.iter().any(|e| e.aspace == sl.aspace && e.va == sl.va)
    }

    /// The G-STALE violation of a walk that read freed page-table page `frame`.
    pub(super) fn freed_table_violation(&self, c: usize, va: i32, frame: u16, cached: bool) -> Violation {
        Violation {
            property: Property::Stale,
            cpu: c as u8,
            message: format!(
                "use after free: CPU {c}'s page walk for va {va:#x} reads frame {frame} as a page table through {}, but that page-table page has been freed since: whatever now fills it becomes a translation",
                if cached { "its paging-structure cache" } else { "the upper-level entry" }
            ),
        }
    }

    /// Drop CPU c's paging-structure-cache entries of `asp` (all of them for `None`).
    /// INVLPG drops every entry of the current PCID, whatever the address (SDM §4.10.4.1),
    /// as does a CR3 load that does not preserve the PCID's entries.
    pub(super) fn psc_drop(&self, s: &mut State, c: usize, asp: Option<u8>, fx: &mut Vec<Effect>) {
        let cpu = &mut s.cpus[c];
        let before = cpu.psc.len();
        cpu.psc.retain(|e| asp.is_some_and(|a| a != e.aspace));
        let removed = (before - cpu.psc.len()) as u8;
        if removed > 0 {
            fx.push(Effect::PscFlush { cpu: c as u8, removed });
        }
    }
}
