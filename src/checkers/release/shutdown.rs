//! The gateway's graceful shutdown (`docs/design.md` §2.12), read from a stop the simulator asked
//! for ([`Fault::Stop`]) and the moment the gateway's `serve` returned ([`Event::ServiceStopped`]).
//!
//! Kept, once a stop was asked and until a crash or bounce of the gateway: `serve` returns within
//! the shutdown grace and a session's two close waits; no connection attempted after the stop is
//! answered; a session still connecting is not established once the stop has surely reached it;
//! and a session open at the stop is closed by the server with 1000 and `server shutting down`
//! (unless an error that calls for another close came first), not before the messages it had
//! started were answered, unless the grace had run out. Justified: no close `server shutting
//! down` and no 503 `gateway is shutting down` before a stop was asked.

use crate::checkers::conditions::Conditions;
use crate::checkers::expected::closes_with;
use crate::checkers::findings::{Findings, Violation};
use crate::checkers::history::History;
use crate::checkers::sessions::{Session, sessions};
use crate::protocol::ServerFrame;
use crate::rules::Clause;
use crate::sim::scenario::GATEWAY;
use crate::sim::trace::{Event, Fault, Side, Trace};

pub(super) const KEPT: Clause = Clause::kept("shutdown.drain");
pub(super) const JUSTIFIED: Clause = Clause::justified("shutdown.drain");

const SHUTTING_DOWN: &str = "server shutting down";
const REFUSED_WHILE_DRAINING: &str = "gateway is shutting down";
/// The gateway's default shutdown grace, which every simulation runs.
const GRACE_MS: u64 = 5000;
/// A session that ends waits up to 1 s for its writer and 1 s for the client's close; and a
/// millisecond more for the trace's rounding, and a second for the accept loop's connections.
const ENDING_MS: u64 = 2000 + 1 + 1000;

pub(super) fn check(trace: &Trace, findings: &mut Findings) {
    let asked = trace.records.iter().find_map(|record| match &record.event {
        Event::Fault { fault: Fault::Stop { host } } if host == GATEWAY => Some(record.at_ms),
        _ => None,
    });
    justified(trace, asked, findings);
    if let Some(asked) = asked {
        kept(trace, asked, findings);
    }
}

fn justified(trace: &Trace, asked: Option<u64>, findings: &mut Findings) {
    let before_stop = |at_ms: u64| asked.is_none_or(|asked| at_ms < asked);
    for record in &trace.records {
        let problem = match &record.event {
            Event::Closed { by: Side::Server, code: Some(1000), reason, client, session } => {
                findings.judged(JUSTIFIED);
                (reason == SHUTTING_DOWN && before_stop(record.at_ms)).then(|| {
                    format!("session c{client}#{session} closed `{SHUTTING_DOWN}` before any stop was asked")
                })
            }
            Event::Handshake { status: 503, body, client, session, .. } => {
                findings.judged(JUSTIFIED);
                let draining = body.as_deref().is_some_and(|body| body.contains(REFUSED_WHILE_DRAINING));
                (draining && before_stop(record.at_ms)).then(|| {
                    format!("session c{client}#{session} refused 503 shutting down before any stop was asked")
                })
            }
            _ => None,
        };
        findings.extend(problem.map(|problem| Violation::of(JUSTIFIED, Some(record.at_ms), problem)));
    }
}

