//! Rules of whole runs: liveness, environment agnosticism, determinism (`docs/design.md` §3.5).

use super::checker::{DETERMINISM, ENVIRONMENT, LIVENESS};
use super::{Rule, demand};

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "liveness.connect",
        section: "3.5 Checkers",
        sentence: "Once every fault has healed and every service is up and warm, a new session is established, \
                   or its token or user refused, within 3 s.",
        kept: demand(LIVENESS, "every connection attempt after the heal is answered within 3 s"),
        justified: None,
    },
    Rule {
        id: "liveness.message",
        section: "3.5 Checkers",
        sentence: "In such a session each message completes within 1 s of simulated time, for itself and for \
                   each message queued before it.",
        kept: demand(LIVENESS, "every message of such a session is answered within its bound"),
        justified: None,
    },
    Rule {
        id: "environment.agnostic",
        section: "3.5 Checkers",
        sentence: "The same scenario under another environment label or other platform variables gives the same \
                   trace, apart from the label.",
        kept: demand(ENVIRONMENT, "the rerun under another environment gives the same trace"),
        justified: None,
    },
    Rule {
        id: "determinism.replay",
        section: "3.5 Checkers",
        sentence: "The same scenario run twice gives the same trace, byte for byte.",
        kept: demand(DETERMINISM, "a second run gives the same trace"),
        justified: None,
    },
];
