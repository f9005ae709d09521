//! How a guided campaign's batches run on threads. Batch `k + 2` is planned the moment batch `k`
//! has merged, from the campaign as it stood then, so the threads never wait for a batch to end:
//! while the last runs of one batch finish, the next is already running. What a batch is chosen
//! from depends only on the batches merged before it, and runs merge strictly in campaign order,
//! so the same options give the same runs whatever `--jobs` is.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Condvar, Mutex};

use super::{BATCH, Guide, Origin};
use crate::fuzz::{FuzzConfig, Progress, SeedRun, run_scenario};
use crate::sim::Scenario;

/// Batches planned ahead of the one merging: two keep every thread busy across a batch's end.
const AHEAD: usize = 2;

/// What the threads share.
struct Work<'c> {
    guide: Guide<'c>,
    /// Planned runs no thread has taken yet, by position in the campaign.
    queue: VecDeque<(usize, Scenario, Origin)>,
    /// Finished runs waiting for those before them to merge.
    finished: BTreeMap<usize, (SeedRun, Origin)>,
    planned: usize,
    /// No batch will be planned any more: the budget is spent, or the time.
    closed: bool,
}

impl Work<'_> {
    fn plan_batch(&mut self, keep_going: &dyn Fn() -> bool) {
        if self.closed || self.planned >= self.guide.budget || !keep_going() {
            self.closed = true;
            return;
        }
        let size = BATCH.min(self.guide.budget - self.planned);
        for (scenario, origin) in self.guide.plan(size) {
            self.queue.push_back((self.planned, scenario, origin));
            self.planned += 1;
        }
    }

    /// Merges every finished run whose turn it is, planning a batch as each batch completes.
    fn merge_ready(&mut self, keep_going: &dyn Fn() -> bool) {
        while let Some((run, origin)) = self.finished.remove(&self.guide.runs.len()) {
            self.guide.merge(run, origin);
            if self.guide.runs.len().is_multiple_of(BATCH) {
                self.plan_batch(keep_going);
            }
        }
    }

    fn over(&self) -> bool {
        self.closed && self.queue.is_empty() && self.guide.runs.len() == self.planned
    }
}

/// Runs `guide`'s campaign on `config.jobs` threads; returns its runs in order.
pub(super) fn run(
    guide: Guide<'_>,
    config: &FuzzConfig,
    progress: &dyn Progress,
    keep_going: impl Fn() -> bool + Sync,
) -> Vec<SeedRun> {
    let mut work =
        Work { guide, queue: VecDeque::new(), finished: BTreeMap::new(), planned: 0, closed: false };
    for _ in 0..AHEAD {
        work.plan_batch(&keep_going);
    }
    if work.queue.is_empty() {
        work.closed = true;
    }
    let (work, turn) = (Mutex::new(work), Condvar::new());
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let mut shared = work.lock().expect("campaign threads do not panic holding the lock");
                    let next = loop {
                        if let Some(next) = shared.queue.pop_front() {
                            break Some(next);
                        }
                        if shared.over() {
                            break None;
                        }
                        shared = turn.wait(shared).expect("campaign threads do not panic holding the lock");
                    };
                    drop(shared);
                    let Some((position, scenario, origin)) = next else { break };
                    let scenario = Scenario { mode: config.mode, ..scenario };
                    let run = run_scenario(scenario, config.checkers, origin == Origin::Fresh);
                    progress.ran(&run);
                    let mut shared = work.lock().expect("campaign threads do not panic holding the lock");
                    shared.finished.insert(position, (run, origin));
                    shared.merge_ready(&keep_going);
                    turn.notify_all();
                }
                turn.notify_all();
            });
        }
    });
    work.into_inner().expect("campaign threads do not panic holding the lock").guide.runs
}
