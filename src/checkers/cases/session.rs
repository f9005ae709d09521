//! Cases for the rules of a session, its context and its frames (`src/rules/session.rs`): alice's
//! session and her messages, answered as a gateway with the bug would, then as it should.

use crate::checkers::expected::agent_result;
use crate::checkers::testing::{TraceBuilder, context};
use crate::context::SessionContext;
use crate::protocol::ErrorCode::{BadEncoding, BadMessage};
use crate::protocol::{ErrorCode, ErrorFrame, EventFrame, ServerFrame};
use crate::rules::Clause;
use crate::sim::client::message_id;
use crate::sim::scenario::BadInput;
use crate::sim::trace::Trace;

use super::{Case, alice, alice_session, established_with, judge, with_thread};

const FIRST: Clause = Clause::justified("session.established-first");
const VALID: Clause = Clause::justified("context.valid");
const SAME: Clause = Clause::justified("context.same");
const USER: Clause = Clause::justified("context.user");
const ISOLATED: Clause = Clause::justified("isolation.session");
const ANSWERED: Clause = Clause::kept("protocol.user-message");
const ASKED: Clause = Clause::justified("protocol.user-message");
const BAD_FRAME: Clause = Clause::kept("protocol.bad-frame");
const BAD_FRAME_ONLY: Clause = Clause::justified("protocol.bad-frame");
const BINARY: Clause = Clause::kept("protocol.binary");
const ENCODING: Clause = Clause::kept("protocol.encoding");
const ENCODING_ONLY: Clause = Clause::justified("protocol.encoding");
const SEQUENCE: Clause = Clause::justified("events.sequence");
const SEQ: Clause = Clause::justified("events.seq");
const REQUEST_ID: Clause = Clause::justified("events.request-id");
const RESULT: Clause = Clause::justified("events.result");

/// What alice asks: characters of more than one byte, where counting bytes for characters shows.
const CONTENT: &str = "naïve café au lait";

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: FIRST,
            // The context rebuilt for a message and announced again.
            violating: || {
                judge(FIRST, &answered(|_| {}).received(0, 1, established(context("a2", "alice"))).build())
            },
            passing: || judge(FIRST, &answered_in_full()),
        },
        Case {
            clause: VALID,
            // A placeholder user for an auth answer that named none.
            violating: || {
                let placeholder = SessionContext { user_id: "unknown".to_owned(), ..alice() };
                judge(VALID, &established_with(&placeholder).build())
            },
            passing: || judge(VALID, &established_with(&alice()).build()),
        },
        Case {
            clause: SAME,
            // The context rebuilt between connection and message handling, with a new thread.
            violating: || {
                let rebuilt = with_thread(alice(), "thread_a1_9_0000000b");
                judge(SAME, &answered(|f| each_event(f, |_, e| e.context = rebuilt.clone())).build())
            },
            passing: || judge(SAME, &answered_in_full()),
        },
        Case {
            clause: USER,
            // The user taken from another token than the session's.
            violating: || judge(USER, &established_with(&context("a1", "bob")).build()),
            passing: || judge(USER, &established_with(&alice()).build()),
        },
        Case {
            clause: ISOLATED,
            // Answers routed by user rather than by session.
            violating: || judge(ISOLATED, &alice_twice_answered(true)),
            passing: || judge(ISOLATED, &alice_twice_answered(false)),
        },
        Case {
            clause: ANSWERED,
            // The agent's task dropped while the session stays open.
            violating: || judge(ANSWERED, &alice_session().sent(0, 1, 0, CONTENT).build()),
            passing: || judge(ANSWERED, &answered_in_full()),
        },
        Case {
            clause: ASKED,
            // Answered under the id of the message the client will send next.
            violating: || {
                judge(ASKED, &answered(|f| each_event(f, |_, e| e.message_id = message_id(0, 1))).build())
            },
            passing: || judge(ASKED, &answered_in_full()),
        },
        Case {
            clause: BAD_FRAME,
            // A frame that is not JSON dropped without a word.
            violating: || judge(BAD_FRAME, &bad_frame_then_message(BadInput::NotJson, None)),
            passing: || judge(BAD_FRAME, &bad_frame_then_message(BadInput::NotJson, Some(BadMessage))),
        },
        Case {
            clause: BAD_FRAME_ONLY,
            // An empty content taken for a missing one.
            violating: || judge(BAD_FRAME_ONLY, &message_refused("", BadMessage)),
            passing: || {
                judge(BAD_FRAME_ONLY, &bad_frame_then_message(BadInput::MissingField, Some(BadMessage)))
            },
        },
        Case {
            clause: BINARY,
            // Binary frames skipped as if they were pings.
            violating: || judge(BINARY, &bad_frame_then_message(BadInput::Binary, None)),
            passing: || judge(BINARY, &bad_frame_then_message(BadInput::Binary, Some(BadMessage))),
        },
        Case {
            clause: ENCODING,
            // Invalid UTF-8 decoded lossily: a bad message, and the session goes on.
            violating: || judge(ENCODING, &bad_frame_then_message(BadInput::NotUtf8, Some(BadMessage))),
            passing: || judge(ENCODING, &not_utf8_closed()),
        },
        Case {
            clause: ENCODING_ONLY,
            // Every byte over 127 taken for bad encoding.
            violating: || judge(ENCODING_ONLY, &message_refused(CONTENT, BadEncoding)),
            passing: || judge(ENCODING_ONLY, &not_utf8_closed()),
        },
        Case {
            clause: SEQUENCE,
            // The tool's events, sent by their own task, overtaking agent_thinking.
            violating: || {
                let overtaken = |frames: &mut [ServerFrame]| {
                    frames.swap(1, 2);
                    numbered_from_one(frames);
                };
                judge(SEQUENCE, &answered(overtaken).build())
            },
            passing: || judge(SEQUENCE, &answered_in_full()),
        },
        Case {
            clause: SEQ,
            // `seq` counted per message instead of per session.
            violating: || judge(SEQ, &two_messages(numbered_from_one)),
            passing: || judge(SEQ, &two_messages(|_| {})),
        },
        Case {
            clause: REQUEST_ID,
            // The request counter never advanced.
            violating: || {
                judge(
                    REQUEST_ID,
                    &two_messages(|f| each_event(f, |_, e| e.request_id = alice().request_id(1))),
                )
            },
            passing: || judge(REQUEST_ID, &two_messages(|_| {})),
        },
        Case {
            clause: RESULT,
            // Characters counted as bytes.
            violating: || judge(RESULT, &answered(counted_in_bytes).build()),
            passing: || judge(RESULT, &answered_in_full()),
        },
    ]
}

