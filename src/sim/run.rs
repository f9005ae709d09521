//! Running a scenario: turmoil pinned down from the scenario, the hosts registered, the fault
//! injector stepping alongside, and the trace collected whatever happens.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use turmoil::{Builder, Sim};

use super::faults::Injector;
use super::scenario::{SERVICES, Scenario};
use super::seeds::{Purpose, derive};
use super::trace::{Event, Recorder, SIM_HOST, Trace};
use super::{clock, hosts, probe, workload};

/// Listener backlog and per-stream segment budget. turmoil panics ("server socket buffer full")
/// when more connects than its capacity reach one listener in one tick: after a hold is released,
/// every retry the gateway made during it arrives at once. Default 64 is far too few for that.
const TCP_CAPACITY_PER_CLIENT: usize = 32;
const TCP_CAPACITY_MIN: usize = 256;
/// Ports hosts connect from. turmoil's default, 49152 to 65535, runs out when thousands of sessions
/// connect at once: the gateway opens two connections per session (auth, idgen), a port comes
/// round again while the far end still holds the connection it closed, and turmoil panics ("is
/// already connected"). Which port a connection gets decides nothing a trace records.
const EPHEMERAL_PORTS: std::ops::RangeInclusive<u16> = 1024..=65535;

/// What a run gave: its trace, and the error that ended it early, if any.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub trace: Trace,
    /// A turmoil error ("Ran for duration", a host's `Err`), a panic, or an invalid scenario.
    pub error: Option<String>,
}

/// Runs `scenario` to the end: until every client has finished and the gateway has been probed
/// for sessions it still holds, or the run fails.
pub fn run(scenario: &Scenario) -> Outcome {
    if let Err(reason) = scenario.validate() {
        return Outcome { trace: Trace::default(), error: Some(format!("invalid scenario: {reason}")) };
    }
    let recorder = Recorder::default();
    recorder.record_at(0, SIM_HOST, conditions(scenario));
    let result = catch_unwind(AssertUnwindSafe(|| simulate(scenario, &recorder)));
    let error = match result {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".to_owned());
            Some(format!("panic: {message}"))
        }
    };
    Outcome { trace: recorder.take_trace(), error }
}

/// The first record of every trace: what the checkers cannot see happen.
fn conditions(scenario: &Scenario) -> Event {
    Event::Conditions {
        latency_ms: scenario.network.latency_ms,
        links: scenario.network.links.clone(),
        warmup_ms: SERVICES.iter().map(|&name| (name.to_owned(), scenario.service(name).warmup_ms)).collect(),
        idle_timeout_ms: scenario.idle_timeout_ms,
    }
}

fn simulate(scenario: &Scenario, recorder: &Recorder) -> turmoil::Result {
    let mut sim = builder(scenario).build();
    hosts::register(&mut sim, scenario, recorder);
    let plugs = workload::register(&mut sim, scenario, recorder);
    set_link_latencies(&sim, scenario);
    let mut injector = Injector::new(scenario, plugs);
    let mut probing = false;
    loop {
        injector.apply_due(&mut sim, recorder);
        // `step` says when every client host is done: first the workload's, then the probe's.
        if sim.step()? {
            if probing {
                return Ok(());
            }
            probe::register(&mut sim, scenario, recorder);
            probing = true;
        }
    }
}

fn builder(scenario: &Scenario) -> Builder {
    let (min, max) = scenario.network.latency_ms;
    let capacity = TCP_CAPACITY_MIN.max(TCP_CAPACITY_PER_CLIENT * scenario.clients.len());
    let mut builder = Builder::new();
    builder
        .rng_seed(derive(scenario.seed, Purpose::Turmoil))
        .epoch(clock::epoch())
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_millis(scenario.duration_ms()))
        .tcp_capacity(capacity)
        .ephemeral_ports(EPHEMERAL_PORTS)
        .min_message_latency(Duration::from_millis(min))
        .max_message_latency(Duration::from_millis(max))
        // Seeded like everything else: varies which host runs first in a tick from seed to seed.
        .enable_random_order();
    builder
}

fn set_link_latencies(sim: &Sim<'_>, scenario: &Scenario) {
    for link in &scenario.network.links {
        let (a, b) = (link.a.as_str(), link.b.as_str());
        let (min, max) = link.latency_ms;
        // Sets both bounds to `min`, then raises the upper one.
        sim.set_link_latency(a, b, Duration::from_millis(min));
        sim.set_link_max_message_latency(a, b, Duration::from_millis(max));
    }
}
