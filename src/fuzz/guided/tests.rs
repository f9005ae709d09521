use std::time::Duration;

use super::*;
use crate::checkers::Options;
use crate::fuzz::{Shard, Strategy};
use crate::services::gateway::Mode;

struct Quiet;

impl Progress for Quiet {
    fn ran(&self, _: &SeedRun) {}
}

fn config(seeds: u64, jobs: usize) -> FuzzConfig {
    FuzzConfig {
        start_seed: 0,
        seeds,
        time: Duration::from_secs(3600),
        jobs,
        shard: Shard::WHOLE,
        mode: Mode::Fixed,
        checkers: Options::TRACE_ONLY,
        strategy: Strategy::Guided,
    }
}

#[test]
fn a_guided_campaign_is_the_same_on_one_job_and_on_two() {
    let (mut one, mut two) = (Corpus::default(), Corpus::default());
    let a = fuzz(&config(60, 1), &mut one, &Quiet);
    let b = fuzz(&config(60, 2), &mut two, &Quiet);
    assert_eq!(a.runs, 60);
    assert_eq!(a.campaign_digest, b.campaign_digest);
    assert_eq!((a.failed_seeds, a.features, a.corpus), (b.failed_seeds, b.features, b.corpus));
    assert_eq!(one, two, "the same corpus");
    assert_eq!(a.strategy, "guided");
    // Started from the corpus those campaigns kept, too.
    let (mut again_one, mut again_two) = (one.clone(), one);
    let c = fuzz(&config(60, 1), &mut again_one, &Quiet);
    let d = fuzz(&config(60, 2), &mut again_two, &Quiet);
    assert_eq!(c.campaign_digest, d.campaign_digest);
    assert_ne!(c.campaign_digest, a.campaign_digest, "the corpus ran first");
    assert_eq!(again_one, again_two);
}

#[test]
fn the_first_two_batches_draw_fresh_then_part_of_each_batch_mutates_the_corpus() {
    let mut corpus = Corpus::default();
    let runs = campaign(&config(2 * BATCH as u64 + 30, 2), &mut corpus, &Quiet, || true);
    assert_eq!(runs.len(), 2 * BATCH + 30);
    let seeds: Vec<u64> = runs[..2 * BATCH].iter().map(|run| run.seed).collect();
    assert_eq!(
        seeds,
        (0..2 * BATCH as u64).collect::<Vec<_>>(),
        "planned before anything merged: the random campaign's"
    );
    assert!(runs[..2 * BATCH].iter().all(|run| run.drawn));
    let mutants = runs[2 * BATCH..].iter().filter(|run| !run.drawn).count();
    assert!((6..=24).contains(&mutants), "{mutants} mutants of 30: between a fifth and four fifths");
    assert!(!corpus.is_empty() && corpus.len() < runs.len(), "{} kept", corpus.len());
    for run in runs.iter().filter(|run| !run.drawn) {
        assert_eq!(run.scenario.validate(), Ok(()));
    }
}

#[test]
fn shards_have_their_own_roots_and_share_the_budget() {
    let shard = |index| FuzzConfig { shard: Shard { index, count: 3 }, ..config(100, 1) };
    assert_ne!(root(&shard(1)), root(&shard(2)));
    assert_ne!(root(&config(100, 1)), root(&FuzzConfig { start_seed: 100, ..config(100, 1) }));
    let budgets: usize = (1..=3).map(|index| shard(index).seeds_of_shard().len()).sum();
    assert_eq!(budgets, 100);
}

#[test]
fn a_given_corpus_runs_first_as_it_is_and_is_mutated_at_once() {
    let mut corpus = Corpus::default();
    for seed in [900, 901, 902] {
        corpus.add(Scenario::from_seed(seed));
    }
    let given = corpus.clone();
    let runs = campaign(&config(2 * BATCH as u64, 2), &mut corpus, &Quiet, || true);
    for (index, run) in runs[..3].iter().enumerate() {
        assert_eq!(
            &run.scenario,
            given.get(index),
            "run {index} is the corpus's scenario {index}: none has features yet"
        );
        assert!(!run.drawn);
    }
    let fresh: Vec<u64> = runs[3..].iter().filter(|run| run.drawn).map(|run| run.seed).collect();
    assert_eq!(fresh, (0..fresh.len() as u64).collect::<Vec<_>>(), "then the shard's seeds, in order");
    assert!(runs[3..BATCH].iter().any(|run| !run.drawn), "and mutants of the corpus at once");
    assert_eq!(corpus.get(0), given.get(0), "the given scenarios keep their places");
}
