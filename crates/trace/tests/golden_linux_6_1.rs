//! Golden numbers of the three real Linux 6.1 captures in traces/linux-6.1-qemu-4cpu/
//! (Debian bookworm's 6.1.0-50-cloud-amd64: no csd or ipi_send events, so rounds are
//! rebuilt from tlb_flush reasons and call-function handlers).
//!
//! Every expected number was counted from the text with grep/awk, never read off this
//! crate's output. In traces/linux-6.1-qemu-4cpu/, for F in the three files:
//!
//! - records: `grep -c '\[[0-9][0-9][0-9]\] ' F`
//! - sends (one per native_flush_tlb_multi call, i.e. per kernel remote flush):
//!   `grep -c 'remote ipi send (4)' F`; all on CPU 0: `grep 'remote ipi send (4)' F | grep -c '\[000\]'`
//! - legs: `grep -c 'remote shootdown (1)' F`
//! - rounds and their sizes: the `remote shootdown` lines between one send and the next
//!   (only CPU 0 sends in these files, so the file order is enough):
//!   `awk '/remote ipi send \(4\)/ { if (s) h[n]++; s=1; n=0; next } /remote shootdown \(1\)/ { n++ }
//!    END { if (s) h[n]++; for (k in h) printf "legs%d:%d ", k, h[k] }' F`
//!   munmap: legs3:200 legs2:1 legs0:2; mprotect: legs3:398 legs2:2 legs0:2;
//!   madvise: legs3:998 legs2:2 legs0:2. A send with no leg is no round: its targets were
//!   lazy or idle (their call_function_single handlers ran but flush_tlb_func returned early).
//! - the kernel's own count (guest-facts.txt, /proc/interrupts TLB row before/after each run,
//!   summed over CPUs 1-3; nr_tlb_remote_flush needs CONFIG_DEBUG_TLBFLUSH, which this
//!   kernel lacks): munmap 605, mprotect 1202, madvise 3002 remote flush_tlb_func calls.

use sdlab_trace::replay::{reconstruct, ArrowKind, Evidence, RoundKind};
use sdlab_trace::{parse, Format, Kind};
use std::path::PathBuf;

struct Golden {
    file: &'static str,
    records: usize,
    sends: u64,
    legs: usize,
    three: u64,
    two: u64,
    kernel_received: u64,
}

const GOLDEN: [Golden; 3] = [
    Golden {
        file: "munmap-4cpu-4pages",
        records: 2945,
        sends: 203,
        legs: 602,
        three: 200,
        two: 1,
        kernel_received: 605,
    },
    Golden {
        file: "mprotect-4cpu-4pages",
        records: 5494,
        sends: 402,
        legs: 1198,
        three: 398,
        two: 2,
        kernel_received: 1202,
    },
    Golden {
        file: "madvise-4cpu-4pages",
        records: 11153,
        sends: 1002,
        legs: 2998,
        three: 998,
        two: 2,
        kernel_received: 3002,
    },
];

