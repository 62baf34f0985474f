//! State fingerprints: a 128-bit hash of a state's compact encoding (`State::encode`,
//! lossless, so distinct states differ in their words). Two distinct states collide with
//! probability about n²/2¹²⁹, far below 10⁻¹⁸ for a billion states.

use crate::machine::State;
use std::hash::Hasher;

/// 64×64→128-bit multiply folded to 64 bits: one instruction pair on x86-64 and the core
/// of the wyhash family.
#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    #[cfg(not(target_arch = "wasm32"))]
    let (hi, lo) = {
        let r = (a as u128).wrapping_mul(b as u128);
        ((r >> 64) as u64, r as u64)
    };
    #[cfg(target_arch = "wasm32")]
    let (hi, lo) = mul_wide(a, b);
    lo ^ hi
}

/// The 128-bit product of `a` and `b` as (high, low) halves, from four 32×32→64-bit
/// products. wasm32 has no 64×64→128 multiply: there a `u128` product is a call to
/// `__multi3` (a full 128×128 product through memory), which was 9 % of the checker's
/// time in the browser. The same bits, so the same fingerprints as natively.
#[cfg(any(target_arch = "wasm32", test))]
#[inline(always)]
fn mul_wide(a: u64, b: u64) -> (u64, u64) {
    const LOW: u64 = 0xFFFF_FFFF;
    let (a0, a1, b0, b1) = (a & LOW, a >> 32, b & LOW, b >> 32);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // At most 3·(2³²−1): no overflow.
    let mid = (p00 >> 32) + (p01 & LOW) + (p10 & LOW);
    let lo = (p00 & LOW) | mid << 32;
    let hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    (hi, lo)
}

const S0: u64 = 0xA076_1D64_78BD_642F;
const S1: u64 = 0xE703_7ED1_A0B4_28DB;
const S2: u64 = 0x8EBC_6AF0_9C88_C6E3;
const S3: u64 = 0x5899_65CC_7537_4CC3;
const SECRET: [u64; 4] = [0x1D8E_4E27_C47D_124F, 0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9];

/// 128-bit hash of a word buffer: four wyhash-style lanes with independent secrets, each
/// taking 16 bytes per multiply, so that four multiplies are in flight at once (a state
/// of 4 CPUs is about 100 words; one chain made hashing 15 % of a search, waiting on each
/// multiply in turn). The lanes are folded pairwise and finalised by SplitMix64 so that
/// every output bit depends on every input bit. The length seeds the lanes, so zero
/// padding of the last block is unambiguous.
pub(crate) fn hash128(w: &[u32]) -> u128 {
    let n = w.len() as u64;
    let mut lane = [S0 ^ n, S1 ^ n.rotate_left(16), S2 ^ n.rotate_left(32), S3 ^ n.rotate_left(48)];
    let mut blocks = w.chunks_exact(16);
    for c in &mut blocks {
        for (k, l) in lane.iter_mut().enumerate() {
            let (x, y) = (pair(c[4 * k], c[4 * k + 1]), pair(c[4 * k + 2], c[4 * k + 3]));
            *l = mix(x ^ SECRET[k], y ^ *l);
        }
    }
    let r = blocks.remainder();
    if !r.is_empty() {
        let mut t = [0u32; 16];
        t[..r.len()].copy_from_slice(r);
        for (k, l) in lane.iter_mut().enumerate().take(r.len().div_ceil(4)) {
            let (x, y) = (pair(t[4 * k], t[4 * k + 1]), pair(t[4 * k + 2], t[4 * k + 3]));
            *l = mix(x ^ SECRET[k], y ^ *l);
        }
    }
    let a = mix(lane[0] ^ S2, lane[2] ^ S3);
    let b = mix(lane[1] ^ S0, lane[3] ^ S1);
    let hi = crate::schedule::splitmix64(a ^ b.rotate_left(7));
    let lo = crate::schedule::splitmix64(b ^ hi);
    ((hi as u128) << 64) | lo as u128
}

#[inline(always)]
fn pair(lo: u32, hi: u32) -> u64 {
    lo as u64 | (hi as u64) << 32
}

/// The 128-bit fingerprint of a state: the hash of its compact encoding
/// (`State::encode`), which is lossless, so distinct states differ in their words.
pub fn fingerprint(s: &State) -> u128 {
    let mut buf = Vec::with_capacity(64);
    s.encode(&mut buf);
    hash128(&buf)
}

