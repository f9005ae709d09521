//! The end of a campaign: a summary for people, the same as JSON for tools, JUnit for CI
//! dashboards, and each failing scenario written out, ready for the regression corpus.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use super::coverage;
use super::rules::{self, RuleRuns};
use super::stats::Stats;
use super::{FuzzConfig, SeedRun};
use crate::checkers::Options;

#[derive(Clone, Debug, Serialize)]
pub struct FuzzReport {
    /// `random` or `guided`.
    pub strategy: String,
    pub mode: String,
    pub shard: String,
    pub start_seed: u64,
    /// Seeds of this shard in the range asked for.
    pub seeds_planned: u64,
    pub runs: u64,
    /// True when the time bound ended the campaign before every planned seed ran.
    pub stopped_by_time: bool,
    /// The names of the checkers every run was judged by: eleven, or nine with `--quick`.
    pub checkers: Vec<String>,
    /// Parallel simulations.
    pub jobs: usize,
    /// Simulations run: each seed's, and the reruns its checkers make.
    pub simulations: u64,
    pub failed_seeds: Vec<u64>,
    /// Per failing seed, the checkers it violated.
    pub failures: BTreeMap<u64, Vec<String>>,
    pub failures_by_checker: BTreeMap<String, u64>,
    pub wall_secs: f64,
    /// Seeds run and judged by every checker in `checkers`, per second of wall time.
    pub checked_seeds_per_sec: f64,
    /// The same per job, the throughput of one core.
    pub checked_seeds_per_sec_per_core: f64,
    /// `simulations` per second of wall time: the simulator's speed, reruns included.
    pub sims_per_sec: f64,
    /// Simulated time covered by all simulations over the campaign's wall time. A rerun counts
    /// as long as its seed's first run, which it is whenever its checkers pass.
    pub sim_to_wall: f64,
    pub connection_success_rate: f64,
    pub message_completion_rate: f64,
    /// Per coverage entry (rare path, close code, error code), how many runs reached it.
    pub coverage: BTreeMap<String, u64>,
    /// Per rule of the catalogue, by id, how many runs exercised it, in all and per direction.
    pub rules: BTreeMap<String, RuleRuns>,
    /// Per broken clause (`rule direction`), how many runs broke it.
    pub failures_by_rule: BTreeMap<String, u64>,
    /// Distinct coverage features the runs reached (`fuzz::guided::features`).
    pub features: u64,
    /// The position of the first failing run in the campaign's order, from 0; none if none failed.
    pub first_failure_run: Option<u64>,
    /// A hash over the runs in order, their scenarios and outcomes: equal for equal campaigns.
    pub campaign_digest: String,
    /// Scenarios in the guided campaign's corpus at its end; 0 for a random one.
    pub corpus: u64,
    /// Attempts, sessions, messages, simulated time, and the `error_codes` and `close_codes`
    /// histograms, summed over every run.
    #[serde(flatten)]
    pub totals: Stats,
    #[serde(skip)]
    pub failed_runs: Vec<SeedRun>,
}

