//! [`Scenario::from_seed`]: scenarios drawn from a seed, swarm style. Each seed first decides
//! which kinds of fault its run has at all, then draws them, so that runs differ in kind and not
//! only in degree: a run with only partitions finds what a run with every fault at once hides.

use std::collections::BTreeMap;

use rand::Rng as _;
use rand::seq::IndexedRandom as _;

use super::scenario::{
    AUTH, At, Chunking, ClientCrash, ClientSpec, GATEWAY, HostConditions, IDGEN, LinkFault, LinkLatency,
    Milestone, Restart, SERVICES, Scenario, ServiceSpec, TokenKind, client_host,
};
use super::seeds::{Purpose, rng};
use crate::clock::Rng;
use crate::services::gateway::Environment;
use crate::token::RequiredClaim;
use bad_input::bad_inputs;
use calls::service_calls;
use frames::{client_frames, resends};
use limits::{limits, workloads};
use outages::outage_during_connects;

pub mod bad_input;
pub mod calls;
mod frames;
mod limits;
mod outages;

/// The fault kinds one run has, each drawn with even odds.
#[derive(Clone, Copy, Debug)]
struct Kinds {
    start_delays: bool,
    warmups: bool,
    restarts: bool,
    latency: bool,
    partitions: bool,
    holds: bool,
    skew: bool,
    chunking: bool,
    bad_tokens: bool,
    many_hosts: bool,
}

impl Kinds {
    fn draw(rng: &mut Rng) -> Kinds {
        Kinds {
            start_delays: rng.random(),
            warmups: rng.random(),
            restarts: rng.random(),
            latency: rng.random(),
            partitions: rng.random(),
            holds: rng.random(),
            skew: rng.random(),
            chunking: rng.random(),
            bad_tokens: rng.random(),
            many_hosts: rng.random(),
        }
    }
}

const USERS: [&str; 3] = ["alice", "bob", "carol"];
/// Not among auth's users.
const STRANGER: &str = "mallory";
/// Faults start within this many ms of the start, or of the client milestone they follow.
pub(crate) const FAULT_WINDOW_MS: u64 = 6000;
/// The longest outages drawn: a crashed service's, a partition's, a hold's.
pub(crate) const LONGEST_DOWN_MS: u64 = 4000;
pub(crate) const LONGEST_PARTITION_MS: u64 = 4000;
pub(crate) const LONGEST_HOLD_MS: u64 = 2000;
/// Clock skew stays within this many ms either way; short-lived tokens expire inside it.
const MAX_SKEW_MS: i64 = 90_000;

impl Scenario {
    /// A scenario drawn from `seed`, which is also its root seed. Always in the fixed mode: the
    /// legacy modes are a separate axis, set on top.
    ///
    /// The same seed draws the same scenario in any process, and a scenario is plain data: it
    /// goes to a scenario file and back unchanged.
    ///
    /// ```
    /// use gatesim::sim::Scenario;
    ///
    /// let scenario = Scenario::from_seed(42);
    /// assert_eq!(scenario, Scenario::from_seed(42));
    /// assert_eq!(scenario.seed, 42);
    /// assert!(scenario.validate().is_ok());
    ///
    /// let file = serde_json::to_string_pretty(&scenario).unwrap();
    /// assert_eq!(serde_json::from_str::<Scenario>(&file).unwrap(), scenario);
    /// ```
    pub fn from_seed(seed: u64) -> Scenario {
        let mut rng = rng(seed, Purpose::Scenario);
        let kinds = Kinds::draw(&mut rng);
        let host_count = if kinds.many_hosts { rng.random_range(1..=3) } else { 1 };
        let client_hosts: Vec<_> =
            (0..host_count).map(|_| conditions(&mut rng, kinds, (HANDSHAKE_CHUNK_FLOOR, 1))).collect();
        let clients: Vec<_> =
            (0..rng.random_range(2..=10)).map(|_| client(&mut rng, kinds, host_count)).collect();
        let mut scenario = Scenario {
            seed,
            environment: environment(&mut rng),
            client_hosts,
            clients,
            ..Scenario::default()
        };
        for name in SERVICES {
            let spec = service(&mut rng, kinds, name, &scenario.clients);
            match name {
                AUTH => scenario.auth = spec,
                IDGEN => scenario.idgen = spec,
                _ => scenario.gateway = spec,
            }
        }
        network(&mut rng, kinds, &mut scenario);
        idle_sessions(&mut rng, &mut scenario);
        token_flaws(&mut rng, &mut scenario.clients);
        scenario.limits = limits(&mut rng, &scenario.network);
        workloads(&mut rng, &mut scenario);
        bad_inputs(&mut rng, &mut scenario);
        client_frames(&mut rng, &mut scenario);
        service_calls(&mut rng, &mut scenario);
        graceful_stop(&mut rng, &mut scenario);
        resends(&mut rng, &mut scenario);
        outage_during_connects(&mut rng, &mut scenario);
        scenario
    }
}

