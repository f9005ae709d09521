//! The reruns that environment agnostic and determinism judge by, shared: a seed whose checkers
//! pass costs one rerun for both. The scenario runs again under another environment
//! ([`environment::rerun_environment`]); a trace that stays the same record for record while both
//! the run and the environment changed shows that neither mattered. Only when it parts does the
//! scenario run a third time, exactly as at first, to tell which did: if that run parts too, the
//! runs are not deterministic; if it agrees, the environment changed the trace.

use crate::sim::Scenario;
use crate::sim::trace::Trace;

use super::{Findings, Options, determinism, environment};

/// Judges `scenario`, whose first run gave `first`, by the rerun checkers `options` asks for,
/// into `findings`; returns how many reruns they took. `run` runs a scenario and returns its
/// trace. A rerun elsewhere that gives the same trace judges both checkers' rules at once.
pub fn check(
    scenario: &Scenario,
    first: &Trace,
    options: Options,
    findings: &mut Findings,
    mut run: impl FnMut(&Scenario) -> Trace,
) -> usize {
    if !options.environments {
        if !options.determinism {
            return 0;
        }
        findings.judged(determinism::REPLAY);
        findings.extend(determinism::compare(first, &run(scenario)));
        return 1;
    }
    findings.judged(environment::AGNOSTIC);
    let environment = environment::rerun_environment(scenario);
    let elsewhere = run(&Scenario { environment: environment.clone(), ..scenario.clone() });
    let parted = environment::compare(scenario, first, &environment, &elsewhere);
    if !options.determinism {
        findings.extend(parted);
        return 1;
    }
    findings.judged(determinism::REPLAY);
    let Some(parted) = parted else { return 1 };
    let found = determinism::compare(first, &run(scenario));
    if found.is_empty() {
        findings.push(parted);
    } else {
        findings.extend(found);
    }
    2
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::checkers::testing::{TraceBuilder, context};

    fn trace(thread_id: &str) -> Trace {
        let mut context = context("a1", "alice");
        context.thread_id = thread_id.into();
        TraceBuilder::new().client(0, "alice").established(0, 1, &context).build()
    }

    /// Checks a scenario whose first trace is `first`, with reruns that give `reruns` in order;
    /// returns the checkers that fired, the reruns taken and the environments they ran in.
    fn judge(options: Options, first: &str, reruns: &[&str]) -> (Vec<String>, usize, Vec<String>) {
        let scenario = Scenario { seed: 7, ..Scenario::default() };
        let environments = RefCell::new(Vec::new());
        let mut next = reruns.iter();
        let mut findings = Findings::default();
        let taken = check(&scenario, &trace(first), options, &mut findings, |rerun| {
            environments.borrow_mut().push(environment::name(&rerun.environment));
            trace(next.next().expect("no more reruns than expected"))
        });
        (findings.violations.into_iter().map(|v| v.checker).collect(), taken, environments.into_inner())
    }

    #[test]
    fn a_passing_seed_takes_one_rerun_in_another_environment_for_both_checkers() {
        let (found, taken, ran_in) = judge(Options::ALL, "t1", &["t1"]);
        assert_eq!((found, taken), (vec![], 1));
        assert_eq!(ran_in.len(), 1);
        assert_ne!(ran_in[0], "dev", "the default scenario runs in dev; its rerun does not");
    }

    #[test]
    fn a_rerun_elsewhere_that_parts_while_a_third_run_agrees_is_the_environment() {
        let (found, taken, ran_in) = judge(Options::ALL, "t1", &["fallback", "t1"]);
        assert_eq!((found, taken), (vec![environment::NAME.to_owned()], 2));
        assert_eq!(ran_in[1], "dev", "the third run is the scenario as it was");
    }

    #[test]
    fn a_rerun_elsewhere_that_parts_while_a_third_run_parts_too_is_not_deterministic() {
        let (found, taken, _) = judge(Options::ALL, "t1", &["t2", "t3"]);
        assert_eq!((found, taken), (vec![determinism::NAME.to_owned()], 2));
    }

    #[test]
    fn each_checker_alone_takes_its_own_rerun_and_neither_takes_none() {
        assert_eq!(
            judge(Options { environments: false, determinism: true }, "t1", &["t2"]).0,
            [determinism::NAME]
        );
        let environments_only = Options { environments: true, determinism: false };
        assert_eq!(judge(environments_only, "t1", &["t2"]).0, [environment::NAME]);
        assert_eq!(judge(Options::TRACE_ONLY, "t1", &[]), (vec![], 0, vec![]));
    }
}
