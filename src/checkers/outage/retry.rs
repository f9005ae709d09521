//! Retries, kept: a dependency that comes back while the gateway still has time is found. Each
//! call is bounded by the per-try timeout and each wait between calls by the backoff's cap, so
//! from the moment a dependency is up, warm and reachable, the call then in flight ends within a
//! per-try timeout, the next starts within a cap, and it is answered within four of the link's
//! one-way trips. A second per-try timeout and cap allow for one call taken on a kept-alive
//! connection that a crash of the dependency left half open; a dependency that was only warming
//! up, alive throughout, needs neither (its 503s come at once). So a 1013 naming a dependency that
//! was reachable that long before the deadline passed is a gateway that stopped retrying, waited
//! longer than its backoff allows, or did not bound a call; and so is a session established
//! later than that after its dependency came back (`found_after_outage`).
//!
//! For `IDGEN_UNAVAILABLE`, auth must also have been reachable long enough before idgen's window
//! for its answer to have come: idgen is asked only once auth has answered.

use crate::protocol::ErrorCode;
use crate::rules::Clause;
use crate::sim::scenario::{AUTH, GATEWAY, IDGEN};

use super::super::findings::{Findings, Violation};
use super::super::liveness::HEALTHY_LATENCY_MS;
use super::super::sessions::Session;
use super::Judge;

const KEPT: Clause = Clause::kept("connect.retry");

/// How a dependency stood through a session's connect, from its earliest start to its
/// `connection_established`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stood {
    /// Up, warm and reachable throughout.
    Throughout,
    /// Unreachable at some moment, then reachable from this moment on.
    BackAt(u64),
    /// Not reachable even at the end, by the rule's measure: on a link that may be slow.
    Unjudged,
}

