//! The gateway's configuration: plain data, every default documented.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::services::Secret;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GatewayConfig {
    /// Where auth listens, `host:port`.
    pub auth_addr: String,
    /// Where idgen listens, `host:port`.
    pub idgen_addr: String,
    /// Sent to auth in `X-Service-Secret`.
    pub service_secret: Secret,
    /// Default [`Mode::Fixed`]; the others reproduce the incidents.
    pub mode: Mode,
    /// The deployment environment. The fixed gateway only reports it: it must behave the same in
    /// every environment.
    pub environment: Environment,
    pub retry: RetryPolicy,
    /// Largest accepted client frame. Default 64 KiB; larger ones close the session with 1009.
    pub max_frame_bytes: usize,
    /// WebSocket read and write buffer size per session. Default 4 KiB: tungstenite's 128 KiB
    /// default makes a thousand idle sessions cost hundreds of megabytes.
    pub ws_buffer_bytes: usize,
    /// User messages accepted but not yet run, per session. Default 64; beyond it the gateway
    /// stops reading the socket (backpressure) rather than dropping anything.
    pub max_queued_messages: usize,
    pub agent: AgentTiming,
    pub limits: Limits,
    /// How long a shutdown waits for in-flight messages before closing anyway. Default 5 s.
    pub shutdown_grace: Duration,
}

impl GatewayConfig {
    pub fn new(auth_addr: impl Into<String>, idgen_addr: impl Into<String>, service_secret: Secret) -> Self {
        GatewayConfig {
            auth_addr: auth_addr.into(),
            idgen_addr: idgen_addr.into(),
            service_secret,
            mode: Mode::Fixed,
            environment: Environment::default(),
            retry: RetryPolicy::default(),
            max_frame_bytes: 64 * 1024,
            ws_buffer_bytes: 4 * 1024,
            max_queued_messages: 64,
            agent: AgentTiming::default(),
            limits: Limits::default(),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// How the connect sequence retries auth and idgen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Bound on one call. Default 1 s.
    pub per_try_timeout: Duration,
    /// Bound on the whole connect sequence, auth and idgen together. Default 5 s; past it the
    /// client gets 1013 naming the dependency that did not answer.
    pub connect_deadline: Duration,
    /// Wait before the second try; it doubles up to `max_backoff`, with jitter. Default 100 ms.
    pub first_backoff: Duration,
    /// Default 1 s.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            per_try_timeout: Duration::from_secs(1),
            connect_deadline: Duration::from_secs(5),
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        }
    }
}

/// What one user or one session may consume. Each limit has its own error code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Open sessions per user. Default 20; the next is refused with `TOO_MANY_SESSIONS` and 1008.
    pub sessions_per_user: usize,
    /// Token bucket for user messages: this many at once... Default 20.
    pub message_burst: u32,
    /// ...refilled at this rate. Default 10 per second. Over it: `RATE_LIMITED`, session stays.
    pub messages_per_sec: u32,
    /// A session from which nothing (not even a pong) arrives for this long is closed with
    /// `IDLE_TIMEOUT` and 1008; the server pings at a third of it. Default 30 s. This is also how
    /// half-open connections (a client host that vanished) are freed.
    pub idle_timeout: Duration,
    /// Frames waiting to be written to one client. Default 256; a client that lets it overflow
    /// is closed with `SLOW_CONSUMER` and 1008 rather than growing memory.
    pub outbound_frames: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sessions_per_user: 20,
            message_burst: 20,
            messages_per_sec: 10,
            idle_timeout: Duration::from_secs(30),
            outbound_frames: 256,
        }
    }
}

/// How long the agent thinks and how long its tool runs; each delay is drawn from the session's
/// seeded RNG within these bounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentTiming {
    /// Default 5..=50 ms.
    pub think_ms: (u64, u64),
    /// Default 10..=100 ms.
    pub tool_ms: (u64, u64),
}

impl Default for AgentTiming {
    fn default() -> Self {
        AgentTiming { think_ms: (5, 50), tool_ms: (10, 100) }
    }
}

/// The gateway's architecture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The context is created once per session and reused for every message.
    #[default]
    Fixed,
    /// Planted bug: every message rebuilds the context through idgen and checks it against the
    /// session's, closing with 1011 on a mismatch or a timeout.
    PerMessageContext,
    /// Planted bug: when the environment looks like staging or Cloud Run, an idgen outage at connect
    /// is papered over with a fallback context instead of a 1013.
    EnvironmentAccommodation,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Fixed, Mode::PerMessageContext, Mode::EnvironmentAccommodation];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Fixed => "fixed",
            Mode::PerMessageContext => "per-message-context",
            Mode::EnvironmentAccommodation => "environment-accommodation",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Mode, String> {
        Mode::ALL.into_iter().find(|m| m.name() == text).ok_or_else(|| {
            let names: Vec<_> = Mode::ALL.iter().map(|m| m.name()).collect();
            format!("unknown mode {text:?}; expected one of {}", names.join(", "))
        })
    }
}

/// The environment a service is deployed in: a label and the variables a platform sets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Environment {
    /// `dev`, `staging`, ... Default `dev`.
    pub label: String,
    /// Platform variables such as `K_SERVICE` (set by Cloud Run).
    pub vars: BTreeMap<String, String>,
}

impl Default for Environment {
    fn default() -> Self {
        Environment { label: "dev".to_owned(), vars: BTreeMap::new() }
    }
}

impl Environment {
    pub fn labelled(label: &str) -> Environment {
        Environment { label: label.to_owned(), vars: BTreeMap::new() }
    }

    /// The detection the incidents' code used. Only the legacy mode consults it.
    pub fn looks_like_staging(&self) -> bool {
        let project = self.vars.get("GOOGLE_CLOUD_PROJECT").map(String::as_str).unwrap_or("");
        self.label == "staging" || self.vars.contains_key("K_SERVICE") || project.contains("staging")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_from_their_names() {
        for mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>(), Ok(mode));
        }
        assert!("turbo".parse::<Mode>().unwrap_err().contains("per-message-context"));
    }

    #[test]
    fn staging_is_detected_from_the_label_or_cloud_run_variables() {
        assert!(!Environment::default().looks_like_staging());
        assert!(Environment::labelled("staging").looks_like_staging());
        let mut cloud_run = Environment::default();
        cloud_run.vars.insert("K_SERVICE".into(), "gateway".into());
        assert!(cloud_run.looks_like_staging());
    }
}
