//! Fuzzing: many drawn scenarios, run in parallel, checked, summed up (`gatesim fuzz`).
//!
//! - [`Shard`]: which seeds a CI matrix job runs; shards `1/N … N/N` run exactly the seeds of the
//!   unsharded run between them.
//! - `stats` and [`coverage`]: what each run did and which rare paths it reached.
//! - `report`: the summary, its JSON form and the JUnit file for CI dashboards.
//! - [`Strategy`]: fresh draws from every seed, or [`guided`] by a corpus of scenarios that
//!   reached something new.
//! - [`shrink`]: a failing scenario made as small as it stays failing.

pub mod coverage;
mod digest;
pub mod guided;
pub(crate) mod report;
pub(crate) mod rules;
pub mod shrink;
pub(crate) mod stats;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::checkers::Violation;
use crate::checkers::{self, Options};
use crate::rules::Clause;
use crate::services::gateway::Mode;
use crate::sim::Scenario;
use crate::sim::sweep::across_threads;
pub use report::FuzzReport;
pub use rules::RuleRuns;
pub use stats::Stats;

/// Which seeds a CI matrix job runs: seed `s` belongs to shard `(s mod count) + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    pub fn owns(self, seed: u64) -> bool {
        seed % self.count + 1 == self.index
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let invalid = || format!("{text:?} is not a shard: write K/N with 1 <= K <= N, e.g. 2/8");
        let (index, count) = text.split_once('/').ok_or_else(invalid)?;
        let (index, count): (u64, u64) =
            (index.trim().parse().map_err(|_| invalid())?, count.trim().parse().map_err(|_| invalid())?);
        if count == 0 || index == 0 || index > count {
            return Err(invalid());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// How a campaign chooses its scenarios.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Each seed's own draw, `Scenario::from_seed`, seed after seed.
    #[default]
    Random,
    /// Fresh draws and mutants of the scenarios that reached a new feature ([`guided`]).
    Guided,
}

impl FromStr for Strategy {
    type Err = String;

    fn from_str(text: &str) -> Result<Strategy, String> {
        match text {
            "random" => Ok(Strategy::Random),
            "guided" => Ok(Strategy::Guided),
            _ => Err(format!("{text:?} is not a strategy: random or guided")),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Random => "random",
            Strategy::Guided => "guided",
        })
    }
}

/// A campaign, as plain data.
#[derive(Clone, Debug)]
pub struct FuzzConfig {
    /// The seeds are `start_seed .. start_seed + seeds`, those of `shard`. Default 0.
    pub start_seed: u64,
    /// Default 1,000.
    pub seeds: u64,
    /// Stop taking new seeds after this long. Default 60 s.
    pub time: Duration,
    /// Parallel simulations. Default the number of cores.
    pub jobs: usize,
    pub shard: Shard,
    /// The gateway's architecture for every run. Default fixed.
    pub mode: Mode,
    /// The checkers every seed gets. Default [`Options::ALL`]: all eleven, so a gateway that
    /// behaves differently per environment, or a run that does not replay, fails the campaign;
    /// they cost one more run per seed (two when they fail). [`Options::TRACE_ONLY`] is `--quick`.
    pub checkers: Options,
    /// Default [`Strategy::Random`]. Either runs as many scenarios as there are seeds.
    pub strategy: Strategy,
}

impl FuzzConfig {
    /// The seeds of `shard` in the range asked for, in order.
    pub fn seeds_of_shard(&self) -> Vec<u64> {
        (self.start_seed..self.start_seed.saturating_add(self.seeds))
            .filter(|s| self.shard.owns(*s))
            .collect()
    }
}

/// One seed's run.
#[derive(Clone, Debug)]
pub struct SeedRun {
    pub seed: u64,
    pub scenario: Scenario,
    pub violations: Vec<Violation>,
    /// The clauses of the rule catalogue its trace gave something to judge.
    pub exercised: BTreeSet<Clause>,
    /// How many times the scenario ran: once, and again for each rerun its checkers took.
    pub simulations: usize,
    pub stats: Stats,
    /// The names of the coverage entries it reached.
    pub coverage: Vec<String>,
    /// Its coverage features (`guided::features`), sorted.
    pub features: Vec<String>,
    /// Whether `seed` draws its scenario (in the campaign's mode); a guided campaign's mutants
    /// replay only from their scenario file.
    pub drawn: bool,
}

/// Told after every run, for progress display.
pub trait Progress: Sync {
    fn ran(&self, run: &SeedRun);
}

