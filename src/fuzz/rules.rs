//! Rule coverage: per clause of the rule catalogue (a rule and a direction), the runs whose trace
//! gave it something to judge. A clause no run exercised was not tested, however many seeds ran:
//! a bug on its path, or one that breaks it the way nobody judges, goes through. The summary
//! names those.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::rules::{self, Clause, Direction};

/// How many runs exercised one rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleRuns {
    /// Runs that exercised it in either direction.
    pub runs: u64,
    /// Runs that exercised its kept direction; none when the rule has no such direction.
    pub kept: Option<u64>,
    /// Runs that exercised its justified direction; none when the rule has no such direction.
    pub justified: Option<u64>,
}

impl RuleRuns {
    fn direction(&mut self, direction: Direction) -> &mut Option<u64> {
        match direction {
            Direction::Kept => &mut self.kept,
            Direction::Justified => &mut self.justified,
        }
    }

    /// The directions no run exercised.
    pub fn never(&self) -> impl Iterator<Item = Direction> + '_ {
        Direction::BOTH.into_iter().filter(|&d| {
            matches!(d, Direction::Kept if self.kept == Some(0))
                || matches!(d, Direction::Justified if self.justified == Some(0))
        })
    }
}

/// Every rule of the catalogue, by id, with no runs yet.
pub fn table() -> BTreeMap<String, RuleRuns> {
    rules::all()
        .map(|rule| {
            let runs = RuleRuns {
                runs: 0,
                kept: rule.kept.as_ref().map(|_| 0),
                justified: rule.justified.as_ref().map(|_| 0),
            };
            (rule.id.to_owned(), runs)
        })
        .collect()
}

/// Counts one run that exercised `exercised` into `table`.
pub fn count(table: &mut BTreeMap<String, RuleRuns>, exercised: &BTreeSet<Clause>) {
    let mut rules = BTreeSet::new();
    for clause in exercised {
        let Some(runs) = table.get_mut(clause.rule) else { continue };
        if let Some(count) = runs.direction(clause.direction) {
            *count += 1;
        }
        if rules.insert(clause.rule) {
            runs.runs += 1;
        }
    }
}

/// The table as the summary prints it, in the catalogue's order.
pub struct Rendered<'a>(pub &'a BTreeMap<String, RuleRuns>);

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "rule coverage (runs that exercised each rule: kept / justified, - where it has no such direction):"
        )?;
        let shown = |count: Option<u64>| count.map_or_else(|| "-".to_owned(), |n| n.to_string());
        for rule in rules::all() {
            let Some(runs) = self.0.get(rule.id) else { continue };
            let never: Vec<&str> = runs.never().map(Direction::name).collect();
            let marker = if never.is_empty() {
                String::new()
            } else {
                format!("  <- never exercised ({})", never.join(", "))
            };
            writeln!(f, "  {:>6} / {:<6}  {}{marker}", shown(runs.kept), shown(runs.justified), rule.id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_count_once_per_rule_and_once_per_direction_and_unexercised_directions_are_named() {
        let mut table = table();
        let both = BTreeSet::from([Clause::kept("limits.rate"), Clause::justified("limits.rate")]);
        count(&mut table, &both);
        count(&mut table, &BTreeSet::from([Clause::justified("limits.rate")]));
        assert_eq!(table["limits.rate"], RuleRuns { runs: 2, kept: Some(1), justified: Some(2) });
        let internal = &table["errors.internal"];
        assert_eq!((internal.kept, internal.justified), (None, Some(0)));
        assert_eq!(internal.never().collect::<Vec<_>>(), [Direction::Justified]);
        let rendered = Rendered(&table).to_string();
        assert!(rendered.contains("       1 / 2       limits.rate\n"), "{rendered}");
        assert!(rendered.contains("errors.internal  <- never exercised (justified)"), "{rendered}");
    }
}
