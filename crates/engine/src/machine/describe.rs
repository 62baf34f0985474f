//! One short sentence per effect, for narration, the step log and the CLI.

use super::{Choice, Effect, Machine, Store, NO_THREAD};

fn cpus(mask: u32) -> String {
    let list: Vec<String> = (0..32).filter(|c| mask & (1 << c) != 0).map(|c| c.to_string()).collect();
    match list.len() {
        0 => "no CPU".into(),
        1 => format!("CPU {}", list[0]),
        _ => format!("CPUs {}", list.join(", ")),
    }
}

pub fn describe_effect(m: &Machine, e: &Effect) -> String {
    match *e {
        Effect::Read { cpu, addr, value } => format!("CPU {cpu} reads {} = {value}", m.addr_name(addr)),
        Effect::Write { cpu, addr, old, new } => format!("CPU {cpu} writes {} = {new} (was {old})", m.addr_name(addr)),
        Effect::Rmw { cpu, addr, old, new } => {
            format!("CPU {cpu} atomically updates {} from {old} to {new}", m.addr_name(addr))
        }
        Effect::StoreBuffered { cpu, addr, value } => format!(
            "CPU {cpu} stores {} into its store buffer: the other CPUs do not see it yet",
            buffered(m, &Store { addr, value }, " = ")
        ),
        Effect::StoreCommitted { cpu, addr, old, new } => {
            format!("CPU {cpu}'s store buffer commits {} = {new} to memory (was {old})", m.addr_name(addr))
        }
        Effect::Fence { cpu } => format!("CPU {cpu} executes a fence"),
        Effect::Interrupts { cpu, enabled } => {
            format!("CPU {cpu} {} interrupts (IF={})", if enabled { "enables" } else { "disables" }, enabled as u8)
        }
        Effect::Critical { cpu, depth } => format!("CPU {cpu} critical-section depth is now {depth}"),
        Effect::Pinned { cpu, depth } => format!("CPU {cpu} pin depth is now {depth}"),
        Effect::IpiSent { cpu, targets, vector } => {
            format!("CPU {cpu} sends {} to {}", m.vector_name(vector), cpus(targets))
        }
        Effect::IpiPending { cpu, vector } => format!("{} is now pending in CPU {cpu}'s IRR", m.vector_name(vector)),
        Effect::IpiMerged { cpu, vector } => {
            format!("{} was already pending at CPU {cpu}: the two IPIs merge into one IRR bit", m.vector_name(vector))
        }
        Effect::IpiLost { cpu, vector } => {
            format!(
                "the pending {} of CPU {cpu} is lost on its way (an IPI the environment loses)",
                m.vector_name(vector)
            )
        }
        Effect::IpiDropped { cpu, vector } => {
            format!(
                "{} is in service at CPU {cpu} and this LAPIC keeps no second one: the IPI is lost",
                m.vector_name(vector)
            )
        }
        Effect::IrqEnter { cpu, vector } => {
            format!("CPU {cpu} takes {}: IRR→ISR, IF=0, the handler starts", m.vector_name(vector))
        }
        Effect::Eoi { cpu, vector } => format!("CPU {cpu} signals EOI for {} (ISR bit cleared)", m.vector_name(vector)),
        Effect::Iret { cpu, vector } => {
            format!("CPU {cpu} returns from the {} handler (IRET restores IF)", m.vector_name(vector))
        }
        Effect::NmiEnter { cpu } => format!("an NMI interrupts CPU {cpu}"),
        Effect::NmiLatched { cpu } => format!("a second NMI is latched at CPU {cpu}"),
        Effect::NmiExit { cpu } => format!("CPU {cpu} returns from the NMI handler"),
        Effect::PteWrite { slot, old, new } => {
            let sl = m.slots[slot as usize];
            let what = if !new.present {
                "cleared".to_string()
            } else {
                format!("now maps frame {}{}", new.frame, if new.writable { " (writable)" } else { "" })
            };
            let was = if old.present { format!(" (was frame {})", old.frame) } else { String::new() };
            format!("PTE {} {:#x} {what}{was}", m.aspace_name(sl.aspace), sl.va)
        }
        Effect::PteRead { cpu, slot } => {
            let sl = m.slots[slot as usize];
            format!("CPU {cpu} reads the PTE of {} {:#x}", m.aspace_name(sl.aspace), sl.va)
        }
        Effect::TlbFill { cpu, entry } => format!("CPU {cpu}'s TLB caches {:#x} → frame {}", entry.va, entry.frame),
        Effect::TlbInvalidate { cpu, va, removed } => {
            format!(
                "CPU {cpu} invalidates {va:#x} in its TLB ({})",
                if removed > 0 { "entry removed" } else { "no entry was cached" }
            )
        }
        Effect::TlbFlush { cpu, removed } => format!("CPU {cpu} flushes its TLB ({removed} entries)"),
        Effect::PscFill { cpu, aspace, frame } => format!(
            "CPU {cpu}'s paging-structure cache keeps {}'s upper-level entry: its page table is frame {frame}",
            m.aspace_name(aspace)
        ),
        Effect::WalkFreed { cpu, va, frame, cached } => format!(
            "CPU {cpu}'s page walk for {va:#x} reads freed frame {frame} as a page table{}",
            if cached { ", through its paging-structure cache" } else { "" }
        ),
        Effect::PscFlush { cpu, removed } => {
            format!("CPU {cpu}'s paging-structure cache drops {removed} upper-level entries")
        }
        Effect::UserAccess { cpu, va, frame, write, stale } => format!(
            "CPU {cpu} {} {va:#x} → frame {frame}{}",
            if write { "writes" } else { "reads" },
            if stale { " through a STALE entry" } else { "" }
        ),
        Effect::DirtyAssist { cpu, slot } => {
            format!("CPU {cpu}'s first write sets the dirty bit in the PTE of {:#x}", m.slots[slot as usize].va)
        }
        Effect::PageFault { cpu, va } => format!("CPU {cpu} page-faults on {va:#x}: the mapping is gone"),
        Effect::FrameAlloc { cpu, frame } => format!("CPU {cpu} allocates frame {frame}"),
        Effect::FrameFree { cpu, frame } => format!("CPU {cpu} frees frame {frame}"),
        Effect::FrameClean { cpu, frame } => {
            format!("CPU {cpu} declares frame {frame} clean: its contents are the copy on disk, later writes must set a dirty bit")
        }
        Effect::FrameSave { cpu, frame } => {
            format!("CPU {cpu} writes frame {frame} out: every store so far is on disk")
        }
        Effect::AddressSpace { cpu, aspace } => {
            format!("CPU {cpu} switches to address space {}", m.aspace_name(aspace))
        }
        Effect::Call { cpu, proc } => format!("CPU {cpu} calls {}", m.prog.procs[proc as usize].name),
        Effect::ThreadDone { cpu } => format!("CPU {cpu}'s thread finishes; the CPU idles with interrupts enabled"),
        Effect::Switch { cpu, from, to, .. } if from == NO_THREAD => {
            format!("CPU {cpu}, idle, switches to thread {to} from its run queue")
        }
        Effect::Switch { cpu, from, to, gave: true } => {
            format!(
                "context switch on CPU {cpu}: thread {from} gives up the CPU (back on the run queue), thread {to} runs"
            )
        }
        Effect::Switch { cpu, from, to, gave: false } => {
            format!("context switch on CPU {cpu}: thread {from} is preempted (back on the run queue), thread {to} runs")
        }
        Effect::Migrate { thread, from, to } => {
            format!("thread {thread} migrates from CPU {from}'s run queue to CPU {to}'s")
        }
        Effect::Yield { cpu, gave: true } => {
            format!("CPU {cpu}'s thread yields: a thread of its priority or higher takes the CPU")
        }
        Effect::Yield { cpu, gave: false } => {
            format!("CPU {cpu}'s thread yields, but no runnable thread of its priority or higher waits: it runs on")
        }
        Effect::Sleep { cpu, thread, chan, timo } => {
            let until = if timo { "a wakeup or its 1-tick callout" } else { "a wakeup" };
            format!("thread {thread} blocks on wait channel {chan} until {until}; CPU {cpu} is free for another thread")
        }
        Effect::Wakeup { cpu, chan, woken: 0 } => {
            format!("CPU {cpu} wakes wait channel {chan}: nobody sleeps there")
        }
        Effect::Wakeup { cpu, chan, woken } => {
            format!("CPU {cpu} wakes wait channel {chan}: {woken} thread(s) become runnable")
        }
        Effect::Timeout { cpu, thread } => {
            format!(
                "the callout fires: thread {thread}'s sleep times out, and it is runnable on CPU {cpu}'s queue again"
            )
        }
        Effect::WindowOpen { cpu, va } => {
            format!("CPU {cpu} has acknowledged before invalidating va {va:#x}: no user access to it until it does")
        }
        Effect::WindowClose { cpu, va } => format!("CPU {cpu}'s acknowledgement window for va {va:#x} closes"),
        Effect::Retire { cpu, addr } => {
            format!("CPU {cpu} is done with {}: no other CPU may touch it from now on", m.addr_name(addr))
        }
        Effect::BcastIssue { cpu, aspace, va } => {
            format!(
                "CPU {cpu} issues {} for {} va {va:#x}: every TLB will drop it, in its own time",
                m.prog.broadcast_names().0,
                m.aspace_name(aspace)
            )
        }
        Effect::BcastReach { cpu, issuer, va, removed } => {
            let issue = m.prog.broadcast_names().0;
            format!("CPU {issuer}'s {issue} of va {va:#x} reaches CPU {cpu}'s TLB ({removed} entry removed)")
        }
        Effect::Tlbsync { cpu } => {
            let (issue, wait) = m.prog.broadcast_names();
            format!("CPU {cpu}'s {wait} completes: its {issue}s have reached every TLB")
        }
        Effect::Ktr { cpu, name, .. } => {
            let args: Vec<String> = e.ktr_args().iter().map(|a| a.to_string()).collect();
            format!("CPU {cpu} traces {}({})", m.prog.ktr_name(name), args.join(", "))
        }
    }
}

