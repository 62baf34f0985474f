//! ktrdump text written by the exporters parses back, with the project's parsers, to the
//! same events (per CPU, in order; one record per IPI target, as the kernels log them).

use sdlab_trace::{export, parse, Event, Format, Kind, Names, TimeBase, Trace};
use std::collections::BTreeMap;

/// Per CPU, the (time, kind) sequence: ktrdump layouts keep CPUs apart or interleave them
/// differently, so only each CPU's order is comparable.
fn lanes(t: &Trace, names: &dyn Fn(&Trace, &Kind) -> String) -> BTreeMap<u16, Vec<(u64, String)>> {
    let mut m: BTreeMap<u16, Vec<(u64, String)>> = BTreeMap::new();
    let base = t.events.first().map_or(0, |e| e.ts);
    for e in &t.events {
        m.entry(e.cpu).or_default().push((e.ts - base, names(t, &e.kind)));
    }
    m
}

fn trace(format: Format, rows: &[(u64, u16, Kind)]) -> Trace {
    let events: Vec<Event> = rows
        .iter()
        .enumerate()
        .map(|(i, &(ts, cpu, kind))| Event { ts, cpu, line: i as u32 + 1, offset: 0, kind })
        .collect();
    Trace {
        format,
        time: TimeBase::Ticks { hz: None },
        cpus: 4,
        names: Names::default(),
        warnings: Vec::new(),
        warning_count: 0,
        lines: events.len() as u64,
        bytes: 0,
        events,
    }
}

/// Normalized kind: the exporters write one record per IPI target.
fn kind(_: &Trace, k: &Kind) -> String {
    format!("{k:?}")
}

#[test]
fn ktrdump_freebsd_text_parses_back_to_the_same_events() {
    let sel = |t: u16, v: u16| Kind::IpiSend { targets: 1 << t, vector: v, all_but_self: false };
    let rows = [
        (0, 0, sel(1, 0xf4)),
        (0, 0, sel(2, 0xf4)),
        (0, 0, sel(3, 0xf4)),
        (40, 2, sel(0, 0xfb)),
        (900, 1, sel(3, 0xf6)),
    ];
    let t = trace(Format::Emulated, &rows);
    let mut out = Vec::new();
    export::freebsd(&t, &mut out).unwrap();
    let back = parse(&out).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out)));
    assert_eq!(back.format, Format::FreeBsdKtr);
    assert_eq!(back.warning_count, 0, "{:?}", back.warnings);
    assert_eq!(lanes(&back, &kind), lanes(&t, &kind), "{}", String::from_utf8_lossy(&out));
}

#[test]
fn ktrdump_dragonfly_text_parses_back_to_the_same_events() {
    use sdlab_trace::SendMode::*;
    let f = 0xffffffff80a1b2c3;
    let mut rows = Vec::new();
    for k in 0..30u64 {
        let mode = [Normal, Passive, NonBlocking][k as usize % 3];
        rows.push((k * 100, 0, Kind::IpiqSend { mode, dcpu: 1 + (k % 3) as u16, func: f }));
        rows.push((k * 100 + 7, 1 + (k % 3) as u16, Kind::IpiqReceive { scpu: 0, func: f }));
    }
    rows.push((5000, 2, Kind::SyncStart { mask: 0b1011 }));
    rows.push((5001, 2, Kind::IpiqSendFail { dcpu: 1, func: f }));
    rows.push((5002, 2, Kind::IpiqSendEnd { dcpu: 3, func: f }));
    rows.push((5009, 2, Kind::SyncEnd { mask: 0b1011 }));
    rows.sort_by_key(|r| r.0);
    let t = trace(Format::Emulated, &rows);
    let mut out = Vec::new();
    export::dragonfly(&t, &mut out).unwrap();
    let back = parse(&out).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out)));
    assert_eq!(back.format, Format::DragonFlyKtr);
    assert_eq!(back.warning_count, 0, "{:?}", back.warnings);
    assert_eq!(lanes(&back, &kind), lanes(&t, &kind));
}
