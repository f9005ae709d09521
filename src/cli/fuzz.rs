//! `gatesim fuzz`: many seeds, in parallel, with progress, a summary, and every failure written
//! out with the command that replays it.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::checkers::Options;
use crate::fuzz::guided::{self, Corpus};
use crate::fuzz::report::failure_file;
use crate::fuzz::{FuzzConfig, Progress, SeedRun, Shard, Strategy, fuzz};
use crate::services::gateway::Mode;

#[derive(Debug, Args)]
pub(super) struct FuzzArgs {
    /// How many seeds (before sharding).
    #[arg(long, default_value_t = 1000)]
    seeds: u64,
    /// Stop taking new seeds after this many seconds.
    #[arg(long, default_value_t = 60)]
    time: u64,
    #[arg(long, default_value_t = 0)]
    start_seed: u64,
    /// Parallel simulations. Default: the number of cores.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only shard K of N: the seeds s with s mod N = K - 1.
    #[arg(long, default_value = "1/1")]
    shard: Shard,
    #[arg(long, default_value = "fixed")]
    mode: Mode,
    /// Apply only the nine trace checkers, skipping the two that rerun each scenario (environment
    /// agnostic and determinism, which share one rerun), for about twice the seeds.
    #[arg(long)]
    quick: bool,
    /// Write the summary as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write a JUnit XML report: one test case per failing seed.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Where failing scenarios are written.
    #[arg(long, default_value = "target/gatesim-failures")]
    out: PathBuf,
    /// How scenarios are chosen: `random`, each seed's own draw; or `guided`, fresh draws and
    /// mutants of the scenarios that reached a coverage feature first (docs/guided.md). Default:
    /// `guided` with a corpus, which measured better than `random` at the same budget; `random`
    /// without one.
    #[arg(long)]
    strategy: Option<Strategy>,
    /// A guided campaign's corpus: scenario files it starts from and adds to. Default none: it
    /// starts empty and keeps nothing.
    #[arg(long)]
    corpus: Option<PathBuf>,
}

/// Exit 0 when nothing failed, 1 when something did.
pub(super) fn run(args: FuzzArgs) -> anyhow::Result<ExitCode> {
    let config = config(&args);
    anyhow::ensure!(
        args.corpus.is_none() || config.strategy == Strategy::Guided,
        "--corpus is the guided strategy's: leave out --strategy random"
    );
    let planned = config.seeds_of_shard().len() as u64;
    let display = Display::new(planned, args.mode, args.out.clone());
    let (report, saved) = match &args.corpus {
        Some(dir) => {
            let mut corpus = Corpus::load(dir)?;
            let report = guided::fuzz(&config, &mut corpus, &display);
            let kept = corpus.save(dir)?;
            let saved = format!(
                "corpus: {kept} of its {} scenarios kept in {}, enough to reach every feature they reached (a flood only for a rule judged or an input answered)\n",
                corpus.len(),
                dir.display()
            );
            (report, saved)
        }
        None => (fuzz(&config, &display), String::new()),
    };
    display.finish();

    print!("{report}{saved}");
    let written =
        report.write_failures(&args.out).with_context(|| format!("writing to {}", args.out.display()))?;
    for (run, path) in report.failed_runs.iter().zip(&written) {
        println!("FAILED seed {}: {}", run.seed, report.failures[&run.seed].join(", "));
        println!("  reproduce: {}", report.replay_command(run, &args.out));
        println!("  explain:   {}", report.command("explain", run, &args.out));
        println!("  shrink:    {}", report.command("shrink", run, &args.out));
        println!("  scenario:  {} (copy into fixtures/seeds/ once fixed)", path.display());
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).expect("reports serialise");
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, report.junit(&args.out))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if report.failed_seeds.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn config(args: &FuzzArgs) -> FuzzConfig {
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    FuzzConfig {
        start_seed: args.start_seed,
        seeds: args.seeds,
        time: Duration::from_secs(args.time),
        jobs,
        shard: args.shard,
        mode: args.mode,
        checkers: if args.quick { Options::TRACE_ONLY } else { Options::ALL },
        strategy: args.strategy.unwrap_or(if args.corpus.is_some() {
            Strategy::Guided
        } else {
            Strategy::Random
        }),
    }
}

/// A progress bar on a terminal; elsewhere (CI logs) a plain line every few seconds.
struct Display {
    bar: Option<ProgressBar>,
    mode: Mode,
    /// Where failing scenarios go, for the replay line of a guided campaign's mutants.
    out: PathBuf,
    planned: u64,
    done: AtomicU64,
    failed: AtomicU64,
    started: Instant,
    last_line: Mutex<Instant>,
}

const LINE_EVERY: Duration = Duration::from_secs(10);

