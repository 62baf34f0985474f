//! The language's built-in statements: one table of name, arity, whether a value comes
//! back, and a line of help. The compiler checks calls against it and lowers each
//! `Builtin` (an exhaustive match, so a new row cannot be left unlowered), `declare`
//! reserves every name in it, and the page's source highlighter reads it.

/// How many arguments a built-in takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    Exactly(u8),
    /// `ktr`: a trace point's name and up to three values.
    Between(u8, u8),
}

impl Arity {
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Exactly(k) => n == k as usize,
            Arity::Between(lo, hi) => (lo as usize..=hi as usize).contains(&n),
        }
    }
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub builtin: Builtin,
    pub name: &'static str,
    pub arity: Arity,
    /// A value comes back (`local old = fetch_add(w, 1);`).
    pub returns: bool,
    /// What it does, in one line (the reference is docs/model-language.md).
    pub help: &'static str,
}

/// Declares `Builtin` and `TABLE` from one list, so that every variant has exactly one
/// row, in declaration order (`Builtin::entry` indexes the table by the variant).
macro_rules! builtins {
    ($($variant:ident $name:literal $arity:expr, $returns:literal, $help:literal;)*) => {
        /// A built-in, by what it does. The name a model calls it by is `Builtin::name`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $($variant,)*
        }

        /// Every built-in statement.
        pub const TABLE: &[Entry] = &[
            $(Entry { builtin: Builtin::$variant, name: $name, arity: $arity, returns: $returns, help: $help },)*
        ];
    };
}

builtins! {
    Fence "fence" Arity::Exactly(1), false, "a fence: seq_cst (MFENCE), acquire or release";
    DisableInterrupts "disable_interrupts" Arity::Exactly(0), false, "clear IF (CLI)";
    EnableInterrupts "enable_interrupts" Arity::Exactly(0), false, "set IF (STI)";
    CriticalEnter "critical_enter" Arity::Exactly(0), false, "enter a critical section (no preemption)";
    CriticalExit "critical_exit" Arity::Exactly(0), false, "leave a critical section";
    Pin "pin" Arity::Exactly(0), false, "pin the thread to this CPU (sched_pin)";
    Unpin "unpin" Arity::Exactly(0), false, "unpin the thread";
    Pause "pause" Arity::Exactly(0), false, "nothing: marks a spin loop";
    Eoi "eoi" Arity::Exactly(0), false, "end of interrupt: clear the highest in-service vector";
    FlushTlb "flush_tlb" Arity::Exactly(0), false, "drop this CPU's entries of the loaded address space";
    Tlbsync "tlbsync" Arity::Exactly(0), false, "wait until every INVLPGB this CPU issued has reached every TLB";
    SendIpi "send_ipi" Arity::Exactly(2), false, "send a vector to a CPU mask: sets IRR at every target";
    Invlpg "invlpg" Arity::Exactly(1), false, "drop this CPU's entry for a page";
    Invlpgb "invlpgb" Arity::Exactly(2), false, "broadcast the invalidation of (address space, page) to every TLB";
    TlbiIs "tlbi_is" Arity::Exactly(2), false, "arm64 TLBI VALE1IS: invlpgb's broadcast, named as arm64 names it";
    DsbIsh "dsb_ish" Arity::Exactly(0), false, "arm64 DSB ISH: tlbsync's wait for this PE's own TLBIs, named as arm64 names it";
    UserLoad "user_load" Arity::Exactly(1), false, "a user read through the TLB (a miss walks the page table)";
    UserStore "user_store" Arity::Exactly(1), false, "a user write through the TLB (sets the dirty bit)";
    FreePage "free_page" Arity::Exactly(1), false, "free a frame (its generation moves on)";
    AllocPage "alloc_page" Arity::Exactly(0), true, "allocate a frame";
    PageClean "page_clean" Arity::Exactly(1), false, "hold a frame clean: its contents are the copy on disk";
    PageSave "page_save" Arity::Exactly(1), false, "write a frame out: every store so far is on disk";
    SwitchTo "switch_to" Arity::Exactly(1), false, "load another address space and flush the TLB";
    LoadCr3 "load_cr3" Arity::Exactly(2), false, "load an address space with PCIDs (flush when the second is non-zero)";
    PteClear "pte_clear" Arity::Exactly(2), true, "clear a PTE; its old frame, or -1";
    PteRead "pte_read" Arity::Exactly(2), true, "read a PTE's frame, or -1";
    PteSet "pte_set" Arity::Exactly(4), false, "map a page to a frame, writable or not";
    PteCmpset "pte_cmpset" Arity::Exactly(5), true, "LOCK CMPXCHG on a PTE: set its W bit if frame and D are as given";
    PteDirty "pte_dirty" Arity::Exactly(2), true, "a PTE's dirty bit (pmap_is_modified)";
    PteClearDirty "pte_clear_dirty" Arity::Exactly(2), true, "clear a PTE's dirty bit; the old one (pmap_clear_modify)";
    FetchAdd "fetch_add" Arity::Exactly(2), true, "locked add; the old value";
    Xchg "xchg" Arity::Exactly(2), true, "locked exchange; the old value";
    Cmpxchg "cmpxchg" Arity::Exactly(3), true, "locked compare-and-exchange; 1 on success";
    AtomicOr "atomic_or" Arity::Exactly(2), true, "locked OR; the old value";
    AtomicAnd "atomic_and" Arity::Exactly(2), true, "locked AND; the old value";
    Dcas "dcas" Arity::Exactly(6), true, "CMPXCHG16B on two adjacent words; 1 on success";
    AckWindow "ack_window" Arity::Exactly(1), false, "open this CPU's acknowledgement window on a page (no step)";
    CloseWindow "close_window" Arity::Exactly(0), false, "close the window: nothing to invalidate (no step)";
    Retire "retire" Arity::Exactly(1), false, "the owner retires a request word (no step)";
    Ktr "ktr" Arity::Between(1, 4), false, "a KTR-style trace point: its name and up to three values (no step)";
    Yield "yield" Arity::Exactly(0), false, "give the CPU to a runnable thread of equal or higher priority on its run queue (kern_yield)";
    Sleep "sleep" Arity::Exactly(1), false, "block on a wait channel until a wakeup of it (sleepq_wait)";
    SleepTimo "sleep_timo" Arity::Exactly(1), false, "block on a wait channel until a wakeup of it or a callout (sleepq_timedwait)";
    Wakeup "wakeup" Arity::Exactly(1), false, "make every thread blocked on a wait channel runnable (wakeup)";
}

