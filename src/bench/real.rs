//! The standard scenario's workload on real TCP: auth, idgen and the gateway on loopback
//! (`TokioNet`, the machine's clock, real sleeps), and the scenario's clients as WebSocket clients
//! with its start times, think times and messages.
//!
//! Loopback adds no latency, so this run is shorter than the simulated one (whose links take
//! 10–200 ms): the speedup it gives is an underestimate.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::SinkExt as _;
use futures_util::future::try_join_all;
use rand::Rng as _;
use tokio_tungstenite::tungstenite::Message;

use crate::clock::{Clock, SystemClock};
use crate::loopback::{Addrs, LoopbackConfig, Running};
use crate::protocol::{ClientFrame, ClientMessage};
use crate::services::Secret;
use crate::services::gateway::{GatewayConfig, result_for};
use crate::sim::client::message_id;
use crate::sim::scenario::{ClientSpec, Scenario};
use crate::sim::seeds::{Purpose, rng};
use crate::soak::{Answer, answer, connect};
use crate::token::{Claims, mint};

/// What every client sends: real tokens and the agent's answers do not depend on it.
const CONTENT: &str = "hello agent please count these words";

/// Wall time from the first client's start to the last client's close.
pub(super) fn standard(scenario: &Scenario) -> anyhow::Result<Duration> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a tokio runtime")?;
    runtime.block_on(run(scenario))
}

async fn run(scenario: &Scenario) -> anyhow::Result<Duration> {
    let jwt_secret = Secret::new("bench-only-jwt-secret");
    let service_secret = Secret::new("bench-only-service-secret");
    let config = LoopbackConfig {
        addrs: Addrs::ephemeral(),
        jwt_secret: jwt_secret.clone(),
        service_secret: service_secret.clone(),
        users: scenario.users.clone(),
        gateway: GatewayConfig::new("", "", service_secret),
    };
    let running = Running::start(config).await?;
    let url = running.ws_url();
    let now = SystemClock.unix_secs();
    let started = Instant::now();
    let clients = scenario.clients.iter().enumerate().map(|(index, spec)| {
        let token = mint(&Claims::new(&spec.user, now, 3600), jwt_secret.expose().as_bytes());
        client(&url, token, index, spec, scenario.seed)
    });
    try_join_all(clients).await?;
    let wall = started.elapsed();
    running.shutdown().await?;
    Ok(wall)
}

async fn client(url: &str, token: String, index: usize, spec: &ClientSpec, seed: u64) -> anyhow::Result<()> {
    let mut rng = rng(seed, Purpose::Client(index));
    tokio::time::sleep(Duration::from_millis(spec.start_ms)).await;
    let mut ws = connect(url, &token).await.with_context(|| format!("client {index} could not connect"))?;
    for n in 0..spec.messages {
        let think = rng.random_range(spec.think_ms.0..=spec.think_ms.1);
        tokio::time::sleep(Duration::from_millis(think)).await;
        let message = ClientMessage { id: message_id(index, n), content: CONTENT.to_owned() };
        ws.send(Message::text(ClientFrame::UserMessage(message.clone()).to_text())).await?;
        if !matches!(answer(&mut ws, &message.id, &result_for(CONTENT)).await, Answer::Completed) {
            bail!("client {index}: message {n} was not completed");
        }
    }
    ws.close(None).await?;
    Ok(())
}
