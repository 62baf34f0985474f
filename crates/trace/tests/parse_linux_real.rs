//! The six real Linux 6.12 captures (shared/traces/linux-6.12-qemu-4cpu) parse without a
//! warning, with one event per non-comment line and the kinds the events name.

use sdlab_trace::{parse, Format, Kind, TimeBase};
use std::path::PathBuf;

const NAMES: [&str; 6] = [
    "madvise-4cpu-4pages",
    "madvise-4cpu-64pages",
    "mprotect-4cpu-4pages",
    "mprotect-4cpu-64pages",
    "munmap-4cpu-4pages",
    "munmap-4cpu-64pages",
];

fn capture(name: &str) -> Option<Vec<u8>> {
    let rel = "shared/traces/linux-6.12-qemu-4cpu";
    [PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..").join(rel), PathBuf::from("/work").join(rel)]
        .iter()
        .find_map(|dir| std::fs::read(dir.join(format!("{name}.trace"))).ok())
}

fn count_lines(text: &str, pred: impl Fn(&str) -> bool) -> usize {
    text.lines().filter(|l| pred(l)).count()
}

#[test]
fn real_captures_parse_cleanly() {
    let mut seen = 0;
    for name in NAMES {
        let Some(bytes) = capture(name) else { continue };
        seen += 1;
        let text = String::from_utf8(bytes.clone()).unwrap();
        let t = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(t.format, Format::LinuxFtrace, "{name}");
        assert_eq!(t.time, TimeBase::Nanos, "{name}");
        assert_eq!(t.warning_count, 0, "{name}: {:?}", &t.warnings[..t.warnings.len().min(5)]);
        assert_eq!(t.cpus, 4, "{name}");
        assert_eq!(t.events.len(), count_lines(&text, |l| !l.starts_with('#')), "{name}");
        let kinds = |f: &dyn Fn(&Kind) -> bool| t.events.iter().filter(|e| f(&e.kind)).count();
        let grep = |s: &str| count_lines(&text, |l| l.contains(s));
        assert_eq!(kinds(&|k| matches!(k, Kind::TlbFlush { .. })), grep(": tlb_flush: "), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::CsdQueue { .. })), grep(": csd_queue_cpu: "), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::CsdEntry { .. })), grep(": csd_function_entry: "), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::CsdExit { .. })), grep(": csd_function_exit: "), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::IpiSend { .. })), grep(": ipi_send_cpu"), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::IrqEntry { .. })), grep("_entry: vector="), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::IrqExit { .. })), grep("_exit: vector="), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::SchedSwitch { .. })), grep(": sched_switch: "), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::Marker)), grep(": tracing_mark_write: "), "{name}");
        assert_eq!(kinds(&|k| matches!(k, Kind::Other { .. })), 0, "{name}");
        assert_eq!(t.events[0].ts, 0, "{name}: rebased");
        assert!(t.events.windows(2).all(|w| w[0].ts <= w[1].ts), "{name}: sorted");
        // Every shootdown's mask on CPU 0 targets the three others.
        assert!(t
            .events
            .iter()
            .any(|e| e.cpu == 0 && e.kind == Kind::IpiSend { targets: 0b1110, vector: 252, all_but_self: false }));
    }
    if seen == 0 {
        eprintln!("real captures not found; skipped");
    }
}
