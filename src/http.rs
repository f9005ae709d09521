//! A minimal JSON-over-HTTP/1.1 client over any [`Net`]: how the gateway talks to auth and idgen.
//!
//! Calls to a service reuse its idle keep-alive connections ([`Connections`]): a new connection
//! for every call cost a TCP handshake and a close each time, and with twenty sessions arriving
//! a millisecond the gateway's ephemeral ports ran short.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::net::Net;

/// Responses from our own services are small; anything larger is a fault, not data.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// hyper reads into an 8 KiB buffer by default; our services' answers are a few hundred bytes,
/// and a gateway accepting thousands of sessions at once has thousands of calls in flight. A
/// response head must fit in it; a body is read through it in as many pieces as it takes.
const READ_BUFFER_BYTES: usize = 2 * 1024;

#[derive(Debug, Error)]
pub enum HttpError {
    #[error("connect failed: {0}")]
    Connect(std::io::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("HTTP exchange failed: {0}")]
    Exchange(String),
    #[error("status {0}")]
    Status(StatusCode),
    #[error("unreadable response body: {0}")]
    Body(String),
}

impl HttpError {
    /// Whether trying again could help: the service may be starting, restarting or unreachable.
    /// A 4xx means our request is wrong and will stay wrong.
    pub fn is_transient(&self) -> bool {
        match self {
            HttpError::Status(status) => status.is_server_error(),
            HttpError::Body(_) => false,
            HttpError::Connect(_) | HttpError::Timeout(_) | HttpError::Exchange(_) => true,
        }
    }
}

/// The sending half of one HTTP/1.1 connection; its other half runs on a task of its own.
type Sender = SendRequest<Full<Bytes>>;

/// How many idle connections to one service are kept; more are closed once their call ends.
const MAX_IDLE: usize = 16;

/// One service's address and the idle connections to it that later calls may take, the most
/// recently used first. A transient failure of any call drops them all: whatever broke one (a
/// restart of the service, a partition) may have broken the others, and a retry on a connection
/// a crashed peer left half open would spend its whole timeout before it knew.
pub struct Connections {
    addr: String,
    idle: Mutex<Vec<Sender>>,
}

impl Connections {
    pub fn new(addr: impl Into<String>) -> Connections {
        Connections { addr: addr.into(), idle: Mutex::default() }
    }

    /// The most recently kept idle connection that is ready for a request, if there is one;
    /// those the service has closed, or that are not ready, are dropped on the way.
    fn take(&self) -> Option<Sender> {
        let mut idle = self.idle();
        while let Some(sender) = idle.pop() {
            if sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    /// Keeps `sender`, whose call has been answered in full, for the next call.
    fn keep(&self, sender: Sender) {
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(sender);
        }
    }

    fn forget_all(&self) {
        self.idle().clear();
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Sender>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// GETs `http://{addr}{path}` and returns the status, within `timeout`. For health checks.
pub async fn get_status<N: Net>(
    net: &N,
    addr: &str,
    path: &str,
    timeout: Duration,
) -> Result<StatusCode, HttpError> {
    let exchange = async { Ok(get(net, addr, path).await?.status()) };
    tokio::time::timeout(timeout, exchange).await.unwrap_or(Err(HttpError::Timeout(timeout)))
}

/// GETs `http://{addr}{path}` and parses a 200 answer, within `timeout`.
pub async fn get_json<N: Net, R: DeserializeOwned>(
    net: &N,
    addr: &str,
    path: &str,
    timeout: Duration,
) -> Result<R, HttpError> {
    let exchange = async { read_json(get(net, addr, path).await?).await };
    tokio::time::timeout(timeout, exchange).await.unwrap_or(Err(HttpError::Timeout(timeout)))
}

async fn get<N: Net>(net: &N, addr: &str, path: &str) -> Result<Response<Incoming>, HttpError> {
    let mut sender = open(net, addr).await?;
    let request = Request::get(path)
        .header(hyper::header::HOST, addr)
        .body(Full::new(Bytes::new()))
        .map_err(|e| HttpError::Exchange(e.to_string()))?;
    sender.send_request(request).await.map_err(|e| HttpError::Exchange(e.to_string()))
}

/// POSTs `body` as JSON to `{path}` of the service `to` and parses a 200 answer, all within
/// `timeout`.
pub async fn post_json<N: Net, B: Serialize, R: DeserializeOwned>(
    net: &N,
    to: &Connections,
    path: &str,
    headers: &[(&str, &str)],
    body: &B,
    timeout: Duration,
) -> Result<R, HttpError> {
    let result = tokio::time::timeout(timeout, exchange(net, to, path, headers, body))
        .await
        .unwrap_or(Err(HttpError::Timeout(timeout)));
    if result.as_ref().is_err_and(HttpError::is_transient) {
        to.forget_all();
    }
    result
}

async fn exchange<N: Net, B: Serialize, R: DeserializeOwned>(
    net: &N,
    to: &Connections,
    path: &str,
    headers: &[(&str, &str)],
    body: &B,
) -> Result<R, HttpError> {
    let addr = to.addr.as_str();
    let mut sender = match to.take() {
        Some(sender) => sender,
        None => open(net, addr).await?,
    };
    let payload = serde_json::to_vec(body).expect("request bodies always serialise");
    let mut request = Request::post(path)
        .header(hyper::header::HOST, addr)
        .header(hyper::header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request =
        request.body(Full::new(Bytes::from(payload))).map_err(|e| HttpError::Exchange(e.to_string()))?;
    let response = sender.send_request(request).await.map_err(|e| HttpError::Exchange(e.to_string()))?;
    let answer = read_json(response).await?;
    to.keep(sender);
    Ok(answer)
}

async fn read_json<R: DeserializeOwned>(response: Response<Incoming>) -> Result<R, HttpError> {
    if response.status() != StatusCode::OK {
        return Err(HttpError::Status(response.status()));
    }
    let bytes = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| HttpError::Exchange(e.to_string()))?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|e| HttpError::Body(e.to_string()))
}

async fn open<N: Net>(net: &N, addr: &str) -> Result<Sender, HttpError> {
    let stream = net.connect(addr).await.map_err(HttpError::Connect)?;
    let (sender, connection) = hyper::client::conn::http1::Builder::new()
        .read_buf_exact_size(Some(READ_BUFFER_BYTES))
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| HttpError::Exchange(e.to_string()))?;
    // The connection task ends when `sender` is dropped, or the service closes the connection.
    net.spawn(connection);
    Ok(sender)
}
