//! The connect sequence: validate the token with auth, ask idgen for the session's identifiers,
//! build the context and validate it strictly. This is the only place a context is created.
//!
//! Both calls retry transient failures with backoff under one overall deadline; what is still
//! failing when the deadline passes is named in a 1013, never a 1011.

use std::future::Future;
use std::time::Duration;

use rand::Rng as _;
use tokio::time::Instant;

use super::limits::SessionSlot;
use super::{Gateway, RetryPolicy, legacy};
use crate::clock::Rng;
use crate::context::{SessionContext, SessionIds};
use crate::http::{HttpError, post_json};
use crate::net::Net;
use crate::protocol::ErrorCode;
use crate::services::auth::{SERVICE_SECRET_HEADER, ValidateRequest, ValidateResponse};
use crate::services::idgen::SessionRequest;
use crate::token::TokenError;

/// Why a session could not be established: the error frame to send before closing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ConnectFailure {
    pub code: ErrorCode,
    pub message: String,
}

impl ConnectFailure {
    fn new(code: ErrorCode, message: impl Into<String>) -> ConnectFailure {
        ConnectFailure { code, message: message.into() }
    }
}

/// A dependency call that kept failing.
struct Exhausted {
    attempts: u32,
    last: HttpError,
}

/// The session's context, and the user's session slot it holds while open.
pub(super) async fn establish<N: Net>(
    gateway: &Gateway<N>,
    token: &str,
    rng: &mut Rng,
) -> Result<(SessionContext, SessionSlot), ConnectFailure> {
    let config = &gateway.config;
    let deadline = Instant::now() + config.retry.connect_deadline;
    let user_id = authenticate(gateway, token, deadline, rng).await?;
    let limit = config.limits.sessions_per_user;
    let Some(slot) = gateway.counts.acquire(&user_id, limit) else {
        let message = format!("this user already has {limit} open sessions");
        return Err(ConnectFailure::new(ErrorCode::TooManySessions, message));
    };

    let request = SessionRequest { user_id: user_id.clone() };
    let (net, idgen, request) = (&gateway.net, &gateway.idgen, &request);
    let ids = retrying(&config.retry, deadline, rng, move |timeout| {
        post_json::<_, _, SessionIds>(net, idgen, "/ids/session", &[], request, timeout)
    })
    .await;
    let ids = match ids {
        Ok(ids) => ids,
        Err(exhausted) => {
            let failure = dependency_failure("idgen", ErrorCode::IdgenUnavailable, &config.retry, exhausted);
            let context = legacy::accommodate_idgen_outage(config, &user_id).ok_or(failure)?;
            return Ok((context, slot));
        }
    };
    let context = SessionContext::build(&user_id, ids).map_err(|error| {
        ConnectFailure::new(ErrorCode::Internal, format!("context validation failed: {error}"))
    })?;
    Ok((context, slot))
}

/// The user the token belongs to, by auth's verdict.
async fn authenticate<N: Net>(
    gateway: &Gateway<N>,
    token: &str,
    deadline: Instant,
    rng: &mut Rng,
) -> Result<String, ConnectFailure> {
    let config = &gateway.config;
    let secret = config.service_secret.expose();
    let request = ValidateRequest { token: token.to_owned() };
    let headers = [(SERVICE_SECRET_HEADER, secret)];
    let (net, auth, request, headers) = (&gateway.net, &gateway.auth, &request, &headers);
    let verdict = retrying(&config.retry, deadline, rng, move |timeout| {
        post_json::<_, _, ValidateResponse>(net, auth, "/auth/validate", headers, request, timeout)
    })
    .await
    .map_err(|exhausted| dependency_failure("auth", ErrorCode::AuthUnavailable, &config.retry, exhausted))?;

    match (verdict.valid, verdict.user_id, verdict.error) {
        (true, Some(user_id), _) => Ok(user_id),
        (true, None, _) => {
            Err(ConnectFailure::new(ErrorCode::Internal, "auth accepted the token but named no user"))
        }
        (false, _, Some(TokenError::Expired)) => {
            Err(ConnectFailure::new(ErrorCode::TokenExpired, "token expired"))
        }
        (false, _, error) => {
            let reason = error.map_or_else(|| "no reason given".to_owned(), |e| e.to_string());
            Err(ConnectFailure::new(ErrorCode::AuthFailed, format!("token refused: {reason}")))
        }
    }
}

fn dependency_failure(
    name: &str,
    unavailable: ErrorCode,
    retry: &RetryPolicy,
    exhausted: Exhausted,
) -> ConnectFailure {
    let Exhausted { attempts, last } = exhausted;
    if last.is_transient() {
        let deadline = retry.connect_deadline;
        ConnectFailure::new(
            unavailable,
            format!("{name} unavailable: no answer within {deadline:?} ({attempts} attempts, last: {last})"),
        )
    } else {
        // Our own request was refused (a wrong service secret, say): a gateway defect, not timing.
        ConnectFailure::new(ErrorCode::Internal, format!("{name} refused the gateway's request: {last}"))
    }
}

/// Calls `call` with a per-try timeout until it succeeds, fails permanently, or `deadline` passes.
async fn retrying<T, F: Future<Output = Result<T, HttpError>>>(
    policy: &RetryPolicy,
    deadline: Instant,
    rng: &mut Rng,
    mut call: impl FnMut(Duration) -> F,
) -> Result<T, Exhausted> {
    let mut backoff = policy.first_backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let timeout = policy.per_try_timeout.min(remaining);
        let last = match call(timeout).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        if !last.is_transient() || remaining.is_zero() {
            return Err(Exhausted { attempts, last });
        }
        // Jitter spreads the retries of sessions that failed together.
        let jittered = backoff.mul_f64(rng.random_range(0.5..=1.0));
        tokio::time::sleep(jittered.min(remaining)).await;
        backoff = (backoff * 2).min(policy.max_backoff);
        if Instant::now() >= deadline {
            return Err(Exhausted { attempts, last });
        }
    }
}
