//! The session limit, kept: a user never holds more sessions than `sessions_per_user`, so the one
//! too many is refused (`TOO_MANY_SESSIONS`) rather than established.
//!
//! The trace shows a session from the client's side, and the gateway holds it at least as long:
//! it takes the session's slot before it sends `connection_established`, and gives it back only
//! once the close handshake is over, which is after the client recorded its own close or read the
//! server's. That holds for a session that ended in a close, on a link no fault touched, in one
//! lifetime of the gateway; a session lost, timed out or cut off by a fault may have been freed
//! sooner, and is not counted; and one whose client lingered reading nothing is counted only until
//! the linger began, since the gateway may have closed it meanwhile (its close waits unread in the
//! client's socket). So when a session is established while the user's other sessions
//! that are surely held number the limit or more, the gateway held one too many at that instant.

use crate::protocol::{ErrorCode, ServerFrame};
use crate::rules::Clause;
use crate::sim::scenario::GATEWAY;
use crate::sim::trace::Event;

use super::super::history::History;
use super::super::sessions::Session;

pub const KEPT: Clause = Clause::kept("limits.sessions-per-user");

/// A session the gateway surely held from `from_ms` (its `connection_established`) to `to_ms`.
struct Held<'s, 't> {
    session: &'s Session<'t>,
    from_ms: u64,
    to_ms: u64,
}

/// Every session of `all` established while its user surely held `limit` others, with when and
/// why; the clause goes to `judged` when a session was refused for the limit or broke it.
pub fn over_the_limit<'s, 't>(
    all: &'s [Session<'t>],
    limit: usize,
    history: &History<'_>,
    judged: &mut Vec<Clause>,
) -> Vec<(&'s Session<'t>, u64, String)> {
    let refused = all.iter().flat_map(|s| s.frames()).any(
        |(_, frame)| matches!(frame, ServerFrame::Error(error) if error.code == ErrorCode::TooManySessions),
    );
    if refused {
        judged.push(KEPT);
    }
    let held: Vec<Held<'s, 't>> = all.iter().filter_map(|session| held(session, history)).collect();
    let mut found = Vec::new();
    for session in all {
        let (Some(user), Some((established_ms, _))) = (session.user, session.established()) else { continue };
        // The new session's own slot is surely taken by then only if nothing delayed its frame.
        let began_ms = session.attempt_ms();
        if history.link_faulted_during(session.host, GATEWAY, began_ms, established_ms) {
            continue;
        }
        let others: Vec<&Held<'_, '_>> = held
            .iter()
            .filter(|other| other.session.user == Some(user))
            .filter(|other| (other.session.client, other.session.number) != (session.client, session.number))
            .filter(|other| other.from_ms <= established_ms && established_ms <= other.to_ms)
            .filter(|other| {
                let since = other.session.attempt_ms().min(began_ms);
                history.served_throughout(GATEWAY, 0, since, established_ms)
            })
            .collect();
        if others.len() < limit {
            continue;
        }
        judged.push(KEPT);
        let listed: Vec<String> =
            others.iter().map(|o| format!("{} ({}-{} ms)", o.session.name(), o.from_ms, o.to_ms)).collect();
        let problem = format!(
            "was established at {established_ms} ms while user {user} already held {} sessions, {}: the limit \
             is {limit}, so this one must be refused TOO_MANY_SESSIONS",
            others.len(),
            listed.join(", ")
        );
        found.push((session, established_ms, problem));
    }
    found
}

