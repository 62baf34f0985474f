//! Properties over whole inputs: chunking never changes the result, and no input makes
//! the reader panic (garbage and binary data get a `ReadError` or warnings).

use sdlab_trace::{parse, Reader, Trace};

const SAMPLES: &[&[u8]] = &[
    include_bytes!("../test_data/linux/tgid-5flag.trace"),
    include_bytes!("../test_data/linux/old-4flag.trace"),
    include_bytes!("../test_data/linux/trace-cmd-v3.report"),
    include_bytes!("../test_data/linux/latency.trace"),
    include_bytes!("../test_data/linux/stack-and-lost.trace"),
    include_bytes!("../test_data/linux/mail-junk.txt"),
    include_bytes!("../test_data/freebsd/cftH.txt"),
    include_bytes!("../test_data/freebsd/q-ct.txt"),
    include_bytes!("../test_data/freebsd/ctr.txt"),
    include_bytes!("../test_data/dragonfly/all-columns.txt"),
    include_bytes!("../test_data/dragonfly/q-default.txt"),
    include_bytes!("../test_data/dragonfly/merged-relative-us.txt"),
];

/// Deterministic pseudo-random numbers (no rand crate, same run everywhere).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn real_capture() -> Option<Vec<u8>> {
    let rel = "shared/traces/linux-6.12-qemu-4cpu/munmap-4cpu-4pages.trace";
    [
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..").join(rel),
        std::path::Path::new("/work").join(rel),
    ]
    .iter()
    .find_map(|p| std::fs::read(p).ok())
}

fn same(a: &Trace, b: &Trace) {
    assert_eq!(a.format, b.format);
    assert_eq!(a.time, b.time);
    assert_eq!(a.events, b.events);
    assert_eq!(a.cpus, b.cpus);
    assert_eq!(a.names.len(), b.names.len());
    for i in 0..a.names.len() as u32 {
        assert_eq!(a.names.get(i), b.names.get(i));
    }
    assert_eq!(a.warnings, b.warnings);
    assert_eq!(a.warning_count, b.warning_count);
    assert_eq!(a.lines, b.lines);
    assert_eq!(a.bytes, b.bytes);
}

fn chunked(bytes: &[u8], rng: &mut Lcg, max: u64) -> Result<Trace, sdlab_trace::ReadError> {
    let mut r = Reader::new();
    let mut at = 0;
    while at < bytes.len() {
        let n = (1 + rng.below(max) as usize).min(bytes.len() - at);
        r.feed(&bytes[at..at + n]);
        at += n;
    }
    assert_eq!(r.bytes_fed(), bytes.len() as u64);
    r.finish()
}

pub fn check_chunking(bytes: &[u8], seed: u64, rounds: usize) {
    let whole = parse(bytes);
    let mut rng = Lcg(seed);
    for round in 0..rounds {
        let max = [1, 7, 100, 5000, 70_000][round % 5];
        let got = chunked(bytes, &mut rng, max);
        match (&whole, &got) {
            (Ok(a), Ok(b)) => same(a, b),
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("chunking changed success: {:?} vs {:?}", whole.is_ok(), got.is_ok()),
        }
    }
}

#[test]
fn random_chunk_sizes_give_the_same_trace() {
    for (i, s) in SAMPLES.iter().enumerate() {
        check_chunking(s, i as u64 + 1, 10);
    }
    if let Some(real) = real_capture() {
        check_chunking(&real, 99, 5);
    }
}

#[test]
fn empty_and_binary_inputs_are_errors() {
    let e = parse(b"").unwrap_err();
    assert!(e.reason.contains("empty"), "{e}");
    let e = parse(b"\n\n  \n").unwrap_err();
    assert!(e.reason.contains("no text lines"), "{e}");
    let e = parse(b"\x7fELF\x02\x01\x01\0\0\0").unwrap_err();
    assert!(e.reason.contains("NUL"), "{e}");
    let e = parse(b"abc\n\xff\xfe\x80 more\n").unwrap_err();
    assert!(e.reason.contains("UTF-8") && e.line == 2, "{e}");
    let e = parse(b"hello world\nthis is a letter, not a trace\n").unwrap_err();
    assert!(e.reason.contains("none of the first 2 lines"), "{e}");
    // A UTF-8 character cut by the 1 KiB binary window is not binary.
    let mut text = vec![b'#'; 1023];
    text.extend_from_slice("é\n  x-1 [000] .... 1.0: print: hi\n".as_bytes());
    assert_eq!(parse(&text).unwrap().events.len(), 1);
}

#[test]
fn byte_order_mark_and_crlf_line_ends() {
    let text = b"\xef\xbb\xbf# tracer: nop\r\n#\r\n            sh-1     [000] ....     1.000000: print: hi\r\n";
    let t = parse(text).unwrap();
    assert_eq!(t.warning_count, 0, "{:?}", t.warnings);
    assert_eq!(
        (t.events.len(), t.events[0].line, t.events[0].offset),
        (1, 3, 21),
        "offsets count the mark and the CRs"
    );
}

