//! The workload: the client hosts, each running its clients as tasks of one host (not one host per
//! client, which turmoil makes expensive), and the tokens the clients present.

use std::collections::BTreeMap;
use std::rc::Rc;

use futures_util::future::join_all;
use rand::Rng as _;
use tokio::sync::Notify;
use turmoil::Sim;

use super::client::Client;
use super::clock::SimClock;
use super::hosts::jwt_secret;
use super::net::SimNet;
use super::scenario::{ClientPolicy, ClientSpec, Scenario, TokenKind, client_host};
use super::seeds::{Purpose, derive, rng};
use super::trace::{Event, Recorder};
use crate::clock::{Clock, Rng};
use crate::token::{Claims, mint};

/// Lifetime of unknown-user tokens, and of expired ones before they expired.
const TOKEN_TTL_SECS: u64 = 3600;

/// What crashes a client host. turmoil crashes only server hosts, so a client host's software
/// stops itself when its plug is pulled, dropping its clients' connections unclosed; the fault
/// injector has cut the host off from every other host first, so nothing it sends on the way
/// down arrives.
#[derive(Clone, Default)]
pub(super) struct Plug(Rc<Notify>);

impl Plug {
    pub fn pull(&self) {
        self.0.notify_one();
    }
}

/// Registers the client hosts with `sim` and returns their plugs, by host name. Each host finishes
/// when all its clients have, or when its plug is pulled.
pub(super) fn register(
    sim: &mut Sim<'_>,
    scenario: &Scenario,
    recorder: &Recorder,
) -> BTreeMap<String, Plug> {
    let mut plugs = BTreeMap::new();
    for (host_index, conditions) in scenario.client_hosts.iter().enumerate() {
        let host = client_host(host_index);
        let seed = derive(scenario.seed, Purpose::Chunking { host: &host, incarnation: 1 });
        let net = SimNet::new(conditions.chunking, seed);
        let clock = SimClock::skewed(conditions.skew_ms);
        let clients: Vec<_> = scenario
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
                net: net.clone(),
                clock,
                recorder: recorder.clone(),
            })
            .collect();
        let plug = Plug::default();
        plugs.insert(host.clone(), plug.clone());
        sim.client(host.clone(), async move {
            tokio::select! {
                biased;
                () = plug.0.notified() => {}
                _ = join_all(clients.into_iter().map(Pending::start)) => {}
            }
            Ok(())
        });
    }
    plugs
}

/// A client before its start time.
struct Pending {
    index: usize,
    host: String,
    spec: ClientSpec,
    seed: u64,
    policy: ClientPolicy,
    net: SimNet,
    clock: SimClock,
    recorder: Recorder,
}

impl Pending {
    async fn start(self) {
        tokio::time::sleep(std::time::Duration::from_millis(self.spec.start_ms)).await;
        let mut rng = rng(self.seed, Purpose::Client(self.index));
        let (token, token_exp) = token(&self.spec, &self.clock, &mut rng);
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
            net: self.net,
            rng,
            recorder: self.recorder,
            token,
        };
        client.run().await;
    }
}

/// The token `spec` asks for, minted by the client host's clock, and its `exp` if it has one.
fn token(spec: &ClientSpec, clock: &SimClock, rng: &mut Rng) -> (String, Option<u64>) {
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
