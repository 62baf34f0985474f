//! The breadth-first frontier: records of the level being expanded and of the next one,
//! each record being a node number, the state's enabled choices (computed anyway when the
//! state was found, to see whether it is stuck) packed one word each, and the state's
//! compact encoding. Flat buffers: no allocation or free per state. Parent links turn a
//! node back into its schedule.
//!
//! The encoding is stored as a delta against the record before it in its buffer where
//! that is shorter: a bitmap of the words that differ, then those words. Consecutive
//! records are mostly siblings, successors of one state by different CPUs, and share
//! nine words in ten, so the frontier of a 4-CPU search, its largest memory after the
//! visited set, takes about a quarter of what whole encodings take. Every `KEY_EVERY`th
//! record of a buffer (and its first) is whole, so that a thread can start reading a
//! level at any record by going back at most that many records (`Unpacker::seek`).

use crate::machine::Choice;

/// The parent of the initial state's node.
pub(crate) const ROOT: u32 = u32::MAX;

pub(crate) fn choice_word(c: Choice) -> u32 {
    match c {
        Choice::Step(c) => c as u32,
        // Tag 0 with bit 8 set: the two bits of tags are all taken.
        Choice::Drain(c) => 1 << 8 | c as u32,
        // Tag 0 with bit 9 set, the vector in bits 10..18 (steps and drains leave 9..30 clear).
        Choice::Lose(c, v) => 1 << 9 | (v as u32) << 10 | c as u32,
        Choice::Irq(c, v) => 1 << 30 | (v as u32) << 8 | c as u32,
        // The IRQ tag, told apart by bits 29 and 28 (interrupts leave bits 16..30 clear).
        Choice::Switch(c, t) => 1 << 30 | 1 << 29 | (t as u32) << 8 | c as u32,
        Choice::Migrate(t, d) => 1 << 30 | 1 << 28 | (t as u32) << 8 | d as u32,
        // Both of those bits: a callout.
        Choice::Timeout(c, t) => 1 << 30 | 1 << 29 | 1 << 28 | (t as u32) << 8 | c as u32,
        Choice::Nmi(c) => 2 << 30 | c as u32,
        // Shares the NMI tag, told apart by bit 29 (NMIs leave bits 8..30 clear).
        Choice::Bcast(c, k) => 2 << 30 | 1 << 29 | (k as u32) << 8 | c as u32,
        Choice::Fill(c, s) => 3 << 30 | (s as u32) << 8 | c as u32,
    }
}

pub(crate) fn word_choice(w: u32) -> Choice {
    let c = w as u8;
    match w >> 30 {
        0 if w & 1 << 9 != 0 => Choice::Lose(c, (w >> 10) as u8),
        0 if w & 1 << 8 != 0 => Choice::Drain(c),
        0 => Choice::Step(c),
        1 if w & 3 << 28 == 3 << 28 => Choice::Timeout(c, (w >> 8) as u8),
        1 if w & 1 << 29 != 0 => Choice::Switch(c, (w >> 8) as u8),
        1 if w & 1 << 28 != 0 => Choice::Migrate((w >> 8) as u8, c),
        1 => Choice::Irq(c, (w >> 8) as u8),
        2 if w & 1 << 29 != 0 => Choice::Bcast(c, (w >> 8) as u8),
        2 => Choice::Nmi(c),
        _ => Choice::Fill(c, (w >> 8) as u16),
    }
}

/// Flag of a record's length word: the encoding that follows is a delta.
const DELTA: u32 = 1 << 31;
/// Every this many records of a buffer, one is stored whole.
const KEY_EVERY: usize = 64;

/// Appends records to a frontier buffer, remembering the last encoding it wrote there.
/// One packer per buffer: a delta is against the record before it in the same buffer.
#[derive(Default)]
pub(crate) struct Packer {
    prev: Vec<u32>,
}

