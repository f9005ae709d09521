//! Cases for the rules of the handshake and the connect sequence (`src/rules/connect.rs`).

use crate::checkers::expected::MAX_TOKEN_BYTES;
use crate::protocol::ErrorCode::{AuthFailed, AuthUnavailable, BadMessage, IdgenUnavailable, TokenExpired};
use crate::protocol::{ErrorCode, ErrorFrame, ServerFrame};
use crate::rules::Clause;
use crate::sim::scenario::{AUTH, BadInput, IDGEN, TokenKind};
use crate::sim::trace::{Echo, Event, Fault, Trace};

use super::{Case, alice, judge};
use crate::checkers::testing::TraceBuilder;

const TOKEN_REFUSED: Clause = Clause::kept("handshake.token");
const TOKEN_ONLY: Clause = Clause::justified("handshake.token");
const LONG_REFUSED: Clause = Clause::kept("handshake.long-token");
const LONG_ONLY: Clause = Clause::justified("handshake.long-token");
const UPGRADE_REFUSED: Clause = Clause::kept("handshake.upgrade");
const UPGRADE_ONLY: Clause = Clause::justified("handshake.upgrade");
const ORDER: Clause = Clause::justified("connect.order");
const DEADLINE: Clause = Clause::justified("connect.deadline");
const RETRY: Clause = Clause::justified("connect.retry");
const UNAVAILABLE: Clause = Clause::justified("connect.unavailable");
const EXPIRY_CODE: Clause = Clause::kept("connect.token");
const REFUSAL_NAMES_FLAW: Clause = Clause::justified("connect.token");
const REASON: Clause = Clause::kept("connect.reason");
const ECHOED: Clause = Clause::kept("handshake.subprotocol");
const OFFERED_ONLY: Clause = Clause::justified("handshake.subprotocol");

/// A token one byte over the gateway's limit, and one exactly at it.
const OVER_THE_LIMIT: BadInput = BadInput::LongToken { bytes: MAX_TOKEN_BYTES + 1 };
const AT_THE_LIMIT: BadInput = BadInput::LongToken { bytes: MAX_TOKEN_BYTES };

