//! A limit's refusal needs its cause in the trace: the gateway may not refuse what no limit
//! forbids. Each rule is a necessary condition the trace can show for certain, so it never
//! blames a refusal the gateway owed; what it catches is a refusal with no possible cause.

use crate::protocol::{ErrorCode, ErrorFrame};
use crate::rules::Clause;
use crate::sim::scenario::{GATEWAY, GatewayLimits};
use crate::sim::trace::Event;

use super::super::conditions::Conditions;
use super::super::sessions::Session;

const FRAME_SIZE: Clause = Clause::justified("limits.frame-size");
pub const FRAME_SIZE_KEPT: Clause = Clause::kept("limits.frame-size");
const RATE: Clause = Clause::justified("limits.rate");
const SESSIONS: Clause = Clause::justified("limits.sessions-per-user");
const OUTBOUND: Clause = Clause::justified("limits.outbound");

/// The rule that judges whether an error of `code` had its cause, if a limit's.
pub fn cause(code: ErrorCode) -> Option<Clause> {
    match code {
        ErrorCode::MessageTooBig => Some(FRAME_SIZE),
        ErrorCode::RateLimited => Some(RATE),
        ErrorCode::TooManySessions => Some(SESSIONS),
        ErrorCode::SlowConsumer => Some(OUTBOUND),
        _ => None,
    }
}

/// A frame over the limit that the gateway read on past: the message got events, or a message sent
/// after it did (the gateway reads a session's frames in order, so it read the big one first).
/// With when; the clause goes to `judged` once the session sent such a frame.
pub fn read_past_too_big(
    session: &Session<'_>,
    limits: &GatewayLimits,
    judged: &mut Vec<Clause>,
) -> Option<(u64, String)> {
    let sent: Vec<_> = session.sent().collect();
    let first_big = sent.iter().position(|s| s.frame_bytes() > limits.max_frame_bytes)?;
    judged.push(FRAME_SIZE_KEPT);
    let big = sent[first_big];
    let read_past: Vec<&str> = sent[first_big..].iter().map(|s| s.message_id).collect();
    // Frames after the big one's sending: an id used again may have been answered before.
    let big_sent = session.records.iter().position(
        |r| matches!(&r.event, Event::Sent { message_id, .. } if r.at_ms == big.at_ms && message_id == big.message_id),
    )?;
    let (at_ms, frame) = session.records[big_sent..].iter().find_map(|record| match &record.event {
        Event::Received { frame, .. }
            if frame.as_event().is_some_and(|(_, event)| read_past.contains(&event.message_id.as_str())) =>
        {
            Some((record.at_ms, frame))
        }
        _ => None,
    })?;
    let about = frame.message_id().unwrap_or_default();
    let which = if about == big.message_id { "it" } else { "a message sent after it" };
    Some((
        at_ms,
        format!(
            "{} was a frame of {} bytes, over the limit of {}, yet {which} ({about}) got {}: the gateway must \
             refuse it MESSAGE_TOO_BIG and close with 1009",
            big.message_id,
            big.frame_bytes(),
            limits.max_frame_bytes,
            frame.type_name()
        ),
    ))
}

/// Why a `SLOW_CONSUMER` received at `at_ms` cannot have been the outbox overflowing, if it
/// cannot. The outbox holds what the gateway queued and has not written yet, at most
/// `outbound_frames` (eight at the least); a push that finds it full closes the session. What was
/// written reached the client before the `SLOW_CONSUMER`, which follows it on the same
/// connection, so an overflow needs more frames queued than the client read before it, by the
/// outbox's size and one. The gateway queues for a session its `connection_established`, five
/// frames at most a message, one answer each bad frame, and a ping each third of the idle timeout.
fn slow_without_cause(session: &Session<'_>, at_ms: u64, conditions: &Conditions<'_>) -> Option<String> {
    let idle_timeout_ms = conditions.idle_timeout_ms?;
    let (established_ms, _) = session.established()?;
    let (_, max) = conditions.latency(session.host, GATEWAY);
    let before = session.records.iter().filter(|record| record.at_ms <= at_ms);
    let (mut messages, mut others, mut read) = (0u64, 0u64, 0u64);
    for record in before {
        match record.event {
            Event::Sent { .. } => messages += 1,
            Event::SentBad { .. } => others += 1,
            Event::Received { .. } => read += 1,
            _ => {}
        }
    }
    let pings = (at_ms + max).saturating_sub(established_ms) / (idle_timeout_ms / 3).max(1) + 1;
    let most_queued = 1 + 5 * messages + others + pings;
    let outbox = conditions.limits.outbound_frames.max(8) as u64;
    // The SLOW_CONSUMER itself is among what the client read.
    let read = read.saturating_sub(1);
    (most_queued < read + outbox + 1).then(|| {
        format!(
            "SLOW_CONSUMER, but the gateway can have queued at most {most_queued} frames for the session and the \
             client had read {read}: an outbox of {outbox} cannot have overflowed"
        )
    })
}

