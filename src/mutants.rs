//! The project's own catalogue of realistic bugs (`mutants/`): one unified diff a bug, each
//! planted in the system under test and naming the rule of the design it breaks. Where
//! `cargo mutants` flips an operator, these are bugs people write: a forgotten branch, a
//! comparison the wrong way round, a value read from the wrong place, a cache, a shortcut. The
//! default campaign must catch every one; one it lets through is a rule no draw exercises or no
//! checker judges that way, and the fix belongs in the draws or the checkers.
//!
//! A patch opens with two lines, then the diff:
//!
//! ```text
//! rule: limits.sessions-per-user kept
//! meant: a user's "20 sessions" to mean 20 besides the one connecting
//!
//! diff --git a/src/services/gateway/limits.rs b/src/services/gateway/limits.rs
//! ...
//! ```
//!
//! `run` applies each to a scratch copy of the tree (never the working tree), builds it, runs
//! the default campaign on it and tells whether the campaign caught it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::rules::{self, Clause, Direction};

pub mod compare;
mod run;

pub use run::{Verdict, Workshop};

/// The directory of the catalogue, from the repository's root.
pub const DIR: &str = "mutants";

/// The files a patch may touch: the system under test, never the harness that judges it.
pub const UNDER_TEST: [&str; 8] = [
    "src/services.rs",
    "src/services/",
    "src/token.rs",
    "src/http.rs",
    "src/protocol.rs",
    "src/protocol/",
    "src/context.rs",
    "src/ids.rs",
];

/// One realistic bug.
#[derive(Clone, Debug)]
pub struct Mutant {
    /// The patch's file name without `.patch`.
    pub name: String,
    pub path: PathBuf,
    /// The rule it breaks, and which way.
    pub clause: Clause,
    /// What the engineer who wrote it might have meant.
    pub meant: String,
    /// The files it changes, from the repository's root.
    pub files: Vec<String>,
}

impl Mutant {
    /// Reads the patch at `path`.
    pub fn read(path: &Path) -> anyhow::Result<Mutant> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        let field = |key: &str| {
            text.lines().take_while(|line| !line.starts_with("diff ")).find_map(|line| {
                line.strip_prefix(key)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .map(|value| value.trim().to_owned())
            })
        };
        let (Some(rule), Some(meant)) = (field("rule"), field("meant")) else {
            bail!("{}: a patch opens with `rule: <id> <kept|justified>` and `meant: ...`", path.display());
        };
        let clause = clause(&rule).with_context(|| format!("{}: rule {rule:?}", path.display()))?;
        let files: Vec<String> = text
            .lines()
            .filter_map(|line| line.strip_prefix("+++ b/").or_else(|| line.strip_prefix("--- a/")))
            .map(str::to_owned)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if files.is_empty() {
            bail!("{}: no diff after the header", path.display());
        }
        if let Some(file) = files.iter().find(|f| !UNDER_TEST.iter().any(|dir| f.starts_with(dir))) {
            bail!("{}: changes {file}, which is not the system under test", path.display());
        }
        Ok(Mutant { name, path: path.to_owned(), clause, meant, files })
    }
}

/// `limits.rate kept` as the clause of the catalogue it names.
fn clause(text: &str) -> anyhow::Result<Clause> {
    let (id, direction) = text.split_once(' ').context("write the rule's id, a space and its direction")?;
    let direction = match direction.trim() {
        "kept" => Direction::Kept,
        "justified" => Direction::Justified,
        other => bail!("{other:?} is not a direction: kept or justified"),
    };
    let rule = rules::find(id).with_context(|| format!("{id} is not in the rule catalogue"))?;
    let clause = Clause { rule: rule.id, direction };
    if !rules::clauses().any(|c| c == clause) {
        bail!("{id} is not judged {direction}");
    }
    Ok(clause)
}

/// Every patch of the catalogue under `root`, by name.
pub fn catalogue(root: &Path) -> anyhow::Result<Vec<Mutant>> {
    let dir = root.join(DIR);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.retain(|path| path.extension().is_some_and(|ext| ext == "patch"));
    paths.sort();
    paths.iter().map(|path| Mutant::read(path)).collect()
}

#[cfg(test)]
mod tests;
