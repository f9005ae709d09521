//! Clear errors: a client can always tell why the server closed its session.
//!
//! - Every close by the server has a documented code ([`CloseCode`]), and every code but 1000 is
//!   preceded by an error frame whose code calls for exactly that close
//!   ([`crate::protocol::ErrorCode::close_code`]): 1013 by `AUTH_UNAVAILABLE` or `IDGEN_UNAVAILABLE`, which name the dependency; 1008 by a token
//!   or limit error; and so on. An error that calls for a close is not followed by a 1000, unless
//!   the client had closed first and the 1000 is the server's echo of its close.
//! - 1011 never occurs: it means a bug in the gateway.
//! - Every error frame's `retryable` is its code's.
//! - A bad token is never accepted, and is refused as what it is ([`tokens`]): `AUTH_FAILED`
//!   (1008) for every flaw but expiry, `TOKEN_EXPIRED` (1008) for an expired one, or
//!   `AUTH_UNAVAILABLE` (1013) while auth cannot be asked. Whether a token has expired or is not
//!   valid yet is judged by auth's clock, which the trace records, so a token that expired
//!   seconds before its client started may rightly be accepted by an auth whose clock is behind
//!   the client's. Whether a bad token keeps getting 1013 once auth is healthy is the liveness
//!   checker's question.
//! - A limit's refusal has its cause in the trace ([`limits`]): `MESSAGE_TOO_BIG` follows a frame
//!   over the recorded limit, `RATE_LIMITED` a session's burst, `TOO_MANY_SESSIONS` as many
//!   sessions of the user as the limit.
//! - Bad input gets its documented answer and loses nothing else ([`bad_input`]): `BAD_MESSAGE`
//!   for a frame the protocol cannot use, the session going on; `BAD_ENCODING` and 1007 for a
//!   text frame that is not UTF-8; 401 `AUTH_FAILED` for an upgrade without a usable token, 400
//!   `BAD_MESSAGE` for one that is not an upgrade. Those answers follow only such input.
//! - The rate limit is kept ([`rate`]): no stretch of a session has more messages admitted than
//!   the bucket holds and refills over it; `RATE_LIMITED` comes only when the bucket may have
//!   been empty, and asks for a wait no longer than one token takes to refill and no shorter than
//!   the bucket can have been from its next token.

use crate::protocol::{CloseCode, ErrorFrame, ServerFrame};
use crate::sim::Violation;
use crate::sim::trace::{Event, Side, Trace};

use self::tokens::{AuthClock, Verdict};
use super::conditions::Conditions;
use super::history::History;
use super::sessions::{Session, sessions};

mod bad_input;
mod limits;
mod rate;
mod tokens;

pub const NAME: &str = "clear-errors";

pub fn check(trace: &Trace) -> Vec<Violation> {
    let clock = AuthClock::of(trace);
    let conditions = Conditions::of(trace);
    let history = History::of(trace);
    let all = sessions(trace);
    all.iter().flat_map(|session| check_session(session, &all, clock, &conditions, &history)).collect()
}

fn check_session(
    session: &Session<'_>,
    all: &[Session<'_>],
    clock: Option<AuthClock>,
    conditions: &Conditions<'_>,
    history: &History<'_>,
) -> Vec<Violation> {
    let limits = &conditions.limits;
    let mut found = Vec::new();
    let mut report = |at_ms: u64, what: String| found.push(session.violation(NAME, at_ms, what));
    // What auth may have said of the session's token, validating it before `at_ms`.
    let verdict =
        |at_ms| session.token.and_then(|token| Verdict::new(token, clock, session.attempt_ms(), at_ms));
    let mut last_error: Option<&ErrorFrame> = None;
    let mut established = false;
    let mut client_closed = false;
    for record in &session.records {
        let at_ms = record.at_ms;
        match &record.event {
            Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. } => {
                established = true;
                if let Some(problem) = verdict(at_ms).and_then(|v| v.wrong_acceptance()) {
                    report(at_ms, problem);
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
                    verdict(at_ms).filter(|_| !established).and_then(|v| v.wrong_refusal(code))
                {
                    report(at_ms, problem);
                }
                if let Some(problem) = limits::uncaused(session, all, error, at_ms, limits) {
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
    if let Some((at_ms, problem)) = rate::over_the_rate(session, limits) {
        report(at_ms, problem);
    }
    for (at_ms, problem) in rate::refusals(session, limits) {
        report(at_ms, problem);
    }
    for (at_ms, problem) in bad_input::misanswered(session, conditions, history) {
        report(at_ms, problem);
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

#[cfg(test)]
mod tests;
