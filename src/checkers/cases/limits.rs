//! Cases for the rules of errors and closes, limits, idle sessions and release
//! (`src/rules/limits.rs`).

use crate::checkers::testing::{TraceBuilder, context};
use crate::protocol::ErrorCode::{
    AuthUnavailable, IdgenUnavailable, IdleTimeout, Internal, MessageTooBig, RateLimited, TooManySessions,
};
use crate::protocol::{ErrorCode, ErrorFrame};
use crate::rules::Clause;
use crate::sim::client::message_id;
use crate::sim::scenario::GatewayLimits;
use crate::sim::trace::{Event, Fault, Side, Trace};

use super::{Case, alice, alice_session, judge};

const BEFORE_CLOSE: Clause = Clause::kept("errors.before-close");
const CODES: Clause = Clause::justified("errors.codes");
const NORMAL_KEPT: Clause = Clause::kept("close.normal");
const NORMAL_ONLY: Clause = Clause::justified("close.normal");
const INTERNAL: Clause = Clause::justified("errors.internal");
const RETRYABLE: Clause = Clause::justified("errors.retryable");
const SESSIONS: Clause = Clause::justified("limits.sessions-per-user");
const RATE_KEPT: Clause = Clause::kept("limits.rate");
const RATE_JUSTIFIED: Clause = Clause::justified("limits.rate");
const FRAME_SIZE: Clause = Clause::justified("limits.frame-size");
const IDLE: Clause = Clause::justified("idle.timeout");
const RELEASED: Clause = Clause::kept("release.sessions");
const SESSIONS_KEPT: Clause = Clause::kept("limits.sessions-per-user");
const FRAME_SIZE_KEPT: Clause = Clause::kept("limits.frame-size");
const QUEUE: Clause = Clause::kept("limits.queue");
const OUTBOUND: Clause = Clause::justified("limits.outbound");

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: SESSIONS_KEPT,
            // A count that let a user's second session in under a limit of one.
            violating: || judge(SESSIONS_KEPT, &second_session_of_alice(false)),
            passing: || judge(SESSIONS_KEPT, &second_session_of_alice(true)),
        },
        Case {
            clause: FRAME_SIZE_KEPT,
            // A frame limit set on the handshake's config but not on the session's.
            violating: || {
                let big = "x".repeat(300);
                judge(FRAME_SIZE_KEPT, &alice_session().limits(tight()).message(0, 1, 0, &big).build())
            },
            passing: || judge(FRAME_SIZE_KEPT, &refused_as_too_big(&"x".repeat(300))),
        },
        Case {
            clause: QUEUE,
            // A queue that drops what does not fit instead of holding the socket unread.
            violating: || judge(QUEUE, &burst_of_three_queued(false)),
            passing: || judge(QUEUE, &burst_of_three_queued(true)),
        },
        Case {
            clause: OUTBOUND,
            // An outbox that counts frames in and never out.
            violating: || judge(OUTBOUND, &slow_after_messages(1)),
            passing: || judge(OUTBOUND, &slow_after_messages(4)),
        },
        Case {
            clause: BEFORE_CLOSE,
            // An idle session closed without the IDLE_TIMEOUT that says why.
            violating: || judge(BEFORE_CLOSE, &alice_closed_with(1008)),
            passing: || {
                judge(BEFORE_CLOSE, &alice_session().errored(0, 1, session_error(IdleTimeout)).build())
            },
        },
        Case {
            clause: CODES,
            // Shutdown closing with 1001, going away, where the design says 1000.
            violating: || judge(CODES, &alice_closed_with(1001)),
            passing: || judge(CODES, &alice_closed_with(1000)),
        },
        Case {
            clause: NORMAL_KEPT,
            // The client's close answered with 1001, going away.
            violating: || judge(NORMAL_KEPT, &closed_by_client_then(1001)),
            passing: || judge(NORMAL_KEPT, &closed_by_client_then(1000)),
        },
        Case {
            clause: NORMAL_ONLY,
            // An idle session closed politely, with 1000 and no error.
            violating: || judge(NORMAL_ONLY, &alice_closed_with(1000)),
            passing: || judge(NORMAL_ONLY, &closed_by_client_then(1000)),
        },
        Case {
            clause: INTERNAL,
            // idgen's malformed answer failing the context's validation, reported as a gateway bug.
            violating: || {
                judge(INTERNAL, &connect_refused(ErrorFrame::new(Internal, "context validation failed")))
            },
            passing: || {
                judge(INTERNAL, &connect_refused(ErrorFrame::new(IdgenUnavailable, "idgen unavailable")))
            },
        },
        Case {
            clause: RETRYABLE,
            // Every connect failure marked final.
            violating: || {
                let final_flag = ErrorFrame { retryable: false, ..auth_unavailable() };
                judge(RETRYABLE, &connect_refused(final_flag))
            },
            passing: || judge(RETRYABLE, &connect_refused(auth_unavailable())),
        },
        Case {
            clause: SESSIONS,
            // Sessions counted across users rather than per user.
            violating: || judge(SESSIONS, &second_session_refused("bob")),
            passing: || judge(SESSIONS, &second_session_refused("alice")),
        },
        Case {
            clause: RATE_KEPT,
            // Admitted messages taking no token: the third of the burst admitted too.
            violating: || judge(RATE_KEPT, &burst_of_two().message(0, 1, 2, "c").build()),
            passing: || judge(RATE_KEPT, &third_refused(21, 240)),
        },
        Case {
            clause: RATE_JUSTIFIED,
            // A bucket that is never refilled: refused long after it was full again.
            violating: || judge(RATE_JUSTIFIED, &third_refused(600, 100)),
            passing: || judge(RATE_JUSTIFIED, &third_refused(21, 240)),
        },
        Case {
            clause: FRAME_SIZE,
            // The limit held against every byte the connection has read, not the one frame.
            violating: || judge(FRAME_SIZE, &refused_as_too_big("small")),
            passing: || judge(FRAME_SIZE, &refused_as_too_big(&"x".repeat(300))),
        },
        Case {
            clause: IDLE,
            // Pongs not counted as hearing from the client.
            violating: || judge(IDLE, &closed_as_idle_after_a_pong(4000)),
            passing: || judge(IDLE, &closed_as_idle_after_a_pong(5010)),
        },
        Case {
            clause: RELEASED,
            // A half-open session, whose client host crashed, never timed out.
            violating: || judge(RELEASED, &probed_after_client_crash(1)),
            passing: || judge(RELEASED, &probed_after_client_crash(0)),
        },
    ]
}

