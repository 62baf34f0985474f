//! The compiled form of a model: flat instruction lists, one instruction per atomic step
//! (DESIGN.md "Granularity"), expressions as short postfix programs in one pool.

use crate::diag::Span;
pub use crate::property::{Property, RaceKind};
use serde::Serialize;

/// A postfix expression: `len` ops starting at `start` in `Program::ops`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExprRef {
    pub start: u32,
    pub len: u16,
    /// Number of shared-memory loads in the expression (0 or 1 after checking).
    pub loads: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Int(i32),
    Local(u16),
    Opt(u16),
    Konst(u16),
    Ncpu,
    SelfCpu,
    /// Load a shared word; pops `nidx` indices (for a per-CPU variable the CPU index
    /// is implied when one index fewer than its rank is given).
    Load {
        var: u16,
        nidx: u8,
    },
    Un(UnOp),
    Bin(BinOp),
    Func(Func, u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    BitNot,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    BitOr,
    BitXor,
    BitAnd,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Pure functions usable in expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `bit(n)`: the mask with only bit n set.
    Bit,
    /// `all_cpus()`: the mask of every CPU of the machine.
    AllCpus,
    /// `has(mask, cpu)`
    Has,
    /// `lowest(mask)`: index of the lowest set bit, -1 for an empty mask.
    Lowest,
    /// `popcount(mask)`
    Popcount,
    Min,
    Max,
}

impl Func {
    pub fn by_name(name: &str) -> Option<(Func, u8)> {
        Some(match name {
            "bit" => (Func::Bit, 1),
            "all_cpus" => (Func::AllCpus, 0),
            "has" => (Func::Has, 2),
            "lowest" => (Func::Lowest, 1),
            "popcount" => (Func::Popcount, 1),
            "min" => (Func::Min, 2),
            "max" => (Func::Max, 2),
            _ => return None,
        })
    }
}

