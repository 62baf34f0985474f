//! Rounds of Linux traces without csd events (kernels before 6.4, or csd not captured), on
//! small traces written here in the `trace` file layout. Expected values are read off the
//! text: rounds are the `remote ipi send (4)` lines followed by at least one other CPU's
//! `remote shootdown (1)` before their initiator logs anything else.

use sdlab_trace::replay::{reconstruct, Evidence};
use sdlab_trace::{parse, Trace};

fn read(body: &str) -> Trace {
    let text = format!("# tracer: nop\n#\n{body}");
    let t = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    t
}

/// Two initiators with rounds open at once: CPU 0's (line 3) and CPU 1's (line 5). CPU 2's
/// flush on line 8 could belong to either (the oldest, CPU 0's, is taken: ambiguous); CPU 3's
/// on line 11 too (ambiguous, CPU 0's); CPU 2's second flush (line 14) can only be CPU 1's,
/// and CPU 0's flush on line 17 only CPU 1's. CPU 0's own local flush (line 4) keeps its
/// round open; its sched_switch on line 18 ends it.
const TWO_INITIATORS: &str = "\
     a-10 [000] ...1. 1.000000: tlb_flush: pages:1 reason:remote ipi send (4)
     a-10 [000] d..2. 1.000001: tlb_flush: pages:1 reason:local mm shootdown (3)
     b-11 [001] ...1. 1.000002: tlb_flush: pages:2 reason:remote ipi send (4)
     b-11 [001] d..2. 1.000003: tlb_flush: pages:2 reason:local shootdown (2)
     c-12 [002] d.h1. 1.000010: call_function_entry: vector=252
     c-12 [002] d.h1. 1.000011: tlb_flush: pages:1 reason:remote shootdown (1)
     c-12 [002] d.h1. 1.000012: call_function_exit: vector=252
     d-13 [003] d.h1. 1.000020: call_function_single_entry: vector=251
     d-13 [003] d.h1. 1.000021: tlb_flush: pages:1 reason:remote shootdown (1)
     d-13 [003] d.h1. 1.000022: call_function_single_exit: vector=251
     c-12 [002] d.h1. 1.000030: call_function_entry: vector=252
     c-12 [002] d.h1. 1.000031: tlb_flush: pages:2 reason:remote shootdown (1)
     c-12 [002] d.h1. 1.000032: call_function_exit: vector=252
     a-10 [000] d.h1. 1.000040: call_function_entry: vector=252
     a-10 [000] d.h1. 1.000041: tlb_flush: pages:2 reason:remote shootdown (1)
     a-10 [000] d.h1. 1.000042: call_function_exit: vector=252
     a-10 [000] d..2. 1.000050: sched_switch: prev_comm=a prev_pid=10 prev_prio=120 prev_state=S ==> next_comm=x next_pid=0 next_prio=120
     b-11 [001] d..2. 1.000060: sched_switch: prev_comm=b prev_pid=11 prev_prio=120 prev_state=S ==> next_comm=x next_pid=0 next_prio=120
";

#[test]
fn two_initiators_pair_by_time_and_say_which_legs_were_ambiguous() {
    let t = read(TWO_INITIATORS);
    let r = reconstruct(&t);
    assert_eq!(r.evidence, Some(Evidence::TlbIrq));
    assert_eq!(r.warning_count, 0, "{:?}", r.warnings);
    let line = |i: Option<u32>| i.map_or(0, |i| t.events[i as usize].line);
    let rounds: Vec<_> = r
        .rounds
        .iter()
        .map(|x| {
            let legs: Vec<_> =
                x.legs.iter().map(|l| (l.cpu, line(l.received), line(l.flushed), line(l.done))).collect();
            (x.initiator, line(Some(x.start)), x.targets, legs, line(x.end))
        })
        .collect();
    assert_eq!(
        rounds,
        [
            (0, 3, 0b1100, vec![(2, 7, 8, 9), (3, 10, 11, 12)], 12),
            (1, 5, 0b0101, vec![(2, 13, 14, 15), (0, 16, 17, 18)], 18),
        ]
    );
    assert_eq!((r.legs_by_time, r.legs_ambiguous), (4, 2));
    let s = r.stats(&t);
    assert_eq!(s.round_evidence, Some("tlb-flush+irq-vectors"));
    assert!(s.notes.iter().any(|n| n.contains("2 of 4 legs had more than one open round")), "{:?}", s.notes);
    assert!(s.notes.iter().all(|n| !n.contains("csd_")), "{:?}", s.notes);
}