/// Expired long before any skew or leeway could make auth accept it.
pub(super) const EXPIRED_DAYS_AGO: TokenKind = TokenKind::Expired { ago_secs: 3 * 86_400 };
const DEADLINE_KEPT: Clause = Clause::kept("connect.deadline");
const RETRY_KEPT: Clause = Clause::kept("connect.retry");

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: DEADLINE_KEPT,
            // Retries that went on past the deadline: the 1013 came 200 ms late.
            violating: || judge(DEADLINE_KEPT, &refused_in_outage_of(AUTH, AuthUnavailable, 5400, 5)),
            passing: || judge(DEADLINE_KEPT, &refused_in_outage_of(AUTH, AuthUnavailable, 5205, 5)),
        },
        Case {
            clause: RETRY_KEPT,
            // A backoff that grew past its cap: auth, back at 500 ms, was never asked again.
            violating: || judge(RETRY_KEPT, &refused_after_auth_restarted_at(500)),
            passing: || judge(RETRY_KEPT, &established_while_auth_restarts_at(1000)),
        },
        Case {
            clause: TOKEN_REFUSED,
            // Upgraded, leaving the missing token for auth to notice.
            violating: || judge(TOKEN_REFUSED, &upgrade(Some(BadInput::NoToken), 101, None)),
            passing: || judge(TOKEN_REFUSED, &upgrade(Some(BadInput::NoToken), 401, Some(AuthFailed))),
        },
        Case {
            clause: TOKEN_ONLY,
            // A gateway that reads the bearer header only, refusing a token sent as subprotocol.
            violating: || judge(TOKEN_ONLY, &upgrade(None, 401, Some(AuthFailed))),
            passing: || judge(TOKEN_ONLY, &upgrade(None, 101, None)),
        },
        Case {
            clause: LONG_REFUSED,
            // Forwarded to auth instead of refused unread.
            violating: || judge(LONG_REFUSED, &upgrade(Some(OVER_THE_LIMIT), 101, None)),
            passing: || judge(LONG_REFUSED, &upgrade(Some(OVER_THE_LIMIT), 401, Some(AuthFailed))),
        },
        Case {
            clause: LONG_ONLY,
            // The limit checked with `>=`: a token of exactly 8 KiB refused.
            violating: || judge(LONG_ONLY, &upgrade(Some(AT_THE_LIMIT), 401, Some(AuthFailed))),
            passing: || judge(LONG_ONLY, &upgrade(Some(AT_THE_LIMIT), 101, None)),
        },
        Case {
            clause: UPGRADE_REFUSED,
            // The WebSocket library's own 426 Upgrade Required, without the documented body.
            violating: || judge(UPGRADE_REFUSED, &upgrade(Some(BadInput::WrongVersion), 426, None)),
            passing: || judge(UPGRADE_REFUSED, &upgrade(Some(BadInput::WrongVersion), 400, Some(BadMessage))),
        },
        Case {
            clause: UPGRADE_ONLY,
            // The `jwt.` subprotocol that carries the token taken for a malformed upgrade.
            violating: || judge(UPGRADE_ONLY, &upgrade(None, 400, Some(BadMessage))),
            passing: || judge(UPGRADE_ONLY, &upgrade(None, 101, None)),
        },
        Case {
            clause: ORDER,
            // Failing open: established without auth's answer while auth was down.
            violating: || judge(ORDER, &established_while_auth_restarts_at(2000)),
            passing: || judge(ORDER, &established_while_auth_restarts_at(1000)),
        },
        Case {
            clause: DEADLINE,
            // The per-try timeout taken for the deadline: given up after the first call.
            violating: || judge(DEADLINE, &refused_in_outage_of(AUTH, AuthUnavailable, 1300, 1)),
            passing: || judge(DEADLINE, &refused_in_outage_of(AUTH, AuthUnavailable, 5300, 8)),
        },
        Case {
            clause: RETRY,
            // Retried without backing off.
            violating: || judge(RETRY, &refused_in_outage_of(AUTH, AuthUnavailable, 5300, 50)),
            passing: || judge(RETRY, &refused_in_outage_of(AUTH, AuthUnavailable, 5300, 8)),
        },
        Case {
            clause: UNAVAILABLE,
            // idgen's outage blamed on auth.
            violating: || judge(UNAVAILABLE, &refused_in_outage_of(IDGEN, AuthUnavailable, 5300, 8)),
            passing: || judge(UNAVAILABLE, &refused_in_outage_of(IDGEN, IdgenUnavailable, 5300, 8)),
        },
        Case {
            clause: EXPIRY_CODE,
            // Every refusal of auth's reported as AUTH_FAILED, expiry included.
            violating: || judge(EXPIRY_CODE, &refused_for(EXPIRED_DAYS_AGO, "token refused: token expired")),
            passing: || judge(EXPIRY_CODE, &refused_token(EXPIRED_DAYS_AGO, TokenExpired)),
        },
        Case {
            clause: REASON,
            // auth's error in its Rust name rather than in words.
            violating: || judge(REASON, &refused_for(TokenKind::WrongIssuer, "token refused: WrongIssuer")),
            passing: || {
                judge(
                    REASON,
                    &refused_for(TokenKind::WrongIssuer, "token refused: token is from another issuer"),
                )
            },
        },
        Case {
            clause: ECHOED,
            // The echo left out, as if the bearer header had carried the token.
            violating: || {
                judge(ECHOED, &TraceBuilder::new().client(0, "alice").echoed(0, 1, Echo::Missing).build())
            },
            passing: || {
                judge(ECHOED, &TraceBuilder::new().client(0, "alice").echoed(0, 1, Echo::Offered).build())
            },
        },
        Case {
            clause: OFFERED_ONLY,
            // The token echoed without its `jwt.` prefix.
            violating: || {
                judge(
                    OFFERED_ONLY,
                    &TraceBuilder::new().client(0, "alice").echoed(0, 1, Echo::Unoffered).build(),
                )
            },
            passing: || {
                judge(
                    OFFERED_ONLY,
                    &TraceBuilder::new().client(0, "alice").echoed(0, 1, Echo::Nothing).build(),
                )
            },
        },
        Case {
            clause: REFUSAL_NAMES_FLAW,
            // A current token of a user auth knows refused: auth's verdict misread.
            violating: || judge(REFUSAL_NAMES_FLAW, &refused_token(TokenKind::default(), AuthFailed)),
            passing: || judge(REFUSAL_NAMES_FLAW, &refused_token(TokenKind::WrongAudience, AuthFailed)),
        },
    ]
}

