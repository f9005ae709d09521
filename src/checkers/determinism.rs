//! Determinism: the same scenario run twice gives the same trace, hash for hash. A difference
//! means something inside the simulation reads the machine (its clock, its randomness, the order
//! of a `HashMap`, a counter global to the process), and a failing seed would not replay.

use crate::rules::Clause;
use crate::sim::trace::Trace;

use super::{Violation, difference};

pub const NAME: &str = "determinism";

/// The rule it judges.
pub const REPLAY: Clause = Clause::kept("determinism.replay");

/// Where `second` parts from `first`, if it does.
pub fn compare(first: &Trace, second: &Trace) -> Vec<Violation> {
    difference::violation(REPLAY, "first run's", first, "second run's", second).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context};
    use crate::sim::{self, Scenario};

    #[test]
    fn a_scenario_run_twice_gives_the_same_trace() {
        let scenario = Scenario { seed: 3, ..Scenario::default() };
        let first = sim::run(&scenario);
        assert_eq!(first.error, None);
        assert_eq!(compare(&first.trace, &sim::run(&scenario).trace), []);
    }

    #[test]
    fn two_runs_that_part_are_reported_at_the_first_differing_record() {
        let run =
            |tag| TraceBuilder::new().client(0, "alice").established(0, 1, &context(tag, "alice")).build();
        let (first, second) = (run("a1"), run("a2"));
        let found = compare(&first, &second);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].client, found[0].session, found[0].at_ms), (Some(0), Some(1), Some(7)));
        let message = &found[0].message;
        assert!(
            message.starts_with("the second run's trace parts from the first run's trace at record 7"),
            "{message}"
        );
        assert!(message.contains("connection_established ctx ctx_a1_1_0000000a for alice"), "{message}");
        assert!(message.contains("connection_established ctx ctx_a2_1_0000000a for alice"), "{message}");
        assert_eq!(compare(&first, &first), []);
    }
}
