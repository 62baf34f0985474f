//! Reconstruction on hand-made event lists, shaped like the real captures.

use super::*;
use crate::event::{Event, Format, Kind, Names, SendMode, TimeBase, Trace};

/// A trace from `(ts, cpu, kind)` rows, lines numbered from 1 in order.
pub(crate) fn trace(format: Format, time: TimeBase, cpus: u16, names: Names, rows: &[(u64, u16, Kind)]) -> Trace {
    let events = rows
        .iter()
        .enumerate()
        .map(|(i, &(ts, cpu, kind))| Event { ts, cpu, line: i as u32 + 1, offset: i as u64 * 100, kind })
        .collect();
    Trace {
        format,
        time,
        events,
        cpus,
        names,
        warnings: Vec::new(),
        warning_count: 0,
        lines: rows.len() as u64,
        bytes: rows.len() as u64 * 100,
    }
}

/// One Linux shootdown from CPU 0 to CPUs 1..=3, as in munmap-4cpu-4pages.trace lines
/// 165-189, with the targets running in the order 3, 1, 2 (times in ns).
pub(crate) fn linux_round() -> Trace {
    let mut names = Names::default();
    let f = names.intern("flush_tlb_func");
    let csd = |c: u64| 0xffff88c2be000000 + c * 0x80000;
    let mut rows = vec![
        (1000, 0, Kind::TlbFlush { pages: 4, reason: 4 }),
        (1011, 0, Kind::CsdQueue { target: 1, csd: csd(1), func: f }),
        (1015, 0, Kind::CsdQueue { target: 2, csd: csd(2), func: f }),
        (1016, 0, Kind::CsdQueue { target: 3, csd: csd(3), func: f }),
        (1019, 0, Kind::IpiSend { targets: 0b1110, vector: 0, all_but_self: false }),
        (1028, 0, Kind::CsdEntry { csd: 0, func: f }),
        (1032, 0, Kind::TlbFlush { pages: 4, reason: 3 }),
        (1034, 0, Kind::CsdExit { csd: 0, func: f }),
    ];
    let mut t = 1140;
    for cpu in [3u16, 1, 2] {
        let c = csd(cpu as u64);
        rows.extend([
            (t, cpu, Kind::IrqEntry { vector: 252 }),
            (t + 5, cpu, Kind::CsdEntry { csd: c, func: f }),
            (t + 10, cpu, Kind::TlbFlush { pages: 4, reason: 1 }),
            (t + 12, cpu, Kind::CsdExit { csd: c, func: f }),
            (t + 14, cpu, Kind::IrqExit { vector: 252 }),
        ]);
        t += 1000;
    }
    trace(Format::LinuxFtrace, TimeBase::Nanos, 4, names, &rows)
}

#[test]
fn a_linux_round_pairs_every_target_and_completes_at_the_last_exit() {
    let tr = linux_round();
    let r = reconstruct(&tr);
    assert_eq!(r.rounds.len(), 1);
    let round = &r.rounds[0];
    assert_eq!((round.kind, round.initiator, round.targets, round.start), (RoundKind::LinuxTlb, 0, 0b1110, 0));
    assert_eq!(round.legs.iter().map(|l| l.cpu).collect::<Vec<_>>(), [1, 2, 3]);
    for l in &round.legs {
        assert!(l.received.is_some() && l.flushed.is_some() && l.done.is_some(), "{l:?}");
    }
    // The last target (CPU 2) exits its csd function at 3140 + 12.
    assert_eq!(round.end, Some(tr.events.len() as u32 - 2));
    assert_eq!(round.latency(&tr), Some(3152 - 1000));
    assert_eq!(r.warning_count, 0);
    assert_eq!(r.orphans_at_start, 0);
    let csd = r.arrows.iter().filter(|a| a.kind == ArrowKind::Csd).count();
    let ipi = r.arrows.iter().filter(|a| a.kind == ArrowKind::Ipi).count();
    assert_eq!((csd, ipi), (3, 3));
    // Handler bars on the targets, csd bars (3 remote + 1 local), one round-wait bar.
    let count = |f: fn(&BarKind) -> bool| r.bars.iter().filter(|b| f(&b.kind)).count();
    assert_eq!(count(|k| matches!(k, BarKind::Handler { .. })), 3);
    assert_eq!(count(|k| matches!(k, BarKind::CsdFunction { .. })), 4);
    assert_eq!(count(|k| matches!(k, BarKind::RoundWait { .. })), 1);
    let s = r.stats(&tr);
    assert_eq!((s.rounds, s.rounds_complete, s.time_unit), (1, 1, "us"));
    let lat = s.latency_us.expect("latency");
    assert!((lat.p50 - 2.152).abs() < 1e-9 && lat.max == lat.p50);
    assert_eq!(s.ipi_matrix[0], [0, 1, 1, 1]);
    assert_eq!(s.events_per_cpu, [8, 5, 5, 5]);
}

