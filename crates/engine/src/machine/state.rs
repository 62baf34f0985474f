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
    /// The scenario's thread has returned; the CPU idles with IF=1.
    pub thread_done: bool,
}

pub const NO_ASPACE: u8 = u8::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Ctx {
    Thread,
    Irq(u8),
    Nmi,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PageFrame {
    pub allocated: bool,
    /// The kernel has declared the contents saved (`page_clean`): from then on every
    /// write must show in the PTE's dirty bit (G-DIRTY).
    pub clean: bool,
    /// A write went through a TLB entry caching D=1 while the PTE's dirty bit was clear:
    /// the hardware recorded it nowhere.
    pub hidden: bool,
    /// Bumped at every free, so a translation cached before the free is recognisable.
    pub gen: u16,
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
impl Clone for State {
    fn clone(&self) -> Self {
        State {
            mem: self.mem.clone(),
            cpus: self.cpus.clone(),
            ptes: self.ptes.clone(),
            frames: self.frames.clone(),
            nmis_left: self.nmis_left,
        }
    }
    fn clone_from(&mut self, o: &Self) {
        self.mem.clone_from(&o.mem);
        self.cpus.clone_from(&o.cpus);
        self.ptes.clone_from(&o.ptes);
        self.frames.clone_from(&o.frames);
        self.nmis_left = o.nmis_left;
    }
}

impl Clone for Cpu {
    fn clone(&self) -> Self {
        Cpu {
            intr: self.intr,
            crit: self.crit,
            pin: self.pin,
            aspace: self.aspace,
            irr: self.irr,
            isr: self.isr,
            nmi_latch: self.nmi_latch,
            stack: self.stack.clone(),
            locals: self.locals.clone(),
            tlb: self.tlb.clone(),
            thread_done: self.thread_done,
        }
    }
    fn clone_from(&mut self, o: &Self) {
        self.intr = o.intr;
        self.crit = o.crit;
        self.pin = o.pin;
        self.aspace = o.aspace;
        self.irr = o.irr;
        self.isr = o.isr;
        self.nmi_latch = o.nmi_latch;
        self.stack.clone_from(&o.stack);
        self.locals.clone_from(&o.locals);
        self.tlb.clone_from(&o.tlb);
        self.thread_done = o.thread_done;
    }
}