/// Equal timestamps (one host thread emulating every CPU): the file orders ties by CPU,
/// so CPU 0's next send (line 5) comes before CPU 1's and CPU 2's flushes for the first
/// round (lines 7 and 10), all at 2.000005. Those legs are the first round's: a round takes
/// legs until time moves past the moment its initiator went on. The second round gets the
/// flushes on lines 13 and 16, when the first already has a leg on both CPUs.
const SAME_TIME: &str = "\
     a-10 [000] ...1. 2.000000: tlb_flush: pages:4 reason:remote ipi send (4)
     a-10 [000] d..2. 2.000001: tlb_flush: pages:4 reason:local mm shootdown (3)
     a-10 [000] ...1. 2.000005: tlb_flush: pages:4 reason:remote ipi send (4)
     b-11 [001] d.h1. 2.000005: call_function_entry: vector=252
     b-11 [001] d.h1. 2.000005: tlb_flush: pages:4 reason:remote shootdown (1)
     b-11 [001] d.h1. 2.000005: call_function_exit: vector=252
     c-12 [002] d.h1. 2.000005: call_function_entry: vector=252
     c-12 [002] d.h1. 2.000005: tlb_flush: pages:4 reason:remote shootdown (1)
     c-12 [002] d.h1. 2.000005: call_function_exit: vector=252
     b-11 [001] d.h1. 2.000009: call_function_entry: vector=252
     b-11 [001] d.h1. 2.000009: tlb_flush: pages:4 reason:remote shootdown (1)
     b-11 [001] d.h1. 2.000009: call_function_exit: vector=252
     c-12 [002] d.h1. 2.000009: call_function_entry: vector=252
     c-12 [002] d.h1. 2.000009: tlb_flush: pages:4 reason:remote shootdown (1)
     c-12 [002] d.h1. 2.000009: call_function_exit: vector=252
     a-10 [000] d..2. 2.000010: sched_switch: prev_comm=a prev_pid=10 prev_prio=120 prev_state=S ==> next_comm=x next_pid=0 next_prio=120
";

#[test]
fn legs_logged_at_the_same_time_as_the_next_send_stay_with_their_round() {
    let t = read(SAME_TIME);
    let r = reconstruct(&t);
    let line = |i: Option<u32>| i.map_or(0, |i| t.events[i as usize].line);
    let rounds: Vec<_> = r
        .rounds
        .iter()
        .map(|x| {
            (line(Some(x.start)), x.legs.iter().map(|l| (l.cpu, line(l.flushed))).collect::<Vec<_>>(), line(x.end))
        })
        .collect();
    assert_eq!(rounds, [(3, vec![(1, 7), (2, 10)], 11), (5, vec![(1, 13), (2, 16)], 17)]);
    // Lines 7 and 10: the second round was open too (its send has the same time).
    assert_eq!((r.legs_by_time, r.legs_ambiguous), (4, 2));
    assert_eq!(r.warning_count, 0, "{:?}", r.warnings);
}

#[test]
fn without_handlers_a_leg_is_the_remote_flush_alone() {
    let t = read(
        "\
     a-10 [000] ...1. 3.000000: tlb_flush: pages:-1 reason:remote ipi send (4)
     b-11 [001] d..1. 3.000010: tlb_flush: pages:-1 reason:remote shootdown (1)
     c-12 [002] d..1. 3.000020: tlb_flush: pages:-1 reason:remote shootdown (1)
     a-10 [000] d..2. 3.000030: sched_switch: prev_comm=a prev_pid=10 prev_prio=120 prev_state=S ==> next_comm=x next_pid=0 next_prio=120
",
    );
    let r = reconstruct(&t);
    assert_eq!(r.evidence, Some(Evidence::TlbFlush));
    assert_eq!(r.rounds.len(), 1);
    let x = &r.rounds[0];
    assert_eq!((x.targets, x.end, x.pages), (0b110, Some(2), Some(-1)));
    assert!(x.legs.iter().all(|l| l.received == l.flushed && l.flushed == l.done));
    assert!(r.arrows.is_empty());
    let s = r.stats(&t);
    assert_eq!((s.rounds_complete, s.round_evidence), (1, Some("tlb-flush")));
    assert!(s.latency_us.is_some_and(|l| l.max == 20.0));
    assert!(s.notes.iter().any(|n| n.contains("irq_vectors:call_function_entry")), "{:?}", s.notes);
}

#[test]
fn a_trace_without_the_needed_events_says_which_and_how_to_capture_them() {
    // irq_vectors and sched only: no tlb_flush at all.
    let t = read(
        "\
     b-11 [001] d.h1. 4.000010: call_function_entry: vector=252
     b-11 [001] d.h1. 4.000011: call_function_exit: vector=252
     a-10 [000] d..2. 4.000030: sched_switch: prev_comm=a prev_pid=10 prev_prio=120 prev_state=S ==> next_comm=x next_pid=0 next_prio=120
",
    );
    let r = reconstruct(&t);
    assert_eq!((r.evidence, r.rounds.len()), (Some(Evidence::Insufficient), 0));
    let s = r.stats(&t);
    assert_eq!(s.round_evidence, Some("none"));
    let note = s.notes.iter().find(|n| n.starts_with("round evidence: none. No shootdown rounds")).expect("a note");
    assert!(note.contains("no tlb:tlb_flush events"), "{note}");
    assert!(note.contains("/sys/kernel/tracing/set_event") && note.contains("trace-cmd record -e tlb:tlb_flush"));
    assert!(!note.contains("csd") && !note.contains("ipi_send"), "{note}");

    // tlb_flush without any `remote ipi send`: only local flushes were traced.
    let t = read("     a-10 [000] d..2. 5.0: tlb_flush: pages:1 reason:local mm shootdown (3)\n");
    let note = reconstruct(&t)
        .stats(&t)
        .notes
        .into_iter()
        .find(|n| n.starts_with("round evidence: none. No shootdown rounds"))
        .unwrap();
    assert!(note.contains("`remote ipi send` (4)") && note.contains("`remote shootdown` (1)"), "{note}");
    assert!(!note.contains("no tlb:tlb_flush events"), "{note}");
}

