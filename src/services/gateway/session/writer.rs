//! The sending half of a session. Frames go through a bounded outbox so that a client that stops
//! reading costs a fixed amount of memory: when the outbox overflows, the session is closed as a
//! slow consumer instead of buffering without end.

use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_util::sync::CancellationToken;

use crate::net::{Net, Stream};
use crate::protocol::{CloseCode, ErrorFrame, ServerFrame};

/// How long a closing session waits for the client's half of the close handshake.
pub(super) const CLOSE_HANDSHAKE: Duration = Duration::from_secs(1);

/// What the writer sends. A frame is queued as its JSON text: a `ServerFrame` is some 200 bytes,
/// and the queue's first block (32 slots) is allocated with the session, so at 10,000 sessions
/// queues of frames held 60 MB more than queues of strings.
pub(super) enum Outbound {
    Frame(String),
    Ping,
    Close(CloseCode, String),
}

/// The queue in front of the writer. Cloned by the reader and the worker.
#[derive(Clone)]
pub(super) struct Outbox {
    queue: mpsc::Sender<Outbound>,
    overflowed: CancellationToken,
}

/// The client is not reading fast enough; the session must end.
#[derive(Debug)]
pub(super) struct Overflow;

impl Outbox {
    /// Queues `item` without waiting. `Err` means the session is over: the client fell too far
    /// behind, or the writer has stopped.
    pub fn push(&self, item: Outbound) -> Result<(), Overflow> {
        match self.queue.try_send(item) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflowed.cancel();
                Err(Overflow)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Overflow),
        }
    }

    pub fn frame(&self, frame: ServerFrame) -> Result<(), Overflow> {
        self.push(Outbound::Frame(frame.to_text()))
    }

    /// Queues an error frame and the close it calls for.
    pub fn close_with(&self, error: ErrorFrame, close: CloseCode) {
        let reason = error.code.as_str().to_owned();
        let _ =
            self.frame(ServerFrame::Error(error)).and_then(|()| self.push(Outbound::Close(close, reason)));
    }

    /// Completes when a push has overflowed the outbox.
    pub async fn overflowed(&self) {
        self.overflowed.cancelled().await;
    }
}

type Sink<S> = SplitSink<WebSocketStream<S>, Message>;

/// The writer task and the outbox that feeds it.
pub(super) struct Writer<S> {
    pub outbox: Outbox,
    task: JoinHandle<Sink<S>>,
}

impl<S: Stream> Writer<S> {
    pub fn start(net: &impl Net, sink: Sink<S>, capacity: usize) -> Writer<S> {
        let (queue, items) = mpsc::channel(capacity.max(8));
        let overflowed = CancellationToken::new();
        let task = net.spawn(write_frames(sink, items, overflowed.clone()));
        Writer { outbox: Outbox { queue, overflowed }, task }
    }

    /// Lets the writer send what is queued (all of it, unless the client is a slow consumer),
    /// sends `last_words` directly if given, then waits briefly for the client's half of the close.
    pub async fn finish(self, incoming: SplitStream<WebSocketStream<S>>, ending: Ending) {
        let Writer { outbox, task } = self;
        drop(outbox);
        let Ok(Ok(sink)) = tokio::time::timeout(CLOSE_HANDSHAKE, task).await else { return };
        let Ok(mut ws) = sink.reunite(incoming) else { return };
        let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
            match ending {
                Ending::Drain => while ws.next().await.is_some() {},
                Ending::Discard => {
                    // The WebSocket stream is over, but the socket may still hold the rest of a
                    // refused frame, or more frames. Dropping the socket with
                    // unread bytes would reset the connection and destroy the close frame in
                    // flight, so read and discard until the client hangs up. On the heap: an
                    // array would sit in every session's future from its start, 4 KB each.
                    let mut scratch = vec![0u8; 4096];
                    while matches!(ws.get_mut().read(&mut scratch).await, Ok(n) if n > 0) {}
                }
                Ending::LastWords(error, close) => {
                    let reason = error.code.as_str().to_owned();
                    let _ = ws.send(Message::text(ServerFrame::Error(error).to_text())).await;
                    let _ = ws.send(close_message(close, reason)).await;
                    // Read what the client still sends: unread bytes would reset the connection
                    // and destroy these last words before the client reads them.
                    while ws.next().await.is_some() {}
                }
            }
        })
        .await;
    }
}

/// What the session still has to do on its way out.
pub(super) enum Ending {
    /// Everything is queued; read until the client completes the close.
    Drain,
    /// The WebSocket stream ended on a refused frame; read raw bytes until the client hangs up.
    Discard,
    /// The outbox was abandoned; say this directly on the socket, if it still takes anything.
    LastWords(ErrorFrame, CloseCode),
}

fn close_message(code: CloseCode, reason: String) -> Message {
    Message::Close(Some(CloseFrame { code: code.as_u16().into(), reason: reason.into() }))
}

async fn write_frames<S: Stream>(
    mut sink: Sink<S>,
    mut items: mpsc::Receiver<Outbound>,
    overflowed: CancellationToken,
) -> Sink<S> {
    loop {
        let item = tokio::select! {
            biased;
            () = overflowed.cancelled() => return sink,
            item = items.recv() => item,
        };
        let Some(item) = item else { break };
        let (message, last) = match item {
            Outbound::Frame(text) => (Message::text(text), false),
            Outbound::Ping => (Message::Ping(Default::default()), false),
            Outbound::Close(code, reason) => (close_message(code, reason), true),
        };
        let sent = tokio::select! {
            biased;
            () = overflowed.cancelled() => return sink,
            sent = sink.send(message) => sent,
        };
        if sent.is_err() || last {
            break;
        }
    }
    // Flushes the reply to a client-initiated close, if that is how the session ended.
    let _ = sink.close().await;
    sink
}
