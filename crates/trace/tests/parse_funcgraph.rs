//! `function_graph` output as people paste it: no event columns, `N)` CPUs, durations,
//! nesting braces, trace events as `/* … */` comments (some over several lines), with and
//! without funcgraph-abstime / funcgraph-proc, irq markers and task-switch blocks. The two
//! files in test_data/linux/ were written column by column after the printing code in
//! kernel/trace/trace_functions_graph.c (`print_graph_prologue`, `print_graph_duration`,
//! `print_graph_comment`, `print_graph_irq`, `verif_pid`).
//!
//! Expected counts, from the files with grep (in crates/trace/test_data/linux/):
//!
//! | F | comments `grep -c '\|  */\*' F` | of those closed on their line `… \| grep -c '\*/$'` | `grep -c '() {$'` | `grep -c '();$'` | `grep -c '\|  *}'` | `==========>` / `<==========` |
//! |---|---|---|---|---|---|---|
//! | funcgraph-abstime-proc.trace | 17 | 17 | 13 | 1 | 13 | 2 / 2 |
//! | funcgraph-plain.trace | 18 | 16 | 24 | 2 | 25 | 4 / 4 |
//!
//! Every function in both files is on the shootdown path, so each `() {` line is one
//! FuncEntry, each `();` one FuncEntry and one FuncExit, each `}` one FuncExit. The abstime
//! file has one task-switch line (`grep -c '=> ' F` is 1 there; in the plain file the 3 hits
//! are stack-trace lines inside a comment). Totals: 17 + 13 + 2 + 13 + 4 + 1 = 50 and
//! 18 + 24 + 4 + 25 + 8 = 79.

use sdlab_trace::replay::{reconstruct, BarKind, Evidence};
use sdlab_trace::{parse, Format, Kind, TimeBase, Trace, WarningClass};

