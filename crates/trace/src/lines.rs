//! Byte-level plumbing shared by every format: the line splitter that survives chunk
//! boundaries anywhere, a word-at-a-time byte search, and allocation-free field scanners.
//!
//! Everything works on `&[u8]`: traces are ASCII in practice, and checking UTF-8 per line
//! would cost more than the parse itself. Text only becomes `str` when a name is interned.

/// Lines longer than this are skipped with a warning: no trace format comes close, so a
/// longer line is binary junk or a missing newline, and buffering it would be unbounded.
pub(crate) const MAX_LINE: usize = 64 * 1024;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Position of the first `needle` in `hay`. Eight bytes per step (no dependency on the
/// memchr crate): lines are ~100 bytes, so this is most of the splitting cost.
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    let rep = LO.wrapping_mul(needle as u64);
    let mut i = 0;
    while i + 8 <= hay.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&hay[i..i + 8]);
        let x = u64::from_le_bytes(w) ^ rep;
        let z = x.wrapping_sub(LO) & !x & HI;
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&b| b == needle).map(|p| p + i)
}

/// Position of the first occurrence of `pat` (non-empty) in `hay`.
pub(crate) fn find(pat: &[u8], hay: &[u8]) -> Option<usize> {
    let (&first, rest) = pat.split_first()?;
    let mut from = 0;
    while from < hay.len() {
        let p = from + find_byte(first, &hay[from..])?;
        if hay[p + 1..].starts_with(rest) {
            return Some(p);
        }
        from = p + 1;
    }
    None
}

/// Where a line starts in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Loc {
    /// 1-based.
    pub line: u32,
    pub offset: u64,
}

/// What the splitter hands out per line.
pub(crate) enum Piece<'a> {
    Line(&'a [u8]),
    /// A line over [`MAX_LINE`] bytes, dropped; the length is what was seen.
    TooLong(u64),
}

/// Splits a byte stream fed in arbitrary chunks into lines. Only the unfinished last line
/// of a chunk is copied; complete lines are handed out as slices of the chunk itself.
#[derive(Debug, Default)]
pub(crate) struct Splitter {
    partial: Vec<u8>,
    /// The partial line passed [`MAX_LINE`]: its bytes are dropped until the newline.
    overlong: bool,
    partial_len: u64,
    next_line: u64,
    next_offset: u64,
}

impl Splitter {
    pub(crate) fn lines_seen(&self) -> u64 {
        self.next_line
    }

    fn loc(&self) -> Loc {
        Loc { line: u32::try_from(self.next_line + 1).unwrap_or(u32::MAX), offset: self.next_offset }
    }

