//! Running a scenario: the engine built from it, the hosts installed, the fault injector acting
//! between passes, the probe started once the clients are done, and the trace collected whatever
//! happens.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use super::engine::tasks::panic_message;
use super::engine::{Engine, NetworkConfig, Step};
use super::faults::Injector;
use super::probe::PROBE_HOST;
use super::scenario::{CALLER_HOST, SERVICES, Scenario, client_host};
use super::seeds::{Purpose, derive};
use super::trace::{Event, Recorder, SIM_HOST, TRACE_FORMAT_VERSION, Trace};
use super::{caller, hosts, probe, workload};

/// What a run gave: its trace, and the error that ended it early, if any.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub trace: Trace,
    /// A run that did not finish in time, a service that failed, a harness error, a panic, or an
    /// invalid scenario.
    pub error: Option<String>,
    /// Scheduler passes the engine made: nearly every one egresses every socket of every host.
    pub passes: u64,
}

/// Runs `scenario` to the end: until every client has finished and the gateway has been probed
/// for sessions it still holds, or the run fails.
///
/// The same scenario gives the same trace, record for record, so its hash is a run's fingerprint:
///
/// ```
/// use gatesim::sim::{Scenario, run};
///
/// let scenario = Scenario::from_seed(3);
/// let first = run(&scenario);
/// assert_eq!(first.error, None);
/// assert_eq!(first.trace.hash(), run(&scenario).trace.hash());
/// ```
pub fn run(scenario: &Scenario) -> Outcome {
    run_into(scenario, &Recorder::default())
}

/// [`run`], recording into `recorder`, which another thread may read while the run goes on (to
/// tell how far a long run has got); the records move into the outcome at the end.
pub fn run_into(scenario: &Scenario, recorder: &Recorder) -> Outcome {
    if let Err(reason) = scenario.validate() {
        let error = Some(format!("invalid scenario: {reason}"));
        return Outcome { trace: Trace::default(), error, passes: 0 };
    }
    recorder.record_at(0, SIM_HOST, conditions(scenario));
    let mut passes = 0;
    let result = catch_unwind(AssertUnwindSafe(|| simulate(scenario, recorder, &mut passes)));
    let error = match result {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(panic) => Some(format!("panic: {}", panic_message(&*panic))),
    };
    Outcome { trace: recorder.take_trace(), error, passes }
}

/// The first record of every trace: what the checkers cannot see happen.
fn conditions(scenario: &Scenario) -> Event {
    Event::Conditions {
        format_version: TRACE_FORMAT_VERSION,
        latency_ms: scenario.network.latency_ms,
        links: scenario.network.links.clone(),
        warmup_ms: SERVICES.iter().map(|&name| (name.to_owned(), scenario.service(name).warmup_ms)).collect(),
        skew_ms: SERVICES
            .iter()
            .map(|&name| (name.to_owned(), scenario.service(name).conditions.skew_ms))
            .collect(),
        token_leeway_secs: hosts::TOKEN_LEEWAY_SECS,
        idle_timeout_ms: scenario.idle_timeout_ms,
        connect_deadline_ms: u64::try_from(hosts::gateway_retry(scenario).connect_deadline.as_millis())
            .expect("the connect deadline is a u64 of ms"),
        limits: Some(scenario.limits.clone()),
    }
}

fn simulate(scenario: &Scenario, recorder: &Recorder, passes: &mut u64) -> Result<(), String> {
    let mut hosts = scenario.hosts();
    hosts.push(PROBE_HOST.to_owned());
    let network = NetworkConfig {
        latency_ms: scenario.network.latency_ms,
        links: scenario
            .network
            .links
            .iter()
            .map(|link| (link.a.clone(), link.b.clone(), link.latency_ms))
            .collect(),
        seed: derive(scenario.seed, Purpose::Network),
    };
    let mut engine = Engine::new(&hosts, &network, derive(scenario.seed, Purpose::Runtime));
    let stops = hosts::register(&mut engine, scenario, recorder);
    workload::register(&mut engine, scenario, recorder);
    caller::register(&mut engine, scenario, recorder);
    // The probe waits for the caller too: its calls would otherwise end with the run.
    let mut client_hosts: Vec<_> = (0..scenario.client_hosts.len()).map(client_host).collect();
    client_hosts.extend(scenario.service_calls.first().map(|_| CALLER_HOST.to_owned()));
    let mut injector = Injector::new(scenario, stops);
    let mut probing = false;
    let result = engine.run(Duration::from_millis(scenario.duration_ms()), |world| {
        let next_fault = injector.apply_due(world, recorder);
        if probing {
            if world.is_finished(PROBE_HOST) {
                return Step::Done;
            }
        } else if client_hosts.iter().all(|host| world.is_finished(host)) {
            probe::start(world, scenario, recorder);
            probing = true;
        }
        Step::Until(next_fault.map(|ms| world.instant(ms)))
    });
    *passes = engine.passes();
    result
}
