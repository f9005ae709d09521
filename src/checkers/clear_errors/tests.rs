use super::*;
use crate::checkers::testing::{TraceBuilder, context, golden, violations};
use crate::protocol::ErrorCode;
use crate::sim::scenario::{AUTH, BadInput, TokenKind};
use crate::token::RequiredClaim;

fn messages(trace: &Trace) -> Vec<String> {
    violations(check, trace).into_iter().map(|v| v.message).collect()
}

#[test]
fn documented_closes_after_their_errors_pass() {
    let trace = TraceBuilder::new()
        .client_with(0, "mallory", TokenKind::Malformed)
        .refused(0, 1, ErrorCode::AuthFailed)
        .client(1, "alice")
        .refused(1, 1, ErrorCode::IdgenUnavailable)
        .established(1, 2, &context("a1", "alice"))
        .closed_by_client(1, 2)
        .client_with(2, "bob", TokenKind::Expired { ago_secs: 30 })
        .refused(2, 1, ErrorCode::AuthUnavailable)
        .refused(2, 2, ErrorCode::TokenExpired)
        .client(3, "carol")
        .established(3, 1, &context("c1", "carol"))
        .record(
            "client-0",
            Event::Closed {
                client: 3,
                session: 1,
                by: Side::Client,
                code: Some(1000),
                reason: String::new(),
            },
        )
        .received(
            3,
            1,
            ServerFrame::Error(
                ErrorFrame::new(ErrorCode::IdleTimeout, "idle").in_context(&context("c1", "carol")),
            ),
        )
        .closed_by_server(3, 1, Some(1000))
        .build();
    assert_eq!(messages(&trace), Vec::<String>::new());
}

#[test]
fn a_1011_is_caught_with_the_error_that_preceded_it() {
    let trace = TraceBuilder::new().client(0, "alice").refused(0, 1, ErrorCode::Internal).build();
    let found = violations(check, &trace);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].client, found[0].session), (Some(0), Some(1)));
    assert_eq!(
        found[0].message,
        "session c0#1: the server closed with 1011 (\"\") after INTERNAL \"refused\": 1011 means a gateway bug"
    );
}

#[test]
fn closes_without_a_matching_error_or_with_an_unknown_code_are_caught() {
    let expired = TokenKind::Expired { ago_secs: 3 * 86_400 };
    let trace = TraceBuilder::new()
        .client_with(0, "alice", expired)
        .upgraded(0, 1)
        .closed_by_server(0, 1, Some(1013))
        .upgraded(0, 2)
        .received(0, 2, ServerFrame::Error(ErrorFrame::new(ErrorCode::AuthUnavailable, "auth unavailable")))
        .closed_by_server(0, 2, Some(1008))
        .upgraded(0, 3)
        .closed_by_server(0, 3, Some(4000))
        .upgraded(0, 4)
        .received(0, 4, ServerFrame::Error(ErrorFrame::new(ErrorCode::TokenExpired, "token expired")))
        .closed_by_server(0, 4, Some(1000))
        .build();
    assert_eq!(
        messages(&trace),
        [
            "session c0#1: the server closed with 1013 without an error frame saying why; 1013 needs an error that calls for it",
            "session c0#2: the server closed with 1008 after AUTH_UNAVAILABLE \"auth unavailable\"; 1008 needs an error that calls for it",
            "session c0#3: the server closed with 4000 (\"\"), which is not a documented close code",
            "session c0#4: the server closed with 1000 (\"\") though the client had not closed",
            "session c0#4: the server closed with 1000 after error TOKEN_EXPIRED, which calls for 1008",
        ]
    );
}

#[test]
fn bad_tokens_must_be_refused_as_what_they_are() {
    let mut wrong_flag = ErrorFrame::new(ErrorCode::BadMessage, "bad");
    wrong_flag.retryable = true;
    let trace = TraceBuilder::new()
        .client_with(0, "mallory", TokenKind::UnknownUser)
        .refused(0, 1, ErrorCode::IdgenUnavailable)
        .established(0, 2, &context("m1", "mallory"))
        .sent_bad(0, 2, BadInput::Binary)
        .received(0, 2, ServerFrame::Error(wrong_flag.in_context(&context("m1", "mallory"))))
        .client_with(1, "bob", TokenKind::Expired { ago_secs: 5 })
        .refused(1, 1, ErrorCode::AuthFailed)
        .build();
    assert_eq!(
        messages(&trace),
        [
            "session c0#1: a token for a user auth does not know was refused with IDGEN_UNAVAILABLE; expected AUTH_FAILED (1008)",
            "session c0#2: was established with a token for a user auth does not know",
            "session c0#2: error BAD_MESSAGE says retryable: true, but that code is final",
            "session c1#1: a token expired 5 s before the client started was refused with AUTH_FAILED; expected TOKEN_EXPIRED (1008)",
        ]
    );
}

#[test]
fn the_recorded_per_message_context_trace_closes_with_1011() {
    let found = violations(check, &golden("per-message-context-idgen-bounce.jsonl"));
    assert!(!found.is_empty());
    assert!(found.iter().all(|v| v.message.contains("closed with 1011")), "{found:?}");
}

/// The tokens auth refuses whatever its clock reads, but for an unknown user.
const FLAWED: [TokenKind; 8] = [
    TokenKind::WrongAudience,
    TokenKind::WrongIssuer,
    TokenKind::WrongKey,
    TokenKind::AlgNone,
    TokenKind::WrongAlgorithm,
    TokenKind::MissingClaim { claim: RequiredClaim::Sub },
    TokenKind::MissingClaim { claim: RequiredClaim::Exp },
    TokenKind::Malformed,
];