impl FuzzReport {
    pub fn new(config: &FuzzConfig, runs: Vec<SeedRun>, wall: Duration) -> FuzzReport {
        let seeds_planned = config.seeds_of_shard().len() as u64;
        let mut totals = Stats::default();
        let mut coverage: BTreeMap<String, u64> =
            coverage::entries().into_iter().map(|(name, _)| (name, 0)).collect();
        let mut rule_runs = rules::table();
        let mut failures_by_checker = BTreeMap::new();
        let mut failures_by_rule = BTreeMap::new();
        let mut failures = BTreeMap::new();
        for run in &runs {
            totals.add(&run.stats);
            for entry in &run.coverage {
                *coverage.entry(entry.clone()).or_default() += 1;
            }
            rules::count(&mut rule_runs, &run.exercised);
            let broken: BTreeSet<String> = run
                .violations
                .iter()
                .map(|v| match (&v.rule, v.direction) {
                    (Some(rule), Some(direction)) => format!("{rule} {direction}"),
                    _ => v.checker.clone(),
                })
                .collect();
            for clause in broken {
                *failures_by_rule.entry(clause).or_default() += 1;
            }
            if !run.violations.is_empty() {
                let mut checkers: Vec<String> = run.violations.iter().map(|v| v.checker.clone()).collect();
                checkers.dedup();
                for checker in &checkers {
                    *failures_by_checker.entry(checker.clone()).or_default() += 1;
                }
                failures.insert(run.seed, checkers);
            }
        }
        let wall_secs = wall.as_secs_f64().max(f64::EPSILON);
        let seeds_per_sec = runs.len() as f64 / wall_secs;
        let simulations: u64 = runs.iter().map(|run| run.simulations as u64).sum();
        let simulated_ms: u64 = runs.iter().map(|run| run.stats.simulated_ms * run.simulations as u64).sum();
        let jobs = config.jobs.max(1);
        let features: BTreeSet<&String> = runs.iter().flat_map(|run| &run.features).collect();
        FuzzReport {
            strategy: config.strategy.to_string(),
            features: features.len() as u64,
            first_failure_run: runs.iter().position(|run| !run.violations.is_empty()).map(|i| i as u64),
            campaign_digest: super::digest::campaign(&runs),
            corpus: 0,
            mode: config.mode.to_string(),
            shard: config.shard.to_string(),
            start_seed: config.start_seed,
            seeds_planned,
            runs: runs.len() as u64,
            stopped_by_time: (runs.len() as u64) < seeds_planned,
            checkers: config.checkers.checkers().into_iter().map(str::to_owned).collect(),
            jobs,
            simulations,
            failed_seeds: failures.keys().copied().collect(),
            failures,
            failures_by_checker,
            wall_secs,
            checked_seeds_per_sec: seeds_per_sec,
            checked_seeds_per_sec_per_core: seeds_per_sec / jobs as f64,
            sims_per_sec: simulations as f64 / wall_secs,
            sim_to_wall: simulated_ms as f64 / 1000.0 / wall_secs,
            connection_success_rate: totals.connection_success_rate(),
            message_completion_rate: totals.message_completion_rate(),
            coverage,
            rules: rule_runs,
            failures_by_rule,
            totals,
            failed_runs: runs.into_iter().filter(|run| !run.violations.is_empty()).collect(),
        }
    }

    /// With the size of the guided campaign's corpus at its end.
    pub fn with_corpus(self, scenarios: usize) -> FuzzReport {
        FuzzReport { corpus: scenarios as u64, ..self }
    }

    /// The command that replays `run` exactly: from its seed when the seed draws it, else from
    /// its scenario file, which [`FuzzReport::write_failures`] writes to `dir`.
    pub fn replay_command(&self, run: &SeedRun, dir: &Path) -> String {
        self.command("replay", run, dir)
    }

    /// The `gatesim` subcommand `verb` (`replay`, `explain`, `shrink`) on `run`'s scenario: from
    /// its seed, or from its file in `dir`.
    pub fn command(&self, verb: &str, run: &SeedRun, dir: &Path) -> String {
        let seed = run.seed;
        if run.drawn {
            return format!("cargo run --release -- {verb} {seed} --mode {}", self.mode);
        }
        let file = dir.join(failure_file(seed));
        format!("cargo run --release -- {verb} --scenario {} {seed} --mode {}", file.display(), self.mode)
    }

    /// Writes each failing scenario to `dir` as `seed-<seed>.json`, with a note naming what it
    /// broke, and returns the paths.
    pub fn write_failures(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        if self.failed_runs.is_empty() {
            return Ok(Vec::new());
        }
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for run in &self.failed_runs {
            let checkers = self.failures[&run.seed].join(", ");
            let mut scenario = run.scenario.clone();
            scenario.note = Some(format!("found by gatesim fuzz: broke {checkers}"));
            let path = dir.join(failure_file(run.seed));
            let json = serde_json::to_string_pretty(&scenario).expect("scenarios serialise");
            std::fs::write(&path, json + "\n")?;
            written.push(path);
        }
        Ok(written)
    }

