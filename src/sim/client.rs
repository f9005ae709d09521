//! One simulated client: a real tokio-tungstenite WebSocket client that opens sessions with the
//! gateway and sends its messages, reconnecting with backoff when a session ends early.
//!
//! Every wait has a deadline (a connect to a crashed host never answers; a partition swallows
//! data without a reset), and a client never fails: whatever happens goes into the trace.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::{SinkExt as _, StreamExt as _};
use rand::Rng as _;
use rand::seq::IndexedRandom as _;
use tokio::time::{Instant, sleep, timeout, timeout_at};
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::http::Response;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use self::bad_input::Upgrade;
use self::receive::{Heard, Incoming};
use super::scenario::{ClientPolicy, ClientSpec, GATEWAY, MessageType};
use super::trace::{Echo, Event, Recorder, Side, Waiting};
use crate::clock::Rng;
use crate::net::Net;
use crate::protocol::{ClientFrame, CloseCode};

mod bad_input;
mod content;
mod receive;
mod replies;

pub use bad_input::UNKNOWN_TYPE;
pub use content::message_id;

/// Where the gateway listens in every simulation.
pub const GATEWAY_PORT: u16 = 8080;
/// Tungstenite's default buffers are 128 KiB; frames here are far smaller.
const WS_BUFFER_BYTES: usize = 4 * 1024;

/// A client on any network: the simulator's, or turmoil 0.7's in the bench's baseline.
pub(crate) struct Client<N> {
    pub index: usize,
    pub host: String,
    pub spec: ClientSpec,
    pub policy: ClientPolicy,
    pub net: N,
    pub rng: Rng,
    pub recorder: Recorder,
    pub token: String,
}

type Ws<N> = WebSocketStream<<N as Net>::Stream>;

/// What the client does once a session has ended.
enum Next {
    /// Nothing more: its messages are all answered, or it was refused for good.
    Stop,
    Reconnect,
}

/// Why opening a session failed: an HTTP answer other than 101, a 101 naming a subprotocol the
/// client did not offer or none it did, or no answer at all.
enum Refusal {
    Http(Box<Response<Option<Vec<u8>>>>),
    Subprotocol(Echo, String),
    Failed(String),
}

#[derive(Default)]
struct Progress {
    sent: u32,
    completed: u32,
    /// Whether the client has sent its bad frame, if it has one.
    sent_bad_frame: bool,
    /// For a client that resends: whether its first message has been answered, and whether it
    /// has since sent a message under that message's id.
    first_answered: bool,
    reused_first_id: bool,
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

impl<N: Net> Client<N> {
    /// Runs the client's sessions until it stops; never fails.
    pub async fn run(mut self) {
        let mut progress = Progress::default();
        let mut sessions = 0;
        let mut backoff = self.policy.backoff_ms.0;
        while sessions < self.policy.max_attempts {
            sessions += 1;
            let next = self.session(sessions, &mut progress).await;
            // A refusal of the bad upgrade was asked for; the client goes on as it otherwise would.
            if matches!(next, Next::Stop) && !self.bad_upgrade(sessions) {
                break;
            }
            if sessions < self.policy.max_attempts {
                sleep(ms(self.rng.random_range(backoff / 2..=backoff))).await;
                backoff = (backoff * 2).min(self.policy.backoff_ms.1);
            }
        }
        let (sent, completed) = (progress.sent, progress.completed);
        self.record(Event::ClientFinished { client: self.index, sessions, sent, completed });
    }

