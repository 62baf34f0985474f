//! x86-TSO store buffers (reserved option `hw_tso`, docs/model-language.md "Store
//! buffers"). Each CPU queues its plain stores to shared words in a FIFO; its own loads
//! see its newest queued store to the word (forwarding), other CPUs see memory. A
//! `Choice::Drain` commits the oldest entry. This is the x86-TSO model of Owens, Sarkar
//! and Sewell: the one reordering x86 allows is a load overtaking the CPU's older stores
//! to other words (the SB litmus test, research §0.3).
//!
//! Interrupt and NMI delivery commit the buffer before the handler's first instruction.
//! The SDM does not list event delivery among the serializing instructions (vol. 3A §9.3,
//! §8.3 before 2024; IRET is one), but its P6-family performance event SB_DRAINS (vol.
//! 3B, "Performance-Monitoring Events") names interrupt acknowledgment among what drains
//! the store buffer. Without the drain a handler could read another CPU's word before
//! its own CPU's older stores were visible, as in the SB litmus test with the load moved
//! into the handler (tests/tso.rs).
//!
//! Instructions that wait for the buffer to empty on x86 commit it in their own step,
//! oldest first, each commit an effect, instead of being disabled until drain choices
//! have emptied it: a drain is a choice of its own in every state, so both readings
//! reach the same states, and this one gives shorter counterexamples.

use super::*;
use crate::lang::program::FenceKind;

/// Entries per store buffer. A store into a full buffer first commits the oldest entry:
/// on x86 it would stall until that commit, and since a drain is always a choice of its
/// own this allows exactly the same orders. Real buffers hold dozens of stores; the
/// models store at most a few words between two barriers, and every entry multiplies
/// the states the checker visits.
pub const STORE_BUFFER_SIZE: usize = 2;
// `State::encode` keeps a buffer's length in 4 bits of the CPU's header word.
const _: () = assert!(STORE_BUFFER_SIZE < 16);

/// What a CPU with store buffer `sb` reads at `addr`: its newest buffered store to the
/// word, else memory.
pub(super) fn forward(mem: &[i32], sb: &[Store], addr: u32) -> Option<i32> {
    match sb.iter().rev().find(|e| e.addr == addr) {
        Some(e) => Some(e.value),
        None => mem.get(addr as usize).copied(),
    }
}

/// Whether an instruction waits for the store buffer to empty before it runs: locked
/// instructions and MFENCE, the serialising ones (INVLPG, MOV to CR3: Intel SDM vol. 3A
/// §9.3 "Serializing Instructions", §8.3 in editions before 2024), and the kernel
/// operations the models abstract that are locked on x86 (the PTE read-modify-writes
/// pte_clear, pte_clear_dirty and pte_cmpset, which kernels do with XCHG or LOCK
/// CMPXCHG; the page allocator). `pte_set` is not among them: Linux's set_pte and
/// FreeBSD's pte_store are plain MOVs, so the new PTE waits in the buffer like any other
/// store (`store_pte`). `send_ipi` is one too: an xAPIC ICR write is an uncached store, which
/// leaves after every older store, and before an x2APIC WRMSR (not serialising) Linux
/// puts weak_wrmsr_fence(); FreeBSD's shootdown relies on the same order (research
/// §1.7). Plain loads and stores, user accesses, IF, pin and critical-depth changes,
/// EOI and acquire/release fences (no-ops under TSO) do not wait.
pub(super) fn drains_first(kind: &Kind) -> bool {
    match kind {
        Kind::Fence(k) => *k == FenceKind::SeqCst,
        Kind::Rmw { .. }
        | Kind::Dcas { .. }
        | Kind::SendIpi { .. }
        | Kind::Invlpg(_)
        | Kind::FlushTlb
        | Kind::LoadCr3 { .. }
        | Kind::SwitchTo(_)
        | Kind::PteClear { .. }
        | Kind::PteClearDirty { .. }
        | Kind::PteCmpset { .. }
        | Kind::Alloc { .. }
        | Kind::Free(_)
        | Kind::PageClean(_)
        | Kind::PageSave(_) => true,
        _ => false,
    }
}

