//! The connect deadline, kept: whatever auth and idgen do, a session has its answer by the
//! deadline. The gateway starts the deadline's clock once the upgrade is done, which is no later
//! than the client's `handshake 101`, and when it passes the gateway stops retrying and sends
//! its 1013 at once; so the answer (`connection_established`, a refusal, a 1013, or a close)
//! arrives no later than the deadline, the client link's greatest latency and a millisecond of
//! rounding after the handshake. A gateway that retries past its deadline, or forgets to bound a
//! call by what is left of it, keeps the client waiting longer.
//!
//! Judged only where the bound means something: the client waited that long (a client that gave
//! up or closed earlier saw nothing late), the link to the client was sound and the gateway ran
//! through the whole wait (a fault or a restart may delay or swallow the answer).

use crate::rules::Clause;
use crate::sim::scenario::GATEWAY;
use crate::sim::trace::{Event, Side, Waiting};

use super::super::findings::{Findings, Violation};
use super::super::sessions::Session;
use super::Judge;

pub(super) const KEPT: Clause = Clause::kept("connect.deadline");

impl Judge<'_> {
    /// A session left without an answer past the deadline.
    pub(super) fn unanswered_past_deadline(
        &self,
        session: &Session<'_>,
        handshake_ms: u64,
        findings: &mut Findings,
    ) -> Option<Violation> {
        let (_, max) = self.conditions.latency(session.host, GATEWAY);
        let due_ms = handshake_ms + self.deadline_ms + max + 1;
        let after = session.records.iter().filter(|record| record.at_ms >= handshake_ms);
        // The first thing that ended the wait: an answer, or the client giving up or losing it.
        let ended = after.clone().find(|record| {
            matches!(
                record.event,
                Event::Received { .. }
                    | Event::Unparsed { .. }
                    | Event::Closed { .. }
                    | Event::Lost { .. }
                    | Event::TimedOut { .. }
            ) || matches!(record.event, Event::Fault { .. })
        });
        let (waited_until, answered) = match ended.map(|record| (record.at_ms, &record.event)) {
            Some((
                at,
                Event::Received { .. } | Event::Unparsed { .. } | Event::Closed { by: Side::Server, .. },
            )) => (at, true),
            Some((at, Event::TimedOut { waiting_for: Waiting::Established, .. })) => (at, false),
            // Closed by the client, lost, or its host crashed: it stopped waiting on its own.
            Some(_) => return None,
            None => return None,
        };
        if waited_until <= due_ms {
            if answered {
                findings.judged(KEPT);
            }
            return None;
        }
        let attempt_ms = session.attempt_ms();
        let sound = !self.history.link_faulted_during(session.host, GATEWAY, attempt_ms, waited_until)
            && self.history.served_throughout(GATEWAY, 0, attempt_ms, waited_until);
        if !sound {
            return None;
        }
        findings.judged(KEPT);
        let what = if answered { "its answer arrived only" } else { "it was still waiting" };
        let problem = format!(
            "was upgraded at {handshake_ms} ms, and {what} at {waited_until} ms: the {} ms connect deadline \
             and the link's {max} ms put its answer at {due_ms} ms at the latest",
            self.deadline_ms
        );
        Some(session.violation(KEPT, waited_until, problem))
    }
}
