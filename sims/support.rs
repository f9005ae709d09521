//! What the tests read out of traces.

use gatesim::context::SessionContext;
use gatesim::protocol::ServerFrame;
use gatesim::sim::{Event, Outcome, Scenario, Trace};

/// Runs `scenario`. Set `GATESIM_LOG` (say to `debug`) to see the services' logs, stamped with
/// simulated time.
pub fn run(scenario: &Scenario) -> Outcome {
    gatesim::sim::logging::init_from_env();
    gatesim::sim::run(scenario)
}

/// Runs `scenario` and fails the test if the run itself failed.
pub fn run_ok(scenario: &Scenario) -> Outcome {
    let outcome = run(scenario);
    if let Some(error) = &outcome.error {
        panic!("seed {} failed: {error}\n{}", scenario.seed, gatesim::sim::timeline::render(&outcome.trace));
    }
    outcome
}

/// Runs `scenario`, and fails the test, naming every violation and how to replay it, unless the
/// run completed and every checker holds.
pub fn run_clean(scenario: &Scenario) -> Outcome {
    let outcome = run_ok(scenario);
    let violations = gatesim::checkers::check(&outcome).violations;
    if !violations.is_empty() {
        let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
        panic!(
            "seed {} ({} mode) broke {} invariant(s):\n{}\nscenario:\n{}",
            scenario.seed,
            scenario.mode,
            violations.len(),
            listed.join("\n"),
            serde_json::to_string_pretty(scenario).unwrap()
        );
    }
    outcome
}

/// Every frame `client` received in `session`, in order.
pub fn frames(trace: &Trace, client: usize, session: u32) -> Vec<&ServerFrame> {
    trace
        .records
        .iter()
        .filter_map(|record| match &record.event {
            Event::Received { client: c, session: s, frame } if *c == client && *s == session => Some(frame),
            _ => None,
        })
        .collect()
}

/// The sessions of `client` that were established, with their context.
pub fn established(trace: &Trace, client: usize) -> Vec<(u32, SessionContext)> {
    trace
        .records
        .iter()
        .filter_map(|record| match &record.event {
            Event::Received { client: c, session, frame: ServerFrame::ConnectionEstablished { context } }
                if *c == client =>
            {
                Some((*session, context.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Close codes the server sent, in order.
pub fn server_close_codes(trace: &Trace) -> Vec<u16> {
    trace
        .records
        .iter()
        .filter_map(|record| match &record.event {
            Event::Closed { by: gatesim::sim::Side::Server, code: Some(code), .. } => Some(*code),
            _ => None,
        })
        .collect()
}

/// The position in the trace of the first record that `matches`.
pub fn position(trace: &Trace, matches: impl Fn(&Event) -> bool) -> Option<usize> {
    trace.records.iter().position(|record| matches(&record.event))
}
