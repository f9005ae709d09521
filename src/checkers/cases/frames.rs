//! Cases for the client frames beyond a plain `user_message` and the order a session runs its
//! messages in (`src/rules/session.rs`): aliases, JSON pings, frames sent before the session is
//! established, and messages run one at a time.

use crate::protocol::{ErrorCode, ErrorFrame, ServerFrame};
use crate::rules::Clause;
use crate::sim::client::message_id;
use crate::sim::scenario::MessageType;
use crate::sim::trace::{Event, Trace};

use super::{Case, alice, alice_session, judge};

const ALIASES: Clause = Clause::kept("protocol.aliases");
const PONG_KEPT: Clause = Clause::kept("protocol.ping");
const PONG_ONLY: Clause = Clause::justified("protocol.ping");
const EARLY_KEPT: Clause = Clause::kept("session.early-messages");
const EARLY_ONLY: Clause = Clause::justified("session.early-messages");
const SERIAL: Clause = Clause::justified("events.serial");

const CONTENT: &str = "count these words";

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: ALIASES,
            // `start_agent` dropped from the types that start the agent.
            violating: || {
                let refusal = ErrorFrame::new(ErrorCode::BadMessage, "unknown message type \"start_agent\"")
                    .in_context(&alice())
                    .about(Some(message_id(0, 0)));
                let trace = alice_session()
                    .sent_via(0, 1, 0, CONTENT, MessageType::StartAgent)
                    .received(0, 1, ServerFrame::Error(refusal))
                    .build();
                judge(ALIASES, &trace)
            },
            passing: || judge(ALIASES, &sent_as_chat()),
        },
        Case {
            clause: PONG_KEPT,
            // JSON pings taken for keep-alives and left unanswered.
            violating: || {
                judge(PONG_KEPT, &alice_session().sent_ping(0, 1).message(0, 1, 0, CONTENT).build())
            },
            passing: || judge(PONG_KEPT, &pinged(1)),
        },
        Case {
            clause: PONG_ONLY,
            // A ping answered by the reader and again by the worker.
            violating: || judge(PONG_ONLY, &pinged(2)),
            passing: || judge(PONG_ONLY, &pinged(1)),
        },
        Case {
            clause: EARLY_KEPT,
            // Frames read while the session connected, and dropped.
            violating: || judge(EARLY_KEPT, &early(alice_session().sent(0, 1, 0, CONTENT).build())),
            passing: || judge(EARLY_KEPT, &early(alice_session().message(0, 1, 0, CONTENT).build())),
        },
        Case {
            clause: EARLY_ONLY,
            // The session announced by its worker, after the reader had answered a ping.
            violating: || {
                let trace = early(alice_session().sent_ping(0, 1).received(0, 1, pong()).build());
                judge(EARLY_ONLY, &answered_before_established(trace))
            },
            passing: || judge(EARLY_ONLY, &early(alice_session().message(0, 1, 0, CONTENT).build())),
        },
        Case {
            clause: SERIAL,
            // Each message run by a task of its own.
            violating: || judge(SERIAL, &two_messages(true)),
            passing: || judge(SERIAL, &two_messages(false)),
        },
    ]
}

fn pong() -> ServerFrame {
    ServerFrame::Pong { context: alice() }
}

/// Alice sends a message as `chat`, answered in full.
fn sent_as_chat() -> Trace {
    let mut builder = alice_session();
    let frames = builder.agent_frames(0, 1, 0, CONTENT);
    let sent = builder.sent_via(0, 1, 0, CONTENT, MessageType::Chat);
    frames.into_iter().fold(sent, |b, frame| b.received(0, 1, frame)).build()
}

/// Alice sends a JSON ping, gets `pongs` pongs, then sends a message answered in full.
fn pinged(pongs: usize) -> Trace {
    let pinged = (0..pongs).fold(alice_session().sent_ping(0, 1), |b, _| b.received(0, 1, pong()));
    pinged.message(0, 1, 0, CONTENT).build()
}

/// `trace` with its client's first frame (message or ping) moved before `connection_established`:
/// sent right after the upgrade.
fn early(mut trace: Trace) -> Trace {
    let is_established = |event: &Event| {
        matches!(event, Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. })
    };
    let established = trace.records.iter().position(|r| is_established(&r.event)).expect("established");
    let first =
        trace.records.iter().position(|r| matches!(r.event, Event::Sent { .. } | Event::SentPing { .. }));
    let first = first.expect("a frame sent");
    let record = trace.records.remove(first);
    trace.records.insert(established, record);
    trace
}

/// `trace` with the frame after `connection_established` moved before it.
fn answered_before_established(mut trace: Trace) -> Trace {
    let established = trace
        .records
        .iter()
        .position(|r| {
            matches!(&r.event, Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. })
        })
        .expect("established");
    trace.records.swap(established, established + 1);
    trace
}

/// Alice sends two messages in a burst; the second starts before the first has completed if
/// `overlapping`.
fn two_messages(overlapping: bool) -> Trace {
    let mut builder = alice_session();
    let first = builder.agent_frames(0, 1, 0, CONTENT);
    let second = builder.agent_frames(0, 1, 1, "and again");
    let mut frames: Vec<ServerFrame> = first.into_iter().chain(second).collect();
    if overlapping {
        // The second's agent_started right after the first's, seq as sent.
        let started = frames.remove(5);
        frames.insert(1, started);
        renumber(&mut frames);
    }
    let sent = builder.sent(0, 1, 0, CONTENT).sent(0, 1, 1, "and again");
    frames.into_iter().fold(sent, |b, frame| b.received(0, 1, frame)).build()
}

/// Numbers the event frames `seq` 1, 2, 3, ... in the order they stand.
fn renumber(frames: &mut [ServerFrame]) {
    for (position, frame) in frames.iter_mut().enumerate() {
        if let Some((kind, event)) = frame.as_event() {
            let mut event = event.clone();
            event.seq = position as u64 + 1;
            *frame = ServerFrame::event(kind, event);
        }
    }
}
