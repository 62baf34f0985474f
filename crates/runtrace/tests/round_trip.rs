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

/// A capture in ns written as ftrace text (`trace convert --to ftrace`) reads back with the
/// same round and latency: the writer scales by the trace's time base (it once printed ns as
/// µs, so a 13 µs round read back as 13 ms).
#[test]
fn ftrace_convert_of_a_ns_trace_keeps_its_latency() {
    let text = "\
# tracer: nop
#
       a.out-1234    [000] d..1.   100.000001: tlb_flush: pages:1 reason:remote ipi send (4)
       a.out-1234    [000] d..2.   100.000003: ipi_send_cpumask: cpumask=00000000,00000006 callsite=smp_call_function_many_cond+0x1d6/0x4a0 callback=generic_smp_call_function_single_interrupt+0x0/0x20
      <idle>-0       [001] d.h1.   100.000010: call_function_entry: vector=252
      <idle>-0       [001] d.h1.   100.000012: tlb_flush: pages:1 reason:remote shootdown (1)
      <idle>-0       [001] d.h1.   100.000014: call_function_exit: vector=252
      <idle>-0       [002] d.h1.   100.000010: call_function_entry: vector=252
      <idle>-0       [002] d.h1.   100.000012: tlb_flush: pages:1 reason:remote shootdown (1)
      <idle>-0       [002] d.h1.   100.000014: call_function_exit: vector=252
";
    let latency = |t: &Trace| {
        let r = sdlab_trace::replay::reconstruct(t);
        let s = r.stats(t);
        (s.rounds_complete, s.latency_us.map(|l| l.max))
    };
    let first = parse(text.as_bytes()).expect("reads");
    assert_eq!(first.time, sdlab_trace::TimeBase::Nanos);
    assert_eq!(latency(&first), (1, Some(13.0)));
    let mut out = Vec::new();
    sdlab_runtrace::ftrace::write(&first, &mut out).expect("writes to memory");
    let back = parse(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.warning_count, 0, "{:?}", back.warnings);
    assert_eq!(back.time, sdlab_trace::TimeBase::Nanos);
    assert_eq!(latency(&back), (1, Some(13.0)), "\n{}", String::from_utf8_lossy(&out));
    // Sub-µs times keep their ns digits.
    let mut ns = first.clone();
    ns.events[7].ts += 1;
    let mut out = Vec::new();
    sdlab_runtrace::ftrace::write(&ns, &mut out).expect("writes to memory");
    let back = parse(&out).unwrap_or_else(|e| panic!("{e}"));
    let ts = |t: &Trace| {
        let mut v: Vec<_> = t.events.iter().map(|e| e.ts - t.events[0].ts).collect();
        v.sort();
        v
    };
    assert_eq!(ts(&back), ts(&ns));
}
