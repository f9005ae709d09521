//! gateway: the WebSocket endpoint `GET /ws` for agent chat.
//!
//! - `upgrade`: the HTTP handshake, where the token is taken (401 without one);
//! - `connect`: auth, then idgen, with bounded retries; the one place a context is created;
//! - `session`: one connection's loop, which reuses that context for every frame;
//! - `agent`: the deterministic agent that answers user messages;
//! - `limits`: sessions per user and messages per second;
//! - `legacy`: the incidents' architecture, kept as planted bugs for the harness's self-tests.
//!
//! There is no registry of handlers: each connection owns its context and its handler.

mod agent;
mod config;
mod connect;
mod legacy;
mod limits;
mod session;
mod upgrade;

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rand::Rng as _;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use agent::{AgentResult, result_for};
pub use config::{AgentTiming, Environment, GatewayConfig, Limits, Mode, RetryPolicy};
pub use limits::SessionStats;

use super::accept;
use crate::clock::{Rng, SharedClock, seeded_rng};
use crate::http::Connections;
use crate::net::Net;
use limits::SessionCounts;

struct Gateway<N> {
    config: GatewayConfig,
    net: N,
    /// Kept-alive connections to auth and to idgen, shared by every session's calls.
    auth: Connections,
    idgen: Connections,
    /// Each session draws its own RNG seed from here once, so a session's delays do not depend
    /// on how other sessions interleave.
    seeds: Mutex<Rng>,
    /// Cancelled when shutdown starts: sessions finish in-flight messages, then close with 1000.
    draining: CancellationToken,
    sessions: TaskTracker,
    counts: SessionCounts,
}

impl<N> Gateway<N> {
    fn session_rng(&self) -> Rng {
        seeded_rng(self.seeds.lock().expect("gateway seed lock poisoned").random())
    }
}

/// Serves the gateway on `listener` until `shutdown` completes, then drains sessions.
pub async fn serve<N: Net>(
    net: N,
    listener: N::Listener,
    config: GatewayConfig,
    clock: SharedClock,
    rng: Rng,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    tracing::info!(mode = %config.mode, environment = %config.environment.label, "gateway starting");
    let gateway = Arc::new(Gateway {
        auth: Connections::new(&config.auth_addr),
        idgen: Connections::new(&config.idgen_addr),
        config,
        net,
        seeds: Mutex::new(rng),
        draining: CancellationToken::new(),
        sessions: TaskTracker::new(),
        counts: SessionCounts::default(),
    });
    let router = Router::new()
        .route("/ws", get(upgrade::handle::<N>))
        .route("/healthz", get(|| async { StatusCode::OK }))
        .route("/stats", get(stats::<N>))
        .with_state(Arc::clone(&gateway));
    let draining = gateway.draining.clone();
    let shutdown = async move {
        shutdown.await;
        draining.cancel();
    };
    accept::serve(&gateway.net, listener, router, clock, shutdown).await?;
    // Each session bounds its own drain by `shutdown_grace`, so this wait is bounded too.
    gateway.sessions.close();
    gateway.sessions.wait().await;
    Ok(())
}

/// `GET /stats`: the session gauges, so a harness can check that every session was released.
async fn stats<N: Net>(State(gateway): State<Arc<Gateway<N>>>) -> Json<SessionStats> {
    Json(gateway.counts.stats())
}
