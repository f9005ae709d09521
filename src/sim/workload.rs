//! The workload: the client hosts, each running its clients as tasks of one host, and the tokens
//! the clients present.

use std::sync::Arc;

use futures_util::future::join_all;
use rand::Rng as _;

use super::client::Client;
use super::clock::SimClock;
use super::engine::Engine;
use super::hosts::jwt_secret;
use super::net::SimNet;
use super::scenario::{ClientPolicy, ClientSpec, Scenario, TokenKind, client_host};
use super::seeds::{Purpose, derive, rng};
use super::trace::{Event, Recorder};
use crate::clock::{Clock, Rng, SharedClock};
use crate::net::Net;
use crate::token::{Claims, mint};

/// Lifetime of unknown-user tokens, and of expired ones before they expired.
const TOKEN_TTL_SECS: u64 = 3600;

/// Installs the client hosts. Each finishes when all its clients have; a crash stops it for good.
pub(super) fn register(engine: &mut Engine, scenario: &Scenario, recorder: &Recorder) {
    for (host_index, conditions) in scenario.client_hosts.iter().enumerate() {
        let host = client_host(host_index);
        let seed = derive(scenario.seed, Purpose::Chunking { host: &host, incarnation: 1 });
        let chunking = conditions.chunking;
        let mut clients =
            clients(scenario, host_index, Arc::new(SimClock::skewed(conditions.skew_ms)), recorder);
        engine.install(
            &host,
            Box::new(move |handle, _| {
                let net = SimNet::new(handle, chunking, seed);
                let clients = std::mem::take(&mut clients);
                Box::pin(async move {
                    join_all(clients.into_iter().map(|client| client.start(net.clone()))).await;
                    Ok(())
                })
            }),
        );
    }
}

/// The clients of client host `host_index`, before their start times; `clock` is the host's.
pub(crate) fn clients(
    scenario: &Scenario,
    host_index: usize,
    clock: SharedClock,
    recorder: &Recorder,
) -> Vec<Pending> {
    let host = client_host(host_index);
    scenario
        .clients
        .iter()
        .enumerate()
        .filter(|(_, spec)| spec.host == host_index)
        .map(|(index, spec)| Pending {
            index,
            host: host.clone(),
            spec: spec.clone(),
            seed: scenario.seed,
            policy: scenario.client_policy.clone(),
            clock: Arc::clone(&clock),
            recorder: recorder.clone(),
        })
        .collect()
}

/// A client before its start time.
pub(crate) struct Pending {
    index: usize,
    host: String,
    spec: ClientSpec,
    seed: u64,
    policy: ClientPolicy,
    clock: SharedClock,
    recorder: Recorder,
}

impl Pending {
    pub(crate) async fn start<N: Net>(self, net: N) {
        tokio::time::sleep(std::time::Duration::from_millis(self.spec.start_ms)).await;
        let mut rng = rng(self.seed, Purpose::Client(self.index));
        let (token, token_exp) = token(&self.spec, &*self.clock, &mut rng);
        self.recorder.record(
            &self.host,
            Event::ClientStarted {
                client: self.index,
                user: self.spec.user.clone(),
                token: self.spec.token,
                token_exp,
            },
        );
        let client = Client {
            index: self.index,
            host: self.host,
            spec: self.spec,
            policy: self.policy,
            net,
            rng,
            recorder: self.recorder,
            token,
        };
        client.run().await;
    }
}

/// The token `spec` asks for, minted by the client host's clock, and its `exp` if it has one.
fn token(spec: &ClientSpec, clock: &dyn Clock, rng: &mut Rng) -> (String, Option<u64>) {
    let now = clock.unix_secs();
    let claims = match spec.token {
        TokenKind::Valid { ttl_secs } => Claims::new(&spec.user, now, ttl_secs),
        TokenKind::Expired { ago_secs } => {
            Claims::new(&spec.user, now.saturating_sub(ago_secs + TOKEN_TTL_SECS), TOKEN_TTL_SECS)
        }
        TokenKind::UnknownUser => Claims::new(&spec.user, now, TOKEN_TTL_SECS),
        TokenKind::Malformed => return (format!("not-a-jwt.{:016x}", rng.random::<u64>()), None),
    };
    (mint(&claims, jwt_secret().as_bytes()), Some(claims.exp))
}
