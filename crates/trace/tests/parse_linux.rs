//! Linux ftrace text layouts and the pitfalls of research/trace-formats.md §5 (items 12–17,
//! 19–21), each on a small hand-written sample in test_data/linux.

use sdlab_trace::{parse, Event, Format, Kind, Reader, TimeBase, Trace, WarningClass};

fn load(bytes: &[u8]) -> Trace {
    parse(bytes).unwrap_or_else(|e| panic!("{e}"))
}

fn kinds(t: &Trace) -> Vec<Kind> {
    t.events.iter().map(|e| e.kind).collect()
}

fn other(t: &Trace, e: &Event) -> String {
    match e.kind {
        Kind::Other { name } => t.names.get(name).to_owned(),
        k => format!("{k:?}"),
    }
}

#[test]
fn tgid_column_five_flags_comm_with_spaces_dashes_and_placeholders() {
    let t = load(include_bytes!("../test_data/linux/tgid-5flag.trace"));
    assert_eq!(t.format, Format::LinuxFtrace);
    assert_eq!(t.time, TimeBase::Nanos);
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(t.cpus, 8, "#P:8 wins over the highest CPU seen");
    assert_eq!(t.events.len(), 7);
    let cpus: Vec<u16> = t.events.iter().map(|e| e.cpu).collect();
    assert_eq!(cpus, [5, 2, 1, 6, 6, 6, 6]);
    assert_eq!(t.events[1].ts, 100_000, "rebased to the first event, in ns");
    assert_eq!(t.events[0].line, 13);
    let k = kinds(&t);
    assert_eq!(k[0], Kind::TlbFlush { pages: -1, reason: 4 });
    let Kind::CsdQueue { target: 6, csd: 0xffff9a3e7f3a1f20, func } = k[1] else { panic!("{:?}", k[1]) };
    assert_eq!(t.names.get(func), "flush_tlb_func");
    assert_eq!(k[2], Kind::IpiSend { targets: 1 << 6, vector: 252, all_but_self: false });
    assert_eq!(k[3], Kind::IrqEntry { vector: 252 });
    assert!(matches!(k[4], Kind::CsdEntry { csd: 0xffff9a3e7f3a1f20, .. }));
    assert_eq!(k[5], Kind::TlbFlush { pages: 4, reason: 1 });
    assert!(matches!(k[6], Kind::CsdExit { csd: 0xffff9a3e7f3a1f20, func: f } if f == func));
}

#[test]
fn old_four_flags_arm_ipi_events_and_overwrite_notice() {
    let t = load(include_bytes!("../test_data/linux/old-4flag.trace"));
    assert_eq!(t.format, Format::LinuxFtrace);
    // 5 of 9 written: one located notice that the ring wrapped, not a line error.
    assert_eq!(t.warning_count, 1);
    assert_eq!(t.warnings[0].class, WarningClass::Reconstruct);
    assert_eq!(t.warnings[0].line, 3);
    assert_eq!(
        kinds(&t),
        [
            Kind::IpiSend { targets: 1 << 2, vector: 252, all_but_self: false },
            Kind::IrqEntry { vector: 252 },
            Kind::IrqExit { vector: 252 },
            Kind::SchedSwitch { next_pid: 0 },
            Kind::Marker,
        ]
    );
    assert_eq!(t.events[3].cpu, 3, "comm `sh -c x` with spaces and a dash");
}

