//! Reading the server's frames: every one goes into the trace, and the client's own logic gets
//! only what it acts on.

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::Message;

use super::{Client, Ws};
use crate::net::Net;
use crate::protocol::ServerFrame;
use crate::sim::trace::{Event, Side, Waiting};

/// What a bounded read of the next server frame gave.
pub(super) enum Incoming {
    Frame(Heard),
    Closed(Option<u16>),
    Lost,
    TimedOut,
}

/// What the client's own logic needs of a frame it received; the frame itself goes to the trace.
pub(super) enum Heard {
    Established,
    /// The last frame of the message with this id.
    Completed(String),
    /// A refusal that keeps the session open, of the message with this id if it names one.
    Refused(Option<String>),
    Other,
}

impl Heard {
    fn of(frame: &ServerFrame) -> Heard {
        match frame {
            ServerFrame::ConnectionEstablished { .. } => Heard::Established,
            ServerFrame::AgentCompleted(event) => Heard::Completed(event.message_id.clone()),
            ServerFrame::Error(error) if error.code.close_code().is_none() => {
                Heard::Refused(error.message_id.clone())
            }
            _ => Heard::Other,
        }
    }
}

impl<N: Net> Client<N> {
    /// The next server frame before `deadline`, recorded. Frames that do not parse are recorded
    /// and skipped.
    pub(super) async fn receive(
        &mut self,
        ws: &mut Ws<N>,
        session: u32,
        deadline: Instant,
        waiting_for: Waiting,
    ) -> Incoming {
        let client = self.index;
        loop {
            let message = match timeout_at(deadline, ws.next()).await {
                Ok(Some(Ok(message))) => message,
                Ok(Some(Err(error))) => {
                    self.record(Event::Lost { client, session, reason: error.to_string() });
                    return Incoming::Lost;
                }
                Ok(None) => {
                    let reason = "the connection ended without a close frame".to_owned();
                    self.record(Event::Lost { client, session, reason });
                    return Incoming::Lost;
                }
                Err(_) => {
                    self.record(Event::TimedOut { client, session, waiting_for });
                    return Incoming::TimedOut;
                }
            };
            match message {
                Message::Text(text) => match ServerFrame::from_text(&text) {
                    Ok(frame) => {
                        let heard = Heard::of(&frame);
                        self.record(Event::Received { client, session, frame });
                        return Incoming::Frame(heard);
                    }
                    Err(error) => {
                        let (text, error) = (text.to_string(), error.to_string());
                        self.record(Event::Unparsed { client, session, text, error });
                    }
                },
                Message::Binary(bytes) => {
                    let text = format!("<{} bytes of binary>", bytes.len());
                    self.record(Event::Unparsed {
                        client,
                        session,
                        text,
                        error: "a binary frame".to_owned(),
                    });
                }
                Message::Close(frame) => {
                    let code = frame.as_ref().map(|f| u16::from(f.code));
                    let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                    self.record(Event::Closed { client, session, by: Side::Server, code, reason });
                    return Incoming::Closed(code);
                }
                // Only `close` waits for `Close`, after sending the client's close frame, and
                // tungstenite answers no ping after that.
                Message::Ping(_) if waiting_for != Waiting::Close => {
                    // tungstenite queued the pong as it read the ping and would write it at the
                    // next read, which comes at once, at this same instant. Flushing here writes
                    // it just the same, and lets the trace say that it was written.
                    if let Ok(Ok(())) = timeout_at(deadline, ws.flush()).await {
                        self.record(Event::Pinged { client, session });
                    }
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }
}
