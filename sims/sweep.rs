//! Many drawn scenarios in the fixed mode: none may end in a turmoil error ("Ran for duration",
//! "server socket buffer full") or leave a client unfinished. `GATESIM_SWEEP` sets how many
//! (default 50); the seeds are split over the machine's cores.

use std::sync::Mutex;
use std::thread;

use gatesim::services::gateway::Mode;
use gatesim::sim::{Event, Scenario};

use crate::support::run;

const DEFAULT_SEEDS: u64 = 50;

#[test]
fn drawn_scenarios_run_to_completion_in_fixed_mode() {
    let seeds = std::env::var("GATESIM_SWEEP").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_SEEDS);
    let workers = thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let failures = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for worker in 0..workers {
            let failures = &failures;
            scope.spawn(move || {
                for seed in (worker..seeds).step_by(workers as usize) {
                    if let Some(failure) = failure(seed) {
                        failures.lock().unwrap().push(failure);
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(failures.is_empty(), "{} of {seeds} seeds failed:\n{}", failures.len(), failures.join("\n"));
}

fn failure(seed: u64) -> Option<String> {
    let scenario = Scenario { mode: Mode::Fixed, ..Scenario::from_seed(seed) };
    let outcome = run(&scenario);
    if let Some(error) = outcome.error {
        return Some(format!("seed {seed}: {error}"));
    }
    let finished =
        outcome.trace.records.iter().filter(|r| matches!(r.event, Event::ClientFinished { .. })).count();
    (finished != scenario.clients.len())
        .then(|| format!("seed {seed}: {finished} of {} clients finished", scenario.clients.len()))
}
