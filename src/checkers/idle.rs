//! Idle timeout: the gateway closes a session as idle (`IDLE_TIMEOUT`) only when its client sent
//! nothing at all, not even a pong, for the idle timeout (the conditions record's).
//!
//! The gateway counts silence from the last thing it read from the client, whatever it was
//! (`last_heard` in `session/reader.rs`): a user message, a pong, a close, and it starts counting
//! as it establishes the session. The trace shows when the client wrote each: `Sent` (recorded as
//! the message is handed to the socket), `SentPing` (a JSON ping, likewise), `Pinged` (the pong
//! is written at that instant) and its
//! own `Closed`; and when `connection_established` arrived, which the gateway wrote, starting
//! its count, at most the link's greatest latency earlier.
//!
//! Every bound leans towards silence, with the link's latency range from the conditions record
//! and a millisecond more for the trace's rounding down to whole milliseconds. The gateway wrote
//! its `IDLE_TIMEOUT` between the link's greatest and least latency before the client got it. A
//! frame the client wrote at `s` arrived by `s + 1 + max`; it counts only if that is surely before
//! the gateway wrote the `IDLE_TIMEOUT`, and then as heard at the earliest it can have arrived,
//! `s + min`. That bound holds only for bytes the client could send at once: what it wrote since
//! the earliest of its bytes that may still be unacknowledged (two greatest latencies earlier)
//! must fit in the gateway's receive window, or the rest waits a round trip or more for the
//! window to reopen; a frame that may have waited does not count. A session is reported when
//! even so the gateway closed it less than the idle timeout after hearing from its client.
//!
//! Link faults void those bounds, so every bound a fault may have moved is dropped. A hold
//! delivers what it kept late, at the release; a partition drops what is due, and the connection
//! then stalls for good behind the lost bytes (turmoil-net resends nothing), so the frames the
//! client writes after it never arrive either. So a client frame counts only if it arrived before
//! any fault of the link since the session began; the session's start counts only if no fault
//! can have delayed `connection_established`; and a session whose `IDLE_TIMEOUT` a fault may have
//! delayed is not judged at all.

use crate::protocol::{ErrorCode, ServerFrame};
use crate::rules::Clause;
use crate::sim::engine::RECEIVE_WINDOW_BYTES;
use crate::sim::scenario::GATEWAY;
use crate::sim::trace::{Event, Record, Side, Trace};

use super::conditions::Conditions;
use super::findings::{Findings, Violation};
use super::history::History;
use super::sessions::{Session, sessions};

pub const NAME: &str = "idle-timeout";

/// The rule it judges.
const TIMEOUT: Clause = Clause::justified("idle.timeout");

/// More than the bytes a client frame adds to its content: the JSON around it, the WebSocket
/// header and mask. Frames without content (pongs, closes, bad input) count this alone.
const FRAME_OVERHEAD_BYTES: usize = 512;

pub fn check(trace: &Trace, findings: &mut Findings) {
    let conditions = Conditions::of(trace);
    let Some(idle_timeout_ms) = conditions.idle_timeout_ms else { return };
    let history = History::of(trace);
    for session in sessions(trace) {
        let found = check_session(&session, idle_timeout_ms, &conditions, &history, findings);
        findings.extend(found);
        pings::check_session(&session, idle_timeout_ms, &conditions, &history, findings);
    }
}

mod pings;

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
    findings: &mut Findings,
) -> Option<Violation> {
    let closed_ms = session.frames().find_map(|(at_ms, frame)| match frame {
        ServerFrame::Error(error) if error.code == ErrorCode::IdleTimeout => Some(at_ms),
        _ => None,
    })?;
    let (min, max) = conditions.latency(session.host, GATEWAY);
    let link = Link { session, history, max_ms: max, closed_after_ms: closed_ms.saturating_sub(max) };
    if link.faulted(link.closed_after_ms.saturating_sub(1), closed_ms) {
        return None;
    }
    findings.judged(TIMEOUT);
    let heard = session
        .records
        .iter()
        .take_while(|record| record.at_ms <= closed_ms)
        .filter_map(|record| link.heard(record, min))
        .max_by_key(|heard| heard.at_ms)?;
    // The gateway wrote the IDLE_TIMEOUT before `closed_ms + 1 - min`.
    let silence_ms = (closed_ms + 1).saturating_sub(min).saturating_sub(heard.at_ms);
    (silence_ms < idle_timeout_ms).then(|| {
        let problem = format!(
            "got IDLE_TIMEOUT at {closed_ms} ms, but the gateway had heard from it at {} ms or later ({}): at \
             most {silence_ms} ms of silence, less than the idle timeout of {idle_timeout_ms} ms",
            heard.at_ms, heard.what
        );
        session.violation(TIMEOUT, closed_ms, problem)
    })
}

/// A session's link to the gateway, as far as the checker can be sure of it.
struct Link<'a, 't> {
    session: &'a Session<'t>,
    history: &'a History<'t>,
    /// The link's greatest latency.
    max_ms: u64,
    /// The gateway wrote the `IDLE_TIMEOUT` no sooner than this.
    closed_after_ms: u64,
}

impl Link<'_, '_> {
    /// Whether the link was partitioned or held at some moment of `from..=to`.
    fn faulted(&self, from: u64, to: u64) -> bool {
        self.history.link_faulted_during(self.session.host, GATEWAY, from, to)
    }