fn capture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../traces/linux-6.1-qemu-4cpu")
        .join(format!("{name}.trace"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn linux_6_1_rounds_match_the_kernels_counts() {
    for g in &GOLDEN {
        let f = g.file;
        let t = parse(&capture(f)).unwrap();
        assert_eq!((t.format, t.cpus, t.warning_count), (Format::LinuxFtrace, 4, 0), "{f}");
        assert_eq!(t.events.len(), g.records, "{f}");
        assert!(!t.events.iter().any(|e| matches!(e.kind, Kind::CsdQueue { .. } | Kind::IpiSend { .. })), "{f}");
        let r = reconstruct(&t);
        assert_eq!(r.evidence, Some(Evidence::TlbIrq), "{f}");
        assert_eq!(r.warning_count, 0, "{f}: {:?}", &r.warnings[..r.warnings.len().min(3)]);
        let rounds = r.rounds.len() as u64;
        assert_eq!(rounds, g.three + g.two, "{f}");
        // Within 5% of the kernel's own count of remote flushes (one `remote ipi send` each).
        assert!(rounds * 100 >= g.sends * 95 && rounds <= g.sends, "{f}: {rounds} rounds, {} sends", g.sends);
        let complete = r.rounds.iter().filter(|x| x.end.is_some()).count() as u64;
        assert!(complete * 100 >= rounds * 95, "{f}: {complete} of {rounds} complete");
        assert_eq!(complete, rounds, "{f}");
        assert!(r.rounds.iter().all(|x| x.kind == RoundKind::LinuxTlb && x.initiator == 0), "{f}");
        let sizes = |n: usize| r.rounds.iter().filter(|x| x.legs.len() == n).count() as u64;
        assert_eq!((sizes(3), sizes(2)), (g.three, g.two), "{f}");
        // Every target leg found: one per traced remote flush, and within 1% of the
        // kernel's count of remote flush_tlb_func calls (some return before tracing).
        let legs: Vec<_> = r.rounds.iter().flat_map(|x| &x.legs).collect();
        assert_eq!(legs.len(), g.legs, "{f}");
        assert!(legs.len() as u64 * 100 >= g.kernel_received * 99, "{f}");
        assert_eq!((r.legs_by_time, r.legs_ambiguous), (g.legs as u64, 0), "{f}");
        for l in &legs {
            let (rx, fl, done) = (l.received.unwrap() as usize, l.flushed.unwrap() as usize, l.done.unwrap() as usize);
            assert!(l.queued.is_none(), "{f}: no request record before 6.4");
            assert!(matches!(t.events[rx].kind, Kind::IrqEntry { vector: 251 | 252 }), "{f}");
            assert!(matches!(t.events[fl].kind, Kind::TlbFlush { reason: 1, .. }), "{f}");
            assert!(matches!(t.events[done].kind, Kind::IrqExit { vector: 251 | 252 }), "{f}");
            assert!(rx < fl && fl < done && [rx, fl, done].iter().all(|&i| t.events[i].cpu == l.cpu), "{f}");
        }
        let ipi = r.arrows.iter().filter(|a| a.kind == ArrowKind::Ipi).count();
        assert_eq!(ipi, g.legs, "{f}: one inferred IPI arrow per leg");
        let s = r.stats(&t);
        assert_eq!((s.rounds, s.rounds_complete, s.round_evidence), (rounds, rounds, Some("tlb-flush+irq-vectors")));
        assert!(s.notes.iter().all(|n| !n.contains("csd_function_exit")), "{f}: {:?}", s.notes);
        assert!(s.notes.iter().any(|n| n.contains("call_function_exit")), "{f}");
    }
}

#[test]
fn linux_6_1_first_round_of_munmap() {
    // `sed -n 137,150p munmap-4cpu-4pages.trace`: the send on line 137, CPU 0's local flush
    // on 138, then CPUs 1, 2, 3 each entry/flush/exit on lines 139-147, all at 2.908595.
    // (Lines 90-91: the first send, whose targets were idle: no leg, no round.)
    let t = parse(&capture("munmap-4cpu-4pages")).unwrap();
    let r = reconstruct(&t);
    let x = &r.rounds[0];
    let line = |i: Option<u32>| i.map(|i| t.events[i as usize].line);
    assert_eq!(line(Some(x.start)), Some(137));
    assert_eq!((x.targets, x.pages), (0b1110, Some(4)));
    let legs: Vec<_> = x.legs.iter().map(|l| (l.cpu, line(l.received), line(l.flushed), line(l.done))).collect();
    assert_eq!(
        legs,
        [
            (1, Some(139), Some(140), Some(141)),
            (2, Some(142), Some(143), Some(144)),
            (3, Some(145), Some(146), Some(147))
        ]
    );
    assert_eq!(line(x.end), Some(147));
    assert_eq!(x.latency(&t), Some(100_000), "2.908595 - 2.908495 s");
}

#[test]
fn linux_6_12_captures_keep_the_csd_evidence() {
    // Same numbers as golden.rs pins for this file (201 rounds, 602 queued requests).
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../traces/linux-6.12-qemu-4cpu/munmap-4cpu-4pages.trace");
    let t = parse(&std::fs::read(p).unwrap()).unwrap();
    let r = reconstruct(&t);
    assert_eq!((r.evidence, r.rounds.len(), r.legs_by_time, r.legs_ambiguous), (Some(Evidence::Csd), 201, 0, 0));
    let s = r.stats(&t);
    assert_eq!(s.round_evidence, Some("csd"));
    assert!(s.notes.iter().any(|n| n.starts_with("round evidence: csd")), "{:?}", s.notes);
}
