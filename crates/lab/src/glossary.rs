//! The glossary a lecture needs one key (`?`) or one hover away: the hardware terms the
//! stepper draws and each property the checker judges. The app shows it in the help
//! dialog and as the hover text of the words on the CPU cards.

/// (term, meaning), in the order the help dialog lists them.
pub const GLOSSARY: &[(&str, &str)] = &[
    ("IPI", "Inter-processor interrupt: one CPU's LAPIC interrupts others; a shootdown's request to invalidate."),
    ("IRR", "Interrupt Request Register: one bit per vector, set when an interrupt arrives and waits to be taken; two IPIs of one vector merge into one bit."),
    ("ISR", "In-Service Register: one bit per vector whose handler is running; cleared by EOI. A vector in service blocks lower and equal priorities."),
    ("IF", "The interrupt flag: IF=0 (cli, or inside a handler) holds pending interrupts in the IRR until it is 1 again."),
    ("EOI", "End of interrupt: the handler tells its LAPIC it is done, clearing the ISR bit."),
    ("TLB", "Translation lookaside buffer: a CPU's cache of page-table entries. It is not coherent: another CPU's change to a PTE reaches it only by an invalidation."),
    ("INVLPG", "Invalidate one page's entry in this CPU's TLB only."),
    ("PCID", "Process-context identifier: TLB entries tagged by address space survive a CR3 switch, so a CPU that ran the process earlier may still cache its pages."),
    ("CR3", "The register that selects the loaded address space (page tables)."),
    ("csd", "Linux's call_single_data: the per-CPU request record an IPI's handler reads (smp_call_function_many); reusing it too early races."),
    ("lazy TLB", "A CPU running a kernel thread keeps the previous process's address space loaded without using it; Linux may skip its IPI and let it flush on the next switch."),
    ("TSO", "x86 total store order: each CPU's stores wait in a store buffer, so it sees its own stores before other CPUs do; a fence or a locked instruction drains the buffer."),
    ("INVLPGB", "AMD's broadcast invalidation: every TLB drops the page in its own time; TLBSYNC waits until they all have."),
    ("TLBI …IS", "arm64's broadcast invalidation (inner shareable): every PE's TLB drops the page in its own time, with no IPI; DSB ISH waits only for the TLBIs this PE issued."),
    ("acknowledgement", "The target's word to the initiator that it is done (or, in some algorithms, that it has seen the request): the initiator waits for every one."),
    ("G-STALE", "Safety: no CPU uses a TLB entry of a frame that has been freed (use after free through a stale entry)."),
    ("G-DIRTY", "Safety: no write through a cached translation is lost after the frame was declared clean (a lost modification)."),
    ("G-DEADLOCK", "Progress: the machine never reaches a state where CPUs wait and none can move."),
    ("G-NOLOST", "Progress: every shootdown completes (no request is lost while CPUs wait forever)."),
    ("G-USERMODE-WINDOW", "Safety: between its acknowledgement and its invalidation a CPU makes no use of the cached translation."),
    ("G-MEM", "Safety: no CPU touches the initiator's request words after the initiator retired them for reuse."),
];

/// The meaning of `term`, for hover text.
pub fn meaning(term: &str) -> &'static str {
    GLOSSARY.iter().find(|(t, _)| *t == term).map_or("", |(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_property_a_model_names_is_in_the_glossary() {
        for m in sdlab_engine::models::BUNDLED {
            for (i, _) in m.source.match_indices("G-") {
                let word: String = m.source[i..].chars().take_while(|c| c.is_ascii_uppercase() || *c == '-').collect();
                let word = word.trim_end_matches('-');
                if word.len() > 3 {
                    assert!(!meaning(word).is_empty(), "{}: {word} has no glossary entry", m.id);
                }
            }
        }
        for t in ["IRR", "ISR", "IF", "PCID", "csd", "lazy TLB", "TSO"] {
            assert!(!meaning(t).is_empty(), "{t}");
        }
    }
}
