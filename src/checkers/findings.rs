//! What checkers find in a trace: the clauses of the rule catalogue they had something to judge,
//! and every violation, each naming the clause it breaks.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::{Clause, Direction};
use crate::sim::trace::Trace;

/// A checker: judges a trace, writing down what it judged and what it found.
pub type Checker = fn(&Trace, &mut Findings);

/// One broken rule: which, where and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The checker that found it.
    pub checker: String,
    /// The rule it breaks, and which way; none for a run that could not complete.
    pub rule: Option<String>,
    pub direction: Option<Direction>,
    pub at_ms: Option<u64>,
    pub client: Option<usize>,
    pub session: Option<u32>,
    pub message: String,
}

impl Violation {
    /// A violation of `clause`, not about one session.
    pub fn of(clause: Clause, at_ms: Option<u64>, message: impl Into<String>) -> Violation {
        Violation {
            checker: clause.checker().to_owned(),
            rule: Some(clause.rule.to_owned()),
            direction: Some(clause.direction),
            at_ms,
            client: None,
            session: None,
            message: message.into(),
        }
    }

    /// Whether it breaks `clause`.
    pub fn breaks(&self, clause: Clause) -> bool {
        self.rule.as_deref() == Some(clause.rule) && self.direction == Some(clause.direction)
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The rule first: it is what broke; the checker says who noticed. The message names the
        // session itself, as the timeline does (`c2#1`).
        match (&self.rule, self.direction) {
            (Some(rule), Some(direction)) => write!(f, "[{rule} {direction}, {}]", self.checker)?,
            _ => write!(f, "[{}]", self.checker)?,
        }
        if let Some(at_ms) = self.at_ms {
            write!(f, " at {at_ms} ms")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything the checkers found in one trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// The clauses the trace gave something to judge: their condition held at least once.
    pub exercised: BTreeSet<Clause>,
    pub violations: Vec<Violation>,
}

impl Findings {
    /// `clause`'s condition held: the trace gave it something to judge.
    pub fn judged(&mut self, clause: Clause) {
        self.exercised.insert(clause);
    }

    /// `violation`, which breaks the clause it names: judged, then.
    pub fn push(&mut self, violation: Violation) {
        if let (Some(rule), Some(direction)) = (&violation.rule, violation.direction) {
            let rule = crate::rules::find(rule).map_or("", |rule| rule.id);
            self.judged(Clause { rule, direction });
        }
        self.violations.push(violation);
    }

    /// Whether nothing was found.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

impl Extend<Violation> for Findings {
    fn extend<I: IntoIterator<Item = Violation>>(&mut self, violations: I) {
        violations.into_iter().for_each(|violation| self.push(violation));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_violation_marks_its_clause_judged_and_displays_rule_direction_and_checker() {
        let clause = Clause::justified("errors.internal");
        let mut findings = Findings::default();
        findings.push(Violation::of(clause, Some(12), "closed with 1011"));
        assert_eq!(findings.exercised.iter().copied().collect::<Vec<_>>(), [clause]);
        assert!(findings.violations[0].breaks(clause));
        assert_eq!(
            findings.violations[0].to_string(),
            "[errors.internal justified, clear-errors] at 12 ms: closed with 1011"
        );
    }
}