    pub(crate) fn feed(&mut self, mut chunk: &[u8], f: &mut impl FnMut(Piece<'_>, Loc)) {
        if self.partial_len > 0 || self.overlong {
            let Some(nl) = find_byte(b'\n', chunk) else {
                self.append(chunk);
                return;
            };
            self.append(&chunk[..nl]);
            chunk = &chunk[nl + 1..];
            self.emit_partial(f);
        }
        while let Some(nl) = find_byte(b'\n', chunk) {
            let line = &chunk[..nl];
            let loc = self.loc();
            self.next_line += 1;
            self.next_offset += nl as u64 + 1;
            if line.len() > MAX_LINE {
                f(Piece::TooLong(line.len() as u64), loc);
            } else {
                f(Piece::Line(clean(line, loc)), loc);
            }
            chunk = &chunk[nl + 1..];
        }
        self.append(chunk);
    }

    /// The last line when the file does not end in a newline.
    pub(crate) fn finish(&mut self, f: &mut impl FnMut(Piece<'_>, Loc)) {
        if self.partial_len > 0 || self.overlong {
            self.emit_partial(f);
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        self.partial_len += bytes.len() as u64;
        if self.overlong {
            return;
        }
        if self.partial.len() + bytes.len() > MAX_LINE {
            self.overlong = true;
            self.partial.clear();
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    fn emit_partial(&mut self, f: &mut impl FnMut(Piece<'_>, Loc)) {
        let loc = self.loc();
        self.next_line += 1;
        // The newline is counted even for the last line without one; nothing reads the
        // offset past the end.
        self.next_offset += self.partial_len + 1;
        if self.overlong {
            f(Piece::TooLong(self.partial_len), loc);
        } else {
            f(Piece::Line(clean(&self.partial, loc)), loc);
        }
        self.partial.clear();
        self.partial_len = 0;
        self.overlong = false;
    }
}

/// The line without its `\r`, and the first line without a UTF-8 byte-order mark (editors
/// on Windows add one; it would hide a `# tracer:` header).
#[inline]
fn clean(line: &[u8], loc: Loc) -> &[u8] {
    let line = strip_cr(line);
    if loc.offset == 0 {
        strip_bom(line)
    } else {
        line
    }
}

pub(crate) fn strip_bom(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
}

#[inline]
pub(crate) fn strip_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

#[inline]
pub(crate) fn skip_spaces(s: &[u8], i: usize) -> usize {
    let mut i = i.min(s.len());
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    i
}

#[inline]
pub(crate) fn token_end(s: &[u8], i: usize) -> usize {
    let mut i = i.min(s.len());
    while i < s.len() && !is_space(s[i]) {
        i += 1;
    }
    i
}

pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = skip_spaces(s, 0);
    let mut end = s.len();
    while end > start && is_space(s[end - 1]) {
        end -= 1;
    }
    &s[start..end]
}

/// Strict unsigned decimal: at least one digit, nothing else, no overflow.
#[inline]
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    // Nineteen digits cannot overflow, so only a twentieth is multiplied with a check.
    let (head, tail) = s.split_at(s.len().min(19));
    let mut v: u64 = 0;
    for &b in head {
        v = v * 10 + digit(b)?;
    }
    match tail.first() {
        Some(&b) => v.checked_mul(10)?.checked_add(digit(b)?),
        None => Some(v),
    }
}

#[inline(always)]
fn digit(b: u8) -> Option<u64> {
    let d = b.wrapping_sub(b'0');
    (d <= 9).then_some(d as u64)
}

/// `a * by`, `None` past `u64::MAX`. The parsers multiply by constants (10, 1000, 10^9);
/// inlined, the bound is a constant and the test a compare, where `checked_mul` on wasm32
/// calls a 128-bit multiply for every number (the worker's profile, issue #18).
#[inline(always)]
pub(crate) fn times(a: u64, by: u64) -> Option<u64> {
    if by != 0 && a > u64::MAX / by {
        None
    } else {
        Some(a.wrapping_mul(by))
    }
}

/// Signed decimal with an optional leading `-`.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    match s.split_first() {
        Some((b'-', rest)) => {
            let v = parse_u64(rest)?;
            if v <= i64::MAX as u64 + 1 {
                Some((v as i64).wrapping_neg())
            } else {
                None
            }
        }
        _ => i64::try_from(parse_u64(s)?).ok(),
    }
}

/// Hex digits with an optional `0x`; at most 16 significant digits.
pub(crate) fn parse_hex(s: &[u8]) -> Option<u64> {
    let s = s.strip_prefix(b"0x").or_else(|| s.strip_prefix(b"0X")).unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        let d = hex_digit(b)?;
        if v >> 60 != 0 {
            return None;
        }
        v = v << 4 | d as u64;
    }
    Some(v)
}

#[inline]
pub(crate) fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The value of `key` (e.g. `b"cpu="`) in a `key=value key2=value2` payload: the key must
/// start the payload or follow a space or comma; the value ends at a space or comma.
pub(crate) fn field<'a>(payload: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let v = field_word(payload, key)?;
    Some(&v[..find_byte(b',', v).unwrap_or(v.len())])
}

/// Like [`field`], but the value runs to the next space (cpumasks hold commas).
pub(crate) fn field_word<'a>(payload: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while from < payload.len() {
        let p = from + find(key, &payload[from..])?;
        if p == 0 || matches!(payload[p - 1], b' ' | b',' | b'\t') {
            let v = &payload[p + key.len()..];
            let end = v.iter().position(|&b| b == b' ' || b == b'\t').unwrap_or(v.len());
            return Some(&v[..end]);
        }
        from = p + 1;
    }
    None
}

