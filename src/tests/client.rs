//! A WebSocket test client that speaks the gateway protocol and never hangs a test.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Response;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::context::SessionContext;
use crate::protocol::{ClientFrame, ClientMessage, ErrorCode, ErrorFrame, EventKind, ServerFrame};

const PATIENCE: Duration = Duration::from_secs(10);

/// What the client saw next.
#[derive(Debug, PartialEq)]
pub enum Seen {
    Frame(ServerFrame),
    Close(u16, String),
    /// The connection ended without a close frame.
    Gone,
}

pub struct Client {
    ws: WebSocketStream<TcpStream>,
    pub response: Response,
}

pub enum Auth<'a> {
    Bearer(&'a str),
    Subprotocol(&'a str),
    None,
}

impl Client {
    pub async fn connect(url: &str, auth: Auth<'_>) -> Result<Client, WsError> {
        Client::connect_with_buffer(url, auth, None).await
    }

    /// Connects with the socket's receive buffer set to `recv_buffer` bytes, so that a client that
    /// stops reading pushes back on the server quickly.
    pub async fn connect_with_buffer(
        url: &str,
        auth: Auth<'_>,
        recv_buffer: Option<u32>,
    ) -> Result<Client, WsError> {
        let mut request = url.into_client_request()?;
        let headers = request.headers_mut();
        match auth {
            Auth::Bearer(token) => {
                headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
            }
            Auth::Subprotocol(token) => {
                headers.insert(
                    "sec-websocket-protocol",
                    HeaderValue::from_str(&format!("jwt.{token}")).unwrap(),
                );
            }
            Auth::None => {}
        }
        let authority = request.uri().authority().expect("a ws:// URL with a host").to_string();
        let handshake = async {
            let addr = tokio::net::lookup_host(&authority).await?.next().expect("an address");
            let socket = tokio::net::TcpSocket::new_v4()?;
            if let Some(bytes) = recv_buffer {
                socket.set_recv_buffer_size(bytes)?;
            }
            let stream = socket.connect(addr).await?;
            tokio_tungstenite::client_async(request, stream).await
        };
        let (ws, response) = tokio::time::timeout(PATIENCE, handshake).await.expect("handshake hung")?;
        Ok(Client { ws, response })
    }

    /// Expects the handshake to be refused with HTTP `status`, before any upgrade.
    pub async fn expect_refused(url: &str, auth: Auth<'_>, status: u16) {
        match Client::connect(url, auth).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), status),
            Err(other) => panic!("expected HTTP {status}, got {other}"),
            Ok(_) => panic!("expected HTTP {status}, but the upgrade succeeded"),
        }
    }

    /// Connects with a bearer token and waits for `connection_established`.
    pub async fn session(url: &str, token: &str) -> (Client, SessionContext) {
        let mut client = Client::connect(url, Auth::Bearer(token)).await.expect("handshake failed");
        let context = client.established().await;
        (client, context)
    }

    pub async fn established(&mut self) -> SessionContext {
        match self.next().await {
            Seen::Frame(ServerFrame::ConnectionEstablished { context }) => context,
            other => panic!("expected connection_established, saw {other:?}"),
        }
    }

    pub async fn next(&mut self) -> Seen {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next()).await.expect("no frame within 10 s");
            return match message {
                Some(Ok(Message::Text(text))) => Seen::Frame(
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("unparseable frame {text}: {e}")),
                ),
                Some(Ok(Message::Close(Some(close)))) => {
                    Seen::Close(close.code.into(), close.reason.to_string())
                }
                Some(Ok(Message::Close(None))) => Seen::Close(1005, String::new()),
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => Seen::Gone,
            };
        }
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_raw(Message::text(frame.to_text())).await;
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.expect("send failed");
    }

    pub async fn send_message(&mut self, id: &str, content: &str) {
        let message = ClientMessage { id: id.to_owned(), content: content.to_owned() };
        self.send(&ClientFrame::UserMessage(message)).await;
    }

    /// Sends a user message and returns the five event frames that answer it.
    pub async fn exchange(&mut self, id: &str, content: &str) -> Vec<ServerFrame> {
        self.send_message(id, content).await;
        let mut frames = Vec::new();
        for expected in EventKind::SEQUENCE {
            let seen = self.next().await;
            match &seen {
                Seen::Frame(frame) if frame.as_event().map(|(kind, _)| kind) == Some(expected) => {
                    frames.push(frame.clone());
                }
                other => panic!("expected {expected:?} for {id}, saw {other:?}"),
            }
        }
        frames
    }

    /// Expects an error frame with `code`, returning it.
    pub async fn expect_error(&mut self, code: ErrorCode) -> ErrorFrame {
        match self.next().await {
            Seen::Frame(ServerFrame::Error(error)) if error.code == code => error,
            other => panic!("expected a {code:?} error frame, saw {other:?}"),
        }
    }

    /// Expects the server to close with `code`.
    pub async fn expect_close(&mut self, code: u16) {
        match self.next().await {
            Seen::Close(seen, _) if seen == code => {}
            other => panic!("expected close {code}, saw {other:?}"),
        }
    }

    /// Reads for `quiet`, answering the server's pings, and asserts no frame arrives meanwhile.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_elapsed) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
