//! `gatesim mutants`: plants each realistic bug of `mutants/` in a scratch copy of the tree, runs
//! the default campaign against it, and says which the campaign caught and which escaped.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::mutants::compare::{self, Comparison, Summary, Target};
use crate::mutants::{self, Verdict, Workshop};

#[derive(Debug, Args)]
pub(super) struct MutantsArgs {
    /// Only the patches whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Seeds of each campaign: the default campaign's 1,000 unless told otherwise.
    #[arg(long, default_value_t = 1000)]
    seeds: u64,
    /// Parallel simulations of each campaign. Default: the number of cores.
    #[arg(long)]
    jobs: Option<usize>,
    /// Where the scratch copy of the tree and its build go.
    #[arg(long, default_value = "target/mutants")]
    scratch: PathBuf,
    /// Write every verdict as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Instead of judging each patch, run the random and the guided campaign at the same budget
    /// on both legacy modes, then on each patch, and compare runs to first failure, failing runs
    /// and coverage features; print a Markdown table.
    #[arg(long)]
    compare_strategies: bool,
    /// With --compare-strategies, leave the legacy modes out.
    #[arg(long, requires = "compare_strategies")]
    no_modes: bool,
    /// With --compare-strategies, start every guided campaign from a copy of this corpus (as a
    /// nightly shard starts from the nights before); the directory itself is left as it is.
    #[arg(long, requires = "compare_strategies")]
    corpus: Option<PathBuf>,
    /// The first seed of each campaign.
    #[arg(long, default_value_t = 0)]
    start_seed: u64,
}

/// Exit 0 when the campaign caught every mutant, 1 when one escaped or could not be tried.
pub(super) fn run(args: MutantsArgs) -> anyhow::Result<ExitCode> {
    let root = std::env::current_dir()?;
    let mut catalogue = mutants::catalogue(&root)?;
    if let Some(only) = &args.only {
        catalogue.retain(|mutant| mutant.name.contains(only.as_str()));
    }
    // Every seed runs, however long it takes: a time bound would make the verdict the machine's.
    let mut campaign = vec![
        "--seeds".to_owned(),
        args.seeds.to_string(),
        "--start-seed".to_owned(),
        args.start_seed.to_string(),
        "--time".to_owned(),
        "86400".to_owned(),
    ];
    if let Some(jobs) = args.jobs {
        campaign.extend(["--jobs".to_owned(), jobs.to_string()]);
    }
    let workshop = Workshop::new(&root, &args.scratch, campaign)?;
    if args.compare_strategies {
        return compare_strategies(&workshop, &catalogue, &args);
    }
    eprintln!("mutants: {} patches; building the tree as it is first", catalogue.len());
    let baseline = workshop.baseline()?;
    anyhow::ensure!(
        baseline.failing_runs == 0,
        "the campaign fails {} of {} runs without any mutant (first seed {:?}): fix that first",
        baseline.failing_runs,
        baseline.runs,
        baseline.first_failing_seed
    );
    let mut verdicts = Vec::new();
    for (index, mutant) in catalogue.iter().enumerate() {
        let verdict = workshop.judge(mutant)?;
        eprintln!("[{}/{}] {}", index + 1, catalogue.len(), line(&verdict));
        verdicts.push(verdict);
    }
    let caught = verdicts.iter().filter(|v| v.caught()).count();
    println!("mutants: {caught} of {} caught by the default campaign ({} seeds)", verdicts.len(), args.seeds);
    for verdict in &verdicts {
        println!("  {}", line(verdict));
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&verdicts).expect("verdicts serialise");
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if caught == verdicts.len() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Both strategies on each target, a table row printed as each finishes, then the figures over all.
fn compare_strategies(
    workshop: &Workshop,
    catalogue: &[mutants::Mutant],
    args: &MutantsArgs,
) -> anyhow::Result<ExitCode> {
    let modes =
        if args.no_modes { &[][..] } else { &["per-message-context", "environment-accommodation"][..] };
    let targets = modes.iter().map(|&mode| Target::Mode(mode)).chain(catalogue.iter().map(Target::Mutant));
    let from = args
        .corpus
        .as_ref()
        .map_or(String::new(), |dir| format!(", guided from the corpus {}", dir.display()));
    println!(
        "{} runs from seed {} a campaign per strategy and target{from}\n\n{}",
        args.seeds,
        args.start_seed,
        compare::TABLE_HEAD
    );
    let (mut comparisons, mut skipped): (Vec<Comparison>, Vec<String>) = (Vec::new(), Vec::new());
    for target in targets {
        match compare::compare(workshop, &target, args.corpus.as_deref()) {
            Ok(comparison) => {
                println!("{comparison}");
                comparisons.push(comparison);
            }
            Err(error) => {
                eprintln!("skipped {target}: {error:#}");
                skipped.push(target.to_string());
            }
        }
        if let Some(path) = &args.json {
            let json = serde_json::to_string_pretty(&comparisons).expect("comparisons serialise");
            std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
        }
    }
    println!();
    print!("{}", Summary { compared: &comparisons, skipped: &skipped });
    // A comparison that left targets out has no verdict: a build that fails for every target
    // (a scratch build a killed run left broken) must not pass for a short table.
    Ok(if skipped.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `caught   limits-count-from-zero (limits.sessions-per-user kept): 37 of 1000 runs, seed 12, by ...`
fn line(verdict: &Verdict) -> String {
    let head = format!("{:<8} {} ({})", verdict.outcome, verdict.name, verdict.rule);
    if let Some(error) = &verdict.error {
        return format!("{head}: {}", error.lines().next().unwrap_or_default());
    }
    if !verdict.caught() {
        return format!("{head}: no failing run in {}", verdict.runs);
    }
    let mut broken: Vec<(&String, &u64)> = verdict.broken.iter().collect();
    broken.sort_by(|a, b| b.1.cmp(a.1));
    let by: Vec<String> = broken.iter().take(3).map(|(clause, runs)| format!("{clause} {runs}")).collect();
    format!(
        "{head}: {} of {} runs, first seed {}, {:.0} s; broke {}",
        verdict.failing_runs,
        verdict.runs,
        verdict.first_failing_seed.unwrap_or_default(),
        verdict.secs,
        by.join(", ")
    )
}