    async fn session(&mut self, session: u32, progress: &mut Progress) -> Next {
        self.record(Event::ConnectAttempt { client: self.index, session });
        let mut ws = match self.open(session).await {
            Ok(ws) => ws,
            Err(next) => return next,
        };
        // An eager client's first burst is on its way before the session is established.
        let mut early = Vec::new();
        if self.spec.eager && progress.sent < self.spec.messages {
            match self.send_burst(&mut ws, session, progress).await {
                Ok(burst) => early = burst,
                Err(next) => return next,
            }
        }
        let deadline = Instant::now() + ms(self.policy.establish_timeout_ms);
        loop {
            match self.receive(&mut ws, session, deadline, Waiting::Established).await {
                Incoming::Frame(Heard::Established) => {
                    break;
                }
                Incoming::Frame(_) => {}
                Incoming::Closed(code) => return self.after_server_close(&mut ws, code).await,
                Incoming::Lost => return Next::Reconnect,
                Incoming::TimedOut => return self.close(&mut ws, session).await,
            }
        }
        if let Some(bad) = self.spec.bad_input.filter(|_| !progress.sent_bad_frame)
            && let Some(frame) = bad_input::frame(bad)
        {
            progress.sent_bad_frame = true;
            self.record(Event::SentBad { client: self.index, session, input: bad });
            if let Err(next) = self.send(&mut ws, session, frame).await {
                return next;
            }
        }
        if !early.is_empty() {
            match self.replies(&mut ws, session, early, &mut progress.first_answered).await {
                Ok(completed) => progress.completed += completed,
                Err(next) => return next,
            }
        }
        while progress.sent < self.spec.messages {
            sleep(ms(self.rng.random_range(self.spec.think_ms.0..=self.spec.think_ms.1))).await;
            let burst = match self.send_burst(&mut ws, session, progress).await {
                Ok(burst) => burst,
                Err(next) => return next,
            };
            match self.replies(&mut ws, session, burst, &mut progress.first_answered).await {
                Ok(completed) => progress.completed += completed,
                Err(next) => return next,
            }
        }
        if self.spec.linger_ms > 0
            && let Some(next) = self.linger(&mut ws, session).await
        {
            return next;
        }
        self.close(&mut ws, session).await;
        Next::Stop
    }

    /// Sends the next burst of messages, after a JSON ping if the client sends them, and returns
    /// their ids.
    async fn send_burst(
        &mut self,
        ws: &mut Ws<N>,
        session: u32,
        progress: &mut Progress,
    ) -> Result<Vec<String>, Next> {
        if self.spec.pings {
            self.record(Event::SentPing { client: self.index, session });
            self.send(ws, session, Message::text(ClientFrame::Ping.to_text())).await?;
        }
        let count = self.spec.burst.min(self.spec.messages - progress.sent);
        let mut burst = Vec::new();
        for _ in 0..count {
            let id = self.next_id(progress);
            let content = content::draw(&mut self.rng, &self.spec);
            let via = if self.spec.aliases {
                *MessageType::ALL.choose(&mut self.rng).expect("not empty")
            } else {
                MessageType::UserMessage
            };
            let frame = Message::text(via.frame_text(&id, &content));
            self.record(Event::Sent {
                client: self.index,
                session,
                message: progress.sent,
                message_id: id.clone(),
                content,
                via,
            });
            progress.sent += 1;
            self.send(ws, session, frame.clone()).await?;
            burst.push(id.clone());
            if self.spec.resends && progress.sent == 1 {
                self.resend(ws, session, id.clone(), frame).await?;
                // The copy's refusal names the same id.
                burst.push(id);
            }
        }
        Ok(burst)
    }

    /// The id of the next message: the first's again, once, for a client that resends and has
    /// its first message answered; otherwise its own.
    fn next_id(&self, progress: &mut Progress) -> String {
        if self.spec.resends && progress.first_answered && !progress.reused_first_id {
            progress.reused_first_id = true;
            return message_id(self.index, 0);
        }
        message_id(self.index, progress.sent)
    }

    /// Sends the frame of `message_id` again, right behind it, and a JSON ping behind the copy:
    /// the ping's `pong` shows when the gateway had read the copy.
    async fn resend(
        &mut self,
        ws: &mut Ws<N>,
        session: u32,
        message_id: String,
        frame: Message,
    ) -> Result<(), Next> {
        self.record(Event::SentAgain { client: self.index, session, message_id });
        self.send(ws, session, frame).await?;
        self.record(Event::SentPing { client: self.index, session });
        self.send(ws, session, Message::text(ClientFrame::Ping.to_text())).await
    }