/// Drawn last, like [`idle_sessions`]: what exactly is wrong with each bad token. [`client`]
/// draws a third of them as not JWTs at all; each of those becomes one of the kinds of token auth
/// refuses for what it says or how it is signed, evenly, each missing claim a kind of its own.
/// Half the expired ones expired days ago rather than seconds: far beyond any skew, they must
/// always be refused as expired.
fn token_flaws(rng: &mut Rng, clients: &mut [ClientSpec]) {
    for client in clients {
        client.token = match client.token {
            TokenKind::Malformed => match rng.random_range(0..12) {
                0 => TokenKind::Malformed,
                1 => TokenKind::WrongAudience,
                2 => TokenKind::WrongIssuer,
                3 => TokenKind::WrongKey,
                4 => TokenKind::AlgNone,
                5 => TokenKind::WrongAlgorithm,
                n @ 6..=10 => TokenKind::MissingClaim { claim: RequiredClaim::ALL[n - 6] },
                _ => TokenKind::NotYetValid { in_secs: seconds_or_days(rng) },
            },
            TokenKind::Expired { .. } if rng.random() => TokenKind::Expired { ago_secs: days(rng) },
            other => other,
        };
    }
}

const DAY_SECS: u64 = 86_400;

/// 1 to 30 days, in seconds.
fn days(rng: &mut Rng) -> u64 {
    rng.random_range(DAY_SECS..=30 * DAY_SECS)
}

/// As often 1 to 600 s, which the clock skew between a client host and auth can make up, as 1 to
/// 30 days, which it cannot.
fn seconds_or_days(rng: &mut Rng) -> u64 {
    if rng.random() { rng.random_range(1..=600) } else { days(rng) }
}

/// Drawn last, so that they leave every earlier draw of a seed as it was: the gateway's idle
/// timeout, 1 to 10 s rather than the default half minute, so that sessions are pinged and a run
/// waits seconds, not half a minute, for the gateway to free the half-open sessions it ends with;
/// and in one run in four, a client host lost for good.
fn idle_sessions(rng: &mut Rng, scenario: &mut Scenario) {
    scenario.idle_timeout_ms = rng.random_range(1000..=10_000);
    if rng.random_bool(0.25) {
        let host = rng.random_range(0..scenario.client_hosts.len());
        scenario.client_crashes = vec![ClientCrash { host, at: at(rng, &scenario.clients) }];
    }
}

/// Drawn after the calls: in one run in twenty-five the gateway is asked to shut down gracefully (§2.12), and
/// is not started again. Mostly just after a client sent a message, so that the drain meets
/// messages in flight and queued; otherwise at any time in the first 6 s.
fn graceful_stop(rng: &mut Rng, scenario: &mut Scenario) {
    if !rng.random_bool(0.04) {
        return;
    }
    let senders: Vec<usize> =
        (0..scenario.clients.len()).filter(|&c| scenario.clients[c].messages > 0).collect();
    let at = match senders.choose(rng) {
        Some(&client) if rng.random_bool(0.75) => {
            let message = rng.random_range(0..scenario.clients[client].messages);
            At::After { client, milestone: Milestone::Sent { message }, delay_ms: rng.random_range(0..=100) }
        }
        _ => At::Ms(rng.random_range(0..=FAULT_WINDOW_MS)),
    };
    scenario.gateway.restarts.push(Restart::Stop { at });
}

fn environment(rng: &mut Rng) -> Environment {
    let mut environments = environments();
    environments.swap_remove(rng.random_range(0..environments.len())).1
}

/// The environments a scenario draws from, by name: the gateway must behave the same in each.
/// Cloud Run sets `K_SERVICE` to the service's name.
pub fn environments() -> Vec<(&'static str, Environment)> {
    let cloud_run = Environment {
        label: "production".to_owned(),
        vars: BTreeMap::from([("K_SERVICE".to_owned(), "gateway".to_owned())]),
    };
    vec![
        ("dev", Environment::labelled("dev")),
        ("staging", Environment::labelled("staging")),
        ("production", Environment::labelled("production")),
        ("Cloud Run", cloud_run),
    ]
}

/// The smallest chunk sizes that still let a client's handshake through: tungstenite's client takes
/// an HTTP response read in more than 64 pieces averaging under 128 bytes for an attack. A read
/// takes up to `max_read` bytes, half of it on average, and a response that echoes a token as the
/// subprotocol is some 500 bytes. So the gateway's writes and the clients' reads are cut no finer
/// than this; everything else goes down to single bytes.
const HANDSHAKE_CHUNK_FLOOR: usize = 32;

