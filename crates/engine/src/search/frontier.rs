//! The breadth-first frontier: records of the level being expanded and of the next one,
//! each record being a node number, the state's enabled choices (computed anyway when the
//! state was found, to see whether it is stuck) packed one word each, and the state's
//! compact encoding. Flat buffers: no allocation or free per state. Parent links turn a
//! node back into its schedule.

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
        1 if w & 1 << 29 != 0 => Choice::Switch(c, (w >> 8) as u8),
        1 if w & 1 << 28 != 0 => Choice::Migrate((w >> 8) as u8, c),
        1 => Choice::Irq(c, (w >> 8) as u8),
        2 if w & 1 << 29 != 0 => Choice::Bcast(c, (w >> 8) as u8),
        2 => Choice::Nmi(c),
        _ => Choice::Fill(c, (w >> 8) as u16),
    }
}

/// Append a frontier record to `buf` (and where it starts to `offsets`): the node, its
/// enabled choices (computed anyway when the state was found, to see whether it is
/// stuck) and the state's compact encoding.
pub(crate) fn push_record(buf: &mut Vec<u32>, offsets: &mut Vec<u32>, node: u32, en: &[Choice], words: &[u32]) {
    offsets.push(buf.len() as u32);
    buf.push(node);
    buf.push(en.len() as u32);
    buf.extend(en.iter().map(|&c| choice_word(c)));
    buf.extend_from_slice(words);
}

/// The record starting `buf`: its node, its choices (as `choice_word`s) and the words
/// from its encoding on (to the end of `buf`; `State::decode_from` says how many).
pub(crate) fn read_record(buf: &[u32]) -> (u32, &[u32], &[u32]) {
    let n = buf[1] as usize;
    (buf[0], &buf[2..2 + n], &buf[2 + n..])
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
}

impl Levels {
    /// `cur` holds the initial state's record alone.
    pub fn start(en: &[Choice], words: &[u32]) -> Levels {
        let mut l = Levels::default();
        push_record(&mut l.cur, &mut l.cur_offsets, ROOT, en, words);
        l.queued = 1;
        l
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
    use super::{choice_word, word_choice};
    use crate::machine::Choice;

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
            Choice::Lose(0, 0),
            Choice::Lose(7, 1),
        ];
        for c in all {
            assert_eq!(word_choice(choice_word(c)), c);
        }
    }
}
