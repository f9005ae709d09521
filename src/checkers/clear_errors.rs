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
//! - A copy of a message in flight is refused `BAD_MESSAGE` as a duplicate, and only such a copy
//!   ([`duplicates`]); a message under the id of an answered one is a new message.
//! - The rate limit is kept ([`rate`]): no stretch of a session has more messages admitted than
//!   the bucket holds and refills over it; `RATE_LIMITED` comes only when the bucket may have
//!   been empty, and asks for a wait no longer than one token takes to refill and no shorter than
//!   the bucket can have been from its next token.
//! - auth and idgen answer a caller other than the gateway as documented ([`service_calls`]):
//!   503 while warming up and only then, 401 without a body to a wrong service secret and only
//!   to one, 400 naming the reason to a user id no session may have and only to one.

use crate::protocol::{ErrorCode, ErrorFrame, ServerFrame};
use crate::rules::Clause;
use crate::sim::trace::{Event, Side, Trace};

use self::tokens::{AuthClock, Verdict};
use super::conditions::Conditions;
use super::history::History;
use super::sessions::{Session, sessions};
use super::{Findings, expected};

mod bad_input;
mod duplicates;
mod limits;
mod rate;
mod refusals;
mod service_calls;
mod session_limit;
mod subprotocol;
mod tokens;

pub const NAME: &str = "clear-errors";

/// The rules it judges itself; its parts name their own.
const RETRYABLE: Clause = Clause::justified("errors.retryable");
const BEFORE_CLOSE: Clause = Clause::kept("errors.before-close");
const CODES: Clause = Clause::justified("errors.codes");
const INTERNAL: Clause = Clause::justified("errors.internal");
const NORMAL_KEPT: Clause = Clause::kept("close.normal");
const NORMAL_ONLY: Clause = Clause::justified("close.normal");

/// The reason of the gateway's 1000 when it shuts down (`session/mod.rs`).
const SHUTTING_DOWN: &str = "server shutting down";

/// The close codes the checks below name.
const NORMAL: u16 = 1000;
const INTERNAL_ERROR: u16 = 1011;

pub fn check(trace: &Trace, findings: &mut Findings) {
    let clock = AuthClock::of(trace);
    let conditions = Conditions::of(trace);
    let history = History::of(trace);
    let all = sessions(trace);
    for session in &all {
        check_session(session, &all, clock, &conditions, &history, findings);
    }
    let mut judged = Vec::new();
    let limit = conditions.limits.sessions_per_user;
    for (session, at_ms, problem) in session_limit::over_the_limit(&all, limit, &history, &mut judged) {
        findings.push(session.violation(session_limit::KEPT, at_ms, problem));
    }
    judged.into_iter().for_each(|clause| findings.judged(clause));
    service_calls::check(trace, &conditions, findings);
}

