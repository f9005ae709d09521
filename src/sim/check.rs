//! Violations, and the list of checkers that find them: pure functions over a trace that say which
//! invariant broke, in which session, at which simulated millisecond (DESIGN.md §2 "Checkers").
//! The checkers themselves are in [`crate::checkers`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::run::Outcome;
use super::trace::Trace;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The checker that found it.
    pub checker: String,
    pub at_ms: Option<u64>,
    pub client: Option<usize>,
    pub session: Option<u32>,
    pub message: String,
}

/// A checker: every violation of its invariant in a trace.
pub type Checker = fn(&Trace) -> Vec<Violation>;

/// Every checker that reads one trace, by name.
pub const CHECKERS: &[(&str, Checker)] = crate::checkers::TRACE_CHECKERS;

/// What is wrong with a run: that it did not complete, then what each checker finds.
pub fn check(outcome: &Outcome) -> Vec<Violation> {
    let failed = outcome.error.iter().map(|error| Violation {
        checker: "simulation".to_owned(),
        at_ms: outcome.trace.records.last().map(|record| record.at_ms),
        client: None,
        session: None,
        message: error.clone(),
    });
    let found = CHECKERS.iter().flat_map(|(_, checker)| checker(&outcome.trace));
    failed.chain(found).collect()
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message names the session itself, as the timeline does (`c2#1`).
        write!(f, "[{}]", self.checker)?;
        if let Some(at_ms) = self.at_ms {
            write!(f, " at {at_ms} ms")?;
        }
        write!(f, ": {}", self.message)
    }
}