/// A place an instruction writes: a local slot or a shared word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    Local(u16),
    Var { var: u16, nidx: u8, idx: [ExprRef; 2] },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum RmwOp {
    FetchAdd,
    Xchg,
    Cmpxchg,
    Or,
    And,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum FenceKind {
    SeqCst,
    Acquire,
    Release,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `dst = src` (or just evaluate `src` for a local declaration without a value).
    Eval {
        dst: Place,
        src: ExprRef,
    },
    Jump(u32),
    /// Fall through when `cond` holds, else go to `else_to`. `spin`: the loop this
    /// branch heads does nothing but re-test, so an iteration that stays in the loop
    /// changes no state (the machine treats the CPU as waiting).
    Branch {
        cond: ExprRef,
        else_to: u32,
        spin: bool,
    },
    Call {
        proc: u16,
        args: u32,
        nargs: u8,
    },
    Return,
    Assert {
        cond: ExprRef,
        msg: u32,
    },
    Rmw {
        op: RmwOp,
        place: Place,
        a: ExprRef,
        b: ExprRef,
        dst: Option<u16>,
    },
    /// `dcas(lo, hi, elo, ehi, nlo, nhi)`: a double-width compare-and-swap (x86
    /// CMPXCHG16B) on two adjacent shared words as one atomic step. `elo`/`ehi` are local
    /// slots holding the expected pair; on failure they receive the words' current values.
    Dcas {
        lo: Place,
        hi: Place,
        elo: u16,
        ehi: u16,
        nlo: ExprRef,
        nhi: ExprRef,
        dst: Option<u16>,
    },
    Fence(FenceKind),
    Cli,
    Sti,
    CritEnter,
    CritExit,
    Pin,
    Unpin,
    SendIpi {
        mask: ExprRef,
        vector: u8,
    },
    Eoi,
    PteClear {
        aspace: ExprRef,
        va: ExprRef,
        dst: Option<u16>,
    },
    PteRead {
        aspace: ExprRef,
        va: ExprRef,
        dst: Option<u16>,
    },
    /// pmap_clear_modify: clear the PTE's dirty bit, returning the old one.
    PteClearDirty {
        aspace: ExprRef,
        va: ExprRef,
        dst: Option<u16>,
    },
    /// pmap_is_modified: read the PTE's dirty bit.
    PteDirty {
        aspace: ExprRef,
        va: ExprRef,
        dst: Option<u16>,
    },
    /// A locked compare-and-set of the PTE (LOCK CMPXCHG on the entry): if it still maps
    /// `frame` (-1: not present) with dirty bit `dirty`, its W bit becomes `writable`
    /// (frame, D and A kept) and the result is 1; otherwise nothing changes and it is 0.
    PteCmpset {
        aspace: ExprRef,
        va: ExprRef,
        frame: ExprRef,
        dirty: ExprRef,
        writable: ExprRef,
        dst: Option<u16>,
    },
    /// Load CR3 with another address space; with PCIDs the TLB keeps every space's
    /// entries, and `flush` drops those of the space being loaded.
    LoadCr3 {
        aspace: ExprRef,
        flush: ExprRef,
    },
    PageClean(ExprRef),
    /// `page_save(f)`: the I/O writes the frame out; every store so far is saved.
    PageSave(ExprRef),
    PteSet {
        aspace: ExprRef,
        va: ExprRef,
        frame: ExprRef,
        writable: ExprRef,
    },
    Invlpg(ExprRef),
    FlushTlb,
    UserAccess {
        va: ExprRef,
        write: bool,
    },
    Alloc {
        dst: Option<u16>,
    },
    Free(ExprRef),
    SwitchTo(ExprRef),
    /// `ack_window(va)`: this CPU has just acknowledged a request to invalidate `va` in
    /// its address space and has not invalidated yet. Changes only this CPU's window, so
    /// like `ktr` it is never a step of its own: it folds into the acknowledging step.
    AckWindow(ExprRef),
    /// `close_window()`: the responder decided there is nothing to invalidate.
    CloseWindow,
    /// `invlpgb(aspace, va)`: AMD INVLPGB, an asynchronous broadcast invalidation that
    /// reaches each CPU's TLB as a separate `Choice::Bcast` (§7.6).
    Invlpgb {
        aspace: ExprRef,
        va: ExprRef,
    },
    /// `tlbsync()`: wait until every INVLPGB this CPU issued has reached every TLB. A
    /// spin-wait: the CPU has no step while one is pending.
    Tlbsync,
    /// `retire(x)`: the owner declares request storage `x` complete and free to reuse; an
    /// access by another CPU from now on is G-MEM, until the owner writes it again. Folds
    /// into the previous step, like `ktr`.
    Retire(Place),
    /// A trace point (`ktr(NAME, a, b, c)`): records `Effect::Ktr`, changes no state and is
    /// never a step of its own. `name` indexes `Program::ktr_names`; the `nargs` argument
    /// expressions (local only) start at `args` in `Program::arg_pool`.
    Ktr {
        name: u16,
        args: u32,
        nargs: u8,
    },
    /// `yield()`: the thread offers its CPU to a runnable thread of its run queue whose
    /// priority is at least its own (machine/sched.rs). As the body of a spin loop
    /// (`while (c) { yield(); }`), the loop's wait stays runnable: see `Machine::spinning`.
    Yield,
    /// `sleep(chan)` / `sleep_timo(chan)`: the thread blocks on wait channel `chan` (a
    /// local expression); with `timo`, a callout may wake it (`Choice::Timeout`).
    Sleep {
        chan: ExprRef,
        timo: bool,
    },
    /// `wakeup(chan)`: every thread blocked on `chan` becomes runnable.
    Wakeup(ExprRef),
}

#[derive(Clone, Copy, Debug)]
pub struct Instr {
    pub kind: Kind,
    /// 1-based source line; the per-CPU cursor.
    pub line: u32,
    /// Whether executing it is a step of its own (it touches shared or hardware state).
    pub visible: bool,
    /// Index into `Program::narrations`, or `NO_NARRATION`.
    pub narr: u32,
}

pub const NO_NARRATION: u32 = u32::MAX;

#[derive(Clone, Debug, Serialize)]
pub struct OptionDecl {
    pub name: String,
    pub default: i32,
    pub is_bool: bool,
    pub doc: String,
    pub line: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct VectorDecl {
    pub name: String,
    pub number: u8,
    #[serde(skip)]
    pub handler: u16,
}

#[derive(Clone, Debug)]
pub struct VarDecl {
    pub name: String,
    pub per_cpu: bool,
    pub is_mask: bool,
    /// Declared dimensions (not counting the per-CPU one); evaluated per machine.
    pub dims: Vec<ExprRef>,
    pub init: Option<ExprRef>,
    pub mark: Option<i32>,
    pub doc: Option<String>,
    pub line: u32,
}

#[derive(Clone, Debug)]
pub struct Proc {
    pub name: String,
    pub nparams: u16,
    pub local_names: Vec<String>,
    pub code: Vec<Instr>,
    pub user: bool,
    pub doc: Option<String>,
    pub line: u32,
    /// Span of the `while` condition text for spin branches, by pc, for messages.
    pub cond_text: Vec<(u32, String)>,
}

#[derive(Clone, Debug)]
pub struct CpuSpec {
    pub first: u32,
    /// Inclusive; u32::MAX for "and every CPU after".
    pub last: u32,
    pub proc: Option<u16>,
    pub args: Vec<ExprRef>,
    pub aspace: Option<u8>,
    /// `prio P`: the scheduling priority of the entry's thread (0 without it).
    pub prio: u8,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub doc: String,
    pub cpus: Vec<CpuSpec>,
    /// Threads that start runnable on a CPU's run queue (`thread N: f();`), in
    /// declaration order; thread k here has id NCPU + k (CPU c's first thread has id c).
    pub threads: Vec<ThreadSpec>,
    pub min_cpus: u32,
    pub line: u32,
}

/// `thread N: f(args);` in a scenario: a thread that starts on CPU N's run queue.
#[derive(Clone, Debug)]
pub struct ThreadSpec {
    pub cpu: u32,
    pub proc: u16,
    pub args: Vec<ExprRef>,
    /// Its address space (`in NAME`), loaded by the model's `on_switch` code; `None`: a
    /// kernel thread, which has none of its own.
    pub aspace: Option<u8>,
    /// `prio P`: its scheduling priority, higher runs first; 0 without `prio`, the
    /// priority of every `cpu` entry's thread (machine/sched.rs).
    pub prio: u8,
    pub line: u32,
}

impl Scenario {
    /// What CPU `c` runs: the entry that names it, else the `cpu *` entry, if any.
    pub fn spec_for(&self, c: u32) -> Option<&CpuSpec> {
        self.cpus
            .iter()
            .find(|s| s.first != u32::MAX && s.first <= c && c <= s.last)
            .or_else(|| self.cpus.iter().find(|s| s.first == u32::MAX))
    }
}

/// A known race declared by the model: the configuration that shows it and the
/// property the checker must report.
#[derive(Clone, Debug, Serialize)]
pub struct RaceDecl {
    pub name: String,
    pub title: String,
    pub cpus: u32,
    pub scenario: usize,
    /// (option index, value)
    pub sets: Vec<(usize, i32)>,
    pub expect: Property,
    pub story: String,
    pub kind: RaceKind,
    /// Where it comes from: the fix's commit, CVE, PR or list post for a bug; the
    /// document and section for a reconstruction or a mutation.
    pub cite: String,
}

#[derive(Clone, Debug)]
pub struct MapDecl {
    pub aspace: u8,
    pub va: ExprRef,
    pub present: bool,
    pub writable: bool,
    /// An upper-level entry (`table`): its frame is the page-table page that holds every
    /// other PTE of the address space, and walks go through it (paging-structure cache).
    pub table: bool,
    pub line: u32,
}

/// A `view` declaration: presentation only. The machine, the state and the checker never
/// read it; the app draws the variables it names as one structure instead of one by one.
#[derive(Clone, Debug)]
pub struct ViewDecl {
    pub kind: ViewKind,
    pub name: String,
    pub caption: String,
    pub doc: Option<String>,
    /// Indices into `Program::vars`: for a ring, the slot array then the pointers; for a
    /// matrix, the array.
    pub vars: Vec<u16>,
    /// What each index means (`by (source, target)`), outermost first; may be empty.
    pub axes: Vec<String>,
    pub line: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// `view ring NAME(SLOTS, WRITE, READ, MORE...)`: one ring per element of the pointer
    /// arrays, its slots a row of SLOTS; each pointer trails the one before it, so slots
    /// from READ up to WRITE are queued, and from the next pointer up to READ are taken.
    Ring,
    /// `view matrix NAME(ARRAY) by (ROWS, COLUMNS)`: a 2-D array with named axes.
    Matrix,
}

/// Where a ring view's words live in one machine (its shape depends on the CPU count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingShape {
    /// Dimensions of the pointer arrays, CPU first for per-CPU ones; rings are numbered
    /// row-major over them (one ring for scalar pointers).
    pub rings: Vec<u32>,
    /// Slots per ring; pointers are shown modulo this (kernels let them run free).
    pub size: u32,
    slots: u32,
    pointers: Vec<u32>,
}

impl RingShape {
    pub fn count(&self) -> u32 {
        self.rings.iter().product()
    }
    pub fn pointers(&self) -> usize {
        self.pointers.len()
    }
    pub fn slot_addr(&self, ring: u32, slot: u32) -> u32 {
        self.slots + ring * self.size + slot
    }
    pub fn pointer_addr(&self, pointer: usize, ring: u32) -> u32 {
        self.pointers[pointer] + ring
    }
    /// Every word of ring `ring`: its slots and its pointers.
    pub fn words(&self, ring: u32) -> impl Iterator<Item = u32> + '_ {
        (0..self.size).map(move |k| self.slot_addr(ring, k)).chain(self.pointers.iter().map(move |p| p + ring))
    }
}

