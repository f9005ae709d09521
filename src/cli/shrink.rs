//! `gatesim shrink SEED [--scenario FILE]`: a failing scenario made as small as it stays failing
//! the same way, written out with the lines that replay and explain it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::fuzz::shrink::shrink;
use crate::services::gateway::Mode;

#[derive(Debug, Args)]
pub(super) struct ShrinkArgs {
    /// The root seed. Draws the scenario too, unless --scenario gives it.
    seed: u64,
    /// A scenario file (JSON), such as a guided campaign's failure; the seed replaces its own.
    #[arg(long)]
    scenario: Option<PathBuf>,
    #[arg(long)]
    mode: Option<Mode>,
    /// Scenarios to run at most, the first included.
    #[arg(long, default_value_t = 500)]
    budget: usize,
    /// Where to write the smallest scenario. Default: `target/gatesim-failures/seed-SEED.shrunk.json`.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Exit 0 with the smaller scenario written, 1 when the scenario does not fail at all.
pub(super) fn run(args: ShrinkArgs) -> anyhow::Result<ExitCode> {
    let scenario = super::replay::load(args.seed, args.scenario.as_deref(), args.mode)?;
    let Some(shrunk) = shrink(&scenario, args.budget, |step| eprintln!("shrink: kept: {step}")) else {
        println!("seed {} does not fail in {} mode: nothing to shrink", args.seed, scenario.mode);
        return Ok(ExitCode::from(1));
    };
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("target/gatesim-failures/seed-{}.shrunk.json", args.seed)));
    if let Some(dir) = out.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(&shrunk.scenario).expect("scenarios serialise");
    std::fs::write(&out, json + "\n").with_context(|| format!("writing {}", out.display()))?;
    let count = |s: &crate::sim::Scenario| match s.clients.len() {
        1 => "1 client".to_owned(),
        n => format!("{n} clients"),
    };
    println!(
        "shrunk in {} runs, {} steps kept: {} -> {}, still {}",
        shrunk.runs,
        shrunk.steps.len(),
        count(&scenario),
        count(&shrunk.scenario),
        shrunk.violation
    );
    let (seed, mode) = (args.seed, shrunk.scenario.mode);
    println!("  replay:   cargo run --release -- replay --scenario {} {seed} --mode {mode}", out.display());
    println!("  explain:  cargo run --release -- explain --scenario {} {seed} --mode {mode}", out.display());
    Ok(ExitCode::SUCCESS)
}
