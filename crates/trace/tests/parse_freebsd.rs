//! FreeBSD ktrdump: every column combination of -c -t -f -H -q -r, newest-first order with
//! the ring slot wrapping, oldest-first (-i) dumps, and the §5 pitfalls 1, 4, 5, 6, 7, 8, 11.
//! The samples in test_data/freebsd hold the same seven records in each layout.

use sdlab_trace::{parse, Format, Kind, TimeBase, Trace, WarningClass};

/// Slots of the sample rows in the order a live (newest-first) dump prints them.
const NEWEST_FIRST: [u64; 7] = [3, 2, 1, 0, 1023, 1022, 1021];

fn load(bytes: &[u8]) -> Trace {
    let t = parse(bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.format, Format::FreeBsdKtr);
    assert_eq!(t.time, TimeBase::Ticks { hz: None });
    t
}

/// (slot, cpu, ts) of each event, the slot found again from the event's line.
fn rows(t: &Trace, header_lines: u32, file_order: &[u64]) -> Vec<(u64, u16, u64)> {
    t.events.iter().map(|e| (file_order[(e.line - header_lines - 1) as usize], e.cpu, e.ts)).collect()
}

fn name(t: &Trace, k: Kind) -> String {
    match k {
        Kind::Other { name } => t.names.get(name).to_owned(),
        k => format!("{k:?}"),
    }
}

fn send(target: u16, vector: u16) -> Kind {
    Kind::IpiSend { targets: 1 << target, vector, all_but_self: false }
}

/// The kinds in time order when the CPU column is there.
fn check_kinds(t: &Trace, with_cpu: bool) {
    let k: Vec<Kind> = t.events.iter().map(|e| e.kind).collect();
    assert_eq!(k[0], send(2, 0xf4));
    assert_eq!(k[1], send(3, 0xf4));
    assert_eq!(name(t, k[2]), "KTRGRAPH");
    assert_eq!(k[3], send(1, 0));
    let all_but_3 = if with_cpu { 0b0111 } else { 0 };
    assert_eq!(k[4], Kind::IpiSend { targets: all_but_3, vector: 0xf9, all_but_self: true });
}

const TIMED: [(u64, u16, u64); 7] =
    [(1021, 0, 0), (1022, 0, 0), (1023, 1, 150), (0, 2, 300), (1, 3, 800), (3, 2, 899), (2, 1, 900)];