impl Packer {
    /// Append a frontier record to `buf` (and where it starts to `offsets`): the node,
    /// its enabled choices and the state's compact encoding, as a delta against the
    /// previous record's where that is shorter.
    pub fn push(&mut self, buf: &mut Vec<u32>, offsets: &mut Vec<u32>, node: u32, en: &[Choice], words: &[u32]) {
        let key = offsets.len().is_multiple_of(KEY_EVERY);
        offsets.push(buf.len() as u32);
        buf.push(node);
        buf.push(en.len() as u32);
        buf.extend(en.iter().map(|&c| choice_word(c)));
        let n = words.len();
        debug_assert!((n as u32) < DELTA);
        if !key && self.prev.len() == n {
            let nb = n.div_ceil(32);
            let changed = words.iter().zip(&self.prev).filter(|(a, b)| a != b).count();
            if nb + changed < n {
                buf.push(DELTA | n as u32);
                let bits = buf.len();
                buf.resize(bits + nb, 0);
                for (i, (&a, b)) in words.iter().zip(self.prev.iter_mut()).enumerate() {
                    if a != *b {
                        buf[bits + i / 32] |= 1 << (i % 32);
                        buf.push(a);
                        *b = a;
                    }
                }
                return;
            }
        }
        buf.push(n as u32);
        buf.extend_from_slice(words);
        self.prev.clear();
        self.prev.extend_from_slice(words);
    }
}

/// The node and choices (as `choice_word`s) of the record starting `buf`.
pub(crate) fn record_head(buf: &[u32]) -> (u32, &[u32]) {
    let n = buf[1] as usize;
    (buf[0], &buf[2..2 + n])
}

/// Reads a frontier's records in order, rebuilding each encoding from the one before.
#[derive(Default)]
pub(crate) struct Unpacker {
    words: Vec<u32>,
}

impl Unpacker {
    /// The record starting `buf`: its node, its choices, its state's encoding and the
    /// record's length in words. Unless the record is whole, the record before it in its
    /// buffer must be the last one this unpacker read.
    pub fn read<'a>(&'a mut self, buf: &'a [u32]) -> (u32, &'a [u32], &'a [u32], usize) {
        let (node, en) = record_head(buf);
        let at = 2 + en.len();
        let n = (buf[at] & !DELTA) as usize;
        if buf[at] & DELTA == 0 {
            self.words.clear();
            self.words.extend_from_slice(&buf[at + 1..at + 1 + n]);
            return (node, en, &self.words, at + 1 + n);
        }
        let nb = n.div_ceil(32);
        let mut q = at + 1 + nb;
        for (b, &bits) in buf[at + 1..at + 1 + nb].iter().enumerate() {
            let mut m = bits;
            while m != 0 {
                self.words[b * 32 + m.trailing_zeros() as usize] = buf[q];
                q += 1;
                m &= m - 1;
            }
        }
        (node, en, &self.words, q)
    }

    /// Make record `r` of `records` (starting at `offsets`) readable next: read the
    /// records before it from the nearest whole one.
    pub fn seek(&mut self, records: &[u32], offsets: &[u32], r: usize) {
        let whole = |k: usize| {
            let buf = &records[offsets[k] as usize..];
            buf[2 + buf[1] as usize] & DELTA == 0
        };
        if r >= offsets.len() || whole(r) {
            return;
        }
        // Record 0 of a buffer is whole, and so is every KEY_EVERY-th after it.
        let from = (0..r).rev().find(|&k| whole(k)).unwrap_or(0);
        for k in from..r {
            self.read(&records[offsets[k] as usize..]);
        }
    }
}

/// The schedule from the initial state to `node`, following the parent links.
pub(crate) fn path_to(links: &[(u32, Choice)], mut node: u32) -> Vec<Choice> {
    let mut out = Vec::new();
    while node != ROOT {
        let (parent, c) = links[node as usize];
        out.push(c);
        node = parent;
    }
    out.reverse();
    out
}

/// Two levels of records: `cur`, read from `head`, and `next`, which the expansion of
/// `cur` fills.
#[derive(Default)]
pub(crate) struct Levels {
    pub cur: Vec<u32>,
    pub head: usize,
    pub next: Vec<u32>,
    /// Where each record of `cur` and `next` starts, to cut a level into slices.
    pub cur_offsets: Vec<u32>,
    pub next_offsets: Vec<u32>,
    /// Steps from the initial state to every state of `cur`.
    pub depth: u32,
    /// Records not yet expanded, in both levels.
    pub queued: u64,
    /// Writes `next`.
    pub pack: Packer,
}

