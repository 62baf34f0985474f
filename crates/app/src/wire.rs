//! Events between the trace worker and the page: a fixed 40-byte little-endian record per
//! event in one transferable buffer. A million events cross in one 40 MB copy-free
//! transfer and decode in a tight loop; JSON would be several times larger and slower.

use sdlab_trace::{Event, Kind, SendMode};

/// Bytes per encoded event.
pub const RECORD: usize = 40;

// Layout: ts u64 | offset u64 | a u64 | line u32 | b u32 | cpu u16 | c u16 | tag u8 | flag u8 | pad 2.
fn fields(k: &Kind) -> (u8, u64, u32, u16, u8) {
    match *k {
        Kind::IpiSend { targets, vector, all_but_self } => (0, targets, 0, vector, all_but_self as u8),
        Kind::IrqEntry { vector } => (1, 0, 0, vector, 0),
        Kind::IrqExit { vector } => (2, 0, 0, vector, 0),
        Kind::CsdQueue { target, csd, func } => (3, csd, func, target, 0),
        Kind::CsdEntry { csd, func } => (4, csd, func, 0, 0),
        Kind::CsdExit { csd, func } => (5, csd, func, 0, 0),
        Kind::TlbFlush { pages, reason } => (6, pages as u64, 0, 0, reason),
        Kind::IpiqSend { mode, dcpu, func } => (7, func, 0, dcpu, mode_code(mode)),
        Kind::IpiqSendFail { dcpu, func } => (8, func, 0, dcpu, 0),
        Kind::IpiqSendEnd { dcpu, func } => (9, func, 0, dcpu, 0),
        Kind::IpiqReceive { scpu, func } => (10, func, 0, scpu, 0),
        Kind::SyncStart { mask } => (11, mask, 0, 0, 0),
        Kind::SyncEnd { mask } => (12, mask, 0, 0, 0),
        Kind::SchedSwitch { next_pid } => (13, 0, next_pid, 0, 0),
        Kind::Marker => (14, 0, 0, 0, 0),
        Kind::Lost { count } => (15, count, 0, 0, 0),
        Kind::Other { name } => (16, 0, name, 0, 0),
        Kind::SyncQuick { mask } => (17, mask, 0, 0, 0),
        Kind::FuncEntry { func } => (18, 0, func, 0, 0),
        Kind::FuncExit { func } => (19, 0, func, 0, 0),
    }
}

fn mode_code(m: SendMode) -> u8 {
    match m {
        SendMode::Normal => 0,
        SendMode::Passive => 1,
        SendMode::NonBlocking => 2,
    }
}

fn kind_of(tag: u8, a: u64, b: u32, c: u16, flag: u8) -> Option<Kind> {
    let mode = match flag {
        1 => SendMode::Passive,
        2 => SendMode::NonBlocking,
        _ => SendMode::Normal,
    };
    Some(match tag {
        0 => Kind::IpiSend { targets: a, vector: c, all_but_self: flag != 0 },
        1 => Kind::IrqEntry { vector: c },
        2 => Kind::IrqExit { vector: c },
        3 => Kind::CsdQueue { target: c, csd: a, func: b },
        4 => Kind::CsdEntry { csd: a, func: b },
        5 => Kind::CsdExit { csd: a, func: b },
        6 => Kind::TlbFlush { pages: a as i64, reason: flag },
        7 => Kind::IpiqSend { mode, dcpu: c, func: a },
        8 => Kind::IpiqSendFail { dcpu: c, func: a },
        9 => Kind::IpiqSendEnd { dcpu: c, func: a },
        10 => Kind::IpiqReceive { scpu: c, func: a },
        11 => Kind::SyncStart { mask: a },
        12 => Kind::SyncEnd { mask: a },
        13 => Kind::SchedSwitch { next_pid: b },
        14 => Kind::Marker,
        15 => Kind::Lost { count: a },
        16 => Kind::Other { name: b },
        17 => Kind::SyncQuick { mask: a },
        18 => Kind::FuncEntry { func: b },
        19 => Kind::FuncExit { func: b },
        _ => return None,
    })
}

