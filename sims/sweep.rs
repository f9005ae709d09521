//! Many drawn scenarios in the fixed mode: none may end in a turmoil error ("Ran for duration",
//! "server socket buffer full"), leave a client unfinished (unless its host crashed, after which
//! none of its clients may finish), or break an invariant.
//!
//! `GATESIM_SEEDS` sets how many (default 50) and `GATESIM_SEED` the first (default 0), so a sweep
//! of any size runs under plain `cargo test`; the seeds are split over the machine's cores.

use std::sync::Mutex;
use std::thread;

use gatesim::services::gateway::Mode;
use gatesim::sim::scenario::client_host;
use gatesim::sim::trace::Fault;
use gatesim::sim::{Event, Record, Scenario, check};

use crate::support::run;

const DEFAULT_SEEDS: u64 = 50;

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.parse().unwrap_or_else(|_| panic!("{name}={value:?} is not a number")))
}

#[test]
fn drawn_scenarios_run_clean_in_fixed_mode() {
    let first = env_number("GATESIM_SEED").unwrap_or(0);
    let count = env_number("GATESIM_SEEDS").unwrap_or(DEFAULT_SEEDS);
    let workers = thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let failures = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for worker in 0..workers {
            let failures = &failures;
            scope.spawn(move || {
                for seed in (first + worker..first + count).step_by(workers as usize) {
                    if let Some(failure) = failure(seed) {
                        failures.lock().unwrap().push(failure);
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(failures.is_empty(), "{} of {count} seeds failed:\n{}", failures.len(), failures.join("\n"));
}

fn failure(seed: u64) -> Option<String> {
    let scenario = Scenario { mode: Mode::Fixed, ..Scenario::from_seed(seed) };
    let outcome = run(&scenario);
    let replay = format!("reproduce: cargo run --release -- replay {seed}");
    let violations = check(&outcome);
    if !violations.is_empty() {
        let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return Some(format!("seed {seed}: {}\n  {replay}", listed.join("\n  ")));
    }
    let crashes: Vec<(&str, u64)> = outcome
        .trace
        .records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Fault { fault: Fault::Crash { host } } if host.starts_with("client-") => {
                Some((host.as_str(), r.at_ms))
            }
            _ => None,
        })
        .collect();
    let crashed_at = |host: &str| crashes.iter().find(|(crashed, _)| *crashed == host).map(|(_, at)| *at);
    let finished: Vec<&Record> =
        outcome.trace.records.iter().filter(|r| matches!(r.event, Event::ClientFinished { .. })).collect();
    if let Some(late) = finished.iter().find(|r| crashed_at(&r.host).is_some_and(|at| r.at_ms > at)) {
        return Some(format!("seed {seed}: a client finished on {} after it crashed\n  {replay}", late.host));
    }
    let expected = scenario.clients.iter().filter(|c| crashed_at(&client_host(c.host)).is_none()).count();
    let live = finished.iter().filter(|r| crashed_at(&r.host).is_none()).count();
    (live != expected)
        .then(|| format!("seed {seed}: {live} of the {expected} clients on live hosts finished\n  {replay}"))
}
