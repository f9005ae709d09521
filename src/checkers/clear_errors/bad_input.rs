//! Bad input gets its documented answer and nothing else is lost (`docs/design.md` §2.4, §2.7). A frame the
//! protocol cannot use gets `BAD_MESSAGE` and the session goes on; a text frame that is not UTF-8
//! gets `BAD_ENCODING` and 1007; an upgrade request without a usable token gets 401
//! `AUTH_FAILED`, and one that is not a WebSocket upgrade 400 `BAD_MESSAGE`. And the other way
//! round: those answers only ever follow such input.
//!
//! A server close owes 1007 to a frame that is not UTF-8 only if the frame surely reached the
//! gateway before it wrote the close: the gateway may have closed the session for another reason
//! (an idle timeout, say) while the frame was on its way.

use crate::checkers::expected::MAX_TOKEN_BYTES;
use crate::protocol::{CloseCode, ErrorCode, ServerFrame};
use crate::rules::Clause;
use crate::sim::client::UNKNOWN_TYPE;
use crate::sim::scenario::{BadInput, GATEWAY};
use crate::sim::trace::{Event, Side};

use super::super::conditions::Conditions;
use super::super::history::History;
use super::super::sessions::Session;

const TOKEN_REFUSED: Clause = Clause::kept("handshake.token");
const TOKEN_ONLY: Clause = Clause::justified("handshake.token");
const LONG_REFUSED: Clause = Clause::kept("handshake.long-token");
const LONG_ONLY: Clause = Clause::justified("handshake.long-token");
const UPGRADE_REFUSED: Clause = Clause::kept("handshake.upgrade");
const UPGRADE_ONLY: Clause = Clause::justified("handshake.upgrade");
const BAD_FRAME: Clause = Clause::kept("protocol.bad-frame");
const BAD_FRAME_ONLY: Clause = Clause::justified("protocol.bad-frame");
const BINARY: Clause = Clause::kept("protocol.binary");
const ENCODING: Clause = Clause::kept("protocol.encoding");
const ENCODING_ONLY: Clause = Clause::justified("protocol.encoding");

/// What is wrong with how the gateway answered `session`'s bad input, or with an answer for bad
/// input it never sent; with when and the rule it breaks. The clauses the session gave something
/// to judge go to `judged`.
pub fn misanswered(
    session: &Session<'_>,
    conditions: &Conditions<'_>,
    history: &History<'_>,
    judged: &mut Vec<Clause>,
) -> Vec<(Clause, u64, String)> {
    let mut found: Vec<(Clause, u64, String)> = Vec::new();
    let bad = session.bad_input();
    for record in &session.records {
        let Event::Handshake { status, body, .. } = &record.event else { continue };
        let (kept, justified) = handshake_rules(bad);
        judged.extend(kept.into_iter().chain(justified.iter().copied()));
        if let Some(problem) = handshake(bad, *status, body.as_deref()) {
            let clause = kept.unwrap_or_else(|| {
                let refused_as = if *status == 400 { UPGRADE_ONLY } else { TOKEN_ONLY };
                justified.iter().copied().find(|&c| c == LONG_ONLY).unwrap_or(refused_as)
            });
            found.push((clause, record.at_ms, problem));
        }
    }
    let sent_bad_at = session.records.iter().find_map(|record| match record.event {
        Event::SentBad { .. } => Some(record.at_ms),
        _ => None,
    });
    for (index, record) in session.records.iter().enumerate() {
        let Event::Received { frame: ServerFrame::Error(error), .. } = &record.event else { continue };
        let at_ms = record.at_ms;
        // A copy of a message refused as a duplicate is judged as one.
        if error.message_id.as_deref().is_some_and(|id| session.copied_last(id, index)) {
            continue;
        }
        let frame_flaw = bad.filter(|bad| !bad.is_upgrade() && sent_bad_at.is_some_and(|sent| sent <= at_ms));
        let (caused, clause) = match error.code {
            ErrorCode::BadMessage => (frame_flaw.is_some_and(|bad| bad != BadInput::NotUtf8), BAD_FRAME_ONLY),
            ErrorCode::BadEncoding => (frame_flaw == Some(BadInput::NotUtf8), ENCODING_ONLY),
            _ => continue,
        };
        judged.push(clause);
        if !caused {
            let problem = format!("{} without a bad frame from the client before it", error.code.as_str());
            found.push((clause, at_ms, problem));
        }
    }
    if let (Some(bad), Some(sent)) = (bad.filter(|bad| !bad.is_upgrade()), sent_bad_at) {
        // The gateway wrote what the client got at `at` no sooner than the link's greatest latency
        // before; the bad frame was there by that latency after `sent`, unless a fault held it.
        let max = conditions.latency(session.host, GATEWAY).1;
        let read_before = |at: u64| {
            sent + 1 + max <= at.saturating_sub(max)
                && !history.link_faulted_during(session.host, GATEWAY, sent, at)
        };
        let clause = match bad {
            BadInput::NotUtf8 => ENCODING,
            BadInput::Binary => BINARY,
            _ => BAD_FRAME,
        };
        judged.push(clause);
        found.extend(
            after_bad_frame(session, bad, read_before)
                .into_iter()
                .map(|(at_ms, problem)| (clause, at_ms, problem)),
        );
    }
    found
}

