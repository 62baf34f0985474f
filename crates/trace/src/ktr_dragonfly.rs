//! DragonFly `ktrdump` output (research/trace-formats.md §2.2): a `TSC frequency is … MHz`
//! line, then rows ` %06x ` (hex logical index, leading space) with, as the flags asked,
//! `%-3d` CPU, `%-16ju` TSC or `%13.3f uS` / `%-16ju` deltas (`-r`), two callers (`-x`),
//! `%-20s` ID (`-i`), `%34s:%-4d` file:line (`-f`) and the message (`-p`). Headers repeat
//! every 20 rows.
//!
//! Without `-s` each CPU's ring is printed as one block, oldest first; with `-s` the rows
//! are merged (and ktrdump silently stops at the first backwards timestamp, which is why
//! the per-CPU form is the better input). Either way the rows are merged here by time: the
//! stable sort keeps each block's order for equal times. Whether the dump was merged is
//! read from the index: a merged dump's index runs on across CPU changes, a block's
//! restarts. That matters for `-r`, whose deltas are per CPU in blocks but global with `-s`.
//!
//! Without a header (`-q`) the columns are inferred as for FreeBSD: each combination is
//! tried on the sample rows with the printf column positions enforced.
//!
//! An idle CPU (its `ktr_idx` still 0) prints one `<empty>` row at timestamp 0: ktrdump.c's
//! load_bufs starts the walk at `end_idx - 1` when earliest_ts finds no non-zero stamp, and
//! print_entry prints `<empty>` for the NULL `ktr_info`. Such a row is no event; kept, it
//! would stretch the trace back to the TSC's zero and, first in a `-s` dump, make absolute
//! stamps look like deltas. It only tells that the CPU exists.
//!
//! ddb's `show ktr` (db_ktr_all / db_mach_vtrace in sys/kern/kern_ktr.c) is read too:
//! `cpu%d %d: ` then, with `/v`, `%10.10lld %s.%d\t` (timestamp, file.line), then the
//! name, a tab and `from(%p,%p) `; only i386 kernels print the arguments. The listing is
//! merged across CPUs, newest first.

use crate::event::{cpu_limit_reason, cpu_number, Kind, SendMode, TimeBase, WarningClass};
use crate::lines::{column, field, find, parse_hex, parse_i64, parse_u64, skip_spaces, token_end, trim, Align, Loc};
use crate::reader::{Finished, Sink};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Layout {
    cpu: bool,
    ts: bool,
    callers: bool,
    id: bool,
    file: bool,
    msg: bool,
}

impl Layout {
    fn all() -> impl Iterator<Item = Layout> {
        (0..64u8).map(|b| Layout {
            cpu: b & 1 != 0,
            ts: b & 2 != 0,
            callers: b & 4 != 0,
            id: b & 8 != 0,
            file: b & 16 != 0,
            msg: b & 32 != 0,
        })
    }

