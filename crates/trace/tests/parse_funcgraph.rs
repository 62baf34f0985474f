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

fn kinds(t: &Trace) -> Vec<Kind> {
    t.events.iter().map(|e| e.kind).collect()
}

/// flush_tlb_mm_range calling native_flush_tlb_multi calling the leaf flush_tlb_func, as
/// `calls` lists them.
const NESTED: [&str; 6] = [
    "+flush_tlb_mm_range",
    "+native_flush_tlb_multi",
    "+flush_tlb_func",
    "-flush_tlb_func",
    "-native_flush_tlb_multi",
    "-flush_tlb_mm_range",
];

/// The functions the events name, in file order (`+` for an entry, `-` for an exit).
fn calls(t: &Trace) -> Vec<String> {
    t.events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::FuncEntry { func } => Some(format!("+{}", t.names.get(func))),
            Kind::FuncExit { func } => Some(format!("-{}", t.names.get(func))),
            _ => None,
        })
        .collect()
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

/// funcgraph-reltime prints, before the CPU, the microseconds since the trace started as
/// `%9llu us |  ` (print_graph_rel_time in kernel/trace/trace_functions_graph.c): those
/// are real times, so a leaf's exit lands at its entry plus its duration.
#[test]
fn relative_times_are_microseconds_since_the_start() {
    let t = parse(
        b"# tracer: function_graph\n\
          \x20       0 us |   0)               |  flush_tlb_mm_range() {\n\
          \x20       3 us |   0)   0.512 us    |    flush_tlb_func();\n\
          \x20      10 us |   0)   9.870 us    |  }\n",
    )
    .unwrap();
    assert_eq!((t.time, t.warning_count), (TimeBase::Nanos, 0), "{:?}", t.warnings);
    let ts: Vec<_> = t.events.iter().map(|e| e.ts).collect();
    assert_eq!(ts, [0, 3_000, 3_512, 10_000]);
    assert_eq!(calls(&t), ["+flush_tlb_mm_range", "+flush_tlb_func", "-flush_tlb_func", "-flush_tlb_mm_range"]);
}

/// A duration of five or six digits before the point keeps only two or one digits after it
/// (`* 12345.67 us`, `@ 123456.7 us`): trace_print_graph_duration in
/// kernel/trace/trace_functions_graph.c caps the number at seven digits. The short fraction
/// is tens or hundreds of ns, so a 12 ms or 123 ms leaf ends where the kernel says.
#[test]
fn long_durations_keep_their_short_fraction() {
    let t = parse(
        b"# tracer: function_graph\n\
          \x20 100.000001 |   0) * 12345.67 us |  flush_tlb_func();\n\
          \x20 100.020000 |   0) @ 123456.7 us |  flush_tlb_func();\n",
    )
    .unwrap();
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let ts: Vec<_> = t.events.iter().map(|e| e.ts).collect();
    assert_eq!(ts, [0, 12_345_670, 19_999_000, 19_999_000 + 123_456_700]);
}

/// With options/stacktrace (or a `stacktrace` trigger) an event is followed by a stack
/// entry, which the function_graph printer leaves to the generic one
/// (print_graph_function_flags in kernel/trace/trace_functions_graph.c does not handle
/// TRACE_STACK): a normal `<stack trace>` record, then ` => frame` lines. The frames hold
/// `=>` but are no task switch: no warning, and the open flush_tlb_mm_range still ends.
#[test]
fn stack_frames_between_graph_lines_are_not_task_switches() {
    let t = parse(
        b"# tracer: function_graph\n\
          \x20 100.000001 |   0)               |  flush_tlb_mm_range() {\n\
          \x20 100.000002 |   0)               |    /* tlb_flush: pages:1 reason:remote ipi send (4) */\n\
          \x20        tlbstor-98      [000] d..1.   100.000002: <stack trace>\n\
          \x20=> native_flush_tlb_multi\n\
          \x20=> flush_tlb_mm_range\n\
          \x20 100.000013 |   0) + 12.000 us   |  }\n",
    )
    .unwrap();
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(calls(&t), ["+flush_tlb_mm_range", "-flush_tlb_mm_range"]);
    assert!(!t.events.iter().any(|e| matches!(e.kind, Kind::SchedSwitch { .. })), "{:?}", t.events);
}

