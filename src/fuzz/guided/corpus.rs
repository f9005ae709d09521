//! The corpus of a guided campaign: the scenarios that reached a feature no earlier run had, in
//! the order they did, kept on disk between campaigns (`--corpus DIR`) as plain scenario files
//! named by a hash of what they contain, so that shards and nights that keep the same scenario
//! write the same file, and any of them replays with `gatesim replay --scenario FILE SEED`.
//!
//! Beside each scenario file, `scenario-<hash>.features` lists the coverage features its last run
//! reached, one per line. A campaign given the corpus runs its scenarios first, those that reach
//! the most features no earlier one reaches first of all, so that whatever the corpus knows how to
//! reach comes back in as few runs as possible. What is written back is distilled: only as many
//! scenarios as it takes for every feature one of them reached to be reached by one kept, so
//! that the directory, which every later campaign runs first, stays about as large as the
//! features there are rather than growing night after night.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use super::features;
use crate::sim::Scenario;

/// The planned cost ([`Scenario::planned_cost`]) past which a scenario is kept only for a
/// judgement: 8 MiB of frames, or 8,192 messages. A flood of 64 KiB frames plans ten times that
/// and takes a hundred times as long to run as an ordinary scenario (0.5 s against 5 ms), so one
/// kept for a frame pair or a restart gap that a campaign reached by chance beside it would cost
/// every later campaign as much as a hundred runs.
const COSTLY: u64 = 8192;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Corpus {
    /// By the order they joined: loaded ones by file name first.
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    scenario: Scenario,
    /// Its file name, to keep each scenario once.
    name: String,
    /// The features its run reached: in this campaign once it ran, before that as its
    /// `.features` file says; empty when neither says.
    reached: Vec<String>,
    /// Whether it ran in this campaign.
    ran: bool,
}

