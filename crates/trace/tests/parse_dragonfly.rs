//! DragonFly ktrdump: per-CPU blocks merged by time, headers repeated every 20 rows, the hex
//! index with its leading space, -s merged dumps, the TSC line, -r deltas in µs and ticks,
//! -x callers, -f file:line, -q without headers, and the §5 pitfalls 2, 3, 4, 6, 7, 10.
//! Every sample holds the same run: 15 IPIs from CPU 0 to CPU 1 (send, hardware IPI,
//! send end; receive on CPU 1), three cpusync rendezvous on CPU 1 and one test event.

use sdlab_trace::{parse, Format, Kind, SendMode, TimeBase, Trace, WarningClass};

const FUNC: u64 = 0xffffffff8060a1c0;
const EVENTS: usize = 15 * 4 + 3 * 2 + 1;

fn load(bytes: &[u8]) -> Trace {
    let t = parse(bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.format, Format::DragonFlyKtr);
    assert_eq!(t.events.len(), EVENTS);
    t
}

/// (cpu, ts, kind) of the first IPI round, in time order.
fn first_round(t: &Trace) -> Vec<(u16, u64, Kind)> {
    t.events.iter().take(6).map(|e| (e.cpu, e.ts, e.kind)).collect()
}

fn expected_round(scale: u64) -> Vec<(u16, u64, Kind)> {
    vec![
        (0, 0, Kind::IpiqSend { mode: SendMode::Normal, dcpu: 1, func: FUNC }),
        (0, 5 * scale, Kind::IpiSend { targets: 0b10, vector: 0, all_but_self: false }),
        (0, 8 * scale, Kind::IpiqSendEnd { dcpu: 1, func: FUNC }),
        (1, 40 * scale, Kind::IpiqReceive { scpu: 0, func: FUNC }),
        (1, 50 * scale, Kind::SyncStart { mask: 0b11 }),
        (1, 60 * scale, Kind::SyncEnd { mask: 0b11 }),
    ]
}

fn check_absolute(t: &Trace, what: &str) {
    assert_eq!(t.warning_count, 0, "{what}: {:?}", t.warnings);
    assert_eq!(t.time, TimeBase::Ticks { hz: Some(2_893_437_000) }, "{what}");
    assert_eq!(t.cpus, 2, "{what}");
    assert_eq!(first_round(t), expected_round(1), "{what}");
    let last = t.events.last().unwrap();
    assert_eq!((last.cpu, last.ts), (1, 20_000), "{what}");
    assert!(matches!(last.kind, Kind::Other { name } if t.names.get(name) == "testlog_test1"), "{what}");
    assert!(t.events.windows(2).all(|w| w[0].ts <= w[1].ts));
}

#[test]
fn per_cpu_blocks_with_repeated_headers_are_merged_by_time() {
    let bytes = include_bytes!("../test_data/dragonfly/default.txt");
    let headers = bytes.split(|&b| b == b'\n').filter(|l| l.starts_with(b"index")).count();
    // `grep -c '^index' default.txt`: the header under the TSC line and three repeats.
    assert_eq!(headers, 4, "the sample repeats its header inside blocks");
    check_absolute(&load(bytes), "default");
}

#[test]
fn quiet_and_all_column_layouts() {
    for (bytes, what) in [
        (&include_bytes!("../test_data/dragonfly/q-default.txt")[..], "-q"),
        (include_bytes!("../test_data/dragonfly/all-columns.txt"), "-x -f"),
        (include_bytes!("../test_data/dragonfly/q-all-columns.txt"), "-q -x -f"),
        (include_bytes!("../test_data/dragonfly/merged-s.txt"), "-s"),
    ] {
        check_absolute(&load(bytes), what);
    }
}

#[test]
fn relative_microseconds_per_cpu_align_cpus_at_their_first_event() {
    let t = load(include_bytes!("../test_data/dragonfly/relative-us.txt"));
    assert_eq!(t.time, TimeBase::Nanos);
    assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
    assert_eq!(t.warnings[0].class, WarningClass::Reconstruct);
    // 5 ticks at 2893.437 MHz print as 0.002 µs.
    let cpu1_first = t.events.iter().find(|e| e.cpu == 1).unwrap();
    assert_eq!(cpu1_first.ts, 0);
    assert!(matches!(cpu1_first.kind, Kind::IpiqReceive { scpu: 0, .. }));
    let cpu0: Vec<u64> = t.events.iter().filter(|e| e.cpu == 0).take(3).map(|e| e.ts).collect();
    assert_eq!(cpu0, [0, 2, 3], "deltas of 5 and 3 ticks print as 0.002 and 0.001");
}

#[test]
fn merged_relative_first_value_is_absolute() {
    let t = load(include_bytes!("../test_data/dragonfly/merged-relative-us.txt"));
    assert_eq!(t.time, TimeBase::Nanos);
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    let got: Vec<(u16, u64)> = t.events.iter().take(4).map(|e| (e.cpu, e.ts)).collect();
    // 0, 5, 8 and 40 ticks, as printed in µs with three decimals and summed.
    assert_eq!(got, [(0, 0), (0, 2), (0, 3), (1, 14)]);
}

