//! `gatesim scenario SEED`: the scenario a seed draws, as JSON.

use clap::Args;

use crate::sim::Scenario;

#[derive(Debug, Args)]
pub(super) struct ScenarioArgs {
    seed: u64,
}

pub(super) fn run(args: ScenarioArgs) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&Scenario::from_seed(args.seed))?);
    Ok(())
}