    fn columns(self) -> u32 {
        [self.cpu, self.ts, self.callers, self.id, self.file, self.msg].iter().filter(|&&b| b).count() as u32
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stamp {
    None,
    Ticks(u64),
    /// `-r` with a known frequency: µs with 3 decimals, kept as signed ns (`-A` can make
    /// deltas negative).
    Nanos(i64),
}

#[derive(Clone, Copy, Debug)]
struct Row {
    index: u32,
    cpu: Option<u16>,
    stamp: Stamp,
    kind: Kind,
    loc: Loc,
}

#[derive(Debug)]
pub(crate) struct DragonFly {
    layout: Layout,
    /// The input is ddb's `show ktr`, not ktrdump.
    ddb: bool,
    hz: Option<u64>,
    rows: Vec<Row>,
    /// One more than the highest CPU seen only in an `<empty>` row.
    idle_cpus: u16,
    /// The first ddb row whose arguments were not printed (x86_64).
    bare: Option<Loc>,
}

struct Fields<'a> {
    index: u32,
    cpu: Option<u64>,
    stamp: Stamp,
    id: Option<&'a [u8]>,
    msg: &'a [u8],
}

fn is_ident(tok: &[u8]) -> bool {
    tok == b"<empty>"
        || (tok.first().is_some_and(u8::is_ascii_alphabetic)
            && tok.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_'))
}

fn is_caller(tok: &[u8]) -> bool {
    (tok.starts_with(b"0x") && parse_hex(tok).is_some())
        || tok.iter().rposition(|&b| b == b'+').is_some_and(|p| p > 0 && parse_u64(&tok[p + 1..]).is_some())
}

/// `%13.3f` → ns.
fn parse_micros(tok: &[u8]) -> Option<i64> {
    let (neg, t) = match tok.strip_prefix(b"-") {
        Some(t) => (true, t),
        None => (false, tok),
    };
    let dot = t.iter().position(|&b| b == b'.')?;
    let frac = &t[dot + 1..];
    if frac.len() != 3 {
        return None;
    }
    let v = i64::try_from(parse_u64(&t[..dot])?).ok()?.checked_mul(1000)?.checked_add(parse_u64(frac)? as i64)?;
    Some(if neg { -v } else { v })
}

fn split(line: &[u8], lay: Layout, strict: bool) -> Option<Fields<'_>> {
    if line.first() != Some(&b' ') {
        return None;
    }
    let (idx, mut pos) = column(line, 1, Align::Left(6), strict)?;
    if idx.len() > 6 {
        return None;
    }
    let index = parse_hex(idx)? as u32;
    let mut f = Fields { index, cpu: None, stamp: Stamp::None, id: None, msg: b"" };
    if lay.cpu {
        let (c, p) = column(line, pos, Align::Left(3), strict)?;
        f.cpu = Some(parse_u64(c).filter(|&c| c <= u16::MAX as u64)?);
        pos = p;
    }
    if lay.ts {
        // Either `%-16ju ` or `%13.3f uS `.
        if let Some((t, p)) = column(line, pos, Align::Left(16), strict) {
            if let Some(v) = parse_u64(t) {
                f.stamp = Stamp::Ticks(v);
                pos = p;
            }
        }
        if f.stamp == Stamp::None {
            let (t, p) = column(line, pos, Align::Right(13), strict)?;
            let (unit, p) = column(line, p, Align::Free, strict)?;
            if unit != b"uS" {
                return None;
            }
            f.stamp = Stamp::Nanos(parse_micros(t)?);
            pos = p;
        }
    }
    if lay.callers {
        for _ in 0..2 {
            // `%-25s` symbolised, `%p` with -n.
            let (c, p) =
                column(line, pos, Align::Left(25), strict).or_else(|| column(line, pos, Align::Free, strict))?;
            if !is_caller(c) {
                return None;
            }
            pos = p;
        }
    }
    if lay.id {
        let (id, p) = column(line, pos, Align::Left(20), strict)?;
        if !is_ident(id) {
            return None;
        }
        f.id = Some(id);
        pos = p;
    }
    if lay.file {
        // `%34s:%-4d`: the path is cut to its last 34 characters, so the colon is fixed.
        let start = skip_spaces(line, pos);
        let end = token_end(line, start);
        let tok = &line[start..end];
        let colon = tok.iter().rposition(|&b| b == b':')?;
        parse_u64(&tok[colon + 1..])?;
        let padded = (pos + 39).max(end);
        if strict && (start + colon != pos + 34 || line.get(padded).is_some_and(|&b| b != b' ')) {
            return None;
        }
        pos = if strict { padded + 1 } else { end };
    }
    let rest = &line[pos.min(line.len())..];
    if lay.msg {
        if rest.is_empty() || (strict && rest[0] == b' ') {
            return None;
        }
        // `-i` without `-p` ends a row with the ID's `%-20s ` padding, where a message ends
        // in its last character: such a row is an ID column, not a one-word message.
        if strict && !lay.id && rest.last() == Some(&b' ') && is_ident(trim(rest)) {
            return None;
        }
        f.msg = trim(rest);
    } else if !trim(rest).is_empty() {
        return None;
    }
    Some(f)
}

fn header_layout(line: &[u8]) -> Option<Layout> {
    let t = trim(line);
    if !t.starts_with(b"index") {
        return None;
    }
    let known: [&[u8]; 9] = [b"index", b"cpu", b"timestamp", b"caller2", b"caller1", b"ID", b"file", b"and", b"line"];
    let mut lay = Layout::default();
    let mut it = t.split(|&b| b == b' ').filter(|w| !w.is_empty()).peekable();
    while let Some(w) = it.next() {
        match w {
            b"cpu" => lay.cpu = true,
            b"timestamp" => lay.ts = true,
            b"caller2" => lay.callers = true,
            b"ID" => lay.id = true,
            b"file" => lay.file = true,
            b"trace" if it.peek().is_none() => lay.msg = true,
            w if known.contains(&w) => {}
            _ => return None,
        }
    }
    Some(lay)
}

/// ` %06x ` with its single leading space: FreeBSD's `%6d` index never looks like this.
pub(crate) fn looks_like_row(line: &[u8]) -> bool {
    line.len() > 8
        && line[0] == b' '
        && line[1..7].iter().all(u8::is_ascii_hexdigit)
        && line[7] == b' '
        && skip_spaces(line, 8) < line.len()
}

fn infer_layout(sample: &[u8]) -> Layout {
    let layouts: Vec<Layout> = Layout::all().collect();
    let splits = |r: &[u8], lay, strict| split(r, lay, strict).is_some();
    crate::lines::infer_layout(sample, header_layout, looks_like_row, &layouts, Layout::columns, splits)
        // ktrdump's default: -c -i -t -p.
        .unwrap_or(Layout { cpu: true, ts: true, callers: false, id: true, file: false, msg: true })
}

fn num<T: TryFrom<u64>>(msg: &[u8], key: &[u8]) -> Option<T> {
    let v = field(msg, key)?;
    let v = parse_i64(v)?;
    T::try_from(u64::try_from(v).ok()?).ok()
}

fn decode(id: &[u8], msg: &[u8], loc: Loc, sink: &mut Sink) -> Kind {
    let ipiq = || -> Option<(u64, u16, u16)> {
        // CPU numbers past the cap would size the replay's per-CPU lanes.
        let cpu = |key| num::<u64>(msg, key).and_then(cpu_number);
        Some((parse_hex(field(msg, b"func=")?)?, cpu(b"scpu=")?, cpu(b"dcpu=")?))
    };
    let mask = || field(msg, b"cpumask=").and_then(parse_hex);
    let kind = match id {
        b"ipiq_send_norm" | b"ipiq_send_pasv" | b"ipiq_send_nbio" => ipiq().map(|(func, _, dcpu)| {
            let mode = match id {
                b"ipiq_send_norm" => SendMode::Normal,
                b"ipiq_send_pasv" => SendMode::Passive,
                _ => SendMode::NonBlocking,
            };
            Kind::IpiqSend { mode, dcpu, func }
        }),
        b"ipiq_send_fail" => ipiq().map(|(func, _, dcpu)| Kind::IpiqSendFail { dcpu, func }),
        b"ipiq_send_end" => ipiq().map(|(func, _, dcpu)| Kind::IpiqSendEnd { dcpu, func }),
        b"ipiq_receive" => ipiq().map(|(func, scpu, _)| Kind::IpiqReceive { scpu, func }),
        b"ipiq_cpu_send" => ipiq().map(|(_, _, dcpu)| {
            let targets = if dcpu < 64 {
                1u64 << dcpu
            } else {
                sink.warn(loc, WarningClass::Parse, "IPI target beyond CPU 63 dropped from the mask");
                0
            };
            Kind::IpiSend { targets, vector: 0, all_but_self: false }
        }),
        b"ipiq_sync_start" => mask().map(|mask| Kind::SyncStart { mask }),
        b"ipiq_sync_end" => mask().map(|mask| Kind::SyncEnd { mask }),
        b"ipiq_sync_quick" => mask().map(|mask| Kind::SyncQuick { mask }),
        _ => Some(Kind::Other { name: sink.intern(id) }),
    };
    kind.unwrap_or_else(|| {
        sink.warn_with(loc, WarningClass::Parse, || {
            format!("{} message not understood; kept as a plain event", String::from_utf8_lossy(id))
        });
        Kind::Other { name: sink.intern(id) }
    })
}

/// Without an ID column the event is named by the message's fixed prefix (as FreeBSD's).
fn message_name(msg: &[u8]) -> &[u8] {
    crate::ktr_freebsd::event_name(msg)
}

/// One row of ddb's `show ktr`.
struct DdbRow<'a> {
    cpu: u64,
    index: u64,
    ts: Option<u64>,
    name: &'a [u8],
    msg: &'a [u8],
}

