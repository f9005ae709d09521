//! `gatesim explain SEED`: the failing session of a run as a Mermaid sequence diagram.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::checkers::check;
use crate::explain::{SessionRef, diagram, first_failing, markdown, sessions};
use crate::services::gateway::Mode;
use crate::sim;

#[derive(Debug, Args)]
pub(super) struct ExplainArgs {
    /// The root seed. Draws the scenario too, unless --scenario gives it.
    seed: u64,
    /// A scenario file (JSON), such as a guided campaign's failure; the seed replaces its own.
    #[arg(long)]
    scenario: Option<PathBuf>,
    #[arg(long)]
    mode: Option<Mode>,
    /// The session to draw: `c2#1` as timelines print it, or N for the run's Nth. Default: the
    /// first session with a violation.
    #[arg(long)]
    session: Option<String>,
    /// Also write the diagram inside a Markdown document (renders on GitHub).
    #[arg(long)]
    markdown: Option<PathBuf>,
}

pub(super) fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let scenario = super::replay::load(args.seed, args.scenario.as_deref(), args.mode)?;
    let outcome = sim::run(&scenario);
    let violations = check(&outcome).violations;
    let target = match &args.session {
        Some(text) => match SessionRef::parse(text, &outcome.trace) {
            Ok(target) => target,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        },
        None => match first_failing(&violations).or_else(|| sessions(&outcome.trace).first().copied()) {
            Some(target) => {
                if violations.is_empty() {
                    eprintln!(
                        "seed {} has no violations in {} mode; drawing its first session",
                        args.seed, scenario.mode
                    );
                }
                target
            }
            None => {
                eprintln!("seed {} has no sessions to draw", args.seed);
                return Ok(ExitCode::from(1));
            }
        },
    };
    let drawn = diagram(&scenario, &outcome.trace, &violations, target);
    print!("{drawn}");
    if let Some(path) = &args.markdown {
        let document = markdown(&scenario, &violations, target, &drawn);
        std::fs::write(path, document).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
