//! Release: every session the gateway opened is released by the end of the run. A session whose
//! client closed, vanished (a crashed client host leaves the connection half-open) or was cut off
//! must not keep its slot and its memory: the gateway frees a silent session within its idle
//! timeout. Once every client has stopped, the simulator's probe asks the gateway how many
//! sessions it still holds (`GET /stats`), waiting out the release window for that number to reach
//! zero ([`crate::sim::Scenario::release_window_ms`]); this checker reads the answer.
//!
//! A gateway that is down at the end holds nothing, so a probe it could not answer is a violation
//! only if it was up and warm through the probe's last question, and a trace without the probe's
//! answer is one unless it was down. (A question asked while it was down waits out its timeout:
//! the SYN is lost and nothing resends it.)
//!
//! Sessions end at a graceful shutdown too: [`shutdown`] judges how the gateway drains them.

use crate::rules::Clause;
use crate::sim::probe::REQUEST_TIMEOUT_MS;
use crate::sim::scenario::GATEWAY;
use crate::sim::trace::{Event, Trace};

use super::conditions::Conditions;
use super::findings::{Findings, Violation};
use super::history::History;

mod shutdown;

pub const NAME: &str = "release";

/// The rule it judges.
const RELEASED: Clause = Clause::kept("release.sessions");

pub fn check(trace: &Trace, findings: &mut Findings) {
    let answer = trace
        .records
        .iter()
        .rev()
        .find(|record| matches!(record.event, Event::GatewaySessions { .. } | Event::ProbeFailed { .. }));
    let problem = match answer.map(|record| &record.event) {
        Some(Event::GatewaySessions { open_sessions: 0, .. }) => None,
        Some(Event::GatewaySessions { open_sessions, opened_sessions, waited_ms }) => Some(format!(
            "the gateway still held {open_sessions} of the {opened_sessions} sessions it opened {waited_ms} ms \
             after every client had stopped, past its idle timeout of {} ms: {} leaked",
            Conditions::of(trace).idle_timeout_ms.unwrap_or_default(),
            if *open_sessions == 1 { "a session" } else { "sessions" }
        )),
        // Its last start was followed by a crash or a failure.
        _ if History::of(trace).running_since(GATEWAY).is_none() => None,
        Some(Event::ProbeFailed { reason }) => {
            let failed_at = answer.map_or(0, |record| record.at_ms);
            let asked_at = failed_at.saturating_sub(REQUEST_TIMEOUT_MS + 1);
            let warmup = Conditions::of(trace).warmup(GATEWAY);
            History::of(trace)
                .served_throughout(GATEWAY, warmup, asked_at, failed_at)
                .then(|| format!("the gateway was up but did not answer the end-of-run probe: {reason}"))
        }
        _ => Some(
            "the trace has no answer from the end-of-run probe, so leaked sessions would go unseen"
                .to_owned(),
        ),
    };
    // A gateway that opened no session has nothing to release.
    if matches!(answer.map(|record| &record.event), Some(Event::GatewaySessions { opened_sessions: 1.., .. }))
    {
        findings.judged(RELEASED);
    }
    let at_ms = answer.or(trace.records.last()).map(|record| record.at_ms);
    findings.extend(problem.map(|message| Violation::of(RELEASED, at_ms, message)));
    shutdown::check(trace, findings);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context, violations};
    use crate::sim::probe::PROBE_HOST;
    use crate::sim::trace::Fault;

    /// Two sessions of alice, the first closed, the second left open by a crashed client host.
    fn one_session_left_half_open() -> TraceBuilder {
        let alice = context("a1", "alice");
        TraceBuilder::new()
            .client(0, "alice")
            .established(0, 1, &alice)
            .closed_by_client(0, 1)
            .established(0, 2, &context("a2", "alice"))
            .fault(Fault::Crash { host: "client-0".to_owned() })
    }

    fn messages(trace: &Trace) -> Vec<String> {
        violations(check, trace).into_iter().map(|violation| violation.message).collect()
    }

    #[test]
    fn a_gateway_that_released_every_session_passes() {
        assert_eq!(messages(&one_session_left_half_open().probed(0, 2).build()), Vec::<String>::new());
    }

    #[test]
    fn a_session_still_held_after_the_release_window_is_a_leak() {
        let found = messages(&one_session_left_half_open().probed(1, 2).build());
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("the gateway still held 1 of the 2 sessions it opened"), "{}", found[0]);
        assert!(found[0].ends_with("past its idle timeout of 30000 ms: a session leaked"), "{}", found[0]);
    }

    #[test]
    fn an_unanswered_or_missing_probe_counts_only_while_the_gateway_is_up() {
        let unanswered = Event::ProbeFailed { reason: "connect: ConnectionRefused".to_owned() };
        let up = one_session_left_half_open().at(2_000).record(PROBE_HOST, unanswered.clone()).build();
        assert!(messages(&up)[0].contains("was up but did not answer"), "{:?}", messages(&up));
        let missing = one_session_left_half_open().build();
        assert!(messages(&missing)[0].contains("no answer from the end-of-run probe"));

        let crashed = || one_session_left_half_open().fault(Fault::Crash { host: GATEWAY.to_owned() });
        assert!(messages(&crashed().record(PROBE_HOST, unanswered).build()).is_empty());
        assert!(messages(&crashed().build()).is_empty());
        let restarted = crashed().record(GATEWAY, Event::ServiceStarted { incarnation: 2 });
        assert_eq!(messages(&restarted.build()).len(), 1);
    }

    #[test]
    fn a_probe_question_asked_before_the_gateway_came_back_does_not_count() {
        // Seed 22198: the gateway restarted 138 ms after the probe's last question left for it.
        let unanswered = Event::ProbeFailed { reason: "no answer within 1s".to_owned() };
        let restarted_at = |ms| {
            one_session_left_half_open()
                .fault(Fault::Crash { host: GATEWAY.to_owned() })
                .at(ms)
                .record(GATEWAY, Event::ServiceStarted { incarnation: 2 })
        };
        let asked_while_down = restarted_at(1_000).at(1_862).record(PROBE_HOST, unanswered.clone());
        assert_eq!(messages(&asked_while_down.build()), Vec::<String>::new());
        let asked_while_up = restarted_at(1_000).at(2_100).record(PROBE_HOST, unanswered);
        assert_eq!(messages(&asked_while_up.build()).len(), 1);
    }
}