/// The rules an upgrade request with `bad` (if an upgrade's flaw) is judged by: the one whose
/// refusal it must get, or, when it must be upgraded, those that forbid refusing it.
fn handshake_rules(bad: Option<BadInput>) -> (Option<Clause>, &'static [Clause]) {
    match bad.filter(|bad| bad.is_upgrade()) {
        Some(BadInput::LongToken { bytes }) if bytes > MAX_TOKEN_BYTES => (Some(LONG_REFUSED), &[]),
        Some(BadInput::LongToken { .. }) => (None, &[LONG_ONLY, UPGRADE_ONLY]),
        Some(BadInput::WrongVersion | BadInput::WrongUpgrade) => (Some(UPGRADE_REFUSED), &[]),
        Some(_) => (Some(TOKEN_REFUSED), &[]),
        None => (None, &[TOKEN_ONLY, UPGRADE_ONLY]),
    }
}

/// The status and error code a bad upgrade request must get, or `None` when it must be upgraded.
fn refusal(bad: BadInput) -> Option<(u16, ErrorCode)> {
    match bad {
        BadInput::LongToken { bytes } if bytes <= MAX_TOKEN_BYTES => None,
        BadInput::WrongVersion | BadInput::WrongUpgrade => Some((400, ErrorCode::BadMessage)),
        _ => Some((401, ErrorCode::AuthFailed)),
    }
}

/// What is wrong with an HTTP answer `status` with `body` to an upgrade request, bad as `bad`
/// says if it is an upgrade's flaw. A 503 (the gateway warming up or shutting down) answers
/// anything. The client keeps only the part of the body that came with the headers, so a body cut
/// short by the stream's chunking is judged by its status alone. The client keeps only the part of the body that came with the headers, so a body cut
/// short by the stream's chunking is judged by its status alone.
fn handshake(bad: Option<BadInput>, status: u16, body: Option<&str>) -> Option<String> {
    let wanted = bad.filter(|bad| bad.is_upgrade()).and_then(refusal);
    let code =
        body.and_then(|body| serde_json::from_str::<ServerFrame>(body).ok()).and_then(|frame| match frame {
            ServerFrame::Error(error) => Some(error.code),
            _ => None,
        });
    match (wanted, status) {
        (_, 503) => None,
        (Some((want_status, want_code)), _)
            if status != want_status || code.is_some_and(|c| c != want_code) =>
        {
            Some(format!(
                "a bad upgrade request ({:?}) got HTTP {status} {}, not {want_status} {}",
                bad.expect("a refusal is wanted of a bad request"),
                code.map_or("without an error code", ErrorCode::as_str),
                want_code.as_str()
            ))
        }
        (None, 400..500) => Some(format!(
            "an upgrade request with a token got HTTP {status} {}: only a request without a usable token or \
             not an upgrade may be refused before the upgrade",
            code.map_or("without an error code", ErrorCode::as_str)
        )),
        _ => None,
    }
}

/// What is wrong with the words of the first error after a bad frame: the design says what each
/// says was wrong (§2.7), an unknown type cut to 64 characters.
fn misworded(bad: BadInput, message: &str) -> Option<String> {
    let (fits, wanted) = match bad {
        BadInput::NotJson => (message.starts_with("malformed JSON: "), "`malformed JSON: ...`".to_owned()),
        BadInput::MissingField => (message == "missing field `id`", "``missing field `id` ``".to_owned()),
        BadInput::UnknownType => {
            let cut: String = UNKNOWN_TYPE.chars().take(64).collect();
            let wanted = format!("unknown message type {cut:?}");
            (message == wanted, format!("`{wanted}`"))
        }
        _ => return None,
    };
    (!fits).then(|| format!("the error for {bad:?} says {message:?}, not {wanted}"))
}