#[test]
fn relative_ticks_with_raw_caller_pointers() {
    let t = load(include_bytes!("../test_data/dragonfly/relative-ticks-n.txt"));
    assert_eq!(t.time, TimeBase::Ticks { hz: Some(2_893_437_000) });
    assert_eq!(t.warning_count, 1, "the per-CPU alignment notice: {:?}", t.warnings);
    let cpu0: Vec<u64> = t.events.iter().filter(|e| e.cpu == 0).take(3).map(|e| e.ts).collect();
    assert_eq!(cpu0, [0, 5, 8]);
}

#[test]
fn without_cpu_column_blocks_become_cpus() {
    let t = load(include_bytes!("../test_data/dragonfly/no-cpu.txt"));
    assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
    assert_eq!(first_round(&t), expected_round(1));
}

#[test]
fn unknown_frequency() {
    let t = load(include_bytes!("../test_data/dragonfly/no-freq.txt"));
    assert_eq!(t.time, TimeBase::Ticks { hz: None });
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
}

#[test]
fn bad_rows_are_warnings() {
    let mut text = include_bytes!("../test_data/dragonfly/default.txt").to_vec();
    text.extend_from_slice(b" 000200 1   7000030000       ipiq_receive         func=zzz scpu=0 dcpu=1\n");
    text.extend_from_slice(
        b" 000201 1   7000030001       ipiq_cpu_send        func=0x1 arg1=0x0 arg2=0 scpu=1 dcpu=70\n",
    );
    text.extend_from_slice(b"garbage\n");
    // A self-receive (cpusync requeue) is normal, not an error.
    text.extend_from_slice(
        b" 000202 1   7000030002       ipiq_receive         func=0x1 arg1=0x0 arg2=0 scpu=1 dcpu=1\n",
    );
    let t = parse(&text).unwrap();
    assert_eq!(t.warning_count, 3, "{:?}", t.warnings);
    let classes: Vec<WarningClass> = t.warnings.iter().map(|w| w.class).collect();
    assert_eq!(classes, [WarningClass::Parse, WarningClass::Parse, WarningClass::Tokenize]);
    assert_eq!(t.events.len(), EVENTS + 3);
    let last = t.events.last().unwrap();
    assert_eq!((last.cpu, last.kind), (1, Kind::IpiqReceive { scpu: 1, func: 1 }));
}