impl Judge<'_> {
    /// A session established although a dependency was unreachable at some moment of its
    /// connect: the retries found it, as the rule asks, and soon enough. From the moment it is
    /// back, a dependency is found within its finding window (the call in flight ends, a capped
    /// backoff, an exchange); auth is asked first and idgen once auth has answered, each
    /// answering at once, in one exchange, when it stood throughout in its one lifetime on a link
    /// never faulted (else within its finding window too); and `connection_established` then
    /// takes one trip to the client. A session established later than that waited out a backoff
    /// longer than the cap, or a call longer than the per-try timeout, while the dependency was
    /// there to answer.
    pub(super) fn found_after_outage(
        &self,
        session: &Session<'_>,
        handshake_ms: u64,
        findings: &mut Findings,
    ) -> Option<Violation> {
        let (established_ms, _) = session.established()?;
        let began_ms = self.earliest_start(session, handshake_ms);
        let [auth, idgen] = [AUTH, IDGEN].map(|dependency| self.stood(dependency, began_ms, established_ms));
        if auth == Stood::Throughout && idgen == Stood::Throughout {
            return None;
        }
        findings.judged(KEPT);
        if auth == Stood::Unjudged
            || idgen == Stood::Unjudged
            || self.history.link_faulted_during(session.host, GATEWAY, began_ms, established_ms)
        {
            return None;
        }
        // The connect began by the time its 101 arrived, at the latest.
        let auth_by = self.found_by(AUTH, auth, handshake_ms, began_ms, established_ms);
        let idgen_by = self.found_by(IDGEN, idgen, auth_by, began_ms, established_ms);
        let (_, trip) = self.conditions.latency(GATEWAY, session.host);
        let bound_ms = idgen_by + trip + 1;
        if established_ms <= bound_ms {
            return None;
        }
        let back: Vec<String> = [(AUTH, auth), (IDGEN, idgen)]
            .into_iter()
            .filter_map(|(name, stood)| match stood {
                Stood::BackAt(at_ms) => {
                    Some(format!("{name} was up, warm and reachable again from {at_ms} ms on"))
                }
                _ => None,
            })
            .collect();
        let problem = format!(
            "was established at {established_ms} ms, but {}: a gateway whose calls end within the per-try timeout \
             and whose backoff stops at its cap would have had its answers and sent connection_established by \
             {bound_ms} ms",
            back.join(" and ")
        );
        Some(session.violation(KEPT, established_ms, problem))
    }

    /// How `dependency` stood from `from` to `to`. Reachable from a moment on stays reachable
    /// from any later one, so the moment it came back is found by halving.
    fn stood(&self, dependency: &str, from: u64, to: u64) -> Stood {
        if self.reachable(dependency, from, to) {
            return Stood::Throughout;
        }
        if !self.reachable(dependency, to, to) {
            return Stood::Unjudged;
        }
        let (mut unreachable, mut back) = (from, to);
        while back - unreachable > 1 {
            let middle = unreachable + (back - unreachable) / 2;
            if self.reachable(dependency, middle, to) { back = middle } else { unreachable = middle }
        }
        Stood::BackAt(back)
    }

    /// The latest `dependency`, asked from `asked_ms` on, is found by, when it stood as `stood`
    /// through the connect from `began_ms` to `to`: at once, in one exchange of four trips, if it
    /// ran in one lifetime on a link never faulted until `to` (no connection of an earlier
    /// lifetime to take), else within its finding window from when it was both asked and back.
    fn found_by(&self, dependency: &str, stood: Stood, asked_ms: u64, began_ms: u64, to: u64) -> u64 {
        let steady = || {
            self.history.first_start(dependency).is_some_and(|start| {
                self.reachable(dependency, start + self.conditions.warmup(dependency), to)
            }) && !self.history.link_faulted_during(GATEWAY, dependency, 0, to)
        };
        match stood {
            Stood::Throughout if steady() => {
                asked_ms + 4 * self.conditions.max_latency(GATEWAY, dependency) + 2
            }
            Stood::BackAt(back_ms) => {
                back_ms.max(asked_ms) + self.finding_window_ms(dependency, began_ms, to)
            }
            _ => asked_ms + self.finding_window_ms(dependency, began_ms, to),
        }
    }

    /// How long `dependency` must be reachable before a deadline for the gateway to surely find it.
    /// When it was up, in one lifetime, on a sound link, from `alive_from` to `to`, and only warming
    /// up, every call failed at once with a 503 that also dropped the kept connections: from the
    /// moment it is warm, one call in flight (a per-try timeout at most, should it have taken a
    /// connection an earlier lifetime left), one capped backoff and two exchanges find it. Without
    /// that, a crash may leave kept connections half open, so twice the timeout and the backoff.
    fn finding_window_ms(&self, dependency: &str, alive_from: u64, to: u64) -> u64 {
        let limits = &self.conditions.limits;
        let (per_try, cap) = (limits.per_try_timeout_ms, limits.backoff_ms.1);
        let trip = self.conditions.max_latency(GATEWAY, dependency);
        let alive = self.conditions.max_latency(GATEWAY, dependency) <= HEALTHY_LATENCY_MS
            && self.history.served_throughout(dependency, 0, alive_from, to)
            && !self.history.link_faulted_during(GATEWAY, dependency, alive_from, to);
        if alive { per_try + cap + 8 * trip + 2 } else { 2 * (per_try + cap) + 4 * trip + 2 }
    }

    /// A 1013 for `code`, received at `refused_ms`, although its dependency was reachable long
    /// enough before the deadline for a retrying gateway to find it.
    pub(super) fn found_too_late(
        &self,
        session: &Session<'_>,
        code: ErrorCode,
        handshake_ms: u64,
        refused_ms: u64,
        findings: &mut Findings,
    ) -> Option<Violation> {
        let (_, max) = self.conditions.latency(session.host, GATEWAY);
        let began_ms = handshake_ms.saturating_sub(max);
        // The deadline passed no sooner than the 1013 could have left the gateway: one trip before
        // it arrived, or any time since the deadline could first have passed if a partition or a
        // hold of the client's link may have kept it.
        let earliest_deadline = began_ms + self.deadline_ms;
        let deadline_from =
            if self.history.link_faulted_during(session.host, GATEWAY, earliest_deadline, refused_ms) {
                earliest_deadline
            } else {
                refused_ms.saturating_sub(max + 1)
            };
        let (dependency, asked_from) = match code {
            ErrorCode::AuthUnavailable => (AUTH, handshake_ms),
            _ => {
                if !self.reachable(AUTH, began_ms, refused_ms) {
                    return None;
                }
                (IDGEN, handshake_ms + self.finding_window_ms(AUTH, began_ms, refused_ms))
            }
        };
        let window = self.finding_window_ms(dependency, began_ms, refused_ms);
        let from = deadline_from.checked_sub(window).filter(|&from| from >= asked_from)?;
        if !self.reachable(dependency, from, refused_ms) {
            return None;
        }
        findings.judged(KEPT);
        let problem = format!(
            "got {} at {refused_ms} ms, but {dependency} was up, warm and reachable from {from} ms on, {window} ms \
             before the deadline passed: time enough for the call in flight to end, a backoff at its cap and an \
             answer",
            code.as_str()
        );
        Some(session.violation(KEPT, refused_ms, problem))
    }
}

