//! Which corpus scenario a guided campaign mutates next. Behaviours that few runs show are where
//! the bugs nobody has hit yet hide, so a feature is drawn with odds inverse to the number of runs
//! that reached it, and the scenario that first reached it is mutated: the campaign spends its
//! mutations around its rarest finds. A rule clause or an answered input weighs more than another
//! feature as rare ([`features::weight`]), since bugs are caught where rules are judged. The odds are divided
//! by the square root of what the finder's run cost (its messages and the KiB they carried,
//! sixteen added), so that of two finds alike in rarity the cheaper scenario, whose mutants run
//! faster, is mutated more, without a flood that alone reached a rare feature being left aside.
//! One time in four any corpus scenario is taken instead, with odds for its cost alone, so that
//! scenarios no feature of this campaign names are mutated too.

use std::collections::BTreeMap;

use rand::Rng as _;

use super::features;
use crate::clock::Rng;

/// The features the campaign has seen.
#[derive(Debug, Default)]
pub struct Schedule {
    /// Per feature, the runs that reached it.
    runs: BTreeMap<String, u64>,
    /// Per feature, the corpus index of the scenario that reached it first.
    first: BTreeMap<String, usize>,
    /// Per corpus index, what its run cost (`guided::cost`).
    costs: BTreeMap<usize, u64>,
}

impl Schedule {
    /// Counts a run that reached `features`; returns those no run reached before.
    pub fn count<'a>(&mut self, features: &'a [String]) -> Vec<&'a String> {
        let mut new = Vec::new();
        for feature in features {
            let runs = self.runs.entry(feature.clone()).or_default();
            if *runs == 0 {
                new.push(feature);
            }
            *runs += 1;
        }
        new
    }

    /// Says that corpus scenario `index`, whose run cost `cost`, first reached `features`.
    pub fn found(&mut self, features: &[&String], index: usize, cost: u64) {
        for feature in features {
            self.first.insert((*feature).clone(), index);
        }
        self.costs.entry(index).or_insert(cost);
    }

    /// The square root of what scenario `index`'s run cost, sixteen added: 4 when unknown.
    fn cost(&self, index: usize) -> u64 {
        (self.costs.get(&index).copied().unwrap_or(0) + 16).isqrt()
    }

    /// The index of the corpus scenario to mutate next, in a corpus of `len` scenarios.
    pub fn parent(&self, len: usize, rng: &mut Rng) -> usize {
        if self.first.is_empty() || rng.random_ratio(1, 4) {
            // Odds of 1/sqrt(cost + 16), in whole numbers.
            return draw(rng, (0..len).map(|index| (index, 4_000_000 / self.cost(index)))).unwrap_or(0);
        }
        // Odds of weight/(runs * sqrt(cost + 16)), in whole numbers.
        let weighted = self.first.iter().map(|(feature, &index)| {
            let runs = self.runs.get(feature).copied().unwrap_or(1).max(1);
            (index, features::weight(feature) * 4_000_000 / runs / self.cost(index))
        });
        draw(rng, weighted).unwrap_or_else(|| rng.random_range(0..len))
    }
}

/// One of `weighted`'s indices, each with odds of its weight.
fn draw(rng: &mut Rng, weighted: impl Iterator<Item = (usize, u64)> + Clone) -> Option<usize> {
    let total: u64 = weighted.clone().map(|(_, weight)| weight).sum();
    let mut left = rng.random_range(0..total.max(1));
    for (index, weight) in weighted {
        if left < weight {
            return Some(index);
        }
        left -= weight;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::seeded_rng;

    #[test]
    fn the_scenario_that_found_a_rare_feature_is_mutated_most() {
        let mut schedule = Schedule::default();
        let common = ["common".to_owned()];
        let rare = ["common".to_owned(), "rare".to_owned()];
        let new = schedule.count(&common);
        schedule.found(&new, 0, 0);
        for _ in 0..99 {
            assert!(schedule.count(&common).is_empty());
        }
        let new = schedule.count(&rare);
        assert_eq!(new, [&"rare".to_owned()]);
        schedule.found(&new, 1, 0);
        let mut rng = seeded_rng(5);
        let picks: Vec<usize> = (0..400).map(|_| schedule.parent(2, &mut rng)).collect();
        let rare_picks = picks.iter().filter(|&&i| i == 1).count();
        assert!(rare_picks > 300, "{rare_picks} of 400 picks of the rare feature's finder");
    }

    #[test]
    fn of_two_finds_alike_in_rarity_the_cheaper_scenario_is_mutated_more() {
        let mut schedule = Schedule::default();
        let (cheap, dear) = (["cheap".to_owned()], ["dear".to_owned()]);
        let new = schedule.count(&cheap);
        schedule.found(&new, 0, 0);
        let new = schedule.count(&dear);
        schedule.found(&new, 1, 400);
        let mut rng = seeded_rng(6);
        let picks: Vec<usize> = (0..400).map(|_| schedule.parent(2, &mut rng)).collect();
        let cheap_picks = picks.iter().filter(|&&i| i == 0).count();
        assert!((250..350).contains(&cheap_picks), "{cheap_picks} of 400 picks of the cheaper finder");
    }
}