/// Runs the campaign on `config.jobs` threads; a guided one starts from an empty corpus.
///
/// A short campaign against a planted bug, the legacy gateway that rebuilds the context for
/// every message:
///
/// ```
/// use std::time::Duration;
///
/// use gatesim::checkers::Options;
/// use gatesim::fuzz::{FuzzConfig, Progress, SeedRun, Shard, Strategy, fuzz};
/// use gatesim::services::gateway::Mode;
///
/// struct Quiet;
/// impl Progress for Quiet {
///     fn ran(&self, _: &SeedRun) {}
/// }
///
/// let config = FuzzConfig {
///     start_seed: 0,
///     seeds: 40,
///     time: Duration::from_secs(600),
///     jobs: 2,
///     shard: Shard::WHOLE,
///     mode: Mode::PerMessageContext,
///     checkers: Options::TRACE_ONLY,
///     strategy: Strategy::Random,
/// };
/// let report = fuzz(&config, &Quiet);
/// assert_eq!(report.runs, 40);
/// assert!(!report.failed_seeds.is_empty(), "the planted bug is caught");
/// let first = &report.failed_runs[0];
/// println!("{}", report.replay_command(first, std::path::Path::new("target/gatesim-failures")));
/// ```
pub fn fuzz(config: &FuzzConfig, progress: &dyn Progress) -> FuzzReport {
    if config.strategy == Strategy::Guided {
        return guided::fuzz(config, &mut guided::Corpus::default(), progress);
    }
    let seeds = config.seeds_of_shard();
    let started = Instant::now();
    let runs = across_threads(
        &seeds,
        config.jobs,
        || started.elapsed() < config.time,
        |seed| {
            let run = run_seed(seed, config.mode, config.checkers);
            progress.ran(&run);
            run
        },
    );
    let runs = runs.into_iter().map(|(_, run)| run).collect();
    FuzzReport::new(config, runs, started.elapsed())
}

/// Runs one seed's scenario in `mode` and applies the checkers `checkers` asks for.
pub fn run_seed(seed: u64, mode: Mode, checkers: Options) -> SeedRun {
    run_scenario(Scenario { mode, ..Scenario::from_seed(seed) }, checkers, true)
}

