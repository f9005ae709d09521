//! Environment agnostic: the gateway behaves the same whatever environment it is told it runs in.
//! The scenario, which runs in the environment it drew, runs again under another of
//! [`environments`] (those scenarios draw), drawn from its seed ([`rerun_environment`]), and the two traces are compared;
//! the first record at which they part is reported. Over a campaign every pair is compared.
//!
//! The environment reaches only the gateway's configuration and its logs, never the trace, so
//! the traces need no normalising: any difference at all is behaviour that depends on the label,
//! which is what the incidents' staging accommodation was.

use rand::seq::IndexedRandom;

use crate::rules::Clause;
use crate::services::gateway::Environment;
use crate::sim::Scenario;
use crate::sim::seeds::{self, Purpose};
pub use crate::sim::swarm::environments;
use crate::sim::trace::Trace;

use super::{Violation, difference};

pub const NAME: &str = "environment-agnostic";

/// The rule it judges.
pub const AGNOSTIC: Clause = Clause::kept("environment.agnostic");

/// What a trace run in `environment` is called in a violation: its name in [`environments`], or
/// its label.
pub fn name(environment: &Environment) -> String {
    let known = environments().into_iter().find(|(_, e)| e == environment);
    known.map_or_else(|| environment.label.clone(), |(name, _)| name.to_owned())
}

/// The environment `scenario` is rerun under: one of [`environments`] other than its own, drawn
/// from its seed.
pub fn rerun_environment(scenario: &Scenario) -> Environment {
    let others: Vec<Environment> =
        environments().into_iter().map(|(_, e)| e).filter(|e| *e != scenario.environment).collect();
    let mut rng = seeds::rng(scenario.seed, Purpose::Rerun);
    others.choose(&mut rng).expect("there are other environments").clone()
}

/// Where `rerun`, a trace of `scenario` run under `environment`, parts from `first`, its trace in
/// its own environment.
pub fn compare(
    scenario: &Scenario,
    first: &Trace,
    environment: &Environment,
    rerun: &Trace,
) -> Option<Violation> {
    difference::violation(AGNOSTIC, &name(&scenario.environment), first, &name(environment), rerun)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::checkers::testing::{TraceBuilder, context};
    use crate::sim;

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
    fn every_seed_is_rerun_under_another_environment_and_every_one_is_drawn() {
        let mut drawn = BTreeMap::new();
        for seed in 0..200 {
            let scenario = Scenario::from_seed(seed);
            let other = rerun_environment(&scenario);
            assert_ne!(other, scenario.environment, "seed {seed}");
            *drawn.entry(name(&other)).or_insert(0) += 1;
        }
        let names: BTreeSet<_> = environments().into_iter().map(|(name, _)| name.to_owned()).collect();
        assert_eq!(drawn.keys().cloned().collect::<BTreeSet<_>>(), names);
        assert!(drawn.values().all(|&n| n >= 30), "{drawn:?}");
    }

    #[test]
    fn a_staging_trace_that_parts_from_dev_is_reported_at_the_first_difference() {
        let dev = TraceBuilder::new().client(0, "alice").established(0, 1, &context("a1", "alice")).build();
        let mut fallback = context("a1", "alice");
        fallback.thread_id = "thread_default".into();
        let staging = TraceBuilder::new().client(0, "alice").established(0, 1, &fallback).build();
        let scenario = Scenario::default();
        let found = compare(&scenario, &dev, &Environment::labelled("staging"), &staging).expect("they part");
        assert_eq!((found.client, found.session), (Some(0), Some(1)));
        assert!(
            found.message.starts_with("the staging trace parts from the dev trace at record 7"),
            "{}",
            found.message
        );
        assert_eq!(compare(&scenario, &dev, &Environment::labelled("staging"), &dev), None);
    }
}