impl Builtin {
    pub fn entry(self) -> &'static Entry {
        &TABLE[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.entry().name
    }
}
/// The built-in a name calls, if any.
pub fn find(name: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|r| r.name == name)
}

/// The language's keywords: declarations, statements, and words with a fixed meaning.
/// The page's highlighter colours them; `declare` refuses them as names.
pub const KEYWORDS: &[&str] = &[
    "model",
    "cpus",
    "option",
    "const",
    "vector",
    "shared",
    "percpu",
    "cpumask",
    "aspace",
    "map",
    "frames",
    "proc",
    "user",
    "handler",
    "nmi",
    "scenario",
    "cpu",
    "idle",
    "in",
    "local",
    "if",
    "else",
    "while",
    "for",
    "break",
    "continue",
    "return",
    "assert",
    "mark",
    "true",
    "false",
    "self",
    "NCPU",
    "race",
    "expect",
    "story",
    "kind",
    "cite",
    "view",
    "by",
    "on_switch",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_builtin_has_one_row_and_every_name_is_unique() {
        let names: HashSet<_> = TABLE.iter().map(|r| r.name).collect();
        let kinds: HashSet<_> = TABLE.iter().map(|r| r.builtin).collect();
        assert_eq!((names.len(), kinds.len()), (TABLE.len(), TABLE.len()));
        for r in TABLE {
            assert_eq!(r.builtin.entry().name, r.name);
            assert_eq!(find(r.name).map(|f| f.builtin), Some(r.builtin));
            assert!(!KEYWORDS.contains(&r.name), "{} is a keyword and a built-in", r.name);
        }
    }
}
