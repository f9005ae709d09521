//! Rules of auth, idgen and their identifiers (`docs/design.md` §2.1–2.3).

use super::checker::UNIQUE_IDS;
use super::{Rule, demand};

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "ids.unique",
        section: "2.3 Identifiers",
        sentence: "No identifier is issued twice in a run, across idgen's restarts too.",
        kept: None,
        justified: demand(UNIQUE_IDS, "no identifier is carried by the contexts of two sessions"),
    },
    Rule {
        id: "ids.counter",
        section: "2.3 Identifiers",
        sentence: "Within one lifetime of idgen, no two identifiers of one kind share a counter.",
        kept: None,
        justified: demand(UNIQUE_IDS, "no two identifiers of one kind share their boot and their counter"),
    },
];
