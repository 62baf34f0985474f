//! A stepper run written as ktrdump text and read back by the trace parser gives the
//! same events: what the format records natively (FreeBSD KTR_SMP IPI sends, DragonFly
//! `ipiq_*`) exactly, everything else by time, CPU and name.

mod common;
use common::race_session;
use sdlab_engine::Session;
use sdlab_runtrace::session_to_trace;
use sdlab_trace::export::{dragonfly, freebsd, kind_name};
use sdlab_trace::{parse, Format, Kind, Trace};

/// Events as comparable rows, times rebased to the first event (the parser rebases too),
/// an IPI to several CPUs split per target (ktrdump logs one record per target).
/// `vectors`: DragonFly's `ipiq_cpu_send` names no vector (the IPIQ vector is implied), so a
/// DragonFly read-back is compared without them.
fn rows(t: &Trace, native: fn(&Kind) -> bool, vectors: bool) -> Vec<(u64, u16, String)> {
    let t0 = t.events.iter().map(|e| e.ts).min().unwrap_or(0);
    let mut out = Vec::new();
    for e in &t.events {
        let ts = e.ts - t0;
        match e.kind {
            Kind::IpiSend { targets, vector, .. } => {
                for cpu in (0..64).filter(|c| targets >> c & 1 == 1) {
                    let v = if vectors { format!(" vector {vector}") } else { String::new() };
                    out.push((ts, e.cpu, format!("ipi to {cpu}{v}")));
                }
            }
            k if native(&k) => out.push((ts, e.cpu, format!("{k:?}"))),
            k => out.push((ts, e.cpu, kind_name(t, &k).to_string())),
        }
    }
    out.sort();
    out
}

fn is_ipiq(k: &Kind) -> bool {
    matches!(
        k,
        Kind::IpiqSend { .. }
            | Kind::IpiqSendFail { .. }
            | Kind::IpiqSendEnd { .. }
            | Kind::IpiqReceive { .. }
            | Kind::SyncStart { .. }
            | Kind::SyncEnd { .. }
    )
}

fn round_trip(
    session: &Session,
    write: fn(&Trace, &mut Vec<u8>) -> std::io::Result<()>,
    format: Format,
    native: fn(&Kind) -> bool,
    events: usize,
) {
    let run = session_to_trace(session);
    assert_eq!(run.events.len(), events, "events of the run");
    let mut text = Vec::new();
    write(&run, &mut text).expect("writes to memory");
    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&text)));
    assert_eq!(back.format, format);
    assert_eq!(back.warning_count, 0, "{:?}", back.warnings);
    let vectors = format != Format::DragonFlyKtr;
    assert_eq!(rows(&back, native, vectors), rows(&run, native, vectors), "\n{}", String::from_utf8_lossy(&text));
}

#[test]
fn freebsd_ktrdump_of_a_race_reads_back_to_the_same_events() {
    let s = race_session("freebsd-scoreboard", "E1");
    // E1's run: 2 IPI sends, 3 handler entries and exits, 2 local and 3 remote flushes,
    // and 3 of the model's own trace points (run_as_trace.rs counts the first three).
    round_trip(&s, freebsd::<Vec<u8>>, Format::FreeBsdKtr, |_| false, 16);
}

#[test]
fn dragonfly_ktrdump_of_a_run_reads_back_to_the_same_events() {
    let s = race_session("freebsd-scoreboard", "E1");
    round_trip(&s, dragonfly::<Vec<u8>>, Format::DragonFlyKtr, is_ipiq, 16);
}

#[test]
fn dragonfly_model_run_keeps_its_ipiq_records_through_ktrdump() {
    let s = race_session("dragonfly", "R6");
    let run = session_to_trace(&s);
    let ipiq = run.events.iter().filter(|e| is_ipiq(&e.kind)).count();
    let receives: Vec<_> = run.events.iter().filter(|e| matches!(e.kind, Kind::IpiqReceive { .. })).collect();
    // R6's shortest run (52 steps): one cpusync of CPU 1 by CPU 0, so one message, sent
    // before ipiq_sync_start (step 8, 16) and received before ipiq_sync_end (27, 47).
    assert_eq!((ipiq, receives.len()), (4, 1), "ipiq records, receives");
    // A receive is logged on the destination and names the sender, which must have sent to
    // it earlier; a self-receive is the cpusync requeue, which is never sent (§2.3 of
    // research/trace-formats.md).
    for r in &receives {
        let Kind::IpiqReceive { scpu, .. } = r.kind else { unreachable!() };
        if scpu == r.cpu {
            continue;
        }
        let sent = run
            .events
            .iter()
            .any(|e| e.ts <= r.ts && e.cpu == scpu && matches!(e.kind, Kind::IpiqSend { dcpu, .. } if dcpu == r.cpu));
        assert!(sent, "receive on CPU {} from {scpu} at step {} has no send", r.cpu, r.ts);
    }
    // 27: those 4, the IPI that carries the message, the handler entry, a local flush
    // and 20 records of the model's own trace points.
    round_trip(&s, dragonfly::<Vec<u8>>, Format::DragonFlyKtr, is_ipiq, 27);
}