/// Limits low enough for a handful of records to reach: one session a user, a burst of two and
/// four messages a second, frames of 200 bytes.
fn tight() -> GatewayLimits {
    GatewayLimits {
        sessions_per_user: 1,
        message_burst: 2,
        messages_per_sec: 4,
        max_frame_bytes: 200,
        ..GatewayLimits::default()
    }
}

/// An error of `code` in alice's session.
fn session_error(code: ErrorCode) -> ErrorFrame {
    ErrorFrame::new(code, "refused").in_context(&alice())
}

fn auth_unavailable() -> ErrorFrame {
    ErrorFrame::new(AuthUnavailable, "auth unavailable")
}

/// Alice's session, closed by the server with `code` and no error before it.
fn alice_closed_with(code: u16) -> Trace {
    alice_session().closed_by_server(0, 1, Some(code)).build()
}

/// Alice's session, closed by the client with 1000 and then by the server with `code`.
fn closed_by_client_then(code: u16) -> Trace {
    let client =
        Event::Closed { client: 0, session: 1, by: Side::Client, code: Some(1000), reason: String::new() };
    alice_session().record("client-0", client).closed_by_server(0, 1, Some(code)).build()
}

/// Alice's connect refused with `error` and the close it calls for.
fn connect_refused(error: ErrorFrame) -> Trace {
    TraceBuilder::new().client(0, "alice").upgraded(0, 1).errored(0, 1, error).build()
}