#[test]
fn header_cpu_and_time_newest_first_with_slot_wrap_and_cross_cpu_skew() {
    let t = load(include_bytes!("../test_data/freebsd/ct.txt"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    // Sorted by time; the tie at 0 keeps ring order (slot 1021 was written before 1022),
    // and slot 3 precedes slot 2 because its CPU's counter reads earlier.
    assert_eq!(rows(&t, 2, &NEWEST_FIRST), TIMED);
    assert_eq!(t.cpus, 4);
    check_kinds(&t, true);
    assert_eq!(t.events[5].kind, send(0, 0xfb));
    assert_eq!(name(&t, t.events[6].kind), "hardclock");
}

#[test]
fn quiet_dumps_infer_the_columns_from_the_rows() {
    for (bytes, what) in [
        (&include_bytes!("../test_data/freebsd/q-ct.txt")[..], "-q -c -t"),
        (include_bytes!("../test_data/freebsd/q-cftH.txt"), "-q -c -t -f -H"),
        (include_bytes!("../test_data/freebsd/cftH.txt"), "-c -t -f -H with header"),
    ] {
        let t = load(bytes);
        assert_eq!(t.warning_count, 0, "{what}: {:?}", t.warnings);
        let hdr = if what.contains("header") { 2 } else { 0 };
        assert_eq!(rows(&t, hdr, &NEWEST_FIRST), TIMED, "{what}");
        check_kinds(&t, true);
    }
}

#[test]
fn file_column_is_not_truncated_and_long_paths_shift_the_message() {
    let t = load(include_bytes!("../test_data/freebsd/cftH.txt"));
    assert_eq!(name(&t, t.events[6].kind), "hardclock");
}

#[test]
fn without_timestamps_time_is_the_order_oldest_first() {
    let t = load(include_bytes!("../test_data/freebsd/q-c.txt"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let got = rows(&t, 0, &NEWEST_FIRST);
    let slots: Vec<u64> = got.iter().map(|r| r.0).collect();
    assert_eq!(slots, [1021, 1022, 1023, 0, 1, 2, 3]);
    assert!(got.iter().enumerate().all(|(i, r)| r.2 == i as u64));
    check_kinds(&t, true);
}

#[test]
fn without_cpu_column_events_go_to_cpu_0_with_one_warning() {
    for (bytes, timed) in [
        (&include_bytes!("../test_data/freebsd/q-t.txt")[..], true),
        (include_bytes!("../test_data/freebsd/q-f.txt"), false),
        (include_bytes!("../test_data/freebsd/q-H.txt"), false),
        (include_bytes!("../test_data/freebsd/q.txt"), false),
    ] {
        let t = load(bytes);
        assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
        assert_eq!(t.warnings[0].class, WarningClass::Parse);
        assert!(t.warnings[0].reason.contains("CPU 0"));
        assert!(t.events.iter().all(|e| e.cpu == 0));
        assert_eq!(t.cpus, 1);
        let slots: Vec<u64> = rows(&t, 0, &NEWEST_FIRST).iter().map(|r| r.0).collect();
        if timed {
            assert_eq!(slots, [1021, 1022, 1023, 0, 1, 3, 2]);
        } else {
            assert_eq!(slots, [1021, 1022, 1023, 0, 1, 2, 3]);
        }
        check_kinds(&t, false);
    }
}

#[test]
fn relative_deltas_run_backwards_and_huge_values_are_negative() {
    let t = load(include_bytes!("../test_data/freebsd/ctr.txt"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(rows(&t, 2, &NEWEST_FIRST), TIMED);
}

#[test]
fn oldest_first_dump_from_an_alq_file() {
    let t = load(include_bytes!("../test_data/freebsd/ct-oldest-first.txt"));
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let got: Vec<(u32, u64)> = t.events.iter().map(|e| (e.line, e.ts)).collect();
    assert_eq!(got, [(3, 0), (4, 0), (5, 150), (6, 300), (7, 800), (9, 899), (8, 900)]);
    check_kinds(&t, true);
}

#[test]
fn make_ktr_tab_index_and_relative_deltas_read_forward() {
    // `cat -n` numbering with a TAB; schedgraph.d's `cpu timestamp` pairs, descending.
    let text = b"     1\t1 9000 KTRGRAPH group:\"thread\", id:\"a\", point:\"wokeup\", attributes: none\n     2\t0 8000 KTRGRAPH group:\"thread\", id:\"b\", state:\"running\", attributes: none\n";
    let t = load(text);
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let got: Vec<(u32, u16, u64)> = t.events.iter().map(|e| (e.line, e.cpu, e.ts)).collect();
    assert_eq!(got, [(2, 0, 0), (1, 1, 1000)]);
}

#[test]
fn junk_rows_are_located_warnings() {
    let mut text = include_bytes!("../test_data/freebsd/ct.txt").to_vec();
    text.extend_from_slice(b"a continuation line from a message with a newline\n");
    text.extend_from_slice(b"  1020   0          5000000 ipi_selected: cpu: 99 ipi: f4\n");
    text.extend_from_slice(b"  1019   0          4999999 ipi_selected: cpu: x\n");
    let t = load(&text);
    let got: Vec<(u32, WarningClass)> = t.warnings.iter().map(|w| (w.line, w.class)).collect();
    assert_eq!(got, [(10, WarningClass::Tokenize), (11, WarningClass::Parse), (12, WarningClass::Parse)]);
    assert_eq!(t.events.len(), 9);
    assert_eq!(name(&t, t.events[0].kind), "ipi_selected");
}

/// FreeBSD 5 to 8 (i386/amd64 mp_machdep.c, before cpuset_t): `ipi_selected` logs one
/// record for the whole mask, `"%s: cpus: %x ipi: %x"`; its targets are the mask's bits.
#[test]
fn an_old_ipi_selected_record_names_its_targets_as_a_hex_mask() {
    let text = b"index cpu timestamp trace\n\
                 ----- --- --------- -----\n\
                 \x20   2   0          5000100 ipi_selected: cpus: e ipi: f5\n\
                 \x20   1   0          5000000 ipi_selected: cpus: zz ipi: f5\n\
                 \x20   0   1          4999000 ipi_selected: cpus: 0x80000001 ipi: f3\n";
    let t = load(text);
    let sends: Vec<(u64, u16)> = t
        .events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::IpiSend { targets, vector, .. } => Some((targets, vector)),
            _ => None,
        })
        .collect();
    assert_eq!(sends, [(0x8000_0001, 0xf3), (0b1110, 0xf5)]);
    let got: Vec<(u32, WarningClass)> = t.warnings.iter().map(|w| (w.line, w.class)).collect();
    assert_eq!(got, [(4, WarningClass::Parse)], "the mask that is not hex is a located warning");
    assert_eq!(t.events.len(), 3, "and its line is kept as a plain event");
}

#[test]
fn ddb_show_ktr_with_and_without_verbose_columns() {
    for (bytes, what) in [
        (&include_bytes!("../test_data/freebsd/ddb-v.txt")[..], "/v"),
        (include_bytes!("../test_data/freebsd/ddb-V.txt"), "/V"),
    ] {
        let t = load(bytes);
        assert_eq!(t.warning_count, 0, "{what}: {:?}", t.warnings);
        assert_eq!(rows(&t, 1, &NEWEST_FIRST), TIMED, "{what}");
        check_kinds(&t, true);
    }
    // A uniprocessor kernel without /V: neither CPU nor time, so order and CPU 0.
    let t = load(include_bytes!("../test_data/freebsd/ddb-up.txt"));
    assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
    let slots: Vec<u64> = rows(&t, 1, &NEWEST_FIRST).iter().map(|r| r.0).collect();
    assert_eq!(slots, [1021, 1022, 1023, 0, 1, 2, 3]);
}

/// IPIs sent per (sender, receiver), as `trace stats` prints them.
fn matrix(t: &Trace) -> Vec<Vec<u64>> {
    sdlab_trace::replay::reconstruct(t).stats(t).ipi_matrix
}

/// riscv (sys/riscv/riscv/intc.c): `ipi_all_but_self` and `ipi_selected` log, then call
/// `ipi_send` per target, which logs `cpu: N, ipi: X` and `sent`. Those are the sends: one
/// IPI to CPU 1 and one to CPU 2, not three each.
#[test]
fn riscv_ipi_send_records_are_the_sends_and_the_entry_records_are_not_counted_again() {
    let t = load(
        b"\
index  cpu timestamp        trace
------ --- ---------------- -----
   108   0       1000000800 ipi_send: sent
   107   0       1000000700 ipi_send: cpu: 2, ipi: 4
   106   0       1000000600 ipi_selected: pc: 0xffffffc000a0c100, ipi: 4

   105   0       1000000500 ipi_send: sent
   104   0       1000000400 ipi_send: cpu: 1, ipi: 4
   103   0       1000000300 ipi_selected: pc: 0xffffffc000a0c000, ipi: 4

   102   0       1000000200 ipi_selected: ipi: 4
   101   0       1000000100 ipi_all_but_self: ipi: 4
   100   2       1000000000 ktrace: marker
",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let sends: Vec<(u32, u64)> = t
        .events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::IpiSend { targets, vector: 4, .. } => Some((e.line, targets)),
            _ => None,
        })
        .collect();
    assert_eq!(sends, [(8, 0b10), (4, 0b100)]);
    let plain: Vec<String> = t.events.iter().filter(|e| e.line >= 9).map(|e| name(&t, e.kind)).collect();
    assert_eq!(plain, ["ktrace", "ipi_all_but_self", "ipi_selected", "ipi_selected"]);
    assert_eq!(matrix(&t)[0], [0, 1, 1]);
}

/// FreeBSD 5-8 x86 (i386/amd64 mp_machdep.c): `ipi_all` is every CPU, the sender too, and
/// `ipi_self` the sender; both were dropped before.
#[test]
fn old_x86_ipi_all_and_ipi_self_name_their_targets() {
    let t = load(
        b"\
index  cpu timestamp        trace
------ --- ---------------- -----
   103   1       1000000300 ipi_self: ipi: f3
   102   0       1000000200 ipi_all: ipi: f3
   101   0       1000000100 ipi_all_but_self: ipi: f3
   100   2       1000000000 ipi_selected: cpus: 6 ipi: f3
",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let sends: Vec<(u32, u16, u64)> = t
        .events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::IpiSend { targets, vector: 0xf3, .. } => Some((e.line, e.cpu, targets)),
            _ => None,
        })
        .collect();
    assert_eq!(sends, [(6, 2, 0b110), (5, 0, 0b110), (4, 0, 0b111), (3, 1, 0b10)]);
    assert_eq!(matrix(&t), [vec![1, 2, 2], vec![0, 1, 0], vec![0, 1, 1]]);
}

/// powerpc (sys/powerpc/powerpc/mp_machdep.c): `ipi_send: pc=%p, targetcpu=%d, IPI=%d`
/// (decimal), then `ipi_send: sent`. The targets make the trace 4 CPUs wide though only
/// CPU 0 logged.
#[test]
fn powerpc_ipi_send_names_targetcpu_and_a_decimal_ipi() {
    let t = load(
        b"\
index  cpu timestamp        trace
------ --- ---------------- -----
   103   0       1000000300 ipi_send: sent
   102   0       1000000200 ipi_send: pc=0xc000000001a2b300, targetcpu=3, IPI=10
   101   0       1000000100 ipi_send: sent
   100   0       1000000000 ipi_send: pc=0xc000000001a2b000, targetcpu=1, IPI=2
",
    );
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let sends: Vec<(u32, Kind)> =
        t.events.iter().filter(|e| matches!(e.kind, Kind::IpiSend { .. })).map(|e| (e.line, e.kind)).collect();
    assert_eq!(sends, [(6, send(1, 2)), (4, send(3, 10))]);
    assert_eq!(t.cpus, 4);
    assert_eq!(matrix(&t)[0], [0, 1, 0, 1]);
}

/// amd64 kernels run up to 1 024 CPUs (MAXCPU): an IPI to CPU 64 or later stays an IPI,
/// with no target in the 64-bit mask, and one located warning says so.
#[test]
fn an_ipi_to_a_cpu_past_63_is_kept_with_a_warning() {
    let t = load(
        b"     1   2          5000999 ipi_cpu: cpu: 70 ipi: fb\n     0   2          5000400 ipi_cpu: cpu: 3 ipi: fb\n",
    );
    assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
    assert_eq!(t.warnings[0].line, 1);
    assert!(t.warnings[0].reason.contains("beyond CPU 63"), "{:?}", t.warnings);
    let kinds: Vec<Kind> = t.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [send(3, 0xfb), Kind::IpiSend { targets: 0, vector: 0xfb, all_but_self: false }]);
}
