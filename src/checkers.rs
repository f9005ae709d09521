//! The checkers (`docs/design.md`, "Checkers"): what must hold of every run, each a function that
//! judges the clauses of the rule catalogue ([`crate::rules`]) in its care and says which rule
//! broke, which way, in which session, about which message, at which simulated millisecond.
//!
//! Nine read one trace and nothing else ([`TRACE_CHECKERS`], which [`check`] applies):
//! 1. `context_identity`: every frame of a session carries the context of its
//!    `connection_established`, and that context passes the gateway's own strict validation.
//! 2. `isolation`: no session receives another user's context or identifiers, nor frames or
//!    results for another session's messages.
//! 3. `completion`: every message gets one ordered event sequence ending in `agent_completed`
//!    with the agent's result, or one error, or the session ends first; request ids and `seq`
//!    rise; nothing twice, nothing unasked.
//! 4. `unique_ids`: no identifier is issued to two sessions, restarts included.
//! 5. `clear_errors`: every server close has a documented code after the error that calls for
//!    it; never 1011; bad tokens are refused as what they are.
//! 6. `liveness`: once every fault has healed, sessions connect within 3 s and messages complete
//!    within 1 s (the module says why).
//! 7. `release`: every session the gateway opened is released by the end of the run, half-open
//!    ones (a crashed client host) within its idle timeout.
//! 8. `outage` (dependency outage): a 1013 comes no sooner than the connect deadline, and only
//!    while the dependency it names was unreachable.
//! 9. `idle` (idle timeout): `IDLE_TIMEOUT` closes only a client silent, not even a pong, for
//!    the idle timeout.
//!
//! Two run the scenario again, so they cost extra runs and [`verify`] runs them only when asked;
//! they share their reruns (`reruns`):
//! 10. `environment`: the scenario's environment and another (dev, staging, production, Cloud
//!     Run) give the same trace.
//! 11. `determinism`: a second run gives the same trace.

pub(crate) mod clear_errors;
pub(crate) mod completion;
pub(crate) mod conditions;
pub(crate) mod context_identity;
pub(crate) mod determinism;
mod difference;
pub(crate) mod environment;
pub(crate) mod expected;
mod findings;
mod history;
pub(crate) mod idle;
pub(crate) mod isolation;
pub(crate) mod liveness;
pub(crate) mod outage;
pub(crate) mod release;
mod reruns;
pub(crate) mod sessions;
pub(crate) mod unique_ids;

#[cfg(test)]
mod cases;
#[cfg(test)]
mod end_to_end;
#[cfg(test)]
pub(crate) mod testing;

pub use findings::{Checker, Findings, Violation};

use std::collections::BTreeSet;

use crate::rules::Clause;
use crate::sim::{self, Outcome, Scenario};

/// The checkers that read one trace, by name.
pub const TRACE_CHECKERS: &[(&str, Checker)] = &[
    (context_identity::NAME, context_identity::check),
    (isolation::NAME, isolation::check),
    (completion::NAME, completion::check),
    (unique_ids::NAME, unique_ids::check),
    (clear_errors::NAME, clear_errors::check),
    (liveness::NAME, liveness::check),
    (release::NAME, release::check),
    (outage::NAME, outage::check),
    (idle::NAME, idle::check),
];

/// Which of the checkers that rerun the scenario [`verify`] applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Run it under another environment and compare.
    pub environments: bool,
    /// Run it again and compare.
    pub determinism: bool,
}

impl Options {
    /// The trace checkers only: one run.
    pub const TRACE_ONLY: Options = Options { environments: false, determinism: false };
    /// All eleven checkers: two runs when they pass, three when the rerun parts from the first.
    pub const ALL: Options = Options { environments: true, determinism: true };

    /// The names of the checkers applied, in the order [`verify`] applies them.
    pub fn checkers(self) -> Vec<&'static str> {
        let trace = TRACE_CHECKERS.iter().map(|(name, _)| *name);
        let reruns = [(self.environments, environment::NAME), (self.determinism, determinism::NAME)];
        trace.chain(reruns.into_iter().filter(|(on, _)| *on).map(|(_, name)| name)).collect()
    }
}

/// One scenario's run and everything found wrong with it.
#[derive(Clone, Debug)]
pub struct Report {
    pub outcome: Outcome,
    /// The names of the checkers applied.
    pub checkers: Vec<&'static str>,
    /// A failed run first, then each checker's findings in the order of `checkers`.
    pub violations: Vec<Violation>,
    /// The clauses of the rule catalogue the run gave something to judge.
    pub exercised: BTreeSet<Clause>,
    /// How many times the scenario ran: once, and again for each rerun.
    pub simulations: usize,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// What the trace checkers find in a run: that it did not complete, then what each judged and
/// found.
pub fn check(outcome: &Outcome) -> Findings {
    let mut findings = Findings::default();
    if let Some(error) = &outcome.error {
        findings.push(Violation {
            checker: "simulation".to_owned(),
            rule: None,
            direction: None,
            at_ms: outcome.trace.records.last().map(|record| record.at_ms),
            client: None,
            session: None,
            message: error.clone(),
        });
    }
    for (_, checker) in TRACE_CHECKERS {
        checker(&outcome.trace, &mut findings);
    }
    findings
}

/// Runs `scenario` and applies the trace checkers, then those `options` asks for. The entry point
/// for runners and fuzzers.
///
/// ```
/// use gatesim::checkers::{Options, verify};
/// use gatesim::sim::Scenario;
///
/// let report = verify(&Scenario::from_seed(11), Options::ALL);
/// assert!(report.passed(), "{:?}", report.violations);
/// assert_eq!(report.checkers.len(), 11);
/// // The run, and one rerun the environment and determinism checkers share.
/// assert_eq!(report.simulations, 2);
/// ```
pub fn verify(scenario: &Scenario, options: Options) -> Report {
    let outcome = sim::run(scenario);
    let mut findings = check(&outcome);
    let reruns =
        reruns::check(scenario, &outcome.trace, options, &mut findings, |rerun| sim::run(rerun).trace);
    let Findings { exercised, violations } = findings;
    Report { outcome, checkers: options.checkers(), violations, exercised, simulations: 1 + reruns }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_checkers_alone_take_one_run_and_all_eleven_take_two_when_they_pass() {
        let scenario = Scenario { seed: 5, ..Scenario::default() };
        let trace_only = verify(&scenario, Options::TRACE_ONLY);
        assert_eq!((trace_only.checkers.len(), trace_only.simulations), (9, 1));
        let all = verify(&scenario, Options::ALL);
        assert!(all.passed(), "{:#?}", all.violations);
        assert_eq!((all.checkers.len(), all.simulations), (11, 2));
        let (trace_only, all) = (trace_only.checkers, all.checkers);
        assert_eq!(all[..9], trace_only[..]);
        assert_eq!(all[9..], [environment::NAME, determinism::NAME]);
    }
}
