//! Mutations that stretch the rare situation a scenario already has, rather than change it at
//! random: a fault lasts longer, up to the longest `from_seed` draws, so that whatever retries or
//! waits through it does so more times; or another client arrives while a fault is on, so that
//! more sessions are caught in it, in whatever phase they are.

use rand::Rng as _;
use rand::seq::IndexedRandom as _;

use crate::clock::Rng;
use crate::sim::Scenario;
use crate::sim::scenario::{At, Restart};
use crate::sim::swarm::{LONGEST_DOWN_MS, LONGEST_HOLD_MS, LONGEST_PARTITION_MS};

/// Doubles how long one fault lasts, up to the longest `from_seed` draws.
pub fn longer_fault(scenario: &mut Scenario, rng: &mut Rng) {
    let network = &mut scenario.network;
    let services = [&mut scenario.auth, &mut scenario.idgen, &mut scenario.gateway];
    let downs =
        services.into_iter().flat_map(|s| s.restarts.iter_mut()).filter_map(|restart| match restart {
            Restart::Crash { down_ms: Some(down_ms), .. } => Some((down_ms, LONGEST_DOWN_MS)),
            _ => None,
        });
    let partitions = network.partitions.iter_mut().map(|f| (&mut f.duration_ms, LONGEST_PARTITION_MS));
    let holds = network.holds.iter_mut().map(|f| (&mut f.duration_ms, LONGEST_HOLD_MS));
    let mut durations: Vec<(&mut u64, u64)> = downs.chain(partitions).chain(holds).collect();
    if durations.is_empty() {
        return;
    }
    let index = rng.random_range(0..durations.len());
    let (duration, longest) = &mut durations[index];
    **duration = (**duration * 2).clamp(1, *longest);
}

/// A copy of one client that starts shortly before a fault timed in absolute terms begins, so
/// that it is connecting or has just connected when the fault strikes; none when no such fault.
pub fn client_into_fault(scenario: &mut Scenario, rng: &mut Rng) {
    let services = [&scenario.auth, &scenario.idgen, &scenario.gateway];
    let restarts = services.into_iter().flat_map(|s| &s.restarts).map(Restart::at);
    let links = scenario.network.partitions.iter().chain(&scenario.network.holds).map(|f| &f.at);
    let starts: Vec<u64> = restarts
        .chain(links)
        .chain(scenario.client_crashes.iter().map(|c| &c.at))
        .filter_map(|at| match at {
            At::Ms(ms) => Some(*ms),
            At::After { .. } => None,
        })
        .collect();
    let (Some(&fault_ms), Some(client)) = (starts.choose(rng), scenario.clients.choose(rng)) else { return };
    let mut client = client.clone();
    client.start_ms = fault_ms.saturating_sub(rng.random_range(0..=300));
    scenario.clients.push(client);
}
