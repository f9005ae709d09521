//! Mutations of a scenario: small changes to one that reached something new, so that its
//! neighbourhood is tried before scenarios drawn from nothing. Every value stays inside the range
//! `Scenario::from_seed` draws it from, or between that range and the gateway's default, so a
//! mutant is a scenario the checkers already judge well; and every mutant is validated as a drawn
//! one is, then fitted to the harness's one rule validation does not state (a retry policy the
//! slowest link can meet).

mod stretch;

use rand::Rng as _;
use rand::seq::{IndexedMutRandom as _, IndexedRandom as _};

use crate::clock::Rng;
use crate::sim::Scenario;
use crate::sim::scenario::{
    AUTH, At, ClientSpec, GATEWAY, GatewayLimits, IDGEN, LinkFault, LinkLatency, Milestone, Restart,
    TokenKind, client_host,
};
use crate::sim::swarm::{FAULT_WINDOW_MS, bad_input};

/// How many times a mutation is tried before the campaign draws a fresh scenario instead.
const TRIES: usize = 8;
/// Added clients stop here; `from_seed` draws up to ten.
const MAX_CLIENTS: usize = 12;

/// The ways a scenario is changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mutation {
    MoveFault,
    AddFault,
    Latency,
    Limit,
    AddClient,
    DropClient,
    Splice,
    Client,
    LongerFault,
    ClientIntoFault,
}

const MUTATIONS: [Mutation; 10] = [
    Mutation::MoveFault,
    Mutation::AddFault,
    Mutation::Latency,
    Mutation::Limit,
    Mutation::AddClient,
    Mutation::DropClient,
    Mutation::Splice,
    Mutation::Client,
    Mutation::LongerFault,
    Mutation::ClientIntoFault,
];

/// A valid mutant of `parent`, one to three mutations away, with clients spliced from `other`
/// when a splice is drawn, and a root seed of its own; none when every try was invalid.
pub fn mutant(parent: &Scenario, other: &Scenario, rng: &mut Rng) -> Option<Scenario> {
    for _ in 0..TRIES {
        let mut scenario = parent.clone();
        scenario.note = None;
        for _ in 0..rng.random_range(1..=3) {
            let mutation = *MUTATIONS.choose(rng).expect("not empty");
            apply(mutation, &mut scenario, other, rng);
        }
        fit_retry_policy(&mut scenario);
        scenario.seed = rng.random();
        if scenario != *parent && scenario.validate().is_ok() {
            return Some(scenario);
        }
    }
    None
}

fn apply(mutation: Mutation, scenario: &mut Scenario, other: &Scenario, rng: &mut Rng) {
    match mutation {
        Mutation::MoveFault => move_fault(scenario, rng),
        Mutation::AddFault => add_fault(scenario, rng),
        Mutation::Latency => latency(scenario, rng),
        Mutation::Limit => limit(scenario, rng),
        Mutation::AddClient if scenario.clients.len() < MAX_CLIENTS => {
            let mut client = scenario.clients.choose(rng).cloned().unwrap_or_default();
            client.start_ms = rng.random_range(0..=1500);
            scenario.clients.push(client);
        }
        Mutation::AddClient => {}
        Mutation::DropClient if scenario.clients.len() > 1 => {
            let dropped = rng.random_range(0..scenario.clients.len());
            drop_client(scenario, dropped, rng.random_range(0..=1500));
        }
        Mutation::DropClient => {}
        Mutation::Splice => splice(scenario, other, rng),
        Mutation::Client => client(scenario, rng),
        Mutation::LongerFault => stretch::longer_fault(scenario, rng),
        Mutation::ClientIntoFault if scenario.clients.len() < MAX_CLIENTS => {
            stretch::client_into_fault(scenario, rng)
        }
        Mutation::ClientIntoFault => {}
    }
}

