//! The machine state: one plain value (`Clone + Eq + Hash`), no pointers, so that
//! snapshots, back-steps and the checker's visited set fall out of it.

use serde::Serialize;

#[derive(Debug, PartialEq, Eq, Hash, Serialize)]
pub struct State {
    /// Every shared and per-CPU word, laid out by `Machine::vars`.
    pub mem: Vec<i32>,
    pub cpus: Vec<Cpu>,
    /// One entry per declared (address space, va) slot, in `Machine::slots` order.
    pub ptes: Vec<Pte>,
    pub frames: Vec<PageFrame>,
    /// NMIs the environment may still inject (option `hw_nmi`).
    pub nmis_left: u8,
    /// IPIs the environment may still lose (option `hw_ipi_loss`).
    pub ipi_losses_left: u8,
    /// INVLPGB broadcasts still on their way to some CPU's TLB (`invlpgb`, §7.6).
    pub bcast: Vec<Bcast>,
    /// Request storage its owner has declared complete (`retire`): another CPU's access
    /// to it is G-MEM. Sorted by address.
    pub retired: Vec<Retired>,
    /// Runnable threads waiting on a CPU's run queue (scenario `thread` entries, or a
    /// thread preempted by a context switch), sorted by id so that one set of threads
    /// has one state. Always empty in a scenario without `thread` entries.
    pub threads: Vec<Thread>,
    /// Per CPU, the id of the thread it runs (`NO_THREAD` once that thread has exited).
    /// Empty in a scenario without `thread` entries, where each CPU runs one thread
    /// forever and the id would say nothing.
    pub current: Vec<u8>,
    /// Preemptions taken so far (a switch away from a thread that could still step),
    /// counted only under a preemption bound (`Machine::with_preemption_bound`): then the
    /// count is part of the state, so the search is exact for the bound. Always 0
    /// without one.
    pub preemptions: u8,
}

/// A thread that is not running: what a context switch or a sleep saves of it. Its IF
/// is 1 and its critical-section depth 0, since a switch and a sleep are only possible
/// there (`Machine::preemptible`, `Kind::Sleep`), so neither is stored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Thread {
    pub id: u8,
    /// The CPU whose run queue holds it.
    pub cpu: u8,
    /// `pin()` depth: a pinned thread is never migrated to another run queue.
    pub pin: u16,
    /// Its activations (thread context only) and their locals, as on a CPU.
    pub stack: Vec<Activation>,
    pub locals: Vec<i32>,
    /// `RUNNABLE`, or blocked: 1 + the wait channel it sleeps on, with `TIMO` set while
    /// a callout may wake it (`sleep_timo`). Encoded in the first word's top byte, which
    /// is 0 for a runnable thread, so models that never sleep keep their encoding.
    pub wait: u8,
}

/// `Thread::wait` of a thread on a run queue.
pub const RUNNABLE: u8 = 0;
/// `Thread::wait`'s flag of a sleep with a timeout.
pub const TIMO: u8 = 0x80;
/// Wait channels a model may use: 0 to this, exclusive.
pub const MAX_WCHAN: i32 = 0x7F;

impl Thread {
    /// Whether it is on its CPU's run queue (not blocked on a wait channel).
    pub fn runnable(&self) -> bool {
        self.wait == RUNNABLE
    }

    /// The wait channel it sleeps on, if blocked.
    pub fn wchan(&self) -> Option<i32> {
        (self.wait != RUNNABLE).then(|| i32::from(self.wait & !TIMO) - 1)
    }
}

/// `State::current` of a CPU whose thread has exited.
pub const NO_THREAD: u8 = u8::MAX;

/// One INVLPGB in flight: the invalidation of (aspace, va) still has to reach the TLB of
/// every CPU in `pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Bcast {
    pub issuer: u8,
    pub aspace: u8,
    pub va: i32,
    pub pending: u32,
}

/// A word of request storage its owner may reuse (`retire`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Retired {
    pub addr: u32,
    pub owner: u8,
}

