//! The bundled `traces/emulated/` ktrdump files (seeded runs of the bundled models, written
//! in the BSD tools' layouts; traces/README.md) read and reconstructed, with every number
//! pinned: events per CPU, rounds, each round's initiator, targets, receives and end, and
//! the message arrows.
//!
//! Every expected number was counted from the files, not read off this crate's output
//! (run in traces/emulated/):
//!
//! - dragonfly-4cpu-seed7.ktrdump: `grep -c '^ [0-9a-f]\{6\} [0-9] ' F` = 62 records,
//!   `grep -c '^ [0-9a-f]\{6\} N ' F` = 29, 11, 11, 11 for CPUs N = 0–3; first timestamp
//!   1000000004. One `ipiq_sync_start cpumask=0000000e` on CPU 0 at 1000000065 (relative
//!   61), its `ipiq_sync_end` at 1000000130 (126): 65 ticks. Three `ipiq_send_norm …
//!   scpu=0 dcpu=N` (N = 1, 2, 3 at 1000000014, …030, …042) and three `ipiq_receive …
//!   scpu=0 dcpu=N` on CPU N at 1000000047, …058, …075: CPUs 1 and 2 receive *before* CPU 0
//!   logs `ipiq_sync_start` (lwkt_cpusync_interlock sends to the mask, then logs
//!   sync_start, then waits), CPU 3 after.
//! - freebsd-scoreboard-4cpu-seed7.ktrdump: `grep -c '^ *[0-9]\+ \+[0-9] ' F` = 15 records,
//!   6/3/3/3 on CPUs 0–3 (`awk '$1 ~ /^[0-9]+$/ {n[$2]++} END {for (c in n) print c,
//!   n[c]}' F`); three `ipi_selected: cpu: N ipi: f4` from CPU 0 (N = 1, 2, 3): one burst.
//! - freebsd-scoreboard-crossfire-4cpu-seed3.ktrdump: 30 records, 9/9/6/6; six
//!   `ipi_selected`: CPU 0 to 1, 2, 3 and CPU 1 to 0, 2, 3 (`grep -c 'ipi: f4' F` = 6): two
//!   bursts.
//!
//! The FreeBSD files' IPIs carry the scoreboard model's `IPI_INVLOP = 0xf4`, amd64's
//! (apicvar.h: APIC_IPI_INTS = 0xf3 is IPI_RENDEZVOUS, IPI_INVLOP the next), one of the
//! shootdown vectors 0xf4–0xf7 that make a FreeBSD round. KTR logs the send side only, so
//! each burst is a round with its targets and no receive legs, never complete.
//!
//! `crates/cli/tests/trace_cli.rs` checks that the files are what the commands in
//! traces/README.md write today.

use sdlab_trace::replay::{reconstruct, ArrowKind, Replay, RoundKind};
use sdlab_trace::{parse, Format, Kind, Trace};

fn load(name: &str) -> (Trace, Replay) {
    let path = format!("{}/../../traces/emulated/{name}.ktrdump", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let t = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(t.warning_count, 0, "{name}: {:?}", t.warnings);
    let r = reconstruct(&t);
    assert_eq!(r.warning_count, 0, "{name}: {:?}", r.warnings);
    (t, r)
}

/// (timestamp, CPU) of an event, for readable pins.
fn at(t: &Trace, i: Option<u32>) -> Option<(u64, u16)> {
    i.map(|i| (t.events[i as usize].ts, t.events[i as usize].cpu))
}

#[test]
fn the_emulated_dragonfly_run_is_one_cpusync_round_every_target_received() {
    let (t, r) = load("dragonfly-4cpu-seed7");
    let s = r.stats(&t);
    assert_eq!((t.format, t.events.len(), t.cpus), (Format::DragonFlyKtr, 62, 4));
    assert_eq!(s.events_per_cpu, [29, 11, 11, 11]);
    assert_eq!((s.rounds, s.rounds_complete, s.tlb_shootdown_rounds), (1, 1, 0));
    assert_eq!((r.orphans_at_start, r.unfinished_at_end), (0, 0));

    let round = &r.rounds[0];
    assert_eq!((round.kind, round.initiator, round.targets), (RoundKind::DragonFlyCpusync, 0, 0b1110));
    assert!(matches!(t.events[round.start as usize].kind, Kind::SyncStart { mask: 0b1110 }));
    assert_eq!(at(&t, Some(round.start)), Some((61, 0)));
    assert_eq!(at(&t, round.end), Some((126, 0)));
    assert_eq!(round.latency(&t), Some(65));
    // Each target's receive of CPU 0's message, the two before the sync_start included;
    // every leg ends at the initiator's ipiq_sync_end.
    let legs: Vec<_> = round.legs.iter().map(|l| (l.cpu, at(&t, l.received), at(&t, l.done))).collect();
    assert_eq!(
        legs,
        [(1, Some((43, 1)), Some((126, 0))), (2, Some((54, 2)), Some((126, 0))), (3, Some((71, 3)), Some((126, 0)))]
    );
    // One ipiq arrow per message: send on CPU 0 → receive on the target.
    let arrows: Vec<_> = r.arrows.iter().map(|a| (a.kind, at(&t, Some(a.from)), at(&t, Some(a.to)))).collect();
    assert_eq!(
        arrows,
        [
            (ArrowKind::Ipiq, Some((10, 0)), Some((43, 1))),
            (ArrowKind::Ipiq, Some((26, 0)), Some((54, 2))),
            (ArrowKind::Ipiq, Some((38, 0)), Some((71, 3)))
        ]
    );
}

#[test]
fn the_emulated_freebsd_runs_have_one_round_per_burst_of_shootdown_ipis() {
    for (name, events, per_cpu, sends) in [
        ("freebsd-scoreboard-4cpu-seed7", 15, [6, 3, 3, 3], vec![(0, 0b1110)]),
        ("freebsd-scoreboard-crossfire-4cpu-seed3", 30, [9, 9, 6, 6], vec![(0, 0b1110), (1, 0b1101)]),
    ] {
        let (t, r) = load(name);
        let s = r.stats(&t);
        assert_eq!((t.format, t.events.len(), t.cpus), (Format::FreeBsdKtr, events, 4), "{name}");
        assert_eq!(s.events_per_cpu, per_cpu, "{name}");
        // The IPIs each CPU sent, by target mask, all of vector 0xf4 (IPI_INVLOP).
        let mut sent = Vec::new();
        for e in &t.events {
            if let Kind::IpiSend { targets, vector, .. } = e.kind {
                assert_eq!(vector, 0xf4, "{name}");
                match sent.iter_mut().find(|(c, _)| *c == e.cpu) {
                    Some((_, m)) => *m |= targets,
                    None => sent.push((e.cpu, targets)),
                }
            }
        }
        assert_eq!(sent, sends, "{name}");
        // One round per sender's burst: its initiator and targets, no legs, no end.
        let rounds: Vec<(u16, u64)> = r.rounds.iter().map(|x| (x.initiator, x.targets)).collect();
        let want: Vec<(u16, u64)> = sends.clone();
        assert_eq!(rounds, want, "{name}");
        for x in &r.rounds {
            assert_eq!(
                (x.kind, x.vector, x.end, x.legs.iter().filter(|l| l.received.is_some()).count()),
                (RoundKind::FreeBsdShootdownIpis, Some(0xf4), None, 0),
                "{name}"
            );
        }
        assert_eq!((s.rounds, r.arrows.len()), (sends.len() as u64, 0), "{name}");
    }
}