impl Machine {
    /// A plain store to a shared word: to memory, or under TSO into the store buffer.
    pub(super) fn store(&self, s: &mut State, c: usize, addr: u32, value: i32, fx: &mut Vec<Effect>) {
        if !self.hw.tso {
            let old = std::mem::replace(&mut s.mem[addr as usize], value);
            fx.push(Effect::Write { cpu: c as u8, addr, old, new: value });
            return;
        }
        if s.cpus[c].sb.len() >= STORE_BUFFER_SIZE {
            self.drain_one(s, c, fx);
        }
        s.cpus[c].sb.push(Store { addr, value });
        fx.push(Effect::StoreBuffered { cpu: c as u8, addr, value });
    }

    /// A `pte_set`: a plain store of the whole PTE (set_pte, pte_store), to the page
    /// table, or under TSO into the store buffer, where only this CPU's kernel reads see
    /// it (`pte_view`) until it commits.
    pub(super) fn store_pte(&self, s: &mut State, c: usize, slot: usize, new: Pte, fx: &mut Vec<Effect>) {
        if !self.hw.tso {
            let old = std::mem::replace(&mut s.ptes[slot], new);
            fx.push(Effect::PteWrite { slot: slot as u16, old, new });
            return;
        }
        if s.cpus[c].sb.len() >= STORE_BUFFER_SIZE {
            self.drain_one(s, c, fx);
        }
        let e = Store { addr: PTE_STORE | slot as u32, value: new.word() as i32 };
        s.cpus[c].sb.push(e);
        fx.push(Effect::StoreBuffered { cpu: c as u8, addr: e.addr, value: e.value });
    }

    /// The PTE in `slot` as CPU c's own plain loads see it: its newest buffered
    /// `pte_set` of the slot, else the page table.
    pub(super) fn pte_view(&self, s: &State, c: usize, slot: usize) -> Pte {
        match s.cpus[c].sb.iter().rev().find(|e| e.pte_slot() == Some(slot)) {
            Some(e) => Pte::from_word(e.value as u32),
            None => s.ptes[slot],
        }
    }

    /// Before CPU c walks its page table for a user access: a walk sees the CPU's own
    /// earlier PTE stores (kernels map a page and touch it at once with nothing between,
    /// as i386's kmap_atomic does), and sets the accessed and dirty bits with locked
    /// operations (SDM vol. 3A §9.1.2.1 "Automatic Locking", §8.1.2.1 before 2024),
    /// which wait for the older stores. So a walk with a PTE store in the buffer
    /// commits the buffer first, oldest first. Another CPU's walk reads memory.
    pub(super) fn drain_for_walk(&self, s: &mut State, c: usize, fx: &mut Vec<Effect>) {
        if self.hw.tso && s.cpus[c].sb.iter().any(|e| e.pte_slot().is_some()) {
            self.drain_all(s, c, fx);
        }
    }

    /// Commit CPU c's oldest buffered store to memory, or to the page table for a
    /// buffered `pte_set`; false if the buffer is empty.
    pub(super) fn drain_one(&self, s: &mut State, c: usize, fx: &mut Vec<Effect>) -> bool {
        let cpu = &mut s.cpus[c];
        if cpu.sb.is_empty() {
            return false;
        }
        let e = cpu.sb.remove(0);
        if let Some(slot) = e.pte_slot() {
            let new = Pte::from_word(e.value as u32);
            let old = std::mem::replace(&mut s.ptes[slot], new);
            fx.push(Effect::PteWrite { slot: slot as u16, old, new });
            return true;
        }
        let old = std::mem::replace(&mut s.mem[e.addr as usize], e.value);
        fx.push(Effect::StoreCommitted { cpu: c as u8, addr: e.addr, old, new: e.value });
        true
    }

    /// Commit all of CPU c's buffered stores, oldest first.
    pub(super) fn drain_all(&self, s: &mut State, c: usize, fx: &mut Vec<Effect>) {
        while self.drain_one(s, c, fx) {}
    }
}