#[test]
fn state_at_shows_pending_ipis_and_the_round_in_flight() {
    let tr = linux_round();
    let r = reconstruct(&tr);
    let before = r.state_at(&tr, 3);
    assert!(before.in_flight.contains(&0) && before.pending.iter().all(|&p| p == 0));
    let sent = r.state_at(&tr, 4);
    assert_eq!(sent.pending, [0, 1, 1, 1]);
    let first_entry = r.state_at(&tr, 8);
    assert_eq!(first_entry.pending, [0, 1, 1, 0]);
    let end = r.state_at(&tr, tr.events.len() - 1);
    assert_eq!((end.pending, end.in_flight), (vec![0, 0, 0, 0], vec![]));
    assert_eq!(r.state_at(&tr, usize::MAX).applied, tr.events.len());
}

#[test]
fn state_at_agrees_with_a_full_replay_across_checkpoints() {
    // Many rounds so that several checkpoints exist; compare against applying from 0.
    let one = linux_round();
    let mut rows = Vec::new();
    for k in 0..300u64 {
        for e in &one.events {
            rows.push((e.ts + k * 10_000, e.cpu, e.kind));
        }
    }
    let tr = trace(Format::LinuxFtrace, TimeBase::Nanos, 4, one.names.clone(), &rows);
    let r = reconstruct(&tr);
    assert_eq!(r.rounds.len(), 300);
    assert!(r.rounds.iter().all(|x| x.end.is_some()));
    let mut s = Snapshot { pending: vec![0; 4], ..Snapshot::default() };
    let mut d = 0;
    for i in 0..tr.events.len() {
        while let Some(x) = r.deltas.get(d).filter(|x| x.event as usize <= i) {
            s.apply(x.op);
            d += 1;
        }
        if i % 997 == 0 || i % CHECKPOINT_EVERY == 0 || i % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1 {
            let got = r.state_at(&tr, i);
            assert_eq!((&got.pending, &got.rings, &got.in_flight), (&s.pending, &s.rings, &s.in_flight), "at {i}");
        }
    }
}

#[test]
fn window_and_cpu_window_cut_by_time() {
    let tr = linux_round();
    let r = reconstruct(&tr);
    assert_eq!(r.window(0, 1000), 0..0);
    assert_eq!(r.window(1000, 1020), 0..5);
    let n = tr.events.len();
    assert_eq!(r.window(5000, 1), n..n);
    assert_eq!(r.window(0, u64::MAX), 0..tr.events.len());
    assert_eq!(r.cpu_window(3, 1000, 1200).len(), 5);
    assert!(r.cpu_window(9, 0, u64::MAX).is_empty());
}

#[test]
fn a_target_that_finishes_before_the_last_request_is_queued_does_not_end_the_round() {
    let mut names = Names::default();
    let f = names.intern("flush_tlb_func");
    let rows = [
        (0, 0, Kind::TlbFlush { pages: -1, reason: 4 }),
        (1, 0, Kind::CsdQueue { target: 1, csd: 0x10, func: f }),
        (2, 1, Kind::CsdEntry { csd: 0x10, func: f }),
        (3, 1, Kind::CsdExit { csd: 0x10, func: f }),
        (4, 0, Kind::CsdQueue { target: 2, csd: 0x20, func: f }),
        (5, 0, Kind::IpiSend { targets: 0b100, vector: 0, all_but_self: false }),
        (9, 2, Kind::CsdEntry { csd: 0x20, func: f }),
        (10, 2, Kind::CsdExit { csd: 0x20, func: f }),
    ];
    let tr = trace(Format::LinuxFtrace, TimeBase::Nanos, 3, names, &rows);
    let r = reconstruct(&tr);
    assert_eq!(r.rounds.len(), 1);
    assert_eq!((r.rounds[0].targets, r.rounds[0].end), (0b110, Some(7)));
}

