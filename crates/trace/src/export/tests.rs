//! Writers on hand-made traces: the JSON is valid and complete, the ktrdump layouts match
//! the tools' format strings.

use super::*;
use crate::event::{Format, Names, SendMode, TimeBase};
use crate::replay::reconstruct;
use crate::replay::tests::{linux_round, trace};

fn json(t: &Trace) -> serde_json::Value {
    let mut out = Vec::new();
    perfetto(t, &reconstruct(t), &mut out).unwrap();
    serde_json::from_slice(&out).expect("valid JSON")
}

fn phases<'a>(v: &'a serde_json::Value, ph: &str) -> Vec<&'a serde_json::Value> {
    v["traceEvents"].as_array().unwrap().iter().filter(|e| e["ph"] == ph).collect()
}

#[test]
fn perfetto_has_lanes_slices_flows_and_a_round_track() {
    let v = json(&linux_round());
    let names: Vec<_> =
        phases(&v, "M").iter().filter(|m| m["name"] == "thread_name").map(|m| m["args"]["name"].clone()).collect();
    assert_eq!(names, ["CPU 0", "CPU 1", "CPU 2", "CPU 3", "CPU 0 rounds"]);
    let x = phases(&v, "X");
    let handlers = x.iter().filter(|e| e["cat"] == "irq").count();
    let csd = x.iter().filter(|e| e["cat"] == "csd").count();
    assert_eq!((handlers, csd), (3, 4));
    let round: Vec<_> = x.iter().filter(|e| e["cat"] == "round").collect();
    assert_eq!(round.len(), 1);
    assert_eq!((round[0]["ts"].as_f64(), round[0]["dur"].as_f64()), (Some(1.0), Some(2.152)));
    assert_eq!(round[0]["tid"], 100_000);
    // 3 IPI arrows and 3 csd arrows, each one s and one f with the same id.
    let (s, f) = (phases(&v, "s"), phases(&v, "f"));
    assert_eq!((s.len(), f.len()), (6, 6));
    for (a, b) in s.iter().zip(&f) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(b["bp"], "e");
    }
    // The IPI send and the csd requests are flow sources: zero-length slices to bind to.
    let sends = x.iter().filter(|e| e["name"] == "ipi_send" || e["name"] == "csd_queue_cpu").count();
    assert_eq!(sends, 4);
    // Other events are instants: the two tlb_flush on CPU 0 and three remote ones.
    assert_eq!(phases(&v, "i").len(), 5);
}

#[test]
fn perfetto_slices_on_one_track_never_partly_overlap() {
    let v = json(&linux_round());
    let mut by_tid: std::collections::BTreeMap<i64, Vec<(f64, f64)>> = Default::default();
    for e in phases(&v, "X") {
        let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
        by_tid.entry(e["tid"].as_i64().unwrap()).or_default().push((ts, ts + dur));
    }
    for (tid, s) in by_tid {
        for a in &s {
            for b in &s {
                let partial = a.0 < b.0 && b.0 < a.1 && a.1 < b.1;
                assert!(!partial, "tid {tid}: {a:?} and {b:?} overlap partly");
            }
        }
    }
}

#[test]
fn perfetto_counts_ring_depth() {
    let send = Kind::IpiqSend { mode: SendMode::Normal, dcpu: 1, func: 0x10 };
    let rows = [(0, 0, send), (5, 0, send), (9, 1, Kind::IpiqReceive { scpu: 0, func: 0x10 })];
    let t = trace(Format::DragonFlyKtr, TimeBase::Ticks { hz: Some(1_000_000) }, 2, Names::default(), &rows);
    let v = json(&t);
    let depth: Vec<_> =
        phases(&v, "C").iter().map(|c| (c["ts"].as_f64().unwrap(), c["args"]["depth"].as_u64().unwrap())).collect();
    assert_eq!(depth, [(0.0, 1), (5.0, 2), (9.0, 1)]);
}