/// The error a user sees names the line and the reason; a one-line trace without its
/// final newline is read (detection waits for the end of the input, not for a newline);
/// a long but sane line (a 60 KB trace_printk, under the 64 KiB cap) is a record.
#[test]
fn errors_name_their_line_and_short_or_long_lines_still_load() {
    let e = parse(b"hello world\nthis is a letter, not a trace\n").unwrap_err();
    assert_eq!(e.to_string(), format!("line 1: {}", e.reason));
    assert!(e.to_string().starts_with("line 1: none of the first 2 lines"), "{e}");
    let t = parse(b"  x-1 [000] .... 1.0: print: hi").unwrap();
    assert_eq!((t.events.len(), t.warning_count, t.lines), (1, 0, 1));
    let mut text = b"  x-1 [000] .... 1.0: print: ".to_vec();
    text.extend(std::iter::repeat_n(b'z', 60_000));
    text.extend_from_slice(b"\n  x-1 [000] .... 2.0: print: b\n");
    let t = parse(&text).unwrap();
    assert_eq!((t.events.len(), t.warning_count), (2, 0), "{:?}", t.warnings);
}

#[test]
fn overlong_lines_are_skipped_with_a_warning() {
    let mut text = b"  x-1 [000] .... 1.0: print: a\n".to_vec();
    text.extend(std::iter::repeat_n(b'z', 70_000));
    text.extend_from_slice(b"\n  x-1 [000] .... 2.0: print: b\n");
    text.extend(std::iter::repeat_n(b'z', 70_000));
    for t in [parse(&text).unwrap(), chunked(&text, &mut Lcg(5), 3000).unwrap()] {
        assert_eq!(t.events.len(), 2);
        assert_eq!(t.warning_count, 2);
        assert_eq!((t.warnings[0].line, t.warnings[0].offset), (2, 31));
        assert!(t.warnings[0].reason.contains("70000 bytes"));
        assert_eq!(t.warnings[1].line, 4);
        assert_eq!(t.lines, 4);
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let mut inputs: Vec<Vec<u8>> = SAMPLES.iter().map(|s| s.to_vec()).collect();
    if let Some(real) = real_capture() {
        inputs.push(real[..real.len().min(40_000)].to_vec());
    }
    let seed = std::env::var("SDLAB_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let mut rng = Lcg(seed);
    let alphabet = b" \t\n\r:[]().,-=>#0123456789abcdefxCPU\0\xff";
    // SDLAB_FUZZ_ROUNDS=5000 SDLAB_FUZZ_SEED=n for a longer local shake-out.
    let rounds = std::env::var("SDLAB_FUZZ_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    for base in &inputs {
        for _ in 0..rounds {
            let mut m = base.clone();
            for _ in 0..1 + rng.below(20) {
                if m.is_empty() {
                    break;
                }
                let at = rng.below(m.len() as u64) as usize;
                match rng.below(4) {
                    0 => m[at] = alphabet[rng.below(alphabet.len() as u64) as usize],
                    1 => {
                        m.remove(at);
                    }
                    2 => m.insert(at, alphabet[rng.below(alphabet.len() as u64) as usize]),
                    _ => {
                        let len = rng.below(64) as usize;
                        let end = (at + len).min(m.len());
                        let piece = m[at..end].to_vec();
                        let to = rng.below(m.len() as u64) as usize;
                        m.splice(to..to, piece);
                    }
                }
            }
            if let Ok(t) = parse(&m) {
                assert!(t.events.windows(2).all(|w| w[0].ts <= w[1].ts));
                assert!(t.warnings.len() as u64 <= t.warning_count);
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Lcg(11);
    for len in [1usize, 2, 10, 100, 1000, 70_000] {
        for _ in 0..5 {
            let v: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = parse(&v);
            let printable: Vec<u8> = v.iter().map(|b| b" [].:0123456789\nabc-=#"[*b as usize % 22]).collect();
            let _ = parse(&printable);
        }
    }
}

/// The six real Linux 6.12 captures one after another: several megabytes, so a size hint
/// takes effect (the event list is sized after the first megabyte).
fn six_captures() -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../traces/linux-6.12-qemu-4cpu");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "trace"))
        .collect();
    names.sort();
    names.iter().flat_map(|p| std::fs::read(p).unwrap()).collect()
}

fn read_with_hint(bytes: &[u8], hint: Option<u64>) -> Trace {
    let mut r = Reader::new();
    if let Some(h) = hint {
        r.expect_bytes(h);
    }
    for chunk in bytes.chunks(256 << 10) {
        r.feed(chunk);
    }
    r.finish().unwrap()
}

#[test]
fn a_size_hint_right_wrong_or_absurd_never_changes_the_trace_and_a_right_one_spares_the_doubling() {
    let bytes = six_captures();
    assert!(bytes.len() > 4 << 20, "{} bytes", bytes.len());
    let plain = read_with_hint(&bytes, None);
    let n = plain.events.len();
    // Grown by doubling, the list ends with room for far more than it holds; this is what
    // the hint is for, and what makes the last assertion able to fail.
    assert!(plain.events.capacity() > n + n / 4, "{} events, room for {}", n, plain.events.capacity());
    let len = bytes.len() as u64;
    for hint in [0, 1, len / 3, len, len * 10, u64::MAX] {
        same(&plain, &read_with_hint(&bytes, Some(hint)));
    }
    let sized = read_with_hint(&bytes, Some(len));
    assert!((n..=n + n / 4).contains(&sized.events.capacity()), "{} events, room for {}", n, sized.events.capacity());
}