#[test]
fn orphans_at_the_start_are_counted_not_warned_and_later_ones_warn() {
    let mut names = Names::default();
    let f = names.intern("flush_tlb_func");
    let rows = [
        // The request for this csd was overwritten in the ring buffer.
        (0, 1, Kind::CsdEntry { csd: 0x10, func: f }),
        (1, 1, Kind::CsdExit { csd: 0x10, func: f }),
        (2, 2, Kind::IrqExit { vector: 252 }),
        (3, 0, Kind::CsdQueue { target: 1, csd: 0x10, func: f }),
        (4, 1, Kind::CsdEntry { csd: 0x10, func: f }),
        (5, 1, Kind::CsdExit { csd: 0x10, func: f }),
        // Same csd again, its request is missing mid-trace: a real inconsistency.
        (6, 1, Kind::CsdEntry { csd: 0x10, func: f }),
        (7, 1, Kind::CsdExit { csd: 0x10, func: f }),
    ];
    let tr = trace(Format::LinuxFtrace, TimeBase::Nanos, 3, names, &rows);
    let r = reconstruct(&tr);
    assert_eq!(r.orphans_at_start, 2);
    assert_eq!(r.warning_count, 1);
    assert_eq!(r.warnings[0].line, 7);
    assert_eq!(r.warnings[0].class, crate::WarningClass::Reconstruct);
    assert!(r.warnings[0].reason.contains("without a request"), "{}", r.warnings[0].reason);
}

#[test]
fn dragonfly_ipiq_pairs_fifo_per_ring_and_tracks_occupancy() {
    let send = |d| Kind::IpiqSend { mode: SendMode::Normal, dcpu: d, func: 0xffffffff80123456 };
    let recv = |s| Kind::IpiqReceive { scpu: s, func: 0xffffffff80123456 };
    let rows = [
        (0, 1, recv(0)), // orphan at start: its send is before the trace
        (10, 0, Kind::SyncStart { mask: 0b110 }),
        (11, 0, send(1)),
        (12, 0, send(1)),
        (13, 0, send(2)),
        (14, 2, recv(2)), // self-receive of the cpusync requeue: no send expected
        (15, 1, recv(0)),
        (16, 2, recv(0)),
        (17, 1, recv(0)),
        (20, 0, Kind::SyncEnd { mask: 0b110 }),
        (30, 1, recv(0)), // the 0→1 ring is empty and was used: a real orphan
    ];
    let tr = trace(Format::DragonFlyKtr, TimeBase::Ticks { hz: None }, 3, Names::default(), &rows);
    let r = reconstruct(&tr);
    let ipiq: Vec<_> = r.arrows.iter().filter(|a| a.kind == ArrowKind::Ipiq).map(|a| (a.from, a.to)).collect();
    assert_eq!(ipiq, [(2, 6), (4, 7), (3, 8)]);
    assert_eq!((r.orphans_at_start, r.warning_count), (1, 1));
    let depth01: Vec<u32> = r.rings.iter().filter(|s| (s.scpu, s.dcpu) == (0, 1)).map(|s| s.depth).collect();
    assert_eq!(depth01, [1, 2, 1, 0]);
    let mid = r.state_at(&tr, 4);
    assert_eq!(mid.rings.iter().map(|x| (x.scpu, x.dcpu, x.depth)).collect::<Vec<_>>(), [(0, 1, 2), (0, 2, 1)]);
    assert_eq!(mid.pending, [0, 2, 1]);
    assert_eq!(mid.in_flight, [0]);
    assert_eq!(mid.ts, 13, "the time of the last event applied");
    // Receives empty the rings again; the orphan's receive opens none.
    let rings = |i: usize| r.state_at(&tr, i).rings.iter().map(|x| (x.scpu, x.dcpu, x.depth)).collect::<Vec<_>>();
    assert_eq!(rings(0), []);
    assert_eq!(rings(6), [(0, 1, 1), (0, 2, 1)]);
    assert_eq!(rings(8), []);
    let round = &r.rounds[0];
    assert_eq!((round.kind, round.end, round.legs.len()), (RoundKind::DragonFlyCpusync, Some(9), 2));
    assert_eq!(round.legs[0].received, Some(6));
    let s = r.stats(&tr);
    assert_eq!((s.time_unit, s.latency_us), ("ticks", None));
    assert_eq!(s.latency.map(|l| l.max), Some(10.0));
    assert_eq!(s.ipi_matrix[0], [0, 2, 1]);
}