/// One client per flawed token, each doing what `session` says.
fn flawed_clients(session: impl Fn(TraceBuilder, usize) -> TraceBuilder) -> Trace {
    let clients = FLAWED.iter().enumerate();
    clients
        .fold(TraceBuilder::new(), |b, (client, &kind)| session(b.client_with(client, "alice", kind), client))
        .build()
}

#[test]
fn a_token_flawed_in_what_it_says_or_how_it_is_signed_is_never_established() {
    let trace =
        flawed_clients(|b, client| b.established(client, 1, &context(&format!("{client:x}"), "alice")));
    assert_eq!(
        messages(&trace),
        [
            "session c0#1: was established with a token for another audience",
            "session c1#1: was established with a token from another issuer",
            "session c2#1: was established with a token signed with another key",
            "session c3#1: was established with an unsigned token (alg none)",
            "session c4#1: was established with a token signed with HS512",
            "session c5#1: was established with a token without its sub claim",
            "session c6#1: was established with a token without its exp claim",
            "session c7#1: was established with a malformed token (not a JWT)",
        ]
    );
}

#[test]
fn a_token_flawed_in_what_it_says_or_how_it_is_signed_is_refused_with_auth_failed() {
    let trace = flawed_clients(|b, client| {
        b.refused(client, 1, ErrorCode::TokenExpired).refused(client, 2, ErrorCode::IdgenUnavailable)
    });
    let found = messages(&trace);
    assert_eq!(found.len(), 2 * FLAWED.len(), "{found:#?}");
    assert_eq!(
        found[..2],
        [
            "session c0#1: a token for another audience was refused with TOKEN_EXPIRED; expected AUTH_FAILED (1008)",
            "session c0#2: a token for another audience was refused with IDGEN_UNAVAILABLE; expected AUTH_FAILED (1008)",
        ]
    );

    let right = flawed_clients(|b, client| {
        b.refused(client, 1, ErrorCode::AuthUnavailable).refused(client, 2, ErrorCode::AuthFailed)
    });
    assert_eq!(messages(&right), Vec::<String>::new());
}

#[test]
fn a_token_expired_days_ago_is_never_established_and_is_refused_as_expired() {
    let days_ago = TokenKind::Expired { ago_secs: 3 * 86_400 };
    let trace = TraceBuilder::new()
        .client_with(0, "alice", days_ago)
        .established(0, 1, &context("a1", "alice"))
        .client_with(1, "bob", days_ago)
        .refused(1, 1, ErrorCode::AuthFailed)
        .refused(1, 2, ErrorCode::IdgenUnavailable)
        .build();
    assert_eq!(
        messages(&trace),
        [
            "session c0#1: was established with a token expired 259200 s before the client started, though \
             auth's clock read 1700000000 s or later, past its exp 1699740800 s and the 2 s leeway",
            "session c1#1: a token expired 259200 s before the client started was refused with AUTH_FAILED; \
             expected TOKEN_EXPIRED (1008)",
            "session c1#2: a token expired 259200 s before the client started was refused with \
             IDGEN_UNAVAILABLE; expected TOKEN_EXPIRED (1008)",
        ]
    );

    let right = TraceBuilder::new()
        .client_with(0, "alice", days_ago)
        .refused(0, 1, ErrorCode::AuthUnavailable)
        .refused(0, 2, ErrorCode::TokenExpired)
        .build();
    assert_eq!(messages(&right), Vec::<String>::new());
}

#[test]
fn a_token_expired_seconds_ago_is_judged_by_the_clock_of_auth_not_the_client() {
    // auth's clock is a minute behind the client host's: the token expired 30 s before the client
    // started is still valid to auth, which may accept it, and cannot call it expired.
    let behind = |b: TraceBuilder| {
        b.skewed(AUTH, -60_000).client_with(0, "alice", TokenKind::Expired { ago_secs: 30 })
    };
    let accepted = behind(TraceBuilder::new())
        .refused(0, 1, ErrorCode::IdgenUnavailable)
        .established(0, 2, &context("a1", "alice"))
        .build();
    assert_eq!(messages(&accepted), Vec::<String>::new());

    let called_expired = behind(TraceBuilder::new()).refused(0, 1, ErrorCode::TokenExpired).build();
    assert_eq!(
        messages(&called_expired),
        ["session c0#1: a token expired 30 s before the client started was refused with TOKEN_EXPIRED, but \
             auth's clock read 1699999940 to 1699999940 s, when it was valid"]
    );
}

#[test]
fn a_token_not_valid_yet_is_refused_with_auth_failed_unless_the_clock_of_auth_has_reached_its_nbf() {
    let ten_minutes = TokenKind::NotYetValid { in_secs: 600 };
    let trace = TraceBuilder::new()
        .client_with(0, "alice", ten_minutes)
        .established(0, 1, &context("a1", "alice"))
        .client_with(1, "bob", ten_minutes)
        .refused(1, 1, ErrorCode::TokenExpired)
        .refused(1, 2, ErrorCode::AuthFailed)
        .build();
    assert_eq!(
        messages(&trace),
        [
            "session c0#1: was established with a token not valid until 600 s after the client started, \
             though auth's clock read 1700000000 s or earlier, before its nbf 1700000600 s less the 2 s leeway",
            "session c1#1: a token not valid until 600 s after the client started was refused with \
             TOKEN_EXPIRED; expected AUTH_FAILED (1008)",
        ]
    );

    // auth's clock is 700 s ahead: past the token's nbf.
    let ahead = TraceBuilder::new()
        .skewed(AUTH, 700_000)
        .client_with(0, "alice", ten_minutes)
        .established(0, 1, &context("a1", "alice"))
        .build();
    assert_eq!(messages(&ahead), Vec::<String>::new());
}