/// An open acknowledgement window (`ack_window`): this CPU has acknowledged a request
/// to invalidate (aspace, va) and has not invalidated yet (G-USERMODE-WINDOW).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Window {
    pub aspace: u8,
    pub va: i32,
}

#[derive(Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Cpu {
    /// RFLAGS.IF: interrupts are delivered only when set.
    pub intr: bool,
    pub crit: u16,
    pub pin: u16,
    /// Loaded address space (CR3), `NO_ASPACE` for a kernel-only CPU.
    pub aspace: u8,
    /// LAPIC request and in-service bits, indexed by the model's vector index.
    pub irr: u32,
    pub isr: u32,
    /// A second NMI that arrived while the first is being handled.
    pub nmi_latch: bool,
    /// Call stack across contexts (thread, then interrupts nested on top).
    pub stack: Vec<Activation>,
    pub locals: Vec<i32>,
    pub tlb: Vec<TlbEntry>,
    /// Paging-structure cache (PDE cache, SDM vol. 3A §4.10.3): the page-table page a walk
    /// last found through an address space's `table` entry. Always empty in a model
    /// without one.
    pub psc: Vec<PscEntry>,
    /// The scenario's thread has returned; the CPU idles with IF=1.
    pub thread_done: bool,
    /// x86-TSO store buffer (option `hw_tso`), oldest first; always empty without it.
    pub sb: Vec<Store>,
    pub window: Option<Window>,
}

/// A store waiting in a CPU's store buffer: visible to that CPU, not yet to the others.
/// A `pte_set` is a plain store too (Linux's set_pte, FreeBSD's pte_store): its entry has
/// `addr` = [`PTE_STORE`] | the page-table slot and `value` = the PTE as [`Pte::word`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Store {
    pub addr: u32,
    pub value: i32,
}

/// Tag of a buffered store to a page-table entry (no shared word has this bit).
pub const PTE_STORE: u32 = 1 << 31;

impl Store {
    /// The page-table slot a buffered `pte_set` writes, if this is one.
    pub fn pte_slot(&self) -> Option<usize> {
        (self.addr & PTE_STORE != 0).then_some((self.addr & !PTE_STORE) as usize)
    }
}