/// How a printf conversion placed a column: `%-8s` pads on the right, `%8d` on the left,
/// `%p` and `%s` without width not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left(usize),
    Right(usize),
    Free,
}

/// The whitespace-free token of a column that starts at byte `pos` of `line`, and where the
/// next column starts. `strict` also demands the token sit exactly where the conversion puts
/// it (value narrower than the width); that is what tells a layout apart from its neighbours
/// when no header names the columns. Without `strict` any run of spaces separates columns.
pub(crate) fn column(line: &[u8], pos: usize, align: Align, strict: bool) -> Option<(&[u8], usize)> {
    let start = skip_spaces(line, pos.min(line.len()));
    let end = token_end(line, start);
    if end == start {
        return None;
    }
    if !strict {
        return Some((&line[start..end], end));
    }
    let next = match align {
        Align::Left(w) if start == pos => pos + w.max(end - pos),
        Align::Right(w) if end == pos + w || (start == pos && end > pos + w) => end,
        Align::Free if start == pos => end,
        _ => return None,
    };
    // One space separates a column from the next.
    match line.get(next) {
        None => Some((&line[start..end], next)),
        Some(b' ') => Some((&line[start..end], next + 1)),
        Some(_) => None,
    }
}

/// The column layout of a ktrdump sample (FreeBSD or DragonFly, whose layouts differ):
/// the one a header line states, else the one most sample rows split with — strictly
/// first, then loosely — preferring more columns on a tie. None when no row splits.
pub(crate) fn infer_layout<L: Copy>(
    sample: &[u8],
    header: impl Fn(&[u8]) -> Option<L>,
    is_row: impl Fn(&[u8]) -> bool,
    layouts: &[L],
    columns: impl Fn(L) -> u32,
    splits: impl Fn(&[u8], L, bool) -> bool,
) -> Option<L> {
    let lines = || sample.split(|&b| b == b'\n').take(400).map(strip_cr);
    if let Some(l) = lines().find_map(&header) {
        return Some(l);
    }
    let rows: Vec<&[u8]> = lines().filter(|l| is_row(l)).collect();
    for strict in [true, false] {
        let best = layouts
            .iter()
            .copied()
            .map(|lay| (rows.iter().filter(|r| splits(r, lay, strict)).count(), columns(lay), lay))
            .max_by_key(|&(n, cols, _)| (n, cols));
        if let Some((_, _, lay)) = best.filter(|&(n, _, _)| n > 0) {
            return Some(lay);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_matches_naive_search() {
        let hay: Vec<u8> = (0..200u32).map(|i| (i * 7 % 251) as u8).collect();
        for n in 0..=255u8 {
            for start in 0..20 {
                let naive = hay[start..].iter().position(|&b| b == n);
                assert_eq!(find_byte(n, &hay[start..]), naive, "needle {n} start {start}");
            }
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        assert_eq!(parse_u64(b"9999999999999999999"), Some(9_999_999_999_999_999_999));
        assert_eq!(parse_u64(b"00000000000000000007"), Some(7));
        assert_eq!(parse_u64(b"000000000000000000007"), None, "21 digits");
        assert_eq!(parse_u64(b"1844674407370955161x"), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(times(18_446_744_073, 1_000_000_000), Some(18_446_744_073_000_000_000));
        assert_eq!(times(18_446_744_074, 1_000_000_000), None);
        assert_eq!(times(u64::MAX, 1), Some(u64::MAX));
        assert_eq!(times(u64::MAX, 0), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_hex(b"0xffff88c2bed35ec0"), Some(0xffff88c2bed35ec0));
        assert_eq!(parse_hex(b"1ffffffffffffffff"), None);
        assert_eq!(field(b"func=a, csd=ff", b"csd="), Some(&b"ff"[..]));
        assert_eq!(field(b"xcpu=1 cpu=2", b"cpu="), Some(&b"2"[..]));
    }
}
