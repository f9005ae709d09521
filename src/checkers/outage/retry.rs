//! Retries, kept: a dependency that comes back while the gateway still has time is found. Each
//! call is bounded by the per-try timeout and each wait between calls by the backoff's cap, so
//! from the moment a dependency is up, warm and reachable, the call then in flight ends within a
//! per-try timeout, the next starts within a cap, and it is answered within four of the link's
//! one-way trips. A second per-try timeout and cap allow for one call taken on a kept-alive
//! connection that a crash of the dependency left half open; a dependency that was only warming
//! up, alive throughout, needs neither (its 503s come at once). So a 1013 naming a dependency that
//! was reachable that long before the deadline passed is a gateway that stopped retrying, waited
//! longer than its backoff allows, or did not bound a call.
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

impl Judge<'_> {
    /// A session established although a dependency was unreachable at some moment of its
    /// connect: the retries found it, as the rule asks.
    pub(super) fn found_after_outage(
        &self,
        session: &Session<'_>,
        handshake_ms: u64,
        findings: &mut Findings,
    ) {
        let Some((established_ms, _)) = session.established() else { return };
        let began_ms = self.earliest_start(session, handshake_ms);
        if [AUTH, IDGEN].iter().any(|dependency| !self.reachable(dependency, began_ms, established_ms)) {
            findings.judged(KEPT);
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
        // The deadline passed no sooner than the 1013 could have left the gateway.
        let deadline_from = refused_ms.saturating_sub(max + 1);
        let began_ms = handshake_ms.saturating_sub(max);
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
