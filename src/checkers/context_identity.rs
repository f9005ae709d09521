//! Context identity: every frame of a session carries exactly the context of its
//! `connection_established`, and that context passes the design's strict validation, written
//! again by the checkers ([`expected::context_problem`]), so a fallback or placeholder context
//! (`thread_default`) is caught even when the session uses it consistently.
//!
//! The incidents' defect was a context rebuilt between connection and message handling: a frame
//! whose context differs from the session's is that defect made visible.

use crate::context::SessionContext;
use crate::protocol::ServerFrame;
use crate::rules::Clause;
use crate::sim::trace::Trace;

use super::sessions::{Session, describe, sessions};
use super::{Findings, expected};

pub const NAME: &str = "context-identity";

/// The rules it judges.
const VALID: Clause = Clause::justified("context.valid");
const FORMAT: Clause = Clause::justified("ids.format");
const FIRST: Clause = Clause::justified("session.established-first");
const SAME: Clause = Clause::justified("context.same");

pub fn check(trace: &Trace, findings: &mut Findings) {
    for session in sessions(trace) {
        check_session(&session, findings);
    }
}

fn check_session(session: &Session<'_>, found: &mut Findings) {
    let mut established: Option<(u64, &SessionContext)> = None;
    for (at_ms, frame) in session.frames() {
        let what = describe(frame);
        found.judged(FIRST);
        if established.is_some() {
            found.judged(SAME);
        }
        match (frame, established, frame.context()) {
            (ServerFrame::ConnectionEstablished { context }, None, _) => {
                found.judged(VALID);
                found.judged(FORMAT);
                if let Err((clause, why)) = validate(context) {
                    let explanation = format!(
                        "connection_established carries context {}, which the gateway's own validation \
                         refuses ({why}): a fallback or repaired context",
                        context.context_id
                    );
                    found.push(session.violation(clause, at_ms, explanation));
                }
                established = Some((at_ms, context));
            }
            (ServerFrame::ConnectionEstablished { context }, Some((first_ms, _)), _) => {
                let explanation = format!(
                    "a second connection_established (context {}) after the one at {first_ms} ms",
                    context.context_id
                );
                found.push(session.violation(FIRST, at_ms, explanation));
            }
            (_, None, Some(context)) => {
                let explanation =
                    format!("{what} carries context {} before connection_established", context.context_id);
                found.push(session.violation(FIRST, at_ms, explanation));
            }
            (_, Some((_, expected)), Some(context)) if context != expected => {
                let explanation = format!(
                    "{what} carries {} but the session was established with {}",
                    differences(context, expected),
                    expected.context_id
                );
                found.push(session.violation(SAME, at_ms, explanation));
            }
            (_, Some((_, expected)), None) => {
                let explanation =
                    format!("{what} carries no context although the session has {}", expected.context_id);
                found.push(session.violation(SAME, at_ms, explanation));
            }
            _ => {}
        }
    }
}

/// The design's validation of a context (`expected::context_problem`), applied to one the gateway
/// sent; what it refuses, under the rule it breaks: a malformed identifier is the identifiers'
/// rule, anything else the context's.
fn validate(context: &SessionContext) -> Result<(), (Clause, String)> {
    match expected::context_problem(context) {
        None => Ok(()),
        Some((identifier, why)) => Err((if identifier { FORMAT } else { VALID }, why)),
    }
}

/// `context ctx_b (thread_id thread_x instead of thread_y)`: what differs, field by field.
fn differences(got: &SessionContext, expected: &SessionContext) -> String {
    let fields = [
        ("context_id", &got.context_id, &expected.context_id),
        ("user_id", &got.user_id, &expected.user_id),
        ("thread_id", &got.thread_id, &expected.thread_id),
        ("run_id", &got.run_id, &expected.run_id),
        ("websocket_client_id", &got.websocket_client_id, &expected.websocket_client_id),
    ];
    let differing: Vec<_> = fields
        .iter()
        .filter(|(_, got, expected)| got != expected)
        .map(|(field, got, expected)| format!("{field} {got} instead of {expected}"))
        .collect();
    format!("context {} ({})", got.context_id, differing.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context, golden, violations};
    use crate::protocol::{ErrorCode, ErrorFrame};

    fn one_session() -> TraceBuilder {
        TraceBuilder::new().client(0, "alice").established(0, 1, &context("a1", "alice"))
    }

    #[test]
    fn a_session_that_keeps_its_context_passes() {
        let trace =
            one_session().message(0, 1, 0, "hello").message(0, 1, 1, "again").closed_by_client(0, 1).build();
        assert_eq!(violations(check, &trace), []);
    }

    #[test]
    fn a_message_answered_under_another_context_is_named_with_the_field_that_changed() {
        let mut builder = one_session();
        let mut frames = builder.agent_frames(0, 1, 0, "hello");
        if let ServerFrame::AgentCompleted(event) = &mut frames[4] {
            event.context.thread_id = "thread_b2_9_0000000b".into();
        }
        let builder = builder.sent(0, 1, 0, "hello");
        let trace = frames.into_iter().fold(builder, |b, f| b.received(0, 1, f)).build();

        let found = violations(check, &trace);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].client, found[0].session), (Some(0), Some(1)));
        let message = &found[0].message;
        assert!(
            message.starts_with("session c0#1: agent_completed for c0-m0 carries context ctx_a1_1_0000000a")
        );
        assert!(
            message.contains("thread_id thread_b2_9_0000000b instead of thread_a1_2_0000000b"),
            "{message}"
        );
    }

    #[test]
    fn a_placeholder_context_is_refused_even_when_used_consistently() {
        let mut fallback = context("a1", "alice");
        fallback.thread_id = "thread_default".into();
        let trace = TraceBuilder::new()
            .client(0, "alice")
            .established(0, 1, &fallback)
            .message(0, 1, 0, "hi")
            .build();
        let found = violations(check, &trace);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("thread_default"), "{}", found[0].message);
    }

    #[test]
    fn frames_without_the_context_or_with_one_too_early_are_caught() {
        let early = ServerFrame::Pong { context: context("a1", "alice") };
        let contextless = ServerFrame::Error(ErrorFrame::new(ErrorCode::BadMessage, "bad"));
        let trace = TraceBuilder::new()
            .client(0, "alice")
            .upgraded(0, 1)
            .received(0, 1, early)
            .received(0, 1, ServerFrame::ConnectionEstablished { context: context("a1", "alice") })
            .received(0, 1, contextless)
            .received(0, 1, ServerFrame::ConnectionEstablished { context: context("a2", "alice") })
            .build();
        let messages: Vec<_> = violations(check, &trace).into_iter().map(|v| v.message).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("pong carries context ctx_a1_1_0000000a before connection_established"));
        assert!(messages[1].contains("error BAD_MESSAGE carries no context"));
        assert!(messages[2].contains("a second connection_established"));
    }

    #[test]
    fn the_recorded_environment_accommodation_trace_shows_fallback_contexts() {
        let found = violations(check, &golden("environment-accommodation-staging.jsonl"));
        assert!(!found.is_empty());
        assert!(found.iter().all(|v| v.message.contains("ctx_fallback_")), "{found:?}");
    }
}