/// `cpu3 1022: [0012345678 ../../kern/lwkt_ipiq.c.640\t]ipiq_receive\tfrom(0x…,0x…) [args]`.
fn split_ddb(line: &[u8]) -> Option<DdbRow<'_>> {
    let rest = line.strip_prefix(b"cpu")?;
    let sp = rest.iter().position(|&b| b == b' ')?;
    let cpu = parse_u64(&rest[..sp])?;
    let rest = &rest[sp + 1..];
    let colon = rest.iter().position(|&b| b == b':')?;
    // `%d` of a slot index plus one: never negative in practice, but read it signed.
    let index = parse_i64(&rest[..colon])? as u64;
    let mut parts = rest[colon + 1..].strip_prefix(b" ")?.split(|&b| b == b'\t');
    let mut first = parts.next()?;
    let mut ts = None;
    if first.first().is_some_and(u8::is_ascii_digit) || first.first() == Some(&b'-') {
        // `/v`: `%10.10lld file.line`; a counter past 2^63 prints negative.
        let end = token_end(first, 0);
        ts = Some(parse_i64(&first[..end])? as u64);
        first = parts.next()?;
    }
    let name = first;
    if !is_ident(name) {
        return None;
    }
    let tail = parts.next()?;
    let after = tail.strip_prefix(b"from(")?;
    let close = after.iter().position(|&b| b == b')')?;
    Some(DdbRow { cpu, index, ts, name, msg: trim(&after[close + 1..]) })
}