#[test]
fn sends_that_never_end_do_not_pile_up() {
    // 20 000 sends inside one interrupt at one time, then a flush: nothing seals them by
    // time, so the open list is capped; the flush goes to the oldest still open.
    let mut body = String::from("     a-10 [000] d.h1. 6.000000: call_function_entry: vector=252\n");
    for _ in 0..20_000 {
        body.push_str("     a-10 [000] d.h1. 6.000000: tlb_flush: pages:1 reason:remote ipi send (4)\n");
    }
    body.push_str("     b-11 [001] d..1. 6.000000: tlb_flush: pages:1 reason:remote shootdown (1)\n");
    let t = read(&body);
    let r = reconstruct(&t);
    assert_eq!((r.rounds.len(), r.legs_by_time, r.legs_ambiguous), (1, 1, 1));
    assert_eq!(t.events[r.rounds[0].start as usize].line, 3 + 20_000 - 256 + 1);
}

/// Linux 6.4+ with ipi:ipi_send_cpumask but no csd:* events (the reviewer's lx_64.txt):
/// native_flush_tlb_multi traces the `remote ipi send` flush, then smp_call_function_many_cond
/// traces `ipi_send_cpumask` before it raises the IPI. The send is part of the round, not the
/// initiator going on: one round to CPUs 1 and 2, 13 µs, its arrows from the send (line 4).
#[test]
fn an_ipi_send_from_the_initiator_belongs_to_its_round() {
    let t = read(
        "\
       a.out-1234    [000] d..1.   100.000001: tlb_flush: pages:1 reason:remote ipi send (4)
       a.out-1234    [000] d..2.   100.000003: ipi_send_cpumask: cpumask=00000000,00000006 callsite=smp_call_function_many_cond+0x1d6/0x4a0 callback=generic_smp_call_function_single_interrupt+0x0/0x20
      <idle>-0       [001] d.h1.   100.000010: call_function_entry: vector=252
      <idle>-0       [001] d.h1.   100.000012: tlb_flush: pages:1 reason:remote shootdown (1)
      <idle>-0       [001] d.h1.   100.000014: call_function_exit: vector=252
      <idle>-0       [002] d.h1.   100.000010: call_function_entry: vector=252
      <idle>-0       [002] d.h1.   100.000012: tlb_flush: pages:1 reason:remote shootdown (1)
      <idle>-0       [002] d.h1.   100.000014: call_function_exit: vector=252
",
    );
    let r = reconstruct(&t);
    assert_eq!(r.evidence, Some(Evidence::TlbIrq));
    assert_eq!(r.rounds.len(), 1);
    let x = &r.rounds[0];
    assert_eq!((x.initiator, x.targets, x.end.is_some()), (0, 0b110, true));
    let line = |i: u32| t.events[i as usize].line;
    let arrows: Vec<_> = r.arrows.iter().map(|a| (line(a.from), line(a.to))).collect();
    assert_eq!(arrows, [(4, 5), (4, 8)]);
    assert_eq!((r.warning_count, r.orphans_at_start), (0, 0), "{:?}", r.warnings);
    let s = r.stats(&t);
    assert_eq!(s.rounds_complete, 1);
    assert!(s.latency_us.is_some_and(|l| l.max == 13.0), "{:?}", s.latency_us);
}

/// A reschedule IPI from the initiator (a wake-up, `callback=0x0`) is not part of its
/// shootdown: it ends the round's taking of legs as any other record does, so a later
/// remote flush (line 5) has no open round and the send makes no round.
#[test]
fn a_reschedule_ipi_from_the_initiator_ends_the_round() {
    let text = "# tracer: nop\n#\n\
       a-10 [000] d..1. 1.000001: tlb_flush: pages:1 reason:remote ipi send (4)\n\
       a-10 [000] d..2. 1.000003: ipi_send_cpu: cpu=1 callsite=ttwu_queue_wakelist+0x1/0x2 callback=0x0\n\
       b-11 [001] d..1. 1.000010: tlb_flush: pages:1 reason:remote shootdown (1)\n";
    let t = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let r = reconstruct(&t);
    assert!(r.rounds.is_empty(), "{:?}", r.rounds);
    // The flush on line 5 is left without a round (an orphan: no round was made yet).
    assert_eq!((r.orphans_at_start, r.warning_count), (1, 0), "{:?}", r.warnings);
}