/// A host's conditions; `floors` are the smallest `max_read` and `max_write` it may draw.
fn conditions(rng: &mut Rng, kinds: Kinds, floors: (usize, usize)) -> HostConditions {
    let skew_ms = if kinds.skew && rng.random() { rng.random_range(-MAX_SKEW_MS..=MAX_SKEW_MS) } else { 0 };
    let chunking = (kinds.chunking && rng.random()).then(|| Chunking {
        max_read: (*[1, 2, 7, 64, 512, 4096].choose(rng).expect("not empty")).max(floors.0),
        max_write: (*[1, 3, 16, 100, 1500].choose(rng).expect("not empty")).max(floors.1),
    });
    HostConditions { skew_ms, chunking }
}

fn client(rng: &mut Rng, kinds: Kinds, host_count: usize) -> ClientSpec {
    let mut user = USERS.choose(rng).expect("not empty").to_string();
    let token = if kinds.bad_tokens && rng.random_bool(0.3) {
        match rng.random_range(0..3) {
            0 => TokenKind::Expired { ago_secs: rng.random_range(1..=600) },
            1 => {
                user = STRANGER.to_owned();
                TokenKind::UnknownUser
            }
            // Which of the other flaws it has is drawn last, by `token_flaws`.
            _ => TokenKind::Malformed,
        }
    } else if kinds.skew && rng.random_bool(0.3) {
        // Expires somewhere inside the skew window between the client host and auth.
        let max_skew_secs = MAX_SKEW_MS.unsigned_abs() / 1000;
        TokenKind::Valid { ttl_secs: rng.random_range(1..=max_skew_secs) }
    } else {
        TokenKind::default()
    };
    let think_low = rng.random_range(0..=50);
    ClientSpec {
        user,
        token,
        host: rng.random_range(0..host_count),
        start_ms: rng.random_range(0..=1500),
        messages: rng.random_range(0..=4),
        think_ms: (think_low, think_low + rng.random_range(0..=200)),
        ..ClientSpec::default()
    }
}

fn service(rng: &mut Rng, kinds: Kinds, name: &str, clients: &[ClientSpec]) -> ServiceSpec {
    let floors = if name == GATEWAY { (1, HANDSHAKE_CHUNK_FLOOR) } else { (1, 1) };
    let mut spec = ServiceSpec { conditions: conditions(rng, kinds, floors), ..ServiceSpec::default() };
    if kinds.start_delays && rng.random() {
        spec.start_delay_ms = rng.random_range(0..=FAULT_WINDOW_MS);
    }
    if kinds.warmups && name != GATEWAY && rng.random() {
        spec.warmup_ms = rng.random_range(0..=3000);
    }
    if kinds.restarts && rng.random() {
        spec.restarts = (0..rng.random_range(1..=2))
            .map(|_| {
                let at = at(rng, clients);
                if rng.random() {
                    Restart::Bounce { at }
                } else {
                    let down_ms = (!rng.random_bool(0.1)).then(|| rng.random_range(100..=LONGEST_DOWN_MS));
                    Restart::Crash { at, down_ms }
                }
            })
            .collect();
    }
    spec
}

fn network(rng: &mut Rng, kinds: Kinds, scenario: &mut Scenario) {
    let links = links(scenario.client_hosts.len());
    if kinds.latency {
        let low = rng.random_range(0..=20);
        scenario.network.latency_ms = (low, low + rng.random_range(0..=150));
        scenario.network.links = (0..rng.random_range(0..=2))
            .map(|_| {
                let (a, b) = links.choose(rng).expect("not empty").clone();
                let low = rng.random_range(0..=400);
                LinkLatency { a, b, latency_ms: (low, low + rng.random_range(0..=1200)) }
            })
            .collect();
    }
    let mut faults = |enabled: bool, longest_ms: u64| -> Vec<LinkFault> {
        if !enabled {
            return Vec::new();
        }
        (0..rng.random_range(1..=2))
            .map(|_| {
                let (a, b) = links.choose(rng).expect("not empty").clone();
                LinkFault {
                    a,
                    b,
                    at: at(rng, &scenario.clients),
                    duration_ms: rng.random_range(50..=longest_ms),
                }
            })
            .collect()
    };
    let partitions = faults(kinds.partitions, LONGEST_PARTITION_MS);
    let holds = faults(kinds.holds, LONGEST_HOLD_MS);
    scenario.network.partitions = partitions;
    scenario.network.holds = holds;
}

