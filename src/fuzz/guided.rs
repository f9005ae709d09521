//! The guided campaign (`gatesim fuzz --strategy guided`): scenarios that reached a coverage
//! feature no earlier run reached join a corpus, and after a first batch of fresh draws part of
//! every batch mutates corpus scenarios instead of drawing new ones: more while mutants find more
//! than fresh draws, less when they find less.
//!
//! It runs in batches: a batch's scenarios are chosen from the corpus as it stood after the batch
//! before, run in parallel, and merged in their order, so the same options give the same runs,
//! corpus and failures whatever `--jobs` is. Every choice comes from one generator seeded by the
//! campaign's root, itself derived from the first seed and the shard, so each shard guides its own
//! sub-campaign: its fresh draws are its own seeds, in order, and its budget its share of the
//! campaign's.
//!
//! - `features`: what counts as a behaviour not seen before;
//! - `mutate`: how a corpus scenario is changed;
//! - `schedule`: which corpus scenario is mutated next;
//! - `share`: how much of a batch mutates;
//! - `corpus`: the corpus, and its directory between campaigns.

pub(crate) mod corpus;
pub(crate) mod features;
pub(crate) mod mutate;
pub(crate) mod schedule;
pub(crate) mod share;

use std::time::Instant;

use rand::Rng as _;
use sha2::{Digest, Sha256};

use super::{FuzzConfig, FuzzReport, Progress, SeedRun, run_scenario};
use crate::clock::{Rng, seeded_rng};
use crate::sim::sweep::across_threads;
use crate::sim::{Scenario, seeds};
pub use corpus::Corpus;
use schedule::Schedule;
use share::Share;

/// Runs merged before the next are chosen: large enough that both cores stay busy to the end of
/// most batches, small enough that the corpus steers soon.
pub const BATCH: usize = 50;
/// The first batch draws every scenario fresh, so that the corpus has something to mutate.
const INITIAL: usize = BATCH;

/// Runs the guided campaign on `config.jobs` threads from `corpus`, which it grows.
pub fn fuzz(config: &FuzzConfig, corpus: &mut Corpus, progress: &dyn Progress) -> FuzzReport {
    let started = Instant::now();
    let runs = campaign(config, corpus, progress, || started.elapsed() < config.time);
    FuzzReport::new(config, runs, started.elapsed()).with_corpus(corpus.len())
}

/// The campaign's runs in order; `keep_going` is asked before each batch.
fn campaign(
    config: &FuzzConfig,
    corpus: &mut Corpus,
    progress: &dyn Progress,
    keep_going: impl Fn() -> bool,
) -> Vec<SeedRun> {
    let mut fresh = config.seeds_of_shard();
    let budget = fresh.len();
    fresh.reverse();
    // A corpus kept from earlier campaigns is run first, as it is, the scenarios that reach most
    // first: it is the shortest way back to every behaviour those campaigns reached, and it tells
    // this campaign's schedule what each scenario does.
    let mut replays: Vec<usize> = corpus.by_reach().into_iter().rev().map(|(index, _)| index).collect();
    let initial = if corpus.is_empty() { INITIAL } else { 0 };
    let mut rng = seeded_rng(root(config));
    let mut schedule = Schedule::default();
    let mut share = Share::default();
    let mut runs: Vec<SeedRun> = Vec::with_capacity(budget);
    while runs.len() < budget && keep_going() {
        let size = BATCH.min(budget - runs.len());
        let guiding = runs.len() >= initial && !corpus.is_empty();
        let mutants = if guiding { share.mutants_of(size) } else { 0 };
        let batch: Vec<(Scenario, Origin)> = (0..size)
            .map(|i| {
                if let Some(index) = replays.pop() {
                    return (corpus.get(index).clone(), Origin::Replay(index));
                }
                let mutated =
                    share::is_mutant(i, size, mutants).then(|| pick(corpus, &schedule, &mut rng)).flatten();
                match mutated {
                    Some(scenario) => (scenario, Origin::Mutant),
                    None => (
                        Scenario::from_seed(fresh.pop().expect("fewer draws than the budget")),
                        Origin::Fresh,
                    ),
                }
            })
            .collect();
        let indices: Vec<u64> = (0..batch.len() as u64).collect();
        let done = across_threads(
            &indices,
            config.jobs,
            || true,
            |i| {
                let (scenario, origin) = &batch[i as usize];
                let scenario = Scenario { mode: config.mode, ..scenario.clone() };
                let run = run_scenario(scenario, config.checkers, *origin == Origin::Fresh);
                progress.ran(&run);
                run
            },
        );
        share.decay();
        for ((_, run), (_, origin)) in done.into_iter().zip(&batch) {
            let new = schedule.count(&run.features);
            match origin {
                Origin::Replay(index) => corpus.ran(*index, &run.features),
                _ => share.ran(run.drawn, !new.is_empty()),
            }
            if !new.is_empty() {
                let shown: Vec<&str> = new.iter().take(3).map(|f| f.as_str()).collect();
                let more = if new.len() > 3 { format!(" and {} more", new.len() - 3) } else { String::new() };
                let note = format!(
                    "kept by gatesim fuzz --strategy guided: first to reach {}{more}",
                    shown.join(", ")
                );
                let index = corpus.add(Scenario { note: Some(note), ..run.scenario.clone() });
                corpus.ran(index, &run.features);
                schedule.found(&new, index, run.stats.messages_sent);
            }
            runs.push(run);
        }
    }
    runs
}

/// Where a run's scenario came from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Origin {
    /// Drawn from the next of the shard's seeds.
    Fresh,
    /// A mutant of a corpus scenario.
    Mutant,
    /// The scenario at this index of the corpus the campaign was given, run as it is.
    Replay(usize),
}

/// A mutant of the corpus scenario `schedule` picks, with another to splice from.
fn pick(corpus: &Corpus, schedule: &Schedule, rng: &mut Rng) -> Option<Scenario> {
    let parent = corpus.get(schedule.parent(corpus.len(), rng));
    let other = corpus.get(rng.random_range(0..corpus.len()));
    mutate::mutant(parent, other, rng)
}

/// The campaign's root seed: its first seed and its shard, hashed, so that every shard of every
/// night chooses differently.
pub fn root(config: &FuzzConfig) -> u64 {
    let label = format!("guided/{}/{}", config.start_seed, config.shard);
    seeds::seed_of(&Sha256::digest(label.as_bytes()))
}

#[cfg(test)]
mod tests;