/// A store buffer's entries, oldest first: `loaded_mm[1] ← 9` (empty when none).
pub fn describe_store_buffer(m: &Machine, sb: &[Store]) -> Vec<String> {
    sb.iter().map(|e| buffered(m, e, " ← ")).collect()
}

/// `x = 5`, or for a buffered `pte_set` `PTE user 0x1000 = frame 2 (writable)`.
fn buffered(m: &Machine, e: &Store, sep: &str) -> String {
    match e.pte_slot().and_then(|i| m.slots.get(i)) {
        Some(sl) => {
            let p = super::Pte::from_word(e.value as u32);
            let w = if p.writable { " (writable)" } else { "" };
            format!("PTE {} {:#x}{sep}frame {}{w}", m.aspace_name(sl.aspace), sl.va, p.frame)
        }
        None => format!("{}{sep}{}", m.addr_name(e.addr), e.value),
    }
}

/// A choice in words, for lists of what a run can do next.
pub fn describe_choice(m: &Machine, c: Choice) -> String {
    match c {
        Choice::Step(c) => format!("CPU {c} steps"),
        Choice::Irq(c, v) => format!("CPU {c} takes interrupt {}", m.vector_name(v)),
        Choice::Fill(c, s) => format!("CPU {c}'s TLB fills speculatively (slot {s})"),
        Choice::Nmi(c) => format!("an NMI hits CPU {c}"),
        Choice::Drain(c) => format!("CPU {c}'s store buffer commits its oldest store"),
        Choice::Bcast(c, k) => format!("{} number {k} in flight reaches CPU {c}'s TLB", m.prog.broadcast_names().0),
        Choice::Lose(c, v) => format!("CPU {c}'s pending {} is lost", m.vector_name(v)),
        Choice::Switch(c, t) => format!("CPU {c} switches to thread {t}"),
        Choice::Migrate(t, d) => format!("thread {t} migrates to CPU {d}"),
        Choice::Timeout(c, t) => format!("the callout of thread {t} (CPU {c}) fires: its sleep times out"),
    }
}