#[cfg(test)]
mod tests {
    use super::super::check;
    use crate::checkers::testing::{TraceBuilder, context, violations};
    use crate::protocol::{ErrorFrame, ServerFrame};
    use crate::sim::scenario::{AUTH, GATEWAY, GatewayLimits};
    use crate::sim::trace::{Event, Fault, Trace};

    /// Client 0 attempts at 200 ms, is upgraded at 201 ms and gets `frame` at `at_ms`.
    fn answered(builder: TraceBuilder, at_ms: u64, frame: ServerFrame) -> Trace {
        builder
            .client(0, "alice")
            .at(200)
            .attempt(0, 1)
            .at(201)
            .handshake(0, 1, 101, None)
            .at(at_ms)
            .received(0, 1, frame)
            .build()
    }

    fn messages(trace: &Trace) -> Vec<String> {
        violations(check, trace).into_iter().map(|violation| violation.message).collect()
    }

    #[test]
    fn a_session_established_later_than_a_capped_backoff_after_its_dependency_came_back_is_caught() {
        let established = ServerFrame::ConnectionEstablished { context: context("a1", "alice") };
        // auth restarted at 1000 ms: a call in flight, a capped backoff, a second of each for a
        // connection the crash left half open (4042 ms on 10 ms links), idgen's exchange (42 ms),
        // the trip to the client (10 ms).
        let restarted = || {
            TraceBuilder::new()
                .at(100)
                .fault(Fault::Crash { host: AUTH.into() })
                .at(1000)
                .record(AUTH, Event::ServiceStarted { incarnation: 2 })
        };
        assert_eq!(messages(&answered(restarted(), 5095, established.clone())), Vec::<String>::new());
        assert_eq!(
            messages(&answered(restarted(), 5096, established.clone())),
            [
                "session c0#1: was established at 5096 ms, but auth was up, warm and reachable again from 1000 ms \
                 on: a gateway whose calls end within the per-try timeout and whose backoff stops at its cap would \
                 have had its answers and sent connection_established by 5095 ms"
            ]
        );
        // Warming up in one lifetime (started at 1 ms), auth answered its 503s at once: one call
        // in flight, one capped backoff and an exchange after it was warm at 1501 ms.
        let warming = || TraceBuilder::new().warmup(AUTH, 1500);
        assert_eq!(messages(&answered(warming(), 3636, established.clone())), Vec::<String>::new());
        assert_eq!(messages(&answered(warming(), 3637, established)).len(), 1);
    }

    #[test]
    fn a_1013_a_hold_of_the_clients_link_delivered_late_is_judged_from_the_earliest_deadline() {
        // Retries of 200 ms at most: auth is found within 842 ms of coming back, unless it
        // comes back later than that before the deadline passes, at 5200 ms at the earliest.
        let limits =
            GatewayLimits { per_try_timeout_ms: 200, backoff_ms: (100, 200), ..GatewayLimits::default() };
        let held_until_6000 = |repaired_ms| {
            let builder = TraceBuilder::new()
                .limits(limits.clone())
                .at(100)
                .fault(Fault::Partition { a: GATEWAY.into(), b: AUTH.into() })
                .at(repaired_ms)
                .fault(Fault::Repair { a: GATEWAY.into(), b: AUTH.into() })
                .at(4500)
                .fault(Fault::Hold { a: GATEWAY.into(), b: "client-0".into() })
                .at(6000)
                .fault(Fault::Release { a: GATEWAY.into(), b: "client-0".into() });
            let refusal = ErrorFrame::new(crate::protocol::ErrorCode::AuthUnavailable, "unavailable");
            messages(&answered(builder, 6000, ServerFrame::Error(refusal)))
        };
        assert_eq!(held_until_6000(4700), Vec::<String>::new(), "the 1013 may have left at 5200 ms");
        let found = held_until_6000(4000);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("reachable from 4349 ms on, 842 ms before"), "{found:?}");
    }
}