/// Removes client `dropped`: faults timed after one of its milestones start at their delay plus
/// `from_ms` instead, those timed after a later client follow it to its new index.
pub fn drop_client(scenario: &mut Scenario, dropped: usize, from_ms: u64) {
    scenario.clients.remove(dropped);
    for at in fault_times(scenario) {
        if let At::After { client, delay_ms, .. } = at {
            match (*client).cmp(&dropped) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => *at = At::Ms(*delay_ms + from_ms),
                std::cmp::Ordering::Greater => *client -= 1,
            }
        }
    }
}

/// Every fault's start time.
fn fault_times(scenario: &mut Scenario) -> Vec<&mut At> {
    let services = [&mut scenario.auth, &mut scenario.idgen, &mut scenario.gateway];
    let restarts = services.into_iter().flat_map(|s| s.restarts.iter_mut()).map(Restart::at_mut);
    let links = scenario.network.partitions.iter_mut().chain(scenario.network.holds.iter_mut());
    restarts
        .chain(links.map(|fault| &mut fault.at))
        .chain(scenario.client_crashes.iter_mut().map(|c| &mut c.at))
        .collect()
}

fn move_fault(scenario: &mut Scenario, rng: &mut Rng) {
    let clients: Vec<u32> = scenario.clients.iter().map(|c| c.messages).collect();
    let mut times = fault_times(scenario);
    if times.is_empty() {
        return;
    }
    let index = rng.random_range(0..times.len());
    let at = &mut *times[index];
    *at = match at.clone() {
        At::Ms(ms) if rng.random() => At::Ms(shift(ms, rng).min(FAULT_WINDOW_MS)),
        At::After { client, milestone, delay_ms } if rng.random() => {
            At::After { client, milestone, delay_ms: shift(delay_ms, rng).min(200) }
        }
        _ => fault_time(&clients, rng),
    };
}

/// `value` moved by up to half a second either way.
fn shift(value: u64, rng: &mut Rng) -> u64 {
    let by = rng.random_range(1..=500);
    if rng.random() { value + by } else { value.saturating_sub(by) }
}

/// A fault time as `from_seed` draws one: absolute, or shortly after something a client does.
fn fault_time(messages: &[u32], rng: &mut Rng) -> At {
    if messages.is_empty() || rng.random() {
        return At::Ms(rng.random_range(0..=FAULT_WINDOW_MS));
    }
    let client = rng.random_range(0..messages.len());
    let milestone = match (messages[client], rng.random_range(0..3)) {
        (0, _) | (_, 0) => Milestone::Established,
        (n, 1) => Milestone::Sent { message: rng.random_range(0..n) },
        (n, _) => Milestone::Completed { message: rng.random_range(0..n) },
    };
    At::After { client, milestone, delay_ms: rng.random_range(0..=200) }
}

fn add_fault(scenario: &mut Scenario, rng: &mut Rng) {
    let messages: Vec<u32> = scenario.clients.iter().map(|c| c.messages).collect();
    let at = fault_time(&messages, rng);
    let other = match rng.random_range(0..3) {
        0 => AUTH.to_owned(),
        1 => IDGEN.to_owned(),
        _ => client_host(rng.random_range(0..scenario.client_hosts.len())),
    };
    match rng.random_range(0..4) {
        0 => {
            let service = match rng.random_range(0..3) {
                0 => &mut scenario.auth,
                1 => &mut scenario.idgen,
                _ => &mut scenario.gateway,
            };
            let down_ms = (!rng.random_bool(0.1)).then(|| rng.random_range(100..=4000));
            service.restarts.push(if rng.random() {
                Restart::Bounce { at }
            } else {
                Restart::Crash { at, down_ms }
            });
        }
        1 => {
            let host = rng.random_range(0..scenario.client_hosts.len());
            scenario.client_crashes = vec![crate::sim::scenario::ClientCrash { host, at }];
        }
        kind => {
            let fault = LinkFault { a: GATEWAY.to_owned(), b: other, at, duration_ms: 0 };
            if kind == 2 {
                scenario
                    .network
                    .partitions
                    .push(LinkFault { duration_ms: rng.random_range(50..=4000), ..fault });
            } else {
                scenario.network.holds.push(LinkFault { duration_ms: rng.random_range(50..=2000), ..fault });
            }
        }
    }
}