#[test]
fn freebsd_send_bursts_are_rounds_without_receive_legs() {
    let sel = |t: u16| Kind::IpiSend { targets: 1 << t, vector: 0xf4, all_but_self: false };
    let rows = [
        (1000, 0, sel(1)),
        (1100, 0, sel(2)),
        (1150, 3, sel(0)), // another CPU's round
        (1200, 0, sel(3)),
        (1300, 0, sel(1)), // CPU 1 again: a new round
        (900_000, 0, sel(2)),
        // IPI_STOP: an IPI, not a shootdown, so no round.
        (900_100, 0, Kind::IpiSend { targets: 1 << 1, vector: 0xf9, all_but_self: false }),
    ];
    let tr = trace(Format::FreeBsdKtr, TimeBase::Ticks { hz: None }, 4, Names::default(), &rows);
    let r = reconstruct(&tr);
    let shape: Vec<_> = r.rounds.iter().map(|x| (x.initiator, x.targets, x.vector)).collect();
    assert_eq!(shape, [(0, 0b1110, Some(0xf4)), (3, 0b1, Some(0xf4)), (0, 0b10, Some(0xf4)), (0, 0b100, Some(0xf4)),]);
    assert!(r.rounds.iter().all(|x| x.end.is_none() && x.legs.iter().all(|l| l.received.is_none())));
    let s = r.stats(&tr);
    assert_eq!((s.rounds, s.rounds_complete), (4, 0));
    assert!(s.notes.iter().any(|n| n.contains("sending side")));
    assert_eq!(r.unfinished_at_end, 0);
}

#[test]
fn nothing_panics_on_odd_events() {
    let rows = [
        (0, 70, Kind::IpiSend { targets: u64::MAX, vector: 0, all_but_self: true }),
        (0, 3, Kind::CsdQueue { target: 900, csd: 1, func: 99 }),
        (1, 900, Kind::CsdEntry { csd: 1, func: 99 }),
        (2, 5, Kind::SyncEnd { mask: 0 }),
        (3, 65535, Kind::IrqEntry { vector: 252 }),
        (4, 0, Kind::IpiqReceive { scpu: 65535, func: 0 }),
        (5, 0, Kind::TlbFlush { pages: i64::MIN, reason: 4 }),
        (6, 0, Kind::Lost { count: 3 }),
    ];
    for format in [Format::LinuxFtrace, Format::FreeBsdKtr, Format::DragonFlyKtr, Format::Emulated] {
        let tr = trace(format, TimeBase::Ticks { hz: Some(0) }, 1, Names::default(), &rows);
        let r = reconstruct(&tr);
        let _ = r.stats(&tr);
        for i in 0..rows.len() + 2 {
            let _ = r.state_at(&tr, i);
        }
    }
    let empty = trace(Format::LinuxFtrace, TimeBase::Nanos, 0, Names::default(), &[]);
    let r = reconstruct(&empty);
    assert_eq!(r.state_at(&empty, 0).applied, 0);
    assert_eq!(r.window(0, 10), 0..0);
    assert_eq!(r.stats(&empty).latency_us, None);
}