    /// Connects and upgrades, within the connect timeout.
    async fn open(&mut self, session: u32) -> Result<Ws<N>, Next> {
        let client = self.index;
        let addr = format!("{GATEWAY}:{GATEWAY_PORT}");
        let bad = self.spec.bad_input.filter(|_| self.bad_upgrade(session));
        if let Some(input) = bad {
            self.record(Event::SentBad { client, session, input });
        }
        let request = Upgrade {
            addr: &addr,
            // The handshake key would come from the OS otherwise; it must come from the seed.
            key: STANDARD.encode(self.rng.random::<[u8; 16]>()),
            token: &self.token,
            subprotocol: self.spec.subprotocol,
            bad,
        }
        .request();
        let offered = request.headers().get(SEC_WEBSOCKET_PROTOCOL).cloned();
        let config = WebSocketConfig::default().read_buffer_size(WS_BUFFER_BYTES).write_buffer_size(0);
        let net = self.net.clone();
        let attempt = async move {
            let stream = net
                .connect(&addr)
                .await
                .map_err(|e| Refusal::Failed(format!("connect: {:?}: {e}", e.kind())))?;
            client_async_with_config(request, stream, Some(config)).await.map_err(|error| match error {
                WsError::Http(response) => Refusal::Http(response),
                WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(wrong)) => {
                    let echo = if wrong == SubProtocolError::NoSubProtocol {
                        Echo::Missing
                    } else {
                        Echo::Unoffered
                    };
                    Refusal::Subprotocol(echo, format!("handshake: {wrong}"))
                }
                other => Refusal::Failed(format!("handshake: {other}")),
            })
        };
        // Boxed: the handshake's state is large, and a client would otherwise carry it for its
        // whole life; at ten thousand clients that is tens of megabytes.
        let failure = match timeout(ms(self.policy.connect_timeout_ms), Box::pin(attempt)).await {
            Ok(Ok((ws, response))) => {
                let named = response.headers().get(SEC_WEBSOCKET_PROTOCOL);
                let echo = match (&offered, named) {
                    (None, None) => Echo::Nothing,
                    (Some(offered), Some(named)) if offered == named => Echo::Offered,
                    (Some(_), None) => Echo::Missing,
                    (_, Some(_)) => Echo::Unoffered,
                };
                let status = response.status().as_u16();
                self.record(Event::Handshake { client, session, status, body: None, echo: Some(echo) });
                return Ok(ws);
            }
            Ok(Err(Refusal::Http(response))) => {
                let status = response.status().as_u16();
                let body = response.body().as_deref().map(|b| String::from_utf8_lossy(b).into_owned());
                self.record(Event::Handshake { client, session, status, body, echo: None });
                // A 4xx (no or bad token) stays a 4xx; a 5xx may pass.
                return Err(if response.status().is_server_error() { Next::Reconnect } else { Next::Stop });
            }
            Ok(Err(Refusal::Subprotocol(echo, reason))) => {
                let status = 101;
                self.record(Event::Handshake { client, session, status, body: None, echo: Some(echo) });
                Event::ConnectFailed { client, session, reason }
            }
            Ok(Err(Refusal::Failed(reason))) => Event::ConnectFailed { client, session, reason },
            Err(_) => Event::TimedOut { client, session, waiting_for: Waiting::Connect },
        };
        self.record(failure);
        Err(Next::Reconnect)
    }

    /// Whether attempt `session` is the client's bad upgrade request.
    fn bad_upgrade(&self, session: u32) -> bool {
        session == 1 && self.spec.bad_input.is_some_and(|bad| bad.is_upgrade())
    }

