//! Per-user and per-session limits: how many sessions a user holds, how fast a session may send.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// Open sessions, by user. A count, not a registry: sessions stay owned by their connections.
#[derive(Clone, Default)]
pub(super) struct SessionCounts {
    inner: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    by_user: BTreeMap<String, usize>,
    opened: u64,
}

/// The gateway's session gauges, served at `GET /stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStats {
    /// Sessions established and not yet released.
    pub open_sessions: u64,
    /// Sessions established since start-up.
    pub opened_sessions: u64,
}

impl SessionCounts {
    /// Takes one of `user`'s `limit` session slots, or `None` if they are all taken.
    pub fn acquire(&self, user: &str, limit: usize) -> Option<SessionSlot> {
        let mut counts = self.inner.lock().expect("session counts lock poisoned");
        let held = counts.by_user.entry(user.to_owned()).or_default();
        if *held >= limit {
            return None;
        }
        *held += 1;
        counts.opened += 1;
        Some(SessionSlot { counts: self.clone(), user: user.to_owned() })
    }

    pub fn stats(&self) -> SessionStats {
        let counts = self.inner.lock().expect("session counts lock poisoned");
        SessionStats {
            open_sessions: counts.by_user.values().sum::<usize>() as u64,
            opened_sessions: counts.opened,
        }
    }
}

/// One open session of a user; dropping it releases the slot, however the session ended.
pub(super) struct SessionSlot {
    counts: SessionCounts,
    user: String,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.inner.lock().expect("session counts lock poisoned");
        if let Some(held) = counts.by_user.get_mut(&self.user) {
            *held -= 1;
            if *held == 0 {
                counts.by_user.remove(&self.user);
            }
        }
    }
}

/// A token bucket over tokio time (simulated time in the simulator).
pub(super) struct RateLimit {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    last: Instant,
}

impl RateLimit {
    pub fn new(burst: u32, per_sec: u32) -> RateLimit {
        let burst = f64::from(burst.max(1));
        RateLimit { tokens: burst, burst, per_sec: f64::from(per_sec), last: Instant::now() }
    }

    /// Takes a token if one is left.
    pub fn admit(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_sec;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until the next token, for the error message.
    pub fn retry_after(&self) -> Duration {
        match self.per_sec > 0.0 {
            true => Duration::from_secs_f64(((1.0 - self.tokens) / self.per_sec).max(0.0)),
            false => Duration::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_holds_at_most_the_limit_and_dropping_a_slot_frees_it() {
        let counts = SessionCounts::default();
        let first = counts.acquire("alice", 2).unwrap();
        let _second = counts.acquire("alice", 2).unwrap();
        assert!(counts.acquire("alice", 2).is_none());
        assert!(counts.acquire("bob", 2).is_some(), "limits are per user");
        drop(first);
        assert!(counts.acquire("alice", 2).is_some());
        assert_eq!(counts.stats().opened_sessions, 4);
    }

    #[test]
    fn released_slots_leave_no_open_sessions() {
        let counts = SessionCounts::default();
        let slots: Vec<_> = (0..3).map(|_| counts.acquire("alice", 5).unwrap()).collect();
        assert_eq!(counts.stats().open_sessions, 3);
        drop(slots);
        assert_eq!(counts.stats(), SessionStats { open_sessions: 0, opened_sessions: 3 });
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_allows_a_burst_then_the_refill_rate() {
        let mut bucket = RateLimit::new(3, 2);
        assert!((0..3).all(|_| bucket.admit()));
        assert!(!bucket.admit());
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(bucket.admit());
        assert!(!bucket.admit());
    }
}