pub(crate) fn looks_like_ddb_row(line: &[u8]) -> bool {
    split_ddb(crate::ktr_freebsd::after_pager(line)).is_some()
}

impl DragonFly {
    pub(crate) fn new(sample: &[u8]) -> DragonFly {
        let lines = || sample.split(|&b| b == b'\n').take(400).map(crate::lines::strip_cr);
        let ddb = lines().filter(|l| looks_like_ddb_row(l)).count() > lines().filter(|l| looks_like_row(l)).count();
        DragonFly { layout: infer_layout(sample), ddb, hz: None, rows: Vec::new(), idle_cpus: 0, bare: None }
    }

    fn ddb_line(&mut self, line: &[u8], loc: Loc, sink: &mut Sink) {
        let line = crate::ktr_freebsd::after_pager(line);
        let t = trim(line);
        if t.is_empty()
            || t.starts_with(b"db>")
            || t.starts_with(b"--- End of trace buffer")
            || t.starts_with(b"no KTR data available")
            || t == b"--More--"
        {
            return;
        }
        let Some(r) = split_ddb(line) else {
            return sink.warn(loc, WarningClass::Tokenize, "not a ddb `show ktr` row (`cpuN idx: name\tfrom(…)`)");
        };
        let Some(cpu) = cpu_number(r.cpu) else {
            return sink.warn_with(loc, WarningClass::Parse, || cpu_limit_reason(r.cpu));
        };
        let kind = if r.msg.is_empty() {
            self.bare.get_or_insert(loc);
            Kind::Other { name: sink.intern(r.name) }
        } else {
            decode(r.name, r.msg, loc, sink)
        };
        let stamp = r.ts.map_or(Stamp::None, Stamp::Ticks);
        self.rows.push(Row { index: r.index as u32, cpu: Some(cpu), stamp, kind, loc });
    }