#[test]
fn rounds_that_cannot_complete_do_not_stay_in_flight() {
    // The targets' ring buffers lost everything: 5000 rounds whose legs never run.
    let mut names = Names::default();
    let f = names.intern("flush_tlb_func");
    let mut rows = Vec::new();
    for k in 0..5000u64 {
        rows.push((k * 10, 0, Kind::TlbFlush { pages: 1, reason: 4 }));
        rows.push((k * 10 + 1, 0, Kind::CsdQueue { target: 1, csd: 0x40, func: f }));
        rows.push((k * 10 + 2, 0, Kind::IpiSend { targets: 0b10, vector: 251, all_but_self: false }));
    }
    let tr = trace(Format::LinuxFtrace, TimeBase::Nanos, 2, names, &rows);
    let r = reconstruct(&tr);
    assert_eq!(r.rounds.len(), 5000);
    assert!(r.checkpoints.iter().all(|c| c.in_flight.len() <= 1));
    assert_eq!(r.state_at(&tr, rows.len() - 1).in_flight, [4999]);
    // Each reused csd and each abandoned round is reported once; at the end only the
    // last request and the last round are still open.
    assert_eq!(r.warning_count, 2 * 4999);
    assert_eq!(r.unfinished_at_end, 2);

    let sel = |t: u16| Kind::IpiSend { targets: 1 << t, vector: 0xf4, all_but_self: false };
    let rows: Vec<_> = (0..5000u64).map(|k| (k * 100_000, 0, sel(1 + (k % 3) as u16))).collect();
    let tr = trace(Format::FreeBsdKtr, TimeBase::Ticks { hz: None }, 4, Names::default(), &rows);
    let r = reconstruct(&tr);
    assert_eq!(r.rounds.len(), 5000);
    assert!(r.checkpoints.iter().all(|c| c.in_flight.is_empty()));
}

#[test]
fn an_emulated_ipi_is_a_round_completed_by_the_handlers() {
    // Shaped like sdlab-runtrace output: one tick per step, handlers traced, flushes with
    // Linux reasons.
    let rows = [
        (0, 0, Kind::IpiSend { targets: 0b111, vector: 0xf4, all_but_self: false }),
        (1, 0, Kind::TlbFlush { pages: 1, reason: 2 }),
        (3, 2, Kind::IrqEntry { vector: 0xf4 }),
        (4, 2, Kind::TlbFlush { pages: 1, reason: 1 }),
        (5, 1, Kind::IrqEntry { vector: 0xf4 }),
        (6, 2, Kind::IrqExit { vector: 0xf4 }),
        (7, 1, Kind::TlbFlush { pages: 1, reason: 1 }),
        (9, 1, Kind::IrqExit { vector: 0xf4 }),
    ];
    let tr = trace(Format::Emulated, TimeBase::Ticks { hz: None }, 3, Names::default(), &rows);
    let r = reconstruct(&tr);
    assert_eq!(r.rounds.len(), 1);
    let x = &r.rounds[0];
    assert_eq!((x.kind, x.initiator, x.targets, x.end), (RoundKind::IpiRound, 0, 0b110, Some(7)));
    let legs: Vec<_> = x.legs.iter().map(|l| (l.cpu, l.received, l.flushed, l.done)).collect();
    assert_eq!(legs, [(1, Some(4), Some(6), Some(7)), (2, Some(2), Some(3), Some(5))]);
    assert_eq!(r.stats(&tr).latency.map(|l| l.max), Some(9.0));
    assert_eq!(r.state_at(&tr, 5).in_flight, [0]);
    assert!(r.state_at(&tr, 7).in_flight.is_empty());
}

#[test]
fn a_replay_survives_serialization() {
    let tr = linux_round();
    let r = reconstruct(&tr);
    let back: Replay = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back.rounds, r.rounds);
    assert_eq!(back.state_at(&tr, 9), r.state_at(&tr, 9));
    assert_eq!(back.window(1000, 1020), r.window(1000, 1020));
}

