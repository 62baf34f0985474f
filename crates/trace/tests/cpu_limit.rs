//! Issue #12: a CPU number from the input must never size anything. Each reader gets the
//! exact hostile line (`[65535]`, `#P:65535`, a 65535 CPU column, `:cpu65535`,
//! `dcpu=65535`): the record is dropped with a located warning and the trace keeps the
//! CPU count of its honest records.

use sdlab_trace::replay::reconstruct;
use sdlab_trace::{parse, Kind, WarningClass, CPU_LIMIT};

fn warned(t: &sdlab_trace::Trace, line: u32, text: &str) -> bool {
    t.warnings.iter().any(|w| w.line == line && w.class == WarningClass::Parse && w.reason.contains(text))
}

#[test]
fn ftrace_cpu_65535_and_header_p_65535_are_refused() {
    let text = "# tracer: nop\n\
                # entries-in-buffer/entries-written: 2/2   #P:65535\n\
                \x20         <idle>-0       [001] d.h1.   100.000100: ipi_entry: (Rescheduling interrupts)\n\
                \x20         <idle>-0       [65535] d.h1.   100.000200: ipi_entry: (Rescheduling interrupts)\n\
                \x20         <idle>-0       [1024] d.h1.   100.000300: ipi_exit: (Rescheduling interrupts)\n\
                CPU:65535 [LOST 3 EVENTS]\n";
    let t = parse(text.as_bytes()).expect("a trace");
    assert_eq!(t.events.len(), 1);
    assert_eq!(t.cpus, 2, "neither #P:65535 nor [65535] makes lanes");
    assert!(warned(&t, 2, "65535 CPUs, above the 1024-CPU limit"), "{:?}", t.warnings);
    assert!(warned(&t, 4, "CPU 65535 is above the 1024-CPU limit"));
    assert!(warned(&t, 5, "CPU 1024 is above"));
    assert!(warned(&t, 6, "CPU 65535 is above"));
    let r = reconstruct(&t);
    assert_eq!(r.per_cpu.len(), 2);
    assert_eq!(r.stats(&t).ipi_matrix.len(), 2);
}

#[test]
fn ftrace_header_at_the_limit_is_kept() {
    let text = "# tracer: nop\n#P:1024\n          <idle>-0       [1023] d.h1.   1.000000: ipi_entry: (x)\n";
    let t = parse(text.as_bytes()).expect("a trace");
    assert_eq!((t.cpus, t.events.len(), t.warning_count), (CPU_LIMIT, 1, 0));
}

#[test]
fn freebsd_cpu_column_65535_is_refused() {
    let text = "index  cpu timestamp        trace\n\
                ------ --- ---------------- ----- \n\
                \x20    2 65535          5000999 ipi_cpu: cpu: 0 ipi: fb\n\
                \x20    1   1          5000900 ipi_all_but_self: ipi: f9\n\
                \x20    0   0          5000400 ipi_selected: cpu: 1 ipi: f3\n";
    let t = parse(text.as_bytes()).expect("a trace");
    assert_eq!((t.events.len(), t.cpus), (2, 2));
    assert!(warned(&t, 3, "CPU 65535 is above"), "{:?}", t.warnings);
    // ipi_all_but_self's targets come from the CPU count: the dropped row does not widen it.
    assert!(t.events.iter().any(|e| e.kind == Kind::IpiSend { targets: 0b01, vector: 0xf9, all_but_self: true }));
}

#[test]
fn ddb_show_ktr_cpu_65535_is_refused() {
    let text = "db> show ktr/V\n\
                3 (0xfffff80003c3d000:cpu65535) 0005000999: ipi_cpu: cpu: 0 ipi: fb\n\
                2 (0xfffff80003b2c000:cpu1) 0005001000: hardclock: ticks 12 (null)\n\
                1 (0xfffff80003d4e000:cpu0) 0005000900: ipi_all_but_self: ipi: f9\n";
    let t = parse(text.as_bytes()).expect("a trace");
    assert_eq!((t.events.len(), t.cpus), (2, 2));
    assert!(warned(&t, 2, "CPU 65535 is above"), "{:?}", t.warnings);
}

#[test]
fn dragonfly_cpu_column_and_ipiq_cpus_65535_are_refused() {
    let text = "TSC frequency is 2893.437 MHz\n\
                index  cpu timestamp        ID                   trace\n\
                \x20000001 65535 7000000000   ipiq_send_norm       func=0xffffffff8060a1c0 arg1=0x0 arg2=0 scpu=0 dcpu=1\n\
                \x20000002 0   7000000005       ipiq_send_norm       func=0xffffffff8060a1c0 arg1=0x0 arg2=0 scpu=0 dcpu=65535\n\
                \x20000003 1   7000000008       ipiq_receive         func=0xffffffff8060a1c0 arg1=0x0 arg2=0 scpu=65535 dcpu=1\n\
                \x20000004 1   7000000009       ipiq_receive         func=0xffffffff8060a1c0 arg1=0x0 arg2=0 scpu=0 dcpu=1\n";
    let t = parse(text.as_bytes()).expect("a trace");
    assert_eq!((t.events.len(), t.cpus), (3, 2));
    assert!(warned(&t, 3, "CPU 65535 is above"), "{:?}", t.warnings);
    // The payload's CPU is not a lane either: the message is kept as a plain event.
    assert!(warned(&t, 4, "ipiq_send_norm message not understood"));
    assert!(warned(&t, 5, "ipiq_receive message not understood"));
    let r = reconstruct(&t);
    assert_eq!(r.per_cpu.len(), 2);
}

#[test]
fn a_hand_made_trace_with_cpu_65535_does_not_make_lanes() {
    let mut t =
        parse(b"# tracer: nop\n          <idle>-0       [001] d.h1.   1.000000: ipi_entry: (x)\n").expect("trace");
    t.events[0].cpu = u16::MAX;
    t.cpus = u16::MAX;
    let r = reconstruct(&t);
    assert!(r.per_cpu.len() <= CPU_LIMIT as usize);
    assert_eq!(r.warning_count, 1);
    let mut out = Vec::new();
    sdlab_trace::export::dragonfly(&t, &mut out).expect("export");
    assert!(out.len() < 1000, "one block, not 65535");
}

#[test]
fn trace_cmd_cpus_65535_is_ignored() {
    let text = "cpus=65535\n          <idle>-0     [001]   100.000100: ipi_entry: (Rescheduling interrupts)\n";
    let t = parse(text.as_bytes()).expect("a trace");
    assert_eq!((t.events.len(), t.cpus), (1, 2));
    assert!(warned(&t, 1, "65535 CPUs, above the 1024-CPU limit"), "{:?}", t.warnings);
}

#[test]
fn dragonfly_ddb_cpu_65535_is_refused() {
    let text = "db> show ktr/v\n\
                cpu65535 7: 9123456790012 ../../kern/lwkt_ipiq.c.600\tipiq_receive\tfrom(0x1,0x2) \n\
                cpu1 6: 9123456790000 ../../kern/lwkt_ipiq.c.601\tipiq_receive\tfrom(0x1,0x2) \n\
                cpu0 5: 9123456789000 ../../kern/lwkt_ipiq.c.602\tipiq_send_norm\tfrom(0x1,0x2) \n";
    let t = parse(text.as_bytes()).expect("a trace");
    assert_eq!((t.format, t.events.len(), t.cpus), (sdlab_trace::Format::DragonFlyKtr, 2, 2));
    assert!(warned(&t, 2, "CPU 65535 is above"), "{:?}", t.warnings);
}
