//! One WebSocket connection, from the connect sequence to the close.
//!
//! Three tasks share the connection: this one reads client frames; a writer owns the socket's
//! sending half and is fed through a queue; a worker runs the agent on user messages in order.
//! The context is built once, before any client frame is read, and every frame reuses it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::agent::Run;
use super::{Gateway, Mode, connect, legacy};
use crate::clock::Rng;
use crate::context::SessionContext;
use crate::net::{Net, Stream};
use crate::protocol::{ClientFrame, ClientMessage, CloseCode, ErrorCode, ErrorFrame, ServerFrame};

/// Frames waiting for the writer. Small: the agent produces five frames per message.
const OUTBOUND_FRAMES: usize = 32;
/// How long a closing session waits for the client's half of the close handshake.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(1);

enum Outbound {
    Frame(ServerFrame),
    Close(CloseCode, String),
}

/// How the read loop ended.
enum End {
    /// The client closed or the connection broke: nobody is left to answer.
    ClientLeft,
    /// The gateway is shutting down: finish in-flight messages, then close with 1000.
    Draining,
    /// The session already queued its close (1011 in a legacy mode).
    Closed,
    /// A frame was refused part-way (1009 queued); the socket still holds the rest of it.
    Desynchronised,
}

pub(super) async fn run<N: Net, S: Stream>(
    gateway: Arc<Gateway<N>>,
    ws: WebSocketStream<S>,
    token: String,
    mut rng: Rng,
) {
    let (sink, mut incoming) = ws.split();
    let (out, queue) = mpsc::channel(OUTBOUND_FRAMES);
    let writer = tokio::spawn(write_frames(sink, queue));

    let established = tokio::select! {
        result = connect::establish(&gateway, &token, &mut rng) => Some(result),
        () = gateway.draining.cancelled() => None,
    };
    let context = match established {
        Some(Ok(context)) => context,
        Some(Err(failure)) => {
            tracing::info!(code = failure.code.as_str(), reason = %failure.message, "session refused");
            let close = failure.code.close_code().unwrap_or(CloseCode::Internal);
            let _ = out
                .send(Outbound::Frame(ServerFrame::Error(ErrorFrame::new(failure.code, failure.message))))
                .await;
            let _ = out.send(Outbound::Close(close, failure.code.as_str().to_owned())).await;
            return finish(out, writer, incoming, End::Closed).await;
        }
        None => {
            let _ = out.send(Outbound::Close(CloseCode::Normal, "server shutting down".to_owned())).await;
            return finish(out, writer, incoming, End::Closed).await;
        }
    };
    tracing::debug!(context_id = %context.context_id, "session established");
    if out
        .send(Outbound::Frame(ServerFrame::ConnectionEstablished { context: context.clone() }))
        .await
        .is_err()
    {
        return finish(out, writer, incoming, End::Closed).await;
    }

    let closed = CancellationToken::new();
    let in_flight = Arc::new(Mutex::new(BTreeSet::new()));
    let (work, messages) = mpsc::channel(gateway.config.max_queued_messages.max(1));
    let worker = Worker {
        gateway: Arc::clone(&gateway),
        context: context.clone(),
        out: out.clone(),
        in_flight: Arc::clone(&in_flight),
        closed: closed.clone(),
    };
    let mut worker = tokio::spawn(worker.run(messages, rng));
    let mut reader = Reader { context, out: out.clone(), work, in_flight };

    let end = loop {
        let frame = tokio::select! {
            frame = incoming.next() => frame,
            () = gateway.draining.cancelled() => break End::Draining,
            () = closed.cancelled() => break End::Closed,
        };
        if let Some(end) = reader.on_frame(frame).await {
            break end;
        }
    };
    drop(reader);
    match end {
        End::ClientLeft | End::Closed | End::Desynchronised => worker.abort(),
        End::Draining => {
            if tokio::time::timeout(gateway.config.shutdown_grace, &mut worker).await.is_err() {
                worker.abort();
            }
            let _ = out.send(Outbound::Close(CloseCode::Normal, "server shutting down".to_owned())).await;
        }
    }
    finish(out, writer, incoming, end).await;
}

/// Lets the writer send what is queued, then waits briefly for the client's half of the close.
async fn finish<S: Stream>(
    out: mpsc::Sender<Outbound>,
    writer: JoinHandle<SplitSink<WebSocketStream<S>, Message>>,
    incoming: SplitStream<WebSocketStream<S>>,
    end: End,
) {
    drop(out);
    let Ok(Ok(sink)) = tokio::time::timeout(CLOSE_HANDSHAKE, writer).await else { return };
    let Ok(mut ws) = sink.reunite(incoming) else { return };
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
        if matches!(end, End::Desynchronised) {
            // The rest of the refused frame is still in the socket. Dropping the socket with
            // unread bytes would reset the connection and destroy the close frame in flight, so
            // read and discard until the client hangs up.
            let mut scratch = [0u8; 4096];
            while matches!(ws.get_mut().read(&mut scratch).await, Ok(n) if n > 0) {}
        } else {
            while ws.next().await.is_some() {}
        }
    })
    .await;
}

