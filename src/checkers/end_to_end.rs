//! The checkers on real runs: each legacy mode is caught in the scenario that exposes it, the
//! fixed gateway passes the same scenarios, and the golden traces under `fixtures/traces/` still
//! say what they were recorded to say. Drawn scenarios are swept in `sims/sweep.rs`.

use std::collections::BTreeSet;

use super::testing::{golden, violations};
use super::{
    Options, Report, TRACE_CHECKERS, clear_errors, context_identity, environment, unique_ids, verify,
};
use crate::services::gateway::{Environment, Mode};
use crate::sim::scenario::{At, Milestone, Restart};
use crate::sim::{Scenario, Trace};

/// idgen bounced as soon as client 0's first message has completed, before its second.
fn idgen_bounced_between_messages(mode: Mode) -> Scenario {
    let mut scenario = Scenario { seed: 12, mode, ..Scenario::default() };
    let after_first = At::After { client: 0, milestone: Milestone::Completed { message: 0 }, delay_ms: 0 };
    scenario.idgen.restarts = vec![Restart::Bounce { at: after_first }];
    scenario
}

/// idgen starts after the gateway's 5 s connect deadline has run out for the first sessions, in an
/// environment labelled staging.
fn idgen_down_at_connect_in_staging(mode: Mode) -> Scenario {
    let mut scenario =
        Scenario { seed: 21, mode, environment: Environment::labelled("staging"), ..Scenario::default() };
    scenario.idgen.start_delay_ms = 8000;
    scenario
}

fn checkers_that_fired(report: &Report) -> BTreeSet<&str> {
    report.violations.iter().map(|v| v.checker.as_str()).collect()
}

#[test]
fn per_message_context_with_idgen_bounced_between_messages_breaks_clear_errors() {
    let report = verify(&idgen_bounced_between_messages(Mode::PerMessageContext), Options::TRACE_ONLY);
    assert_eq!(
        checkers_that_fired(&report),
        BTreeSet::from([clear_errors::NAME]),
        "{:#?}",
        report.violations
    );
    let first = &report.violations[0];
    assert_eq!((first.client, first.session), (Some(0), Some(1)));
    assert!(first.message.contains("closed with 1011"), "{}", first.message);
    assert!(first.message.contains("context validation failed"), "{}", first.message);
}

#[test]
fn environment_accommodation_with_idgen_down_at_connect_in_staging_is_caught_three_ways() {
    let report = verify(&idgen_down_at_connect_in_staging(Mode::EnvironmentAccommodation), Options::ALL);
    let fired = checkers_that_fired(&report);
    for expected in [context_identity::NAME, unique_ids::NAME, environment::NAME] {
        assert!(fired.contains(expected), "{expected} did not fire: {:#?}", report.violations);
    }
}

#[test]
fn the_fixed_gateway_passes_both_scenarios_under_all_eleven_checkers() {
    for scenario in
        [idgen_bounced_between_messages(Mode::Fixed), idgen_down_at_connect_in_staging(Mode::Fixed)]
    {
        let report = verify(&scenario, Options::ALL);
        assert_eq!(report.checkers.len(), 11);
        assert!(report.passed(), "seed {}: {:#?}", scenario.seed, report.violations);
    }
}

fn trace_violations(trace: &Trace) -> Vec<String> {
    TRACE_CHECKERS
        .iter()
        .flat_map(|(_, checker)| violations(*checker, trace))
        .map(|v| v.to_string())
        .collect()
}

#[test]
fn the_golden_fixed_trace_passes_every_trace_checker() {
    assert_eq!(trace_violations(&golden("fixed-idgen-bounce.jsonl")), Vec::<String>::new());
}

#[test]
fn the_golden_legacy_traces_fail_only_the_checkers_they_should() {
    let names = |trace: &Trace| -> BTreeSet<String> {
        TRACE_CHECKERS
            .iter()
            .filter(|(_, checker)| !violations(*checker, trace).is_empty())
            .map(|(n, _)| n.to_string())
            .collect()
    };
    let per_message = golden("per-message-context-idgen-bounce.jsonl");
    assert_eq!(names(&per_message), BTreeSet::from([clear_errors::NAME.to_owned()]));
    // Its sessions were established while idgen was down: no answer from idgen can be behind them.
    let accommodation = golden("environment-accommodation-staging.jsonl");
    let expected = [context_identity::NAME, super::isolation::NAME, unique_ids::NAME, super::outage::NAME];
    assert_eq!(names(&accommodation), expected.map(str::to_owned).into());
}
