//! Environment agnostic: the gateway behaves the same whatever environment it is told it runs in.
//! The scenario runs under each of [`environments`] and every trace is compared with dev's; the
//! first record at which one parts from dev's is reported.
//!
//! The environment reaches only the gateway's configuration and its logs, never the trace, so
//! the traces need no normalising: any difference at all is behaviour that depends on the label,
//! which is what the incidents' staging accommodation was.

use std::collections::BTreeMap;

use crate::services::gateway::Environment;
use crate::sim::trace::Trace;
use crate::sim::{self, Scenario, Violation};

use super::difference;

pub const NAME: &str = "environment-agnostic";

/// The environments compared, dev first: the others are compared with it. Cloud Run sets
/// `K_SERVICE` to the service's name.
pub fn environments() -> Vec<(&'static str, Environment)> {
    let cloud_run = Environment {
        label: "dev".to_owned(),
        vars: BTreeMap::from([("K_SERVICE".to_owned(), "gateway".to_owned())]),
    };
    vec![
        ("dev", Environment::labelled("dev")),
        ("staging", Environment::labelled("staging")),
        ("Cloud Run", cloud_run),
    ]
}

/// Runs `scenario` under every environment and compares the traces.
pub fn check(scenario: &Scenario) -> Vec<Violation> {
    let runs: Vec<_> = environments()
        .into_iter()
        .map(|(name, environment)| (name, sim::run(&Scenario { environment, ..scenario.clone() }).trace))
        .collect();
    compare(&runs)
}

/// Where each named trace after the first parts from the first.
pub fn compare(runs: &[(&str, Trace)]) -> Vec<Violation> {
    let Some(((base_name, base), others)) = runs.split_first() else { return Vec::new() };
    others
        .iter()
        .filter_map(|(name, trace)| difference::violation(NAME, base_name, base, name, trace))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context};

    #[test]
    fn a_trace_never_mentions_the_environment_it_ran_in() {
        let label = "staging-7c1f";
        let environment = Environment {
            label: label.to_owned(),
            vars: BTreeMap::from([("K_SERVICE".to_owned(), "gateway-7c1f".to_owned())]),
        };
        let outcome = sim::run(&Scenario { seed: 4, environment, ..Scenario::default() });
        assert!(!outcome.trace.records.is_empty());
        assert!(!outcome.trace.to_jsonl().contains("7c1f"));
    }

    #[test]
    fn traces_that_part_under_staging_are_reported_at_the_first_difference() {
        let dev = TraceBuilder::new().client(0, "alice").established(0, 1, &context("a1", "alice")).build();
        let mut fallback = context("a1", "alice");
        fallback.thread_id = "thread_default".into();
        let staging = TraceBuilder::new().client(0, "alice").established(0, 1, &fallback).build();
        let found = compare(&[("dev", dev.clone()), ("staging", staging), ("Cloud Run", dev)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].client, found[0].session), (Some(0), Some(1)));
        assert!(
            found[0].message.starts_with("the staging trace parts from the dev trace at record 7"),
            "{}",
            found[0].message
        );
    }
}