fn latency(scenario: &mut Scenario, rng: &mut Rng) {
    let network = &mut scenario.network;
    match rng.random_range(0..3) {
        0 => {
            let low = rng.random_range(0..=20);
            network.latency_ms = (low, low + rng.random_range(0..=150));
        }
        1 if !network.links.is_empty() => {
            let index = rng.random_range(0..network.links.len());
            if rng.random() {
                network.links.remove(index);
            } else {
                let (low, high) = network.links[index].latency_ms;
                network.links[index].latency_ms = (low / 2, high / 2);
            }
        }
        _ => {
            let b = match rng.random_range(0..3) {
                0 => AUTH.to_owned(),
                1 => IDGEN.to_owned(),
                _ => client_host(rng.random_range(0..scenario.client_hosts.len())),
            };
            let low = rng.random_range(0..=400);
            let latency_ms = (low, low + rng.random_range(0..=1200));
            network.links.push(LinkLatency { a: GATEWAY.to_owned(), b, latency_ms });
        }
    }
}

/// Tightens or loosens one limit, between the smallest `from_seed` draws and the default.
fn limit(scenario: &mut Scenario, rng: &mut Rng) {
    let defaults = GatewayLimits::default();
    let l = &mut scenario.limits;
    let which = rng.random_range(0..8);
    let tighten: bool = rng.random();
    let nudge = |value: u64, low: u64, high: u64| {
        let nudged = if tighten { value / 2 } else { value.saturating_mul(2) };
        nudged.clamp(low, high.max(low))
    };
    match which {
        0 => {
            l.sessions_per_user =
                nudge(l.sessions_per_user as u64, 1, defaults.sessions_per_user as u64) as usize
        }
        1 => l.message_burst = nudge(l.message_burst.into(), 1, defaults.message_burst.into()) as u32,
        2 => {
            l.messages_per_sec = nudge(l.messages_per_sec.into(), 1, defaults.messages_per_sec.into()) as u32
        }
        3 => l.outbound_frames = nudge(l.outbound_frames as u64, 1, defaults.outbound_frames as u64) as usize,
        4 => {
            l.max_queued_messages =
                nudge(l.max_queued_messages as u64, 1, defaults.max_queued_messages as u64) as usize
        }
        5 => {
            l.max_frame_bytes = nudge(l.max_frame_bytes as u64, 150, defaults.max_frame_bytes as u64) as usize
        }
        6 => l.connect_deadline_ms = nudge(l.connect_deadline_ms, 1000, defaults.connect_deadline_ms),
        _ => scenario.idle_timeout_ms = nudge(scenario.idle_timeout_ms, 1000, 10_000),
    }
}

/// Keeps the gateway's retry policy one a healthy dependency can meet over the slowest link, as
/// `from_seed` fits it: four one-way trips a try, eight a connect.
fn fit_retry_policy(scenario: &mut Scenario) {
    let network = &scenario.network;
    let slowest = network.links.iter().map(|link| link.latency_ms.1).fold(network.latency_ms.1, u64::max);
    let l = &mut scenario.limits;
    l.connect_deadline_ms = l.connect_deadline_ms.max(8 * slowest + 100);
    l.per_try_timeout_ms = l.per_try_timeout_ms.min(l.connect_deadline_ms).max(4 * slowest + 50);
}

