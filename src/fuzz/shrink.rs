//! Shrinking a failing scenario (`gatesim shrink`): whatever made it, a seed's draw, a guided
//! campaign's mutant or a hand-written file, it is made smaller one step at a time, each step
//! kept only when the smaller scenario still breaks the same rule the same way (the first
//! violation's checker, rule and direction), until no step keeps it failing or the budget of
//! runs is spent. The steps, tried in this order each time one is kept: drop a client, drop a
//! fault or a service call, then make one client plainer (fewer messages, no burst, no linger,
//! no bad input, no large frames, none of its protocol extras), then start the services at once.
//! The seed stays, so the result replays with `gatesim replay --scenario FILE SEED`.

use crate::checkers::{self, Options, Violation};
use crate::sim::Scenario;
use crate::sim::scenario::{AUTH, ClientSpec, GATEWAY, IDGEN};

use super::guided::mutate::drop_client;

/// What shrinking ended with.
#[derive(Debug)]
pub struct Shrunk {
    pub scenario: Scenario,
    /// The violation the smallest scenario still shows, of the kind the first one was.
    pub violation: Violation,
    /// Scenarios run, the first included.
    pub runs: usize,
    /// What each kept step did, in order.
    pub steps: Vec<String>,
}

/// Shrinks `scenario` within `budget` runs, telling `kept` each step kept; none when it does not
/// fail at all.
pub fn shrink(scenario: &Scenario, budget: usize, mut kept: impl FnMut(&str)) -> Option<Shrunk> {
    // The rerun checkers cost a run or two more; they are needed only for what they alone find.
    let trace_only = checkers::verify(scenario, Options::TRACE_ONLY).violations;
    let (options, first) = match trace_only.into_iter().next() {
        Some(first) => (Options::TRACE_ONLY, first),
        None => (Options::ALL, checkers::verify(scenario, Options::ALL).violations.into_iter().next()?),
    };
    let same =
        |v: &Violation| v.checker == first.checker && v.rule == first.rule && v.direction == first.direction;
    let mut shrunk =
        Shrunk { scenario: scenario.clone(), violation: first.clone(), runs: 1, steps: Vec::new() };
    'smaller: while shrunk.runs < budget {
        for (step, candidate) in candidates(&shrunk.scenario) {
            if shrunk.runs >= budget {
                break 'smaller;
            }
            if candidate.validate().is_err() {
                continue;
            }
            shrunk.runs += 1;
            let violations = checkers::verify(&candidate, options).violations;
            if let Some(violation) = violations.into_iter().find(|v| same(v)) {
                kept(&step);
                shrunk = Shrunk {
                    scenario: candidate,
                    violation,
                    steps: [shrunk.steps, vec![step]].concat(),
                    ..shrunk
                };
                continue 'smaller;
            }
        }
        break;
    }
    Some(shrunk)
}

/// Every one-step-smaller scenario, described, in the order they are tried.
fn candidates(scenario: &Scenario) -> Vec<(String, Scenario)> {
    let mut found = Vec::new();
    let mut try_step = |step: String, change: &dyn Fn(&mut Scenario)| {
        let mut smaller = scenario.clone();
        change(&mut smaller);
        if smaller != *scenario {
            found.push((step, smaller));
        }
    };
    if scenario.clients.len() > 1 {
        for index in (0..scenario.clients.len()).rev() {
            try_step(format!("dropped client {index}"), &|s| drop_client(s, index, 0));
        }
    }
    for name in [AUTH, IDGEN, GATEWAY] {
        for index in 0..scenario.service(name).restarts.len() {
            try_step(format!("dropped {name}'s restart {index}"), &|s| {
                s.service_mut(name).restarts.remove(index);
            });
        }
    }
    for index in 0..scenario.network.partitions.len() {
        try_step(format!("dropped partition {index}"), &|s| {
            s.network.partitions.remove(index);
        });
    }
    for index in 0..scenario.network.holds.len() {
        try_step(format!("dropped hold {index}"), &|s| {
            s.network.holds.remove(index);
        });
    }
    for index in 0..scenario.client_crashes.len() {
        try_step(format!("dropped client host crash {index}"), &|s| {
            s.client_crashes.remove(index);
        });
    }
    for index in 0..scenario.service_calls.len() {
        try_step(format!("dropped service call {index}"), &|s| {
            s.service_calls.remove(index);
        });
    }
    for index in 0..scenario.clients.len() {
        for (what, plainer) in PLAINER {
            try_step(format!("client {index}: {what}"), &|s| plainer(&mut s.clients[index]));
        }
    }
    for name in [AUTH, IDGEN, GATEWAY] {
        try_step(format!("{name} starts at once"), &|s| {
            let service = s.service_mut(name);
            (service.start_delay_ms, service.warmup_ms) = (0, 0);
        });
    }
    found
}

type Plainer = fn(&mut ClientSpec);

/// Ways to make one client plainer.
const PLAINER: [(&str, Plainer); 10] = [
    ("half the messages", |c| c.messages = (c.messages / 2).max(c.burst)),
    ("no burst", |c| c.burst = 1),
    ("no linger", |c| (c.linger_ms, c.linger_silent) = (0, false)),
    ("no bad input", |c| c.bad_input = None),
    ("small frames", |c| c.content_bytes = None),
    ("no pings", |c| c.pings = false),
    ("no aliases", |c| c.aliases = false),
    ("waits to be established", |c| c.eager = false),
    ("sends nothing twice", |c| c.resends = false),
    ("starts at once", |c| c.start_ms = 0),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::gateway::Mode;

    fn failing() -> Scenario {
        // Four clients; the legacy gateway fails one of them when idgen crashes under it.
        Scenario { mode: Mode::PerMessageContext, ..Scenario::from_seed(27) }
    }

    #[test]
    fn a_failing_scenario_shrinks_to_fewer_clients_that_break_the_same_rule() {
        let scenario = failing();
        let shrunk = shrink(&scenario, 100, |_| {}).expect("it fails");
        assert!(shrunk.scenario.clients.len() < scenario.clients.len(), "{:?}", shrunk.steps);
        assert!(shrunk.runs <= 100 && shrunk.steps.len() < shrunk.runs);
        let again = checkers::verify(&shrunk.scenario, Options::TRACE_ONLY).violations;
        assert!(again.contains(&shrunk.violation), "the smaller scenario replays its violation exactly");
        let first = &checkers::verify(&scenario, Options::TRACE_ONLY).violations[0];
        assert_eq!((&shrunk.violation.rule, shrunk.violation.direction), (&first.rule, first.direction));
    }

    #[test]
    fn shrinking_stops_at_its_budget_and_a_passing_scenario_has_nothing_to_shrink() {
        let shrunk = shrink(&failing(), 1, |_| panic!("no step within a budget of one run")).unwrap();
        assert_eq!((shrunk.runs, shrunk.scenario), (1, failing()));
        assert!(shrink(&Scenario::from_seed(0), 10, |_| {}).is_none(), "seed 0 passes in the fixed mode");
    }
}
