//! Drawn last of all: in one run in ten, a dependency out across a wave of connects.
//!
//! The swarm's other draws are independent, so they seldom meet all of it at once: a dependency
//! out for seconds, clients connecting through the outage or just after it, a retry policy shaped
//! for it. Yet that conjunction is where a retry loop goes wrong unseen: a backoff that outgrows
//! its cap sleeps past a dependency that came back well before the deadline, and a pool that keeps
//! the connections a crash left dead tries each of them in turn.

use rand::Rng as _;

use super::limits::fitted;
use crate::clock::Rng;
use crate::sim::scenario::{AUTH, At, ClientSpec, IDGEN, Restart, Scenario, ServiceSpec};

/// The clients of the crash's wave, at least: with a backoff doubling from 400 ms, a gateway that
/// tries four or more dead connections in turn takes longer than a session may once faults heal.
const CRASH_WAVE: usize = 8;

pub(super) fn outage_during_connects(rng: &mut Rng, scenario: &mut Scenario) {
    if !rng.random_bool(0.1) {
        return;
    }
    if rng.random() {
        let dependency = if rng.random() { AUTH } else { IDGEN };
        warming_up(rng, scenario, dependency);
    } else {
        // auth mostly: every connect asks it, while idgen is asked only for sessions auth let in.
        let dependency = if rng.random_bool(0.75) { AUTH } else { IDGEN };
        crashed(rng, scenario, dependency);
    }
}

/// The dependency warms up for 2 to 3 s from the start, answering 503 at once, while the first
/// clients connect: the gateway must keep asking at most a cap apart, up to a deadline of 4.5 to
/// 5 s, and find it warm.
fn warming_up(rng: &mut Rng, scenario: &mut Scenario, dependency: &str) {
    cleared(scenario, dependency).warmup_ms = rng.random_range(2000..=3000);
    let (deadline, per_try) = (rng.random_range(4500..=5000), rng.random_range(200..=400));
    // A first backoff of 20 to 100 ms capped at up to three times it: short against the deadline.
    let first = rng.random_range(20..=100);
    retry_policy(scenario, deadline, per_try, (first, rng.random_range(first..=3 * first)));
    for client in scenario.clients.iter_mut().take(4) {
        client.start_ms = rng.random_range(0..=300);
    }
}

/// A wave of clients (those drawn, and more of alice's to make at least eight) connects at one
/// instant in the first 200 ms, leaving the gateway as many kept connections to the dependency; it
/// crashes 1.5 to 2 s in, silently, for 200 to 600 ms, and one more client connects 100 to 300 ms
/// after it is back. Every kept connection is then dead: the first call on one is reset at once,
/// and a gateway that drops the others finds the new lifetime after one backoff, while one that
/// keeps them pays a backoff for each, doubling from 400 to 500 ms.
fn crashed(rng: &mut Rng, scenario: &mut Scenario, dependency: &str) {
    let crash_ms = rng.random_range(1500..=2000);
    let down_ms = rng.random_range(200..=600);
    cleared(scenario, dependency).restarts =
        vec![Restart::Crash { at: At::Ms(crash_ms), down_ms: Some(down_ms) }];
    let (deadline, per_try) = (rng.random_range(4000..=5000), rng.random_range(300..=600));
    retry_policy(scenario, deadline, per_try, (rng.random_range(400..=500), rng.random_range(1600..=2000)));
    let alice = ClientSpec { user: "alice".to_owned(), messages: 1, ..ClientSpec::default() };
    while scenario.clients.len() < CRASH_WAVE {
        scenario.clients.push(alice.clone());
    }
    // At the same instant, so that their calls overlap and each keeps a connection of its own.
    let wave_ms = rng.random_range(0..=200);
    scenario.clients.iter_mut().for_each(|client| client.start_ms = wave_ms);
    let start_ms = crash_ms + down_ms + rng.random_range(100..=300);
    scenario.clients.push(ClientSpec { start_ms, ..alice });
}

/// A retry policy: the deadline and per-try timeout fitted to the network, as the swarm's limits
/// are, and the backoff as given.
fn retry_policy(scenario: &mut Scenario, deadline: u64, per_try: u64, backoff_ms: (u64, u64)) {
    let limits = &mut scenario.limits;
    (limits.connect_deadline_ms, limits.per_try_timeout_ms) = fitted(&scenario.network, deadline, per_try);
    limits.backoff_ms = backoff_ms;
}

/// The dependency's spec, cleared of every draw but its host's conditions: no start delay,
/// warm-up or restart but those the outage draws.
fn cleared<'s>(scenario: &'s mut Scenario, dependency: &str) -> &'s mut ServiceSpec {
    let spec = scenario.service_mut(dependency);
    *spec = ServiceSpec { conditions: spec.conditions.clone(), ..ServiceSpec::default() };
    spec
}