#[test]
fn freebsd_layout_is_ktrdump_ct_newest_first_one_row_per_target() {
    let rows = [
        (100, 0, Kind::IpiSend { targets: 0b1010, vector: 0xf4, all_but_self: false }),
        (250, 2, Kind::TlbFlush { pages: -1, reason: 1 }),
        (300, 1, Kind::IpiSend { targets: 0, vector: 0xf9, all_but_self: true }),
    ];
    let t = trace(Format::Emulated, TimeBase::Ticks { hz: None }, 4, Names::default(), &rows);
    let mut out = Vec::new();
    freebsd(&t, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let expect = "\
index  cpu timestamp        trace
------ --- ---------------- ----- 
     3   1              300 ipi_all_but_self: ipi: f9
     2   2              250 tlb_flush: pages: -1 reason: 1
     1   0              100 ipi_selected: cpu: 3 ipi: f4
     0   0              100 ipi_selected: cpu: 1 ipi: f4
";
    assert_eq!(text, expect);
}

#[test]
fn dragonfly_layout_has_the_tsc_line_per_cpu_blocks_and_repeated_headers() {
    let mut rows = Vec::new();
    for k in 0..21u64 {
        rows.push((k * 10, 0, Kind::IpiqSend { mode: SendMode::Passive, dcpu: 1, func: 0xffffffff80a1b2c3 }));
    }
    rows.push((500, 1, Kind::IpiqReceive { scpu: 0, func: 0xffffffff80a1b2c3 }));
    rows.push((600, 1, Kind::SyncStart { mask: 0b101 }));
    let t = trace(Format::Emulated, TimeBase::Ticks { hz: Some(2_400_000_000) }, 2, Names::default(), &rows);
    let mut out = Vec::new();
    dragonfly(&t, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "TSC frequency is 2400.000 MHz");
    let header = "index  cpu timestamp        ID                   trace";
    assert_eq!(lines[1], header);
    assert_eq!(
        lines[2],
        " 000000 0   1000000000       ipiq_send_pasv       func=0xffffffff80a1b2c3 arg1=0x0 arg2=0 scpu=0 dcpu=1"
    );
    assert_eq!(lines[22], header, "header again before row 20 of CPU 0");
    assert_eq!(&lines[23][..8], " 000014 ");
    assert_eq!(lines[24], header, "CPU 1's block starts with a header");
    assert_eq!(
        lines[25],
        " 000000 1   1000000500       ipiq_receive         func=0xffffffff80a1b2c3 arg1=0x0 arg2=0 scpu=0 dcpu=1"
    );
    assert_eq!(lines[26], " 000001 1   1000000600       ipiq_sync_start      cpumask=00000005");
    assert_eq!(lines.len(), 27);
}

#[test]
fn rounds_csv_has_one_row_per_round_with_per_target_phases_in_microseconds() {
    let t = linux_round();
    let mut out = Vec::new();
    rounds_csv("a,b.trace", &t, &reconstruct(&t), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], ROUND_COLUMNS);
    // Round start at 1000 ns; CPU 1 is the second target handled (t = 2140): entry at
    // +5 ns, flush at +10, exit at +12, relative to the start; CPU 3 ran first (t = 1140),
    // CPU 2 last (t = 3140), whose exit (line 22) ends the round. The name holds a comma:
    // quoted.
    assert_eq!(
        lines[1],
        "\"a,b.trace\",0,linux-tlb,0,\"[1, 2, 3]\",1,1.000,22,2.152,us,4,,\
         \"[1.145, 2.145, 0.145]\",\"[1.150, 2.150, 0.150]\",\"[1.152, 2.152, 0.152]\",csd"
    );
    assert_eq!(lines.len(), 2);
}

#[test]
fn legs_csv_has_one_row_per_target_with_the_lines_of_its_events() {
    let t = linux_round();
    let mut out = Vec::new();
    legs_csv("x", &t, &reconstruct(&t), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], LEG_COLUMNS);
    assert_eq!(lines.len(), 4);
    // CPU 3: queued at +16 ns (line 4), entry at 1145 ns (line 10), exit at line 12.
    assert_eq!(lines[3], "x,0,linux-tlb,0,3,0.016,0.145,0.150,0.152,4,10,12,us,csd");
}

#[test]
fn rounds_csv_speaks_ticks_when_the_clock_is_unknown() {
    let mut t = linux_round();
    t.time = TimeBase::Ticks { hz: None };
    let mut out = Vec::new();
    rounds_csv("t", &t, &reconstruct(&t), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert_eq!(row, "t,0,linux-tlb,0,\"[1, 2, 3]\",1,1000,22,2152,ticks,4,,\"[1145, 2145, 145]\",\"[1150, 2150, 150]\",\"[1152, 2152, 152]\",csd");
}
