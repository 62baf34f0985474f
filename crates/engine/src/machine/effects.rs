//! Typed records of what a step changed. The UI animates these; it never diffs states.

use super::state::{Pte, TlbEntry};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    Read {
        cpu: u8,
        addr: u32,
        value: i32,
    },
    Write {
        cpu: u8,
        addr: u32,
        old: i32,
        new: i32,
    },
    Rmw {
        cpu: u8,
        addr: u32,
        old: i32,
        new: i32,
    },
    /// A plain store went into the CPU's store buffer (option hw_tso): only it sees it.
    StoreBuffered {
        cpu: u8,
        addr: u32,
        value: i32,
    },
    /// The CPU's oldest buffered store reached memory: now every CPU sees it.
    StoreCommitted {
        cpu: u8,
        addr: u32,
        old: i32,
        new: i32,
    },
    Fence {
        cpu: u8,
    },
    Interrupts {
        cpu: u8,
        enabled: bool,
    },
    Critical {
        cpu: u8,
        depth: u16,
    },
    Pinned {
        cpu: u8,
        depth: u16,
    },
    IpiSent {
        cpu: u8,
        targets: u32,
        vector: u8,
    },
    /// The target's IRR bit was set.
    IpiPending {
        cpu: u8,
        vector: u8,
    },
    /// The IRR bit was already set: the two IPIs merge into one.
    IpiMerged {
        cpu: u8,
        vector: u8,
    },
    /// The LAPIC has no room while the vector is in service (option hw_irr_latch off).
    IpiDropped {
        cpu: u8,
        vector: u8,
    },
    /// The environment lost a pending IPI (`Choice::Lose`, option `hw_ipi_loss`).
    IpiLost {
        cpu: u8,
        vector: u8,
    },
    IrqEnter {
        cpu: u8,
        vector: u8,
    },
    Eoi {
        cpu: u8,
        vector: u8,
    },
    Iret {
        cpu: u8,
        vector: u8,
    },
    NmiEnter {
        cpu: u8,
    },
    NmiLatched {
        cpu: u8,
    },
    NmiExit {
        cpu: u8,
    },
    PteWrite {
        slot: u16,
        old: Pte,
        new: Pte,
    },
    PteRead {
        cpu: u8,
        slot: u16,
    },
    TlbFill {
        cpu: u8,
        entry: TlbEntry,
    },
    TlbInvalidate {
        cpu: u8,
        va: i32,
        removed: u8,
    },
    TlbFlush {
        cpu: u8,
        removed: u8,
    },
    /// A walk cached the upper-level entry of `aspace`, pointing to page-table page `frame`.
    PscFill {
        cpu: u8,
        aspace: u8,
        frame: u16,
    },
    /// A page walk read page-table page `frame`, freed since the upper-level entry
    /// pointing to it was read (`cached`: from the paging-structure cache).
    WalkFreed {
        cpu: u8,
        va: i32,
        frame: u16,
        cached: bool,
    },
    /// An invalidation dropped paging-structure-cache entries.
    PscFlush {
        cpu: u8,
        removed: u8,
    },
    UserAccess {
        cpu: u8,
        va: i32,
        frame: u16,
        write: bool,
        stale: bool,
    },
    DirtyAssist {
        cpu: u8,
        slot: u16,
    },
    PageFault {
        cpu: u8,
        va: i32,
    },
    FrameAlloc {
        cpu: u8,
        frame: u16,
    },
    FrameFree {
        cpu: u8,
        frame: u16,
    },
    FrameClean {
        cpu: u8,
        frame: u16,
    },
    /// `page_save`: the frame's contents are written out (the I/O).
    FrameSave {
        cpu: u8,
        frame: u16,
    },
    AddressSpace {
        cpu: u8,
        aspace: u8,
    },
    Call {
        cpu: u8,
        proc: u16,
    },
    ThreadDone {
        cpu: u8,
    },
    /// A context switch: CPU `cpu` queues thread `from` (`NO_THREAD` if it was idle) and
    /// runs thread `to`; `gave` when `from` gave up the CPU (it waits, or yields) rather
    /// than being preempted.
    Switch {
        cpu: u8,
        from: u8,
        to: u8,
        gave: bool,
    },
    /// Queued thread `thread` moves from CPU `from`'s run queue to CPU `to`'s.
    Migrate {
        thread: u8,
        from: u8,
        to: u8,
    },
    /// CPU `cpu`'s thread executes `yield()`: `gave` when a thread of its priority or
    /// higher takes the CPU (a `Switch` follows), else it runs on.
    Yield {
        cpu: u8,
        gave: bool,
    },
    /// Thread `thread` blocks on wait channel `chan` and leaves CPU `cpu` idle; with
    /// `timo`, a callout may wake it.
    Sleep {
        cpu: u8,
        thread: u8,
        chan: i32,
        timo: bool,
    },
    /// CPU `cpu` wakes the `woken` threads blocked on `chan`.
    Wakeup {
        cpu: u8,
        chan: i32,
        woken: u8,
    },
    /// The callout of thread `thread`, asleep with CPU `cpu` as its home, fires.
    Timeout {
        cpu: u8,
        thread: u8,
    },
    /// `ack_window`: CPU `cpu` acknowledged before invalidating `va`.
    WindowOpen {
        cpu: u8,
        va: i32,
    },
    /// The window closed: the invalidation ran, or the responder found nothing to do.
    WindowClose {
        cpu: u8,
        va: i32,
    },
    /// `retire`: the owner may reuse the word from now on.
    Retire {
        cpu: u8,
        addr: u32,
    },
    /// INVLPGB: an invalidation of (aspace, va) is on its way to every CPU's TLB.
    BcastIssue {
        cpu: u8,
        aspace: u8,
        va: i32,
    },
    /// The broadcast issued by `issuer` reached CPU `cpu`'s TLB.
    BcastReach {
        cpu: u8,
        issuer: u8,
        va: i32,
        removed: u8,
    },
    /// TLBSYNC completed: every INVLPGB this CPU issued has reached every TLB.
    Tlbsync {
        cpu: u8,
    },
    /// A `ktr(...)` trace point: no state changed. `name` indexes `Program::ktr_names`
    /// (`Program::ktr_name`); the first `nargs` of `args` are the recorded values.
    Ktr {
        cpu: u8,
        name: u16,
        args: [i32; 3],
        nargs: u8,
    },
}

impl Effect {
    /// The values a `Ktr` effect records (empty for every other effect).
    pub fn ktr_args(&self) -> &[i32] {
        match self {
            Effect::Ktr { args, nargs, .. } => &args[..(*nargs as usize).min(args.len())],
            _ => &[],
        }
    }
}
