//! Clear errors: a client can always tell why the server closed its session.
//!
//! - Every close by the server has a documented code ([`CloseCode`]), and every code but 1000 is
//!   preceded by an error frame whose code calls for exactly that close ([`ErrorCode::close_code`]):
//!   1013 by `AUTH_UNAVAILABLE` or `IDGEN_UNAVAILABLE`, which name the dependency; 1008 by a token
//!   or limit error; and so on. An error that calls for a close is not followed by a 1000, unless
//!   the client had closed first and the 1000 is the server's echo of its close.
//! - 1011 never occurs: it means a bug in the gateway.
//! - Every error frame's `retryable` is its code's.
//! - A bad token is refused as what it is. The trace knows each client's token kind; it does not
//!   know auth's clock skew, so an expired token that auth still accepted (its clock behind the
//!   client's) is not judged, nor a token that auth's clock already sees as expired. A malformed
//!   token, or one for a user auth does not know, is never established and is refused with
//!   `AUTH_FAILED` (1008), or `AUTH_UNAVAILABLE` (1013) while auth cannot be asked; an expired one
//!   is never refused as `AUTH_FAILED`. Whether a bad token keeps getting 1013 once auth is
//!   healthy is the liveness checker's question.

use crate::protocol::{CloseCode, ErrorCode, ErrorFrame, ServerFrame};
use crate::sim::Violation;
use crate::sim::scenario::TokenKind;
use crate::sim::trace::{Event, Side, Trace};

use super::sessions::{Session, sessions};

pub const NAME: &str = "clear-errors";

pub fn check(trace: &Trace) -> Vec<Violation> {
    sessions(trace).iter().flat_map(check_session).collect()
}

fn check_session(session: &Session<'_>) -> Vec<Violation> {
    let mut found = Vec::new();
    let mut report = |at_ms: u64, what: String| found.push(session.violation(NAME, at_ms, what));
    let mut last_error: Option<&ErrorFrame> = None;
    let mut established = false;
    let mut client_closed = false;
    for record in &session.records {
        let at_ms = record.at_ms;
        match &record.event {
            Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. } => {
                established = true;
                if let Some(kind) =
                    session.token.filter(|t| matches!(t, TokenKind::Malformed | TokenKind::UnknownUser))
                {
                    report(at_ms, format!("was established with {}", token_text(kind)));
                }
            }
            Event::Received { frame: ServerFrame::Error(error), .. } => {
                let code = error.code;
                if error.retryable != code.retryable() {
                    report(
                        at_ms,
                        format!(
                            "error {} says retryable: {}, but that code is {}",
                            code.as_str(),
                            error.retryable,
                            if code.retryable() { "retryable" } else { "final" }
                        ),
                    );
                }
                if let Some(problem) =
                    session.token.filter(|_| !established).and_then(|t| wrong_refusal(t, code))
                {
                    report(at_ms, problem);
                }
                last_error = Some(error);
            }
            Event::Closed { by: Side::Client, .. } => client_closed = true,
            Event::Closed { by: Side::Server, code, reason, .. } => {
                // After the client's close, a 1000 from the server is the echo of it, whatever
                // error the server had sent meanwhile.
                let echo = client_closed && *code == Some(CloseCode::Normal.as_u16());
                if let Some(problem) = close_problem(*code, reason, last_error).filter(|_| !echo) {
                    report(at_ms, problem);
                }
            }
            _ => {}
        }
    }
    found
}

/// What is wrong with a close by the server with `code`, after `last_error`.
fn close_problem(code: Option<u16>, reason: &str, last_error: Option<&ErrorFrame>) -> Option<String> {
    let Some(code) = code else { return Some("the server closed without a close code".to_owned()) };
    let error_text = |error: &ErrorFrame| format!("{} {:?}", error.code.as_str(), error.message);
    let Some(close) = CloseCode::from_u16(code) else {
        return Some(format!(
            "the server closed with {code} ({reason:?}), which is not a documented close code"
        ));
    };
    let called_for = last_error.and_then(|error| error.code.close_code().map(|c| (error, c)));
    match (close, called_for) {
        (CloseCode::Internal, _) => {
            let before = last_error.map_or_else(|| "no error frame".to_owned(), error_text);
            Some(format!("the server closed with 1011 ({reason:?}) after {before}: 1011 means a gateway bug"))
        }
        (CloseCode::Normal, Some((error, wanted))) => Some(format!(
            "the server closed with 1000 after error {}, which calls for {}",
            error.code.as_str(),
            wanted.as_u16()
        )),
        (CloseCode::Normal, None) => None,
        (_, Some((_, wanted))) if wanted == close => None,
        (_, _) => {
            let before = last_error.map_or_else(
                || "without an error frame saying why".to_owned(),
                |e| format!("after {}", error_text(e)),
            );
            Some(format!("the server closed with {code} {before}; {code} needs an error that calls for it"))
        }
    }
}

/// What is wrong with refusing a token of `kind` with `code` before the session was established.
fn wrong_refusal(kind: TokenKind, code: ErrorCode) -> Option<String> {
    use ErrorCode::{AuthFailed, AuthUnavailable, TokenExpired};
    let (fine, expected) = match kind {
        TokenKind::Valid { .. } => return None,
        TokenKind::Malformed => (matches!(code, AuthFailed | AuthUnavailable), AuthFailed),
        // auth's clock, skewed and not in the trace, may see even this token as expired.
        TokenKind::UnknownUser => (matches!(code, AuthFailed | TokenExpired | AuthUnavailable), AuthFailed),
        // auth's clock may be far enough behind the client's to accept it, and then whatever a
        // valid token meets may follow; but auth never calls an expired token invalid.
        TokenKind::Expired { .. } => (code != AuthFailed, TokenExpired),
    };
    (!fine).then(|| {
        let policy = CloseCode::Policy.as_u16();
        format!(
            "{} was refused with {}; expected {} ({policy})",
            token_text(kind),
            code.as_str(),
            expected.as_str()
        )
    })
}

fn token_text(kind: TokenKind) -> String {
    match kind {
        TokenKind::Valid { ttl_secs } => format!("a token valid for {ttl_secs} s"),
        TokenKind::Expired { ago_secs } => format!("a token expired {ago_secs} s before the client started"),
        TokenKind::UnknownUser => "a token for a user auth does not know".to_owned(),
        TokenKind::Malformed => "a malformed token".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context, golden};

    fn messages(trace: &Trace) -> Vec<String> {
        check(trace).into_iter().map(|v| v.message).collect()
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
        let found = check(&trace);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].client, found[0].session), (Some(0), Some(1)));
        assert_eq!(
            found[0].message,
            "session c0#1: the server closed with 1011 (\"\") after INTERNAL \"refused\": 1011 means a gateway bug"
        );
    }

    #[test]
    fn closes_without_a_matching_error_or_with_an_unknown_code_are_caught() {
        let trace = TraceBuilder::new()
            .client(0, "alice")
            .upgraded(0, 1)
            .closed_by_server(0, 1, Some(1013))
            .upgraded(0, 2)
            .received(
                0,
                2,
                ServerFrame::Error(ErrorFrame::new(ErrorCode::AuthUnavailable, "auth unavailable")),
            )
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
        let found = check(&golden("per-message-context-idgen-bounce.jsonl"));
        assert!(!found.is_empty());
        assert!(found.iter().all(|v| v.message.contains("closed with 1011")), "{found:?}");
    }
}
