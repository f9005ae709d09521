//! A limit's refusal needs its cause in the trace: the gateway may not refuse what no limit
//! forbids. Each rule is a necessary condition the trace can show for certain, so it never
//! blames a refusal the gateway owed; what it catches is a refusal with no possible cause.

use crate::protocol::{ErrorCode, ErrorFrame};
use crate::rules::Clause;
use crate::sim::scenario::GatewayLimits;

use super::super::sessions::Session;

const FRAME_SIZE: Clause = Clause::justified("limits.frame-size");
const RATE: Clause = Clause::justified("limits.rate");
const SESSIONS: Clause = Clause::justified("limits.sessions-per-user");

/// The rule that judges whether an error of `code` had its cause, if a limit's.
pub fn cause(code: ErrorCode) -> Option<Clause> {
    match code {
        ErrorCode::MessageTooBig => Some(FRAME_SIZE),
        ErrorCode::RateLimited => Some(RATE),
        ErrorCode::TooManySessions => Some(SESSIONS),
        _ => None,
    }
}

/// What is wrong with `error`, received at `at_ms` in `session`, among `all` the run's sessions,
/// and the rule it breaks.
pub fn uncaused(
    session: &Session<'_>,
    all: &[Session<'_>],
    error: &ErrorFrame,
    at_ms: u64,
    limits: &GatewayLimits,
) -> Option<(Clause, String)> {
    let problem = match error.code {
        ErrorCode::MessageTooBig if !session.sent_too_big(limits.max_frame_bytes) => format!(
            "MESSAGE_TOO_BIG, but the session sent no frame over the limit of {} bytes",
            limits.max_frame_bytes
        ),
        // The bucket starts full, so the first `message_burst` messages are always admitted.
        ErrorCode::RateLimited => {
            let sent = session.sent().filter(|sent| sent.at_ms <= at_ms).count();
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
