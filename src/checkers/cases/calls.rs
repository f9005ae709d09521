//! Cases for what auth and idgen answer a caller other than the gateway (`src/rules/service.rs`):
//! each breaks where a careless check would, a request at the edge of the warm-up, a secret in
//! another case, a user id one byte too long.

use crate::rules::Clause;
use crate::sim::scenario::{AUTH, IDGEN, SecretKind, ServiceRequest};

use super::{Case, judge};
use crate::checkers::testing::TraceBuilder;

const READY_KEPT: Clause = Clause::kept("service.readiness");
const READY_JUSTIFIED: Clause = Clause::justified("service.readiness");
const SECRET_KEPT: Clause = Clause::kept("auth.service-secret");
const SECRET_JUSTIFIED: Clause = Clause::justified("auth.service-secret");
const USER_KEPT: Clause = Clause::kept("ids.user");
const USER_JUSTIFIED: Clause = Clause::justified("ids.user");
const LENGTH_KEPT: Clause = Clause::kept("token.length");
const LENGTH_JUSTIFIED: Clause = Clause::justified("token.length");
const MALFORMED: &str = r#"{"valid":false,"error":"malformed"}"#;

/// auth and idgen, each warming up for a second after its start at 0 ms.
fn warming() -> TraceBuilder {
    TraceBuilder::new().warmup(AUTH, 1000).warmup(IDGEN, 1000)
}

fn health(service: &str) -> ServiceRequest {
    ServiceRequest::Health { service: service.to_owned() }
}

fn validate(secret: SecretKind) -> ServiceRequest {
    ServiceRequest::Validate { secret, token_bytes: None }
}

/// Alice's valid token padded to `bytes`, with the right secret.
fn padded(bytes: usize) -> ServiceRequest {
    ServiceRequest::Validate { secret: SecretKind::Right, token_bytes: Some(bytes) }
}

fn ids(user_id: &str) -> ServiceRequest {
    ServiceRequest::Ids { user_id: user_id.to_owned() }
}

const VALID: &str = r#"{"valid":true,"user_id":"alice","permissions":[],"expires_at":1700003600}"#;
const IDS: &str = r#"{"context_id":"ctx_a_1_0000000a","thread_id":"thread_a_2_0000000b","run_id":"run_a_3_0000000c","websocket_client_id":"ws_a_4_0000000d"}"#;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: LENGTH_KEPT,
            // The limit compared with `==`: a token longer still is parsed, and accepted.
            violating: || judge(LENGTH_KEPT, &warming().call(0, padded(8193), 1500, 200, VALID).build()),
            passing: || judge(LENGTH_KEPT, &warming().call(0, padded(8193), 1500, 200, MALFORMED).build()),
        },
        Case {
            clause: LENGTH_JUSTIFIED,
            // The limit compared with `>=`: a token of exactly 8 KiB refused.
            violating: || {
                judge(LENGTH_JUSTIFIED, &warming().call(0, padded(8192), 1500, 200, MALFORMED).build())
            },
            passing: || judge(LENGTH_JUSTIFIED, &warming().call(0, padded(8192), 1500, 200, VALID).build()),
        },
        Case {
            clause: READY_KEPT,
            // healthz answered from the router, before the warm-up is looked at.
            violating: || judge(READY_KEPT, &warming().call(0, health(IDGEN), 500, 200, "").build()),
            passing: || judge(READY_KEPT, &warming().call(0, health(IDGEN), 500, 503, "").build()),
        },
        Case {
            clause: READY_JUSTIFIED,
            // A warm-up counted twice over.
            violating: || judge(READY_JUSTIFIED, &warming().call(0, ids("alice"), 1500, 503, "").build()),
            passing: || judge(READY_JUSTIFIED, &warming().call(0, ids("alice"), 1500, 200, IDS).build()),
        },
        Case {
            clause: SECRET_KEPT,
            // The secret compared without regard to case.
            violating: || {
                judge(
                    SECRET_KEPT,
                    &warming().call(0, validate(SecretKind::OtherCase), 1500, 200, VALID).build(),
                )
            },
            passing: || {
                judge(SECRET_KEPT, &warming().call(0, validate(SecretKind::OtherCase), 1500, 401, "").build())
            },
        },
        Case {
            clause: SECRET_JUSTIFIED,
            // The secret read from another header.
            violating: || {
                judge(
                    SECRET_JUSTIFIED,
                    &warming().call(0, validate(SecretKind::Right), 1500, 401, "").build(),
                )
            },
            passing: || {
                judge(
                    SECRET_JUSTIFIED,
                    &warming().call(0, validate(SecretKind::Right), 1500, 200, VALID).build(),
                )
            },
        },
        Case {
            clause: USER_KEPT,
            // 129 bytes taken for the longest allowed.
            violating: || judge(USER_KEPT, &warming().call(0, ids(&"u".repeat(129)), 1500, 200, IDS).build()),
            passing: || {
                let reason = format!("user_id is not a well-formed identifier ({:?})", "u".repeat(129));
                judge(USER_KEPT, &warming().call(0, ids(&"u".repeat(129)), 1500, 400, &reason).build())
            },
        },
        Case {
            clause: USER_JUSTIFIED,
            // A placeholder check that matches prefixes: `testing` taken for `test`.
            violating: || {
                let reason = r#"user_id is a placeholder value ("testing")"#;
                judge(USER_JUSTIFIED, &warming().call(0, ids("testing"), 1500, 400, reason).build())
            },
            passing: || judge(USER_JUSTIFIED, &warming().call(0, ids("testing"), 1500, 200, IDS).build()),
        },
    ]
}