pub const NO_ASPACE: u8 = u8::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Ctx {
    Thread,
    Irq(u8),
    Nmi,
    /// The model's `on_switch` code, entered by a context switch with IF=0 on top of the
    /// incoming thread; its return restores IF=1 and the thread runs on (`sched.rs`).
    Switch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Activation {
    pub proc: u16,
    pub pc: u32,
    /// Start of this activation's locals in `Cpu::locals`.
    pub base: u32,
    pub ctx: Ctx,
    /// First activation of its context: returning from it is IRET (or thread exit).
    pub ctx_base: bool,
    /// IF of the interrupted context, restored by IRET.
    pub saved_if: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Pte {
    pub frame: u16,
    pub present: bool,
    pub writable: bool,
    pub dirty: bool,
    pub accessed: bool,
}

impl Pte {
    /// The PTE as one word: the frame in bits 0-15, then P, W, D and A.
    pub fn word(&self) -> u32 {
        // Destructured without `..`: a new field left out does not compile.
        let Pte { frame, present, writable, dirty, accessed } = *self;
        frame as u32 | (present as u32) << 16 | (writable as u32) << 17 | (dirty as u32) << 18 | (accessed as u32) << 19
    }

    /// The PTE of a word made by [`Pte::word`].
    pub fn from_word(p: u32) -> Pte {
        let bit = |k: u32| p & (1 << k) != 0;
        Pte { frame: p as u16, present: bit(16), writable: bit(17), dirty: bit(18), accessed: bit(19) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PageFrame {
    pub allocated: bool,
    /// The kernel holds the page clean (`page_clean`): its contents are the copy on
    /// disk, and a store the kernel does not see before it frees the page is lost (G-DIRTY).
    pub clean: bool,
    /// Written since: a user store reached the frame since the kernel last read a dirty
    /// bit set in a PTE mapping it, or wrote it out (`page_save`). Declaring the page
    /// clean while no PTE's dirty bit records the store, or freeing it once clean, loses
    /// the store (G-DIRTY).
    pub unseen: bool,
    /// Bumped at every free, so a translation cached before the free is recognisable.
    pub gen: u16,
}

impl PageFrame {
    /// The generation a translation read from a mapping of this frame records: the
    /// frame's own while it is allocated. A walk through a mapping of a free frame caches
    /// a translation no use of which is safe, so it gets a generation the frame does not
    /// have: any access through it is a use after free (G-STALE), even once the frame is
    /// allocated again.
    pub fn gen_for_translation(&self) -> u16 {
        if self.allocated {
            self.gen
        } else {
            self.gen.wrapping_sub(1)
        }
    }

    /// Whether a translation that recorded `gen` still names this allocation of the frame.
    pub fn holds(&self, gen: u16) -> bool {
        self.allocated && self.gen == gen
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct TlbEntry {
    pub aspace: u8,
    pub va: i32,
    pub frame: u16,
    /// The frame's generation when the entry was filled.
    pub gen: u16,
    pub writable: bool,
    pub dirty: bool,
}

/// A paging-structure-cache entry: walks in `aspace` read its PTEs from page-table page
/// `frame` without reading the upper-level entry again, until an invalidation drops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PscEntry {
    pub aspace: u8,
    pub frame: u16,
    /// The frame's generation when the entry was filled: a later free makes it stale.
    pub gen: u16,
}

impl Cpu {
    /// The context the CPU is running in right now.
    pub fn ctx(&self) -> Option<Ctx> {
        self.stack.last().map(|a| a.ctx)
    }
    pub fn in_nmi(&self) -> bool {
        self.stack.iter().any(|a| a.ctx == Ctx::Nmi)
    }
}

// Written out so that `clone_from` reuses the buffers of the target: the checker
// computes every successor into one scratch state, and only new states are copied.
//
// Every function here that lists the fields (`clone`, `clone_from`, `restore`, `encode`,
// `decode_from`) destructures the struct without `..`: a field added to `State` or `Cpu`
// and left out of one of them does not compile, instead of silently keeping stale data.
impl Clone for State {
    fn clone(&self) -> Self {
        let State {
            mem,
            cpus,
            ptes,
            frames,
            nmis_left,
            ipi_losses_left,
            bcast,
            retired,
            threads,
            current,
            preemptions,
        } = self;
        State {
            mem: mem.clone(),
            cpus: cpus.clone(),
            ptes: ptes.clone(),
            frames: frames.clone(),
            nmis_left: *nmis_left,
            ipi_losses_left: *ipi_losses_left,
            bcast: bcast.clone(),
            retired: retired.clone(),
            threads: threads.clone(),
            current: current.clone(),
            preemptions: *preemptions,
        }
    }
    fn clone_from(&mut self, o: &Self) {
        self.copy_all_but_cpus(o).clone_from(&o.cpus);
    }
}

impl State {
    /// Copy every field but the CPUs from `o`, reusing the buffers; the CPUs are left to
    /// the caller (`clone_from` copies them whole, `restore` only what a step can change).
    fn copy_all_but_cpus(&mut self, o: &State) -> &mut Vec<Cpu> {
        let State {
            mem,
            cpus,
            ptes,
            frames,
            nmis_left,
            ipi_losses_left,
            bcast,
            retired,
            threads,
            current,
            preemptions,
        } = self;
        copy_vec(mem, &o.mem);
        copy_vec(ptes, &o.ptes);
        copy_vec(frames, &o.frames);
        *nmis_left = o.nmis_left;
        *ipi_losses_left = o.ipi_losses_left;
        copy_vec(bcast, &o.bcast);
        copy_vec(retired, &o.retired);
        if !(threads.is_empty() && o.threads.is_empty()) {
            threads.clone_from(&o.threads);
        }
        copy_vec(current, &o.current);
        *preemptions = o.preemptions;
        cpus
    }
}

impl Clone for Cpu {
    fn clone(&self) -> Self {
        let Cpu { intr, crit, pin, aspace, irr, isr, nmi_latch, stack, locals, tlb, psc, thread_done, sb, window } =
            self;
        Cpu {
            intr: *intr,
            crit: *crit,
            pin: *pin,
            aspace: *aspace,
            irr: *irr,
            isr: *isr,
            nmi_latch: *nmi_latch,
            stack: stack.clone(),
            locals: locals.clone(),
            tlb: tlb.clone(),
            psc: psc.clone(),
            thread_done: *thread_done,
            sb: sb.clone(),
            window: *window,
        }
    }
    fn clone_from(&mut self, o: &Self) {
        o.copy_scalars_to(self);
        let Cpu { stack, locals, tlb, psc, sb, .. } = self;
        copy_vec(stack, &o.stack);
        copy_vec(locals, &o.locals);
        copy_vec(tlb, &o.tlb);
        copy_vec(psc, &o.psc);
        copy_vec(sb, &o.sb);
    }
}

/// `d.clone_from(s)` for plain values, as the checker copies a state some ten times a
/// transition: nothing done for two empty vectors (most of a state's are: store buffers,
/// broadcasts, the paging-structure cache), one copy for equal lengths (the common
/// case: a step changes few lengths), and a refill otherwise.
#[inline]
fn copy_vec<T: Copy>(d: &mut Vec<T>, s: &[T]) {
    if d.len() == s.len() {
        if !s.is_empty() {
            d.copy_from_slice(s);
        }
    } else {
        d.clear();
        d.extend_from_slice(s);
    }
}

impl Cpu {
    /// Copy the fields held by value (everything but the stack, locals, TLB and store
    /// buffer) to `d`: what another CPU's step may change in this one (an IPI sets IRR).
    fn copy_scalars_to(&self, d: &mut Cpu) {
        // The buffers are named too, so that a new field must be sorted into one group or the other.
        let Cpu {
            intr,
            crit,
            pin,
            aspace,
            irr,
            isr,
            nmi_latch,
            stack: _,
            locals: _,
            tlb: _,
            psc: _,
            thread_done,
            sb: _,
            window,
        } = *self;
        d.intr = intr;
        d.crit = crit;
        d.pin = pin;
        d.aspace = aspace;
        d.irr = irr;
        d.isr = isr;
        d.nmi_latch = nmi_latch;
        d.thread_done = thread_done;
        d.window = window;
    }
}

// The checker's compact form of a state: 32-bit words, lengths first, so that equal
// states give equal words and the words give the state back (its frontier stores states
// this way: one flat buffer instead of a dozen small allocations per state). Field
// widths follow the machine's bounds: at most 32 CPUs and vectors (IRR/ISR are u32 bit
// sets), slots and frames indexed by u16, stacks of at most 64 calls plus interrupts
// (counted in 12 bits; the top 4 count the paging-structure cache, at most one entry per
// `table` mapping, of which the machine allows 15).
// A CPU's locals and TLB entries are counted in 16 bits each: the machine refuses an
// activation that would take a CPU past `MAX_CPU_LOCALS` locals (a located fault), and a
// TLB holds at most one entry per page-table slot (at most 4096), so the header word
// never wraps into another state's.
const CTX_THREAD: u32 = 0;
const CTX_NMI: u32 = 1;
/// Above every `2 + vector` (vectors are fewer than 32), within the 14 bits of the field.
const CTX_SWITCH: u32 = 0x3FFF;

impl State {
    /// A state with nothing in it: a buffer to `clone_from` or `decode_from` into.
    pub fn empty() -> State {
        State {
            mem: Vec::new(),
            cpus: Vec::new(),
            ptes: Vec::new(),
            frames: Vec::new(),
            nmis_left: 0,
            ipi_losses_left: 0,
            bcast: Vec::new(),
            retired: Vec::new(),
            threads: Vec::new(),
            current: Vec::new(),
            preemptions: 0,
        }
    }

    /// Make `self`, which was `parent` before one choice of CPU `c`, equal to `parent`
    /// again, copying only what such a choice can change: shared memory, page tables,
    /// frames and the NMI budget, CPU c, the other CPUs' scalar fields (an IPI sets
    /// their IRR bits), and the queued threads (a switch or a migration changes them). The other CPUs' stacks, locals, TLBs and store buffers are left
    /// alone (a drain empties only its own CPU's buffer): no step
    /// reaches into them, and copying them is most of the cost of `clone_from`. Debug
    /// builds check the result against `parent`, so a step that broke this would show.
    pub fn restore(&mut self, parent: &State, c: usize) {
        let cpus = self.copy_all_but_cpus(parent);
        if cpus.len() != parent.cpus.len() {
            cpus.clone_from(&parent.cpus);
        }
        for (i, (d, p)) in cpus.iter_mut().zip(&parent.cpus).enumerate() {
            if i == c {
                d.clone_from(p);
            } else {
                p.copy_scalars_to(d);
            }
        }
        debug_assert!(self == parent, "a choice of CPU {c} changed another CPU's stack, locals, TLB or store buffer");
    }

    /// Bytes the state takes in memory, about: what a history of snapshots budgets by.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        size_of::<State>()
            + self.mem.len() * 4
            + self
                .cpus
                .iter()
                .map(|c| {
                    size_of::<Cpu>()
                        + c.stack.len() * size_of::<Activation>()
                        + c.locals.len() * 4
                        + c.tlb.len() * size_of::<TlbEntry>()
                        + c.psc.len() * size_of::<PscEntry>()
                        + c.sb.len() * size_of::<Store>()
                })
                .sum::<usize>()
            + self.ptes.len() * size_of::<Pte>()
            + self.frames.len() * size_of::<PageFrame>()
            + self.bcast.len() * size_of::<Bcast>()
            + self.retired.len() * size_of::<Retired>()
            + self.current.len()
            + self
                .threads
                .iter()
                .map(|t| size_of::<Thread>() + t.stack.len() * size_of::<Activation>() + t.locals.len() * 4)
                .sum::<usize>()
    }

    /// Number of words `encode` appends.
    pub fn encoded_len(&self) -> usize {
        4 + self.mem.len()
            + self
                .cpus
                .iter()
                .map(|c| {
                    5 + 3 * c.stack.len()
                        + c.locals.len()
                        + 3 * c.tlb.len()
                        + 2 * c.psc.len()
                        + 2 * c.sb.len()
                        + 2 * c.window.is_some() as usize
                })
                .sum::<usize>()
            + self.ptes.len()
            + self.frames.len()
            + 3 * self.bcast.len()
            + self.retired.len()
            + self.current.len()
            + self.threads.iter().map(|t| 2 + 3 * t.stack.len() + t.locals.len()).sum::<usize>()
    }

    /// Replace the contents of `out` with the compact encoding of the state. Every word
    /// is written in place, in a buffer that keeps its length from one state to the next
    /// (pushing word by word, a capacity check each, cost as much as the step itself).
    pub fn encode(&self, out: &mut Vec<u32>) {
        let n = self.encoded_len();
        let State {
            mem,
            cpus,
            ptes,
            frames,
            nmis_left,
            ipi_losses_left,
            bcast,
            retired,
            threads,
            current,
            preemptions,
        } = self;
        if out.len() != n {
            out.resize(n, 0);
        }
        let o = &mut out[..];
        // The thread counts sit in high bits that are zero without threads (memory holds
        // at most 2^16 words, frames are u16 indices): a model without `thread` entries
        // keeps the words it always had.
        debug_assert!(mem.len() < 1 << 24 && current.len() <= 0xFF && threads.len() <= 0xFF);
        o[0] = mem.len() as u32 | (current.len() as u32) << 24;
        debug_assert!(bcast.len() <= 0xFF && retired.len() <= 0xFF);
        o[1] = cpus.len() as u32 | (*nmis_left as u32) << 8 | (bcast.len() as u32) << 16 | (retired.len() as u32) << 24;
        // Page-table slots are at most 4096 (`MAX_SLOTS`); the preemption count sits in
        // bits 16-23, zero without a bound.
        debug_assert!(ptes.len() < 1 << 16);
        o[2] = ptes.len() as u32 | (*preemptions as u32) << 16 | (*ipi_losses_left as u32) << 24;
        debug_assert!(frames.len() < 1 << 24);
        o[3] = frames.len() as u32 | (threads.len() as u32) << 24;
        let mut i = 4;
        copy_words(&mut o[i..i + mem.len()], mem);
        i += mem.len();
        for c in cpus {
            let Cpu { intr, crit, pin, aspace, irr, isr, nmi_latch, stack, locals, tlb, psc, thread_done, sb, window } =
                c;
            debug_assert!(stack.len() < 1 << 12 && locals.len() <= super::MAX_CPU_LOCALS && tlb.len() <= 0xFFFF);
            debug_assert!(psc.len() < 16);
            debug_assert!(sb.len() < 16);
            let h = &mut o[i..i + 5];
            // The store buffer's length sits in bits 3-7, unused before TSO: without it
            // the words (and so the fingerprints) are what they always were.
            h[0] = *intr as u32
                | (*nmi_latch as u32) << 1
                | (*thread_done as u32) << 2
                | (sb.len() as u32) << 3
                | (window.is_some() as u32) << 7
                | (*aspace as u32) << 8
                | (stack.len() as u32) << 16
                | (psc.len() as u32) << 28;
            h[1] = *crit as u32 | (*pin as u32) << 16;
            h[2] = *irr;
            h[3] = *isr;
            h[4] = locals.len() as u32 | (tlb.len() as u32) << 16;
            i += 5;
            encode_stack(&mut o[i..i + 3 * stack.len()], stack);
            i += 3 * stack.len();
            copy_words(&mut o[i..i + locals.len()], locals);
            i += locals.len();
            for (d, e) in o[i..i + 3 * tlb.len()].chunks_exact_mut(3).zip(tlb) {
                let TlbEntry { aspace, va, frame, gen, writable, dirty } = *e;
                d[0] = va as u32;
                d[1] = frame as u32 | (gen as u32) << 16;
                d[2] = aspace as u32 | (writable as u32) << 8 | (dirty as u32) << 9;
            }
            i += 3 * tlb.len();
            // Empty in most models and states: skipped without slicing (each slice is
            // bounds-checked, and encode runs once per transition).
            if !psc.is_empty() {
                for (d, e) in o[i..i + 2 * psc.len()].chunks_exact_mut(2).zip(psc) {
                    let PscEntry { aspace, frame, gen } = *e;
                    d[0] = aspace as u32;
                    d[1] = frame as u32 | (gen as u32) << 16;
                }
                i += 2 * psc.len();
            }
            if !sb.is_empty() {
                for (d, e) in o[i..i + 2 * sb.len()].chunks_exact_mut(2).zip(sb) {
                    let Store { addr, value } = *e;
                    d[0] = addr;
                    d[1] = value as u32;
                }
                i += 2 * sb.len();
            }
            if let Some(Window { aspace, va }) = *window {
                o[i] = aspace as u32;
                o[i + 1] = va as u32;
                i += 2;
            }
        }
        for (d, p) in o[i..i + ptes.len()].iter_mut().zip(ptes) {
            *d = p.word();
        }
        i += ptes.len();
        for (d, f) in o[i..i + frames.len()].iter_mut().zip(frames) {
            let PageFrame { allocated, clean, unseen, gen } = *f;
            *d = allocated as u32 | (clean as u32) << 1 | (unseen as u32) << 2 | (gen as u32) << 16;
        }
        i += frames.len();
        if !bcast.is_empty() {
            for (d, b) in o[i..i + 3 * bcast.len()].chunks_exact_mut(3).zip(bcast) {
                let Bcast { issuer, aspace, va, pending } = *b;
                d[0] = issuer as u32 | (aspace as u32) << 8;
                d[1] = va as u32;
                d[2] = pending;
            }
            i += 3 * bcast.len();
        }
        // Addresses are below MAX_MEM (2^16) and owners below 32.
        for (d, r) in o[i..i + retired.len()].iter_mut().zip(retired) {
            let Retired { addr, owner } = *r;
            *d = addr | (owner as u32) << 24;
        }
        i += retired.len();
        if !current.is_empty() {
            for (d, &t) in o[i..i + current.len()].iter_mut().zip(current) {
                *d = t as u32;
            }
            i += current.len();
        }
        for t in threads {
            let Thread { id, cpu, pin, stack, locals, wait } = t;
            debug_assert!(stack.len() < 1 << 8 && locals.len() <= super::MAX_CPU_LOCALS);
            o[i] = *id as u32 | (*cpu as u32) << 8 | (stack.len() as u32) << 16 | (*wait as u32) << 24;
            o[i + 1] = *pin as u32 | (locals.len() as u32) << 16;
            i += 2;
            encode_stack(&mut o[i..i + 3 * stack.len()], stack);
            i += 3 * stack.len();
            copy_words(&mut o[i..i + locals.len()], locals);
            i += locals.len();
        }
        debug_assert_eq!(i, n);
    }

    /// Overwrite the state with the one `w` encodes (from `encode`), reusing its buffers.
    /// Returns the number of words read.
    pub fn decode_from(&mut self, w: &[u32]) -> usize {
        let bit = |x: u32, i: u32| (x >> i) & 1 != 0;
        let State {
            mem,
            cpus,
            ptes,
            frames,
            nmis_left,
            ipi_losses_left,
            bcast,
            retired,
            threads,
            current,
            preemptions,
        } = self;
        let nmem = (w[0] & 0xFF_FFFF) as usize;
        let ncurrent = (w[0] >> 24) as usize;
        let ncpu = (w[1] & 0xFF) as usize;
        *nmis_left = (w[1] >> 8) as u8;
        let nbcast = ((w[1] >> 16) & 0xFF) as usize;
        let nretired = (w[1] >> 24) as usize;
        let nptes = (w[2] & 0xFFFF) as usize;
        *preemptions = (w[2] >> 16) as u8;
        *ipi_losses_left = (w[2] >> 24) as u8;
        let nframes = (w[3] & 0xFF_FFFF) as usize;
        let nthreads = (w[3] >> 24) as usize;
        let mut i = 4;
        mem.clear();
        mem.extend(w[i..i + nmem].iter().map(|&x| x as i32));
        i += nmem;
        cpus.truncate(ncpu);
        while cpus.len() < ncpu {
            cpus.push(Cpu {
                intr: false,
                crit: 0,
                pin: 0,
                aspace: 0,
                irr: 0,
                isr: 0,
                nmi_latch: false,
                stack: Vec::new(),
                locals: Vec::new(),
                tlb: Vec::new(),
                psc: Vec::new(),
                thread_done: false,
                sb: Vec::new(),
                window: None,
            });
        }
        for c in cpus.iter_mut() {
            let Cpu { intr, crit, pin, aspace, irr, isr, nmi_latch, stack, locals, tlb, psc, thread_done, sb, window } =
                c;
            let h = w[i];
            *intr = bit(h, 0);
            *nmi_latch = bit(h, 1);
            *thread_done = bit(h, 2);
            let nsb = ((h >> 3) & 0xF) as usize;
            *aspace = (h >> 8) as u8;
            let nstack = ((h >> 16) & 0xFFF) as usize;
            let npsc = (h >> 28) as usize;
            *crit = w[i + 1] as u16;
            *pin = (w[i + 1] >> 16) as u16;
            *irr = w[i + 2];
            *isr = w[i + 3];
            let nlocals = (w[i + 4] & 0xFFFF) as usize;
            let ntlb = (w[i + 4] >> 16) as usize;
            i += 5;
            decode_stack(stack, &w[i..i + 3 * nstack]);
            i += 3 * nstack;
            locals.clear();
            locals.extend(w[i..i + nlocals].iter().map(|&x| x as i32));
            i += nlocals;
            tlb.clear();
            for e in w[i..i + 3 * ntlb].chunks_exact(3) {
                tlb.push(TlbEntry {
                    va: e[0] as i32,
                    frame: e[1] as u16,
                    gen: (e[1] >> 16) as u16,
                    aspace: e[2] as u8,
                    writable: bit(e[2], 8),
                    dirty: bit(e[2], 9),
                });
            }
            i += 3 * ntlb;
            psc.clear();
            psc.extend(w[i..i + 2 * npsc].chunks_exact(2).map(|e| PscEntry {
                aspace: e[0] as u8,
                frame: e[1] as u16,
                gen: (e[1] >> 16) as u16,
            }));
            i += 2 * npsc;
            sb.clear();
            sb.extend(w[i..i + 2 * nsb].chunks_exact(2).map(|e| Store { addr: e[0], value: e[1] as i32 }));
            i += 2 * nsb;
            *window = if bit(h, 7) {
                i += 2;
                Some(Window { aspace: w[i - 2] as u8, va: w[i - 1] as i32 })
            } else {
                None
            };
        }
        ptes.clear();
        ptes.extend(w[i..i + nptes].iter().map(|&p| Pte::from_word(p)));
        i += nptes;
        frames.clear();
        frames.extend(w[i..i + nframes].iter().map(|&f| PageFrame {
            allocated: bit(f, 0),
            clean: bit(f, 1),
            unseen: bit(f, 2),
            gen: (f >> 16) as u16,
        }));
        i += nframes;
        bcast.clear();
        bcast.extend(w[i..i + 3 * nbcast].chunks_exact(3).map(|b| Bcast {
            issuer: b[0] as u8,
            aspace: (b[0] >> 8) as u8,
            va: b[1] as i32,
            pending: b[2],
        }));
        i += 3 * nbcast;
        retired.clear();
        retired.extend(w[i..i + nretired].iter().map(|&r| Retired { addr: r & 0xFF_FFFF, owner: (r >> 24) as u8 }));
        i += nretired;
        current.clear();
        current.extend(w[i..i + ncurrent].iter().map(|&t| t as u8));
        i += ncurrent;
        threads.truncate(nthreads);
        while threads.len() < nthreads {
            threads.push(Thread { id: 0, cpu: 0, pin: 0, stack: Vec::new(), locals: Vec::new(), wait: RUNNABLE });
        }
        for t in threads.iter_mut() {
            let Thread { id, cpu, pin, stack, locals, wait } = t;
            *id = w[i] as u8;
            *cpu = (w[i] >> 8) as u8;
            let nstack = ((w[i] >> 16) & 0xFF) as usize;
            *wait = (w[i] >> 24) as u8;
            *pin = w[i + 1] as u16;
            let nlocals = (w[i + 1] >> 16) as usize;
            i += 2;
            decode_stack(stack, &w[i..i + 3 * nstack]);
            i += 3 * nstack;
            locals.clear();
            locals.extend(w[i..i + nlocals].iter().map(|&x| x as i32));
            i += nlocals;
        }
        i
    }
}

fn encode_stack(o: &mut [u32], stack: &[Activation]) {
    for (d, a) in o.chunks_exact_mut(3).zip(stack) {
        let Activation { proc, pc, base, ctx, ctx_base, saved_if } = *a;
        let ctx = match ctx {
            Ctx::Thread => CTX_THREAD,
            Ctx::Nmi => CTX_NMI,
            Ctx::Switch => CTX_SWITCH,
            Ctx::Irq(v) => 2 + v as u32,
        };
        d[0] = proc as u32 | ctx << 16 | (ctx_base as u32) << 30 | (saved_if as u32) << 31;
        d[1] = pc;
        d[2] = base;
    }
}

fn decode_stack(stack: &mut Vec<Activation>, w: &[u32]) {
    let bit = |x: u32, i: u32| (x >> i) & 1 != 0;
    stack.clear();
    for a in w.chunks_exact(3) {
        let ctx = match (a[0] >> 16) & 0x3FFF {
            CTX_THREAD => Ctx::Thread,
            CTX_NMI => Ctx::Nmi,
            CTX_SWITCH => Ctx::Switch,
            v => Ctx::Irq((v - 2) as u8),
        };
        stack.push(Activation {
            proc: a[0] as u16,
            pc: a[1],
            base: a[2],
            ctx,
            ctx_base: bit(a[0], 30),
            saved_if: bit(a[0], 31),
        });
    }
}

fn copy_words(dst: &mut [u32], src: &[i32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s as u32;
    }
}
