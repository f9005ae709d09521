//! Isolation: no session receives what belongs to another: a context for another user, an
//! identifier issued to another user's session (or adopted mid-session from another session), a
//! frame about a message another session sent, or the result of another session's message.
//!
//! Two sessions of one user that were *issued* the same identifiers are the unique-ids checker's
//! business; here sharing counts when it crosses users or happens after connection. Frames about
//! messages nobody sent are the completion checker's.

use std::cell::LazyCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::checkers::expected::agent_result;
use crate::context::SessionContext;
use crate::protocol::ServerFrame;
use crate::rules::Clause;
use crate::services::gateway::AgentResult;
use crate::sim::trace::Trace;

use super::Findings;
use super::sessions::{Session, describe, sessions};

pub const NAME: &str = "isolation";

/// The rules it judges.
const USER: Clause = Clause::justified("context.user");
const SESSION: Clause = Clause::justified("isolation.session");

/// What every session owns, indexed by the thing owned: session positions in `sessions`.
struct Owners<'t> {
    /// Identifier value → sessions whose `connection_established` carried it.
    ids: BTreeMap<&'t str, Vec<usize>>,
    /// Message id → sessions that sent it.
    messages: BTreeMap<&'t str, Vec<usize>>,
}

/// Result digest → the sessions and messages whose content gives it. Made only for a trace with a
/// foreign result: digesting every message sent, some of them 64 KiB, was a fifth of a run's cost.
type Digests<'t> = BTreeMap<String, Vec<(usize, &'t str)>>;

pub fn check(trace: &Trace, found: &mut Findings) {
    let sessions = sessions(trace);
    let owners = owners(&sessions);
    let digests = LazyCell::new(|| digests(&sessions));
    for (index, session) in sessions.iter().enumerate() {
        let mut reported = BTreeSet::new();
        let own_ids: Vec<&str> = session.established().map(|(_, c)| ids(c).to_vec()).unwrap_or_default();
        // An id may be used again once its message is answered, with other content.
        let mut own_messages: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        session.sent().for_each(|s| own_messages.entry(s.message_id).or_default().push(s.content));
        for (at_ms, frame) in session.frames() {
            found.judged(SESSION);
            if frame.context().is_some() && session.user.is_some() {
                found.judged(USER);
            }
            let mut report = |clause: Clause, key: String, explanation: String| {
                if reported.insert(key) {
                    found.push(session.violation(clause, at_ms, explanation));
                }
            };
            let what = describe(frame);
            if let Some(context) = frame.context() {
                if let Some(user) = session.user.filter(|user| *user != context.user_id) {
                    let explanation = format!(
                        "{what} carries context {} of user {}, but the session's token names {user}",
                        context.context_id, context.user_id
                    );
                    report(USER, format!("user {}", context.context_id), explanation);
                }
                // Another session's identifiers, grouped by that session.
                let mut foreign: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
                for id in ids(context) {
                    let adopted = !own_ids.contains(&id);
                    let others = owners.ids.get(id).into_iter().flatten().filter(|&&o| o != index);
                    for &other in others.filter(|&&o| adopted || sessions[o].user != session.user) {
                        foreign.entry(other).or_default().push(id);
                    }
                }
                // Sessions that were issued the same identifiers, named together.
                let mut by_ids: BTreeMap<Vec<&str>, Vec<String>> = BTreeMap::new();
                for (other, ids) in foreign {
                    by_ids.entry(ids).or_default().push(sessions[other].name_and_user());
                }
                for (ids, others) in by_ids {
                    let (ids, others) = (ids.join(", "), others.join(" and "));
                    report(
                        SESSION,
                        format!("ids {ids} of {others}"),
                        format!("{what} carries {ids}, issued to {others}"),
                    );
                }
            }
            let Some(message_id) = frame.message_id() else { continue };
            if !own_messages.contains_key(message_id) {
                for other in owners.messages.get(message_id).into_iter().flatten() {
                    let explanation =
                        format!("got {what}, a message {} sent", sessions[*other].name_and_user());
                    report(SESSION, format!("message {message_id}"), explanation);
                }
            }
            if let Some(result) = foreign_result(frame, &own_messages) {
                let theirs = digests.get(&result.digest).into_iter().flatten();
                for (other, their_message) in theirs.filter(|(o, _)| *o != index) {
                    let explanation = format!(
                        "{what} carries the result of {their_message}, which {} sent",
                        sessions[*other].name_and_user()
                    );
                    report(SESSION, format!("result {message_id}"), explanation);
                }
            }
        }
    }
}