/// The first clients of `scenario` and the last of `other`, each on a host `scenario` has, faults
/// timed after a client that is gone timed after one that is there.
fn splice(scenario: &mut Scenario, other: &Scenario, rng: &mut Rng) {
    let keep = rng.random_range(0..=scenario.clients.len());
    let from = rng.random_range(0..=other.clients.len());
    scenario.clients.truncate(keep);
    scenario.clients.extend(other.clients[from..].iter().cloned());
    scenario.clients.truncate(MAX_CLIENTS);
    if scenario.clients.is_empty() {
        scenario.clients.push(ClientSpec::default());
    }
    let hosts = scenario.client_hosts.len();
    for client in &mut scenario.clients {
        client.host %= hosts;
    }
    let count = scenario.clients.len();
    for at in fault_times(scenario) {
        if let At::After { client, .. } = at {
            *client %= count;
        }
    }
}

/// Changes what one client does.
fn client(scenario: &mut Scenario, rng: &mut Rng) {
    let (idle_ms, frame_limit) = (scenario.idle_timeout_ms, scenario.limits.max_frame_bytes as u64);
    let known = scenario.users.clone();
    let Some(client) = scenario.clients.choose_mut(rng) else { return };
    match rng.random_range(0..8) {
        0 => client.messages = rng.random_range(0..=4).max(client.burst),
        1 => {
            client.burst = rng.random_range(1..=6);
            client.messages = client.messages.max(client.burst);
        }
        2 => {
            let low = rng.random_range(0..=50);
            client.think_ms = (low, low + rng.random_range(0..=200));
        }
        3 => {
            client.linger_ms =
                if client.linger_ms > 0 { 0 } else { rng.random_range(idle_ms * 6 / 5..=idle_ms * 2) };
            client.linger_silent = rng.random();
        }
        4 => client.subprotocol = !client.subprotocol,
        5 => {
            client.bad_input =
                if client.bad_input.is_some() { None } else { bad_input::kinds().choose(rng).copied() }
        }
        6 => {
            let middle = frame_limit.saturating_sub(50);
            client.content_bytes = if client.content_bytes.is_some() {
                None
            } else {
                Some((middle.saturating_sub(40), middle + 40))
            };
        }
        _ if known.contains(&client.user) => {
            client.token = *[
                TokenKind::default(),
                TokenKind::Expired { ago_secs: rng.random_range(1..=600) },
                TokenKind::NotYetValid { in_secs: rng.random_range(1..=600) },
                TokenKind::WrongKey,
                TokenKind::AlgNone,
                TokenKind::Malformed,
            ]
            .choose(rng)
            .expect("not empty");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::seeded_rng;

    #[test]
    fn mutants_of_drawn_scenarios_are_valid_differ_and_repeat_from_their_seed() {
        let mut rng = seeded_rng(1);
        let mut made = 0;
        for seed in 0..60 {
            let (parent, other) = (Scenario::from_seed(seed), Scenario::from_seed(seed + 1000));
            let Some(child) = mutant(&parent, &other, &mut rng) else { continue };
            made += 1;
            assert_eq!(child.validate(), Ok(()), "a mutant of seed {seed}");
            assert_ne!(child, parent);
            let l = &child.limits;
            assert!(l.per_try_timeout_ms <= l.connect_deadline_ms, "seed {seed}: {l:?}");
        }
        assert!(made >= 55, "{made} of 60 mutated");
        let again = |n| mutant(&Scenario::from_seed(3), &Scenario::from_seed(4), &mut seeded_rng(n));
        assert_eq!(again(9), again(9));
    }

    #[test]
    fn every_mutation_keeps_a_drawn_scenario_valid_or_is_caught_by_validation() {
        let mut rng = seeded_rng(2);
        for seed in 0..40 {
            let other = Scenario::from_seed(seed + 500);
            for mutation in MUTATIONS {
                let mut scenario = Scenario::from_seed(seed);
                apply(mutation, &mut scenario, &other, &mut rng);
                fit_retry_policy(&mut scenario);
                assert_eq!(scenario.validate(), Ok(()), "{mutation:?} of seed {seed}");
            }
        }
    }
}
