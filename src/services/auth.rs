//! auth: validates access tokens for the gateway (`POST /auth/validate`, `GET /healthz`).

use std::collections::BTreeSet;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{Readiness, Secret, accept};
use crate::clock::SharedClock;
use crate::net::Net;
use crate::token::{TokenError, Verifier};

/// The header the gateway proves itself with.
pub const SERVICE_SECRET_HEADER: &str = "x-service-secret";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthConfig {
    /// The HS256 key tokens are signed with.
    pub jwt_secret: Secret,
    /// What callers must send in `X-Service-Secret`.
    pub service_secret: Secret,
    /// Users who exist. A valid token for anyone else is `unknown_user`.
    pub users: BTreeSet<String>,
    /// Tolerance for clock differences when checking `exp` and `nbf`. Default 2 s.
    pub leeway_secs: u64,
    /// How long after start-up the service answers 503. Default 0.
    pub warmup: Duration,
}

impl AuthConfig {
    pub fn new(jwt_secret: Secret, service_secret: Secret, users: BTreeSet<String>) -> AuthConfig {
        AuthConfig { jwt_secret, service_secret, users, leeway_secs: 2, warmup: Duration::ZERO }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ValidateRequest {
    pub token: String,
}

/// `{"valid": true, "user_id", "email", "permissions", "expires_at"}` or
/// `{"valid": false, "error"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateResponse {
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TokenError>,
}

impl ValidateResponse {
    fn rejected(error: TokenError) -> ValidateResponse {
        ValidateResponse {
            valid: false,
            user_id: None,
            email: None,
            permissions: None,
            expires_at: None,
            error: Some(error),
        }
    }
}

struct Auth {
    config: AuthConfig,
    verifier: Verifier,
    clock: SharedClock,
    readiness: Readiness,
}

/// Serves auth on `listener` until `shutdown` completes.
pub async fn serve<N: Net>(
    net: N,
    listener: N::Listener,
    config: AuthConfig,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let auth = Arc::new(Auth {
        verifier: Verifier::new(config.jwt_secret.expose().as_bytes(), config.leeway_secs),
        readiness: Readiness::after(config.warmup),
        config,
        clock: Arc::clone(&clock),
    });
    let router =
        Router::new().route("/auth/validate", post(validate)).route("/healthz", get(health)).with_state(auth);
    accept::serve(&net, listener, router, clock, shutdown).await
}

async fn health(State(auth): State<Arc<Auth>>) -> StatusCode {
    auth.readiness.health()
}

async fn validate(
    State(auth): State<Arc<Auth>>,
    headers: HeaderMap,
    Json(request): Json<ValidateRequest>,
) -> Response {
    if !auth.readiness.is_ready() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let presented = headers.get(SERVICE_SECRET_HEADER).map(|v| v.as_bytes());
    if presented != Some(auth.config.service_secret.expose().as_bytes()) {
        tracing::warn!("validate call without the right service secret");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(auth.check(&request.token)).into_response()
}

impl Auth {
    fn check(&self, token: &str) -> ValidateResponse {
        let claims = match self.verifier.verify(token, self.clock.unix_secs()) {
            Ok(claims) => claims,
            Err(error) => {
                tracing::debug!(%error, "token refused");
                return ValidateResponse::rejected(error);
            }
        };
        if !self.config.users.contains(&claims.sub) {
            return ValidateResponse::rejected(TokenError::UnknownUser);
        }
        ValidateResponse {
            valid: true,
            user_id: Some(claims.sub),
            email: claims.email,
            permissions: Some(claims.permissions),
            expires_at: Some(claims.exp),
            error: None,
        }
    }
}
