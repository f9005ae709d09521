//! The gateway's limits and retry policy as a scenario sets them: plain data in milliseconds and
//! counts, every default the gateway's own (`src/services/gateway/config.rs`), so that a scenario
//! file that names none of them runs the gateway as it ships.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::services::gateway::{GatewayConfig, Limits, RetryPolicy};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayLimits {
    /// Open sessions per user; the next gets `TOO_MANY_SESSIONS` and 1008. Default 20.
    pub sessions_per_user: usize,
    /// User messages a session may send at once (its token bucket's size). Default 20.
    pub message_burst: u32,
    /// ...and per second after that; over it, `RATE_LIMITED`. Default 10.
    pub messages_per_sec: u32,
    /// Frames waiting to be written to one client; overflowing it is `SLOW_CONSUMER` and 1008.
    /// Default 256.
    pub outbound_frames: usize,
    /// User messages accepted but not yet run, per session; beyond it the gateway stops reading
    /// the socket. Default 64.
    pub max_queued_messages: usize,
    /// Largest client frame; a larger one is `MESSAGE_TOO_BIG` and 1009. Default 65 536.
    pub max_frame_bytes: usize,
    /// The connect sequence's deadline, auth and idgen together; past it, 1013. Default 5000.
    pub connect_deadline_ms: u64,
    /// Bound on one call to auth or idgen. Default 1000.
    pub per_try_timeout_ms: u64,
    /// The connect sequence's retry backoff: the first wait and the cap. Default 100..1000.
    pub backoff_ms: (u64, u64),
}

impl Default for GatewayLimits {
    fn default() -> GatewayLimits {
        let config = GatewayConfig::new("", "", crate::services::Secret::new(""));
        let (limits, retry) = (Limits::default(), RetryPolicy::default());
        GatewayLimits {
            sessions_per_user: limits.sessions_per_user,
            message_burst: limits.message_burst,
            messages_per_sec: limits.messages_per_sec,
            outbound_frames: limits.outbound_frames,
            max_queued_messages: config.max_queued_messages,
            max_frame_bytes: config.max_frame_bytes,
            connect_deadline_ms: millis(retry.connect_deadline),
            per_try_timeout_ms: millis(retry.per_try_timeout),
            backoff_ms: (millis(retry.first_backoff), millis(retry.max_backoff)),
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).expect("the gateway's defaults are seconds")
}

impl GatewayLimits {
    /// How the gateway retries auth and idgen under these limits.
    pub fn retry(&self) -> RetryPolicy {
        RetryPolicy {
            per_try_timeout: Duration::from_millis(self.per_try_timeout_ms),
            connect_deadline: Duration::from_millis(self.connect_deadline_ms),
            first_backoff: Duration::from_millis(self.backoff_ms.0),
            max_backoff: Duration::from_millis(self.backoff_ms.1),
        }
    }

    /// Sets these limits on `config`, but not the retry policy, which the simulation takes from
    /// `hosts::gateway_retry` alone; the idle timeout is the scenario's own field.
    pub fn apply(&self, config: &mut GatewayConfig) {
        config.max_frame_bytes = self.max_frame_bytes;
        config.max_queued_messages = self.max_queued_messages;
        config.limits.sessions_per_user = self.sessions_per_user;
        config.limits.message_burst = self.message_burst;
        config.limits.messages_per_sec = self.messages_per_sec;
        config.limits.outbound_frames = self.outbound_frames;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_and_its_release_window_wait_out_the_scenarios_connect_deadline() {
        let mut scenario = crate::sim::scenario::Scenario::default();
        let (run, window) = (scenario.duration_ms(), scenario.release_window_ms());
        scenario.limits.connect_deadline_ms += 1000;
        assert_eq!((scenario.duration_ms(), scenario.release_window_ms()), (run + 1000, window + 1000));
    }

    #[test]
    fn the_default_limits_leave_the_gateway_as_it_ships() {
        let shipped = GatewayConfig::new("a", "i", crate::services::Secret::new("s"));
        let mut applied = shipped.clone();
        GatewayLimits::default().apply(&mut applied);
        assert_eq!(GatewayLimits::default().retry(), shipped.retry);
        assert_eq!(applied.limits, shipped.limits);
        assert_eq!(
            (applied.max_frame_bytes, applied.max_queued_messages),
            (shipped.max_frame_bytes, shipped.max_queued_messages)
        );
    }
}