/// The frame that establishes a session with `context`.
fn established(context: SessionContext) -> ServerFrame {
    ServerFrame::ConnectionEstablished { context }
}

/// Alice's session and her message, answered with its agent frames as `edit` leaves them.
fn answered(edit: impl FnOnce(&mut [ServerFrame])) -> TraceBuilder {
    alice_session().message_with(0, 1, 0, CONTENT, edit)
}

/// Alice's session and her message, answered as the design says.
fn answered_in_full() -> Trace {
    answered(|_| {}).build()
}

/// Alice's session and two messages, the second answered with its frames as `edit` leaves them.
fn two_messages(edit: impl FnOnce(&mut [ServerFrame])) -> Trace {
    answered(|_| {}).message_with(0, 1, 1, "and again", edit).build()
}

/// Applies `edit` to each event frame of `frames`, with its position among them.
fn each_event(frames: &mut [ServerFrame], mut edit: impl FnMut(usize, &mut EventFrame)) {
    for (position, frame) in frames.iter_mut().enumerate() {
        if let Some((kind, event)) = frame.as_event() {
            let mut event = event.clone();
            edit(position, &mut event);
            *frame = ServerFrame::event(kind, event);
        }
    }
}

/// Numbers `frames` `seq` 1, 2, 3, ... in the order they stand, as a gateway numbering them as it
/// writes them would.
fn numbered_from_one(frames: &mut [ServerFrame]) {
    each_event(frames, |position, event| event.seq = position as u64 + 1);
}

/// Makes the `agent_completed` among `frames` count the content's bytes for its characters.
fn counted_in_bytes(frames: &mut [ServerFrame]) {
    let mut result = agent_result(CONTENT);
    result.chars = CONTENT.len() as u64;
    result.reply = format!("counted {} words in {} characters", result.words, result.chars);
    each_event(frames, |_, event| {
        if event.data.field("result").is_some() {
            event.data = serde_json::json!({ "result": result }).into();
        }
    });
}

/// An error of `code` in alice's session, naming `message` if any.
fn session_error(code: ErrorCode, message: Option<String>) -> ErrorFrame {
    ErrorFrame::new(code, "refused").in_context(&alice()).about(message)
}

/// Alice sends `bad`, is told `told` if anything, then sends a message that is answered.
fn bad_frame_then_message(bad: BadInput, told: Option<ErrorCode>) -> Trace {
    let sent = alice_session().sent_bad(0, 1, bad);
    let answered = match told {
        Some(code) => {
            let wording = "malformed JSON: EOF while parsing a value at line 1 column 33";
            sent.errored(0, 1, ErrorFrame::new(code, wording).in_context(&alice()))
        }
        None => sent,
    };
    answered.message(0, 1, 0, CONTENT).build()
}

/// Alice sends a message with `content`, refused with `code` and the close it calls for, if any.
fn message_refused(content: &str, code: ErrorCode) -> Trace {
    let sent = alice_session().sent(0, 1, 0, content);
    sent.errored(0, 1, session_error(code, Some(message_id(0, 0)))).build()
}

/// Alice sends a text frame that is not UTF-8, and gets `BAD_ENCODING` and 1007.
fn not_utf8_closed() -> Trace {
    alice_session().sent_bad(0, 1, BadInput::NotUtf8).errored(0, 1, session_error(BadEncoding, None)).build()
}

/// Alice's two sessions; the first sends a message, whose answer reaches the second too if
/// `fanned_out`.
fn alice_twice_answered(fanned_out: bool) -> Trace {
    let mut builder = TraceBuilder::sessions(&[&alice(), &context("a2", "alice")]);
    let frames = builder.agent_frames(0, 1, 0, CONTENT);
    let sent = builder.sent(0, 1, 0, CONTENT);
    let to_both = |b: TraceBuilder, frame: &ServerFrame| {
        let own = b.received(0, 1, frame.clone());
        if fanned_out { own.received(1, 1, frame.clone()) } else { own }
    };
    frames.iter().fold(sent, to_both).build()
}
