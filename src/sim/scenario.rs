//! A scenario: everything one simulated run varies, as plain data (`docs/design.md` §3.3).
//!
//! Every field has a documented default, so a hand-written scenario file names only what it
//! changes. Times are milliseconds of simulated time from the start of the run. Faults are either
//! absolute ([`At::Ms`]) or relative to something a client did ([`At::After`]), so that a shrunk
//! scenario keeps them meaningful ("bounce idgen 5 ms after client 2 sent its first message").

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::services::gateway::{Environment, Mode};

mod calls;
mod clients;
mod limits;
mod validate;

pub use calls::{CALL_TIMEOUT_MS, CALLER_HOST, SecretKind, ServiceCall, ServiceRequest};
pub use clients::{BadInput, ClientPolicy, ClientSpec, MessageType, TokenKind};
pub use limits::GatewayLimits;

/// The service hosts, by name. Their names are also their DNS names in the simulation.
pub const AUTH: &str = "auth";
pub const IDGEN: &str = "idgen";
pub const GATEWAY: &str = "gateway";
pub const SERVICES: [&str; 3] = [AUTH, IDGEN, GATEWAY];

/// Everything a run varies, as plain data: what `gatesim scenario SEED` prints and
/// `gatesim replay --scenario FILE SEED` reads. A scenario file names only what it changes from
/// the defaults:
///
/// ```
/// use gatesim::checkers::{Options, verify};
/// use gatesim::sim::Scenario;
///
/// let file = r#"{"seed": 12, "clients": [{"user": "bob", "messages": 2}, {"user": "carol"}]}"#;
/// let scenario: Scenario = serde_json::from_str(file).unwrap();
/// assert_eq!(scenario.clients[0].messages, 2);
/// assert!(verify(&scenario, Options::TRACE_ONLY).passed());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Why this scenario is kept, for scenarios in the regression corpus (`fixtures/seeds/`): what
    /// it once broke. Never read by the simulation. Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The root seed. Every random choice of the run (link latencies, the order of same-instant
    /// packets, tokio's `select!`s, each service incarnation's, each client's, each host's
    /// stream chunking) derives from it. Default 0.
    pub seed: u64,
    /// The gateway's architecture. Default `fixed`.
    pub mode: Mode,
    /// Given to the gateway. Default label `dev`, no platform variables.
    pub environment: Environment,
    /// Users auth knows. Default alice, bob and carol.
    pub users: BTreeSet<String>,
    pub auth: ServiceSpec,
    pub idgen: ServiceSpec,
    pub gateway: ServiceSpec,
    pub network: Network,
    /// The hosts the clients run on, named `client-0`, `client-1`, ... Default one, unskewed and
    /// unchunked.
    pub client_hosts: Vec<HostConditions>,
    /// Client hosts that crash for good: their machine vanishes without closing anything, and the
    /// gateway is left holding half-open connections until its idle timeout. Default none.
    pub client_crashes: Vec<ClientCrash>,
    /// Default four clients on `client-0`: alice, bob, alice again (two sessions of one user) and
    /// carol, three messages each.
    pub clients: Vec<ClientSpec>,
    pub client_policy: ClientPolicy,
    /// How long the gateway keeps a session it hears nothing from, in ms; it pings at a third of
    /// it. It also bounds how long the end-of-run probe waits for the gateway to release every
    /// session. Default 30 000, the gateway's own default.
    pub idle_timeout_ms: u64,
    /// The gateway's limits and connect retry policy. Default the gateway's own.
    pub limits: GatewayLimits,
    /// Requests sent straight to auth and idgen from a host of their own, `CALLER_HOST`.
    /// Default none.
    pub service_calls: Vec<ServiceCall>,
}

/// A client host that crashes at `at` and never comes back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCrash {
    /// Index into `client_hosts`.
    pub host: usize,
    pub at: At,
}

/// One service host.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceSpec {
    /// Delay before the host's first start. A restarted host starts at once. Default 0.
    pub start_delay_ms: u64,
    /// How long after each start the service answers 503. Auth and idgen only: the gateway has no
    /// warm-up. Default 0.
    pub warmup_ms: u64,
    /// Default none.
    pub restarts: Vec<Restart>,
    pub conditions: HostConditions,
}