/// With funcgraph-duration off a comment has no `|` before it, and a sched_switch event
/// printed as one (print_graph_comment) holds `==>`, like verif_pid's task-switch lines
/// hold `=>`. What stands before the arrow is the event's text, not a `comm-pid`: it is
/// the sched_switch event, with its next pid, not a task-switch line without one.
#[test]
fn a_sched_switch_comment_without_the_duration_column_is_the_event() {
    let t = parse(
        b"# tracer: function_graph\n\
          \x20 1) /* sched_switch: prev_comm=systemd-journal prev_pid=412 prev_prio=120 prev_state=S ==> \
          next_comm=swapper/1 next_pid=0 next_prio=120 */\n",
    )
    .unwrap();
    assert_eq!(kinds(&t), [Kind::SchedSwitch { next_pid: 0 }]);
    assert_eq!(t.events[0].cpu, 1);
    // Only the note that the file has no times.
    assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
}

/// With the latency-format option the flags follow the CPU. Current kernels end them with
/// ` | ` (print_graph_lat_fmt in kernel/trace/trace_functions_graph.c, five flags `d.h1.`);
/// 4.x kernels printed only a space and the four flags, so the duration follows them in
/// the same column (`d.h1  0.512 us |`). Both layouts give the same calls.
#[test]
fn latency_format_flags_are_skipped_in_the_old_and_the_new_layout() {
    let new = parse(
        b"# tracer: function_graph\n\
          \x20 1)  d.h1. |               |  sysvec_call_function() {\n\
          \x20 1)  d.h1. |   0.512 us    |    flush_tlb_func();\n\
          \x20 1)  d.h1. |   2.000 us    |  }\n",
    )
    .unwrap();
    let old = parse(
        b"# tracer: function_graph\n\
          \x20 1)  d.h1              |  sysvec_call_function() {\n\
          \x20 1)  d.h1  0.512 us    |    flush_tlb_func();\n\
          \x20 1)  d.h1  2.000 us    |  }\n",
    )
    .unwrap();
    for t in [&new, &old] {
        assert_eq!(t.warning_count, 1, "only the note that there are no times: {:?}", t.warnings);
        assert_eq!(calls(t), ["+sysvec_call_function", "+flush_tlb_func", "-flush_tlb_func", "-sysvec_call_function"]);
        assert!(t.events.iter().all(|e| e.cpu == 1));
    }
}

/// funcgraph-proc on and funcgraph-duration off: the task column ends in ` | ` and the
/// indentation follows it at once (print_graph_prologue, then no print_graph_duration).
/// The calls and their nesting are read after the task column.
#[test]
fn the_task_column_without_the_duration_column() {
    let t = parse(
        b"# tracer: function_graph\n\
          \x20 0)   tlbstor-98   | flush_tlb_mm_range() {\n\
          \x20 0)   tlbstor-98   |   native_flush_tlb_multi() {\n\
          \x20 0)   tlbstor-98   |     flush_tlb_func();\n\
          \x20 0)   tlbstor-98   |   }\n\
          \x20 0)   tlbstor-98   | }\n",
    )
    .unwrap();
    assert_eq!(t.warning_count, 1, "only the note that there are no times: {:?}", t.warnings);
    assert_eq!(calls(&t), NESTED);
}