    /// Sends one frame, within the message timeout.
    async fn send(&mut self, ws: &mut Ws<N>, session: u32, frame: Message) -> Result<(), Next> {
        let client = self.index;
        match timeout(ms(self.policy.message_timeout_ms), ws.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                self.record(Event::Lost { client, session, reason: error.to_string() });
                Err(Next::Reconnect)
            }
            Err(_) => {
                self.record(Event::TimedOut { client, session, waiting_for: Waiting::Send });
                Err(self.close(ws, session).await)
            }
        }
    }

    /// Stays connected for the linger time, reading and answering pings, sending nothing. A
    /// session that ends meanwhile is not reopened: the client has nothing left to send.
    async fn linger(&mut self, ws: &mut Ws<N>, session: u32) -> Option<Next> {
        let (reading, for_ms) = (!self.spec.linger_silent, self.spec.linger_ms);
        self.record(Event::Lingering { client: self.index, session, reading, for_ms });
        if self.spec.linger_silent {
            return self.linger_silently(ws, session).await;
        }
        let until = Instant::now() + ms(self.spec.linger_ms);
        // The outer timeout ends the linger without a `TimedOut` record: running out is the plan.
        // The inner deadline is never reached first.
        let far = until + ms(self.spec.linger_ms);
        loop {
            match timeout_at(until, self.receive(ws, session, far, Waiting::Reply)).await {
                Err(_) => return None,
                Ok(Incoming::Frame(_)) => {}
                Ok(Incoming::Closed(code)) => {
                    self.after_server_close(ws, code).await;
                    return Some(Next::Stop);
                }
                Ok(Incoming::Lost | Incoming::TimedOut) => return Some(Next::Stop),
            }
        }
    }

    /// Stays connected for the linger time reading nothing, so answering no ping, then reads what
    /// came meanwhile, for the close timeout.
    async fn linger_silently(&mut self, ws: &mut Ws<N>, session: u32) -> Option<Next> {
        sleep(ms(self.spec.linger_ms)).await;
        let deadline = Instant::now() + ms(self.policy.close_timeout_ms);
        loop {
            match self.receive(ws, session, deadline, Waiting::Reply).await {
                Incoming::Frame(_) => {}
                Incoming::Closed(code) => {
                    self.after_server_close(ws, code).await;
                    return Some(Next::Stop);
                }
                Incoming::Lost => return Some(Next::Stop),
                Incoming::TimedOut => return None,
            }
        }
    }

    /// Lets tungstenite send its reply to the server's close, then decides whether to go on.
    async fn after_server_close(&mut self, ws: &mut Ws<N>, code: Option<u16>) -> Next {
        let _ =
            timeout(ms(self.policy.close_timeout_ms), async { while let Some(Ok(_)) = ws.next().await {} })
                .await;
        // A refused token stays refused; anything else (1013 above all) is worth another session.
        if code == Some(CloseCode::Policy.as_u16()) { Next::Stop } else { Next::Reconnect }
    }

    /// Closes the session from the client's side and reads what still arrives, until the
    /// server's half of the close or the close timeout. Returns `Reconnect` for callers that
    /// close because a wait ran out.
    async fn close(&mut self, ws: &mut Ws<N>, session: u32) -> Next {
        let client = self.index;
        let code = CloseCode::Normal.as_u16();
        self.record(Event::Closed {
            client,
            session,
            by: Side::Client,
            code: Some(code),
            reason: String::new(),
        });
        let deadline = Instant::now() + ms(self.policy.close_timeout_ms);
        let frame = CloseFrame { code: WsCloseCode::from(code), reason: "".into() };
        if let Ok(Ok(())) = timeout_at(deadline, ws.close(Some(frame))).await {
            while let Incoming::Frame(_) = self.receive(ws, session, deadline, Waiting::Close).await {}
        }
        Next::Reconnect
    }

    fn record(&self, event: Event) {
        self.recorder.record(&self.host, event);
    }
}