    /// When the gateway heard `record`, at the earliest, if surely before it closed the session;
    /// `min` is the link's least latency.
    fn heard(&self, record: &Record, min: u64) -> Option<Heard> {
        let (at, max) = (record.at_ms, self.max_ms);
        let what = match &record.event {
            // Written by the gateway, which started counting then: before the close.
            Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. } => {
                let written = at.saturating_sub(max);
                let what = format!("the session was established, the client getting it at {at} ms");
                return (!self.faulted(written.saturating_sub(1), at))
                    .then_some(Heard { at_ms: written, what });
            }
            Event::Sent { message_id, .. } => format!("{message_id}, sent at {at} ms"),
            Event::SentAgain { message_id, .. } => format!("{message_id} again, sent at {at} ms"),
            Event::SentPing { .. } => format!("a JSON ping, sent at {at} ms"),
            Event::Pinged { .. } => format!("a pong, written at {at} ms"),
            Event::Closed { by: Side::Client, .. } => format!("its close, sent at {at} ms"),
            _ => return None,
        };
        let arrived_by = at + 1 + max;
        let arrived = arrived_by <= self.closed_after_ms
            && !self.faulted(self.session.attempt_ms(), arrived_by)
            && self.sent_at_once(at);
        arrived.then(|| Heard { at_ms: at + min, what })
    }

    /// Whether what the client wrote at `at` fits in the window with every byte it wrote before
    /// that may not have been acknowledged yet.
    fn sent_at_once(&self, at: u64) -> bool {
        let unacknowledged_from = at.saturating_sub(2 * self.max_ms + 1);
        let bytes: usize = self
            .session
            .records
            .iter()
            .filter(|record| (unacknowledged_from..=at).contains(&record.at_ms))
            .map(|record| match &record.event {
                Event::Sent { content, .. } => FRAME_OVERHEAD_BYTES + content.len(),
                // The same frame as the message's own.
                Event::SentAgain { message_id, .. } => {
                    FRAME_OVERHEAD_BYTES
                        + self
                            .session
                            .sent()
                            .find(|s| s.message_id == message_id)
                            .map_or(0, |s| s.content.len())
                }
                Event::SentBad { .. }
                | Event::SentPing { .. }
                | Event::Pinged { .. }
                | Event::Closed { by: Side::Client, .. } => FRAME_OVERHEAD_BYTES,
                _ => 0,
            })
            .sum();
        bytes <= RECEIVE_WINDOW_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context, violations};
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
        violations(check, trace).into_iter().map(|violation| violation.message).collect()
    }

    #[test]
    fn a_session_closed_as_idle_soon_after_its_pong_is_caught() {
        let found = violations(check, &closed_idle(|b| b.at(2000).pinged(0, 1), 4000));
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
    fn a_frame_that_may_have_waited_for_the_window_does_not_count() {
        // Seed 2637: a 63 KB message; its last bytes waited for the gateway's window to reopen,
        // a round trip after the first.
        let big = "x".repeat(RECEIVE_WINDOW_BYTES - FRAME_OVERHEAD_BYTES);
        assert_eq!(messages(&closed_idle(|b| b.at(1000).message(0, 1, 0, &big), 3500)).len(), 1);
        let bigger = format!("{big}x");
        assert_eq!(
            messages(&closed_idle(|b| b.at(1000).message(0, 1, 0, &bigger), 3500)),
            Vec::<String>::new()
        );
        // Two halves written within a round trip of each other add up: the second does not count.
        let half = "x".repeat(RECEIVE_WINDOW_BYTES / 2);
        let first = |b: TraceBuilder| b.at(200).message(0, 1, 0, &half);
        assert_eq!(messages(&closed_idle(first, 3205)), Vec::<String>::new());
        let both = |b: TraceBuilder| first(b).at(210).message(0, 1, 1, &half);
        assert_eq!(messages(&closed_idle(both, 3205)), Vec::<String>::new());
        let apart = |b: TraceBuilder| first(b).at(230).message(0, 1, 1, &half);
        assert_eq!(messages(&closed_idle(apart, 3205)).len(), 1);
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
        assert_eq!(violations(check, &closed_idle(|b| b.at(3979).pinged(0, 1), 4000)).len(), 1);
    }

    #[test]
    fn frames_a_link_fault_may_have_delayed_or_dropped_do_not_count() {
        let hold = |b: TraceBuilder, from: u64, to: u64| {
            b.at(from)
                .fault(Fault::Hold { a: GATEWAY.into(), b: "client-0".into() })
                .at(to)
                .fault(Fault::Release { a: GATEWAY.into(), b: "client-0".into() })
        };
        // A hold before the pong: it may have kept the bytes ahead of it.
        let held_before = |b: TraceBuilder| hold(b, 1500, 1600).at(2000).pinged(0, 1);
        assert_eq!(messages(&closed_idle(held_before, 4000)), Vec::<String>::new());
        // A partition after the pong had arrived: the pong counts.
        let cut_after = |b: TraceBuilder| {
            b.at(2000)
                .pinged(0, 1)
                .at(2500)
                .fault(Fault::Partition { a: GATEWAY.into(), b: "client-0".into() })
                .at(3000)
                .fault(Fault::Repair { a: GATEWAY.into(), b: "client-0".into() })
        };
        assert_eq!(violations(check, &closed_idle(cut_after, 4000)).len(), 1);
        // A hold as the IDLE_TIMEOUT travelled: when the gateway wrote it is unknown.
        let held_close = |b: TraceBuilder| hold(b.at(2000).pinged(0, 1), 3995, 3999);
        assert_eq!(messages(&closed_idle(held_close, 4000)), Vec::<String>::new());
    }

    #[test]
    fn on_a_slow_link_a_pong_may_arrive_too_late_to_count() {
        let slow = |b: TraceBuilder| b.link_latency("client-0", GATEWAY, (0, 1000)).at(2000).pinged(0, 1);
        assert_eq!(messages(&closed_idle(slow, 4000)), Vec::<String>::new());
    }
}