#[test]
fn preempt_rt_eight_flag_columns() {
    let t = load(include_bytes!("../test_data/linux/rt-8flag.trace"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(
        kinds(&t),
        [Kind::TlbFlush { pages: 1, reason: 3 }, Kind::IpiSend { targets: 1, vector: 253, all_but_self: false }]
    );
    assert_eq!(t.events[1].ts, 10_000);
}

#[test]
fn no_flag_columns() {
    let t = load(include_bytes!("../test_data/linux/no-irq-info.trace"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(kinds(&t), [Kind::IrqEntry { vector: 253 }, Kind::IrqExit { vector: 253 }]);
    assert_eq!(t.events[1].ts, 8_000);
    assert_eq!(t.cpus, 2);
}

#[test]
fn trace_pipe_without_header_and_raw_counter_clock() {
    let t = load(include_bytes!("../test_data/linux/trace-pipe-counter.trace"));
    assert_eq!(t.format, Format::LinuxFtrace);
    assert_eq!(t.time, TimeBase::Ticks { hz: None });
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let ts: Vec<u64> = t.events.iter().map(|e| e.ts).collect();
    assert_eq!(ts, [0, 54, 55]);
    assert_eq!(other(&t, &t.events[1]), "user_enter", "empty payload");
    assert_eq!(t.events[2].kind, Kind::IrqEntry { vector: 236 });
}

#[test]
fn trace_cmd_report_with_flags_padding_drops_stacks_and_plugin_sched_switch() {
    let t = load(include_bytes!("../test_data/linux/trace-cmd-v3.report"));
    assert_eq!(t.format, Format::TraceCmd);
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(t.cpus, 2);
    let k = kinds(&t);
    assert_eq!(k[0], Kind::TlbFlush { pages: -1, reason: 4 }, "2025 upper-case reason string, code 4");
    assert_eq!(k[1], Kind::IpiSend { targets: 2, vector: 251, all_but_self: false });
    // The drop is placed at CPU 1's next record, before it.
    assert_eq!(k[2], Kind::Lost { count: 3 });
    assert_eq!((t.events[2].cpu, t.events[2].line, t.events[2].ts), (1, 6, 4_000));
    assert_eq!(k[3], Kind::IrqEntry { vector: 251 });
    assert_eq!(other(&t, &t.events[4]), "kernel_stack");
    assert_eq!(k[5], Kind::TlbFlush { pages: -1, reason: 5 }, "code 5 added in 2025");
    assert_eq!(k[6], Kind::SchedSwitch { next_pid: 4711 }, "plugin form, comm with a colon");
    assert_eq!(other(&t, &t.events[7]), "sys_enter_write");
    assert_eq!(t.events.len(), 8);
}

#[test]
fn old_trace_cmd_report_without_flags() {
    let t = load(include_bytes!("../test_data/linux/trace-cmd-v2.report"));
    assert_eq!(t.format, Format::TraceCmd);
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(t.cpus, 20, "CPU 19 seen, more than cpus=4 says");
    assert_eq!(t.events[0].kind, Kind::IrqEntry { vector: 251 });
    assert_eq!(other(&t, &t.events[2]), "sched_wakeup");
}

#[test]
fn latency_format_cpu_glued_to_flags_and_microseconds() {
    let t = load(include_bytes!("../test_data/linux/latency.trace"));
    assert_eq!(t.format, Format::LinuxLatency);
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let got: Vec<(u64, u16)> = t.events.iter().map(|e| (e.ts, e.cpu)).collect();
    assert_eq!(got, [(0, 1), (3_000, 1), (15_000, 0), (250_000, 2)]);
    assert_eq!(t.events[2].kind, Kind::IpiSend { targets: 2, vector: 253, all_but_self: false });
    assert_eq!(t.events[3].kind, Kind::Marker);
}

#[test]
fn stack_lines_are_skipped_and_losses_become_events() {
    let t = load(include_bytes!("../test_data/linux/stack-and-lost.trace"));
    assert_eq!(t.warning_count, 1, "only the overwrite notice: {:?}", t.warnings);
    let got: Vec<(u32, u16, Kind)> = t.events.iter().map(|e| (e.line, e.cpu, e.kind)).collect();
    let stack = match t.events[2].kind {
        Kind::Other { name } => name,
        k => panic!("{k:?}"),
    };
    assert_eq!(
        got,
        [
            (5, 1, Kind::Lost { count: 0 }),
            (6, 1, Kind::TlbFlush { pages: -1, reason: 0 }),
            (7, 1, Kind::Other { name: stack }),
            (11, 0, Kind::Lost { count: 1234 }),
            (12, 0, Kind::IrqEntry { vector: 252 }),
            // Announced at the end with no later record: placed at the last time seen.
            (13, 1, Kind::Lost { count: 0 }),
        ]
    );
    assert_eq!(t.names.get(stack), "kernel_stack");
}

#[test]
fn perf_script_lines_with_system_qualified_names() {
    let t = load(include_bytes!("../test_data/linux/perf-script.txt"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(
        kinds(&t),
        [
            Kind::IrqEntry { vector: 253 },
            Kind::IrqExit { vector: 253 },
            Kind::TlbFlush { pages: -1, reason: 1 },
            Kind::IrqEntry { vector: 252 },
        ]
    );
    assert_eq!(t.events[2].cpu, 2);
    assert_eq!(t.events[3].cpu, 1, "period column and callchain lines");
}

#[test]
fn trace_cmd_latency_layout_without_brackets() {
    let t = load(include_bytes!("../test_data/linux/trace-cmd-latency.report"));
    assert_eq!(t.format, Format::TraceCmd);
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let got: Vec<(u16, u64, Kind)> = t.events.iter().map(|e| (e.cpu, e.ts, e.kind)).collect();
    assert_eq!(
        got,
        [
            (1, 0, Kind::IrqEntry { vector: 252 }),
            (0, 10_000, Kind::IpiSend { targets: 2, vector: 253, all_but_self: false }),
        ]
    );
}

#[test]
fn mail_junk_is_located_and_counted_and_the_rest_loads() {
    let bytes = include_bytes!("../test_data/linux/mail-junk.txt");
    let t = load(bytes);
    let lines: Vec<u32> = t.warnings.iter().map(|w| w.line).collect();
    // 1, 2, 5: not records; 4: annotation after the reason; 6: `=3D`; 7: mask past CPU 63;
    // 8: hashed-out csd pointer.
    assert_eq!(lines, [1, 2, 4, 5, 6, 7, 8], "{:#?}", t.warnings);
    assert_eq!(t.warning_count, 7);
    for w in &t.warnings {
        let start = bytes.split(|&b| b == b'\n').take(w.line as usize - 1).map(|l| l.len() as u64 + 1).sum::<u64>();
        assert_eq!(w.offset, start, "offset of line {}", w.line);
        assert!(!w.reason.is_empty());
    }
    // Lines 3 (quoted), 4 and 6 (payload not understood: kept by name) and 7 to 9.
    let lines: Vec<u32> = t.events.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4, 6, 7, 8, 9]);
    assert_eq!(t.events[0].kind, Kind::TlbFlush { pages: -1, reason: 0 });
    assert_eq!(other(&t, &t.events[1]), "tlb_flush");
    assert_eq!(t.events[3].kind, Kind::IpiSend { targets: 1, vector: 252, all_but_self: false });
    assert!(matches!(t.events[4].kind, Kind::CsdQueue { target: 1, csd: 0, .. }));
    assert_eq!(other(&t, &t.events[5]), "function");
}

#[test]
fn cpumask_spellings() {
    let line = |mask: &str| {
        format!("  x-1 [000] .... 1.0: ipi_send_cpumask: cpumask={mask} callsite=a callback=b\n").into_bytes()
    };
    for (mask, want) in [
        ("00000000,00000080", 0x80u64),
        ("0x10", 0x10),
        ("16", 16),
        ("0000000e", 0xe),
        ("80000000,00000001", 1 << 63 | 1),
    ] {
        let t = load(&line(mask));
        assert_eq!(t.events[0].kind, Kind::IpiSend { targets: want, vector: 252, all_but_self: false }, "{mask}");
        assert_eq!(t.warning_count, 0, "{mask}");
    }
}

#[test]
fn forced_format_skips_detection() {
    let mut r = Reader::with_format(Format::TraceCmd);
    r.feed(b"  x-1 [000] 1.0: print: hi\n");
    assert_eq!(r.bytes_fed(), 27);
    let t = r.finish().unwrap();
    assert_eq!(t.format, Format::TraceCmd);
    assert_eq!(t.events[0].kind, Kind::Marker);
}

#[test]
fn many_event_names_keep_their_own_symbols() {
    // More names than the reader's small name cache, in rotation, and one longer than it.
    let long = "an_event_name_longer_than_forty_bytes_for_sure_x";
    let mut text = String::new();
    for round in 0..3 {
        for i in 0..20 {
            text.push_str(&format!("  x-1 [000] .... {round}.{i:06}: ev_{i}: payload\n"));
        }
        text.push_str(&format!("  x-1 [000] .... {round}.999999: {long}: payload\n"));
    }
    let t = load(text.as_bytes());
    assert_eq!(t.names.len(), 21);
    for (n, e) in t.events.iter().enumerate() {
        let want = if n % 21 == 20 { long.to_owned() } else { format!("ev_{}", n % 21) };
        assert_eq!(other(&t, e), want);
    }
}

/// arm64 6.4+: kernel/smp.c traces `ipi_send_cpumask`/`ipi_send_cpu`, then
/// arch/arm64/kernel/smp.c smp_cross_call traces `ipi_raise` for the same mask: one IPI, so
/// one send per target (the raise stays a plain event), and a single-target send takes the
/// raise's vector (IPI_CALL_FUNC, 252) so it pairs with the target's `ipi_entry`.
#[test]
fn arm64_ipi_raise_after_ipi_send_is_the_same_ipi() {
    let text = "\
# tracer: nop
       a.out-1234    [000] d..2.   100.000003: ipi_send_cpumask: cpumask=00000000,00000006 callsite=smp_call_function_many_cond+0x1d6/0x4a0 callback=generic_smp_call_function_single_interrupt+0x0/0x20
       a.out-1234    [000] d..2.   100.000003: ipi_raise: target_mask=00000000,00000006 (Function call interrupts)
      <idle>-0       [001] d.h1.   100.000010: ipi_entry: (Function call interrupts)
      <idle>-0       [001] d.h1.   100.000014: ipi_exit: (Function call interrupts)
      <idle>-0       [002] d.h1.   100.000010: ipi_entry: (Function call interrupts)
      <idle>-0       [002] d.h1.   100.000014: ipi_exit: (Function call interrupts)
       a.out-1234    [000] d..2.   100.000020: ipi_send_cpu: cpu=1 callsite=generic_exec_single+0x1d6/0x4a0 callback=generic_smp_call_function_single_interrupt+0x0/0x20
       a.out-1234    [000] d..2.   100.000020: ipi_raise: target_mask=00000000,00000002 (Function call interrupts)
      <idle>-0       [001] d.h1.   100.000025: ipi_entry: (Function call interrupts)
      <idle>-0       [001] d.h1.   100.000027: ipi_exit: (Function call interrupts)
       a.out-1234    [000] d..2.   100.000030: ipi_raise: target_mask=00000000,00000004 (Rescheduling interrupts)
";
    let t = load(text.as_bytes());
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let sends: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::IpiSend { targets, vector, .. } => Some((e.line, targets, vector)),
            _ => None,
        })
        .collect();
    // Lines 3 and 9 are the raises of the sends on lines 2 and 8; line 12's raise has no send.
    assert_eq!(sends, [(2, 0b110, 252), (8, 0b10, 252), (12, 0b100, 253)]);
    assert_eq!(other(&t, &t.events[1]), "ipi_raise");
    let r = sdlab_trace::replay::reconstruct(&t);
    let line = |i: u32| t.events[i as usize].line;
    let arrows: Vec<_> = r.arrows.iter().map(|a| (line(a.from), line(a.to))).collect();
    assert_eq!(arrows, [(2, 4), (2, 6), (8, 10)]);
    let s = r.stats(&t);
    assert_eq!(s.ipi_matrix[0], [0, 2, 2]);
}

/// ftrace_dump_on_oops on a serial console: every line has dmesg's `[ sec.usec] ` prefix.
/// The loss annotation is a loss (placed at CPU 1's next record), not a line that is not a
/// record, and ftrace_dump's own banner and dashes are skipped; same under syslog's prefix.
#[test]
fn console_capture_of_ftrace_dump_keeps_its_loss_annotation() {
    let dmesg = "\
[  137.398213] Dumping ftrace buffer:
[  137.398213] ---------------------------------
[  137.398213] CPU:1 [LOST 3712 EVENTS]
[  137.398220]    a.out-1234      0d..1. 1234567us : tlb_flush: pages:1 reason:remote ipi send (4)
[  137.398221]   <idle>-0         1d.h1. 1234575us : call_function_entry: vector=252
[  137.398222]   <idle>-0         1d.h1. 1234577us : tlb_flush: pages:1 reason:remote shootdown (1)
[  137.398223]   <idle>-0         1d.h1. 1234579us : call_function_exit: vector=252
[  137.398224] ---------------------------------
";
    let syslog = dmesg.replace("[  137.398213] ", "Dec  7 06:00:01 box kernel: ");
    for text in [dmesg.to_string(), syslog] {
        let t = load(text.as_bytes());
        assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
        let lost: Vec<_> =
            t.events.iter().filter(|e| matches!(e.kind, Kind::Lost { .. })).map(|e| (e.line, e.cpu, e.kind)).collect();
        assert_eq!(lost, [(3, 1, Kind::Lost { count: 3712 })]);
        let r = sdlab_trace::replay::reconstruct(&t);
        assert_eq!(r.rounds.len(), 1);
        assert_eq!(r.stats(&t).latency_us.map(|l| l.max), Some(12.0));
    }
}

/// The latency format's header ends `HP:0 #P:8)`: the `)` does not hide the CPU count.
#[test]
fn latency_header_cpu_count_before_a_parenthesis() {
    let t = load(
        b"# latency: 0 us, #10/10, CPU#0 | (M:desktop VP:0, KP:0, SP:0 HP:0 #P:8)\n\
          \x20  a.out-1234      0d..2.    1us : tlb_flush: pages:1 reason:remote ipi send (4)\n",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(t.cpus, 8);
}

/// function_graph with funcgraph-cpu off: every event lands on CPU 0, which is said once,
/// located at the first record, as the BSD readers say it for ktrdump without `-c`.
#[test]
fn function_graph_without_cpu_column_says_so() {
    let t = load(
        b"# tracer: function_graph\n\
          #\n\
          #     TIME         DURATION                  FUNCTION CALLS\n\
          #      |           |   |                     |   |   |   |\n\
          \x20 100.000001 |               |  flush_tlb_mm_range() {\n\
          \x20 100.000002 |               |    /* tlb_flush: pages:1 reason:remote ipi send (4) */\n\
          \x20 100.000011 |   9.000 us    |  }\n",
    );
    let got: Vec<_> = t.warnings.iter().map(|w| (w.line, w.class)).collect();
    assert_eq!(got, [(5, WarningClass::Parse)], "{:?}", t.warnings);
    assert!(t.warnings[0].reason.contains("CPU 0"));
    assert!(t.events.iter().all(|e| e.cpu == 0));
}

fn sends(t: &Trace) -> Vec<(u32, u64)> {
    t.events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::IpiSend { targets, .. } => Some((e.line, targets)),
            _ => None,
        })
        .collect()
}

/// cpumask forms besides the kernel's hex groups: a CPU list (`%*pbl`), and libtraceevent's
/// `[FAILED TO PARSE]` byte array (little-endian), which both failed before.
#[test]
fn cpumask_as_a_cpu_list_and_as_a_failed_to_parse_byte_array() {
    let t = load(
        b"# tracer: nop\n\
          \x20      a-1    [000] d..2.   100.000002: ipi_send_cpumask: cpumask=6 callsite=x+0x1/0x2 callback=f+0x0/0x20\n\
          \x20      a-1    [000] d..2.   100.000003: ipi_send_cpumask: cpumask=1,3 callsite=x+0x1/0x2 callback=f+0x0/0x20\n\
          \x20      a-1    [000] d..2.   100.000004: ipi_send_cpumask: cpumask=1-3,5 callsite=x+0x1/0x2 callback=f+0x0/0x20\n\
          \x20      a-1    [000] d..2.   100.000005: ipi_send_cpumask: cpumask=00000001,00000006 callsite=x callback=f\n",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(sends(&t), [(2, 0b110), (3, 0b1010), (4, 0b101110), (5, 0x1_0000_0006)]);
    let t = load(
        b"cpus=4\n\
          \x20  a.out-1234  [000]   100.000002: ipi_send_cpumask:     [FAILED TO PARSE] cpumask=ARRAY[06, 00, 00, 00, 00, 00, 00, 00] callsite=18446744071579453456 callback=18446744071579523456\n",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(sends(&t), [(2, 0b110)]);
}

/// The latency format with `verbose` (trace_print_lat_context): CPU in the third column, the
/// time in ms to the µs.
#[test]
fn verbose_latency_format() {
    let t = load(
        b"# tracer: nop\n\
          #\n\
          \x20          a.out    1234   0 1 00000002 00000000 [00000000] 0.001ms (+0.001ms): tlb_flush: pages:1 reason:remote ipi send (4)\n\
          \x20         <idle>       0   1 1 00000001 00000001 [00000000] 0.010ms (+0.009ms): call_function_entry: vector=252\n",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let got: Vec<_> = t.events.iter().map(|e| (e.line, e.cpu, e.ts, e.kind)).collect();
    assert_eq!(got, [(3, 0, 0, Kind::TlbFlush { pages: 1, reason: 4 }), (4, 1, 9_000, Kind::IrqEntry { vector: 252 })]);
}

/// The CPU list and byte-array forms at their edges: CPU 63 is the last one kept without
/// a warning; a byte array's later bytes hold the higher CPUs (byte i holds CPUs 8i to
/// 8i+7), and zero bytes past the eighth (a kernel built for more CPUs) drop nothing.
#[test]
fn cpumask_lists_and_arrays_at_cpu_63_and_past_the_eighth_byte() {
    let t = load(
        b"# tracer: nop\n\
          \x20      a-1    [000] d..2.   100.000002: ipi_send_cpumask: cpumask=0-63 callsite=x+0x1/0x2 callback=f+0x0/0x20\n\
          \x20      a-1    [000] d..2.   100.000003: ipi_send_cpumask: cpumask=60-63 callsite=x+0x1/0x2 callback=f+0x0/0x20\n",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(sends(&t), [(2, u64::MAX), (3, 0xf << 60)]);
    let t = load(
        b"# tracer: nop\n\
          \x20      a-1    [000] d..2.   100.000002: ipi_send_cpumask: cpumask=1,70-71 callsite=x+0x1/0x2 callback=f+0x0/0x20\n",
    );
    assert_eq!(t.warning_count, 1, "CPUs 70 and 71 are dropped with a warning: {:?}", t.warnings);
    assert_eq!(sends(&t), [(2, 0b10)]);
    let t = load(
        b"cpus=16\n\
          \x20  a.out-1234  [000]   100.000002: ipi_send_cpumask:     [FAILED TO PARSE] cpumask=ARRAY[00, 81, 00, 00, 00, 00, 00, 80, 00, 00] callsite=1 callback=2\n",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(sends(&t), [(2, 1 << 63 | 1 << 15 | 1 << 8)]);
    let t = load(
        b"cpus=16\n\
          \x20  a.out-1234  [000]   100.000002: ipi_send_cpumask:     [FAILED TO PARSE] cpumask=ARRAY[02, 00, 00, 00, 00, 00, 00, 00, 01] callsite=1 callback=2\n",
    );
    assert_eq!(t.warning_count, 1, "CPU 64 is dropped with a warning: {:?}", t.warnings);
    assert!(t.warnings[0].reason.contains("beyond CPU 63"), "{:?}", t.warnings);
    assert_eq!(sends(&t), [(2, 0b10)]);
}

/// A task whose name starts with `v` (vhost workers, vmstat) is a record like any other:
/// only trace-cmd's `version = N` header line is skipped.
#[test]
fn a_task_named_v_is_a_record_and_only_the_version_header_is_skipped() {
    let t = load(
        b"cpus=2\n\
          version = 6\n\
          \x20 vhost-4321  [001]   100.000002: tlb_flush: pages:1 reason:remote shootdown (1)\n\
          vmstat-77  [000]   100.000003: tlb_flush: pages:2 reason:remote shootdown (1)\n",
    );
    assert_eq!(t.format, Format::TraceCmd);
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(kinds(&t), [Kind::TlbFlush { pages: 1, reason: 1 }, Kind::TlbFlush { pages: 2, reason: 1 }]);
}

/// A timestamp is `secs.fraction:` with 1 to 12 fraction digits (nanoseconds and finer
/// clocks) or a raw counter: `1.:` and a 13-digit fraction are not timestamps, and a
/// line cut right after its `[cpu]` column is not a record. Each such line gets one
/// located warning, and the good lines load.
#[test]
fn malformed_timestamps_and_a_line_cut_after_its_cpu_column_are_located() {
    let t = load(
        b"# tracer: nop\n\
          \x20      a-1    [000] d..2.   1.: tlb_flush: pages:1 reason:remote shootdown (1)\n\
          \x20      a-1    [000] d..2.   1.0000000000001: tlb_flush: pages:1 reason:remote shootdown (1)\n\
          \x20      a-1    [000]\n\
          \x20      a-1    [000] d..2.   1.000000000001: tlb_flush: pages:3 reason:remote shootdown (1)\n",
    );
    let lines: Vec<u32> = t.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [2, 3, 4], "{:?}", t.warnings);
    assert_eq!(kinds(&t), [Kind::TlbFlush { pages: 3, reason: 1 }]);
    assert_eq!(t.events[0].line, 5);
    // The same cut line as the last of a file without a final newline.
    let t = load(b"# tracer: nop\n       a-1    [000]");
    assert_eq!((t.events.len(), t.warning_count), (0, 1), "{:?}", t.warnings);
    // An empty `[]` (in a task name) is no CPU column, even after a `-pid`.
    let t = load(b"# tracer: nop\n       b-1 [] [002] d..2.   1.0: tlb_flush: pages:1 reason:remote shootdown (1)\n");
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(t.events.iter().map(|e| e.cpu).collect::<Vec<_>>(), [2]);
    // Nor is a `[2]` with text glued after it.
    let t = load(b"# tracer: nop\n       a-1 [2]x [003] d..2.   1.0: tlb_flush: pages:1 reason:remote shootdown (1)\n");
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(t.events.iter().map(|e| e.cpu).collect::<Vec<_>>(), [3]);
    // A word in the flags column that is no flags (irqs-off, need-resched, ... are letters,
    // digits and dots) makes no record.
    let t = load(b"# tracer: nop\n       a-1    [000] <junk>   1.0: tlb_flush: pages:1 reason:remote shootdown (1)\n");
    assert_eq!((t.events.len(), t.warning_count), (0, 1), "{:?}", t.warnings);
    // Nor is a `[3]` glued to the text before it.
    let t = load(b"# tracer: nop\n       b-1[3] [002] d..2.   1.0: tlb_flush: pages:1 reason:remote shootdown (1)\n");
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(t.events.iter().map(|e| e.cpu).collect::<Vec<_>>(), [2]);
}

/// function_graph lines without funcgraph-abstime, then lines with it (two captures
/// pasted together): the file's clock is the first line's (synthetic ticks), and a line
/// with a real time is skipped with a located warning, not mixed into one time line.
/// (The other way round, an untimed line takes the latest time: verif_pid prints its
/// task-switch lines so.)
#[test]
fn function_graph_lines_with_and_without_abstime_are_not_mixed() {
    let t = load(
        b"# tracer: function_graph\n\
          \x20 0)               |  /* tlb_flush: pages:2 reason:remote shootdown (1) */\n\
          \x20 100.000003 |   0)   t-98   |               |  /* tlb_flush: pages:1 reason:remote shootdown (1) */\n",
    );
    let skipped: Vec<u32> =
        t.warnings.iter().filter(|w| w.reason.contains("funcgraph-abstime and some not")).map(|w| w.line).collect();
    assert_eq!(skipped, [3], "{:?}", t.warnings);
    assert_eq!(kinds(&t), [Kind::TlbFlush { pages: 2, reason: 1 }]);
}

/// trace-cmd report prints a stack event's header on a line of its own (`<stack trace>`,
/// `<user stack trace>`) before its ` => ` frames: skipped, as the frames are, not warned.
#[test]
fn stack_trace_headers_on_their_own_line_are_skipped() {
    let t = load(
        b"cpus=2\n\
          \x20 bash-1200  [001]   100.000001: tlb_flush: pages:-1 reason:flush on task switch (0)\n\
          <stack trace>\n\
          \x20=> switch_mm_irqs_off\n\
          <user stack trace>\n\
          \x20=> <00007f11a2b3c4d5>\n",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(kinds(&t), [Kind::TlbFlush { pages: -1, reason: 0 }]);
}

/// A function_graph comment is an event when it starts with an event name and a colon
/// (`tlb_flush: ...`); a trace_printk message whose first word only ends in a colon
/// (`cpu-3:`) is a marker.
#[test]
fn a_function_graph_comment_is_an_event_only_under_an_event_name() {
    let t = load(
        b"# tracer: function_graph\n\
          \x20 100.000001 |   0)   t-98   |               |  /* cpu-3: flushing now */\n\
          \x20 100.000002 |   0)   t-98   |               |  /* tlb_flush: pages:1 reason:remote shootdown (1) */\n",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(kinds(&t), [Kind::Marker, Kind::TlbFlush { pages: 1, reason: 1 }]);
}