/// The span over which the gateway surely held `session`, if it ended in a close that no fault
/// can have hastened.
fn held<'s, 't>(session: &'s Session<'t>, history: &History<'_>) -> Option<Held<'s, 't>> {
    let (from_ms, _) = session.established()?;
    let end = session.end_after(from_ms)?;
    if !matches!(end.event, Event::Closed { .. }) {
        return None;
    }
    // A client that lingers reading nothing cannot tell when the gateway closed its session (for
    // a frame not UTF-8, say) and freed its slot: from the linger's start it may already be free.
    let silent_from =
        session.linger().filter(|&(at_ms, reading, _)| !reading && at_ms >= from_ms).map(|(at_ms, ..)| at_ms);
    let to_ms = silent_from.map_or(end.at_ms, |silent| silent.min(end.at_ms));
    let began_ms = session.attempt_ms();
    let sound = !history.link_faulted_during(session.host, GATEWAY, began_ms, to_ms)
        && history.served_throughout(GATEWAY, 0, began_ms, to_ms);
    sound.then_some(Held { session, from_ms, to_ms })
}

#[cfg(test)]
mod tests {
    use crate::checkers::clear_errors::check;
    use crate::checkers::testing::{TraceBuilder, context, violations};
    use crate::protocol::{ErrorCode, ErrorFrame};
    use crate::sim::scenario::{BadInput, GatewayLimits};

    /// Alice's first session open, then a second one: established, or refused for the limit of one.
    fn second(refused: bool) -> TraceBuilder {
        let limits = GatewayLimits { sessions_per_user: 1, ..GatewayLimits::default() };
        let first = TraceBuilder::new().limits(limits).client(0, "alice").client(1, "alice");
        let first = first.established(0, 1, &context("a1", "alice"));
        let second = if refused {
            first.refused(1, 1, ErrorCode::TooManySessions)
        } else {
            first.established(1, 1, &context("a2", "alice")).closed_by_client(1, 1)
        };
        second.closed_by_client(0, 1)
    }

    #[test]
    fn a_session_over_the_limit_is_caught_and_one_refused_for_it_passes() {
        let found = violations(check, &second(false).build());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("while user alice already held 1 sessions, c0#1"), "{found:?}");
        assert_eq!(violations(check, &second(true).build()), []);
    }

    #[test]
    fn a_session_lost_rather_than_closed_is_not_counted_as_held() {
        let limits = GatewayLimits { sessions_per_user: 1, ..GatewayLimits::default() };
        let trace = TraceBuilder::new()
            .limits(limits)
            .client(0, "alice")
            .client(1, "alice")
            .established(0, 1, &context("a1", "alice"))
            .established(1, 1, &context("a2", "alice"))
            .lost(0, 1)
            .closed_by_client(1, 1)
            .build();
        assert_eq!(violations(check, &trace), []);
    }

    #[test]
    fn a_session_whose_client_lingers_unread_is_held_only_until_the_linger() {
        let limits = GatewayLimits { sessions_per_user: 1, ..GatewayLimits::default() };
        let alice = |first: &str| context(first, "alice");
        let lingering = TraceBuilder::new()
            .limits(limits.clone())
            .client(0, "alice")
            .client(1, "alice")
            .at(100)
            .established(0, 1, &alice("a1"))
            .sent_bad(0, 1, BadInput::NotUtf8)
            .lingering(0, 1, false, 5000);
        // The gateway closed the first session for its bad frame and freed its slot; its client
        // reads the close only when the linger ends.
        let later = lingering.at(1000).established(1, 1, &alice("a2")).closed_by_client(1, 1);
        let read = later.at(5200).errored(0, 1, ErrorFrame::new(ErrorCode::BadEncoding, "not UTF-8"));
        assert_eq!(violations(check, &read.build()), []);
        // Established before the linger began, the second session is still one too many.
        let before = TraceBuilder::new()
            .limits(limits)
            .client(0, "alice")
            .client(1, "alice")
            .at(100)
            .established(0, 1, &alice("a1"))
            .established(1, 1, &alice("a2"))
            .at(200)
            .lingering(0, 1, false, 5000)
            .at(5300)
            .closed_by_client(0, 1)
            .closed_by_client(1, 1);
        assert_eq!(violations(check, &before.build()).len(), 1);
    }
}
