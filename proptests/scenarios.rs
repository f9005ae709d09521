//! Properties over generated scenarios: every checker holds in the fixed mode, and each legacy mode
//! is caught within 64 cases and shrunk to a scenario small enough to read.

use std::cell::Cell;
use std::time::{Duration, Instant};

use gatesim::checkers::Violation;
use gatesim::checkers::{Options, verify};
use gatesim::services::gateway::Mode;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};

use crate::strategies::{Case, case};

/// Cases per property in the default run; `PROPTEST_CASES` overrides it.
const DEFAULT_CASES: u32 = 24;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_CASES)
}

/// Everything wrong with `case` run in `mode`, by all eleven checkers (the environment and
/// determinism checkers run it once more, twice when that run parts).
fn violations(case: &Case, mode: Mode) -> Vec<Violation> {
    verify(&case.scenario(mode), Options::ALL).violations
}

fn explain(case: &Case, mode: Mode, violations: &[Violation]) -> String {
    let scenario = serde_json::to_string(&case.scenario(mode)).unwrap();
    let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!("{}\nscenario: {scenario}", listed.join("\n"))
}

#[test]
fn every_checker_holds_in_fixed_mode() {
    let mut runner = TestRunner::new(crate::config("fixtures/proptest-regressions/scenarios.txt", cases()));
    let result = runner.run(&case(), |case| {
        let found = violations(&case, Mode::Fixed);
        prop_assert!(found.is_empty(), "{}", explain(&case, Mode::Fixed, &found));
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

/// How a search for a legacy mode's failure went.
pub struct Caught {
    pub cases_to_failure: u32,
    pub shrink_time: Duration,
    pub shrunk: Case,
}

/// Runs the fixed-mode property against `mode` with proptest's RNG seeded by `runner_seed`.
pub fn hunt(mode: Mode, runner_seed: u64) -> Option<Caught> {
    let config = Config {
        cases: 64,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(runner_seed),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let tried = Cell::new(0u32);
    let first_failure: Cell<Option<(u32, Instant)>> = Cell::new(None);
    let result = runner.run(&case(), |case| {
        tried.set(tried.get() + 1);
        let found = violations(&case, mode);
        if !found.is_empty() && first_failure.get().is_none() {
            first_failure.set(Some((tried.get(), Instant::now())));
        }
        prop_assert!(found.is_empty());
        Ok(())
    });
    match result {
        Err(TestError::Fail(_, shrunk)) => {
            let (cases_to_failure, at) = first_failure.get().expect("a failure was seen");
            Some(Caught { cases_to_failure, shrink_time: at.elapsed(), shrunk })
        }
        _ => None,
    }
}

fn assert_caught_and_shrunk(mode: Mode) {
    let caught = hunt(mode, 1).unwrap_or_else(|| panic!("{mode}: no failure within 64 cases"));
    let shrunk = &caught.shrunk;
    let small = shrunk.clients.len() <= 2 && shrunk.messages() <= 3 && shrunk.faults.len() <= 1;
    assert!(small, "{mode} shrank only to {shrunk:#?}");
}

#[test]
fn legacy_per_message_context_is_caught_and_shrunk_to_a_small_scenario() {
    assert_caught_and_shrunk(Mode::PerMessageContext);
}

#[test]
fn legacy_environment_accommodation_is_caught_and_shrunk_to_a_small_scenario() {
    assert_caught_and_shrunk(Mode::EnvironmentAccommodation);
}

/// The measurement behind the legacy-mode figures in the project notes: for each legacy mode and
/// ten proptest runner seeds, how many cases it took to find a failure, how long shrinking took,
/// and one shrunk scenario. Run it with
/// `cargo test --release --test proptests -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, minutes long; run on demand"]
fn legacy_modes_are_caught_quickly_across_runner_seeds() {
    for mode in [Mode::PerMessageContext, Mode::EnvironmentAccommodation] {
        let mut cases = Vec::new();
        let mut shrink_times = Vec::new();
        let mut example = None;
        for runner_seed in 1..=10 {
            let caught = hunt(mode, runner_seed)
                .unwrap_or_else(|| panic!("{mode}: runner seed {runner_seed} found nothing"));
            cases.push(caught.cases_to_failure);
            shrink_times.push(caught.shrink_time);
            example.get_or_insert(caught.shrunk);
        }
        cases.sort_unstable();
        shrink_times.sort_unstable();
        let shrunk = example.expect("ten runs");
        println!(
            "{mode}: cases to first failure {cases:?} (median {}), median shrink time {:?}",
            cases[5], shrink_times[5]
        );
        println!("{mode}: one shrunk scenario: {}", serde_json::to_string(&shrunk.scenario(mode)).unwrap());
    }
}