/// What is peculiar to one host, service or client.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostConditions {
    /// Offset of the host's wall clock from simulated true time, in milliseconds, either sign.
    /// Tokens' `exp`/`iat` and idgen's `boot` meet it. Default 0.
    pub skew_ms: i64,
    /// How the host's TCP streams are cut up. Default none: every write arrives as one segment.
    pub chunking: Option<Chunking>,
}

/// Stream chunking: the host's streams hand reads back in pieces of 1..=`max_read` bytes (merging
/// segments that have already arrived), and send what is written in segments of 1..=`max_write`
/// bytes, coalescing writes until a flush. Sizes are drawn from the host's seeded RNG, so WebSocket
/// and HTTP parsing meet split and merged segments reproducibly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chunking {
    pub max_read: usize,
    pub max_write: usize,
}

/// A restart of a service host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Restart {
    /// The software is stopped and started again at once.
    Bounce { at: At },
    /// The software is stopped; it comes back `down_ms` later, or never when that is absent.
    Crash { at: At, down_ms: Option<u64> },
    /// The service is asked to shut down gracefully (§2.12) and is not started again.
    Stop { at: At },
}

impl Restart {
    pub fn at(&self) -> &At {
        match self {
            Restart::Bounce { at } | Restart::Crash { at, .. } | Restart::Stop { at } => at,
        }
    }

    pub fn at_mut(&mut self) -> &mut At {
        match self {
            Restart::Bounce { at } | Restart::Crash { at, .. } | Restart::Stop { at } => at,
        }
    }
}

/// When a fault starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum At {
    /// At this simulated millisecond.
    Ms(u64),
    /// `delay_ms` after `client` first reached `milestone`; never if it never does.
    After { client: usize, milestone: Milestone, delay_ms: u64 },
}

/// Something a client does that a fault can be timed against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum Milestone {
    /// Received its first `connection_established`.
    Established,
    /// Sent its `message`th user message (from 0, counted across sessions).
    Sent { message: u32 },
    /// Received `agent_completed` for its `message`th user message.
    Completed { message: u32 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    /// Latency range of every link not listed in `links`, in ms. Default 1..=10.
    pub latency_ms: (u64, u64),
    /// Links with their own latency range. Default none.
    pub links: Vec<LinkLatency>,
    /// Links that drop everything for a while. Default none.
    pub partitions: Vec<LinkFault>,
    /// Links that hold everything for a while, then deliver it at once. Default none.
    pub holds: Vec<LinkFault>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkLatency {
    pub a: String,
    pub b: String,
    pub latency_ms: (u64, u64),
}

/// A fault on the link between hosts `a` and `b`, both ways, from `at` for `duration_ms`.
/// Overlapping faults on one link end when the first of them ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkFault {
    pub a: String,
    pub b: String,
    pub at: At,
    pub duration_ms: u64,
}

impl Default for Scenario {
    fn default() -> Scenario {
        let client =
            |user: &str, start_ms| ClientSpec { user: user.to_owned(), start_ms, ..ClientSpec::default() };
        Scenario {
            note: None,
            seed: 0,
            mode: Mode::Fixed,
            environment: Environment::default(),
            users: ["alice", "bob", "carol"].into_iter().map(str::to_owned).collect(),
            auth: ServiceSpec::default(),
            idgen: ServiceSpec::default(),
            gateway: ServiceSpec::default(),
            network: Network::default(),
            client_hosts: vec![HostConditions::default()],
            clients: vec![client("alice", 0), client("bob", 5), client("alice", 10), client("carol", 15)],
            client_policy: ClientPolicy::default(),
            client_crashes: Vec::new(),
            idle_timeout_ms: 30_000,
            limits: GatewayLimits::default(),
            service_calls: Vec::new(),
        }
    }
}

impl Default for Network {
    fn default() -> Network {
        Network { latency_ms: (1, 10), links: Vec::new(), partitions: Vec::new(), holds: Vec::new() }
    }
}

/// The name of client host `index`.
pub fn client_host(index: usize) -> String {
    format!("client-{index}")
}

/// Slack on top of the longest a client can take, before the engine gives up on the run.
const DURATION_SLACK_MS: u64 = 1000;
/// The gateway's two close-handshake waits of 1 s each, and a second for the probe's last poll.
const RELEASE_SLACK_MS: u64 = 3000;