/// `-q` sample `q-default.txt` (`-c -t -i -p`) with one column cut out, as ktrdump prints
/// it without that flag: `" %06x "`, `"%-3d "`, `"%-16ju "`, `"%-20s "`, then the data.
fn quiet_without(column: &str) -> Vec<u8> {
    let text = std::str::from_utf8(include_bytes!("../test_data/dragonfly/q-default.txt")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("TSC") {
            out.push_str(line);
        } else {
            let (index, rest) = line.split_at(8);
            let (cpu, rest) = rest.split_at(4);
            let (ts, rest) = rest.split_at(17);
            let (id, data) = rest.split_at(21.min(rest.len()));
            out.push_str(index);
            for (name, col) in [("cpu", cpu), ("ts", ts), ("id", id), ("data", data)] {
                if name != column {
                    out.push_str(col);
                }
            }
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// The quiet layouts of `ktrdump -q` without one of its default columns are told from
/// each other with no header: without `-t` times are row positions (one warning, and the
/// receives, which CPU 1's block lists from position 0, come before their sends); without
/// `-c` each block is a CPU; without `-p` a row ends in the ID's padding, which is an ID
/// and not a one-word message (it was read as a message before).
#[test]
fn quiet_layouts_without_a_timestamp_a_cpu_or_the_trace_data() {
    let t = load(&quiet_without("ts"));
    assert_eq!(t.warnings[0].line, 2);
    assert!(t.warnings[0].reason.contains("no timestamp column"), "{:?}", t.warnings);
    assert_eq!(t.warning_count, 1);
    let cpu0: Vec<(u64, Kind)> = t.events.iter().filter(|e| e.cpu == 0).take(3).map(|e| (e.ts, e.kind)).collect();
    let want: Vec<(u64, Kind)> = expected_round(1)[..3].iter().zip(0..).map(|(&(_, _, k), i)| (i, k)).collect();
    assert_eq!(cpu0, want);

    let t = load(&quiet_without("cpu"));
    assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
    assert!(t.warnings[0].reason.contains("no CPU column"));
    assert_eq!(first_round(&t), expected_round(1));

    let t = load(&quiet_without("data"));
    assert_eq!(t.warning_count, 1, "{:?}", t.warnings);
    assert!(t.warnings[0].reason.contains("no trace data column"), "{:?}", t.warnings);
    let names: Vec<&str> = t.events[..3]
        .iter()
        .map(|e| match e.kind {
            Kind::Other { name } => t.names.get(name),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(names, ["ipiq_send_norm", "ipiq_cpu_send", "ipiq_send_end"]);
}

/// `-r -A f` subtracts f µs from every delta, so a delta can print negative (`%13.3f`):
/// the time steps back by it. Here CPU 0's third delta, 0.001 µs, becomes -0.001.
#[test]
fn a_negative_relative_delta_steps_back() {
    let text = std::str::from_utf8(include_bytes!("../test_data/dragonfly/relative-us.txt")).unwrap();
    let text = text.replacen(" 00fff2 0           0.001 uS", " 00fff2 0          -0.001 uS", 1);
    let t = load(text.as_bytes());
    let mut cpu0: Vec<(u64, Kind)> = t.events.iter().filter(|e| e.cpu == 0).take(3).map(|e| (e.ts, e.kind)).collect();
    cpu0.sort_by_key(|&(ts, _)| ts);
    assert_eq!(cpu0.iter().map(|&(ts, _)| ts).collect::<Vec<_>>(), [0, 1, 2], "0, +0.002, -0.001 µs");
    assert!(matches!(cpu0[1].1, Kind::IpiqSendEnd { .. }), "{cpu0:?}");
}

/// `q-all-columns.txt` (`-q -c -t -x -i -f -p`) with the columns of layout `bits` kept
/// (bit 0 cpu, 1 timestamp, 2 callers, 3 ID, 4 file, 5 trace data), printed again as
/// ktrdump prints them (`" %06x "`, `"%-3d "`, `"%-16ju "`, `"%-25s %-25s "` where a
/// longer symbol pushes the rest right, `"%-20s "`, `"%34s:%-4d "`, then the data),
/// with the header ktrdump prints for it or without (`-q`).
fn layout_sample(bits: u8, header: bool) -> Vec<u8> {
    const HEADS: [&str; 6] = [
        "cpu ",
        "timestamp        ",
        "caller2              caller1             ",
        "ID                   ",
        "          file and line                  ",
        "trace",
    ];
    let text = std::str::from_utf8(include_bytes!("../test_data/dragonfly/q-all-columns.txt")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("TSC") {
            out.push_str(line);
            out.push('\n');
            if header {
                out.push_str("index  ");
                for (k, h) in HEADS.iter().enumerate() {
                    if bits >> k & 1 == 1 {
                        out.push_str(h);
                    }
                }
                out.push('\n');
            }
            continue;
        }
        // index cpu timestamp caller2 caller1 ID file:line, then the data.
        let mut words = line.split_whitespace();
        let mut w = || words.next().unwrap_or_default();
        let (index, cpu, ts, c2, c1, id, file) = (w(), w(), w(), w(), w(), w(), w());
        let data = line[line.find(file).unwrap() + file.len()..].trim_start();
        let (path, fline) = file.rsplit_once(':').unwrap();
        let columns = [
            format!("{cpu:<3} "),
            format!("{ts:<16} "),
            format!("{c2:<25} {c1:<25} "),
            format!("{id:<20} "),
            format!("{path:>34}:{fline:<4} "),
            data.to_string(),
        ];
        out.push_str(&format!(" {index} "));
        for (k, c) in columns.iter().enumerate() {
            if bits >> k & 1 == 1 {
                out.push_str(c);
            }
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// Every layout ktrdump can print with the event's ID or its data (`-i` or `-p`, with any
/// of -c -t -x -f) is read without its header (`-q`) as with it: the same events on the
/// same CPUs at the same times, and the same warnings. The layout is inferred from the
/// rows alone, so no two layouts may both fit one sample. (Without `-i` and `-p` a row
/// names no event at all, and its one column reads as well as a one-word message.)
#[test]
fn every_quiet_layout_reads_as_its_headed_twin() {
    let mut differ = Vec::new();
    for bits in (1..64u8).filter(|b| b & 0b10_1000 != 0) {
        let headed = parse(&layout_sample(bits, true)).unwrap_or_else(|e| panic!("{bits:06b} headed: {e}"));
        let quiet = match parse(&layout_sample(bits, false)) {
            Ok(t) => t,
            Err(e) => {
                differ.push(format!("{bits:06b}: {e}"));
                continue;
            }
        };
        let events = |t: &Trace| t.events.iter().map(|e| (e.cpu, e.ts, e.kind)).collect::<Vec<_>>();
        let reasons = |t: &Trace| t.warnings.iter().map(|w| w.reason.clone()).collect::<Vec<_>>();
        assert_eq!(headed.events.len(), EVENTS, "{bits:06b}");
        if events(&headed) != events(&quiet) || reasons(&headed) != reasons(&quiet) {
            differ.push(format!("{bits:06b}: {:?} / {:?}", reasons(&headed), reasons(&quiet)));
        }
    }
    assert!(differ.is_empty(), "layouts read differently without their header:\n{}", differ.join("\n"));
}
