//! Properties over generated scenarios: every checker holds in the fixed mode.

use gatesim::services::gateway::Mode;
use gatesim::sim::{Violation, check, run};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};

use crate::strategies::{Case, case};

/// Cases per property in the default run; `PROPTEST_CASES` overrides it.
const DEFAULT_CASES: u32 = 24;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_CASES)
}

/// Everything wrong with `case` run in `mode`.
fn violations(case: &Case, mode: Mode) -> Vec<Violation> {
    check(&run(&case.scenario(mode)))
}

fn explain(case: &Case, mode: Mode, violations: &[Violation]) -> String {
    let scenario = serde_json::to_string(&case.scenario(mode)).unwrap();
    let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!("{}\nscenario: {scenario}", listed.join("\n"))
}

#[test]
fn every_checker_holds_in_fixed_mode() {
    let config = Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "fixtures/proptest-regressions/scenarios.txt",
        ))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| {
        let found = violations(&case, Mode::Fixed);
        prop_assert!(found.is_empty(), "{}", explain(&case, Mode::Fixed, &found));
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