/// After the session's bad frame: a `BAD_MESSAGE` before anything about a later message, which
/// shows the gateway read on; after one that is not UTF-8, nothing about a later message, and a
/// close by the server with 1007.
fn after_bad_frame(
    session: &Session<'_>,
    bad: BadInput,
    read_before: impl Fn(u64) -> bool,
) -> Vec<(u64, String)> {
    // Later in the trace's order, not by the clock: an eager burst leaves in the same millisecond
    // as a bad frame sent after it, and may be answered in that millisecond too.
    let from = session.records.iter().position(|record| matches!(record.event, Event::SentBad { .. }));
    let after = &session.records[from.unwrap_or(0)..];
    let later: Vec<&str> = after
        .iter()
        .filter_map(|record| match &record.event {
            Event::Sent { message_id, .. } => Some(message_id.as_str()),
            _ => None,
        })
        .collect();
    let mut told = false;
    let mut client_closed = false;
    for record in after {
        match &record.event {
            Event::Received { frame: ServerFrame::Error(error), .. }
                if error.code == ErrorCode::BadMessage || error.code == ErrorCode::BadEncoding =>
            {
                if !told && let Some(problem) = misworded(bad, &error.message) {
                    return vec![(record.at_ms, problem)];
                }
                told = true;
            }
            Event::Received { frame, .. } if frame.message_id().is_some_and(|id| later.contains(&id)) => {
                let problem = if bad == BadInput::NotUtf8 {
                    "the gateway read on after a text frame that is not UTF-8, which must close the session with 1007"
                } else if told {
                    continue;
                } else {
                    "the gateway answered a later message without a BAD_MESSAGE for the client's bad frame before it"
                };
                return vec![(record.at_ms, problem.to_owned())];
            }
            Event::Closed { by: Side::Client, .. } => client_closed = true,
            Event::Closed { by: Side::Server, code, .. } if bad == BadInput::NotUtf8 && !client_closed => {
                let wanted = CloseCode::InvalidPayload.as_u16();
                // Without a BAD_ENCODING, the close owes 1007 only if the gateway had the frame.
                let owed = told || read_before(record.at_ms);
                return (owed && (*code != Some(wanted) || !told))
                    .then(|| {
                        let code = code.map_or_else(|| "no code".to_owned(), |c| c.to_string());
                        let problem = format!(
                            "after a text frame that is not UTF-8 the server closed with {code}{}, not BAD_ENCODING and {wanted}",
                            if told { "" } else { " without BAD_ENCODING" }
                        );
                        (record.at_ms, problem)
                    })
                    .into_iter()
                    .collect();
            }
            _ => {}
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::UNKNOWN_TYPE;
    use crate::checkers::clear_errors::check;
    use crate::checkers::expected::MAX_TOKEN_BYTES;
    use crate::checkers::testing::{TraceBuilder, context, violations};
    use crate::protocol::{ErrorCode, ErrorFrame, ServerFrame};
    use crate::sim::scenario::BadInput;
    use crate::sim::trace::Event;

    fn messages(trace: TraceBuilder) -> Vec<String> {
        violations(check, &trace.build()).into_iter().map(|v| v.message).collect()
    }

    fn error(code: ErrorCode) -> ServerFrame {
        let wording = "malformed JSON: EOF while parsing a value at line 1 column 33";
        ServerFrame::Error(ErrorFrame::new(code, wording).in_context(&context("a1", "alice")))
    }

    /// Alice's session after her client sent `bad`.
    fn after(bad: BadInput) -> TraceBuilder {
        TraceBuilder::new().client(0, "alice").established(0, 1, &context("a1", "alice")).sent_bad(0, 1, bad)
    }

    fn handshake(bad: Option<BadInput>, status: u16, code: ErrorCode) -> TraceBuilder {
        let builder = TraceBuilder::new().client(0, "alice");
        let builder = match bad {
            Some(bad) => builder.sent_bad(0, 1, bad),
            None => builder,
        };
        let body =
            Some(serde_json::to_string(&ServerFrame::Error(ErrorFrame::new(code, "refused"))).unwrap());
        builder.record("client-0", Event::Handshake { client: 0, session: 1, status, body, echo: None })
    }

    #[test]
    fn a_bad_frame_answered_with_bad_message_before_the_next_message_passes() {
        assert_eq!(
            messages(
                after(BadInput::NotJson).received(0, 1, error(ErrorCode::BadMessage)).message(0, 1, 0, "hi")
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_message_sent_before_the_bad_frame_in_the_same_millisecond_may_be_answered_first() {
        let eager = TraceBuilder::new()
            .client(0, "alice")
            .established(0, 1, &context("a1", "alice"))
            .message(0, 1, 0, "hi")
            .sent_bad(0, 1, BadInput::Binary)
            .received(0, 1, error(ErrorCode::BadMessage));
        assert_eq!(messages(eager), Vec::<String>::new());
    }

    #[test]
    fn a_later_message_answered_without_bad_message_for_the_bad_frame_is_caught() {
        let found = messages(after(BadInput::UnknownType).message(0, 1, 0, "hi"));
        assert_eq!(
            found,
            [
                "session c0#1: the gateway answered a later message without a BAD_MESSAGE for the client's bad frame before it"
            ]
        );
    }

    #[test]
    fn bad_message_or_bad_encoding_without_a_bad_frame_is_caught() {
        let trace = TraceBuilder::new().client(0, "alice").established(0, 1, &context("a1", "alice"));
        let found = messages(trace.received(0, 1, error(ErrorCode::BadMessage)));
        assert_eq!(found, ["session c0#1: BAD_MESSAGE without a bad frame from the client before it"]);
        let found = messages(after(BadInput::Binary).received(0, 1, error(ErrorCode::BadEncoding)));
        assert!(
            found.contains(
                &"session c0#1: BAD_ENCODING without a bad frame from the client before it".to_owned()
            ),
            "{found:?}"
        );
    }

    #[test]
    fn a_frame_that_is_not_utf8_must_end_the_session_with_bad_encoding_and_1007() {
        let closed = |code| {
            after(BadInput::NotUtf8).received(0, 1, error(ErrorCode::BadEncoding)).closed_by_server(
                0,
                1,
                Some(code),
            )
        };
        assert_eq!(messages(closed(1007)), Vec::<String>::new());
        let found = messages(closed(1000));
        assert!(
            found
                .iter()
                .any(|m| m.contains("not UTF-8 the server closed with 1000, not BAD_ENCODING and 1007")),
            "{found:?}"
        );
        let read_on =
            after(BadInput::NotUtf8).received(0, 1, error(ErrorCode::BadEncoding)).message(0, 1, 0, "hi");
        assert_eq!(
            messages(read_on),
            [
                "session c0#1: the gateway read on after a text frame that is not UTF-8, which must close the session with 1007"
            ]
        );
    }

    #[test]
    fn a_close_that_may_have_left_before_a_frame_that_is_not_utf8_arrived_owes_it_nothing() {
        // Seed 20297: the gateway closed as idle while the frame was on its 1..=10 ms way.
        let idle_at = |at_ms| {
            after(BadInput::NotUtf8).at(at_ms).received(0, 1, error(ErrorCode::IdleTimeout)).closed_by_server(
                0,
                1,
                Some(1008),
            )
        };
        assert_eq!(messages(idle_at(10)), Vec::<String>::new());
        let found = messages(idle_at(100));
        assert!(
            found.iter().any(|m| m.contains("not UTF-8 the server closed with 1008 without BAD_ENCODING")),
            "{found:?}"
        );
    }

    #[test]
    fn bad_upgrade_requests_get_their_status_and_code_and_good_ones_no_4xx() {
        assert_eq!(
            messages(handshake(Some(BadInput::NoToken), 401, ErrorCode::AuthFailed)),
            Vec::<String>::new()
        );
        assert_eq!(
            messages(handshake(Some(BadInput::WrongVersion), 400, ErrorCode::BadMessage)),
            Vec::<String>::new()
        );
        assert_eq!(
            messages(handshake(Some(BadInput::EmptyBearer), 503, ErrorCode::Internal)),
            Vec::<String>::new()
        );
        let found = messages(handshake(Some(BadInput::WrongUpgrade), 401, ErrorCode::AuthFailed));
        assert_eq!(
            found,
            [
                "session c0#1: a bad upgrade request (WrongUpgrade) got HTTP 401 AUTH_FAILED, not 400 BAD_MESSAGE"
            ]
        );
        let at_the_limit = Some(BadInput::LongToken { bytes: MAX_TOKEN_BYTES });
        let found = messages(handshake(at_the_limit, 401, ErrorCode::AuthFailed));
        assert!(found[0].contains("an upgrade request with a token got HTTP 401 AUTH_FAILED"), "{found:?}");
        let found = messages(handshake(None, 401, ErrorCode::AuthFailed));
        assert!(found[0].contains("an upgrade request with a token got HTTP 401 AUTH_FAILED"), "{found:?}");
    }

    #[test]
    fn a_bad_frame_must_be_told_what_was_wrong_in_the_designs_words() {
        let told = |bad: BadInput, wording: &str| {
            let error = ErrorFrame::new(ErrorCode::BadMessage, wording).in_context(&context("a1", "alice"));
            messages(after(bad).received(0, 1, ServerFrame::Error(error)).message(0, 1, 0, "hi"))
        };
        let cut = format!("unknown message type {:?}", &UNKNOWN_TYPE[..64]);
        assert_eq!(told(BadInput::UnknownType, &cut), Vec::<String>::new());
        assert_eq!(told(BadInput::MissingField, "missing field `id`"), Vec::<String>::new());
        let whole = format!("unknown message type {UNKNOWN_TYPE:?}");
        let found = told(BadInput::UnknownType, &whole);
        assert!(found[0].contains("not `unknown message type \"dance_with"), "{found:?}");
        let found = told(BadInput::MissingField, "bad frame");
        assert_eq!(
            found,
            ["session c0#1: the error for MissingField says \"bad frame\", not ``missing field `id` ``"]
        );
    }
}
