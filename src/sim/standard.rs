//! The scenarios `gatesim bench` measures: the standard scenario, the yardstick for simulations per
//! second, and scale scenarios with many sessions open at once.

use super::scenario::{ClientSpec, Scenario, TokenKind};

/// Latency range of every link in the benchmark scenarios, in ms.
const LATENCY_MS: (u64, u64) = (10, 200);
/// At most this many sessions per user in a scale scenario: the gateway allows 20.
const SESSIONS_PER_USER: usize = 10;
/// Scale clients start spread evenly over at least this many ms, as users arriving, not all at
/// once.
const SCALE_RAMP_MS: u64 = 1000;
/// Arrivals per ms at most. The gateway calls auth and then idgen for each session it establishes,
/// each call in flight on a connection of its own that holds one of its 16,384 ephemeral ports,
/// and a connect takes about thirteen one-way trips. At 10 arrivals a ms some 6,500 sessions are
/// being established at once (measured at 30,000 sessions, when every call opened a connection
/// and closed it after); at 20 twice that, near enough to the ports' number that the
/// 100,000-session run spent most of its time in turmoil-net looking for a free port, whose
/// search scans every binding of the host for each port it tries.
const SCALE_ARRIVALS_PER_MS: u64 = 10;
const SCALE_MESSAGES: u32 = 2;
/// At most this many clients on one client host, each holding one of its ephemeral ports.
const SCALE_CLIENTS_PER_HOST: usize = 8000;
const SCALE_MIN_CLIENT_HOSTS: usize = 4;

impl Scenario {
    /// The standard scenario: auth, idgen and the gateway in the fixed mode, no faults, every link
    /// 10–200 ms, and the default four clients (alice, bob, alice again, carol, starting 5 ms
    /// apart) sending five messages each.
    pub fn standard(seed: u64) -> Scenario {
        let mut scenario = Scenario { seed, ..Scenario::default() };
        scenario.network.latency_ms = LATENCY_MS;
        for client in &mut scenario.clients {
            client.messages = 5;
        }
        scenario
    }

    /// `sessions` clients on at least four client hosts, arriving over a second (longer past
    /// 10,000 sessions), each sending two messages, with a think time before each as long as the
    /// arrivals take, so that all the sessions are open at once; at most ten sessions per user.
    /// Otherwise as [`Scenario::standard`].
    pub fn sessions(seed: u64, sessions: usize) -> Scenario {
        let users = sessions.div_ceil(SESSIONS_PER_USER).max(1);
        let hosts = sessions.div_ceil(SCALE_CLIENTS_PER_HOST).max(SCALE_MIN_CLIENT_HOSTS);
        let ramp_ms = SCALE_RAMP_MS.max(sessions as u64 / SCALE_ARRIVALS_PER_MS);
        let user = |index: usize| format!("user-{}", index % users);
        let clients = (0..sessions)
            .map(|index| ClientSpec {
                user: user(index),
                token: TokenKind::default(),
                host: index % hosts,
                start_ms: index as u64 * ramp_ms / sessions as u64,
                messages: SCALE_MESSAGES,
                think_ms: (ramp_ms, ramp_ms * 3 / 2),
                ..ClientSpec::default()
            })
            .collect();
        let mut scenario = Scenario::standard(seed);
        scenario.users = (0..users).map(user).collect();
        scenario.clients = clients;
        scenario.client_hosts = vec![Default::default(); hosts];
        scenario
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_scenarios_are_valid() {
        let standard = Scenario::standard(1);
        assert_eq!(standard.validate(), Ok(()));
        assert_eq!(standard.clients.iter().map(|c| c.messages).sum::<u32>(), 20);
        let scale = Scenario::sessions(1, 25);
        assert_eq!(scale.validate(), Ok(()));
        assert_eq!((scale.clients.len(), scale.users.len()), (25, 3));
    }
}