/// With funcgraph-cpu and funcgraph-duration off (and no time, no task) a line is only
/// the indentation and the call, brace or comment (print_graph_entry_nested,
/// print_graph_return, print_graph_comment, which indents nothing at depth 0): still read,
/// on CPU 0, with the note that the CPU column is missing, and nested by its indentation
/// (it was read at depth 0 before, so an outer exit matched no entry).
#[test]
fn with_every_column_off_the_bare_lines_are_still_read() {
    let t = parse(
        b"# tracer: function_graph\n\
          #\n\
          #                FUNCTION CALLS\n\
          #                |   |   |   |\n\
          flush_tlb_mm_range() {\n\
          \x20 native_flush_tlb_multi() {\n\
          \x20   /* tlb_flush: pages:1 reason:remote ipi send (4) */\n\
          \x20 }\n\
          }\n",
    )
    .unwrap();
    assert_eq!(t.warning_count, 2, "no CPU column, no times: {:?}", t.warnings);
    let flush = Kind::TlbFlush { pages: 1, reason: 4 };
    assert_eq!(kinds(&t)[2], flush);
    assert_eq!(
        calls(&t),
        ["+flush_tlb_mm_range", "+native_flush_tlb_multi", "-native_flush_tlb_multi", "-flush_tlb_mm_range"]
    );
}

/// funcgraph-abstime on and funcgraph-cpu off: the indentation follows the time's ` |  `
/// (print_graph_abs_time, then print_graph_entry_nested's two spaces a level), with the
/// duration column or without it, so the calls nest as with the CPU column (without the
/// duration column they were read at depth 0 before).
#[test]
fn the_time_column_without_the_cpu_column_keeps_the_nesting() {
    let with_duration = parse(
        b"# tracer: function_graph\n\
          \x20 100.000001 |               |  flush_tlb_mm_range() {\n\
          \x20 100.000002 |               |    native_flush_tlb_multi() {\n\
          \x20 100.000003 |   0.512 us    |      flush_tlb_func();\n\
          \x20 100.000004 |   2.000 us    |    }\n\
          \x20 100.000005 |   4.000 us    |  }\n",
    )
    .unwrap();
    let without = parse(
        b"# tracer: function_graph\n\
          \x20 100.000001 |  flush_tlb_mm_range() {\n\
          \x20 100.000002 |    native_flush_tlb_multi() {\n\
          \x20 100.000003 |      flush_tlb_func();\n\
          \x20 100.000004 |    }\n\
          \x20 100.000005 |  }\n",
    )
    .unwrap();
    for t in [&with_duration, &without] {
        assert_eq!(t.warning_count, 1, "only the note that the CPU column is off: {:?}", t.warnings);
        assert_eq!(calls(t), NESTED);
    }
}

/// funcgraph-irqs marks the entry into and exit from interrupt code with `==========>`
/// and `<==========`; with funcgraph-duration off no ` |` follows them (print_graph_irq
/// prints it only with the duration column). They are interrupt events either way (they
/// were "not an ftrace record" before).
#[test]
fn interrupt_arrows_without_the_duration_column_are_interrupt_events() {
    let t = parse(
        b"# tracer: function_graph\n\
          \x20 1) ==========>\n\
          \x20 1) flush_tlb_func();\n\
          \x20 1) <==========\n",
    )
    .unwrap();
    assert_eq!(t.warning_count, 1, "only the note that there are no times: {:?}", t.warnings);
    let k = kinds(&t);
    assert_eq!((k[0], k[k.len() - 1]), (Kind::IrqEntry { vector: 0 }, Kind::IrqExit { vector: 0 }));
    assert!(t.events.iter().all(|e| e.cpu == 1));
}

/// A trace_marker message is printed as a comment as written (print_graph_comment), so
/// it may hold `|`. With funcgraph-duration off nothing but the CPU stands before it, and
/// the text before its first `|` is not a column, even when it ends in `-` (a shell
/// pipeline reading stdin) or reads like a duration (`250 us`): each line is one marker.
#[test]
fn marker_text_with_a_bar_stays_one_marker_without_the_duration_column() {
    let t = parse(
        b"# tracer: function_graph\n\
          \x20 0) /* step 1: zcat - | wc -l */\n\
          \x20 0) /* 250 us | budget left */\n",
    )
    .unwrap();
    assert_eq!(kinds(&t), [Kind::Marker, Kind::Marker]);
    assert_eq!(t.warning_count, 1, "only the note that there are no times: {:?}", t.warnings);
}
