//! What stops a run: a choice that cannot be taken now, or a model error found while
//! running (a bad index, a double free, a runaway loop). Typed, so that a test or a caller
//! can tell one from another without reading the wording, and the wording lives in one
//! place.

use super::Choice;
use std::fmt;

/// A run that cannot go on, located at the CPU and source line (0: no line, e.g. a
/// hardware event or a choice refused before it ran).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub cpu: u8,
    pub line: u32,
    pub error: RunError,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: CPU {}: {}", self.line, self.cpu, self.error)
        } else {
            write!(f, "CPU {}: {}", self.cpu, self.error)
        }
    }
}

/// Why a choice is not enabled in the state it was offered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    NoSuchCpu,
    Idle,
    Spinning,
    NotDeliverable,
    NoNmiHandler,
    NoNmiLeft,
    NmiLatched,
    NoIpiToLose,
    NoBroadcast,
    NoSuchSlot,
    NoFill,
    StoreBufferEmpty,
    NotQueued,
    NotPreemptible,
    Pinned,
    SameCpu,
    /// The switch would preempt a thread that can still step, and the path has taken
    /// as many preemptions as the bound allows (`Machine::with_preemption_bound`).
    PreemptionBound,
    /// A switch to a thread of lower priority than one that may run on the CPU, or, at a
    /// `yield()`, to one the yield does not give the CPU to.
    Priority,
    /// The CPU's thread is at a `yield()` that gives its CPU away: it switches instead.
    Yielding,
    /// No thread sleeps with a timeout of that number on that CPU.
    NoTimeout,
    /// The thread sleeps on a wait channel: it is on no run queue.
    Blocked,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refused::NoSuchCpu => "no such CPU",
            Refused::Idle => "the CPU is idle",
            Refused::Spinning => "the CPU is spinning on a condition that still holds",
            Refused::NotDeliverable => "that vector cannot be delivered",
            Refused::NoNmiHandler => "the model has no NMI handler",
            Refused::NoNmiLeft => "no NMI left to inject",
            Refused::NmiLatched => "an NMI is already latched",
            Refused::NoIpiToLose => "no IPI of that vector is pending, or none may be lost",
            Refused::NoBroadcast => "no broadcast invalidation of that number is on its way to that CPU",
            Refused::NoSuchSlot => "no such page-table slot",
            Refused::NoFill => "no fill possible for that slot",
            Refused::StoreBufferEmpty => "the CPU's store buffer is empty",
            Refused::NotQueued => "no such thread on that run queue",
            Refused::NotPreemptible => {
                "the CPU cannot switch here (interrupts disabled, a critical section, a handler, or stores buffered)"
            }
            Refused::Pinned => "the thread is pinned to its CPU",
            Refused::SameCpu => "the thread is already on that CPU's run queue",
            Refused::PreemptionBound => "the switch would be one preemption more than the bound allows",
            Refused::Priority => "a thread of higher priority may run on that CPU",
            Refused::Yielding => "the thread yields its CPU to a thread of its run queue: a switch is next",
            Refused::NoTimeout => "no thread of that CPU sleeps with a timeout of that number",
            Refused::Blocked => "the thread is blocked on a wait channel, on no run queue",
        })
    }
}