/// A session of `first_user` established, then alice refused `TOO_MANY_SESSIONS`.
fn second_session_refused(first_user: &str) -> Trace {
    TraceBuilder::new()
        .limits(tight())
        .client(0, first_user)
        .established(0, 1, &context("f1", first_user))
        .client(1, "alice")
        .refused(1, 1, TooManySessions)
        .build()
}

/// Alice's session under the tight limits, her first two messages admitted at once, by 20 ms.
fn burst_of_two() -> TraceBuilder {
    alice_session().limits(tight()).message(0, 1, 0, "a").message(0, 1, 1, "b")
}

/// The burst of two, then a third message sent at `sent_ms`, refused at once asking for a wait
/// of `wait_ms`.
fn third_refused(sent_ms: u64, wait_ms: u64) -> Trace {
    let text = format!("too many messages; retry in {wait_ms} ms");
    let refusal = ErrorFrame::new(RateLimited, text).in_context(&alice()).about(Some(message_id(0, 2)));
    burst_of_two().at(sent_ms).sent(0, 1, 2, "c").errored(0, 1, refusal).build()
}

/// Alice's message of `content`, refused `MESSAGE_TOO_BIG` under the tight limits.
fn refused_as_too_big(content: &str) -> Trace {
    let refusal = session_error(MessageTooBig).about(Some(message_id(0, 0)));
    alice_session().limits(tight()).sent(0, 1, 0, content).errored(0, 1, refusal).build()
}

/// Alice's session established at 100 ms under a 3 s idle timeout, her pong at 2000 ms, then
/// `IDLE_TIMEOUT` at `closed_ms`.
fn closed_as_idle_after_a_pong(closed_ms: u64) -> Trace {
    TraceBuilder::new()
        .idle_timeout(3000)
        .client(0, "alice")
        .at(100)
        .established(0, 1, &alice())
        .at(2000)
        .pinged(0, 1)
        .at(closed_ms)
        .errored(0, 1, session_error(IdleTimeout))
        .build()
}

/// Two clients of alice under a limit of one session a user: her first session open, her second
/// refused `TOO_MANY_SESSIONS`, or established.
fn second_session_of_alice(refused: bool) -> Trace {
    let first =
        TraceBuilder::new().limits(tight()).client(0, "alice").client(1, "alice").established(0, 1, &alice());
    let second = if refused {
        first.refused(1, 1, TooManySessions)
    } else {
        first.established(1, 1, &context("a2", "alice")).closed_by_client(1, 1)
    };
    second.closed_by_client(0, 1).build()
}

/// Under a queue of one, alice sends three messages at once: the first runs, the second waits in
/// the queue, the third behind it. All three are answered, or the third never is.
fn burst_of_three_queued(answered: bool) -> Trace {
    let limits = GatewayLimits { max_queued_messages: 1, ..GatewayLimits::default() };
    let mut sent = alice_session().limits(limits).sent(0, 1, 0, "a").sent(0, 1, 1, "b").sent(0, 1, 2, "c");
    let count = if answered { 3 } else { 2 };
    let frames: Vec<_> = (0..count)
        .flat_map(|index| sent.agent_frames(0, 1, index, ["a", "b", "c"][index as usize]))
        .collect();
    frames.into_iter().fold(sent, |b, frame| b.received(0, 1, frame)).build()
}

/// Alice sends `messages` messages without reading, then is closed `SLOW_CONSUMER` by an outbox of
/// eight frames, the least there is.
fn slow_after_messages(messages: u32) -> Trace {
    let limits = GatewayLimits { outbound_frames: 8, ..GatewayLimits::default() };
    let sent = (0..messages).fold(alice_session().limits(limits), |b, index| b.sent(0, 1, index, "flood"));
    sent.errored(0, 1, session_error(ErrorCode::SlowConsumer)).build()
}

/// Alice's first session closed, her second left half-open by her host's crash, then the
/// gateway saying it still holds `open` of the two.
fn probed_after_client_crash(open: u64) -> Trace {
    alice_session()
        .closed_by_client(0, 1)
        .established(0, 2, &context("a2", "alice"))
        .fault(Fault::Crash { host: "client-0".to_owned() })
        .probed(open, 2)
        .build()
}
