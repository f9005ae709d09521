//! Idle timeout: the gateway closes a session as idle (`IDLE_TIMEOUT`) only when its client sent
//! nothing at all, not even a pong, for the idle timeout (the conditions record's).
//!
//! The gateway counts silence from the last thing it read from the client, whatever it was
//! (`last_heard` in `session/reader.rs`): a user message, a pong, a close, and it starts counting
//! as it establishes the session. The trace shows when the client wrote each: `Sent` (recorded as
//! the message is handed to the socket), `Pinged` (the pong is written at that instant) and its
//! own `Closed`; and when `connection_established` arrived, which the gateway wrote, starting
//! its count, at most the link's greatest latency earlier.
//!
//! Every bound leans towards silence, with the link's latency range from the conditions record
//! and a millisecond more for the trace's rounding down to whole milliseconds. The gateway wrote
//! its `IDLE_TIMEOUT` between the link's greatest and least latency before the client got it. A
//! frame the client wrote counts only if it reached the gateway surely before that (written at
//! `s`, it arrived by `s + 1 + max`), and then as heard at the earliest it can have arrived
//! (`s + min`). A session is reported when even so the gateway closed it less than the idle
//! timeout after hearing from its client. A session whose link to the gateway was partitioned or
//! held at any moment is not judged: a hold delivers late and a partition drops what was sent, so
//! the gateway may rightly have heard nothing.

use crate::protocol::{ErrorCode, ServerFrame};
use crate::sim::Violation;
use crate::sim::scenario::GATEWAY;
use crate::sim::trace::{Event, Record, Side, Trace};

use super::conditions::Conditions;
use super::history::History;
use super::sessions::{Session, sessions};

pub const NAME: &str = "idle-timeout";

pub fn check(trace: &Trace) -> Vec<Violation> {
    let conditions = Conditions::of(trace);
    let Some(idle_timeout_ms) = conditions.idle_timeout_ms else { return Vec::new() };
    let history = History::of(trace);
    sessions(trace)
        .iter()
        .filter_map(|session| check_session(session, idle_timeout_ms, &conditions, &history))
        .collect()
}

/// Something the gateway read from the client, or its count's start: when at the earliest, and
/// what it was.
struct Heard {
    at_ms: u64,
    what: String,
}

fn check_session(
    session: &Session<'_>,
    idle_timeout_ms: u64,
    conditions: &Conditions<'_>,
    history: &History<'_>,
) -> Option<Violation> {
    let closed_ms = session.frames().find_map(|(at_ms, frame)| match frame {
        ServerFrame::Error(error) if error.code == ErrorCode::IdleTimeout => Some(at_ms),
        _ => None,
    })?;
    if history.link_faulted_during(session.host, GATEWAY, session.attempt_ms(), closed_ms) {
        return None;
    }
    let latency = conditions.latency(session.host, GATEWAY);
    let heard = session
        .records
        .iter()
        .take_while(|record| record.at_ms <= closed_ms)
        .filter_map(|record| heard(record, latency, closed_ms))
        .max_by_key(|heard| heard.at_ms)?;
    // The gateway wrote the IDLE_TIMEOUT before `closed_ms + 1 - min`.
    let silence_ms = (closed_ms + 1).saturating_sub(latency.0).saturating_sub(heard.at_ms);
    (silence_ms < idle_timeout_ms).then(|| {
        let problem = format!(
            "got IDLE_TIMEOUT at {closed_ms} ms, but the gateway had heard from it at {} ms or later ({}): at \
             most {silence_ms} ms of silence, less than the idle timeout of {idle_timeout_ms} ms",
            heard.at_ms, heard.what
        );
        session.violation(NAME, closed_ms, problem)
    })
}

