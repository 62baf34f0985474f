//! A fork-join pool for the breadth-first levels (level.rs): `run(f)` calls `f(i)` for
//! every worker index at once, index 0 on the calling thread, and returns when all have
//! returned.
//!
//! Why not rayon or scoped threads: starting two threads cost 136 µs on the 2-core VMs
//! we measure on (a level's phase can take less), and rayon's sleeping workers woke too
//! late to take the second half of a 2-way split, so the phases ran one after the other.
//! Here the helpers spin briefly between phases (levels follow each other within
//! microseconds) and park when the search pauses.
//!
//! Soundness whatever the job does: helpers borrow the caller's frame through a pointer
//! whose lifetime `run` erases, so `run` must not leave (return or unwind) while any
//! helper may still call the job. A guard waits for every helper before `run`'s frame
//! goes, on the panicking path too; helpers catch their own panics (so they always count
//! themselves done and stay alive for the next round) and hand the payload back, and
//! `run` re-raises it once all have stopped. The pool stays usable after either panic.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    waiter: Mutex<Option<Thread>>,
    /// The first panic a helper caught in the current round, re-raised by `run`.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
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
            waiter: Mutex::new(None),
            panic: Mutex::new(None),
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
    /// A panic in any call is re-raised here, after every call has ended.
    pub fn run(&self, f: &Job<'_>) {
        *lock(&self.shared.waiter) = Some(thread::current());
        // SAFETY: only the lifetime changes; the helpers use the pointer only before
        // `Wait` below is dropped, and `run` cannot leave, by return or unwind, before.
        let mut fat: *const Job<'static> = unsafe { std::mem::transmute::<*const Job<'_>, *const Job<'static>>(f) };
        self.shared.done.store(0, Ordering::Relaxed);
        self.shared.job.store(&mut fat, Ordering::Relaxed);
        let wait = Wait(self);
        self.shared.round.fetch_add(1, Ordering::Release);
        for (_, t) in &self.helpers {
            t.unpark();
        }
        f(0);
        drop(wait);
        if let Some(p) = lock(&self.shared.panic).take() {
            panic::resume_unwind(p);
        }
    }

    /// Blocks until every helper has finished the current round.
    fn wait_helpers(&self) {
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

/// Waits for the helpers when dropped, so that a panic in the caller's `f(0)` cannot
/// unwind `run`'s frame (and the caller's borrows) from under them.
struct Wait<'p>(&'p Pool);

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        self.0.wait_helpers();
    }
}

/// A poisoned lock only means a panic elsewhere; the data (a thread handle, a payload)
/// is still whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
        // Caught so that this helper still counts itself done (else `run` waits forever)
        // and lives on for the next round. The job is not used again after a panic in it:
        // `run` re-raises, so no broken invariant of the caller's data is observed here.
        if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| f(i))) {
            lock(&s.panic).get_or_insert(p);
        }
        if s.done.fetch_add(1, Ordering::Release) + 1 == s.helpers {
            if let Some(t) = &*lock(&s.waiter) {
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
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    /// The panic message of `run(f)`, after checking every worker finished its call
    /// before `run` unwound (the borrowed counter is read after the unwind).
    fn panic_of(pool: &Pool, panicking: usize) -> String {
        let finished = AtomicUsize::new(0);
        let r = catch_unwind(AssertUnwindSafe(|| {
            pool.run(&|i| {
                if i == panicking {
                    panic!("worker {i} fails");
                }
                // The other workers are still running when the panic starts unwinding.
                std::thread::sleep(Duration::from_millis(20));
                finished.fetch_add(1, Ordering::SeqCst);
            })
        }));
        assert_eq!(finished.load(Ordering::SeqCst), pool.workers() - 1, "run unwound before its helpers ended");
        let p = r.expect_err("the panic propagates");
        p.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    /// Ends the test binary if the test hangs (the old pool waited forever for a helper
    /// that panicked): a hang becomes a failure within a bound.
    struct Watchdog(std::sync::Arc<std::sync::atomic::AtomicBool>);

    fn watchdog() -> Watchdog {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let d = done.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(30) {
                if d.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            eprintln!("pool test hung for 30 s");
            std::process::abort();
        });
        Watchdog(done)
    }

    impl Drop for Watchdog {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn still_usable(pool: &Pool) {
        let hits = AtomicUsize::new(0);
        pool.run(&|_| {
            hits.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(hits.load(Ordering::Relaxed), pool.workers());
    }

    #[test]
    fn a_panic_on_the_caller_waits_for_the_helpers_and_propagates() {
        let _w = watchdog();
        let pool = Pool::new(3).expect("threads");
        assert_eq!(panic_of(&pool, 0), "worker 0 fails");
        still_usable(&pool);
    }

    #[test]
    fn a_panic_on_a_helper_propagates_without_hanging() {
        let _w = watchdog();
        let pool = Pool::new(3).expect("threads");
        assert_eq!(panic_of(&pool, 2), "worker 2 fails");
        still_usable(&pool);
        assert_eq!(panic_of(&pool, 1), "worker 1 fails");
        still_usable(&pool);
    }

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

    /// A search makes a pool per run: dropping it must end its threads, or every check
    /// in a long session (the page's worker, a test binary) leaves parked threads behind.
    /// The helpers hold the shared block until they return, so it outlives them only if
    /// they are still there.
    #[test]
    fn dropping_the_pool_ends_its_helper_threads() {
        let _w = watchdog();
        let pool = Pool::new(3).expect("threads");
        still_usable(&pool);
        let shared = std::sync::Arc::downgrade(&pool.shared);
        drop(pool);
        assert!(shared.upgrade().is_none(), "a helper thread outlived its pool");
    }
}
