//! Narration by meaning: the words of a step as a lecturer would say them. The engine's
//! `describe_effect` prints raw words (`pm_active = 7`); here a `cpumask` word is a CPU set
//! (`{0, 1, 2}`), a value the model assigns to that variable by a constant's name is that
//! name (`smp_tlb_op = OP_PG`), numbers that look like addresses are in hex, an update
//! that changes nothing is not narrated, and a model comment that the machine contradicts
//! (a TLB still caches a freed frame) is phrased as what the algorithm believes.

use sdlab_engine::machine::{describe_effect, Effect, Machine, State};
use sdlab_engine::session::LogEntry;
use std::collections::HashMap;

/// What the model says about its words: which are CPU sets, and which constants it
/// assigns to (or compares with) each variable.
pub struct Words {
    /// By variable index.
    masks: Vec<bool>,
    /// By variable index: (value, constant name) pairs the model writes or tests it with.
    names: HashMap<usize, Vec<(i32, String)>>,
}

fn ident(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    j
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

impl Words {
    pub fn new(m: &Machine) -> Words {
        let prog = &m.prog();
        let masks = prog.vars.iter().map(|v| v.is_mask).collect();
        let var_index: HashMap<&str, usize> = prog.vars.iter().enumerate().map(|(i, v)| (v.name.as_str(), i)).collect();
        let consts: HashMap<&str, i32> =
            prog.consts.iter().zip(m.consts()).map(|((n, _), v)| (n.as_str(), *v)).collect();
        let mut names: HashMap<usize, Vec<(i32, String)>> = HashMap::new();
        // `var = CONST`, `var[i] = CONST`, `var == CONST`, `var != CONST`, outside comments.
        for line in prog.source.lines() {
            let code = line.split("//").next().unwrap_or("");
            let b = code.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if !(b[i].is_ascii_alphabetic() || b[i] == b'_')
                    || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
                {
                    i += 1;
                    continue;
                }
                let end = ident(b, i);
                let Some(&v) = var_index.get(&code[i..end]) else {
                    i = end;
                    continue;
                };
                let mut j = skip_ws(b, end);
                if j < b.len() && b[j] == b'[' {
                    let mut depth = 0;
                    while j < b.len() {
                        depth += match b[j] {
                            b'[' => 1,
                            b']' => -1,
                            _ => 0,
                        };
                        j += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    j = skip_ws(b, j);
                }
                let op = if code[j..].starts_with("==") || code[j..].starts_with("!=") {
                    2
                } else if code[j..].starts_with('=') {
                    1
                } else {
                    0
                };
                if op > 0 {
                    let k = skip_ws(b, j + op);
                    let e = ident(b, k);
                    if let Some(&value) = consts.get(&code[k..e]) {
                        let list = names.entry(v).or_default();
                        if !list.iter().any(|(_, n)| n == &code[k..e]) {
                            list.push((value, code[k..e].to_string()));
                        }
                    }
                }
                i = end;
            }
        }
        Words { masks, names }
    }

    fn var_of(m: &Machine, addr: u32) -> Option<usize> {
        m.vars().iter().position(|l| addr >= l.base && addr < l.base + l.size())
    }

    /// A word's value as it means: a CPU set, a constant's name, an address in hex.
    pub fn value(&self, m: &Machine, addr: u32, v: i32) -> String {
        let var = Words::var_of(m, addr);
        if var.is_some_and(|i| self.masks[i]) {
            let on: Vec<String> = (0..32).filter(|c| v as u32 & (1 << c) != 0).map(|c: u32| c.to_string()).collect();
            return format!("{{{}}}", on.join(", "));
        }
        // A name only when exactly one constant the model uses with this word has the value.
        if let Some(list) = var.and_then(|i| self.names.get(&i)) {
            let hits: Vec<&String> = list.iter().filter(|(x, _)| *x == v).map(|(_, n)| n).collect();
            if let [name] = hits[..] {
                return name.clone();
            }
        }
        crate::view::word(v)
    }

    /// One effect in words; None for an update that changes nothing.
    pub fn effect(&self, m: &Machine, e: &Effect) -> Option<String> {
        let name = |addr: u32| m.addr_name(addr);
        Some(match *e {
            Effect::Read { cpu, addr, value } => {
                format!("CPU {cpu} reads {} = {}", name(addr), self.value(m, addr, value))
            }
            Effect::Write { old, new, .. } | Effect::Rmw { old, new, .. } | Effect::StoreCommitted { old, new, .. }
                if old == new =>
            {
                return None
            }
            Effect::Write { cpu, addr, old, new } => format!(
                "CPU {cpu} writes {} = {} (was {})",
                name(addr),
                self.value(m, addr, new),
                self.value(m, addr, old)
            ),
            Effect::Rmw { cpu, addr, old, new } => format!(
                "CPU {cpu} atomically updates {} from {} to {}",
                name(addr),
                self.value(m, addr, old),
                self.value(m, addr, new)
            ),
            Effect::StoreBuffered { cpu, addr, value } => format!(
                "CPU {cpu} stores {} = {} into its store buffer: the other CPUs do not see it yet",
                name(addr),
                self.value(m, addr, value)
            ),
            Effect::StoreCommitted { cpu, addr, old, new } => format!(
                "CPU {cpu}'s store buffer commits {} = {} to memory (was {})",
                name(addr),
                self.value(m, addr, new),
                self.value(m, addr, old)
            ),
            Effect::Call { .. } | Effect::Ktr { .. } => return None,
            _ => describe_effect(m, e),
        })
    }

    /// The step's line in the log: the model's comment, then what it did.
    pub fn summary(&self, m: &Machine, e: &LogEntry) -> String {
        let facts = self.facts(m, e);
        match &e.narration {
            Some(n) => format!("{n} — {facts}"),
            None => facts,
        }
    }

    /// What the step did, in words (the engine's facts, by meaning).
    pub fn facts(&self, m: &Machine, e: &LogEntry) -> String {
        let said: Vec<String> = e.effects.iter().filter_map(|f| self.effect(m, f)).collect();
        if said.is_empty() {
            format!("CPU {} steps", e.cpu)
        } else {
            said.join("; ")
        }
    }
}

/// What the model's comment for this step says, phrased as the algorithm's belief when
/// the machine shows otherwise: the comment speaks of TLBs or of freeing while some TLB
/// still caches a translation of a freed frame.
pub fn said(st: &State, comment: &str) -> String {
    let lower = comment.to_lowercase();
    let about_tlbs = ["tlb", "clean", "flush", "invalidat", "free", "stale"].iter().any(|w| lower.contains(w));
    let stale: Vec<String> = st
        .cpus
        .iter()
        .enumerate()
        .flat_map(|(c, cpu)| {
            cpu.tlb
                .iter()
                .filter(|e| st.frames.get(e.frame as usize).is_some_and(|f| f.gen != e.gen))
                .map(move |e| format!("CPU {c}'s TLB still caches {:#x} → frame {}", e.va, e.frame))
        })
        .collect();
    if !about_tlbs || stale.is_empty() {
        return comment.to_string();
    }
    let comment = comment.trim_end_matches('.');
    format!("The algorithm believes: “{comment}.” The machine shows otherwise: {}.", stale.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{load_bundled, Action, Pane};

    fn pane(model: &str, ncpu: u32) -> Pane {
        let mut p = Pane::opening();
        p.apply(Action::SetModel(model.into()));
        p.apply(Action::SetCpus(ncpu));
        assert_eq!(p.error, None);
        p
    }

    #[test]
    fn masks_are_cpu_sets_and_constants_have_their_names() {
        let (_, machine) = load_bundled("freebsd-scoreboard").unwrap();
        let w = Words::new(&machine);
        let addr = |name: &str| {
            let i = machine.prog().vars.iter().position(|v| v.name == name).unwrap();
            machine.vars()[i].base
        };
        assert_eq!(w.value(&machine, addr("pm_active"), 7), "{0, 1, 2}");
        assert_eq!(w.value(&machine, addr("pm_active"), 0), "{}");
        assert_eq!(w.value(&machine, addr("smp_tlb_op"), 8), "OP_PG");
        // A value no constant of this word has stays a number; addresses are in hex.
        assert_eq!(w.value(&machine, addr("smp_tlb_op"), 5), "5");
        assert_eq!(w.value(&machine, addr("smp_tlb_op"), 4096), "0x1000");
    }

    #[test]
    fn a_run_narrates_no_raw_mask_no_decimal_address_and_no_update_that_changes_nothing() {
        // What the runs hold, so that the test is not vacuous.
        let (mut noops, mut addresses, mut masks) = (0, 0, 0);
        for model in ["freebsd-scoreboard", "dragonfly", "linux", "freebsd-di"] {
            let mut p = pane(model, 3);
            let w = Words::new(p.session.machine());
            for _ in 0..200 {
                p.apply(Action::StepSeeded);
            }
            assert!(p.session.steps() > 10, "{model}: the run moves");
            for e in p.session.log() {
                let facts = w.facts(p.session.machine(), e);
                for f in &e.effects {
                    if let Effect::Rmw { old, new, .. } | Effect::Write { old, new, .. } = f {
                        if old == new {
                            noops += 1;
                            let raw = describe_effect(p.session.machine(), f);
                            assert!(!facts.contains(&raw), "{model}: a no-op update narrated: {raw}");
                        }
                    }
                }
                for f in &e.effects {
                    match *f {
                        Effect::Read { addr, value, .. }
                        | Effect::Write { addr, new: value, .. }
                        | Effect::Rmw { addr, new: value, .. } => {
                            let var = Words::var_of(p.session.machine(), addr).unwrap();
                            if p.session.machine().prog().vars[var].is_mask {
                                masks += 1;
                                let raw = format!("{} = {value}", p.session.machine().addr_name(addr));
                                assert!(value < 2 || !facts.contains(&raw), "{model}: a raw mask: {facts}");
                            } else if value >= 0x1000 {
                                addresses += 1;
                                assert!(
                                    !facts.contains(&format!("= {value}")) && !facts.contains(&format!("to {value}")),
                                    "{model}: an address in decimal: {facts}"
                                );
                                assert!(
                                    facts.contains(&format!("{value:#x}")),
                                    "{model}: {value:#x} not in hex: {facts}"
                                );
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        assert!(
            noops > 0 && addresses > 0 && masks > 0,
            "the runs hold no-op updates ({noops}), addresses ({addresses}) and masks ({masks})"
        );
    }

    #[test]
    fn a_comment_the_machine_contradicts_is_the_algorithms_belief() {
        let (_, machine) = load_bundled("freebsd-scoreboard").unwrap();
        let mut st = machine.initial();
        let clean = "Every TLB is clean: the frame goes back to the allocator.";
        assert_eq!(said(&st, clean), clean, "no TLB caches a freed frame: the comment is a fact");
        // CPU 1 caches slot 0's page in a generation its frame has left (freed since).
        let (sl, pte) = (machine.slots()[0], st.ptes[0]);
        let entry = sdlab_engine::machine::TlbEntry {
            aspace: sl.aspace,
            va: sl.va,
            frame: pte.frame,
            gen: st.frames[pte.frame as usize].gen.wrapping_add(1),
            writable: false,
            dirty: false,
        };
        st.cpus[1].tlb.push(entry);
        let belief = said(&st, clean);
        assert!(belief.starts_with("The algorithm believes: “Every TLB is clean"), "{belief}");
        assert!(belief.contains("CPU 1's TLB still caches"), "{belief}");
        assert_eq!(said(&st, "Take the lock."), "Take the lock.", "a comment about something else stays");
    }
}
