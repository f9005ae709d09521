//! The WebSocket handshake. The token travels as `Authorization: Bearer <jwt>` or as the
//! subprotocol `jwt.<jwt>`, which is then echoed; without either, or with a token too long to be
//! real, the answer is 401 and no upgrade.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::{Gateway, session};
use crate::net::Net;
use crate::protocol::{ErrorCode, ErrorFrame, ServerFrame};
use crate::token::MAX_TOKEN_BYTES;

const SUBPROTOCOL_PREFIX: &str = "jwt.";

/// What the client presented: its token, and the subprotocol to echo if it used one.
struct Credentials {
    token: String,
    subprotocol: Option<String>,
}

impl Credentials {
    fn from_headers(headers: &HeaderMap) -> Option<Credentials> {
        let subprotocol = headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .find(|p| p.len() > SUBPROTOCOL_PREFIX.len() && p.starts_with(SUBPROTOCOL_PREFIX))
            .map(str::to_owned);
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
            .map(|(_, token)| token.trim().to_owned());
        let token =
            bearer.or_else(|| subprotocol.as_ref().map(|p| p[SUBPROTOCOL_PREFIX.len()..].to_owned()))?;
        Some(Credentials { token, subprotocol })
    }
}

pub(super) async fn handle<N: Net>(State(gateway): State<Arc<Gateway<N>>>, mut request: Request) -> Response {
    let credentials = Credentials::from_headers(request.headers());
    if credentials.as_ref().is_some_and(|c| c.token.len() > MAX_TOKEN_BYTES) {
        // Refused unread: forwarding tens of KiB to auth per attempt would amplify an attack.
        let message = format!("token longer than {MAX_TOKEN_BYTES} bytes");
        return refuse(StatusCode::UNAUTHORIZED, ErrorCode::AuthFailed, &message);
    }
    let Some(credentials) = credentials else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthFailed,
            "missing token: send `Authorization: Bearer <jwt>` or subprotocol `jwt.<jwt>`",
        );
    };
    let Some(key) = websocket_key(request.headers()) else {
        return refuse(StatusCode::BAD_REQUEST, ErrorCode::BadMessage, "not a WebSocket upgrade request");
    };
    if gateway.draining.is_cancelled() {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Internal, "gateway is shutting down");
    }
    let on_upgrade = hyper::upgrade::on(&mut request);
    let config = WebSocketConfig::default()
        .read_buffer_size(gateway.config.ws_buffer_bytes)
        .write_buffer_size(0)
        .max_write_buffer_size(gateway.config.ws_buffer_bytes.max(gateway.config.max_frame_bytes) * 4)
        .max_message_size(Some(gateway.config.max_frame_bytes))
        .max_frame_size(Some(gateway.config.max_frame_bytes));
    let rng = gateway.session_rng();
    let tracked = Arc::clone(&gateway);
    let session = tracked.sessions.track_future(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => return tracing::debug!(%error, "upgrade did not complete"),
        };
        // Take the stream back from hyper rather than reading through its wrapper: the wrapper
        // keeps hyper's 8 KiB read buffer until the first read, and a session reads nothing
        // until auth and idgen have answered, so thousands of connecting sessions held one each.
        let Ok(parts) = upgraded.downcast::<TokioIo<N::Stream>>() else {
            return tracing::error!("the upgraded connection is not the stream the accept loop served");
        };
        // Copied out and dropped here: left in `parts`, it would live as long as the session.
        let unread = {
            let read_buf = parts.read_buf;
            read_buf.to_vec()
        };
        let stream = parts.io.into_inner();
        let ws = WebSocketStream::from_partially_read(stream, unread, Role::Server, Some(config)).await;
        session::run(gateway, ws, credentials.token, rng).await;
    });
    tracked.net.spawn(session);

    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    let accept = derive_accept_key(key.as_bytes());
    headers.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
    );
    if let Some(protocol) = credentials.subprotocol.and_then(|p| HeaderValue::from_str(&p).ok()) {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    response
}

/// The client's `Sec-WebSocket-Key`, if this is a well-formed version 13 upgrade request.
fn websocket_key(headers: &HeaderMap) -> Option<String> {
    let has = |name: header::HeaderName, wanted: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|token| token.trim().eq_ignore_ascii_case(wanted))
    };
    let is_upgrade = has(header::CONNECTION, "upgrade") && has(header::UPGRADE, "websocket");
    let version_13 = headers.get(header::SEC_WEBSOCKET_VERSION).is_some_and(|v| v == "13");
    let key = headers.get(header::SEC_WEBSOCKET_KEY)?.to_str().ok()?;
    (is_upgrade && version_13).then(|| key.to_owned())
}

fn refuse(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, Json(ServerFrame::Error(ErrorFrame::new(code, message)))).into_response()
}
