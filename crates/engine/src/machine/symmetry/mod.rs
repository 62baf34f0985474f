//! CPU-symmetry reduction (issue #3), in the scalarset style of Ip and Dill (Murphi): in a
//! configuration where some CPUs run the same scenario entry and the model never looks at
//! *which* CPU number one of them has (only compares CPU numbers, indexes per-CPU storage
//! with them and builds and tests masks), renaming those CPUs maps every run to a run, so
//! the checker may keep one state per orbit. `analysis` decides which CPUs are
//! interchangeable, `permute` renames them in a state and picks an orbit representative.
//!
//! Every property the machine checks is preserved: G-STALE, G-DIRTY, G-USERMODE-WINDOW and
//! G-MEM violations, failed assertions, faults (judged per step, with the CPU renamed) and
//! G-DEADLOCK / G-NOLOST (judged on the state, whose waits are renamed with it).

mod analysis;
mod permute;

use super::Machine;

/// How a value relates to CPU numbers, for locals and memory words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sort {
    /// Not a CPU: renaming leaves it alone.
    Plain,
    /// A CPU number (values outside 0..NCPU, such as -1 for "none", are left alone).
    Cpu,
    /// A set of CPUs, one bit each.
    Mask,
}

/// Where a variable's words live and which of its dimensions are indexed by CPU numbers.
#[derive(Clone, Debug)]
pub(crate) struct VarSym {
    pub base: u32,
    pub dims: Vec<u32>,
    pub cpu_dim: Vec<bool>,
    pub content: Sort,
}

/// Which CPUs of one configuration are interchangeable, and how to rename them in a state.
#[derive(Clone, Debug)]
pub struct Symmetry {
    ncpu: usize,
    /// Classes of at least two interchangeable CPUs, each sorted; empty when refused.
    classes: Vec<Vec<u8>>,
    refusal: Option<String>,
    /// Per procedure, the sort of each local slot.
    locals: Vec<Vec<Sort>>,
    vars: Vec<VarSym>,
    /// Local slots (proc, slot) that only a `for t in mask { ktr(...); }` loop reads: after
    /// the loop they keep the last CPU visited, a dead value that renaming may not match.
    scratch: Vec<(u16, u16)>,
}

impl Machine {
    /// Which CPUs of this configuration are interchangeable (see `Symmetry`).
    pub fn symmetry(&self) -> Symmetry {
        analysis::analyse(self)
    }
}

impl Symmetry {
    /// The classes of interchangeable CPUs (each of at least two CPUs, sorted); empty when
    /// no reduction applies.
    pub fn classes(&self) -> &[Vec<u8>] {
        &self.classes
    }

    /// Whether some CPUs are interchangeable.
    pub fn reduces(&self) -> bool {
        !self.classes.is_empty()
    }

    /// Why no reduction applies, located in the model (`line 97: …`), if one was refused.
    /// `None` with no classes means no two CPUs run the same scenario entry.
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    /// One sentence for the user: "CPUs 1–3 are interchangeable", or why not.
    pub fn describe(&self) -> String {
        if let Some(r) = &self.refusal {
            return format!("no CPU symmetry: {r}");
        }
        if self.classes.is_empty() {
            return "no CPU symmetry: no two CPUs run the same scenario entry".into();
        }
        let parts: Vec<String> = self.classes.iter().map(|c| cpu_list(c)).collect();
        format!("{} are interchangeable", parts.join("; "))
    }

    /// Local slots (proc, slot) that hold the last CPU a trace-only `for t in mask` loop
    /// visited: dead values (no instruction reads them after the loop), which `permute`
    /// leaves as they are. Two states that differ only there behave alike, so a step and
    /// a renaming commute up to these slots; the equivariance tests compare with them
    /// cleared.
    pub fn scratch_slots(&self) -> &[(u16, u16)] {
        &self.scratch
    }
}

/// "CPUs 1–3", "CPUs 1, 3 and 4".
fn cpu_list(c: &[u8]) -> String {
    let consecutive = c.windows(2).all(|w| w[1] == w[0] + 1);
    match c {
        [] => "no CPU".into(),
        [a] => format!("CPU {a}"),
        [a, b] => format!("CPUs {a} and {b}"),
        [a, .., z] if consecutive => format!("CPUs {a}–{z}"),
        [init @ .., z] => {
            let s: Vec<String> = init.iter().map(|x| x.to_string()).collect();
            format!("CPUs {} and {z}", s.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_read_as_prose() {
        assert_eq!(cpu_list(&[1, 2]), "CPUs 1 and 2");
        assert_eq!(cpu_list(&[1, 2, 3]), "CPUs 1–3");
        assert_eq!(cpu_list(&[1, 3, 4]), "CPUs 1, 3 and 4");
    }

    #[test]
    fn masks_move_bit_by_bit_and_keep_bits_beyond_the_cpus() {
        // CPU 1 becomes 2 and 2 becomes 1; bit 5 is no CPU of a 3-CPU machine.
        assert_eq!(permute::permute_mask(0b0000_0010, &[0, 2, 1]), 0b0000_0100);
        assert_eq!(permute::permute_mask(0b0010_0011, &[0, 2, 1]), 0b0010_0101);
        assert_eq!(permute::permute_mask(u32::MAX, &[0, 2, 1]), u32::MAX);
    }
}
