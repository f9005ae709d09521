//! Rules of auth, idgen and their identifiers (`docs/design.md` §2.1–2.3): what they answer any
//! caller, and the identifiers idgen issues.

use super::checker::{CLEAR_ERRORS, CONTEXT_IDENTITY, UNIQUE_IDS};
use super::{Rule, demand};

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "service.readiness",
        section: "2.1 auth",
        sentence: "Each of auth and idgen answers 503 to every request, `GET /healthz` included, until its warm-up \
                   after each start has passed, and serves from then on.",
        kept: demand(
            CLEAR_ERRORS,
            "a request auth or idgen surely handled during its warm-up is answered 503",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "a request surely handled after the warm-up is not answered 503, and `GET /healthz` then 200",
        ),
    },
    Rule {
        id: "auth.service-secret",
        section: "2.1 auth",
        sentence: "`POST /auth/validate` answers 401 to a caller without the right `X-Service-Secret` header.",
        kept: demand(
            CLEAR_ERRORS,
            "a warm auth answers a validate call without the right secret (absent, another, in another case, \
             cut short, extended) 401 without a body",
        ),
        justified: demand(CLEAR_ERRORS, "a validate call with the right secret is never answered 401"),
    },
    Rule {
        id: "ids.user",
        section: "2.2 idgen",
        sentence: "idgen refuses with 400 a `user_id` that is empty, a placeholder, not printable ASCII or longer \
                   than 128 bytes.",
        kept: demand(CLEAR_ERRORS, "a warm idgen answers such a user id 400, its body the reason in words"),
        justified: demand(CLEAR_ERRORS, "a user id within the rules is never answered 400"),
    },
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