    /// ddb rows are newest first: oldest first, by their own time or, without `/v`, by
    /// their order.
    fn finish_ddb(mut self, sink: &mut Sink) -> Finished {
        if let Some(loc) = self.bare {
            sink.warn(
                loc,
                WarningClass::Parse,
                "ddb `show ktr` prints no arguments on x86_64: events are known by name only (no IPI pairing)",
            );
        }
        self.rows.reverse();
        let timed = self.rows.iter().all(|r| r.stamp != Stamp::None);
        for (i, r) in self.rows.iter().enumerate() {
            let ts = match r.stamp {
                Stamp::Ticks(t) if timed => t,
                _ => i as u64,
            };
            sink.push(ts, r.cpu.unwrap_or(0), r.loc, r.kind);
        }
        Finished { time: TimeBase::Ticks { hz: None }, cpus: 0 }
    }

    pub(crate) fn line(&mut self, line: &[u8], loc: Loc, sink: &mut Sink) {
        if self.ddb {
            return self.ddb_line(line, loc, sink);
        }
        let t = trim(line);
        if t.is_empty() || header_layout(t).is_some() {
            return;
        }
        if let Some(r) = t.strip_prefix(b"TSC frequency is") {
            self.hz = parse_mhz(trim(r));
            return;
        }
        let Some(f) = split(line, self.layout, false) else {
            sink.warn(loc, WarningClass::Tokenize, "not a ktrdump row of the layout the header or first rows set");
            return;
        };
        // Checked before anything is kept: `finish` sizes per-CPU tables by these numbers.
        let cpu = match f.cpu.map(|c| (c, cpu_number(c))) {
            Some((c, None)) => return sink.warn_with(loc, WarningClass::Parse, || cpu_limit_reason(c)),
            Some((_, cpu)) => cpu,
            None => None,
        };
        let zero = matches!(f.stamp, Stamp::None | Stamp::Ticks(0) | Stamp::Nanos(0));
        let empty = f.id == Some(b"<empty>") || (f.id.is_none() && f.msg.is_empty() && zero && f.index == 0xff_ffff);
        if empty {
            if let Some(c) = cpu {
                self.idle_cpus = self.idle_cpus.max(c + 1);
            }
            return;
        }
        let kind = match f.id {
            Some(id) if self.layout.msg => decode(id, f.msg, loc, sink),
            Some(id) => Kind::Other { name: sink.intern(id) },
            None => Kind::Other { name: sink.intern(message_name(f.msg)) },
        };
        self.rows.push(Row { index: f.index, cpu, stamp: f.stamp, kind, loc });
    }

