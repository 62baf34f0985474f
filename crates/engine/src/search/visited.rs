//! The checker's visited set: 128-bit state fingerprints in one open-addressed table
//! with linear probing, 16 bytes a slot, at most 3/4 full. A std `HashMap<u128, u32>`
//! takes 33 bytes an entry and hashes again what is already a hash. Zero marks an empty
//! slot, so a zero fingerprint is stored as 1: it merges one pair of the 2¹²⁸ values, far
//! below the collision odds of hash compaction itself.
//!
//! Every probe of a large table is a cache miss at a random address; with 4 KiB pages it
//! is a TLB miss and a page walk as well, which made the probe the checker's largest cost
//! (39 % of a 4-CPU search). On Linux the table asks for transparent huge pages, which
//! machines configured with THP `madvise` (the Debian default) give only on request.

pub(crate) struct FpSet {
    slots: Vec<u128>,
    len: usize,
    /// 128 − log2(slots): a fingerprint's home slot is its top bits.
    shift: u32,
}

impl FpSet {
    pub fn new() -> FpSet {
        FpSet { slots: table(1 << 17), len: 0, shift: 128 - 17 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Add a fingerprint; false if it was there already.
    #[inline]
    pub fn insert(&mut self, fp: u128) -> bool {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let fp = fp.max(1);
        let mask = self.slots.len() - 1;
        let mut i = (fp >> self.shift) as usize;
        loop {
            let s = self.slots[i];
            if s == fp {
                return false;
            }
            if s == 0 {
                self.slots[i] = fp;
                self.len += 1;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// Start loading the slot `fp` will probe, so that several probes overlap their
    /// cache misses instead of waiting for each in turn.
    #[inline]
    pub fn prefetch(&self, fp: u128) {
        prefetch(&self.slots[(fp.max(1) >> self.shift) as usize]);
    }

    /// Homes are the top bits, so the old table holds its fingerprints nearly in order
    /// of home and old slot i moves to new slot 2i or 2i+1: copying in slot order writes
    /// the new table front to back instead of at random (a cache miss per entry).
    fn grow(&mut self) {
        let n = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, table(n));
        self.shift -= 1;
        let mask = self.slots.len() - 1;
        for fp in old.into_iter().filter(|&f| f != 0) {
            let mut i = (fp >> self.shift) as usize;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = fp;
        }
    }
}

/// The breadth-first search's visited set split by fingerprint into one `FpSet` per
/// worker thread, so that each table has one writer and no slot needs an atomic: shard
/// `fp mod n` (the low bits; a slot's home is the top bits, so the two are independent).
pub(crate) struct Shards {
    sets: Vec<FpSet>,
}

impl Shards {
    pub fn new(n: usize) -> Shards {
        Shards { sets: (0..n.max(1)).map(|_| FpSet::new()).collect() }
    }

    #[inline]
    pub fn owner(&self, fp: u128) -> usize {
        fp as u64 as usize % self.sets.len()
    }

    #[inline]
    pub fn insert(&mut self, fp: u128) -> bool {
        let o = self.owner(fp);
        self.sets[o].insert(fp)
    }

    #[inline]
    pub fn prefetch(&self, fp: u128) {
        self.sets[self.owner(fp)].prefetch(fp)
    }

    /// Each shard on its own, for the worker that owns it.
    pub fn shards_mut(&mut self) -> &mut [FpSet] {
        &mut self.sets
    }
}

/// A zeroed table of `n` slots. A large zeroed allocation is fresh untouched memory from
/// the kernel, so advising it before the first write decides the page size of every page.
fn table(n: usize) -> Vec<u128> {
    let v = vec![0u128; n];
    advise_huge_pages(&v);
    v
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(v: &[u128]) {
    const HUGE: usize = 2 << 20;
    let start = v.as_ptr() as usize;
    let end = start + std::mem::size_of_val(v);
    let (a, b) = ((start + HUGE - 1) & !(HUGE - 1), end & !(HUGE - 1));
    if b > a {
        // SAFETY: madvise only changes how the kernel backs [a, b), a range inside the
        // allocation of `v` that stays alive; MADV_HUGEPAGE never changes its contents.
        // A refusal (THP disabled) leaves 4 KiB pages, which is only slower.
        unsafe {
            libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_: &[u128]) {}

#[inline(always)]
fn prefetch(p: &u128) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it cannot fault or change memory.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((p as *const u128).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::FpSet;

    #[test]
    fn insert_reports_new_fingerprints_once_across_growth() {
        let mut s = FpSet::new();
        let fps: Vec<u128> =
            (0..20_000u128).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)).collect();
        for &f in &fps {
            assert!(s.insert(f), "{f} is new");
        }
        for &f in &fps {
            assert!(!s.insert(f), "{f} was inserted");
        }
        assert_eq!(s.len(), fps.len());
        // fps[0] is zero, which is stored as one.
        assert!(!s.insert(1));
    }

    /// At most 3/4 full (what the bytes a stored state costs are computed from): 98 304
    /// fingerprints fit the first table of 2^17 slots, the next doubles it.
    #[test]
    fn the_table_doubles_when_the_next_insert_would_pass_three_quarters_full() {
        let mut s = FpSet::new();
        let fp = |i: u128| (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
        for i in 0..98_304 {
            assert!(s.insert(fp(i)));
        }
        assert_eq!((s.len(), s.slots.len(), s.shift), (98_304, 1 << 17, 128 - 17));
        assert!(s.insert(fp(98_304)));
        assert_eq!((s.len(), s.slots.len(), s.shift), (98_305, 1 << 18, 128 - 18));
        assert_eq!(s.slots.iter().filter(|&&f| f != 0).count(), 98_305);
        assert!((0..98_305).all(|i| !s.insert(fp(i))));
    }

    /// A fingerprint's home slot is its top bits, and a taken home sends it to the next
    /// free slot, wrapping at the end; growth keeps homes as the top bits of the new size.
    #[test]
    fn a_fingerprint_lives_at_its_top_bits_or_the_next_free_slot() {
        let mut s = FpSet::new();
        let at = |home: u128, low: u128| home << (128 - 17) | low;
        assert!(s.insert(at(5, 1)));
        assert!(s.insert(at(5, 2)));
        assert!(s.insert(at((1 << 17) - 1, 3)));
        assert!(s.insert(at((1 << 17) - 1, 4)));
        assert_eq!(s.slots[5], at(5, 1));
        assert_eq!(s.slots[6], at(5, 2));
        assert_eq!(s.slots[(1 << 17) - 1], at((1 << 17) - 1, 3));
        assert_eq!(s.slots[0], at((1 << 17) - 1, 4));
        s.grow();
        assert_eq!((s.slots[10], s.slots[11]), (at(5, 1), at(5, 2)));
        // Copied in old slot order: the one that had wrapped to slot 0 comes first now.
        assert_eq!(s.slots[(1 << 18) - 2], at((1 << 17) - 1, 4));
        assert_eq!(s.slots[(1 << 18) - 1], at((1 << 17) - 1, 3));
        assert!(!s.insert(at(5, 2)) && !s.insert(at((1 << 17) - 1, 4)));
    }
}
