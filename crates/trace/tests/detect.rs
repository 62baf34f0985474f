//! Format detection at its edges: how far into the input it looks, and which first lines
//! decide outright (research/trace-formats.md, "detection").

use sdlab_trace::{parse, Format};

/// A trace after 3 KB of other text (a mail, a shell session, 50 lines) is still found:
/// detection reads the first 64 KiB (up to 400 lines), not the first kilobyte, and the
/// preamble's lines get one located warning each.
#[test]
fn a_trace_after_three_kilobytes_of_preamble_is_recognised() {
    let mut input = Vec::new();
    for i in 0..50 {
        input.extend_from_slice(
            format!("$ make -C /usr/src/sys/modules/tlbstress all  # step {i:03} of the setup\n").as_bytes(),
        );
    }
    assert!(input.len() > 3000);
    input.extend_from_slice(
        b"\x20      a-1    [000] d..2.   100.000002: tlb_flush: pages:1 reason:remote shootdown (1)\n\
          \x20      a-1    [001] d..2.   100.000003: tlb_flush: pages:2 reason:remote shootdown (1)\n",
    );
    let t = parse(&input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.format, Format::LinuxFtrace);
    assert_eq!(t.events.len(), 2);
    assert_eq!(t.warning_count, 50);
    assert_eq!(t.events[0].line, 51);
}

/// `cpus=N` on the first line is trace-cmd's report header and decides the format, even
/// when the lines after it look more like another format's.
#[test]
fn a_first_line_cpus_n_is_trace_cmd_whatever_follows() {
    let t = parse(b"cpus=2\n     3   2          5000999 ipi_cpu: cpu: 0 ipi: fb\n     2   1          5001000 hardclock: ticks 12 (null)\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.format, Format::TraceCmd);
    assert_eq!(t.cpus, 2);
}