impl Corpus {
    /// The scenarios in `dir`, by file name, each with the features its file beside says it
    /// reached; an empty corpus when `dir` does not exist yet.
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
            let index = corpus.add(scenario);
            let features = path.with_extension("features");
            if features.exists() {
                let text = std::fs::read_to_string(&features)
                    .with_context(|| format!("reading {}", features.display()))?;
                corpus.entries[index].reached = text.lines().map(str::to_owned).collect();
            }
        }
        Ok(corpus)
    }

    /// Keeps `scenario` unless the corpus has it already; returns its index.
    pub fn add(&mut self, scenario: Scenario) -> usize {
        let name = file_name(&scenario);
        if let Some(index) = self.entries.iter().position(|kept| kept.name == name) {
            return index;
        }
        self.entries.push(Entry { scenario, name, reached: Vec::new(), ran: false });
        self.entries.len() - 1
    }

    /// Says that scenario `index` ran and reached `features`: its first run in the campaign is
    /// what distilling weighs.
    pub fn ran(&mut self, index: usize, features: &[String]) {
        let entry = &mut self.entries[index];
        if !entry.ran {
            entry.reached = features.to_vec();
            entry.ran = true;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, index: usize) -> &Scenario {
        &self.entries[index].scenario
    }

    /// Every index, the scenario that reaches the most features no earlier one reaches for what
    /// it costs to run first, each weighed (`features::weight`: a judgement outweighs a frame
    /// pair), then the one that reaches most in all; each with the weight of the features it
    /// adds; those whose features are unknown last, in corpus order. What a scenario costs is
    /// what it plans to send ([`Scenario::planned_cost`]): a flood of large frames is run last.
    pub fn by_reach(&self) -> Vec<(usize, u64)> {
        // Features as numbers, so that the quadratic choice below counts in flat arrays.
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        let mut weights: Vec<u64> = Vec::new();
        let numbered: Vec<Vec<usize>> = self
            .entries
            .iter()
            .map(|entry| {
                entry
                    .reached
                    .iter()
                    .map(|f| {
                        let next = ids.len();
                        *ids.entry(f.as_str()).or_insert_with(|| {
                            weights.push(features::weight(f));
                            next
                        })
                    })
                    .collect()
            })
            .collect();
        let roots: Vec<u64> =
            self.entries.iter().map(|entry| (entry.scenario.planned_cost() + 16).isqrt()).collect();
        let mut covered = vec![false; ids.len()];
        let mut left: Vec<usize> = (0..self.len()).filter(|&i| !numbered[i].is_empty()).collect();
        let mut order = Vec::with_capacity(self.len());
        while !left.is_empty() {
            let adds =
                |i: usize| numbered[i].iter().filter(|&&f| !covered[f]).map(|&f| weights[f]).sum::<u64>();
            // Weighed features added per square root of cost, in whole numbers.
            let worth = |i: usize| adds(i) * 1000 / roots[i];
            let (at, _) = left
                .iter()
                .enumerate()
                .max_by_key(|&(_, &i)| (worth(i), adds(i), numbered[i].len(), std::cmp::Reverse(i)))
                .expect("some left");
            let index = left.remove(at);
            order.push((index, adds(index)));
            numbered[index].iter().for_each(|&f| covered[f] = true);
        }
        order.extend((0..self.len()).filter(|&i| numbered[i].is_empty()).map(|i| (i, 0)));
        order
    }

    /// The indices of the scenarios worth keeping, in corpus order: as few as it takes for every
    /// feature a scenario reached to be reached by one kept, and those whose features are unknown;
    /// but a scenario that plans to send more than [`COSTLY`] only for a judgement no cheaper one
    /// reaches, since every later campaign runs it first.
    fn distilled(&self) -> Vec<usize> {
        let worth_keeping = |index: usize, adds: u64| {
            let entry = &self.entries[index];
            let enough = if entry.scenario.planned_cost() > COSTLY { features::JUDGEMENT_WEIGHT } else { 1 };
            adds >= enough || entry.reached.is_empty()
        };
        let mut kept: Vec<usize> = self
            .by_reach()
            .into_iter()
            .filter(|&(index, adds)| worth_keeping(index, adds))
            .map(|(index, _)| index)
            .collect();
        kept.sort_unstable();
        kept
    }

    /// Writes the distilled corpus to `dir`, each scenario with its features, and removes the
    /// files there of the scenarios it leaves out; other files stay. Returns how many it kept.
    pub fn save(&self, dir: &Path) -> anyhow::Result<usize> {
        std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))?;
        let kept = self.distilled();
        for (index, entry) in self.entries.iter().enumerate() {
            let path = dir.join(&entry.name);
            let features = path.with_extension("features");
            if kept.binary_search(&index).is_ok() {
                let json = serde_json::to_string_pretty(&entry.scenario).expect("scenarios serialise");
                std::fs::write(&path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
                let lines: String = entry.reached.iter().map(|f| format!("{f}\n")).collect();
                std::fs::write(&features, lines)
                    .with_context(|| format!("writing {}", features.display()))?;
            } else {
                for path in [path, features] {
                    if path.exists() {
                        std::fs::remove_file(&path)
                            .with_context(|| format!("removing {}", path.display()))?;
                    }
                }
            }
        }
        Ok(kept.len())
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
        let mut by_name: Vec<String> = corpus.entries.iter().map(|e| e.name.clone()).collect();
        by_name.sort();
        let names: Vec<String> = loaded.entries.iter().map(|e| e.name.clone()).collect();
        assert_eq!(names, by_name, "loaded by file name");
        for entry in &loaded.entries {
            assert_eq!(file_name(&entry.scenario), entry.name);
        }
        assert!(Corpus::load(&dir.join("missing")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn what_is_saved_is_the_fewest_scenarios_that_reach_every_feature_the_ran_ones_reached() {
        let dir = std::env::temp_dir().join(format!("gatesim-distilled-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut corpus = Corpus::default();
        for seed in 0..5 {
            // Alike but for their seeds, so alike in cost.
            corpus.add(Scenario { seed, ..Scenario::from_seed(0) });
        }
        assert_eq!(corpus.save(&dir).unwrap(), 5, "none ran: every one is kept");
        let features = |names: &[&str]| names.iter().map(|&n| n.to_owned()).collect::<Vec<_>>();
        corpus.ran(0, &features(&["a", "b"]));
        corpus.ran(1, &features(&["b", "c", "d"]));
        corpus.ran(2, &features(&["a", "e"]));
        corpus.ran(3, &features(&["c"]));
        corpus.ran(3, &features(&["z"]));
        assert_eq!(corpus.by_reach(), [(1, 3), (2, 2), (0, 0), (3, 0), (4, 0)], "most new first; 4 unknown");
        assert_eq!(corpus.distilled(), [1, 2, 4], "1 reaches most, then 2 the rest; 4 never ran");
        assert_eq!(corpus.save(&dir).unwrap(), 3);
        let left = Corpus::load(&dir).unwrap();
        let mut kept: Vec<&Entry> = [1, 2, 4].iter().map(|&i| &corpus.entries[i]).collect();
        kept.sort_by(|a, b| a.name.cmp(&b.name));
        let names = |entries: &[&Entry]| entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&left.entries.iter().collect::<Vec<_>>()),
            names(&kept),
            "the others' files removed"
        );
        for (loaded, saved) in left.entries.iter().zip(&kept) {
            assert_eq!(loaded.reached, saved.reached, "features read back from beside the scenario");
            assert!(!loaded.ran);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_costly_scenario_runs_last_and_is_kept_only_for_a_judgement_no_cheaper_one_reaches() {
        let cheap = Scenario::from_seed(0);
        let mut flood = cheap.clone();
        flood.clients[0].messages = 1000;
        flood.clients[0].burst = 1000;
        flood.clients[0].content_bytes = Some((65_000, 65_400));
        let features = |names: &[&str]| names.iter().map(|&n| n.to_owned()).collect::<Vec<_>>();
        let corpus = |flood_reached: &[&str]| {
            let mut corpus = Corpus::default();
            corpus.add(flood.clone());
            corpus.add(cheap.clone());
            corpus.ran(0, &features(flood_reached));
            corpus.ran(1, &features(&["a", "b"]));
            corpus
        };
        let incidental = corpus(&["a", "b", "c"]);
        assert_eq!(incidental.by_reach(), [(1, 2), (0, 1)], "the cheap one first, though it reaches less");
        assert_eq!(incidental.distilled(), [1], "the flood alone reaches c, which is no judgement");
        let judged = corpus(&["a", "b", "rule:limits.queue kept"]);
        assert_eq!(judged.distilled(), [0, 1], "the flood alone judges the queue");
    }

    #[test]
    fn a_scenario_that_adds_a_judgement_runs_before_one_that_adds_more_of_other_features() {
        let mut corpus = Corpus::default();
        for seed in 0..3 {
            corpus.add(Scenario { seed, ..Scenario::from_seed(0) });
        }
        let features = |names: &[&str]| names.iter().map(|&n| n.to_owned()).collect::<Vec<_>>();
        corpus.ran(0, &features(&["frames:a>b", "frames:b>c", "frames:c>d"]));
        corpus.ran(1, &features(&["rule:limits.queue kept"]));
        corpus.ran(2, &features(&["input:bad WrongVersion answered 400"]));
        assert_eq!(
            corpus.by_reach(),
            [(1, 16), (2, 16), (0, 3)],
            "the judgements first, alike ones in corpus order"
        );
    }
}