impl Levels {
    /// `cur` holds the initial state's record alone.
    pub fn start(en: &[Choice], words: &[u32]) -> Levels {
        let mut l = Levels::default();
        Packer::default().push(&mut l.cur, &mut l.cur_offsets, ROOT, en, words);
        l.queued = 1;
        l
    }

    /// Append a record to `next`.
    pub fn push(&mut self, node: u32, en: &[Choice], words: &[u32]) {
        self.pack.push(&mut self.next, &mut self.next_offsets, node, en, words);
    }

    /// When `cur` is read to its end, the next level (if it has records) becomes `cur`.
    pub fn advance(&mut self) {
        if self.exhausted() && !self.next.is_empty() {
            std::mem::swap(&mut self.cur, &mut self.next);
            std::mem::swap(&mut self.cur_offsets, &mut self.next_offsets);
            self.next.clear();
            self.next_offsets.clear();
            self.head = 0;
            self.depth += 1;
        }
    }

    /// Every record of `cur` has been expanded.
    pub fn exhausted(&self) -> bool {
        self.head == self.cur.len()
    }
}

#[cfg(test)]
mod tests {
    use super::{choice_word, word_choice, Packer, Unpacker, KEY_EVERY};
    use crate::machine::Choice;

    /// Encodings like a level's: mostly a few words apart, sometimes another length,
    /// sometimes all different.
    fn encodings() -> Vec<Vec<u32>> {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u32
        };
        let mut cur: Vec<u32> = (0..100).collect();
        (0..3 * KEY_EVERY + 5)
            .map(|i| {
                match i % 29 {
                    7 => cur.push(rnd()),
                    13 => cur.iter_mut().for_each(|w| *w = rnd()),
                    _ => (0..3).for_each(|_| {
                        let k = rnd() as usize % cur.len();
                        cur[k] = rnd();
                    }),
                }
                cur.clone()
            })
            .collect()
    }

    #[test]
    fn packed_records_read_back_in_order_and_from_any_record() {
        let states = encodings();
        let (mut buf, mut offsets, mut pack) = (Vec::new(), Vec::new(), Packer::default());
        let en = [Choice::Step(1), Choice::Irq(2, 3)];
        for (i, s) in states.iter().enumerate() {
            pack.push(&mut buf, &mut offsets, i as u32, &en[..i % 3], s);
        }
        let whole: usize = states.iter().map(|s| s.len()).sum();
        assert!(buf.len() < whole / 2, "{} words packed, {whole} whole", buf.len());
        let mut un = Unpacker::default();
        let mut at = 0;
        for (i, s) in states.iter().enumerate() {
            let (node, e, words, len) = un.read(&buf[at..]);
            assert_eq!((node, e.len(), words), (i as u32, i % 3, &s[..]), "record {i}");
            assert_eq!(at, offsets[i] as usize);
            at += len;
        }
        assert_eq!(at, buf.len());
        for r in [1, KEY_EVERY - 1, KEY_EVERY, KEY_EVERY + 1, states.len() - 1] {
            let mut un = Unpacker::default();
            un.seek(&buf, &offsets, r);
            assert_eq!(un.read(&buf[offsets[r] as usize..]).2, &states[r][..], "seek to {r}");
        }
    }

    #[test]
    fn every_kind_of_choice_survives_the_parent_links() {
        let all = [
            Choice::Step(31),
            Choice::Irq(31, 255),
            Choice::Fill(31, 65535),
            Choice::Nmi(31),
            Choice::Drain(31),
            Choice::Bcast(31, 255),
            Choice::Step(0),
            Choice::Drain(0),
            Choice::Bcast(0, 0),
            Choice::Lose(31, 255),
            Choice::Switch(31, 255),
            Choice::Switch(0, 39),
            Choice::Migrate(39, 31),
            Choice::Migrate(0, 0),
            Choice::Timeout(0, 39),
            Choice::Timeout(31, 255),
            Choice::Lose(0, 0),
            Choice::Lose(7, 1),
        ];
        for c in all {
            assert_eq!(word_choice(choice_word(c)), c);
        }
    }
}
