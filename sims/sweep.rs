//! Many drawn scenarios in the fixed mode, through every checker (the first fifty also through
//! those that rerun the scenario): none may end in a turmoil error ("Ran for duration", "server
//! socket buffer full"), break an invariant, or leave a client unfinished, unless its host crashed,
//! after which none of its clients may finish. Over the default campaign's seeds, every clause of
//! the rule catalogue must be exercised by at least one run in a hundred: a rule no draw reaches
//! is a rule the campaign does not test.
//!
//! `GATESIM_SEEDS` sets how many (default 1000, the seeds of the default fuzz campaign) and
//! `GATESIM_SEED` the first (default 0), so a sweep of any size runs under plain `cargo test`;
//! the seeds are split over the machine's cores.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZero;
use std::thread;

use gatesim::checkers::{Options, Report, verify};
use gatesim::fuzz::coverage;
use gatesim::rules::{self, Clause};
use gatesim::services::gateway::Mode;
use gatesim::sim::Fault;
use gatesim::sim::client_host;
use gatesim::sim::sweep::across_threads;
use gatesim::sim::{Event, Outcome, Record, Scenario};

const DEFAULT_SEEDS: u64 = 1000;
/// Seeds that also get the checkers that rerun the scenario (one more run each when they pass).
const RERUN_SEEDS: u64 = 50;

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.parse().unwrap_or_else(|_| panic!("{name}={value:?} is not a number")))
}

#[test]
fn drawn_scenarios_run_clean_in_fixed_mode() {
    let first = env_number("GATESIM_SEED").unwrap_or(0);
    let count = env_number("GATESIM_SEEDS").unwrap_or(DEFAULT_SEEDS);
    let seeds: Vec<u64> = (first..first + count).collect();
    let jobs = thread::available_parallelism().map_or(1, NonZero::get);
    let runs = across_threads(&seeds, jobs, || true, run);
    let failures: Vec<&String> = runs.iter().filter_map(|(_, run)| run.failure.as_ref()).collect();
    let listed: Vec<&str> = failures.iter().map(|f| f.as_str()).collect();
    assert!(failures.is_empty(), "{} of {count} seeds failed:\n{}", failures.len(), listed.join("\n"));
    // Over the default campaign's seeds, every limit and every bad input's answer is a
    // "sometimes" path that at least one run in a hundred reaches.
    if first == 0 && count >= DEFAULT_SEEDS {
        for entry in SOMETIMES {
            let reached = runs.iter().filter(|(_, run)| run.reached.iter().any(|r| r == entry)).count();
            assert!(reached as u64 >= count / 100, "{entry} reached in {reached} of {count} runs, under 1%");
        }
        let mut exercised: BTreeMap<Clause, u64> = rules::clauses().map(|clause| (clause, 0)).collect();
        for clause in runs.iter().flat_map(|(_, run)| &run.exercised) {
            *exercised.entry(*clause).or_default() += 1;
        }
        let rare: Vec<String> = exercised
            .iter()
            .filter(|(_, runs)| **runs < count / 100)
            .map(|(clause, runs)| format!("{clause} in {runs}"))
            .collect();
        assert!(rare.is_empty(), "clauses exercised by under 1% of {count} runs: {}", rare.join(", "));
    }
}

/// The coverage entries (`gatesim::fuzz::coverage`) of the gateway's limits and of its answers to
/// bad input.
const SOMETIMES: [&str; 9] = [
    "error_TOO_MANY_SESSIONS",
    "error_RATE_LIMITED",
    "error_MESSAGE_TOO_BIG",
    "error_SLOW_CONSUMER",
    "error_IDLE_TIMEOUT",
    "error_BAD_MESSAGE",
    "error_BAD_ENCODING",
    "worker_queue_full",
    "idle_outlived_on_pongs",
];

/// What one seed's run shows.
struct Run {
    /// What is wrong with it, if anything.
    failure: Option<String>,
    /// The coverage entries it reached.
    reached: Vec<String>,
    /// The clauses of the rule catalogue it exercised.
    exercised: BTreeSet<Clause>,
}

fn run(seed: u64) -> Run {
    let scenario = Scenario { mode: Mode::Fixed, ..Scenario::from_seed(seed) };
    let options = if seed < RERUN_SEEDS { Options::ALL } else { Options::TRACE_ONLY };
    let report = verify(&scenario, options);
    let reached = coverage::reached(&report.outcome.trace);
    Run { failure: failure(seed, &scenario, &report), reached, exercised: report.exercised.clone() }
}

fn failure(seed: u64, scenario: &Scenario, report: &Report) -> Option<String> {
    let replay = format!("reproduce: cargo run --release -- replay {seed}");
    if !report.passed() {
        let listed: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        return Some(format!("seed {seed}: {}\n  {replay}", listed.join("\n  ")));
    }
    unfinished(scenario, &report.outcome).map(|problem| format!("seed {seed}: {problem}\n  {replay}"))
}

/// What is wrong with which clients finished: one on a live host that did not, or one on a
/// crashed host that did after the crash.
fn unfinished(scenario: &Scenario, outcome: &Outcome) -> Option<String> {
    let records = &outcome.trace.records;
    let crashed_at = |host: &str| {
        records.iter().find_map(|r| match &r.event {
            Event::Fault { fault: Fault::Crash { host: crashed } } if crashed == host => Some(r.at_ms),
            _ => None,
        })
    };
    let finished: Vec<&Record> =
        records.iter().filter(|r| matches!(r.event, Event::ClientFinished { .. })).collect();
    if let Some(late) = finished.iter().find(|r| crashed_at(&r.host).is_some_and(|at| r.at_ms > at)) {
        return Some(format!("a client finished on {} after it crashed", late.host));
    }
    let expected = scenario.clients.iter().filter(|c| crashed_at(&client_host(c.host)).is_none()).count();
    let live = finished.iter().filter(|r| crashed_at(&r.host).is_none()).count();
    (live != expected).then(|| format!("{live} of the {expected} clients on live hosts finished"))
}
