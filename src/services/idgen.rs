//! idgen: issues the identifiers of a session (`POST /ids/session`, `GET /healthz`).

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use super::{Readiness, accept};
use crate::clock::{Rng, SharedClock};
use crate::context::{SessionIds, validate_user_id};
use crate::ids::{Id, IdKind};
use crate::net::Net;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IdgenConfig {
    /// How long after start-up the service answers 503. Default 0.
    pub warmup: Duration,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SessionRequest {
    pub user_id: String,
}

/// The state of one process lifetime.
struct Issuer {
    boot: String,
    counter: u64,
    rng: Rng,
}

impl Issuer {
    fn issue(&mut self, kind: IdKind) -> String {
        self.counter += 1;
        let id = Id { kind, boot: self.boot.clone(), counter: self.counter, rand: self.rng.random() };
        id.to_string()
    }
}

struct Idgen {
    issuer: Mutex<Issuer>,
    readiness: Readiness,
}

/// Serves idgen on `listener` until `shutdown` completes.
pub async fn serve<N: Net>(
    net: N,
    listener: N::Listener,
    config: IdgenConfig,
    clock: SharedClock,
    rng: Rng,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Start time in milliseconds: later lifetimes of this service always have a larger boot, so
    // identifiers stay unique across restarts without any persistent state.
    let boot = format!("{:x}", clock.since_epoch().as_millis());
    tracing::info!(%boot, "idgen starting");
    let idgen = Arc::new(Idgen {
        issuer: Mutex::new(Issuer { boot, counter: 0, rng }),
        readiness: Readiness::after(config.warmup),
    });
    let router = Router::new()
        .route("/ids/session", post(session_ids))
        .route("/healthz", get(health))
        .with_state(idgen);
    accept::serve(&net, listener, router, clock, shutdown).await
}

async fn health(State(idgen): State<Arc<Idgen>>) -> StatusCode {
    idgen.readiness.health()
}

async fn session_ids(State(idgen): State<Arc<Idgen>>, Json(request): Json<SessionRequest>) -> Response {
    if !idgen.readiness.is_ready() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if let Err(error) = validate_user_id(&request.user_id) {
        return (StatusCode::BAD_REQUEST, error.to_string()).into_response();
    }
    let mut issuer = idgen.issuer.lock().expect("idgen issuer lock poisoned");
    let ids = SessionIds {
        context_id: issuer.issue(IdKind::Context),
        thread_id: issuer.issue(IdKind::Thread),
        run_id: issuer.issue(IdKind::Run),
        websocket_client_id: issuer.issue(IdKind::WebsocketClient),
    };
    Json(ids).into_response()
}
