//! The caller host: sends the scenario's requests straight to auth and idgen, each at its time on
//! a connection of its own, and records each request and its answer, status and body, for the
//! checkers (`docs/design.md` §2.1, §2.2).

use std::time::Duration;

use futures_util::future::join_all;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

use super::clock::unix_secs_at;
use super::engine::Engine;
use super::hosts::{AUTH_PORT, IDGEN_PORT, service_secret};
use super::net::SimNet;
use super::scenario::{AUTH, CALL_TIMEOUT_MS, CALLER_HOST, Scenario, ServiceCall, ServiceRequest, TokenKind};
use super::seeds::{Purpose, rng};
use super::trace::{Event, Recorder};
use super::workload::{mint_token, padded_token};
use crate::net::Net;
use crate::services::auth::SERVICE_SECRET_HEADER;

const CALL_TIMEOUT: Duration = Duration::from_millis(CALL_TIMEOUT_MS);
/// The most of an answer's body that is read: the services' answers are a few hundred bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Installs the caller host, if the scenario has calls. It finishes once every call has ended.
pub(super) fn register(engine: &mut Engine, scenario: &Scenario, recorder: &Recorder) {
    if scenario.service_calls.is_empty() {
        return;
    }
    let (calls, seed, recorder) = (scenario.service_calls.clone(), scenario.seed, recorder.clone());
    engine.install(
        CALLER_HOST,
        Box::new(move |handle, _| {
            let net = SimNet::new(handle, None, 0);
            let calls = calls.clone();
            let recorder = recorder.clone();
            Box::pin(async move {
                let calls = calls.into_iter().enumerate().map(|(index, call)| {
                    let (net, recorder) = (net.clone(), recorder.clone());
                    async move { make(&net, index, call, seed, &recorder).await }
                });
                join_all(calls).await;
                Ok(())
            })
        }),
    );
}

async fn make(net: &SimNet, index: usize, call: ServiceCall, seed: u64, recorder: &Recorder) {
    tokio::time::sleep(Duration::from_millis(call.at_ms)).await;
    let request = request(&call.request, call.at_ms, seed);
    recorder.record(CALLER_HOST, Event::Called { call: index, request: call.request.clone() });
    let address = match call.request.service() {
        AUTH => format!("{AUTH}:{AUTH_PORT}"),
        other => format!("{other}:{IDGEN_PORT}"),
    };
    let answer = tokio::time::timeout(CALL_TIMEOUT, exchange(net, &address, request)).await;
    let event = match answer {
        Ok(Ok((status, body))) => Event::CallAnswered { call: index, status, body },
        Ok(Err(reason)) => Event::CallFailed { call: index, reason },
        Err(_) => Event::CallFailed { call: index, reason: format!("no answer within {CALL_TIMEOUT:?}") },
    };
    recorder.record(CALLER_HOST, event);
}

/// The HTTP request for `request`, made at `at_ms` of the run.
fn request(request: &ServiceRequest, at_ms: u64, seed: u64) -> Request<Full<Bytes>> {
    let builder = |method, path: &str| Request::builder().method(method).uri(path).header("host", "gatesim");
    let json = |builder: hyper::http::request::Builder, body: serde_json::Value| {
        builder
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request of constant parts")
    };
    match request {
        ServiceRequest::Health { .. } => builder(Method::GET, "/healthz")
            .body(Full::new(Bytes::new()))
            .expect("a request of constant parts"),
        ServiceRequest::Validate { secret, token_bytes } => {
            let mut rng = rng(seed, Purpose::Caller);
            let now = unix_secs_at(at_ms, 0);
            let token = match token_bytes {
                Some(bytes) => {
                    padded_token("alice", now, *bytes).expect("validated: a length a JWT can have")
                }
                None => mint_token(TokenKind::default(), "alice", now, &mut rng).token,
            };
            let mut builder = builder(Method::POST, "/auth/validate");
            if let Some(value) = secret.present(service_secret().expose()) {
                builder = builder.header(SERVICE_SECRET_HEADER, value);
            }
            json(builder, serde_json::json!({ "token": token }))
        }
        ServiceRequest::Ids { user_id } => {
            json(builder(Method::POST, "/ids/session"), serde_json::json!({ "user_id": user_id }))
        }
    }
}

/// Sends `request` to `address` on a new connection: the answer's status and body.
async fn exchange(
    net: &SimNet,
    address: &str,
    request: Request<Full<Bytes>>,
) -> Result<(u16, String), String> {
    let stream = net.connect(address).await.map_err(|error| format!("connect failed: {error}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| error.to_string())?;
    net.spawn(async move {
        let _ = connection.await;
    });
    let response = sender.send_request(request).await.map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|error| error.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