fn kept(trace: &Trace, asked: u64, findings: &mut Findings) {
    findings.judged(KEPT);
    let cut = trace
        .records
        .iter()
        .find(|r| {
            r.at_ms >= asked
                && matches!(&r.event, Event::Fault { fault: Fault::Crash { host } | Fault::Bounce { host } } if host == GATEWAY)
        })
        .map_or(u64::MAX, |record| record.at_ms);
    let returned = trace
        .records
        .iter()
        .find(|r| r.at_ms >= asked && r.host == GATEWAY && matches!(r.event, Event::ServiceStopped { .. }));
    let bound = asked + GRACE_MS + ENDING_MS;
    let last = trace.records.last().map_or(0, |record| record.at_ms);
    if returned.is_none_or(|r| r.at_ms > bound) && cut > bound && last > bound {
        let problem =
            format!("the gateway's serve had not returned {} ms after it was asked to stop", bound - asked);
        findings.push(Violation::of(KEPT, Some(bound), problem));
    }
    let conditions = Conditions::of(trace);
    let history = History::of(trace);
    for session in sessions(trace) {
        let latency = conditions.max_latency(GATEWAY, session.host);
        if let Some((at_ms, problem)) = session_problem(&session, asked, cut, latency, &history) {
            findings.push(session.violation(KEPT, at_ms, problem));
        }
    }
}

/// What is wrong with how `session` met the stop asked at `asked`, if anything.
fn session_problem(
    session: &Session<'_>,
    asked: u64,
    cut: u64,
    latency: u64,
    history: &History<'_>,
) -> Option<(u64, String)> {
    let attempt = session.attempt_ms();
    let established = session.established().map(|(at_ms, _)| at_ms);
    let answered = session.records.iter().find(|r| matches!(r.event, Event::Handshake { .. }));
    // A connection whose SYN surely left after the stop, so met no listener.
    if attempt > asked + 1 && attempt < cut {
        return answered.map(|r| {
            (r.at_ms, "its connection was accepted after the gateway was asked to stop".to_owned())
        });
    }
    let faulted = |to: u64| history.link_faulted_during(GATEWAY, session.host, asked, to);
    match established {
        // Still connecting when the stop surely reached its session: closed at once instead.
        Some(at_ms) if at_ms > asked + latency + 1 && attempt < asked && at_ms < cut && !faulted(at_ms) => {
            Some((at_ms, "it was established after the gateway was asked to stop".to_owned()))
        }
        Some(at_ms) if at_ms < asked => drained(session, asked, cut, at_ms),
        _ => None,
    }
}

/// What is wrong with how `session`, open since `established` when the stop was asked, ended.
fn drained(session: &Session<'_>, asked: u64, cut: u64, established: u64) -> Option<(u64, String)> {
    let end = session.end_after(established)?;
    if end.at_ms < asked || end.at_ms >= cut {
        return None;
    }
    let Event::Closed { by: Side::Server, code, reason, .. } = &end.event else { return None };
    let frames: Vec<(u64, &ServerFrame)> =
        session.frames().filter(|(at_ms, _)| *at_ms <= end.at_ms).collect();
    let called_for = frames
        .iter()
        .any(|(_, frame)| matches!(frame, ServerFrame::Error(e) if closes_with(e.code).is_some()));
    if called_for {
        return None;
    }
    if *code != Some(1000) || reason != SHUTTING_DOWN {
        return Some((
            end.at_ms,
            format!("closed with {code:?} {reason:?} at shutdown, not 1000 `{SHUTTING_DOWN}`"),
        ));
    }
    if end.at_ms >= asked + GRACE_MS {
        return None;
    }
    let unanswered = unanswered_started(&frames);
    unanswered.first().map(|message_id| {
        (
            end.at_ms,
            format!("closed at shutdown, within the grace, before its message {message_id} was answered"),
        )
    })
}

/// The messages whose `agent_started` came among `frames` but not their answer.
fn unanswered_started<'t>(frames: &[(u64, &'t ServerFrame)]) -> Vec<&'t str> {
    let mut started = Vec::new();
    for (_, frame) in frames {
        match frame {
            ServerFrame::AgentStarted(event) => started.push(event.message_id.as_str()),
            ServerFrame::AgentCompleted(event) => started.retain(|id| *id != event.message_id),
            ServerFrame::Error(error) => {
                if let Some(id) = &error.message_id {
                    started.retain(|started| started != id);
                }
            }
            _ => {}
        }
    }
    started
}
