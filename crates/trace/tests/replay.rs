//! Reconstruction of ktrdump text as the tools print it (research/trace-formats.md §1.2,
//! §2.2): the parser and the replay together, on small files written here in the layouts.

use sdlab_trace::replay::{reconstruct, ArrowKind, RoundKind};
use sdlab_trace::{parse, Format, Trace};

fn read(text: &str) -> Trace {
    let t = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    t
}

/// `ktrdump -ct`, newest first, slot numbers wrapping from 0 to 1023.
const FREEBSD: &str = "\
index  cpu timestamp        trace
------ --- ---------------- ----- 
     4   1          5003000 ipi_all_but_self: ipi: f9
     3   2          5002100 ipi_selected: cpu: 0 ipi: f5
     2   2          5002000 ipi_selected: cpu: 1 ipi: f5
     1   0          5000300 smp_targeted_tlb_shootdown: cpu: 3 ipi: f4
     0   0          5000200 smp_targeted_tlb_shootdown: cpu: 2 ipi: f4
  1023   0          5000100 smp_targeted_tlb_shootdown: cpu: 1 ipi: f4
  1022   3          5000050 ipi_cpu: cpu: 0 ipi: fb
";

#[test]
fn freebsd_shootdowns_are_send_bursts_per_cpu_and_vector() {
    let t = read(FREEBSD);
    assert_eq!((t.format, t.cpus), (Format::FreeBsdKtr, 4));
    let r = reconstruct(&t);
    let rounds: Vec<_> = r.rounds.iter().map(|x| (x.initiator, x.targets, x.vector, x.legs.len())).collect();
    // IPI_SWI (0xfb) and IPI_STOP (0xf9) are IPIs, not shootdowns: no round.
    assert_eq!(rounds, [(0, 0b1110, Some(0xf4), 3), (2, 0b0011, Some(0xf5), 2)]);
    assert!(r.rounds.iter().all(|x| x.kind == RoundKind::FreeBsdShootdownIpis && x.end.is_none()));
    // Sends only: no arrow can be drawn, and nothing is left "unfinished" for it.
    assert!(r.arrows.is_empty());
    let s = r.stats(&t);
    assert_eq!((s.rounds, s.rounds_complete, s.time_unit), (2, 0, "ticks"));
    assert_eq!(s.ipi_matrix[0], [0, 1, 1, 1]);
    assert_eq!(s.ipi_matrix[1], [1, 0, 1, 1]);
}

/// `ktrdump -c -i -t -p`: the TSC line, CPU 0's block then CPU 1's and CPU 2's, each
/// oldest first with its own hex index.
const DRAGONFLY: &str = "\
TSC frequency is 2000.000 MHz
index  cpu timestamp        ID                   trace
 000100 0   9000001000       ipiq_send_norm       func=0xffffffff80600000 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000101 0   9000001010       ipiq_cpu_send        func=0xffffffff80600000 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000102 0   9000001020       ipiq_send_end        func=0xffffffff80600000 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000103 0   9000001100       ipiq_send_pasv       func=0xffffffff80600100 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000104 0   9000002000       ipiq_sync_start      cpumask=00000006
 000105 0   9000002010       ipiq_send_norm       func=0xffffffff80600200 arg1=0x0 arg2=0 scpu=0 dcpu=2
 000106 0   9000002020       ipiq_send_norm       func=0xffffffff80600200 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000107 0   9000004000       ipiq_sync_end        cpumask=00000006
index  cpu timestamp        ID                   trace
 000a00 1   9000001500       ipiq_receive         func=0xffffffff80600000 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000a01 1   9000001600       ipiq_receive         func=0xffffffff80600100 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000a02 1   9000003000       ipiq_receive         func=0xffffffff80600200 arg1=0x0 arg2=0 scpu=0 dcpu=1
index  cpu timestamp        ID                   trace
 000050 2   9000002500       ipiq_receive         func=0xffffffff80600200 arg1=0x0 arg2=0 scpu=0 dcpu=2
 000051 2   9000002600       ipiq_receive         func=0xffffffff80600300 arg1=0x0 arg2=0 scpu=2 dcpu=2
";