impl ViewDecl {
    /// Whether the declaration fits a machine whose variables are laid out as `layouts`.
    pub fn check(&self, prog: &Program, layouts: &[crate::machine::VarLayout]) -> Result<(), String> {
        match self.kind {
            ViewKind::Ring => self.ring(prog, layouts).map(|_| ()),
            // The rank is checked by the compiler and sizes do not matter.
            ViewKind::Matrix => Ok(()),
        }
    }

    /// The ring's layout in a machine whose variables are laid out as `layouts`, or why
    /// the declaration does not fit them.
    pub fn ring(&self, prog: &Program, layouts: &[crate::machine::VarLayout]) -> Result<RingShape, String> {
        let name = |v: u16| &prog.vars[v as usize].name;
        if self.kind != ViewKind::Ring {
            return Err(format!("view `{}` is not a ring", self.name));
        }
        let (&slots, pointers) = self.vars.split_first().ok_or("a ring names its slots")?;
        let first = pointers.first().ok_or("a ring names its pointers")?;
        let rings = layouts[*first as usize].dims.clone();
        for &p in pointers {
            if layouts[p as usize].dims != rings {
                return Err(format!(
                    "pointer `{}` has dimensions {:?} but `{}` has {:?}; every pointer needs the same",
                    name(p),
                    layouts[p as usize].dims,
                    name(*first),
                    rings
                ));
            }
        }
        let count: u32 = rings.iter().product();
        let sd = &layouts[slots as usize].dims;
        let size = match sd.as_slice() {
            [n, size] if *n == count => *size,
            [size] if count == 1 => *size,
            _ => {
                return Err(format!(
                "`{}` has dimensions {sd:?}, but its pointers make {count} ring(s): it needs one row of slots per ring",
                name(slots)
            ))
            }
        };
        Ok(RingShape {
            rings,
            size,
            slots: layouts[slots as usize].base,
            pointers: pointers.iter().map(|&p| layouts[p as usize].base).collect(),
        })
    }
}

