//! Scenario strategies built to shrink well: the seed never shrinks (it only decides timing
//! details), faults are timed relative to what clients do so that they stay meaningful as clients
//! and messages are removed, and counts and latencies shrink toward small values.

use gatesim::services::gateway::{Environment, Mode};
use gatesim::sim::Scenario;
use gatesim::sim::{
    At, ClientCrash, ClientSpec, HostConditions, LinkFault, LinkLatency, Milestone, Restart, ServiceSpec,
};
use proptest::prelude::*;
use proptest::sample::select;

/// A scenario in a form proptest can shrink; [`Case::scenario`] makes it concrete.
#[derive(Clone, Debug)]
pub struct Case {
    pub seed: u64,
    pub staging: bool,
    pub clients: Vec<ClientCase>,
    pub faults: Vec<FaultCase>,
}

#[derive(Clone, Debug)]
pub struct ClientCase {
    /// Index into [`USERS`]; several clients may share a user.
    pub user: usize,
    pub messages: u32,
    pub start_ms: u64,
    pub think_ms: u64,
}

const USERS: [&str; 3] = ["alice", "bob", "carol"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dependency {
    Auth,
    Idgen,
}

impl Dependency {
    fn host(self) -> &'static str {
        match self {
            Dependency::Auth => "auth",
            Dependency::Idgen => "idgen",
        }
    }
}

/// One fault. Client indices wrap around the clients the case has left after shrinking.
#[derive(Clone, Debug)]
pub enum FaultCase {
    /// Restart a dependency right after `client` completes its `message`th message; it then warms
    /// up for `warmup_ms`.
    BounceAfter { dependency: Dependency, client: usize, message: u32, warmup_ms: u64 },
    /// The dependency starts `delay_ms` late.
    StartsLate { dependency: Dependency, delay_ms: u64 },
    /// The link between the gateway and the dependency drops everything for `duration_ms`, from
    /// when `client` is established.
    PartitionAfter { dependency: Dependency, client: usize, duration_ms: u64 },
    /// Every message between the gateway and the dependency takes `latency_ms`.
    SlowLink { dependency: Dependency, latency_ms: u64 },
    /// `client` runs alone on a host of its own, which crashes for good `delay_ms` after the
    /// client is established, leaving the gateway a half-open session.
    ClientHostCrash { client: usize, delay_ms: u64 },
}

/// The gateway's idle timeout in cases with a crashed client host: short, so that the run does
/// not wait half a minute for the half-open session to be freed.
const CRASH_IDLE_TIMEOUT_MS: u64 = 2000;

impl Case {
    pub fn scenario(&self, mode: Mode) -> Scenario {
        let mut scenario = Scenario { seed: self.seed, mode, ..Scenario::default() };
        if self.staging {
            scenario.environment = Environment::labelled("staging");
        }
        scenario.clients = self
            .clients
            .iter()
            .map(|c| ClientSpec {
                user: USERS[c.user].to_owned(),
                messages: c.messages,
                start_ms: c.start_ms,
                think_ms: (c.think_ms, c.think_ms + 20),
                ..ClientSpec::default()
            })
            .collect();
        let clients = self.clients.len();
        for fault in &self.faults {
            apply(fault, clients, &mut scenario);
        }
        scenario
    }

    pub fn messages(&self) -> u32 {
        self.clients.iter().map(|c| c.messages).sum()
    }
}

fn apply(fault: &FaultCase, clients: usize, scenario: &mut Scenario) {
    match *fault {
        FaultCase::BounceAfter { dependency, client, message, warmup_ms } => {
            let at = At::After {
                client: client % clients,
                milestone: Milestone::Completed { message },
                delay_ms: 0,
            };
            let spec = service(scenario, dependency);
            spec.restarts.push(Restart::Bounce { at });
            spec.warmup_ms = spec.warmup_ms.max(warmup_ms);
        }
        FaultCase::StartsLate { dependency, delay_ms } => {
            let spec = service(scenario, dependency);
            spec.start_delay_ms = spec.start_delay_ms.max(delay_ms);
        }
        FaultCase::PartitionAfter { dependency, client, duration_ms } => {
            let at = At::After { client: client % clients, milestone: Milestone::Established, delay_ms: 0 };
            let link = LinkFault { a: "gateway".into(), b: dependency.host().into(), at, duration_ms };
            scenario.network.partitions.push(link);
        }
        FaultCase::SlowLink { dependency, latency_ms } => {
            let link = LinkLatency {
                a: "gateway".into(),
                b: dependency.host().into(),
                latency_ms: (latency_ms, latency_ms),
            };
            scenario.network.links.push(link);
        }
        FaultCase::ClientHostCrash { client, delay_ms } => {
            let client = client % clients;
            let host = scenario.client_hosts.len();
            scenario.client_hosts.push(HostConditions::default());
            scenario.clients[client].host = host;
            scenario.idle_timeout_ms = CRASH_IDLE_TIMEOUT_MS;
            let at = At::After { client, milestone: Milestone::Established, delay_ms };
            scenario.client_crashes.push(ClientCrash { host, at });
        }
    }
}

fn client() -> impl Strategy<Value = ClientCase> {
    (0..USERS.len(), 1u32..=3, 0u64..300, 10u64..200)
        .prop_map(|(user, messages, start_ms, think_ms)| ClientCase { user, messages, start_ms, think_ms })
}

fn dependency() -> impl Strategy<Value = Dependency> {
    select(vec![Dependency::Idgen, Dependency::Auth])
}

fn fault() -> impl Strategy<Value = FaultCase> {
    prop_oneof![
        (dependency(), 0usize..4, 0u32..3, 0u64..500).prop_map(|(dependency, client, message, warmup_ms)| {
            FaultCase::BounceAfter { dependency, client, message, warmup_ms }
        }),
        (dependency(), 0u64..8000)
            .prop_map(|(dependency, delay_ms)| FaultCase::StartsLate { dependency, delay_ms }),
        (dependency(), 0usize..4, 0u64..4000).prop_map(|(dependency, client, duration_ms)| {
            FaultCase::PartitionAfter { dependency, client, duration_ms }
        }),
        (dependency(), 0u64..1500)
            .prop_map(|(dependency, latency_ms)| FaultCase::SlowLink { dependency, latency_ms }),
        (0usize..4, 0u64..300).prop_map(|(client, delay_ms)| FaultCase::ClientHostCrash { client, delay_ms }),
    ]
}

/// Cases of 1 to 4 clients and up to 2 faults, in dev or staging.
pub fn case() -> impl Strategy<Value = Case> {
    let seed = any::<u64>().no_shrink();
    (seed, any::<bool>(), prop::collection::vec(client(), 1..=4), prop::collection::vec(fault(), 0..=2))
        .prop_map(|(seed, staging, clients, faults)| Case { seed, staging, clients, faults })
}

fn service(scenario: &mut Scenario, dependency: Dependency) -> &mut ServiceSpec {
    match dependency {
        Dependency::Auth => &mut scenario.auth,
        Dependency::Idgen => &mut scenario.idgen,
    }
}