fn owners<'t>(sessions: &[Session<'t>]) -> Owners<'t> {
    let mut owners = Owners { ids: BTreeMap::new(), messages: BTreeMap::new() };
    for (index, session) in sessions.iter().enumerate() {
        if let Some((_, context)) = session.established() {
            for id in ids(context) {
                owners.ids.entry(id).or_default().push(index);
            }
        }
        for sent in session.sent() {
            owners.messages.entry(sent.message_id).or_default().push(index);
        }
    }
    owners
}

fn digests<'t>(sessions: &[Session<'t>]) -> Digests<'t> {
    let mut digests = Digests::new();
    for (index, session) in sessions.iter().enumerate() {
        for sent in session.sent() {
            digests.entry(agent_result(sent.content).digest).or_default().push((index, sent.message_id));
        }
    }
    digests
}

fn ids(context: &SessionContext) -> [&str; 4] {
    [&context.context_id, &context.thread_id, &context.run_id, &context.websocket_client_id]
}

/// The result an `agent_completed` carries when it is not the one for any content this session
/// sent under that message id.
fn foreign_result(frame: &ServerFrame, own_messages: &BTreeMap<&str, Vec<&str>>) -> Option<AgentResult> {
    let ServerFrame::AgentCompleted(event) = frame else { return None };
    let contents = own_messages.get(event.message_id.as_str())?;
    let result: AgentResult = serde_json::from_value(event.data.field("result")?).ok()?;
    contents.iter().all(|content| result != agent_result(content)).then_some(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context, violations};

    fn two_users() -> TraceBuilder {
        TraceBuilder::sessions(&[&context("a1", "alice"), &context("b1", "bob")])
            .message(0, 1, 0, "alice asks")
            .message(1, 1, 0, "bob asks")
    }

    #[test]
    fn two_users_each_with_their_own_context_and_messages_pass() {
        assert_eq!(violations(check, &two_users().build()), []);
    }

    #[test]
    fn two_sessions_of_one_user_issued_the_same_context_are_left_to_unique_ids() {
        let trace = TraceBuilder::sessions(&[&context("a1", "alice"), &context("a1", "alice")]).build();
        assert_eq!(violations(check, &trace), []);
    }

    #[test]
    fn a_session_receiving_another_users_answer_is_caught_with_both_sessions_named() {
        let mut builder = two_users();
        let leaked = builder.agent_frames(1, 1, 0, "bob asks").pop().unwrap();
        let found = violations(check, &builder.received(0, 1, leaked).build());
        let messages: Vec<_> = found.iter().map(|v| v.message.as_str()).collect();
        assert!(found.iter().all(|v| (v.client, v.session) == (Some(0), Some(1))), "{found:?}");
        assert!(messages.contains(
            &"session c0#1: agent_completed for c1-m0 carries context ctx_b1_1_0000000a of user bob, \
              but the session's token names alice"
        ));
        assert!(
            messages.contains(&"session c0#1: got agent_completed for c1-m0, a message c1#1 (user bob) sent")
        );
        assert!(messages.iter().any(|m| m.contains("carries ctx_b1_1_0000000a, thread_b1_2_0000000b, run_b1_3_0000000c, ws_b1_4_0000000d, issued to c1#1")));
    }

    #[test]
    fn a_shared_placeholder_id_across_users_is_caught() {
        let mut alice = context("a1", "alice");
        let mut bob = context("b1", "bob");
        alice.thread_id = "thread_default".into();
        bob.thread_id = "thread_default".into();
        let found = violations(check, &TraceBuilder::sessions(&[&alice, &bob]).build());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[1].message.contains("session c1#1: connection_established carries thread_default"));
        assert!(found[1].message.ends_with(", issued to c0#1 (user alice)"));
    }

    #[test]
    fn the_result_of_another_sessions_message_is_caught() {
        let mut builder = two_users();
        let mut frames = builder.agent_frames(0, 1, 1, "alice again");
        let bobs = serde_json::json!({"result": agent_result("bob asks")});
        if let ServerFrame::AgentCompleted(event) = &mut frames[4] {
            event.data = bobs.into();
        }
        let builder = builder.sent(0, 1, 1, "alice again");
        let trace = frames.into_iter().fold(builder, |b, f| b.received(0, 1, f)).build();
        let found = violations(check, &trace);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("agent_completed for c0-m1 carries the result of c1-m0, which c1#1")
        );
    }
}
