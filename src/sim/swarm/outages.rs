//! Drawn last of all: in one run in ten, a dependency out across a wave of connects, under a retry
//! policy whose backoff cap is short against its connect deadline.
//!
//! The swarm's other draws are independent, so they seldom meet all of it at once: a dependency
//! out for seconds, clients connecting through the outage, a long deadline, a short cap. Yet that
//! conjunction is where a retry loop goes wrong unseen: a backoff that outgrows its cap sleeps
//! past a dependency that came back well before the deadline, and a pool that keeps the
//! connections a crash left half open spends a per-try timeout on each of them.

use rand::Rng as _;

use super::limits::fitted;
use crate::clock::Rng;
use crate::sim::scenario::{AUTH, At, IDGEN, Restart, Scenario, ServiceSpec};

/// The fewest clients the crash needs: all but the last connect at once, so that the gateway
/// keeps as many connections to the dependency, and the last connects once it has crashed.
const CRASH_WAVE: usize = 6;

pub(super) fn outage_during_connects(rng: &mut Rng, scenario: &mut Scenario) {
    if !rng.random_bool(0.1) {
        return;
    }
    let dependency = if rng.random() { AUTH } else { IDGEN };
    if rng.random() || scenario.clients.len() < CRASH_WAVE {
        warming_up(rng, scenario, dependency);
    } else {
        crashed(rng, scenario, dependency);
    }
}

/// The dependency warms up for 2 to 3 s from the start, answering 503 at once, while the first
/// clients connect: the gateway must keep asking at most a cap apart, up to a deadline of 4.5 to
/// 5 s, and find it warm.
fn warming_up(rng: &mut Rng, scenario: &mut Scenario, dependency: &str) {
    let spec = service_mut(scenario, dependency);
    *spec = ServiceSpec { conditions: spec.conditions.clone(), ..ServiceSpec::default() };
    spec.warmup_ms = rng.random_range(2000..=3000);
    let per_try = rng.random_range(200..=400);
    let deadline = rng.random_range(4500..=5000);
    retry_policy(rng, scenario, deadline, per_try);
    for client in scenario.clients.iter_mut().take(4) {
        client.start_ms = rng.random_range(0..=300);
    }
}

/// All clients but the last connect at one instant in the first 200 ms, leaving the gateway as
/// many kept connections to the dependency; it crashes 1.5 to 2 s in, silently, for 200 to 600 ms, and the
/// last client connects as it does. Each call on a dead connection costs a per-try timeout of a
/// quarter to a third of the deadline.
fn crashed(rng: &mut Rng, scenario: &mut Scenario, dependency: &str) {
    let crash_ms = rng.random_range(1500..=2000);
    let spec = service_mut(scenario, dependency);
    *spec = ServiceSpec { conditions: spec.conditions.clone(), ..ServiceSpec::default() };
    spec.restarts = vec![Restart::Crash { at: At::Ms(crash_ms), down_ms: Some(rng.random_range(200..=600)) }];
    let deadline = rng.random_range(4000..=5000);
    let per_try = rng.random_range(deadline / 4..=deadline / 3);
    retry_policy(rng, scenario, deadline, per_try);
    // At the same instant, so that their calls overlap and each keeps a connection of its own.
    let wave_ms = rng.random_range(0..=200);
    let last = scenario.clients.len() - 1;
    for client in &mut scenario.clients[..last] {
        client.start_ms = wave_ms;
    }
    scenario.clients[last].start_ms = crash_ms + rng.random_range(0..=200);
}

/// A deadline and per-try timeout, fitted to the network as the swarm's limits are, and a first
/// backoff of 20 to 100 ms capped at up to three times it.
fn retry_policy(rng: &mut Rng, scenario: &mut Scenario, deadline: u64, per_try: u64) {
    let first = rng.random_range(20..=100);
    let limits = &mut scenario.limits;
    (limits.connect_deadline_ms, limits.per_try_timeout_ms) = fitted(&scenario.network, deadline, per_try);
    limits.backoff_ms = (first, rng.random_range(first..=3 * first));
}

fn service_mut<'s>(scenario: &'s mut Scenario, name: &str) -> &'s mut ServiceSpec {
    match name {
        AUTH => &mut scenario.auth,
        _ => &mut scenario.idgen,
    }
}