/// An operation of the model language that names what it was doing in its error.
pub type OpName = &'static str;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The choice is not enabled now (the caller's mistake, not the model's).
    NotPossible {
        choice: Choice,
        why: Refused,
    },
    TooManyArguments,
    CallTooDeep,
    /// A call or handler entry would give the CPU more locals than a state can encode.
    LocalsFull {
        max: usize,
    },
    /// FUEL local instructions in a row without a visible step.
    RunawayLoop {
        fuel: u32,
    },
    /// A violation raised by an instruction that is folded into the next visible step, so
    /// there is no step to report it from.
    ViolationInLocalCode {
        message: String,
    },
    IndexOutOfBounds {
        var: String,
        index: i32,
        size: u32,
    },
    NoPte {
        va: i32,
        aspace: String,
    },
    NoFrame {
        op: OpName,
        frame: i32,
    },
    NoFreeFrame,
    DoubleFree {
        frame: i32,
    },
    GenerationFull {
        frame: i32,
    },
    NoAddressSpace {
        op: OpName,
        aspace: i32,
    },
    /// An atomic, a dcas or a retire whose operand is a local, which has no address.
    OnALocal {
        op: OpName,
    },
    DcasNotAdjacent {
        first: String,
        second: String,
    },
    EoiWithNothingInService,
    TooManyBroadcasts {
        max: usize,
    },
    TooManyRetired {
        max: usize,
    },
    ShiftOutOfRange {
        by: i32,
    },
    DivisionByZero,
    DivisionOverflow {
        x: i32,
        op: char,
    },
    BitOutsideMask {
        bit: i32,
    },
    NestedTooDeep {
        open: OpName,
    },
    CloseWithoutOpen {
        open: OpName,
        close: OpName,
    },
    /// The session's bounds on a run's length and memory.
    RunTooLong {
        max: usize,
    },
    HistoryFull {
        snapshots: usize,
        mb: usize,
        state_kb: usize,
    },
    /// `sleep` where the thread may not block: in a handler or the switch path, with IF=0
    /// or in a critical section, or in a scenario without `thread` entries (no scheduler).
    CannotSleep {
        why: &'static str,
    },
    /// A wait channel outside 0 to `MAX_WCHAN`.
    BadWaitChannel {
        op: OpName,
        chan: i32,
    },
    /// A compiled program that breaks the compiler's own invariants (a local or option out
    /// of range): a bug of ours, reported rather than panicked on.
    Internal(&'static str),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::NotPossible { choice, why } => write!(f, "choice {choice} is not possible now: {why}"),
            RunError::TooManyArguments => f.write_str("too many arguments"),
            RunError::CallTooDeep => f.write_str("call stack deeper than 64: unbounded recursion?"),
            RunError::LocalsFull { max } => write!(
                f,
                "the CPU's activations would hold more than {max} locals: recursion too deep for a procedure this large"
            ),
            RunError::RunawayLoop { fuel } => {
                write!(f, "ran {fuel} local instructions without a step that touches shared state: an endless loop?")
            }
            RunError::ViolationInLocalCode { message } => f.write_str(message),
            RunError::IndexOutOfBounds { var, index, size } => {
                write!(f, "index {index} is out of bounds for `{var}` (size {size})")
            }
            RunError::NoPte { va, aspace } => write!(
                f,
                "no page-table entry for va {va:#x} in address space {aspace} (declare it with `map {aspace} {va:#x};`)"
            ),
            RunError::NoFrame { op, frame } => write!(f, "{op}: there is no frame {frame}"),
            RunError::NoFreeFrame => f.write_str("alloc_page: no free frame (declare more with `frames N;`)"),
            RunError::DoubleFree { frame } => write!(f, "free_page: frame {frame} is already free (double free)"),
            RunError::GenerationFull { frame } => {
                write!(f, "free_page: frame {frame} was freed 65535 times; its generation count is full")
            }
            RunError::NoAddressSpace { op, aspace } => write!(f, "{op}: no address space {aspace}"),
            RunError::OnALocal { op } => write!(f, "{op} on a local"),
            RunError::DcasNotAdjacent { first, second } => write!(
                f,
                "dcas: {first} and {second} are not adjacent words (the second must follow the first, as the two halves of a CMPXCHG16B operand)"
            ),
            RunError::EoiWithNothingInService => f.write_str("EOI with no interrupt in service"),
            RunError::TooManyBroadcasts { max } => {
                write!(f, "more than {max} broadcast invalidations in flight (is a wait for them, TLBSYNC or DSB ISH, missing?)")
            }
            RunError::TooManyRetired { max } => write!(
                f,
                "retire: more than {max} words of request storage retired at once (a request is a few words; is the model retiring in a loop?)"
            ),
            RunError::ShiftOutOfRange { by } => write!(f, "shift by {by}: shift counts run from 0 to 31"),
            RunError::DivisionByZero => f.write_str("division by zero"),
            RunError::DivisionOverflow { x, op } => write!(f, "{x} {op} -1 overflows a 32-bit word"),
            RunError::BitOutsideMask { bit } => write!(f, "bit({bit}) is outside a 32-bit mask"),
            RunError::NestedTooDeep { open } => write!(f, "{open} nested more than 65535 deep"),
            RunError::CloseWithoutOpen { open, close } => write!(f, "{close} without {open}"),
            RunError::RunTooLong { max } => write!(f, "the run is {max} steps long, the most a session keeps"),
            RunError::HistoryFull { snapshots, mb, state_kb } => write!(
                f,
                "the run's {snapshots} snapshots take {mb} MB, the most a session keeps (states of this model are {state_kb} KB)"
            ),
            RunError::CannotSleep { why } => write!(f, "sleep: a thread cannot block here: {why}"),
            RunError::BadWaitChannel { op, chan } => {
                write!(f, "{op}: wait channel {chan} is outside 0 to {}", super::state::MAX_WCHAN - 1)
            }
            RunError::Internal(what) => f.write_str(what),
        }
    }
}
