//! Random against guided (`gatesim mutants --compare-strategies`): both strategies at the same
//! budget on each legacy mode and each planted bug of the catalogue, measured by how many runs
//! each takes to its first failure, how many of its runs fail, and how many coverage features it
//! reaches per thousand runs.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::{Mutant, Workshop};
use crate::fuzz::Strategy;

/// What one strategy's campaign measured on one target.
#[derive(Clone, Debug, Serialize)]
pub struct Measured {
    pub runs: u64,
    pub failing_runs: u64,
    /// Runs up to and including the first failing one; none when none failed.
    pub runs_to_first_failure: Option<u64>,
    pub features_per_1000_runs: f64,
    pub checked_seeds_per_sec_per_core: f64,
}

impl Measured {
    fn of(report: &serde_json::Value) -> Measured {
        let number = |key: &str| report[key].as_u64().unwrap_or(0);
        let runs = number("runs");
        Measured {
            runs,
            failing_runs: report["failed_seeds"].as_array().map_or(0, |seeds| seeds.len() as u64),
            runs_to_first_failure: report["first_failure_run"].as_u64().map(|run| run + 1),
            features_per_1000_runs: 1000.0 * number("features") as f64 / runs.max(1) as f64,
            checked_seeds_per_sec_per_core: report["checked_seeds_per_sec_per_core"].as_f64().unwrap_or(0.0),
        }
    }
}

/// Both strategies on one target: a legacy mode of the gateway, or a planted bug.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub target: String,
    pub random: Measured,
    pub guided: Measured,
}

/// What is compared on: the gateway in a legacy mode, or the fixed one with a bug planted.
pub enum Target<'a> {
    Mode(&'static str),
    Mutant(&'a Mutant),
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Mode(mode) => write!(f, "--mode {mode}"),
            Target::Mutant(mutant) => f.write_str(&mutant.name),
        }
    }
}

/// Runs both strategies on `target` with the workshop's campaign arguments, the guided one from
/// a fresh copy of `corpus` when there is one.
pub fn compare(workshop: &Workshop, target: &Target, corpus: Option<&Path>) -> anyhow::Result<Comparison> {
    let both = |workshop: &Workshop, mode: &str| -> anyhow::Result<[Measured; 2]> {
        let mut measured = Vec::new();
        for strategy in [Strategy::Random, Strategy::Guided] {
            let mut args: Vec<String> =
                ["--strategy", &strategy.to_string(), "--mode", mode].map(str::to_owned).into();
            if let (Strategy::Guided, Some(corpus)) = (strategy, corpus) {
                args.extend(["--corpus".to_owned(), workshop.copy_of(corpus)?.display().to_string()]);
            }
            measured.push(Measured::of(&workshop.campaign_with(&args)?));
        }
        Ok(measured.try_into().expect("two strategies"))
    };
    let [random, guided] = match target {
        Target::Mode(mode) => {
            workshop.build_as_is()?;
            both(workshop, mode)?
        }
        Target::Mutant(mutant) => workshop.planted(mutant, |w| both(w, "fixed"))?,
    };
    Ok(Comparison { target: target.to_string(), random, guided })
}

/// The figures over every target compared, per strategy, and the verdict, which needs every
/// target: one that did not build or run (`skipped`, by name) leaves the comparison without one.
pub struct Summary<'a> {
    pub compared: &'a [Comparison],
    pub skipped: &'a [String],
}

impl Summary<'_> {
    /// Whether guided catches every target random catches, in at most half random's summed runs
    /// to first failure over those targets, and reaches more features per thousand runs.
    pub fn guided_is_better(&self) -> bool {
        let caught_by_random: Vec<&Comparison> =
            self.compared.iter().filter(|c| c.random.runs_to_first_failure.is_some()).collect();
        let guided_catches_them = caught_by_random.iter().all(|c| c.guided.runs_to_first_failure.is_some());
        let sum = |pick: fn(&Comparison) -> &Measured| -> u64 {
            caught_by_random.iter().filter_map(|c| pick(c).runs_to_first_failure).sum()
        };
        guided_catches_them
            && 2 * sum(|c| &c.guided) <= sum(|c| &c.random)
            && mean(self.compared, |c| &c.guided) > mean(self.compared, |c| &c.random)
    }
}

fn mean(comparisons: &[Comparison], pick: fn(&Comparison) -> &Measured) -> f64 {
    let total: f64 = comparisons.iter().map(|c| pick(c).features_per_1000_runs).sum();
    total / comparisons.len().max(1) as f64
}

