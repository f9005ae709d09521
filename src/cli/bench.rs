//! `gatesim bench`: the simulator's speed beside turmoil 0.7, real TCP and the raw work.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::bench::{BenchConfig, run};

#[derive(Debug, Args)]
pub(super) struct BenchArgs {
    /// Standard simulations per repetition.
    #[arg(long, default_value_t = 100)]
    runs: u64,
    /// Repetitions of each measurement; the report gives medians.
    #[arg(long, default_value_t = 5)]
    repetitions: usize,
    /// Raw workloads per repetition: enough for a repetition to last a fraction of a second, so
    /// that one preemption on a busy machine does not decide the figure.
    #[arg(long, default_value_t = 1000)]
    raw_runs: u32,
    /// Concurrent sessions for the scale measurement, comma-separated. 100000 is left out by
    /// default: it takes about 20 minutes a repetition on a fast core and 4 GB.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000,10000")]
    sessions: Vec<usize>,
    /// Also write the report as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub(super) fn run_bench(args: BenchArgs) -> anyhow::Result<()> {
    let config = BenchConfig {
        runs: args.runs,
        repetitions: args.repetitions,
        raw_runs: args.raw_runs,
        sessions: args.sessions,
    };
    let report = run(&config, |step| eprintln!("bench: {step}"))?;
    println!("{report}");
    if let Some(path) = args.json {
        let json = serde_json::to_string_pretty(&report).expect("reports serialise");
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