#[derive(Clone, Debug)]
pub struct Program {
    pub source: String,
    pub title: String,
    pub doc: String,
    pub cpus: (u32, u32, u32),
    pub options: Vec<OptionDecl>,
    pub consts: Vec<(String, ExprRef)>,
    pub vectors: Vec<VectorDecl>,
    pub vars: Vec<VarDecl>,
    pub aspaces: Vec<String>,
    pub maps: Vec<MapDecl>,
    pub extra_frames: u32,
    pub procs: Vec<Proc>,
    pub nmi: Option<u16>,
    /// `on_switch NAME;`: the procedure every context switch runs on its CPU, as
    /// `NAME(prev, next)` (see `machine/sched.rs`).
    pub on_switch: Option<u16>,
    pub scenarios: Vec<Scenario>,
    pub races: Vec<RaceDecl>,
    /// How the app draws some variables; no effect on the machine.
    pub views: Vec<ViewDecl>,
    pub ops: Vec<Op>,
    pub arg_pool: Vec<ExprRef>,
    pub narrations: Vec<String>,
    pub messages: Vec<String>,
    /// Names of the trace points the model's `ktr(...)` statements use, interned.
    pub ktr_names: Vec<String>,
    /// How the model spells the broadcast invalidation, if it uses one.
    pub broadcast: Option<BroadcastIsa>,
    /// Source span of every instruction, kept for editors (proc, pc) -> span.
    pub spans: Vec<Vec<Span>>,
}

