//! Same seed, same trace: in one process, and across processes through the `gatesim` binary.

use std::process::Command;

use gatesim::services::gateway::Environment;
use gatesim::sim::Scenario;

use crate::support::run;

fn hash(seed: u64) -> String {
    run(&Scenario::from_seed(seed)).trace.hash()
}

#[test]
fn the_same_seed_gives_the_same_trace_twice_in_one_process() {
    for seed in [0, 1, 42] {
        let (first, second) = (run(&Scenario::from_seed(seed)), run(&Scenario::from_seed(seed)));
        assert!(!first.trace.records.is_empty());
        assert_eq!(first.trace.to_jsonl(), second.trace.to_jsonl(), "seed {seed}");
    }
}

/// tokio numbers tasks with a counter global to the process, and other runs on other threads move
/// it: nothing in a run may depend on it.
#[test]
fn runs_on_parallel_threads_give_the_same_traces_as_one_after_another() {
    let seeds: Vec<u64> = (0..12).collect();
    let sequential: Vec<String> = seeds.iter().map(|&seed| hash(seed)).collect();
    let parallel: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = seeds
            .chunks(3)
            .map(|chunk| scope.spawn(move || chunk.iter().rev().map(|&seed| hash(seed)).collect::<Vec<_>>()))
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap().into_iter().rev()).collect()
    });
    assert_eq!(sequential, parallel);
}

#[test]
fn different_seeds_give_different_traces() {
    let hashes: std::collections::BTreeSet<_> = (100..110).map(hash).collect();
    assert_eq!(hashes.len(), 10);
    // The root seed alone changes the trace, not only the scenario it draws.
    let scenario = Scenario::default();
    let reseeded = Scenario { seed: 1, ..Scenario::default() };
    assert_ne!(run(&scenario).trace.hash(), run(&reseeded).trace.hash());
}

#[test]
fn replay_prints_the_same_trace_hash_in_separate_processes() {
    // Seed 3 also crashes a client host, whose stopped tasks and end-of-run probe must replay alike.
    assert!(!Scenario::from_seed(3).client_crashes.is_empty(), "seed 3 no longer crashes a client host");
    for seed in [3, 42, 777] {
        let replay = || {
            let output = Command::new(env!("CARGO_BIN_EXE_gatesim"))
                .args(["replay", &seed.to_string()])
                .env("RUST_LOG", "off")
                .output()
                .expect("the gatesim binary runs");
            assert!(output.status.success(), "replay {seed} exited with {}", output.status);
            let stdout = String::from_utf8(output.stdout).expect("the timeline is UTF-8");
            let last = stdout.lines().last().expect("replay prints something").to_owned();
            last.strip_prefix("trace-hash: ").expect("the last line is the trace hash").to_owned()
        };
        let first = replay();
        assert_eq!(first, replay(), "seed {seed}");
        assert_eq!(first, hash(seed), "seed {seed}: the binary and the library disagree");
    }
}

/// The fixed gateway only reports its environment: staging must behave exactly like dev.
#[test]
fn staging_and_dev_give_the_same_trace_in_fixed_mode() {
    for seed in [5, 6, 7] {
        let staging = Scenario { environment: Environment::labelled("staging"), ..Scenario::from_seed(seed) };
        let dev = Scenario { environment: Environment::labelled("dev"), ..staging.clone() };
        assert_eq!(run(&staging).trace.hash(), run(&dev).trace.hash(), "seed {seed}");
    }
}
