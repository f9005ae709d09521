//! Many drawn scenarios in the fixed mode: none may end in a turmoil error ("Ran for duration",
//! "server socket buffer full"), leave a client unfinished, or break an invariant.
//!
//! `GATESIM_SEEDS` sets how many (default 50) and `GATESIM_SEED` the first (default 0), so a sweep
//! of any size runs under plain `cargo test`; the seeds are split over the machine's cores.

use std::sync::Mutex;
use std::thread;

use gatesim::services::gateway::Mode;
use gatesim::sim::{Event, Scenario, check};

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
    let finished =
        outcome.trace.records.iter().filter(|r| matches!(r.event, Event::ClientFinished { .. })).count();
    (finished != scenario.clients.len()).then(|| {
        format!("seed {seed}: {finished} of {} clients finished\n  {replay}", scenario.clients.len())
    })
}
