//! One violating and one passing trace for every clause of the rule catalogue, and the test that
//! holds every checker rule to both: the violating trace must make the clause's checker report a
//! violation of that clause, and the passing trace must give the clause something to judge (so
//! that passing means something) without a violation of it. A catalogue clause without a case
//! fails the test, so no rule is judged by a checker never shown to catch its bug.

use std::collections::BTreeSet;

use crate::context::SessionContext;
use crate::rules::{self, Clause};
use crate::sim::trace::Trace;

use super::testing::{TraceBuilder, context};
use super::{Findings, Options, TRACE_CHECKERS};

mod calls;
mod connect;
mod duplicates;
mod frames;
mod idle;
mod limits;
mod run;
mod service;
mod session;
mod shutdown;
mod token;

/// A clause's two traces, each judged by the checker that judges the clause.
pub struct Case {
    pub clause: Clause,
    /// Findings in which the clause must be broken.
    pub violating: fn() -> Findings,
    /// Findings in which the clause must be judged and kept.
    pub passing: fn() -> Findings,
}

/// What the checker that judges `clause` finds in `trace`.
pub fn judge(clause: Clause, trace: &Trace) -> Findings {
    let checker = clause.checker();
    let (_, check) = TRACE_CHECKERS
        .iter()
        .find(|(name, _)| *name == checker)
        .unwrap_or_else(|| panic!("{checker}, which judges {clause}, does not read one trace"));
    let mut findings = Findings::default();
    check(trace, &mut findings);
    findings
}

/// Alice's context, as idgen issued it for her first session.
fn alice() -> SessionContext {
    context("a1", "alice")
}

/// Alice's client, and her first session established with `context`.
fn established_with(context: &SessionContext) -> TraceBuilder {
    TraceBuilder::new().client(0, "alice").established(0, 1, context)
}

/// Alice's client, and her first session established with her context.
fn alice_session() -> TraceBuilder {
    established_with(&alice())
}

/// `context` with `thread_id` for its thread.
fn with_thread(context: SessionContext, thread_id: &str) -> SessionContext {
    SessionContext { thread_id: thread_id.to_owned(), ..context }
}

/// Every case, by area, in the catalogue's order.
fn all() -> Vec<Case> {
    [
        token::cases(),
        service::cases(),
        connect::cases(),
        session::cases(),
        frames::cases(),
        duplicates::cases(),
        limits::cases(),
        idle::cases(),
        calls::cases(),
        shutdown::cases(),
        run::cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn every_demand_names_a_checker_that_is_applied() {
    let checkers = Options::ALL.checkers();
    for clause in rules::clauses() {
        assert!(
            checkers.contains(&clause.checker()),
            "{clause} is judged by {}, no checker",
            clause.checker()
        );
    }
}

#[test]
fn every_clause_of_the_catalogue_is_caught_when_broken_and_judged_when_kept() {
    let cases = all();
    let covered: BTreeSet<Clause> = cases.iter().map(|case| case.clause).collect();
    let missing: Vec<String> =
        rules::clauses().filter(|c| !covered.contains(c)).map(|c| c.to_string()).collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("clauses without a case: {}", missing.join(", ")));
    }
    for case in &cases {
        let clause = case.clause;
        let violating = (case.violating)();
        if !violating.violations.iter().any(|v| v.breaks(clause)) {
            problems
                .push(format!("{clause}: its violating trace is not reported: {:?}", violating.violations));
        }
        let passing = (case.passing)();
        if let Some(v) = passing.violations.iter().find(|v| v.breaks(clause)) {
            problems.push(format!("{clause}: its passing trace is reported: {v}"));
        }
        if !passing.exercised.contains(&clause) {
            problems.push(format!("{clause}: its passing trace gives it nothing to judge"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