/// Runs `scenario` and applies the checkers `checkers` asks for; `drawn` says whether its seed
/// draws it.
pub fn run_scenario(scenario: Scenario, checkers: Options, drawn: bool) -> SeedRun {
    let report = checkers::verify(&scenario, checkers);
    let trace = &report.outcome.trace;
    let coverage = coverage::reached(trace);
    SeedRun {
        seed: scenario.seed,
        stats: Stats::of(trace),
        features: guided::features::of(trace, &report.exercised, &coverage),
        coverage,
        violations: report.violations,
        exercised: report.exercised,
        simulations: report.simulations,
        drawn,
        scenario,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::checkers::environment;

    struct Quiet;

    impl Progress for Quiet {
        fn ran(&self, _: &SeedRun) {}
    }

    fn config(start_seed: u64, seeds: u64, mode: Mode, checkers: Options) -> FuzzConfig {
        let time = Duration::from_secs(600);
        let strategy = Strategy::Random;
        FuzzConfig { start_seed, seeds, time, jobs: 2, shard: Shard::WHOLE, mode, checkers, strategy }
    }

    fn campaign(shard: Shard) -> FuzzReport {
        fuzz(&FuzzConfig { shard, ..config(40, 6, Mode::Fixed, Options::TRACE_ONLY) }, &Quiet)
    }

    #[test]
    fn shards_of_a_campaign_run_exactly_the_seeds_and_the_work_of_the_whole() {
        let whole = campaign(Shard::WHOLE);
        assert_eq!((whole.runs, whole.stopped_by_time), (6, false));
        let mut seeds = Vec::new();
        let mut totals = Stats::default();
        for index in 1..=3 {
            let part = campaign(Shard { index, count: 3 });
            assert_eq!(part.runs, 2);
            seeds.extend(part.failed_seeds);
            totals.add(&part.totals);
        }
        assert_eq!(seeds, whole.failed_seeds);
        assert_eq!(totals, whole.totals, "the shards did the same work as the whole campaign");
    }

    #[test]
    fn the_report_names_failing_seeds_in_json_and_junit() {
        let mut failing = run_seed(3, Mode::Fixed, Options::TRACE_ONLY);
        failing.violations.push(Violation {
            client: Some(0),
            session: Some(1),
            ..Violation::of(Clause::justified("errors.internal"), Some(5), "closed with 1011")
        });
        let config = FuzzConfig { jobs: 1, ..config(3, 1, Mode::Fixed, Options::TRACE_ONLY) };
        let report = FuzzReport::new(&config, vec![failing], Duration::from_secs(1));
        let json = serde_json::to_value(&report).unwrap();
        for key in [
            "runs",
            "failed_seeds",
            "failures",
            "checkers",
            "checked_seeds_per_sec",
            "checked_seeds_per_sec_per_core",
            "sims_per_sec",
            "sim_to_wall",
            "connection_success_rate",
            "message_completion_rate",
            "error_codes",
            "close_codes",
            "coverage",
            "rules",
            "failures_by_rule",
            "strategy",
            "features",
            "first_failure_run",
            "campaign_digest",
            "corpus",
        ] {
            assert!(json.get(key).is_some(), "no {key} in {json}");
        }
        assert_eq!(json["failed_seeds"], serde_json::json!([3]));
        assert_eq!(
            (&json["strategy"], &json["first_failure_run"]),
            (&serde_json::json!("random"), &serde_json::json!(0))
        );
        assert_eq!(json["checkers"].as_array().map(Vec::len), Some(9), "{json}");
        assert_eq!(json["failures"]["3"], serde_json::json!(["clear-errors"]));
        assert_eq!(json["failures_by_rule"]["errors.internal justified"], 1);
        let rules = json["rules"].as_object().expect("rules is an object");
        assert_eq!(rules.len(), crate::rules::all().count());
        assert!(rules.values().all(|rule| rule.get("runs").is_some()), "{json}");
        let junit = report.junit(Path::new("failures"));
        assert!(junit.contains(r#"name="seed 3""#) && junit.contains("<failure"), "{junit}");
        assert!(junit.contains("replay 3 --mode fixed"), "{junit}");
        assert!(junit.contains(r#"name="1 seeds from 3 under 9 checkers""#), "{junit}");
        assert!(
            junit.contains(r#"<property name="checkers" value="context-identity, isolation,"#),
            "{junit}"
        );
    }

    #[test]
    fn all_eleven_checkers_catch_a_gateway_that_only_staging_exposes_and_the_trace_checkers_miss() {
        // Seed 10 in environment-accommodation mode passes the trace checkers in the scenario's
        // own environment (production); only its rerun, in a staging-like environment, parts.
        let quick = fuzz(&config(10, 2, Mode::EnvironmentAccommodation, Options::TRACE_ONLY), &Quiet);
        assert_eq!(quick.failed_seeds, Vec::<u64>::new());
        let full = fuzz(&config(10, 2, Mode::EnvironmentAccommodation, Options::ALL), &Quiet);
        assert_eq!(full.failures, BTreeMap::from([(10, vec![environment::NAME.to_owned()])]));
        // Seed 10 took a third run to tell the environment from nondeterminism; seed 11 passed.
        assert_eq!((full.checkers.len(), full.simulations), (11, 5));
        let summary = full.to_string();
        assert!(summary.contains("on 2 jobs: ") && summary.contains(" checked seeds/s ("), "{summary}");
        assert!(summary.contains("\ncheckers: 11 (context-identity, "), "{summary}");
        assert!(quick.to_string().contains("; not applied: environment-agnostic, determinism\n"));
    }

    #[test]
    fn the_summary_marks_the_codes_no_run_received_and_says_which_mean_a_bug() {
        let runs = vec![run_seed(3, Mode::Fixed, Options::TRACE_ONLY)];
        let report =
            FuzzReport::new(&config(3, 1, Mode::Fixed, Options::TRACE_ONLY), runs, Duration::from_secs(1));
        assert_eq!((report.coverage["close_1011"], report.coverage["error_INTERNAL"]), (0, 0));
        let summary = report.to_string();
        let never = "     0  the server closed a session with 1011 (a bug if reached)  <- never reached\n";
        assert!(summary.contains(never), "{summary}");
        let received: Vec<&str> = report
            .coverage
            .iter()
            .filter_map(|(name, n)| name.strip_prefix("error_").filter(|_| *n == 1))
            .collect();
        assert!(!received.is_empty(), "seed 3's clients received error frames");
        for code in received {
            let line = format!("     1  a client was told {code}\n");
            assert!(summary.contains(&line), "{line:?} in {summary}");
        }
    }

    #[test]
    fn checked_seeds_per_second_are_per_wall_second_and_per_job() {
        let runs = (0..2).map(|seed| run_seed(seed, Mode::Fixed, Options::ALL)).collect();
        let report = FuzzReport::new(&config(0, 2, Mode::Fixed, Options::ALL), runs, Duration::from_secs(4));
        assert_eq!((report.checked_seeds_per_sec, report.checked_seeds_per_sec_per_core), (0.5, 0.25));
        assert_eq!((report.simulations, report.sims_per_sec), (4, 1.0), "two passing seeds, one rerun each");
    }

    #[test]
    fn shards_together_own_every_seed_exactly_once() {
        for count in 1..=7 {
            for seed in 0..100 {
                let owners = (1..=count).filter(|&index| Shard { index, count }.owns(seed)).count();
                assert_eq!(owners, 1, "seed {seed} with {count} shards");
            }
        }
    }

    #[test]
    fn shards_parse_from_k_slash_n_and_refuse_nonsense() {
        assert_eq!("2/8".parse(), Ok(Shard { index: 2, count: 8 }));
        for bad in ["", "3", "0/4", "5/4", "1/0", "a/b", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad:?}");
        }
    }
}
