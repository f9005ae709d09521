//! The guided campaign (`gatesim fuzz --strategy guided`): scenarios that reached a coverage
//! feature no earlier run reached join a corpus, and after a first batch of fresh draws part of
//! every batch mutates corpus scenarios instead of drawing new ones: more while mutants find more
//! than fresh draws, less when they find less.
//!
//! It runs in batches (`batches`): a batch's scenarios are chosen from the campaign as it stood
//! once the batch two before it merged, run in parallel, and merged in their order, so the same
//! options give the same runs, corpus and failures whatever `--jobs` is. Every choice comes from one generator seeded by the
//! campaign's root, itself derived from the first seed and the shard, so each shard guides its own
//! sub-campaign: its fresh draws are its own seeds, in order, and its budget its share of the
//! campaign's.
//!
//! - `batches`: how batches are planned ahead and merged in order on threads;
//! - `features`: what counts as a behaviour not seen before;
//! - `mutate`: how a corpus scenario is changed;
//! - `schedule`: which corpus scenario is mutated next;
//! - `share`: how much of a batch mutates;
//! - `corpus`: the corpus, and its directory between campaigns.

mod batches;
pub(crate) mod corpus;
pub(crate) mod features;
pub(crate) mod mutate;
pub(crate) mod schedule;
pub(crate) mod share;

use std::time::Instant;

use rand::Rng as _;
use sha2::{Digest, Sha256};

use super::{FuzzConfig, FuzzReport, Progress, SeedRun, Stats};
use crate::clock::{Rng, seeded_rng};
use crate::sim::{Scenario, seeds};
pub use corpus::Corpus;
use schedule::Schedule;
use share::Share;

/// Runs planned and merged together: the unit of the share's memory and of planning ahead.
pub const BATCH: usize = 50;
/// Runs merged before an empty corpus is mutated: the first batch, so that it has something to
/// mutate (the second is planned before it merges, so it draws fresh too).
const INITIAL: usize = BATCH;

/// Runs the guided campaign on `config.jobs` threads from `corpus`, which it grows.
pub fn fuzz(config: &FuzzConfig, corpus: &mut Corpus, progress: &dyn Progress) -> FuzzReport {
    let started = Instant::now();
    let runs = campaign(config, corpus, progress, || started.elapsed() < config.time);
    FuzzReport::new(config, runs, started.elapsed()).with_corpus(corpus.len())
}

/// The campaign's runs in order; `keep_going` is asked before each batch is planned.
fn campaign(
    config: &FuzzConfig,
    corpus: &mut Corpus,
    progress: &dyn Progress,
    keep_going: impl Fn() -> bool + Sync,
) -> Vec<SeedRun> {
    let guide = Guide::new(config, corpus);
    batches::run(guide, config, progress, keep_going)
}

/// The campaign's choices and what they are made from: the shard's seeds not drawn yet, the
/// given corpus not run yet, and everything merged so far.
struct Guide<'c> {
    corpus: &'c mut Corpus,
    /// The shard's seeds not drawn yet, the next last.
    fresh: Vec<u64>,
    /// The given corpus's scenarios not run yet, the next last.
    replays: Vec<usize>,
    /// Runs merged before any mutant is planned.
    initial: usize,
    rng: Rng,
    schedule: Schedule,
    share: Share,
    /// The runs merged, in campaign order.
    runs: Vec<SeedRun>,
    budget: usize,
}

impl<'c> Guide<'c> {
    fn new(config: &FuzzConfig, corpus: &'c mut Corpus) -> Guide<'c> {
        let mut fresh = config.seeds_of_shard();
        let budget = fresh.len();
        fresh.reverse();
        // A corpus kept from earlier campaigns is run first, as it is, the scenarios that reach
        // most first: it is the shortest way back to every behaviour those campaigns reached, and
        // it tells this campaign's schedule what each scenario does.
        let replays = corpus.by_reach().into_iter().rev().map(|(index, _)| index).collect();
        let initial = if corpus.is_empty() { INITIAL } else { 0 };
        Guide {
            corpus,
            fresh,
            replays,
            initial,
            rng: seeded_rng(root(config)),
            schedule: Schedule::default(),
            share: Share::default(),
            runs: Vec::with_capacity(budget),
            budget,
        }
    }

    /// The next `size` scenarios, chosen from what has merged so far.
    fn plan(&mut self, size: usize) -> Vec<(Scenario, Origin)> {
        let guiding = self.runs.len() >= self.initial && !self.corpus.is_empty();
        let mutants = if guiding { self.share.mutants_of(size) } else { 0 };
        (0..size)
            .map(|i| {
                if let Some(index) = self.replays.pop() {
                    return (self.corpus.get(index).clone(), Origin::Replay(index));
                }
                let mutated = share::is_mutant(i, size, mutants)
                    .then(|| pick(self.corpus, &self.schedule, &mut self.rng))
                    .flatten();
                match mutated {
                    Some(scenario) => (scenario, Origin::Mutant),
                    None => (
                        Scenario::from_seed(self.fresh.pop().expect("fewer draws than the budget")),
                        Origin::Fresh,
                    ),
                }
            })
            .collect()
    }

    /// Merges the next run of the campaign: counts its features, and keeps its scenario when it
    /// reached one no run had before.
    fn merge(&mut self, run: SeedRun, origin: Origin) {
        if self.runs.len().is_multiple_of(BATCH) {
            self.share.decay();
        }
        let new = self.schedule.count(&run.features);
        match origin {
            Origin::Replay(index) => {
                self.corpus.ran(index, &run.features);
                self.schedule.found(&[], index, cost(&run.stats));
            }
            _ => self.share.ran(run.drawn, !new.is_empty()),
        }
        if !new.is_empty() {
            let shown: Vec<&str> = new.iter().take(3).map(|f| f.as_str()).collect();
            let more = if new.len() > 3 { format!(" and {} more", new.len() - 3) } else { String::new() };
            let note =
                format!("kept by gatesim fuzz --strategy guided: first to reach {}{more}", shown.join(", "));
            let index = self.corpus.add(Scenario { note: Some(note), ..run.scenario.clone() });
            self.corpus.ran(index, &run.features);
            self.schedule.found(&new, index, cost(&run.stats));
        }
        self.runs.push(run);
    }
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

/// What a run cost, in messages: each message, and each KiB of content, counts one. A flood of
/// frames near the 64 KiB limit carries some 80 MB through the simulated network and its trace,
/// a thousand times what an ordinary run does.
fn cost(stats: &Stats) -> u64 {
    stats.messages_sent + stats.bytes_sent / 1024
}

/// The campaign's root seed: its first seed and its shard, hashed, so that every shard of every
/// night chooses differently.
pub fn root(config: &FuzzConfig) -> u64 {
    let label = format!("guided/{}/{}", config.start_seed, config.shard);
    seeds::seed_of(&Sha256::digest(label.as_bytes()))
}

#[cfg(test)]
mod tests;