impl Display {
    fn new(planned: u64, mode: Mode, out: PathBuf) -> Display {
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar = ProgressBar::new(planned);
            let style = ProgressStyle::with_template("{bar:40} {pos}/{len} seeds, {msg} [{elapsed_precise}]")
                .expect("a valid progress template");
            bar.set_style(style);
            bar
        });
        let now = Instant::now();
        Display {
            bar,
            mode,
            out,
            planned,
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            started: now,
            last_line: Mutex::new(now),
        }
    }

    fn status(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(f64::EPSILON);
        format!("{} failed, {rate:.1} checked seeds/s", self.failed.load(Ordering::Relaxed))
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Display {
    fn ran(&self, run: &SeedRun) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !run.violations.is_empty() {
            self.failed.fetch_add(1, Ordering::Relaxed);
            let first = &run.violations[0];
            let from = if run.drawn {
                String::new()
            } else {
                format!("--scenario {} ", self.out.join(failure_file(run.seed)).display())
            };
            let line =
                format!("FAILED seed {}: {first} (replay {from}{} --mode {})", run.seed, run.seed, self.mode);
            match &self.bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(self.status());
            }
            None => {
                let mut last = self.last_line.lock().expect("progress lock poisoned");
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    eprintln!("fuzz: {done}/{} seeds, {}", self.planned, self.status());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Fuzz {
        #[command(flatten)]
        args: FuzzArgs,
    }

    fn checkers(argv: &[&str]) -> Options {
        config(&Fuzz::parse_from(argv).args).checkers
    }

    #[derive(Parser)]
    struct Replay {
        #[command(flatten)]
        args: super::super::replay::ReplayArgs,
    }

    #[derive(Parser)]
    struct Shrink {
        #[command(flatten)]
        args: super::super::shrink::ShrinkArgs,
    }

    #[test]
    fn a_mutated_scenarios_failure_is_written_with_lines_that_replay_and_shrink_it() {
        let fixture = "fixtures/traces/per-message-context-idgen-bounce.scenario.json";
        let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(fixture)).unwrap();
        let scenario: crate::sim::Scenario =
            serde_json::from_str(&text).map(|s| crate::sim::Scenario { seed: 12, ..s }).unwrap();
        // As a guided campaign's mutant: its seed alone does not draw it.
        let run = crate::fuzz::run_scenario(scenario, Options::TRACE_ONLY, false);
        assert!(!run.violations.is_empty(), "the legacy mode fails this scenario");
        let config = FuzzConfig {
            jobs: 1,
            ..config(&Fuzz::parse_from(["fuzz", "--quick", "--mode", "per-message-context"]).args)
        };
        let report = crate::fuzz::FuzzReport::new(&config, vec![run.clone()], Duration::from_secs(1));
        let dir = std::env::temp_dir().join(format!("gatesim-guided-failures-{}", std::process::id()));
        let written = report.write_failures(&dir).unwrap();
        let line = report.replay_command(&run, &dir);
        let argv: Vec<&str> = line.split(" -- ").nth(1).unwrap().split(' ').collect();
        assert_eq!(argv[..2], ["replay", "--scenario"], "{line}");
        assert_eq!(argv[2], written[0].to_str().unwrap());
        let replay = Replay::parse_from(argv.iter().copied().chain(["--quick"]));
        assert_eq!(super::super::replay::run(replay.args).unwrap(), ExitCode::from(1));
        let text = std::fs::read_to_string(&written[0]).unwrap();
        let again: crate::sim::Scenario = serde_json::from_str(&text).unwrap();
        let rerun = crate::fuzz::run_scenario(again, Options::TRACE_ONLY, false);
        assert_eq!(rerun.violations, run.violations, "the file reruns the run exactly");
        assert_eq!(rerun.stats, run.stats);
        let line = report.command("shrink", &run, &dir);
        let shrunk = dir.join("shrunk.json");
        let argv = line.split(" -- ").nth(1).unwrap().split(' ').chain(["--out", shrunk.to_str().unwrap()]);
        assert_eq!(super::super::shrink::run(Shrink::parse_from(argv).args).unwrap(), ExitCode::SUCCESS);
        let text = std::fs::read_to_string(&shrunk).unwrap();
        let smaller = crate::sim::Scenario { seed: 12, ..serde_json::from_str(&text).unwrap() };
        let again = crate::fuzz::run_scenario(smaller, Options::TRACE_ONLY, false);
        assert_eq!(again.violations[0].rule, run.violations[0].rule, "shrunk, it breaks the same rule");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_corpus_belongs_to_the_guided_strategy() {
        let args = Fuzz::parse_from(["fuzz", "--strategy", "random", "--corpus", "somewhere"]).args;
        assert!(run(args).unwrap_err().to_string().contains("leave out --strategy random"));
        let strategy = |argv: &[&str]| config(&Fuzz::parse_from(argv).args).strategy;
        assert_eq!(strategy(&["fuzz", "--corpus", "somewhere"]), Strategy::Guided);
        assert_eq!(strategy(&["fuzz", "--strategy", "guided"]), Strategy::Guided);
        assert_eq!(strategy(&["fuzz"]), Strategy::Random);
    }

    #[test]
    fn fuzz_applies_all_eleven_checkers_unless_told_quick() {
        assert_eq!(checkers(&["fuzz"]), Options::ALL);
        assert_eq!(checkers(&["fuzz", "--quick"]), Options::TRACE_ONLY);
    }
}
