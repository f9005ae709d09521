//! The three services of the system under test. Each `serve` takes its [`Net`](crate::net::Net),
//! an already-bound listener and a shutdown future, and its clock and randomness injected, so the
//! same code runs on loopback and in the simulator. All three serve their routers with
//! `accept::serve`, which starts every connection's task through the net.

pub(crate) mod accept;
pub mod auth;
pub mod gateway;
pub mod idgen;

use std::fmt;
use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// A shared secret. Its `Debug` never shows the value, so configs can be logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A service's cold start: it accepts connections at once but answers 503 until `warmup` has
/// passed, as a container that is up before its dependencies are loaded does.
#[derive(Clone, Copy, Debug)]
pub struct Readiness {
    ready_at: tokio::time::Instant,
}

impl Readiness {
    pub fn after(warmup: Duration) -> Readiness {
        Readiness { ready_at: tokio::time::Instant::now() + warmup }
    }

    pub fn is_ready(&self) -> bool {
        tokio::time::Instant::now() >= self.ready_at
    }

    /// The `GET /healthz` answer.
    pub fn health(&self) -> StatusCode {
        if self.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }
    }
}
