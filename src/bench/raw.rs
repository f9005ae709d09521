//! The raw work of the standard scenario's workload, with no network and no simulator: what any
//! run of it must at least do. Per client: a token minted and verified, and the
//! `connection_established` frame; per message: the user frame and the agent's five frames, each
//! serialised to JSON, framed as WebSocket (masked from the client) across an in-memory duplex,
//! and parsed on the other side.
//!
//! Not included, though a simulated run does them: the HTTP upgrade, the HTTP calls to auth and
//! idgen, the closes, and recording the trace.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::json;
use tokio::io::{DuplexStream, duplex};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::context::SessionContext;
use crate::protocol::{ClientFrame, ClientMessage, EventFrame, EventKind, ServerFrame};
use crate::services::gateway::result_for;
use crate::sim::client::message_id;
use crate::sim::scenario::Scenario;
use crate::token::{Claims, Verifier, mint};

const SECRET: &[u8] = b"bench-only-jwt-secret";
const CONTENT: &str = "hello agent please count these words";
const DUPLEX_BYTES: usize = 64 * 1024;
/// As small as the simulation's WebSocket buffers, so that neither side pays for allocating more.
const WS_BUFFER_BYTES: usize = 4 * 1024;
/// The simulation's epoch; tokens are checked against it.
const NOW: u64 = crate::sim::clock::EPOCH_UNIX_SECS;

type Ws = WebSocketStream<DuplexStream>;

/// Wall time of `runs` raw workloads of `scenario`, one after another on this thread.
pub(super) fn workload(scenario: &Scenario, runs: u32) -> anyhow::Result<Duration> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().build().context("starting a tokio runtime")?;
    runtime.block_on(async {
        let started = Instant::now();
        for _ in 0..runs {
            for (index, client) in scenario.clients.iter().enumerate() {
                session(index, &client.user, client.messages).await?;
            }
        }
        Ok(started.elapsed())
    })
}

async fn session(index: usize, user: &str, messages: u32) -> anyhow::Result<()> {
    let token = mint(&Claims::new(user, NOW, 3600), SECRET);
    let claims = Verifier::new(SECRET, 0).verify(&token, NOW)?;
    let (client_end, server_end) = duplex(DUPLEX_BYTES);
    let config = WebSocketConfig::default().read_buffer_size(WS_BUFFER_BYTES).write_buffer_size(0);
    let mut client = WebSocketStream::from_raw_socket(client_end, Role::Client, Some(config)).await;
    let mut server = WebSocketStream::from_raw_socket(server_end, Role::Server, Some(config)).await;
    let context = context(index, &claims.sub);
    send(&mut server, &ServerFrame::ConnectionEstablished { context: context.clone() }).await?;
    receive_server_frame(&mut client).await?;
    let mut seq = 0;
    for n in 0..messages {
        let message = ClientMessage { id: message_id(index, n), content: CONTENT.to_owned() };
        client.send(Message::text(ClientFrame::UserMessage(message).to_text())).await?;
        let Some(Ok(Message::Text(text))) = server.next().await else { bail!("no user frame") };
        let ClientFrame::UserMessage(message) =
            ClientFrame::parse(&text).map_err(|e| anyhow::anyhow!(e.reason))?
        else {
            bail!("not a user message");
        };
        let result = result_for(&message.content);
        let data = [
            json!({"agent": "word-counter"}),
            json!({"think_ms": 20}),
            json!({"tool": "word_count", "input_chars": result.chars}),
            json!({"tool": "word_count", "tool_ms": 50, "output": {"words": result.words}}),
            json!({"result": result}),
        ];
        for (kind, data) in EventKind::SEQUENCE.into_iter().zip(data) {
            seq += 1;
            let frame = EventFrame {
                context: context.clone(),
                message_id: message.id.clone(),
                request_id: context.request_id(u64::from(n) + 1),
                seq,
                data: data.into(),
            };
            send(&mut server, &ServerFrame::event(kind, frame)).await?;
            receive_server_frame(&mut client).await?;
        }
    }
    Ok(())
}

async fn send(ws: &mut Ws, frame: &ServerFrame) -> anyhow::Result<()> {
    Ok(ws.send(Message::text(frame.to_text())).await?)
}

async fn receive_server_frame(ws: &mut Ws) -> anyhow::Result<ServerFrame> {
    match ws.next().await {
        Some(Ok(Message::Text(text))) => Ok(serde_json::from_str(&text)?),
        other => bail!("expected a server frame, got {other:?}"),
    }
}

/// A context shaped like idgen's.
fn context(index: usize, user: &str) -> SessionContext {
    let id = |kind: &str| format!("{kind}_18bcfe56800_{}_9c1e0b77", index + 1);
    SessionContext {
        context_id: id("ctx"),
        user_id: user.to_owned(),
        thread_id: id("thread"),
        run_id: id("run"),
        websocket_client_id: id("ws"),
    }
}