/// One bucket per power of two of µs (below 1 µs the first), counted from the sorted
/// latencies, with the empty buckets between left out: what the latency chart draws.
#[test]
fn the_latency_histogram_has_a_bucket_per_power_of_two() {
    let b: Vec<(f64, f64, u64)> =
        stats::histogram(&[0.2, 0.9, 1.0, 3.0, 3.5, 9.0]).iter().map(|b| (b.lo, b.hi, b.count)).collect();
    assert_eq!(b, [(0.0, 1.0, 2), (1.0, 2.0, 1), (2.0, 4.0, 2), (8.0, 16.0, 1)]);
    assert!(stats::histogram(&[]).is_empty());
}

/// A window that starts inside a CPU's events cuts them at its start too.
#[test]
fn cpu_window_cuts_at_its_start() {
    let tr = linux_round();
    let r = reconstruct(&tr);
    let ts: Vec<u64> = r.cpu_window(3, 1145, 1154).iter().map(|&i| tr.events[i as usize].ts).collect();
    assert_eq!(ts, [1145, 1150, 1152]);
}

/// Only csd requests for the flush function make csd evidence: a csd for another function
/// (here a cross-CPU call of `do_sync_core`) beside the flushes leaves the rounds to the
/// flush reasons and handlers. The stats count the parser's warnings with the
/// reconstruction's, and `notes` are the stats' notes.
#[test]
fn csd_evidence_needs_the_flush_function_and_the_stats_add_both_kinds_of_warning() {
    let mut tr = linux_round();
    let other = tr.names.intern("do_sync_core");
    for e in tr.events.iter_mut() {
        if let Kind::CsdQueue { func, .. } | Kind::CsdEntry { func, .. } | Kind::CsdExit { func, .. } = &mut e.kind {
            *func = other;
        }
    }
    tr.warning_count = 2;
    let r = reconstruct(&tr);
    assert_eq!(r.evidence, Some(Evidence::TlbIrq));
    let s = r.stats(&tr);
    assert_eq!(s.warnings, 2 + r.warning_count);
    assert_eq!(s.warnings_reconstruct, r.warning_count);
    assert!(!s.notes.is_empty());
    assert_eq!(r.notes(&tr), s.notes);
}

/// With the initiators' `remote ipi send` flushes but no target's `remote shootdown`, the
/// note names only what is missing.
#[test]
fn insufficient_evidence_names_only_the_missing_flush_reason() {
    let rows = [(10, 0, Kind::TlbFlush { pages: 1, reason: 4 }), (20, 1, Kind::TlbFlush { pages: 1, reason: 0 })];
    let tr = trace(Format::LinuxFtrace, TimeBase::Nanos, 2, Names::default(), &rows);
    let r = reconstruct(&tr);
    assert_eq!(r.evidence, Some(Evidence::Insufficient));
    let notes = r.notes(&tr).join("\n");
    assert!(notes.contains("no tlb_flush with reason `remote shootdown` (1)"), "{notes}");
    assert!(!notes.contains("remote ipi send` (4), the initiator"), "{notes}");
}

/// The stats count the arrows by kind, and an all-but-self IPI counts once for every
/// other CPU in the send matrix. Ticks of a zero frequency give no µs.
#[test]
fn stats_count_arrows_by_kind_and_all_but_self_ipis_per_target() {
    let tr = linux_round();
    let r = reconstruct(&tr);
    let s = r.stats(&tr);
    for (name, kind) in [("csd", ArrowKind::Csd), ("ipi", ArrowKind::Ipi)] {
        let n = r.arrows.iter().filter(|a| a.kind == kind).count() as u64;
        assert!(n > 0, "{name}");
        assert_eq!(s.arrows.get(name).copied(), Some(n), "{name}: {:?}", s.arrows);
    }
    let rows = [(5, 1, Kind::IpiSend { targets: 0, vector: 251, all_but_self: true })];
    let tr = trace(Format::FreeBsdKtr, TimeBase::Ticks { hz: Some(0) }, 4, Names::default(), &rows);
    let s = reconstruct(&tr).stats(&tr);
    assert_eq!(s.ipi_matrix[1], [1, 0, 1, 1]);
    let mut tr = linux_round();
    tr.time = TimeBase::Ticks { hz: Some(0) };
    let s = reconstruct(&tr).stats(&tr);
    assert!(s.latency.is_some());
    assert_eq!(s.latency_us, None);
}