impl Scenario {
    /// What the scenario plans to send, in messages: each message counts one, and each KiB of
    /// content one more. A flood of frames near the 64 KiB limit plans some 80,000, an ordinary
    /// scenario tens.
    pub fn planned_cost(&self) -> u64 {
        let client = |c: &ClientSpec| {
            let kib = c.content_bytes.map_or(0, |(_, most)| most / 1024);
            u64::from(c.messages) * (1 + kib)
        };
        self.clients.iter().map(client).sum()
    }

    pub fn service(&self, name: &str) -> &ServiceSpec {
        match name {
            AUTH => &self.auth,
            IDGEN => &self.idgen,
            GATEWAY => &self.gateway,
            _ => panic!("{name} is not a service"),
        }
    }

    pub fn service_mut(&mut self, name: &str) -> &mut ServiceSpec {
        match name {
            AUTH => &mut self.auth,
            IDGEN => &mut self.idgen,
            GATEWAY => &mut self.gateway,
            _ => panic!("{name} is not a service"),
        }
    }

    /// Every host of the run, services first, then the clients' and the caller's.
    pub fn hosts(&self) -> Vec<String> {
        let clients = (0..self.client_hosts.len()).map(client_host);
        let caller = (!self.service_calls.is_empty()).then(|| CALLER_HOST.to_owned());
        SERVICES.iter().map(|s| s.to_string()).chain(clients).chain(caller).collect()
    }

    /// How long the run may take, in ms: every wait of every client is bounded, so a run that
    /// goes past this has a client stuck on an unbounded wait, which is a harness bug.
    pub fn duration_ms(&self) -> u64 {
        let p = &self.client_policy;
        let per_session =
            p.connect_timeout_ms + p.establish_timeout_ms + 2 * p.close_timeout_ms + p.backoff_ms.1;
        let longest = self.clients.iter().map(|c| {
            let per_message = c.think_ms.1 + p.message_timeout_ms;
            let sessions = u64::from(p.max_attempts) * per_session;
            c.start_ms + sessions + c.linger_ms + u64::from(c.messages) * per_message
        });
        let calls = self.service_calls.iter().map(|call| call.at_ms + CALL_TIMEOUT_MS);
        longest.chain(calls).max().unwrap_or(0) + self.release_window_ms() + DURATION_SLACK_MS
    }

    /// How long after the last client stops the gateway may still hold one of its sessions, in
    /// ms. A client gone by then may have left the gateway establishing its session, which takes
    /// up to the connect deadline; the session, silent from its start, is closed at the first
    /// ping tick past the idle timeout (ticks come a third of it apart), then waits out at most
    /// two close handshakes. The end-of-run probe waits this long for every session's release.
    pub fn release_window_ms(&self) -> u64 {
        self.limits.connect_deadline_ms + self.idle_timeout_ms + self.idle_timeout_ms / 3 + RELEASE_SLACK_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::RequiredClaim;

    #[test]
    fn the_default_scenario_is_valid_and_shares_a_user() {
        let scenario = Scenario::default();
        assert_eq!(scenario.validate(), Ok(()));
        let users: BTreeSet<_> = scenario.clients.iter().map(|c| &c.user).collect();
        assert!(users.len() < scenario.clients.len());
    }

    #[test]
    fn a_partial_file_takes_the_documented_defaults() {
        let scenario: Scenario = serde_json::from_str(
            r#"{"seed": 7, "idgen": {"restarts": [{"kind": "bounce", "at": {"ms": 5}}]}}"#,
        )
        .unwrap();
        assert_eq!(scenario.seed, 7);
        assert_eq!(scenario.idgen.restarts, vec![Restart::Bounce { at: At::Ms(5) }]);
        assert_eq!(scenario.clients, Scenario::default().clients);
        let client: ClientSpec =
            serde_json::from_str(r#"{"token": {"kind": "missing_claim", "claim": "exp"}}"#).unwrap();
        assert_eq!(client.token, TokenKind::MissingClaim { claim: RequiredClaim::Exp });
        assert!(serde_json::from_str::<Scenario>(r#"{"sead": 7}"#).is_err());
    }
}