/// Alice's upgrade request, bad as `bad` says if at all, answered with HTTP `status` and the
/// error body of `refusal` if any.
fn upgrade(bad: Option<BadInput>, status: u16, refusal: Option<ErrorCode>) -> Trace {
    let attempt = TraceBuilder::new().client(0, "alice").attempt(0, 1);
    let requested = match bad {
        Some(bad) => attempt.sent_bad(0, 1, bad),
        None => attempt,
    };
    requested.handshake(0, 1, status, refusal).build()
}

/// A run whose `service` crashed at 100 ms, before alice's attempt.
fn down(service: &str) -> TraceBuilder {
    TraceBuilder::new().at(100).fault(Fault::Crash { host: service.to_owned() })
}

/// `service` down from 100 ms; alice's attempt at 200 ms, upgraded at once, gets `code` at
/// `refused_ms`, saying as the gateway words it that it made `attempts` calls, and its close.
fn refused_in_outage_of(service: &str, code: ErrorCode, refused_ms: u64, attempts: u32) -> Trace {
    let dependency = if code == AuthUnavailable { AUTH } else { IDGEN };
    let text =
        format!("{dependency} unavailable: no answer within 5s ({attempts} attempts, last: connect refused)");
    let upgraded = down(service).client(0, "alice").at(200).upgraded(0, 1);
    upgraded.at(refused_ms).errored(0, 1, ErrorFrame::new(code, text)).build()
}

/// auth down from 100 ms until `restart_ms`, yet alice's attempt at 200 ms gets
/// `AUTH_UNAVAILABLE` at the deadline.
fn refused_after_auth_restarted_at(restart_ms: u64) -> Trace {
    let upgraded = down(AUTH).client(0, "alice").at(200).upgraded(0, 1);
    let restarted = upgraded.at(restart_ms).record(AUTH, Event::ServiceStarted { incarnation: 2 });
    let text = "auth unavailable: no answer within 5s (3 attempts, last: connect refused)";
    restarted.at(5205).errored(0, 1, ErrorFrame::new(AuthUnavailable, text)).build()
}

/// auth down from 100 ms until `restart_ms`; alice's attempt at 200 ms is established at 1300 ms.
fn established_while_auth_restarts_at(restart_ms: u64) -> Trace {
    let upgraded = down(AUTH).client(0, "alice").at(200).upgraded(0, 1);
    let restart = |b: TraceBuilder| b.at(restart_ms).record(AUTH, Event::ServiceStarted { incarnation: 2 });
    let establish =
        |b: TraceBuilder| b.at(1300).received(0, 1, ServerFrame::ConnectionEstablished { context: alice() });
    let in_order =
        if restart_ms < 1300 { establish(restart(upgraded)) } else { restart(establish(upgraded)) };
    in_order.build()
}

/// Alice's client with a token of `kind`, her first session established.
pub(super) fn accepted_token(kind: TokenKind) -> Trace {
    TraceBuilder::new().client_with(0, "alice", kind).established(0, 1, &alice()).build()
}

/// Alice's client with a token of `kind`, her first session refused with `code`.
pub(super) fn refused_token(kind: TokenKind, code: ErrorCode) -> Trace {
    TraceBuilder::new().client_with(0, "alice", kind).refused(0, 1, code).build()
}

/// Alice's client with a token of `kind`, her first session refused with `AUTH_FAILED` saying
/// `message`.
pub(super) fn refused_for(kind: TokenKind, message: &str) -> Trace {
    let refusal = ErrorFrame::new(AuthFailed, message);
    TraceBuilder::new().client_with(0, "alice", kind).upgraded(0, 1).errored(0, 1, refusal).build()
}