/// The table row of one comparison, in Markdown.
impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first =
            |m: &Measured| m.runs_to_first_failure.map_or(format!("none in {}", m.runs), |n| n.to_string());
        write!(
            f,
            "| {} | {} | {} | {} | {} | {:.0} | {:.0} |",
            self.target,
            first(&self.random),
            first(&self.guided),
            self.random.failing_runs,
            self.guided.failing_runs,
            self.random.features_per_1000_runs,
            self.guided.features_per_1000_runs
        )
    }
}

pub const TABLE_HEAD: &str = "| target | random: runs to 1st failure | guided: runs to 1st failure | random: failing runs | guided: failing runs | random: features/1000 runs | guided: features/1000 runs |\n|---|---|---|---|---|---|---|";

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compared = self.compared;
        for (name, pick) in
            [("random", (|c| &c.random) as fn(&Comparison) -> &Measured), ("guided", |c| &c.guided)]
        {
            let mut firsts: Vec<u64> =
                compared.iter().filter_map(|c| pick(c).runs_to_first_failure).collect();
            firsts.sort_unstable();
            let caught = firsts.len();
            let median = firsts.get(caught.saturating_sub(1) / 2).map_or("-".to_owned(), u64::to_string);
            let worst = firsts.last().map_or("-".to_owned(), u64::to_string);
            let failing: u64 = compared.iter().map(|c| pick(c).failing_runs).sum();
            let rates: Vec<f64> = compared.iter().map(|c| pick(c).checked_seeds_per_sec_per_core).collect();
            writeln!(
                f,
                "{name}: caught {caught} of {}; runs to first failure median {median}, worst {worst}, \
                 summed {}; failing runs {failing}; features per 1000 runs {:.0} (mean); \
                 checked seeds/s per core {:.1} (mean)",
                compared.len(),
                firsts.iter().sum::<u64>(),
                mean(compared, pick),
                rates.iter().sum::<f64>() / rates.len().max(1) as f64
            )?;
        }
        if !self.skipped.is_empty() {
            let all = compared.len() + self.skipped.len();
            let names = self.skipped.join(", ");
            return writeln!(f, "verdict: none, {} of {all} targets skipped: {names}", self.skipped.len());
        }
        let verdict =
            if self.guided_is_better() { "guided measures better" } else { "random stays the default" };
        writeln!(f, "verdict: {verdict}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(first: Option<u64>, features: f64) -> Measured {
        Measured {
            runs: 1000,
            failing_runs: u64::from(first.is_some()),
            runs_to_first_failure: first,
            features_per_1000_runs: features,
            checked_seeds_per_sec_per_core: 10.0,
        }
    }

    fn comparison(random: Option<u64>, guided: Option<u64>, features: (f64, f64)) -> Comparison {
        let (random, guided) = (measured(random, features.0), measured(guided, features.1));
        Comparison { target: "t".into(), random, guided }
    }

    #[test]
    fn guided_is_better_only_catching_all_random_catches_in_half_the_runs_with_more_features() {
        let better =
            [comparison(Some(40), Some(10), (300.0, 400.0)), comparison(None, Some(5), (300.0, 400.0))];
        let summary = |compared| Summary { compared, skipped: &[] };
        assert!(summary(&better).guided_is_better());
        let misses = [comparison(Some(40), None, (300.0, 400.0))];
        assert!(!summary(&misses).guided_is_better());
        let slow = [comparison(Some(40), Some(21), (300.0, 400.0))];
        assert!(!summary(&slow).guided_is_better());
        let narrow = [comparison(Some(40), Some(10), (300.0, 300.0))];
        assert!(!summary(&narrow).guided_is_better());
        let text = summary(&better).to_string();
        assert!(text.contains("guided: caught 2 of 2; runs to first failure median 5, worst 10"), "{text}");
        assert!(text.ends_with("verdict: guided measures better\n"), "{text}");
    }

    #[test]
    fn a_target_skipped_leaves_the_comparison_without_a_verdict() {
        let better = [comparison(Some(40), Some(10), (300.0, 400.0))];
        let text = Summary { compared: &better, skipped: &["backoff-uncapped".into()] }.to_string();
        assert!(text.contains("guided: caught 1 of 1;"), "{text}");
        assert!(text.ends_with("verdict: none, 1 of 2 targets skipped: backoff-uncapped\n"), "{text}");
    }
}
