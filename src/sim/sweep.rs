//! Many seeds on many threads. Runs are independent and deterministic, so the threads change only
//! how long a sweep takes, never what any run does.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Calls `run` for each of `seeds` on `jobs` threads, taking seeds in order while `keep_going`
/// holds, and returns the results sorted by seed.
pub fn across_threads<T: Send>(
    seeds: &[u64],
    jobs: usize,
    keep_going: impl Fn() -> bool + Sync,
    run: impl Fn(u64) -> T + Sync,
) -> Vec<(u64, T)> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                while keep_going() {
                    let Some(&seed) = seeds.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                    let result = run(seed);
                    results.lock().expect("sweep threads do not panic holding the lock").push((seed, result));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("sweep threads do not panic holding the lock");
    results.sort_by_key(|(seed, _)| *seed);
    results
}
