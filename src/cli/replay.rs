//! `gatesim replay SEED`: one simulated run, its timeline, its violations, its trace hash.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::checkers::{self, Options};
use crate::services::gateway::Mode;
use crate::sim::{Scenario, timeline};

#[derive(Debug, Args)]
pub(super) struct ReplayArgs {
    /// The root seed. Draws the scenario too, unless --scenario gives it.
    seed: u64,
    /// A scenario file (JSON, as `gatesim scenario` prints); the seed replaces its own.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// The gateway's mode: fixed, per-message-context or environment-accommodation.
    #[arg(long)]
    mode: Option<Mode>,
    /// Where to write the trace, as JSON lines.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Skip the checkers that rerun the scenario (environment agnostic and determinism, which
    /// share one rerun, two when it parts).
    #[arg(long)]
    quick: bool,
}

/// Exit 0 when nothing is violated, 1 when something is, 2 when the scenario cannot be had.
pub(super) fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let scenario = match scenario(&args) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("error: {error:#}");
            // The code clap gives usage errors.
            return Ok(ExitCode::from(2));
        }
    };
    let options = if args.quick { Options::TRACE_ONLY } else { Options::ALL };
    let report = checkers::verify(&scenario, options);
    let (outcome, violations) = (&report.outcome, &report.violations);
    if let Some(path) = &args.trace {
        std::fs::write(path, outcome.trace.to_jsonl())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{}", timeline::render(&outcome.trace));
    println!("checkers run: {} ({})", report.checkers.len(), report.checkers.join(", "));
    if violations.is_empty() {
        println!("violations: none");
    } else {
        println!("violations: {}", violations.len());
        for violation in violations {
            println!("  {violation}");
        }
    }
    println!("trace-hash: {}", outcome.trace.hash());
    Ok(if violations.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The scenario to run: the file's or the seed's, with the seed and the mode given.
fn scenario(args: &ReplayArgs) -> anyhow::Result<Scenario> {
    load(args.seed, args.scenario.as_deref(), args.mode)
}

/// The scenario in `file`, or the one `seed` draws; either way with root seed `seed`, in `mode`
/// when one is given, and valid.
pub(super) fn load(seed: u64, file: Option<&Path>, mode: Option<Mode>) -> anyhow::Result<Scenario> {
    let mut scenario = match file {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("parsing the scenario in {}", path.display()))?
        }
        None => Scenario::from_seed(seed),
    };
    scenario.seed = seed;
    if let Some(mode) = mode {
        scenario.mode = mode;
    }
    scenario.validate().map_err(anyhow::Error::msg).context("the scenario is inconsistent")?;
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_exits_1_when_a_checker_finds_something_and_0_when_none_does() {
        let file = "fixtures/traces/per-message-context-idgen-bounce.scenario.json";
        let args = |mode| ReplayArgs {
            seed: 12,
            scenario: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file)),
            mode,
            trace: None,
            quick: true,
        };
        assert_eq!(run(args(None)).unwrap(), ExitCode::from(1));
        assert_eq!(run(args(Some(Mode::Fixed))).unwrap(), ExitCode::SUCCESS);
    }
}