/// When the gateway heard `record`, at the earliest, if the client wrote it surely before the
/// gateway's `IDLE_TIMEOUT`, which the client got at `closed_ms`; `(min, max)` is the link's
/// latency.
fn heard(record: &Record, (min, max): (u64, u64), closed_ms: u64) -> Option<Heard> {
    let at = record.at_ms;
    let what = match &record.event {
        // Written by the gateway, which started counting then: causally before the close.
        Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. } => {
            let what = format!("the session was established, the client getting it at {at} ms");
            return Some(Heard { at_ms: at.saturating_sub(max), what });
        }
        Event::Sent { message_id, .. } => format!("{message_id}, sent at {at} ms"),
        Event::Pinged { .. } => format!("a pong, written at {at} ms"),
        Event::Closed { by: Side::Client, .. } => format!("its close, sent at {at} ms"),
        _ => return None,
    };
    // Arrived by `at + 1 + max`; the IDLE_TIMEOUT left no sooner than `closed_ms - max`.
    (at + 1 + max <= closed_ms.saturating_sub(max)).then(|| Heard { at_ms: at + min, what })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context};
    use crate::protocol::{CloseCode, ErrorFrame};
    use crate::sim::trace::Fault;

    /// Client 0's session established at 102 ms (the client's records from 100 ms), then what
    /// `between` adds, then closed as idle at `closed_ms`, on a gateway with a 3 s idle timeout.
    fn closed_idle(between: impl FnOnce(TraceBuilder) -> TraceBuilder, closed_ms: u64) -> Trace {
        let builder = TraceBuilder::new().idle_timeout(3000).client(0, "alice").at(100).established(
            0,
            1,
            &context("a1", "alice"),
        );
        let idle = ErrorFrame::new(ErrorCode::IdleTimeout, "nothing received for 3s");
        between(builder)
            .at(closed_ms)
            .received(0, 1, ServerFrame::Error(idle))
            .closed_by_server(0, 1, Some(CloseCode::Policy.as_u16()))
            .build()
    }

    fn messages(trace: &Trace) -> Vec<String> {
        check(trace).into_iter().map(|violation| violation.message).collect()
    }

    #[test]
    fn a_session_closed_as_idle_soon_after_its_pong_is_caught() {
        let found = check(&closed_idle(|b| b.at(2000).pinged(0, 1), 4000));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].client, found[0].session, found[0].at_ms), (Some(0), Some(1), Some(4000)));
        assert_eq!(
            found[0].message,
            "session c0#1: got IDLE_TIMEOUT at 4000 ms, but the gateway had heard from it at 2001 ms or later (a \
             pong, written at 2000 ms): at most 1999 ms of silence, less than the idle timeout of 3000 ms"
        );
    }

    #[test]
    fn a_session_closed_as_idle_too_soon_after_a_message_or_its_start_is_caught() {
        let after_message = messages(&closed_idle(|b| b.at(1000).message(0, 1, 0, "hello"), 3500));
        assert!(after_message[0].contains("(c0-m0, sent at 1000 ms)"), "{after_message:?}");
        let after_start = messages(&closed_idle(|b| b, 3000));
        assert!(after_start[0].contains("heard from it at 92 ms or later (the session was established"));
    }

    #[test]
    fn a_session_silent_for_the_idle_timeout_passes() {
        assert_eq!(messages(&closed_idle(|b| b.at(2000).pinged(0, 1), 5010)), Vec::<String>::new());
        assert_eq!(messages(&closed_idle(|b| b, 3200)), Vec::<String>::new());
    }

    #[test]
    fn a_pong_that_may_not_have_arrived_before_the_close_does_not_count() {
        // Written at 3980 ms on a 1..=10 ms link, it may have arrived at 3991 ms, after the close
        // left at 3990 ms at the earliest; silence counts from the start then.
        assert_eq!(messages(&closed_idle(|b| b.at(3980).pinged(0, 1), 4000)), Vec::<String>::new());
        assert_eq!(check(&closed_idle(|b| b.at(3979).pinged(0, 1), 4000)).len(), 1);
    }

    #[test]
    fn a_session_behind_a_held_or_slow_link_owes_nothing_it_cannot_be_sure_of() {
        let held = |b: TraceBuilder| {
            b.at(1500)
                .fault(Fault::Hold { a: GATEWAY.into(), b: "client-0".into() })
                .at(1600)
                .fault(Fault::Release { a: GATEWAY.into(), b: "client-0".into() })
                .at(2000)
                .pinged(0, 1)
        };
        assert_eq!(messages(&closed_idle(held, 4000)), Vec::<String>::new());
        let slow = |b: TraceBuilder| b.link_latency("client-0", GATEWAY, (0, 1000)).at(2000).pinged(0, 1);
        assert_eq!(messages(&closed_idle(slow, 4000)), Vec::<String>::new());
    }
}