/// Identity hasher for keys that already are fingerprints.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ *b as u64;
        }
    }
    fn write_u128(&mut self, i: u128) {
        self.0 = i as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::{hash128, mul_wide, PassThrough};
    use std::collections::HashSet;
    use std::hash::Hasher;

    #[test]
    fn the_wasm_product_is_the_native_one() {
        let mut x = 0x0123_4567_89AB_CDEFu64;
        let edges = [0, 1, u32::MAX as u64, 1 << 32, u64::MAX, u64::MAX - 1, 0x8000_0000_0000_0000];
        let mut cases: Vec<(u64, u64)> = edges.iter().flat_map(|&a| edges.iter().map(move |&b| (a, b))).collect();
        for _ in 0..10_000 {
            x = crate::schedule::splitmix64(x);
            cases.push((x, x.rotate_left(23) ^ 0x5555_5555_5555_5555));
        }
        for (a, b) in cases {
            let r = (a as u128) * (b as u128);
            assert_eq!(mul_wide(a, b), ((r >> 64) as u64, r as u64), "{a:#x} × {b:#x}");
        }
    }

    #[test]
    fn hash128_separates_single_bit_flips_and_zero_padding() {
        let base: Vec<u32> = (0..101u32).map(|i| i.wrapping_mul(7)).collect();
        let mut seen = HashSet::new();
        assert!(seen.insert(hash128(&base)));
        for i in 0..base.len() {
            for bit in [0, 5, 31] {
                let mut w = base.clone();
                w[i] ^= 1 << bit;
                assert!(seen.insert(hash128(&w)), "flip of bit {bit} in word {i}");
            }
        }
        for n in 0..40 {
            assert!(seen.insert(hash128(&vec![0; n])), "{n} zero words");
        }
    }

    /// Both halves of the fingerprint carry hash bits: the visited set homes a state by
    /// the top bits and the worker shards by the low ones, so a half left constant or
    /// biased would pile states into a few slots or one worker. Over 4096 encodings each
    /// of the 128 bits is set in 40–60 % of them.
    #[test]
    fn every_bit_of_the_fingerprint_is_set_about_half_the_time() {
        let n = 4096u32;
        let mut ones = [0u32; 128];
        for i in 0..n {
            let h = hash128(&[i, 7, i.wrapping_mul(3), 0, 1]);
            for (b, o) in ones.iter_mut().enumerate() {
                *o += (h >> b) as u32 & 1;
            }
        }
        for (b, &o) in ones.iter().enumerate() {
            assert!((n * 2 / 5..=n * 3 / 5).contains(&o), "bit {b} set in {o} of {n}");
        }
    }

    /// Encodings differ in few low bits (small counters, CPU numbers): 2^20 such buffers
    /// (two words of 0..1024 at given places: alone, zero-padded to a block and a half, one
    /// in each block, and in each of the four lanes) must behave as random 128-bit values:
    /// no two share their fingerprint, nor more than a few their low 40 bits of either half
    /// (n²/2⁴¹ ≈ 0.5 expected). A mix that drops bits (an OR or AND where an XOR folds)
    /// merges such buffers long before that.
    #[test]
    fn low_entropy_encodings_spread_like_random_values() {
        // (length, place of a, place of b)
        for (shape, (len, pa, pb)) in
            [(2, 0, 1), (24, 0, 1), (17, 0, 16), (16, 4, 5), (16, 8, 9), (16, 12, 13)].into_iter().enumerate()
        {
            let mut fps: Vec<u128> = Vec::with_capacity(1 << 20);
            let mut buf = vec![0u32; len];
            for a in 0..1024u32 {
                for b in 0..1024u32 {
                    buf[pa] = a;
                    buf[pb] = b;
                    fps.push(hash128(&buf));
                }
            }
            let dups = |key: &dyn Fn(u128) -> u64| {
                let mut k: Vec<u64> = fps.iter().map(|&f| key(f)).collect();
                k.sort_unstable();
                k.windows(2).filter(|w| w[0] == w[1]).count()
            };
            let mut all = fps.clone();
            all.sort_unstable();
            assert!(all.windows(2).all(|w| w[0] != w[1]), "shape {shape}: two buffers share a fingerprint");
            let low = dups(&|f| f as u64 & ((1 << 40) - 1));
            let high = dups(&|f| (f >> 64) as u64 & ((1 << 40) - 1));
            assert!(low <= 6 && high <= 6, "shape {shape}: {low} and {high} pairs share 40 bits");
        }
    }

    /// The depth-first search's maps are keyed by fingerprints, which are hashes already:
    /// `PassThrough` hands on their low 64 bits instead of hashing them again, and folds
    /// bytes (a key of another type) in order.
    #[test]
    fn the_pass_through_hasher_keeps_a_fingerprint_s_low_bits() {
        let mut h = PassThrough::default();
        h.write_u128(0x1234_5678_9ABC_DEF0_0FED_CBA9_8765_4321);
        assert_eq!(h.finish(), 0x0FED_CBA9_8765_4321);
        let mut h = PassThrough::default();
        h.write(&[0x12, 0x34, 0x56]);
        assert_eq!(h.finish(), 0x12_3456);
        h.write(&[0xFF]);
        assert_eq!(h.finish(), 0x1234_56FF);
    }
}
