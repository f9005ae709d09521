use super::*;
use crate::checkers::testing::{TraceBuilder, context, violations};
use crate::protocol::{ErrorCode, ErrorFrame};

fn established() -> TraceBuilder {
    TraceBuilder::new().client(0, "alice").established(0, 1, &context("a1", "alice"))
}

/// Sends message `index` and delivers its agent frames after `edit` has had its way with them.
fn answered_with(
    mut builder: TraceBuilder,
    index: u32,
    edit: impl FnOnce(&mut Vec<ServerFrame>),
) -> TraceBuilder {
    let content = "count these words";
    let mut frames = builder.agent_frames(0, 1, index, content);
    edit(&mut frames);
    let builder = builder.sent(0, 1, index, content);
    frames.into_iter().fold(builder, |b, frame| b.received(0, 1, frame))
}

fn messages(trace: &Trace) -> Vec<String> {
    let found = violations(check, trace);
    assert!(found.iter().all(|v| (v.client, v.session) == (Some(0), Some(1))), "{found:?}");
    found.into_iter().map(|v| v.message).collect()
}

#[test]
fn answered_refused_and_cut_off_messages_all_pass() {
    let refusal = ErrorFrame::new(ErrorCode::RateLimited, "slow down")
        .in_context(&context("a1", "alice"))
        .about(Some("c0-m1".into()));
    let trace = established()
        .message(0, 1, 0, "one")
        .sent(0, 1, 1, "two")
        .received(0, 1, ServerFrame::Error(refusal))
        .message(0, 1, 2, "three")
        .sent(0, 1, 3, "four")
        .closed_by_server(0, 1, Some(1013))
        .build();
    assert_eq!(violations(check, &trace), []);
}

#[test]
fn a_wrong_result_is_caught_against_the_agents_pure_function() {
    let trace = answered_with(established(), 0, |frames| {
        if let ServerFrame::AgentCompleted(event) = &mut frames[4] {
            event.data = serde_json::json!({"result": agent_result("something else")}).into();
        }
    });
    let found = messages(&trace.build());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("session c0#1: agent_completed for c0-m0 says \"counted 2 words"));
    assert!(found[0].contains("but \"count these words\" gives \"counted 3 words"), "{}", found[0]);
}

#[test]
fn steps_out_of_order_twice_or_renumbered_are_caught() {
    let trace = answered_with(established(), 0, |frames| {
        frames.swap(1, 2);
        let again = frames[4].clone();
        frames.push(again);
    });
    let found = messages(&trace.build());
    assert!(
        found.iter().any(|m| m.ends_with("tool_executing for c0-m0 out of order: agent_thinking was due"))
    );
    assert!(found.iter().any(|m| m.ends_with("has seq 3 where 2 was due")));
    assert!(
        found
            .iter()
            .any(|m| m.ends_with("agent_completed for c0-m0 after its agent_completed: answered twice"))
    );
}

#[test]
fn request_ids_must_name_the_context_and_rise() {
    let first = answered_with(established(), 0, |_| {});
    let trace = answered_with(first, 1, |frames| {
        for frame in frames {
            if let Some((kind, event)) = frame.as_event() {
                let mut event = event.clone();
                event.request_id = "ctx_a1_1_0000000a.1".into();
                *frame = ServerFrame::event(kind, event);
            }
        }
    });
    let found = messages(&trace.build());
    assert_eq!(
        found,
        [
            "session c0#1: agent_started for c0-m1 has request_id ctx_a1_1_0000000a.1, not above the previous message's .1"
        ]
    );
}

#[test]
fn an_answer_to_a_message_nobody_sent_and_a_message_left_hanging_are_caught() {
    let mut builder = established();
    let stray = builder.agent_frames(0, 1, 7, "never sent").remove(0);
    let trace = builder.received(0, 1, stray).sent(0, 1, 0, "hello?").build();
    let found = messages(&trace);
    assert_eq!(
        found,
        [
            "session c0#1: got agent_started for c0-m7, a message no session sent",
            "session c0#1: c0-m0 was never answered, yet the session never ended",
        ]
    );
}

#[test]
fn an_error_after_events_is_caught() {
    let error = ErrorFrame::new(ErrorCode::Internal, "context validation failed")
        .in_context(&context("a1", "alice"))
        .about(Some("c0-m0".into()));
    let trace = answered_with(established(), 0, |frames| frames.truncate(2))
        .received(0, 1, ServerFrame::Error(error))
        .closed_by_server(0, 1, Some(1011))
        .build();
    let found = messages(&trace);
    assert_eq!(
        found,
        ["session c0#1: error INTERNAL for c0-m0 after 2 of its events: a message gets events or an error"]
    );
}

#[test]
fn a_copy_read_once_its_message_was_answered_runs_in_its_messages_place() {
    // The copy of c0-m0 waited behind it and ran after it; c0-m1, sent after both, ran last.
    let mut builder = established();
    let content = "count these words";
    let first = builder.agent_frames(0, 1, 0, content);
    let copy = builder.agent_frames(0, 1, 0, content);
    let later = builder.agent_frames(0, 1, 1, content);
    let sent = builder.sent(0, 1, 0, content).sent_again(0, 1, 0).sent(0, 1, 1, content);
    let trace = first.into_iter().chain(copy).chain(later).fold(sent, |b, frame| b.received(0, 1, frame));
    assert_eq!(messages(&trace.build()), Vec::<String>::new());
}
