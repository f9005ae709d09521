//! Simulated time: the pinned epoch, each host's skewed wall clock, and the run's millisecond.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::clock::Clock;

/// The Unix time at which every run starts (2023-11-14T22:13:20Z). Pinned: turmoil's default is
/// the machine's clock at build time, which would make tokens and identifiers differ per run.
pub const EPOCH_UNIX_SECS: u64 = 1_700_000_000;

pub fn epoch() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(EPOCH_UNIX_SECS)
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
        let now = turmoil::since_epoch().expect("a simulated clock is read only inside a simulated host");
        let skew = Duration::from_millis(self.skew_ms.unsigned_abs());
        if self.skew_ms >= 0 { now + skew } else { now.saturating_sub(skew) }
    }
}

/// Milliseconds of simulated time since the run started, as seen by the running host.
pub fn now_ms() -> u64 {
    let elapsed = turmoil::sim_elapsed().expect("simulated time is read only inside a simulated host");
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}
