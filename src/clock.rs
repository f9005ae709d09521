//! The wall-clock seam, and the seeded randomness every service takes.
//!
//! Timers and timeouts always go through `tokio::time`, which the simulator controls. Wall-clock
//! time is needed only where it crosses a process boundary: token `exp`/`nbf`/`iat` and the `boot`
//! component of identifiers. It comes from an injected [`Clock`], never from `SystemTime::now`
//! directly, so that the simulator can pin the epoch and skew each host's clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::SeedableRng;

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// Time elapsed since the Unix epoch.
    fn since_epoch(&self) -> Duration;

    fn unix_secs(&self) -> u64 {
        self.since_epoch().as_secs()
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The machine's clock, for `gatesim serve` and the CLI only.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn since_epoch(&self) -> Duration {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
    }
}

/// The random number generator every service is handed. ChaCha8 is portable: the same seed gives
/// the same stream on every platform, which is what makes a seed reproducible on any machine.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator seeded from the operating system, for real servers only.
pub fn os_seeded_rng() -> Rng {
    Rng::from_os_rng()
}

/// A generator derived deterministically from a seed.
pub fn seeded_rng(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}
