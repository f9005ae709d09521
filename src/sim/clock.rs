//! Simulated time: the pinned epoch, each host's skewed wall clock, and the run's millisecond.
//!
//! Every host of a run shares the engine's one paused tokio clock, so "now" is the same for all
//! of them; the run's origin (the tokio instant it started at) is kept for this thread while the
//! run lasts, so that clocks, the trace and log lines can say how far into the run they are.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::clock::Clock;

/// The Unix time at which every run starts (2023-11-14T22:13:20Z), so that tokens and
/// identifiers are the same in every run of a seed.
pub const EPOCH_UNIX_SECS: u64 = 1_700_000_000;

pub fn epoch() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(EPOCH_UNIX_SECS)
}

thread_local! {
    static ORIGIN: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Marks this thread as running a simulation that started at `origin`, until the guard drops.
pub fn start(origin: Instant) -> RunClock {
    ORIGIN.set(Some(origin));
    RunClock(())
}

/// While it lives, [`elapsed`] reads the running simulation's time.
pub struct RunClock(());

impl Drop for RunClock {
    fn drop(&mut self) {
        ORIGIN.set(None);
    }
}

/// Simulated time since the running simulation started, or `None` outside one.
pub fn elapsed() -> Option<Duration> {
    ORIGIN.get().map(|origin| origin.elapsed())
}

/// A host's wall clock: the simulation's time since the epoch, offset by the host's skew.
#[derive(Clone, Copy, Debug)]
pub struct SimClock {
    skew_ms: i64,
}

impl SimClock {
    pub fn skewed(skew_ms: i64) -> SimClock {
        SimClock { skew_ms }
    }
}

impl Clock for SimClock {
    fn since_epoch(&self) -> Duration {
        let elapsed = elapsed().expect("a simulated clock is read only inside a simulation");
        let now = Duration::from_secs(EPOCH_UNIX_SECS) + elapsed;
        let skew = Duration::from_millis(self.skew_ms.unsigned_abs());
        if self.skew_ms >= 0 { now + skew } else { now.saturating_sub(skew) }
    }
}

/// The Unix seconds a host skewed by `skew_ms` reads at the trace's millisecond `at_ms`: what its
/// [`SimClock`] said then. The trace's milliseconds are truncated, but a clock's whole second
/// changes only on a whole millisecond (the epoch and every skew are whole milliseconds), so this
/// is exact.
pub fn unix_secs_at(at_ms: u64, skew_ms: i64) -> u64 {
    let ms = i128::from(EPOCH_UNIX_SECS) * 1000 + i128::from(at_ms) + i128::from(skew_ms);
    u64::try_from(ms.max(0) / 1000).expect("seconds since the epoch fit in u64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_host_clock_read_at_a_trace_millisecond_says_what_unix_secs_at_computes() {
        let _run = start(Instant::now());
        for step in [0, 999_600, 400, 1, 60_234_700] {
            tokio::time::advance(Duration::from_micros(step)).await;
            let at_ms = u64::try_from(elapsed().unwrap().as_millis()).unwrap();
            for skew_ms in [-90_000, -1500, -1, 0, 1, 999] {
                assert_eq!(
                    SimClock::skewed(skew_ms).unix_secs(),
                    unix_secs_at(at_ms, skew_ms),
                    "at {at_ms} ms, skewed {skew_ms} ms"
                );
            }
        }
    }
}
