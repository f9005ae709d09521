//! Retries, kept: a dependency that comes back while the gateway still has time is found. Each
//! call is bounded by the per-try timeout and each wait between calls by the backoff's cap, so
//! from the moment a dependency is up, warm and reachable, the call then in flight ends within a
//! per-try timeout, the next starts within a cap, and it is answered within four of the link's
//! one-way trips. A second per-try timeout and cap allow for one call taken on a kept-alive
//! connection that a crash of the dependency left half open. So a 1013 naming a dependency that
//! was reachable that long before the deadline passed is a gateway that stopped retrying, waited
//! longer than its backoff allows, or did not bound a call.
//!
//! For `IDGEN_UNAVAILABLE`, auth must also have been reachable long enough before idgen's window
//! for its answer to have come: idgen is asked only once auth has answered.

use crate::protocol::ErrorCode;
use crate::rules::Clause;
use crate::sim::scenario::{AUTH, GATEWAY, IDGEN};

use super::super::findings::{Findings, Violation};
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
    fn finding_window_ms(&self, dependency: &str) -> u64 {
        let limits = &self.conditions.limits;
        2 * (limits.per_try_timeout_ms + limits.backoff_ms.1)
            + 4 * self.conditions.max_latency(GATEWAY, dependency)
            + 2
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
        let (dependency, asked_from) = match code {
            ErrorCode::AuthUnavailable => (AUTH, handshake_ms),
            _ => {
                let began_ms = handshake_ms.saturating_sub(max);
                if !self.reachable(AUTH, began_ms, refused_ms) {
                    return None;
                }
                (IDGEN, handshake_ms + self.finding_window_ms(AUTH))
            }
        };
        let window = self.finding_window_ms(dependency);
        let from = deadline_from.checked_sub(window).filter(|&from| from >= asked_from)?;
        if !self.reachable(dependency, from, refused_ms) {
            return None;
        }
        findings.judged(KEPT);
        let problem = format!(
            "got {} at {refused_ms} ms, but {dependency} was up, warm and reachable from {from} ms on, {window} ms \
             before the deadline passed: time for a call in flight to time out, a backoff at its cap and an answer, \
             twice over",
            code.as_str()
        );
        Some(session.violation(KEPT, refused_ms, problem))
    }
}