async fn write_frames<S: Stream>(
    mut sink: SplitSink<WebSocketStream<S>, Message>,
    mut queue: mpsc::Receiver<Outbound>,
) -> SplitSink<WebSocketStream<S>, Message> {
    while let Some(item) = queue.recv().await {
        let (message, last) = match item {
            Outbound::Frame(frame) => (Message::text(frame.to_text()), false),
            Outbound::Close(code, reason) => {
                let frame = CloseFrame { code: code.as_u16().into(), reason: reason.into() };
                (Message::Close(Some(frame)), true)
            }
        };
        if sink.send(message).await.is_err() || last {
            break;
        }
    }
    // Flushes the reply to a client-initiated close, if that is how the session ended.
    let _ = sink.close().await;
    sink
}

/// The read side: answers pings and bad frames itself, queues user messages for the worker.
struct Reader {
    context: SessionContext,
    out: mpsc::Sender<Outbound>,
    work: mpsc::Sender<ClientMessage>,
    in_flight: Arc<Mutex<BTreeSet<String>>>,
}

impl Reader {
    async fn on_frame(&mut self, frame: Option<Result<Message, WsError>>) -> Option<End> {
        let reply = match frame {
            None | Some(Ok(Message::Close(_))) => return Some(End::ClientLeft),
            Some(Ok(Message::Text(text))) => match ClientFrame::parse(&text) {
                Ok(ClientFrame::Ping) => ServerFrame::Pong { context: self.context.clone() },
                Ok(ClientFrame::UserMessage(message)) => self.accept(message).await?,
                Err(bad) => self.error(ErrorCode::BadMessage, bad.reason, bad.message_id),
            },
            Some(Ok(Message::Binary(_))) => self.error(
                ErrorCode::BadMessage,
                "binary frames are not supported; send JSON text".to_owned(),
                None,
            ),
            Some(Ok(_)) => return None,
            Some(Err(WsError::Capacity(error))) => {
                let frame = self.error(ErrorCode::MessageTooBig, format!("frame too large: {error}"), None);
                let _ = self.out.send(Outbound::Frame(frame)).await;
                let _ = self.out.send(Outbound::Close(CloseCode::TooBig, "MESSAGE_TOO_BIG".to_owned())).await;
                return Some(End::Desynchronised);
            }
            Some(Err(WsError::Utf8(_))) => {
                self.error(ErrorCode::BadMessage, "text frame is not valid UTF-8".to_owned(), None)
            }
            Some(Err(error)) => {
                tracing::debug!(%error, "connection failed");
                return Some(End::ClientLeft);
            }
        };
        self.out.send(Outbound::Frame(reply)).await.err().map(|_| End::ClientLeft)
    }

    /// Queues a user message for the worker; `None` when the frame needs no immediate reply.
    async fn accept(&mut self, message: ClientMessage) -> Option<ServerFrame> {
        let fresh = self.in_flight.lock().expect("in-flight lock poisoned").insert(message.id.clone());
        if !fresh {
            return Some(self.error(
                ErrorCode::BadMessage,
                "duplicate message id".to_owned(),
                Some(message.id),
            ));
        }
        // Waits when the queue is full: backpressure reaches the client through TCP.
        let _ = self.work.send(message).await;
        None
    }

    fn error(&self, code: ErrorCode, message: String, message_id: Option<String>) -> ServerFrame {
        ServerFrame::Error(ErrorFrame::new(code, message).in_context(&self.context).about(message_id))
    }
}

/// Runs the agent on the session's messages, one at a time, in the order they arrived.
struct Worker<N> {
    gateway: Arc<Gateway<N>>,
    context: SessionContext,
    out: mpsc::Sender<Outbound>,
    in_flight: Arc<Mutex<BTreeSet<String>>>,
    closed: CancellationToken,
}

impl<N: Net> Worker<N> {
    async fn run(self, mut messages: mpsc::Receiver<ClientMessage>, mut rng: Rng) {
        let mut seq = 0;
        let mut count = 0;
        while let Some(message) = messages.recv().await {
            count += 1;
            if self.gateway.config.mode == Mode::PerMessageContext
                && let Err(reason) = legacy::rebuild_context(&self.gateway, &self.context).await
            {
                let error =
                    ErrorFrame::new(ErrorCode::Internal, format!("context validation failed: {reason}"))
                        .in_context(&self.context)
                        .about(Some(message.id));
                let _ = self.out.send(Outbound::Frame(ServerFrame::Error(error))).await;
                let close = Outbound::Close(CloseCode::Internal, "context validation failed".to_owned());
                let _ = self.out.send(close).await;
                self.closed.cancel();
                return;
            }
            let run = Run {
                context: &self.context,
                message: &message,
                request_id: self.context.request_id(count),
                timing: &self.gateway.config.agent,
            };
            for (frame, work) in run.steps(&mut rng, &mut seq) {
                if self.out.send(Outbound::Frame(frame)).await.is_err() {
                    return;
                }
                if !work.is_zero() {
                    tokio::time::sleep(work).await;
                }
            }
            self.in_flight.lock().expect("in-flight lock poisoned").remove(&message.id);
        }
    }
}
