//! The scenarios `gatesim bench` measures: the standard scenario, the yardstick for simulations per
//! second, and scale scenarios with many sessions open at once.

use super::scenario::{ClientSpec, Scenario, TokenKind};

/// Latency range of every link in the benchmark scenarios, in ms.
const LATENCY_MS: (u64, u64) = (10, 200);
/// At most this many sessions per user in a scale scenario: the gateway allows 20.
const SESSIONS_PER_USER: usize = 10;
/// Scale clients start spread evenly over this many ms, as users arriving, not all in one tick.
const SCALE_RAMP_MS: u64 = 1000;
/// Think time of scale clients: long enough that the first session is still open when the last
/// one is established (a connect takes about 0.6 s on 10–200 ms links), so that every session is
/// open at once.
const SCALE_THINK_MS: (u64, u64) = (1000, 1500);
const SCALE_MESSAGES: u32 = 2;
/// turmoil scans a link's whole queue of messages in flight on every send, so a link carrying
/// thousands of sessions costs quadratically; four client hosts share the clients' traffic out.
const SCALE_CLIENT_HOSTS: usize = 4;

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

    /// `sessions` clients on four client hosts, starting over one second, each sending two
    /// messages a second or so apart, so that all the sessions are open at once; at most ten
    /// sessions per user. Otherwise as [`Scenario::standard`].
    pub fn sessions(seed: u64, sessions: usize) -> Scenario {
        let users = sessions.div_ceil(SESSIONS_PER_USER).max(1);
        let user = |index: usize| format!("user-{}", index % users);
        let clients = (0..sessions)
            .map(|index| ClientSpec {
                user: user(index),
                token: TokenKind::default(),
                host: index % SCALE_CLIENT_HOSTS,
                start_ms: index as u64 * SCALE_RAMP_MS / sessions as u64,
                messages: SCALE_MESSAGES,
                think_ms: SCALE_THINK_MS,
            })
            .collect();
        let mut scenario = Scenario::standard(seed);
        scenario.users = (0..users).map(user).collect();
        scenario.clients = clients;
        scenario.client_hosts = vec![Default::default(); SCALE_CLIENT_HOSTS];
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
