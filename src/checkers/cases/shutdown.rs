//! Cases for the gateway's graceful shutdown (`src/rules/limits.rs`): alice has a message in
//! flight when the gateway is asked to stop.

use crate::protocol::ServerFrame;
use crate::rules::Clause;
use crate::sim::scenario::GATEWAY;
use crate::sim::trace::{Event, Fault, Side, Trace};

use super::{Case, alice_session, judge};
use crate::checkers::testing::TraceBuilder;

const KEPT: Clause = Clause::kept("shutdown.drain");
const JUSTIFIED: Clause = Clause::justified("shutdown.drain");

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: KEPT,
            // The worker stopped with the reader: the message it had started is never answered.
            violating: || judge(KEPT, &stopped_with_a_message_answered(1)),
            passing: || judge(KEPT, &stopped_with_a_message_answered(5)),
        },
        Case {
            clause: JUSTIFIED,
            // An idle session closed as if the gateway were shutting down.
            violating: || judge(JUSTIFIED, &closed_shutting_down(alice_session()).build()),
            passing: || {
                let asked = alice_session().fault(Fault::Stop { host: GATEWAY.to_owned() });
                judge(JUSTIFIED, &closed_shutting_down(asked).build())
            },
        },
    ]
}

/// The server closes alice's session with 1000 `server shutting down`.
fn closed_shutting_down(builder: TraceBuilder) -> TraceBuilder {
    let reason = "server shutting down".to_owned();
    builder.record(
        "client-0",
        Event::Closed { client: 0, session: 1, by: Side::Server, code: Some(1000), reason },
    )
}

/// Alice sends a message, the gateway is asked to stop once it has started it, the first
/// `frames` of its answer arrive, then the shutdown's close, and the gateway's serve returns.
fn stopped_with_a_message_answered(frames: usize) -> Trace {
    let mut builder = alice_session();
    let answer: Vec<ServerFrame> = builder.agent_frames(0, 1, 0, "hello there");
    let builder = builder.sent(0, 1, 0, "hello there").received(0, 1, answer[0].clone());
    let builder = builder.fault(Fault::Stop { host: GATEWAY.to_owned() });
    let builder = answer[1..frames].iter().fold(builder, |b, frame| b.received(0, 1, frame.clone()));
    closed_shutting_down(builder).record(GATEWAY, Event::ServiceStopped { incarnation: 1 }).build()
}