fn check_session(
    session: &Session<'_>,
    all: &[Session<'_>],
    clock: Option<AuthClock>,
    conditions: &Conditions<'_>,
    history: &History<'_>,
    found: &mut Findings,
) {
    let limits = &conditions.limits;
    let mut report =
        |clause: Clause, at_ms: u64, what: String| found.push(session.violation(clause, at_ms, what));
    // What auth may have said of the session's token, validating it before `at_ms`.
    let verdict = |at_ms| session.token.map(|token| Verdict::new(token, clock, session.attempt_ms(), at_ms));
    let mut judged = Vec::new();
    let mut last_error: Option<&ErrorFrame> = None;
    let mut established = false;
    let mut client_closed = false;
    for record in &session.records {
        let at_ms = record.at_ms;
        match &record.event {
            Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. } => {
                established = true;
                let Some(verdict) = verdict(at_ms) else { continue };
                judged.extend(verdict.possible_flaws().map(refusals::kept));
                if let Some((flaw, problem)) = verdict.wrong_acceptance() {
                    report(refusals::kept(flaw), at_ms, problem);
                }
            }
            Event::Received { frame: ServerFrame::Error(error), .. } => {
                let code = error.code;
                judged.push(RETRYABLE);
                if error.retryable != expected::retryable(code) {
                    let kind = if expected::retryable(code) { "retryable" } else { "final" };
                    let problem = format!(
                        "error {} says retryable: {}, but that code is {kind}",
                        code.as_str(),
                        error.retryable
                    );
                    report(RETRYABLE, at_ms, problem);
                }
                if !established {
                    let verdict = verdict(at_ms);
                    if let Some(verdict) = &verdict {
                        let clause = refusals::unjustified(code, verdict);
                        if matches!(code, ErrorCode::AuthFailed | ErrorCode::TokenExpired) {
                            judged.push(clause);
                        }
                        if let Some(problem) = verdict.wrong_refusal(code) {
                            report(clause, at_ms, problem);
                        }
                    }
                    for (clause, problem) in refusals::misjudged(error, verdict, &mut judged) {
                        report(clause, at_ms, problem);
                    }
                }
                judged.extend(limits::cause(error.code));
                if let Some((clause, problem)) = limits::uncaused(session, all, error, at_ms, conditions) {
                    report(clause, at_ms, problem);
                }
                last_error = Some(error);
            }
            Event::Closed { by: Side::Client, .. } => client_closed = true,
            Event::Closed { by: Side::Server, code, reason, .. } => {
                judged.push(NORMAL_ONLY);
                if *code == Some(NORMAL) && !client_closed && reason != SHUTTING_DOWN {
                    let problem =
                        format!("the server closed with 1000 ({reason:?}) though the client had not closed");
                    report(NORMAL_ONLY, at_ms, problem);
                }
                if client_closed {
                    judged.push(NORMAL_KEPT);
                    // A close of the server's own, called for by its error, may cross the client's.
                    let crossed = last_error.and_then(|error| expected::closes_with(error.code)) == *code;
                    if *code != Some(NORMAL) && !crossed {
                        let code = code.map_or_else(|| "no code".to_owned(), |c| c.to_string());
                        let problem = format!(
                            "the server answered the client's close with {code} ({reason:?}), not 1000"
                        );
                        report(NORMAL_KEPT, at_ms, problem);
                    }
                }
                // After the client's close, a 1000 from the server is the echo of it, whatever
                // error the server had sent meanwhile.
                if client_closed && *code == Some(NORMAL) {
                    continue;
                }
                judged.extend([CODES, INTERNAL, BEFORE_CLOSE]);
                if let Some((clause, problem)) = close_problem(*code, reason, last_error) {
                    report(clause, at_ms, problem);
                }
            }
            _ => {}
        }
    }
    if let Some((at_ms, problem)) = limits::read_past_too_big(session, limits, &mut judged) {
        report(limits::FRAME_SIZE_KEPT, at_ms, problem);
    }
    for (clause, at_ms, problem) in rate::judge(session, limits, &mut judged) {
        report(clause, at_ms, problem);
    }
    for (clause, at_ms, problem) in bad_input::misanswered(session, conditions, history, &mut judged) {
        report(clause, at_ms, problem);
    }
    for (clause, at_ms, problem) in duplicates::misjudged(session, &mut judged) {
        report(clause, at_ms, problem);
    }
    for (clause, at_ms, problem) in subprotocol::misnamed(session, &mut judged) {
        report(clause, at_ms, problem);
    }
    for clause in judged {
        found.judged(clause);
    }
}

/// What is wrong with a close by the server with `code`, after `last_error`, and the rule it breaks.
fn close_problem(
    code: Option<u16>,
    reason: &str,
    last_error: Option<&ErrorFrame>,
) -> Option<(Clause, String)> {
    let Some(code) = code else { return Some((CODES, "the server closed without a close code".to_owned())) };
    let error_text = |error: &ErrorFrame| format!("{} {:?}", error.code.as_str(), error.message);
    if !expected::documented_close(code) {
        let problem =
            format!("the server closed with {code} ({reason:?}), which is not a documented close code");
        return Some((CODES, problem));
    }
    let called_for = last_error.and_then(|error| expected::closes_with(error.code).map(|c| (error, c)));
    match (code, called_for) {
        (INTERNAL_ERROR, _) => {
            let before = last_error.map_or_else(|| "no error frame".to_owned(), error_text);
            let problem =
                format!("the server closed with 1011 ({reason:?}) after {before}: 1011 means a gateway bug");
            Some((INTERNAL, problem))
        }
        (NORMAL, Some((error, wanted))) => Some((
            BEFORE_CLOSE,
            format!(
                "the server closed with 1000 after error {}, which calls for {wanted}",
                error.code.as_str()
            ),
        )),
        (NORMAL, None) => None,
        (_, Some((_, wanted))) if wanted == code => None,
        (_, _) => {
            let before = last_error.map_or_else(
                || "without an error frame saying why".to_owned(),
                |e| format!("after {}", error_text(e)),
            );
            let problem =
                format!("the server closed with {code} {before}; {code} needs an error that calls for it");
            Some((BEFORE_CLOSE, problem))
        }
    }
}

#[cfg(test)]
mod tests;