/// What is wrong with `error`, received at `at_ms` in `session`, among `all` the run's sessions,
/// and the rule it breaks.
pub fn uncaused(
    session: &Session<'_>,
    all: &[Session<'_>],
    error: &ErrorFrame,
    at_ms: u64,
    conditions: &Conditions<'_>,
) -> Option<(Clause, String)> {
    let limits = &conditions.limits;
    let problem = match error.code {
        ErrorCode::SlowConsumer => slow_without_cause(session, at_ms, conditions)?,
        ErrorCode::MessageTooBig if !session.sent_too_big(limits.max_frame_bytes) => format!(
            "MESSAGE_TOO_BIG, but the session sent no frame over the limit of {} bytes",
            limits.max_frame_bytes
        ),
        // The bucket starts full, so the first `message_burst` messages are always admitted.
        ErrorCode::RateLimited => {
            let sent = session.user_message_frames().filter(|(sent_ms, _)| *sent_ms <= at_ms).count();
            if sent > limits.message_burst as usize {
                return None;
            }
            format!(
                "RATE_LIMITED after {sent} messages, within the session's burst of {}",
                limits.message_burst
            )
        }
        // Counting every other session of the user that began before the refusal, ended or
        // not: the gateway may still hold one the client has given up on.
        ErrorCode::TooManySessions => {
            let others = all
                .iter()
                .filter(|other| other.user.is_some() && other.user == session.user)
                .filter(|other| (other.client, other.number) != (session.client, session.number))
                .filter(|other| other.attempt_ms() <= at_ms)
                .count();
            if others >= limits.sessions_per_user {
                return None;
            }
            format!(
                "TOO_MANY_SESSIONS, but only {others} other sessions of the user had begun; the limit is {}",
                limits.sessions_per_user
            )
        }
        _ => return None,
    };
    Some((cause(error.code)?, problem))
}

#[cfg(test)]
mod tests {
    use crate::checkers::clear_errors::check;
    use crate::checkers::testing::{TraceBuilder, context, violations};
    use crate::protocol::{ErrorCode, ErrorFrame, ServerFrame};
    use crate::sim::scenario::GatewayLimits;
    use crate::sim::trace::Trace;

    fn tight() -> GatewayLimits {
        GatewayLimits {
            sessions_per_user: 1,
            message_burst: 2,
            max_frame_bytes: 200,
            ..GatewayLimits::default()
        }
    }

    /// Alice's session sends `contents` and is then refused with `code`.
    fn refused_after(contents: &[&str], code: ErrorCode) -> Trace {
        let builder =
            TraceBuilder::new().limits(tight()).client(0, "alice").established(0, 1, &context("a1", "alice"));
        let builder = (0..).zip(contents).fold(builder, |b, (i, content)| b.sent(0, 1, i, content));
        builder.received(0, 1, ServerFrame::Error(ErrorFrame::new(code, "refused"))).build()
    }

    #[test]
    fn message_too_big_needs_a_frame_over_the_recorded_limit() {
        let big = "x".repeat(300);
        assert!(violations(check, &refused_after(&[&big], ErrorCode::MessageTooBig)).is_empty());
        let found = violations(check, &refused_after(&["small"], ErrorCode::MessageTooBig));
        assert!(found[0].message.contains("no frame over the limit of 200 bytes"), "{found:?}");
    }

    #[test]
    fn rate_limited_needs_more_messages_than_the_burst() {
        assert!(violations(check, &refused_after(&["a", "b", "c"], ErrorCode::RateLimited)).is_empty());
        let found = violations(check, &refused_after(&["a", "b"], ErrorCode::RateLimited));
        assert!(found[0].message.contains("after 2 messages, within the session's burst of 2"), "{found:?}");
    }

    #[test]
    fn too_many_sessions_needs_as_many_other_sessions_of_the_user_as_the_limit() {
        let refusal = ServerFrame::Error(ErrorFrame::new(ErrorCode::TooManySessions, "refused"));
        let first = || TraceBuilder::new().limits(tight()).client(0, "alice");
        let alone = first().upgraded(0, 1).received(0, 1, refusal.clone()).build();
        let found = violations(check, &alone);
        assert!(found[0].message.contains("only 0 other sessions of the user had begun"), "{found:?}");
        let second = first().established(0, 1, &context("a1", "alice")).client(1, "alice");
        assert!(violations(check, &second.upgraded(1, 1).received(1, 1, refusal).build()).is_empty());
    }
}