/// The links that carry traffic: the gateway to each dependency and to each client host.
fn links(client_hosts: usize) -> Vec<(String, String)> {
    let dependencies = [AUTH, IDGEN].into_iter().map(str::to_owned);
    dependencies.chain((0..client_hosts).map(client_host)).map(|other| (GATEWAY.to_owned(), other)).collect()
}

/// A fault time: absolute, or shortly after something a client does.
fn at(rng: &mut Rng, clients: &[ClientSpec]) -> At {
    if clients.is_empty() || rng.random() {
        return At::Ms(rng.random_range(0..=FAULT_WINDOW_MS));
    }
    let client = rng.random_range(0..clients.len());
    let messages = clients[client].messages;
    let milestone = match rng.random_range(0..3) {
        _ if messages == 0 => Milestone::Established,
        0 => Milestone::Established,
        1 => Milestone::Sent { message: rng.random_range(0..messages) },
        _ => Milestone::Completed { message: rng.random_range(0..messages) },
    };
    At::After { client, milestone, delay_ms: rng.random_range(0..=200) }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn drawn_scenarios_are_valid_and_vary() {
        let scenarios: Vec<_> = (0..200).map(Scenario::from_seed).collect();
        for scenario in &scenarios {
            assert_eq!(scenario.validate(), Ok(()), "seed {}", scenario.seed);
        }
        assert_eq!(Scenario::from_seed(7), Scenario::from_seed(7));
        let with = |f: fn(&Scenario) -> bool| scenarios.iter().filter(|s| f(s)).count();
        assert!(with(|s| !s.idgen.restarts.is_empty()) > 10);
        assert!(with(|s| !s.network.partitions.is_empty()) > 10);
        assert!(with(|s| s.client_hosts.iter().any(|h| h.chunking.is_some())) > 10);
        assert!(with(|s| s.clients.iter().any(|c| !matches!(c.token, TokenKind::Valid { .. }))) > 10);
        assert!(with(|s| s.network.partitions.is_empty() && s.network.holds.is_empty()) > 10);
        assert!(with(|s| !s.client_crashes.is_empty()) > 10);
        assert!(with(|s| !s.service_calls.is_empty()) > 20);
        assert!(with(|s| s.gateway.restarts.iter().any(|r| matches!(r, Restart::Stop { .. }))) >= 2);
    }

    /// The class of refusal a token meets, or none for a valid one.
    fn refusal(kind: TokenKind) -> Option<&'static str> {
        Some(match kind {
            TokenKind::Valid { .. } => return None,
            TokenKind::Expired { ago_secs } if ago_secs < DAY_SECS => "expired seconds ago",
            TokenKind::Expired { .. } => "expired days ago",
            TokenKind::NotYetValid { .. } => "nbf in the future",
            TokenKind::UnknownUser => "unknown user",
            TokenKind::WrongAudience => "wrong audience",
            TokenKind::WrongIssuer => "wrong issuer",
            TokenKind::WrongKey => "wrong key",
            TokenKind::AlgNone => "alg none",
            TokenKind::WrongAlgorithm => "HS512",
            TokenKind::MissingClaim { claim: RequiredClaim::Sub } => "without sub",
            TokenKind::MissingClaim { claim: RequiredClaim::Exp } => "without exp",
            TokenKind::MissingClaim { claim: RequiredClaim::Iat } => "without iat",
            TokenKind::MissingClaim { claim: RequiredClaim::Iss } => "without iss",
            TokenKind::MissingClaim { claim: RequiredClaim::Aud } => "without aud",
            TokenKind::Malformed => "not a JWT",
        })
    }

    #[test]
    fn every_class_of_refused_token_is_drawn_in_at_least_one_run_in_a_hundred() {
        // The default fuzz campaign's seeds.
        const SEEDS: u64 = 1000;
        let mut runs: BTreeMap<&str, u64> = BTreeMap::new();
        for seed in 0..SEEDS {
            let scenario = Scenario::from_seed(seed);
            let classes: BTreeSet<_> = scenario.clients.iter().filter_map(|c| refusal(c.token)).collect();
            for class in classes {
                *runs.entry(class).or_default() += 1;
            }
        }
        let drawn: Vec<_> = runs.keys().copied().collect();
        assert_eq!(
            drawn,
            [
                "HS512",
                "alg none",
                "expired days ago",
                "expired seconds ago",
                "nbf in the future",
                "not a JWT",
                "unknown user",
                "without aud",
                "without exp",
                "without iat",
                "without iss",
                "without sub",
                "wrong audience",
                "wrong issuer",
                "wrong key",
            ]
        );
        assert!(runs.values().all(|&count| count >= SEEDS / 100), "runs with each class: {runs:?}");
    }
}
