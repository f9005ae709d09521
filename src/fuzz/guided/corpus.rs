//! The corpus of a guided campaign: the scenarios that reached a feature no earlier run had, in
//! the order they did, kept on disk between campaigns (`--corpus DIR`) as plain scenario files
//! named by a hash of what they contain, so that shards and nights that keep the same scenario
//! write the same file, and any of them replays with `gatesim replay --scenario FILE SEED`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use crate::sim::Scenario;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Corpus {
    /// By the order they joined: loaded ones by file name first.
    scenarios: Vec<Scenario>,
    /// Their file names, to keep each scenario once.
    names: Vec<String>,
}

impl Corpus {
    /// The scenarios in `dir`, by file name; an empty corpus when `dir` does not exist yet.
    pub fn load(dir: &Path) -> anyhow::Result<Corpus> {
        let mut corpus = Corpus::default();
        if !dir.exists() {
            return Ok(corpus);
        }
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        paths.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
        paths.sort();
        for path in paths {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let scenario: Scenario =
                serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            scenario
                .validate()
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("in {}", path.display()))?;
            corpus.add(scenario);
        }
        Ok(corpus)
    }

    /// Keeps `scenario` unless the corpus has it already; returns its index.
    pub fn add(&mut self, scenario: Scenario) -> usize {
        let name = file_name(&scenario);
        if let Some(index) = self.names.iter().position(|kept| *kept == name) {
            return index;
        }
        self.names.push(name);
        self.scenarios.push(scenario);
        self.scenarios.len() - 1
    }

    pub fn len(&self) -> usize {
        self.scenarios.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scenarios.is_empty()
    }

    pub fn get(&self, index: usize) -> &Scenario {
        &self.scenarios[index]
    }

    /// Writes every scenario to `dir`; files already there stay. Returns how many it wrote.
    pub fn save(&self, dir: &Path) -> anyhow::Result<usize> {
        std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))?;
        for (scenario, name) in self.scenarios.iter().zip(&self.names) {
            let json = serde_json::to_string_pretty(scenario).expect("scenarios serialise");
            let path = dir.join(name);
            std::fs::write(&path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(self.scenarios.len())
    }
}

/// `scenario-<16 hex digits>.json`, from what the scenario runs: its note does not count.
pub fn file_name(scenario: &Scenario) -> String {
    let bare = Scenario { note: None, ..scenario.clone() };
    let digest = Sha256::digest(serde_json::to_vec(&bare).expect("scenarios serialise"));
    let hex: String = digest[..8].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("scenario-{hex}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corpus_survives_a_round_trip_through_its_directory() {
        let dir = std::env::temp_dir().join(format!("gatesim-corpus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut corpus = Corpus::default();
        for (index, seed) in [5, 3, 9].into_iter().enumerate() {
            assert_eq!(corpus.add(Scenario::from_seed(seed)), index);
        }
        let noted = Scenario { note: Some("reached something".into()), ..Scenario::from_seed(3) };
        assert_eq!(corpus.add(noted), 1, "a note does not make a scenario new");
        assert_eq!(corpus.save(&dir).unwrap(), 3);
        let loaded = Corpus::load(&dir).unwrap();
        assert_eq!(loaded.len(), 3);
        let mut by_name = corpus.names.clone();
        by_name.sort();
        assert_eq!(loaded.names, by_name, "loaded by file name");
        for (scenario, name) in loaded.scenarios.iter().zip(&loaded.names) {
            assert_eq!(&file_name(scenario), name);
        }
        assert!(Corpus::load(&dir.join("missing")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
