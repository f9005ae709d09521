//! The rule catalogue: every rule of the design (`docs/design.md`), as data.
//!
//! A rule has an id (`limits.sessions-per-user`), the design's sentence it comes from, and up to
//! two directions, each judged by one checker:
//!
//! - **kept**: what must happen whenever the rule's condition holds (the limit refuses the one
//!   too many; the answer comes, and in time);
//! - **justified**: what must not happen unless the rule's condition holds (no refusal without
//!   its cause; no close without the error that calls for it).
//!
//! A checker names the [`Clause`] (rule and direction) it judges whenever a trace gives it
//! something to judge, and with every violation it reports; `gatesim fuzz` counts, per clause,
//! the runs that exercised it. A rule judged in one direction only lets through the bugs of the
//! other, and a rule that no run exercises lets through every bug on its path: the catalogue
//! makes both visible.

use std::fmt;

use serde::{Deserialize, Serialize};

mod checker;
mod connect;
mod limits;
mod run;
mod service;
mod session;
mod token;

/// The catalogue, in the order of `docs/design.md`.
static GROUPS: [&[Rule]; 6] =
    [token::RULES, service::RULES, connect::RULES, session::RULES, limits::RULES, run::RULES];

/// Every rule of the catalogue, in the order of `docs/design.md`.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    GROUPS.iter().flat_map(|group| group.iter())
}

const fn demand(checker: &'static str, demands: &'static str) -> Option<Demand> {
    Some(Demand { checker, demands })
}

/// One rule of the design.
#[derive(Debug)]
pub struct Rule {
    /// `area.name`, stable: reports and `gatesim fuzz --json` key by it.
    pub id: &'static str,
    /// The heading of `docs/design.md` the sentence stands under.
    pub section: &'static str,
    /// The design's sentence, word for word.
    pub sentence: &'static str,
    pub kept: Option<Demand>,
    pub justified: Option<Demand>,
}

/// What one direction of a rule demands, and who judges it.
#[derive(Debug)]
pub struct Demand {
    /// The checker that judges it (`clear-errors`, ...).
    pub checker: &'static str,
    /// What the checker demands of a trace, in a sentence.
    pub demands: &'static str,
}

/// Which way a rule is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Whenever the condition holds, what the rule promises happens.
    Kept,
    /// What the rule allows happens only when its condition holds.
    Justified,
}

impl Direction {
    pub const BOTH: [Direction; 2] = [Direction::Kept, Direction::Justified];

    pub fn name(self) -> &'static str {
        match self {
            Direction::Kept => "kept",
            Direction::Justified => "justified",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One direction of one rule: what a checker judges and a violation breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clause {
    pub rule: &'static str,
    pub direction: Direction,
}

impl Clause {
    pub const fn kept(rule: &'static str) -> Clause {
        Clause { rule, direction: Direction::Kept }
    }

    pub const fn justified(rule: &'static str) -> Clause {
        Clause { rule, direction: Direction::Justified }
    }

    /// What the catalogue says of this clause. Panics for a clause the catalogue lacks: a
    /// checker judging a rule the design does not have is a bug in the checker, which its tests
    /// meet at once.
    pub fn demand(self) -> &'static Demand {
        let rule = find(self.rule).unwrap_or_else(|| panic!("no rule {:?} in the catalogue", self.rule));
        let demand = match self.direction {
            Direction::Kept => &rule.kept,
            Direction::Justified => &rule.justified,
        };
        demand.as_ref().unwrap_or_else(|| panic!("rule {} has no {} direction", self.rule, self.direction))
    }

    /// The checker that judges this clause.
    pub fn checker(self) -> &'static str {
        self.demand().checker
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.rule, self.direction)
    }
}

/// The rule with this id.
///
/// ```
/// use gatesim::rules::{self, Clause};
///
/// let rule = rules::find("limits.sessions-per-user").expect("a rule of the design");
/// assert!(rule.kept.is_some() && rule.justified.is_some());
/// assert_eq!(Clause::kept(rule.id).to_string(), "limits.sessions-per-user kept");
/// assert!(rules::find("limits.unheard-of").is_none());
/// ```
pub fn find(id: &str) -> Option<&'static Rule> {
    all().find(|rule| rule.id == id)
}

/// Every clause of the catalogue, in its order: each rule's kept, then its justified direction.
pub fn clauses() -> impl Iterator<Item = Clause> {
    all().flat_map(|rule| {
        let kept = rule.kept.as_ref().map(|_| Clause::kept(rule.id));
        let justified = rule.justified.as_ref().map(|_| Clause::justified(rule.id));
        kept.into_iter().chain(justified)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn ids_are_unique_and_shaped_area_dot_name() {
        let mut seen = BTreeSet::new();
        for rule in all() {
            assert!(seen.insert(rule.id), "{} is listed twice", rule.id);
            let (area, name) = rule.id.split_once('.').unwrap_or_else(|| panic!("{} has no area", rule.id));
            let shaped =
                |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
            assert!(shaped(area) && shaped(name), "{} is not area.name in lowercase words", rule.id);
        }
    }

    #[test]
    fn every_rule_is_judged_in_at_least_one_direction_and_says_what_it_demands() {
        for rule in all() {
            assert!(rule.kept.is_some() || rule.justified.is_some(), "{} is judged in no direction", rule.id);
            for demand in rule.kept.iter().chain(&rule.justified) {
                assert!(!demand.demands.is_empty() && !demand.checker.is_empty(), "{}", rule.id);
            }
        }
    }

    /// Whitespace runs collapsed to one space, so that a sentence wrapped in the document matches.
    fn collapsed(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn every_sentence_stands_word_for_word_in_the_design_under_its_section() {
        let design = include_str!("../docs/design.md");
        let headings: Vec<&str> = design.lines().filter(|line| line.starts_with('#')).collect();
        let text = collapsed(design);
        for rule in all() {
            assert!(
                text.contains(&collapsed(rule.sentence)),
                "{}: its sentence is not in docs/design.md",
                rule.id
            );
            assert!(
                headings.iter().any(|heading| heading.trim_start_matches('#').trim() == rule.section),
                "{}: docs/design.md has no heading {:?}",
                rule.id,
                rule.section
            );
        }
    }

    #[test]
    fn a_clause_finds_its_checker_and_displays_as_rule_and_direction() {
        let clause = clauses().next().expect("the catalogue is not empty");
        assert!(!clause.checker().is_empty());
        assert_eq!(clause.to_string(), format!("{} {}", clause.rule, clause.direction));
    }
}
