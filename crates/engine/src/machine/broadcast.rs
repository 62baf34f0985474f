//! AMD INVLPGB/TLBSYNC (algorithms.md §7.6). INVLPGB records an invalidation in flight
//! for its issuer; it reaches each CPU's TLB as a separate environment choice
//! (`Choice::Bcast`), like a speculative fill. TLBSYNC waits until every broadcast *this*
//! CPU issued has reached every TLB: a thread that migrates in between waits on the
//! wrong CPU's (empty) record.

use super::*;

/// Broadcasts in flight at once; beyond, the model is probably issuing in a loop.
const MAX_BCAST: usize = 32;

impl Machine {
    pub(super) fn invlpgb(
        &self,
        s: &mut State,
        c: usize,
        aspace: i32,
        va: i32,
        fx: &mut Vec<Effect>,
    ) -> Result<(), RunError> {
        if aspace < 0 || aspace as usize >= self.prog.aspaces.len() {
            return Err(RunError::NoAddressSpace { op: "invlpgb", aspace });
        }
        if s.bcast.len() >= MAX_BCAST {
            return Err(RunError::TooManyBroadcasts { max: MAX_BCAST });
        }
        s.bcast.push(Bcast { issuer: c as u8, aspace: aspace as u8, va, pending: self.all_cpus() });
        fx.push(Effect::BcastIssue { cpu: c as u8, aspace: aspace as u8, va });
        Ok(())
    }

    /// Whether TLBSYNC on CPU c still waits.
    pub(super) fn tlbsync_waits(&self, s: &State, c: usize) -> bool {
        s.bcast.iter().any(|b| b.issuer as usize == c)
    }

    /// The `Choice::Bcast` choices enabled in `s`, for CPU c.
    pub(super) fn bcast_choices(&self, s: &State, c: usize, out: &mut Vec<Choice>) {
        for (k, b) in s.bcast.iter().enumerate() {
            if b.pending & (1 << c) != 0 {
                out.push(Choice::Bcast(c as u8, k as u8));
            }
        }
    }

    /// Broadcast k reaches CPU c's TLB. False when no broadcast k is on its way to c.
    pub(super) fn bcast_reach(&self, s: &mut State, c: usize, k: usize, fx: &mut Vec<Effect>) -> bool {
        let b = match s.bcast.get(k) {
            Some(b) if b.pending & (1 << c) != 0 => *b,
            _ => return false,
        };
        let cpu = &mut s.cpus[c];
        let before = cpu.tlb.len();
        cpu.tlb.retain(|e| !(e.aspace == b.aspace && e.va == b.va));
        let removed = (before - cpu.tlb.len()) as u8;
        fx.push(Effect::BcastReach { cpu: c as u8, issuer: b.issuer, va: b.va, removed });
        // The model's INVLPGB drops the upper-level entries cached for the address space
        // too: Linux's form when page tables are freed (__invlpgb_flush_user_nr_nosync in
        // arch/x86/include/asm/tlb.h sets INVLPGB_FINAL_ONLY only when none are). The
        // final-translation-only form, which keeps them, is not modelled.
        self.psc_drop(s, c, Some(b.aspace), fx);
        self.close_window(s, c, Some(b.aspace), Some(b.va), fx);
        let left = b.pending & !(1 << c);
        if left == 0 {
            s.bcast.remove(k);
        } else {
            s.bcast[k].pending = left;
        }
        true
    }
}