#[test]
fn dragonfly_ipiq_messages_pair_fifo_and_the_cpusync_round_completes() {
    let t = read(DRAGONFLY);
    assert_eq!(t.format, Format::DragonFlyKtr);
    let r = reconstruct(&t);
    let ipiq: Vec<_> = r
        .arrows
        .iter()
        .filter(|a| a.kind == ArrowKind::Ipiq)
        .map(|a| (t.events[a.from as usize].line, t.events[a.to as usize].line))
        .collect();
    // Sends on lines 3, 6, 8, 9 (CPU 0); receives on 12, 13, 14 (CPU 1) and 16 (CPU 2).
    assert_eq!(ipiq, [(3, 12), (6, 13), (8, 16), (9, 14)]);
    assert_eq!((r.warning_count, r.orphans_at_start, r.unfinished_at_end), (0, 0, 0));
    // Ring 0→1 holds two messages until CPU 1 takes the first.
    let depth: Vec<u32> = r.rings.iter().filter(|s| (s.scpu, s.dcpu) == (0, 1)).map(|s| s.depth).collect();
    assert_eq!(depth, [1, 2, 1, 0, 1, 0]);
    let round = &r.rounds[0];
    assert_eq!(
        (r.rounds.len(), round.kind, round.initiator, round.targets),
        (1, RoundKind::DragonFlyCpusync, 0, 0b110)
    );
    assert_eq!(round.latency(&t), Some(2000));
    let legs: Vec<_> = round.legs.iter().map(|l| (l.cpu, l.received.map(|i| t.events[i as usize].line))).collect();
    assert_eq!(legs, [(1, Some(14)), (2, Some(16))]);
    let s = r.stats(&t);
    // 2 GHz: 2000 ticks = 1 µs.
    assert_eq!(s.latency_us.map(|l| l.max), Some(1.0));
    // In the middle of the rendezvous: the 0→2 message is pending on CPU 2.
    let mid = t.events.iter().position(|e| e.line == 9).unwrap();
    let snap = r.state_at(&t, mid);
    assert_eq!(snap.in_flight, [0]);
    assert_eq!(snap.pending[2], 1);
}

/// lwkt_cpusync_interlock and lwkt_cpusync_quick send to the mask and only then log
/// `ipiq_sync_start`/`ipiq_sync_quick` (sys/kern/lwkt_ipiq.c): a fast target receives
/// before the round starts. Its receive is still its leg's; a quick round whose every
/// target already ran the function completes at its own start.
#[test]
fn dragonfly_targets_that_receive_before_the_sync_record_are_the_rounds() {
    let text = "\
TSC frequency is 2000.000 MHz
index  cpu timestamp        ID                   trace
 000100 0   9000001000       ipiq_send_norm       func=0xffffffff80600000 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000101 0   9000001100       ipiq_send_norm       func=0xffffffff80600000 arg1=0x0 arg2=0 scpu=0 dcpu=2
 000102 0   9000002000       ipiq_sync_quick      cpumask=00000006
 000103 0   9000003000       ipiq_send_norm       func=0xffffffff80600100 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000104 0   9000004000       ipiq_sync_start      cpumask=00000002
 000105 0   9000006000       ipiq_sync_end        cpumask=00000002
index  cpu timestamp        ID                   trace
 000a00 1   9000001500       ipiq_receive         func=0xffffffff80600000 arg1=0x0 arg2=0 scpu=0 dcpu=1
 000a01 1   9000003500       ipiq_receive         func=0xffffffff80600100 arg1=0x0 arg2=0 scpu=0 dcpu=1
index  cpu timestamp        ID                   trace
 000050 2   9000001800       ipiq_receive         func=0xffffffff80600000 arg1=0x0 arg2=0 scpu=0 dcpu=2
";
    let t = read(text);
    let r = reconstruct(&t);
    assert_eq!((r.warning_count, r.orphans_at_start, r.unfinished_at_end), (0, 0, 0));
    let line = |i: Option<u32>| i.map(|i| t.events[i as usize].line);
    let rounds: Vec<_> = r
        .rounds
        .iter()
        .map(|x| {
            let legs: Vec<_> = x.legs.iter().map(|l| (l.cpu, line(l.received), line(l.done))).collect();
            (x.kind, line(Some(x.start)), line(x.end), legs)
        })
        .collect();
    assert_eq!(
        rounds,
        [
            // Both targets ran the function before line 5: complete at its start.
            (
                RoundKind::DragonFlyCpusyncQuick,
                Some(5),
                Some(5),
                vec![(1, Some(10), Some(10)), (2, Some(13), Some(13))]
            ),
            (RoundKind::DragonFlyCpusync, Some(7), Some(8), vec![(1, Some(11), Some(8))]),
        ]
    );
}