    pub(crate) fn finish(mut self, sink: &mut Sink) -> Finished {
        if self.ddb {
            return self.finish_ddb(sink);
        }
        let idle_cpus = self.idle_cpus;
        let rows = &mut self.rows;
        let Some(first) = rows.first().copied() else {
            return Finished { time: TimeBase::Ticks { hz: self.hz }, cpus: idle_cpus };
        };
        let follows = |a: &Row, b: &Row| b.index == (a.index + 1) & 0xff_ffff;
        let missing = [
            (self.layout.id, "no ID column (ktrdump -i): events are named by their message"),
            (
                self.layout.ts,
                "no timestamp column (ktrdump -t or -r): times are row positions, so each CPU's events keep their \
                 order but events of different CPUs are not in time order",
            ),
            (
                self.layout.msg,
                "no trace data column (ktrdump -p): events keep their ID only, so IPIs and rendezvous are not decoded",
            ),
        ];
        for (_, why) in missing.into_iter().filter(|(has, _)| !has) {
            sink.warn(first.loc, WarningClass::Parse, why);
        }
        // CPU per row; without -c, each block (index restart) is taken to be the next CPU.
        let mut cpus = Vec::with_capacity(rows.len());
        let mut merged = false;
        if self.layout.cpu {
            let changes: Vec<bool> =
                rows.windows(2).filter(|w| w[0].cpu != w[1].cpu).map(|w| follows(&w[0], &w[1])).collect();
            merged = !changes.is_empty() && changes.iter().all(|&c| c);
            cpus.extend(rows.iter().map(|r| r.cpu.unwrap_or(0)));
        } else {
            let mut cpu = 0u16;
            for (i, r) in rows.iter().enumerate() {
                if i > 0 && !follows(&rows[i - 1], r) {
                    // Capped so that block CPUs past the limit are dropped by the sink, not tabled.
                    cpu = cpu.saturating_add(1).min(crate::event::CPU_LIMIT);
                }
                cpus.push(cpu);
            }
            sink.warn(
                first.loc,
                WarningClass::Parse,
                "no CPU column (ktrdump -c): each block of consecutive indices is taken as the next CPU",
            );
        }
        // Times as signed values, in ticks or ns.
        let nanos = rows.iter().any(|r| matches!(r.stamp, Stamp::Nanos(_)));
        let raw: Vec<i64> = rows
            .iter()
            .map(|r| match r.stamp {
                Stamp::None => 0,
                Stamp::Ticks(t) => t as i64,
                Stamp::Nanos(n) => n,
            })
            .collect();
        let relative = self.layout.ts && {
            let first = raw[0];
            // Deltas start at 0 per block; after -s's absolute first value they are tiny.
            nanos
                || first == 0
                || (merged && raw.len() >= 3 && raw[1..].iter().filter(|&&v| v < first / 1024).count() * 2 > raw.len())
        };
        let mut ts = vec![0i64; rows.len()];
        if !self.layout.ts {
            // Order only: the position inside the CPU's block (or the merged stream).
            let mut last: Vec<i64> = Vec::new();
            for (i, &c) in cpus.iter().enumerate() {
                let c = if merged { 0 } else { c as usize };
                if last.len() <= c {
                    last.resize(c + 1, -1);
                }
                last[c] += 1;
                ts[i] = last[c];
            }
        } else if relative {
            let mut last: Vec<i64> = Vec::new();
            for (i, &c) in cpus.iter().enumerate() {
                let c = if merged { 0 } else { c as usize };
                if last.len() <= c {
                    last.resize(c + 1, 0);
                }
                last[c] = last[c].wrapping_add(raw[i]);
                ts[i] = last[c];
            }
            if !merged && cpus.iter().any(|&c| c != cpus[0]) {
                sink.warn(
                    first.loc,
                    WarningClass::Reconstruct,
                    "relative per-CPU timestamps (ktrdump -r without -s): CPUs are aligned at their first event",
                );
            }
        } else {
            ts.copy_from_slice(&raw);
        }
        let min = ts.iter().copied().min().unwrap_or(0);
        for ((r, &c), &t) in rows.iter().zip(&cpus).zip(&ts) {
            sink.push(t.wrapping_sub(min) as u64, c, r.loc, r.kind);
        }
        let time = if nanos { TimeBase::Nanos } else { TimeBase::Ticks { hz: self.hz } };
        Finished { time, cpus: idle_cpus }
    }
}

/// `2893.437 MHz` → Hz; `0.000` (frequency unknown to the kernel) → `None`.
fn parse_mhz(s: &[u8]) -> Option<u64> {
    let num = &s[..token_end(s, 0)];
    find(b"MHz", s)?;
    let (int, frac) = match num.iter().position(|&b| b == b'.') {
        Some(d) => (&num[..d], &num[d + 1..]),
        None => (num, &b""[..]),
    };
    let mut hz = parse_u64(int)?.checked_mul(1_000_000)?;
    let mut scale = 100_000;
    for &b in frac.iter().take(6) {
        hz = hz.checked_add((b.checked_sub(b'0').filter(|&d| d <= 9)? as u64) * scale)?;
        scale /= 10;
    }
    (hz > 0).then_some(hz)
}