/// The architecture whose names a model uses for the broadcast invalidation and its wait:
/// AMD's INVLPGB and TLBSYNC, or arm64's TLBI ...IS and DSB ISH (algorithms.md §7.6, §7.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BroadcastIsa {
    X86,
    Arm64,
}

impl BroadcastIsa {
    /// (the broadcast, the wait), as the architecture's manual names them.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            BroadcastIsa::X86 => ("INVLPGB", "TLBSYNC"),
            BroadcastIsa::Arm64 => ("TLBI VALE1IS", "DSB ISH"),
        }
    }

    /// (the broadcast, the wait) as the model language's built-ins.
    pub fn builtins(self) -> (&'static str, &'static str) {
        match self {
            BroadcastIsa::X86 => ("invlpgb", "tlbsync"),
            BroadcastIsa::Arm64 => ("tlbi_is", "dsb_ish"),
        }
    }
}

impl Program {
    pub fn option_index(&self, name: &str) -> Option<usize> {
        self.options.iter().position(|o| o.name == name)
    }
    pub fn scenario_index(&self, name: &str) -> Option<usize> {
        self.scenarios.iter().position(|s| s.name == name)
    }
    pub fn narration(&self, i: &Instr) -> Option<&str> {
        (i.narr != NO_NARRATION).then(|| self.narrations[i.narr as usize].as_str())
    }
    /// (the broadcast invalidation, its wait) as this model's architecture names them.
    pub fn broadcast_names(&self) -> (&'static str, &'static str) {
        self.broadcast.unwrap_or(BroadcastIsa::X86).names()
    }
    /// The name of trace point `i` (`Effect::Ktr::name`), e.g. `ipiq_receive`.
    pub fn ktr_name(&self, i: u16) -> &str {
        self.ktr_names.get(i as usize).map_or("?", |s| s.as_str())
    }
    pub fn source_line(&self, line: u32) -> &str {
        self.source.lines().nth(line.saturating_sub(1) as usize).unwrap_or("").trim()
    }
}
