//! A fork-join pool for the breadth-first levels (level.rs): `run(f)` calls `f(i)` for
//! every worker index at once, index 0 on the calling thread, and returns when all have
//! returned.
//!
//! Why not rayon or scoped threads: starting two threads cost 136 µs on the 2-core VMs
//! we measure on (a level's phase can take less), and rayon's sleeping workers woke too
//! late to take the second half of a 2-way split, so the phases ran one after the other.
//! Here the helpers spin briefly between phases (levels follow each other within
//! microseconds) and park when the search pauses.

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

type Job<'a> = dyn Fn(usize) + Sync + 'a;

struct Shared {
    /// The job of the current round: a `*const Job` split into data and vtable would
    /// need two words; boxing the fat pointer gives one.
    job: AtomicPtr<*const Job<'static>>,
    /// Bumped to start a round; helpers remember the last round they ran.
    round: AtomicU64,
    /// Helpers done with the current round.
    done: AtomicUsize,
    stop: std::sync::atomic::AtomicBool,
    /// Helper threads (workers but the caller).
    helpers: usize,
    /// The thread waiting in `run`, woken by the last helper to finish.
    waiter: std::sync::Mutex<Option<Thread>>,
}

pub(crate) struct Pool {
    shared: Arc<Shared>,
    helpers: Vec<(JoinHandle<()>, Thread)>,
}

/// How long a thread spins for the next round (a helper) or for the helpers to finish
/// (the caller) before it parks. Short: a spinning thread that shares its core with
/// other work (a compiler, a second search) can keep the thread it waits for off that
/// core for a whole scheduler tick, which made rounds of 0.3 ms take 4 ms.
const SPIN: Duration = Duration::from_micros(50);

impl Pool {
    /// A pool of `n` workers: the caller and `n - 1` helper threads; None where threads
    /// cannot start (the browser's wasm).
    pub fn new(n: usize) -> Option<Pool> {
        let shared = Arc::new(Shared {
            job: AtomicPtr::new(std::ptr::null_mut()),
            round: AtomicU64::new(0),
            done: AtomicUsize::new(0),
            stop: std::sync::atomic::AtomicBool::new(false),
            waiter: std::sync::Mutex::new(None),
            helpers: n.max(1) - 1,
        });
        let mut pool = Pool { shared, helpers: Vec::new() };
        for i in 1..n.max(1) {
            let s = pool.shared.clone();
            // On failure the pool drops, stopping the helpers already started.
            let h = thread::Builder::new().name(format!("sdlab-bfs-{i}")).spawn(move || helper(&s, i)).ok()?;
            let t = h.thread().clone();
            pool.helpers.push((h, t));
        }
        Some(pool)
    }

    pub fn workers(&self) -> usize {
        self.helpers.len() + 1
    }

    /// `f(i)` for every worker index `i`, all at once; returns when every call has.
    pub fn run(&self, f: &Job<'_>) {
        // SAFETY: only the lifetime changes; the helpers use the pointer only before
        // `run` returns (see `helper`).
        *self.shared.waiter.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread::current());
        let mut fat: *const Job<'static> = unsafe { std::mem::transmute::<*const Job<'_>, *const Job<'static>>(f) };
        self.shared.done.store(0, Ordering::Relaxed);
        self.shared.job.store(&mut fat, Ordering::Relaxed);
        self.shared.round.fetch_add(1, Ordering::Release);
        for (_, t) in &self.helpers {
            t.unpark();
        }
        f(0);
        let start = Instant::now();
        while self.shared.done.load(Ordering::Acquire) < self.helpers.len() {
            if start.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                thread::park_timeout(Duration::from_millis(1));
            }
        }
        // Every helper has returned from `f`: `fat` and `f` may now go out of scope.
        self.shared.job.store(std::ptr::null_mut(), Ordering::Relaxed);
    }
}

fn helper(s: &Shared, i: usize) {
    let mut seen = 0u64;
    loop {
        let start = Instant::now();
        let round = loop {
            if s.stop.load(Ordering::Acquire) {
                return;
            }
            let r = s.round.load(Ordering::Acquire);
            if r != seen {
                break r;
            }
            if start.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                thread::park_timeout(Duration::from_millis(50));
            }
        };
        seen = round;
        // SAFETY: `run` published `job` (a pointer to a fat pointer on its stack) before
        // bumping `round` with Release, which our Acquire load saw; it keeps both alive
        // and unchanged until `done` counts every helper, which we bump only after the
        // call. The job is `Sync`, so calling it from this thread is allowed.
        let f: &Job<'static> = unsafe { &**s.job.load(Ordering::Relaxed) };
        f(i);
        if s.done.fetch_add(1, Ordering::Release) + 1 == s.helpers {
            if let Some(t) = &*s.waiter.lock().unwrap_or_else(|e| e.into_inner()) {
                t.unpark();
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for (h, t) in self.helpers.drain(..) {
            t.unpark();
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pool;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_worker_runs_once_per_round_and_sees_the_callers_borrows() {
        let pool = Pool::new(3).expect("threads");
        for round in 0..1000usize {
            let hits: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
            let base = round * 10;
            pool.run(&|i| {
                hits[i].fetch_add(base + 1, Ordering::Relaxed);
            });
            for h in &hits {
                assert_eq!(h.load(Ordering::Relaxed), base + 1);
            }
        }
    }
}
