//! Rules of auth, idgen and their identifiers (`docs/design.md` §2.1–2.3).

use super::checker::{CONTEXT_IDENTITY, UNIQUE_IDS};
use super::{Rule, demand};

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "ids.format",
        section: "2.3 Identifiers",
        sentence: "Identifiers have the form `<kind>_<boot>_<counter>_<rand8hex>`: the kind (`ctx`, `thread`, \
                   `run`, `ws`), the issuing lifetime's boot in lowercase hex, a decimal counter without leading \
                   zeros, and eight lowercase hex digits from the injected RNG.",
        kept: None,
        justified: demand(
            CONTEXT_IDENTITY,
            "every identifier a context carries is well-formed and of its field's kind",
        ),
    },
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
    Rule {
        id: "ids.boot",
        section: "2.3 Identifiers",
        sentence: "A restarted idgen's boot is greater than that of any earlier lifetime.",
        kept: None,
        justified: demand(
            UNIQUE_IDS,
            "a session whose connect began after idgen restarted carries a boot greater than every session \
             established before the restart",
        ),
    },
];