pub fn encode(events: &[Event]) -> Vec<u8> {
    // Each record written in place: the app is built for size, where eight appends an
    // event were eight calls (a fifth of a second at a million events).
    let mut out = vec![0u8; events.len() * RECORD];
    for (e, r) in events.iter().zip(out.chunks_exact_mut(RECORD)) {
        let (tag, a, b, c, flag) = fields(&e.kind);
        r[0..8].copy_from_slice(&e.ts.to_le_bytes());
        r[8..16].copy_from_slice(&e.offset.to_le_bytes());
        r[16..24].copy_from_slice(&a.to_le_bytes());
        r[24..28].copy_from_slice(&e.line.to_le_bytes());
        r[28..32].copy_from_slice(&b.to_le_bytes());
        r[32..34].copy_from_slice(&e.cpu.to_le_bytes());
        r[34..36].copy_from_slice(&c.to_le_bytes());
        r[36] = tag;
        r[37] = flag;
    }
    out
}

fn u64_at(r: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&r[i..i + 8]);
    u64::from_le_bytes(b)
}

fn u32_at(r: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]])
}

fn u16_at(r: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([r[i], r[i + 1]])
}

/// The inverse of `encode`; a buffer of the wrong length or an unknown tag is an error,
/// never a panic (the bytes come from another thread, but still from outside this one).
pub fn decode(bytes: &[u8]) -> Result<Vec<Event>, String> {
    let mut out = Vec::with_capacity(bytes.len() / RECORD);
    decode_into(bytes, &mut out)?;
    Ok(out)
}

/// `decode`, appending: the page decodes a large buffer slice by slice.
pub fn decode_into(bytes: &[u8], out: &mut Vec<Event>) -> Result<(), String> {
    if !bytes.len().is_multiple_of(RECORD) {
        return Err(format!("the event buffer is {} bytes, not a multiple of {RECORD}", bytes.len()));
    }
    for r in bytes.chunks_exact(RECORD) {
        let kind = kind_of(r[36], u64_at(r, 16), u32_at(r, 28), u16_at(r, 34), r[37])
            .ok_or_else(|| format!("unknown event tag {}", r[36]))?;
        out.push(Event { ts: u64_at(r, 0), offset: u64_at(r, 8), line: u32_at(r, 24), cpu: u16_at(r, 32), kind });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let kinds = [
            Kind::IpiSend { targets: 0b1110, vector: 252, all_but_self: true },
            Kind::IrqEntry { vector: 251 },
            Kind::IrqExit { vector: 253 },
            Kind::CsdQueue { target: 3, csd: 0xffff_88c2_bed3_5ec0, func: 7 },
            Kind::CsdEntry { csd: 1, func: 2 },
            Kind::CsdExit { csd: 3, func: 4 },
            Kind::TlbFlush { pages: -1, reason: 3 },
            Kind::IpiqSend { mode: SendMode::NonBlocking, dcpu: 2, func: 99 },
            Kind::IpiqSendFail { dcpu: 1, func: 5 },
            Kind::IpiqSendEnd { dcpu: 1, func: 6 },
            Kind::IpiqReceive { scpu: 0, func: 7 },
            Kind::SyncStart { mask: u64::MAX },
            Kind::SyncEnd { mask: 5 },
            Kind::SyncQuick { mask: 0b1010 },
            Kind::SchedSwitch { next_pid: 195 },
            Kind::Marker,
            Kind::Lost { count: 12 },
            Kind::Other { name: 9 },
            Kind::FuncEntry { func: 3 },
            Kind::FuncExit { func: 3 },
        ];
        let events: Vec<Event> = kinds
            .iter()
            .enumerate()
            .map(|(i, &kind)| Event {
                ts: i as u64 * 1000,
                cpu: i as u16 % 4,
                line: i as u32 + 1,
                offset: 77 * i as u64,
                kind,
            })
            .collect();
        assert_eq!(decode(&encode(&events)).unwrap(), events);
        assert!(decode(&[0u8; 39]).is_err());
    }
}