fn load(name: &str) -> Trace {
    let p = format!("{}/test_data/linux/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn count(t: &Trace, f: impl Fn(&Kind) -> bool) -> usize {
    t.events.iter().filter(|e| f(&e.kind)).count()
}

#[test]
fn abstime_and_proc_columns_with_csd_comments() {
    let t = load("funcgraph-abstime-proc.trace");
    assert_eq!((t.format, t.time, t.cpus), (Format::LinuxFtrace, TimeBase::Nanos, 3));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(t.events.len(), 50);
    assert_eq!(count(&t, |k| matches!(k, Kind::FuncEntry { .. })), 13 + 1);
    assert_eq!(count(&t, |k| matches!(k, Kind::FuncExit { .. })), 13 + 1);
    assert_eq!(count(&t, |k| matches!(k, Kind::IrqEntry { vector: 0 })), 2);
    assert_eq!(count(&t, |k| matches!(k, Kind::IrqEntry { vector: 252 })), 2);
    assert_eq!(count(&t, |k| matches!(k, Kind::CsdQueue { .. })), 2);
    assert_eq!(count(&t, |k| matches!(k, Kind::CsdEntry { .. })), 3);
    assert_eq!(count(&t, |k| matches!(k, Kind::SchedSwitch { next_pid: 0 })), 2, "the switch line and its event");
    // The comment events are the same Kinds as in the normal format.
    assert!(t
        .events
        .iter()
        .any(|e| e.cpu == 0 && e.kind == Kind::IpiSend { targets: 0b110, vector: 252, all_but_self: false }));
    assert!(t.events.iter().any(|e| e.cpu == 1 && e.kind == Kind::TlbFlush { pages: 4, reason: 1 }));
    // `100.000001 |` is the first record (time 0); the leaf flush_tlb_func() of 0.512 µs at
    // 100.000010 is on line 16.
    let leaf: Vec<_> = t.events.iter().filter(|e| e.line == 16).map(|e| e.ts).collect();
    assert_eq!(leaf, [9_000, 9_512]);

    let r = reconstruct(&t);
    assert_eq!(r.evidence, Some(Evidence::Csd));
    assert_eq!((r.rounds.len(), r.warning_count), (1, 0), "{:?}", r.warnings);
    let x = &r.rounds[0];
    assert_eq!((x.initiator, x.targets, x.end.is_some()), (0, 0b110, true));
    // Line 7 is the `remote ipi send`; CPU 2's csd_function_exit (line 42) ends it.
    assert_eq!((t.events[x.start as usize].line, t.events[x.end.unwrap() as usize].line), (7, 42));
    let fname = |b: &sdlab_trace::replay::Bar| match b.kind {
        BarKind::Function { func } => Some(t.names.get(func).to_string()),
        _ => None,
    };
    let spans: Vec<_> = r.bars.iter().filter(|b| b.cpu == 0).filter_map(fname).collect();
    assert_eq!(
        spans,
        [
            "native_send_call_func_ipi",
            "flush_tlb_func",
            "smp_call_function_many_cond",
            "on_each_cpu_cond_mask",
            "native_flush_tlb_multi",
            "flush_tlb_mm_range"
        ]
    );
    assert_eq!(r.bars.iter().filter_map(fname).count(), 6 + 2 * 4);
}

#[test]
fn plain_paste_without_times_keeps_file_order_and_reads_comments_over_lines() {
    let t = load("funcgraph-plain.trace");
    assert_eq!((t.format, t.time, t.cpus), (Format::LinuxFtrace, TimeBase::Ticks { hz: None }, 4));
    // One flag: the times are synthetic.
    assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
    assert_eq!((t.warnings[0].class, t.warnings[0].line), (WarningClass::Parse, 1));
    assert!(t.warnings[0].reason.contains("funcgraph-abstime"));
    assert_eq!(t.events.len(), 79);
    // File order is time order: lines ascend, a leaf's entry and exit share a tick.
    assert!(t.events.windows(2).all(|w| w[0].line <= w[1].line && w[0].ts <= w[1].ts));
    // One tick a line: events of later lines are strictly later.
    assert!(t.events.windows(2).all(|w| (w[0].line < w[1].line) == (w[0].ts < w[1].ts)), "{:?}", t.events);
    assert_eq!(count(&t, |k| matches!(k, Kind::FuncEntry { .. })), 24 + 2);
    assert_eq!(count(&t, |k| matches!(k, Kind::FuncExit { .. })), 25 + 2);
    // `flush_tlb_func.isra.0` is flush_tlb_func.
    assert!(
        t.names.get(0) != "flush_tlb_func.isra.0" && (0..t.names.len() as u32).all(|s| !t.names.get(s).contains('.'))
    );
    // The stack trace (lines 6-9) and the trace_printk (lines 43-44) are one event each, at
    // their first line.
    let at = |line: u32| t.events.iter().find(|e| e.line == line).map(|e| e.kind);
    assert!(matches!(at(6), Some(Kind::Other { name }) if t.names.get(name) == "kernel_stack"));
    assert_eq!(at(43), Some(Kind::Marker));
    assert_eq!(at(7), None);
    assert_eq!(count(&t, |k| matches!(k, Kind::TlbFlush { reason: 4, .. })), 2);
    assert_eq!(count(&t, |k| matches!(k, Kind::TlbFlush { reason: 1, .. })), 4);

    // A 6.1-style capture: no csd events, so rounds come from the flushes and handlers.
    let r = reconstruct(&t);
    assert_eq!(r.evidence, Some(Evidence::TlbIrq));
    assert_eq!(r.warning_count, 0, "{:?}", r.warnings);
    let rounds: Vec<_> = r.rounds.iter().map(|x| (x.targets, x.legs.len(), x.end.is_some())).collect();
    assert_eq!(rounds, [(0b110, 2, true), (0b110, 2, true)]);
    assert_eq!((r.legs_by_time, r.legs_ambiguous), (4, 0));
    // The first line's exit has no entry in the excerpt: an expected orphan.
    assert_eq!(r.orphans_at_start, 1);
}

#[test]
fn graph_lines_in_chunks_give_the_same_events() {
    let p = format!("{}/test_data/linux/funcgraph-plain.trace", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(p).unwrap();
    let whole = parse(&bytes).unwrap();
    for size in [1, 7, 64] {
        let mut r = sdlab_trace::Reader::new();
        for c in bytes.chunks(size) {
            r.feed(c);
        }
        let t = r.finish().unwrap();
        assert_eq!(t.events, whole.events, "chunks of {size}");
    }
}

#[test]
fn broken_graph_input_does_not_panic() {
    let cases: [&[u8]; 6] = [
        b" 0)               |  /* never closed\n",
        b" 99999999)  |  flush_tlb_func() {\n",
        b" 0)               |  flush_tlb_func() {\n 0)  |  }\n 0)  |  }\n 0)  |  }\n",
        b"# tracer: function_graph\n 0)   1.0 us |  x();\n---\n 1)  a-1  =>  \n",
        b"# tracer: function_graph\n  100.000001 |   0)  |  flush_tlb_func() {\n 0)  |  }\n",
        b"# tracer: function_graph\n 0) |  /* a\n b\n c\n",
    ];
    for c in cases {
        let _ = parse(c).map(|t| reconstruct(&t));
    }
    // A comment never closed is read up to the end, with a warning.
    let t =
        parse(b"# tracer: function_graph\n 0)               |  /* tlb_flush: pages:1 reason:remote shootdown (1)\n")
            .unwrap();
    assert_eq!(t.events.len(), 1);
    assert!(t.warnings.iter().any(|w| w.reason.contains("not closed")));
}