    /// One test case per failing seed, and one for the campaign as a whole; `dir` is where the
    /// failing scenarios were written.
    pub fn junit(&self, dir: &Path) -> String {
        let mut suite = TestSuite::new(format!(
            "gatesim fuzz ({} mode, shard {}, {} strategy)",
            self.mode, self.shard, self.strategy
        ));
        suite.add_property(Property::new("checkers", self.checkers.join(", ")));
        let campaign =
            format!("{} seeds from {} under {} checkers", self.runs, self.start_seed, self.checkers.len());
        suite.add_test_case(TestCase::new(campaign, TestCaseStatus::success()));
        for run in &self.failed_runs {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(format!("broke {}", self.failures[&run.seed].join(", ")));
            let lines: Vec<String> = run.violations.iter().map(ToString::to_string).collect();
            status.set_description(format!(
                "{}\nreproduce: {}",
                lines.join("\n"),
                self.replay_command(run, dir)
            ));
            suite.add_test_case(TestCase::new(format!("seed {}", run.seed), status));
        }
        let mut report = Report::new("gatesim");
        report.add_test_suite(suite);
        report.to_string().expect("JUnit XML serialises")
    }
}

impl fmt::Display for FuzzReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "fuzz: {} seeds ({} mode, shard {}, seeds from {}) in {:.1} s on {} jobs: \
             {:.1} checked seeds/s ({:.1} per core), {:.1} sims/s, simulated/wall {:.0}x",
            self.runs,
            self.mode,
            self.shard,
            self.start_seed,
            self.wall_secs,
            self.jobs,
            self.checked_seeds_per_sec,
            self.checked_seeds_per_sec_per_core,
            self.sims_per_sec,
            self.sim_to_wall
        )?;
        write!(f, "checkers: {} ({})", self.checkers.len(), self.checkers.join(", "))?;
        let skipped: Vec<&str> = Options::ALL
            .checkers()
            .into_iter()
            .filter(|name| !self.checkers.iter().any(|c| c == name))
            .collect();
        if !skipped.is_empty() {
            write!(f, "; not applied: {}", skipped.join(", "))?;
        }
        writeln!(f)?;
        if self.stopped_by_time {
            writeln!(f, "  stopped by --time after {} of {} seeds", self.runs, self.seeds_planned)?;
        }
        writeln!(f, "failures: {} runs", self.failed_seeds.len())?;
        if let Some(run) = self.first_failure_run {
            writeln!(f, "  first at run {run} of the campaign")?;
        }
        for (checker, count) in &self.failures_by_checker {
            writeln!(f, "  {count:>6}  {checker}")?;
        }
        if !self.failures_by_rule.is_empty() {
            writeln!(f, "broken rules (runs):")?;
            for (clause, count) in &self.failures_by_rule {
                writeln!(f, "  {count:>6}  {clause}")?;
            }
        }
        let t = &self.totals;
        writeln!(
            f,
            "connections: {:.1}% established ({} of {} attempts)",
            100.0 * self.connection_success_rate,
            t.sessions_established,
            t.connect_attempts
        )?;
        writeln!(
            f,
            "messages: {:.1}% completed ({} of {} sent)",
            100.0 * self.message_completion_rate,
            t.messages_completed,
            t.messages_sent
        )?;
        writeln!(f, "error codes: {}", histogram(&t.error_codes))?;
        writeln!(f, "close codes: {}", histogram(&t.close_codes))?;
        write!(f, "coverage features: {} ({} strategy", self.features, self.strategy)?;
        if self.strategy != "random" {
            write!(f, ", corpus of {} scenarios", self.corpus)?;
        }
        writeln!(f, "); campaign digest {}", self.campaign_digest)?;
        writeln!(f, "sometimes coverage (runs that reached each rare path, close code and error code):")?;
        for (name, sentence) in coverage::entries() {
            let count = self.coverage.get(&name).copied().unwrap_or(0);
            let never = if count == 0 { "  <- never reached" } else { "" };
            writeln!(f, "  {count:>6}  {sentence}{never}")?;
        }
        write!(f, "{}", rules::Rendered(&self.rules))
    }
}

/// The file a failing run's scenario is written to.
pub fn failure_file(seed: u64) -> String {
    format!("seed-{seed}.json")
}

fn histogram(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    let parts: Vec<String> = counts.iter().map(|(code, n)| format!("{code} {n}")).collect();
    parts.join(", ")
}
