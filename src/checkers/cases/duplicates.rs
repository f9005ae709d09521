//! Cases for duplicate message ids (`src/rules/session.rs`): a copy of a message sent while it is
//! in flight, and a message sent under the id of an answered one.

use crate::protocol::{ErrorCode, ErrorFrame, ServerFrame};
use crate::rules::Clause;
use crate::sim::client::message_id;

use super::super::testing::TraceBuilder;
use super::{Case, alice, alice_session, judge};

const KEPT: Clause = Clause::kept("protocol.duplicate-id");
const JUSTIFIED: Clause = Clause::justified("protocol.duplicate-id");

const CONTENT: &str = "count these words";

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: KEPT,
            // No duplicate check: the worker runs messages one at a time, so the copy runs after.
            violating: || judge(KEPT, &copied(false).build()),
            passing: || judge(KEPT, &copied(true).build()),
        },
        Case {
            clause: JUSTIFIED,
            // Ids never released once their message is answered.
            violating: || judge(JUSTIFIED, &reused(true).build()),
            passing: || judge(JUSTIFIED, &reused(false).build()),
        },
    ]
}

fn duplicate() -> ServerFrame {
    let error = ErrorFrame::new(ErrorCode::BadMessage, "duplicate message id");
    ServerFrame::Error(error.in_context(&alice()).about(Some(message_id(0, 0))))
}

/// Alice sends a message, its copy and a ping; the copy is `refused` before the pong, and the
/// message is answered after it.
fn copied(refused: bool) -> TraceBuilder {
    let mut builder = alice_session();
    let frames = builder.agent_frames(0, 1, 0, CONTENT);
    let mut sent = builder.sent(0, 1, 0, CONTENT).sent_again(0, 1, 0).sent_ping(0, 1);
    if refused {
        sent = sent.received(0, 1, duplicate());
    }
    let pong = sent.received(0, 1, ServerFrame::Pong { context: alice() });
    frames.into_iter().fold(pong, |b, frame| b.received(0, 1, frame))
}

/// Alice's message is answered, then she sends another under its id, which is `refused` as a
/// duplicate or answered in full.
fn reused(refused: bool) -> TraceBuilder {
    let answered = alice_session().message(0, 1, 0, CONTENT);
    if refused {
        return answered.sent(0, 1, 0, "and again").received(0, 1, duplicate());
    }
    answered.message(0, 1, 0, "and again")
}

/// The copy's refusal and the second message under an answered id are no one else's violation:
/// not a bad frame's answer, not a message answered twice, not another session's result.
#[test]
fn a_refused_copy_and_a_reused_id_break_no_other_rule() {
    use crate::checkers::TRACE_CHECKERS;
    use crate::checkers::testing::violations;
    for builder in [copied(true), reused(false)] {
        let trace = builder.closed_by_client(0, 1).probed(0, 1).build();
        for (name, check) in TRACE_CHECKERS {
            assert_eq!(violations(*check, &trace), [], "{name}");
        }
    }
}
