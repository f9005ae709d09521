//! Trying a mutant: a scratch copy of the tree, the patch applied there, a build, the default
//! campaign, and the patch taken back out for the next one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde::Serialize;

use super::Mutant;

/// How one mutant fared.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub name: String,
    /// The clause it breaks, as `rule direction`.
    pub rule: String,
    pub meant: String,
    /// `caught`, `escaped`, `does not apply` or `does not build`.
    pub outcome: &'static str,
    /// Runs of the campaign, and those that failed.
    pub runs: u64,
    pub failing_runs: u64,
    /// The first failing seed, to replay it.
    pub first_failing_seed: Option<u64>,
    /// The clauses the failing runs broke (`rule direction`, or a checker), with how many runs.
    pub broken: BTreeMap<String, u64>,
    /// Why it did not apply or build.
    pub error: Option<String>,
    pub secs: f64,
}

impl Verdict {
    pub fn caught(&self) -> bool {
        self.outcome == "caught"
    }
}

/// A scratch copy of the repository, where patches are applied and built one at a time, and the
/// campaign each build runs.
pub struct Workshop {
    tree: PathBuf,
    target: PathBuf,
    /// `gatesim fuzz` arguments: the default campaign unless told otherwise.
    campaign: Vec<String>,
}

impl Workshop {
    /// Copies the files of the repository at `root` that git tracks or would track into
    /// `scratch/tree`, and builds there into `scratch/target`, which later runs reuse.
    pub fn new(root: &Path, scratch: &Path, campaign: Vec<String>) -> anyhow::Result<Workshop> {
        std::fs::create_dir_all(scratch).with_context(|| format!("making {}", scratch.display()))?;
        // Absolute, since builds and campaigns run inside the tree.
        let scratch = std::fs::canonicalize(scratch)?;
        let tree = scratch.join("tree");
        if tree.exists() {
            std::fs::remove_dir_all(&tree).with_context(|| format!("clearing {}", tree.display()))?;
        }
        let listed = output(Command::new("git").arg("-C").arg(root).args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ]))?;
        for file in listed.split('\0').filter(|f| !f.is_empty()) {
            let (from, to) = (root.join(file), tree.join(file));
            if !from.is_file() {
                continue; // deleted in the working tree
            }
            std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
            std::fs::copy(&from, &to).with_context(|| format!("copying {file}"))?;
        }
        Ok(Workshop { tree, target: scratch.join("target"), campaign })
    }

    /// Builds the tree as it is and runs the campaign on it: what every mutant is compared with.
    pub fn baseline(&self) -> anyhow::Result<Verdict> {
        let started = Instant::now();
        self.build()?;
        let report = self.campaign()?;
        Ok(verdict("(no mutant)", "", "", &report, started))
    }

    /// Runs `with` on the tree with `mutant` planted and built, then takes the patch out again.
    pub fn planted<T>(
        &self,
        mutant: &Mutant,
        with: impl FnOnce(&Workshop) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.git_apply(&mutant.path, false)?;
        let result = self.build().and_then(|()| with(self));
        self.git_apply(&mutant.path, true).context("taking the patch back out")?;
        result
    }

    /// Builds the tree as it is, for campaigns of [`Workshop::campaign_with`].
    pub fn build_as_is(&self) -> anyhow::Result<()> {
        self.build()
    }

    /// Applies `mutant`, builds, runs the campaign, and takes the patch out again.
    pub fn judge(&self, mutant: &Mutant) -> anyhow::Result<Verdict> {
        let started = Instant::now();
        let failed = |outcome, error: anyhow::Error| Verdict {
            name: mutant.name.clone(),
            rule: mutant.clause.to_string(),
            meant: mutant.meant.clone(),
            outcome,
            runs: 0,
            failing_runs: 0,
            first_failing_seed: None,
            broken: BTreeMap::new(),
            error: Some(format!("{error:#}")),
            secs: started.elapsed().as_secs_f64(),
        };
        if let Err(error) = self.git_apply(&mutant.path, false) {
            return Ok(failed("does not apply", error));
        }
        let result = self
            .build()
            .map_err(|e| ("does not build", e))
            .and_then(|()| self.campaign().map_err(|e| ("campaign failed to run", e)));
        self.git_apply(&mutant.path, true).context("taking the patch back out")?;
        Ok(match result {
            Ok(report) => verdict(&mutant.name, &mutant.clause.to_string(), &mutant.meant, &report, started),
            Err((outcome, error)) => failed(outcome, error),
        })
    }

    /// Applies `patch` to the tree, or takes it out, and makes sure it did. The scratch copy may sit
    /// inside the repository it was copied from (`target/` is in it), where `git apply` would take
    /// the patch's paths as outside the current directory and skip them without a word; the
    /// ceiling keeps git from finding that repository, so it patches the copy as plain files.
    fn git_apply(&self, patch: &Path, reverse: bool) -> anyhow::Result<()> {
        let patch = std::fs::canonicalize(patch)?;
        let ceiling = self.tree.parent().expect("the tree is in the scratch directory");
        let git = |args: &[&str]| {
            let mut command = Command::new("git");
            command.current_dir(&self.tree).env("GIT_CEILING_DIRECTORIES", ceiling).arg("apply").args(args);
            output(command.arg(&patch)).map(drop)
        };
        git(if reverse { &["--reverse"] } else { &[] })?;
        // Now the patch must read as applied, or as taken out.
        git(if reverse { &["--check"] } else { &["--reverse", "--check"] })
    }

    fn build(&self) -> anyhow::Result<()> {
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
        command.current_dir(&self.tree).env("CARGO_TARGET_DIR", &self.target);
        output(command.args(["build", "--quiet", "--profile", "mutant", "--bin", "gatesim"]))
            .map(drop)
            .with_context(|| {
                // The mutant profile builds incrementally, and an incremental build killed midway
                // can fail to link every later build.
                format!(
                    "building the scratch copy in {} (if the tree builds elsewhere, a build killed \
                     midway may have left {} broken: remove it)",
                    self.tree.display(),
                    self.target.join("mutant").display()
                )
            })
    }

    /// Runs the campaign on the last build and returns its JSON summary.
    fn campaign(&self) -> anyhow::Result<serde_json::Value> {
        self.campaign_with(&[])
    }

    /// A fresh copy of the scenario files in `corpus` and their features, in the scratch directory,
    /// for one campaign.
    pub fn copy_of(&self, corpus: &Path) -> anyhow::Result<PathBuf> {
        let copy = self.target.join("corpus");
        if copy.exists() {
            std::fs::remove_dir_all(&copy).with_context(|| format!("clearing {}", copy.display()))?;
        }
        std::fs::create_dir_all(&copy).with_context(|| format!("making {}", copy.display()))?;
        for entry in std::fs::read_dir(corpus).with_context(|| format!("reading {}", corpus.display()))? {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "json" || ext == "features") {
                let to = copy.join(path.file_name().expect("a file"));
                std::fs::copy(&path, &to).with_context(|| format!("copying {}", path.display()))?;
            }
        }
        Ok(copy)
    }

    /// Runs the campaign with `extra` arguments on the last build and returns its JSON summary.
    pub fn campaign_with(&self, extra: &[String]) -> anyhow::Result<serde_json::Value> {
        let json = self.target.join("campaign.json");
        let binary = self.target.join("mutant").join("gatesim");
        let out = self.target.join("failures");
        let mut command = Command::new(binary);
        command
            .current_dir(&self.tree)
            .arg("fuzz")
            .args(&self.campaign)
            .args(extra)
            .arg("--json")
            .arg(&json)
            .arg("--out")
            .arg(out);
        let status = command.output().context("running the campaign")?.status;
        // 1 means failing seeds, which is what a caught mutant shows.
        if !matches!(status.code(), Some(0 | 1)) {
            bail!("gatesim fuzz ended with {status}");
        }
        let text = std::fs::read_to_string(&json).with_context(|| format!("reading {}", json.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn verdict(name: &str, rule: &str, meant: &str, report: &serde_json::Value, started: Instant) -> Verdict {
    let failing: Vec<u64> =
        report["failed_seeds"].as_array().into_iter().flatten().filter_map(|seed| seed.as_u64()).collect();
    let broken = report["failures_by_rule"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(clause, runs)| (clause.clone(), runs.as_u64().unwrap_or(0)))
        .collect();
    Verdict {
        name: name.to_owned(),
        rule: rule.to_owned(),
        meant: meant.to_owned(),
        outcome: if failing.is_empty() { "escaped" } else { "caught" },
        runs: report["runs"].as_u64().unwrap_or(0),
        failing_runs: failing.len() as u64,
        first_failing_seed: failing.first().copied(),
        broken,
        error: None,
        secs: started.elapsed().as_secs_f64(),
    }
}

/// Runs `command` and returns what it printed, or what went wrong with what it printed on stderr.
fn output(command: &mut Command) -> anyhow::Result<String> {
    let shown = format!("{command:?}");
    let output = command.output().with_context(|| format!("running {shown}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("{shown} ended with {}:\n{}", output.status, tail.join("\n"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
