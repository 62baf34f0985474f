//! Playing a loaded run at the length of a demo. A lecturer has about 30 seconds for a
//! counterexample, whether it is the 27-step Linux race or the 64-step DragonFly ring
//! deadlock; a fixed delay per step makes one drag and the other rush. The demo pace is
//! worked out from the run as the step log folds it: the iterations the log folds into one
//! row go by fast (they repeat what was just shown), and the rest of the 30 seconds is
//! shared among the steps the log shows.

use crate::view::LogRow;

/// The speed setting (`Pane::speed_ms`) that means "the whole run in `DEMO_MS`": no real
/// delay is 0 ms, since the fixed speeds are clamped to `MIN_MS..=MAX_MS`.
pub const DEMO: u32 = 0;
/// How long a demo plays a whole run.
pub const DEMO_MS: u32 = 30_000;
/// The delay before a step inside a folded repetition: fast enough that 40 of them take
/// under two seconds, slow enough that a person sees the ring or the counter move.
pub const FAST_MS: u32 = 40;
/// The bounds of any step's delay, as for the fixed speeds.
pub const MIN_MS: u32 = 20;
pub const MAX_MS: u32 = 5000;

/// Delays for playing one run: `step_ms` before each step the log shows, `FAST_MS` before
/// each step it folds away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pace {
    pub step_ms: u32,
    /// The folded steps, `first..=last` of every folded row.
    pub fast: Vec<(usize, usize)>,
    /// Steps in the run, and how many of them the log shows.
    pub steps: usize,
    pub shown: usize,
}

impl Pace {
    /// The pace that plays the steps `rows` cover in about `total_ms`. Too short a run
    /// plays at `MAX_MS` a step and takes less; the delays never go under `MIN_MS`.
    pub fn new(rows: &[LogRow], total_ms: u32) -> Pace {
        let mut fast = Vec::new();
        let (mut shown, mut folded) = (0usize, 0usize);
        for r in rows {
            match *r {
                LogRow::Step(_) => shown += 1,
                LogRow::Folded { first, last, .. } => {
                    fast.push((first, last));
                    folded += last + 1 - first;
                }
            }
        }
        let left = u64::from(total_ms).saturating_sub(folded as u64 * u64::from(FAST_MS));
        let step_ms = (left / shown.max(1) as u64).clamp(u64::from(MIN_MS), u64::from(MAX_MS)) as u32;
        Pace { step_ms, fast, steps: shown + folded, shown }
    }

    /// The delay before step `step` (1-based) is taken.
    pub fn delay_before(&self, step: usize) -> u32 {
        if self.fast.iter().any(|&(a, b)| (a..=b).contains(&step)) {
            FAST_MS
        } else {
            self.step_ms
        }
    }

    /// How long the whole run plays, in milliseconds.
    pub fn total_ms(&self) -> u64 {
        (1..=self.steps).map(|k| u64::from(self.delay_before(k))).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::fold_log;

    #[test]
    fn a_run_with_repeats_plays_in_the_demo_length_with_the_repeats_fast() {
        // 10 steps, then 4-step sends repeated 12 times (11 folded), then 6 steps: 64 steps,
        // the shape of the DragonFly ring deadlock.
        let mut keys: Vec<u32> = (0..10).collect();
        for _ in 0..12 {
            keys.extend([100, 101, 102, 103]);
        }
        keys.extend(200..206);
        assert_eq!(keys.len(), 64);
        let rows = fold_log(&keys, |k| k == keys.len());
        let pace = Pace::new(&rows, DEMO_MS);
        assert_eq!((pace.steps, pace.shown), (64, 20));
        assert_eq!(pace.fast, vec![(15, 58)]);
        assert_eq!(pace.delay_before(15), FAST_MS);
        assert_eq!(pace.delay_before(14), pace.step_ms);
        assert!(pace.step_ms > 1000, "the shown steps get the time: {}", pace.step_ms);
        assert!(pace.total_ms().abs_diff(u64::from(DEMO_MS)) < 100, "{}", pace.total_ms());
    }

    #[test]
    fn a_run_without_repeats_shares_the_time_evenly_and_the_bounds_hold() {
        let rows: Vec<_> = (1..=27).map(LogRow::Step).collect();
        let pace = Pace::new(&rows, DEMO_MS);
        assert_eq!(pace.step_ms, 1111);
        assert!(pace.fast.is_empty());
        assert!(pace.total_ms().abs_diff(u64::from(DEMO_MS)) < 30);
        // Three steps cannot fill 30 s at 5 s a step; 100 000 cannot go under 20 ms.
        assert_eq!(Pace::new(&rows[..3], DEMO_MS).step_ms, MAX_MS);
        let long: Vec<_> = (1..=100_000).map(LogRow::Step).collect();
        assert_eq!(Pace::new(&long, DEMO_MS).step_ms, MIN_MS);
        assert_eq!(Pace::new(&[], DEMO_MS).steps, 0);
    }
}
