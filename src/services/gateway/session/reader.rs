//! The read side of a session: answers pings and bad frames itself, admits user messages to the
//! worker's queue, and notices when the client has gone quiet.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::End;
use super::writer::{Outbound, Outbox};
use crate::context::SessionContext;
use crate::protocol::{ClientFrame, ClientMessage, CloseCode, ErrorCode, ErrorFrame, ServerFrame};
use crate::services::gateway::limits::RateLimit;

pub(super) struct Reader {
    pub context: SessionContext,
    pub outbox: Outbox,
    /// Boxed: a channel allocates its first 32 slots with it, whether they are ever used or not.
    pub work: mpsc::Sender<Box<ClientMessage>>,
    pub in_flight: Arc<Mutex<BTreeSet<String>>>,
    pub rate: RateLimit,
    /// When the client last sent anything at all, pongs included.
    pub last_heard: Instant,
}

impl Reader {
    /// Handles one read result; `Some` when the session is over.
    pub async fn on_frame(&mut self, frame: Option<Result<Message, WsError>>) -> Option<End> {
        self.last_heard = Instant::now();
        let reply = match frame {
            None | Some(Ok(Message::Close(_))) => return Some(End::ClientLeft),
            Some(Ok(Message::Text(text))) => match ClientFrame::parse(&text) {
                Ok(ClientFrame::Ping) => ServerFrame::Pong { context: self.context.clone() },
                Ok(ClientFrame::UserMessage(message)) => self.admit(message).await?,
                Err(bad) => self.error(ErrorCode::BadMessage, bad.reason, bad.message_id),
            },
            Some(Ok(Message::Binary(_))) => {
                let reason = "binary frames are not supported; send JSON text".to_owned();
                self.error(ErrorCode::BadMessage, reason, None)
            }
            Some(Ok(_)) => return None,
            // tokio-tungstenite ends the stream after these errors, so the session cannot go on.
            Some(Err(WsError::Capacity(error))) => {
                let error =
                    self.error_frame(ErrorCode::MessageTooBig, format!("frame too large: {error}"), None);
                self.outbox.close_with(error, CloseCode::TooBig);
                return Some(End::Refused);
            }
            Some(Err(WsError::Utf8(_))) => {
                let message = "text frame is not valid UTF-8 (RFC 6455 requires closing)".to_owned();
                let error = self.error_frame(ErrorCode::BadEncoding, message, None);
                self.outbox.close_with(error, CloseCode::InvalidPayload);
                return Some(End::Refused);
            }
            Some(Err(error)) => {
                tracing::debug!(%error, "connection failed");
                return Some(End::ClientLeft);
            }
        };
        self.outbox.frame(reply).err().map(|_| End::SlowConsumer)
    }

    /// Pings the client, or closes the session if it has been silent for `idle_timeout`.
    pub fn on_tick(&mut self, idle_timeout: std::time::Duration) -> Option<End> {
        if self.last_heard.elapsed() >= idle_timeout {
            let message = format!("nothing received for {idle_timeout:?}");
            self.outbox
                .close_with(self.error_frame(ErrorCode::IdleTimeout, message, None), CloseCode::Policy);
            return Some(End::Closed);
        }
        self.outbox.push(Outbound::Ping).err().map(|_| End::SlowConsumer)
    }

    /// Queues a user message for the worker; `None` when it needs no immediate reply.
    async fn admit(&mut self, message: ClientMessage) -> Option<ServerFrame> {
        if !self.rate.admit() {
            let wait = self.rate.retry_after();
            let reason = format!("too many messages; retry in {} ms", wait.as_millis());
            return Some(self.error(ErrorCode::RateLimited, reason, Some(message.id)));
        }
        let fresh = self.in_flight.lock().expect("in-flight lock poisoned").insert(message.id.clone());
        if !fresh {
            return Some(self.error(
                ErrorCode::BadMessage,
                "duplicate message id".to_owned(),
                Some(message.id),
            ));
        }
        // Waits when the queue is full: backpressure reaches the client through TCP.
        let _ = self.work.send(Box::new(message)).await;
        None
    }

    fn error(&self, code: ErrorCode, message: String, message_id: Option<String>) -> ServerFrame {
        ServerFrame::Error(self.error_frame(code, message, message_id))
    }

    fn error_frame(&self, code: ErrorCode, message: String, message_id: Option<String>) -> ErrorFrame {
        ErrorFrame::new(code, message).in_context(&self.context).about(message_id)
    }
}
