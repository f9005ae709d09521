//! One WebSocket connection, from the connect sequence to the close.
//!
//! Three tasks share the connection: this one reads client frames ([`reader`]); a writer owns the
//! socket's sending half and is fed through a bounded outbox ([`writer`]); a worker runs the agent
//! on user messages in order ([`worker`]). The context is built once, before any client frame is
//! read, and every frame reuses it.

mod reader;
mod worker;
mod writer;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use super::limits::RateLimit;
use super::{Gateway, connect};
use crate::clock::Rng;
use crate::net::{Net, Stream};
use crate::protocol::{CloseCode, ErrorCode, ErrorFrame, ServerFrame};
use reader::Reader;
use worker::Worker;
use writer::{Ending, Outbound, Writer};

/// How the read loop ended.
pub(super) enum End {
    /// The client closed or the connection broke: nobody is left to answer.
    ClientLeft,
    /// The gateway is shutting down: finish in-flight messages, then close with 1000.
    Draining,
    /// The session already queued its error and close (idle timeout, or 1011 in a legacy mode).
    Closed,
    /// tungstenite refused a frame (too large, or not UTF-8) and the stream is over; the error
    /// and close are queued, and the socket may still hold the rest of the frame.
    Refused,
    /// The client let the outbox overflow.
    SlowConsumer,
}

const SHUTTING_DOWN: &str = "server shutting down";

pub(super) async fn run<N: Net, S: Stream>(
    gateway: Arc<Gateway<N>>,
    ws: WebSocketStream<S>,
    token: String,
    mut rng: Rng,
) {
    let limits = gateway.config.limits.clone();
    let (sink, mut incoming) = ws.split();
    let writer = Writer::start(&gateway.net, sink, limits.outbound_frames);
    let outbox = writer.outbox.clone();

    let established = tokio::select! {
        result = connect::establish(&gateway, &token, &mut rng) => Some(result),
        () = gateway.draining.cancelled() => None,
    };
    // The slot is held, and counted as an open session, until this function returns.
    let (context, _slot) = match established {
        Some(Ok(established)) => established,
        Some(Err(failure)) => {
            tracing::info!(code = failure.code.as_str(), reason = %failure.message, "session refused");
            let close = failure.code.close_code().unwrap_or(CloseCode::Internal);
            outbox.close_with(ErrorFrame::new(failure.code, failure.message), close);
            return writer.finish(incoming, Ending::Drain).await;
        }
        None => {
            let _ = outbox.push(Outbound::Close(CloseCode::Normal, SHUTTING_DOWN.to_owned()));
            return writer.finish(incoming, Ending::Drain).await;
        }
    };
    tracing::debug!(context_id = %context.context_id, "session established");
    if outbox.frame(ServerFrame::ConnectionEstablished { context: context.clone() }).is_err() {
        return writer.finish(incoming, Ending::Drain).await;
    }

    let closed = CancellationToken::new();
    let in_flight = Arc::new(Mutex::new(BTreeSet::new()));
    let (work, messages) = tokio::sync::mpsc::channel(gateway.config.max_queued_messages.max(1));
    let worker = Worker {
        gateway: Arc::clone(&gateway),
        context: context.clone(),
        outbox: outbox.clone(),
        in_flight: Arc::clone(&in_flight),
        closed: closed.clone(),
    };
    let mut worker = gateway.net.spawn(worker.run(messages, rng));
    let mut reader = Reader {
        context: context.clone(),
        outbox: outbox.clone(),
        work,
        in_flight,
        rate: RateLimit::new(limits.message_burst, limits.messages_per_sec),
        last_heard: Instant::now(),
    };
    let ping_every = limits.idle_timeout / 3;
    let mut pings = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);

    let end = loop {
        let frame = tokio::select! {
            frame = incoming.next() => frame,
            _ = pings.tick() => match reader.on_tick(limits.idle_timeout) {
                Some(end) => break end,
                None => continue,
            },
            () = gateway.draining.cancelled() => break End::Draining,
            () = closed.cancelled() => break End::Closed,
            () = outbox.overflowed() => break End::SlowConsumer,
        };
        if let Some(end) = reader.on_frame(frame).await {
            break end;
        }
    };
    drop(reader);
    let ending = match end {
        End::ClientLeft | End::Closed => Ending::Drain,
        End::Refused => Ending::Discard,
        End::SlowConsumer => {
            let message = format!("more than {} frames waiting to be read", limits.outbound_frames);
            Ending::LastWords(
                ErrorFrame::new(ErrorCode::SlowConsumer, message).in_context(&context),
                CloseCode::Policy,
            )
        }
        End::Draining => {
            if tokio::time::timeout(gateway.config.shutdown_grace, &mut worker).await.is_err() {
                tracing::warn!(context_id = %context.context_id, "in-flight messages outlived the shutdown grace");
            }
            let _ = outbox.push(Outbound::Close(CloseCode::Normal, SHUTTING_DOWN.to_owned()));
            Ending::Drain
        }
    };
    worker.abort();
    drop(outbox);
    writer.finish(incoming, ending).await;
}
