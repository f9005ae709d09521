//! Liveness: once every fault has healed and every service is up, new sessions connect and their
//! messages complete within a stated bound of simulated time.
//!
//! **When the system counts as healed** (`healed_at`): after the last fault record (crash,
//! bounce, partition, repair, hold, release; a crashed client host ends its own sessions, and
//! the system has nothing to heal from), provided that by the end of the trace no link is
//! partitioned or held and auth, idgen and the gateway are all running, and after each service's
//! last start plus its warm-up (the trace's conditions record gives warm-ups; a trace without one
//! counts none). A link whose latency may exceed [`HEALTHY_LATENCY_MS`] one way is a standing
//! fault: it never heals. A slow gateway–auth or gateway–idgen link exempts the whole run (the
//! gateway's calls then time out, the incident of auth latency beyond the deadline, and 1013 is
//! the right answer); a slow link between a client host and the gateway exempts that host's
//! sessions.
//!
//! **The bound**, for every session whose connection attempt starts after `healed_at`:
//! - within [`CONNECT_BOUND_MS`] of the attempt it receives `connection_established`, or its
//!   token is refused (`AUTH_FAILED` or `TOKEN_EXPIRED`, which is an answer, and the clear-errors
//!   checker judges whether it was the right one), or the user is refused `TOO_MANY_SESSIONS`,
//!   also an answer: scenarios draw session limits as low as one, and the user's other sessions,
//!   half-open ones of a vanished client among them, may hold them all. A 1013, a failed or timed-out connect, a lost
//!   connection or silence is a violation.
//! - each message it sends gets `agent_completed`, or an error that keeps the session open (the
//!   client's own fault: a bad frame or too many messages, `RATE_LIMITED` among them), within
//!   [`MESSAGE_BOUND_MS`] for itself and for each earlier message of the session still unanswered
//!   when it was sent: the gateway runs a session's messages one at a time, so a message sent in a
//!   burst waits behind the others.
//! - except in a session the gateway closed with `MESSAGE_TOO_BIG` after the client sent a frame
//!   over the trace's frame limit: the close cuts short whatever the session was running, so its
//!   messages owe nothing (the clear-errors checker holds that such a close has its cause); nor
//!   in one whose client left the gateway's frames unread, closed `SLOW_CONSUMER` or stuck
//!   writing a flood while the gateway, its queue full, stopped reading.
//!
//! Why these numbers. With every link at most 200 ms one way, a healthy connect is: TCP connect and
//! the upgrade to the gateway (2 round trips), a new connection to auth and its answer (2), the
//! same to idgen (2), and `connection_established` back (half of one): 13 one-way trips, at most
//! 2.6 s, and nothing to retry since every service is up and warm. The gateway's connect deadline
//! (5 s) bounds the worst case of a gateway that retries, so 3 s already says "did not need to
//! retry", which is what a healed system owes. A message is one round trip (at most 400 ms) plus
//! the agent's think and tool time (at most 50 + 100 ms): 550 ms, bounded at 1 s. The client's own
//! waits (2 s connect, 8 s establish, 4 s per message by default) are longer, so a client never
//! gives up before the bound expires; a scenario with shorter waits would be reported.

use crate::protocol::{ErrorCode, ServerFrame};
use crate::rules::Clause;
use crate::sim::scenario::{AUTH, BadInput, GATEWAY, GatewayLimits, IDGEN, SERVICES};
use crate::sim::timeline;
use crate::sim::trace::{Event, Record, Trace, Waiting};

use super::conditions::Conditions;
use super::expected;
use super::findings::{Findings, Violation};
use super::history::History;
use super::sessions::{Sent, Session, sessions};

pub const NAME: &str = "liveness";

/// The rules it judges.
const CONNECT: Clause = Clause::kept("liveness.connect");
const MESSAGE: Clause = Clause::kept("liveness.message");
const QUEUE: Clause = Clause::kept("limits.queue");

/// The slowest a link may be, one way, and still count as healthy.
pub const HEALTHY_LATENCY_MS: u64 = 200;
/// From a connection attempt after the heal to `connection_established` or a token verdict.
pub const CONNECT_BOUND_MS: u64 = 3000;
/// From sending a message in such a session to its `agent_completed`.
pub const MESSAGE_BOUND_MS: u64 = 1000;

pub fn check(trace: &Trace, findings: &mut Findings) {
    let Some(healed) = healed_at(trace) else { return };
    let conditions = Conditions::of(trace);
    for session in sessions(trace)
        .iter()
        .filter(|s| s.attempt_ms() > healed)
        .filter(|s| conditions.max_latency(s.host, GATEWAY) <= HEALTHY_LATENCY_MS)
    {
        check_session(session, healed, &conditions.limits, findings);
    }
}

/// When every fault had healed and every service was up and warm, or `None` if that never
/// happened within the trace.
pub fn healed_at(trace: &Trace) -> Option<u64> {
    let conditions = Conditions::of(trace);
    if [AUTH, IDGEN].iter().any(|dependency| conditions.max_latency(GATEWAY, dependency) > HEALTHY_LATENCY_MS)
    {
        return None;
    }
    let history = History::of(trace);
    if history.a_link_faulted_at_end() {
        return None;
    }
    let ready: Option<Vec<u64>> = SERVICES
        .iter()
        .map(|&name| history.running_since(name).map(|at| at + conditions.warmup(name)))
        .collect();
    ready?.into_iter().chain([history.last_fault_ms]).max()
}

/// How a connection attempt turned out.
enum Attempt<'t> {
    /// Established, or its token refused: the gateway answered.
    Answered(u64),
    /// Anything else that ended the attempt.
    Failed(&'t Record),
}

fn check_session(session: &Session<'_>, healed: u64, limits: &GatewayLimits, findings: &mut Findings) {
    let max_frame_bytes = limits.max_frame_bytes;
    findings.judged(CONNECT);
    let start = session.attempt_ms();
    let since = format!("started at {start} ms, after everything had healed at {healed} ms,");
    let attempt = session.records.iter().find_map(|record| match &record.event {
        Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. } => {
            Some(Attempt::Answered(record.at_ms))
        }
        Event::Received { frame: ServerFrame::Error(error), .. }
            if matches!(
                error.code,
                ErrorCode::AuthFailed | ErrorCode::TokenExpired | ErrorCode::TooManySessions
            ) =>
        {
            Some(Attempt::Answered(record.at_ms))
        }
        Event::Received { frame: ServerFrame::Error(_), .. }
        | Event::ConnectFailed { .. }
        | Event::Closed { .. }
        | Event::Lost { .. }
        | Event::TimedOut { .. } => Some(Attempt::Failed(record)),
        // A bad request refused as such was answered; whether rightly is clear errors' question.
        Event::Handshake { status: 400..500, .. } if session.bad_input().is_some() => {
            Some(Attempt::Answered(record.at_ms))
        }
        Event::Handshake { status, .. } if *status != 101 => Some(Attempt::Failed(record)),
        _ => None,
    });
    let problem = match attempt {
        Some(Attempt::Answered(at)) if at - start <= CONNECT_BOUND_MS => {
            if closed_for_its_own_frame(session, max_frame_bytes) || closed_as_slow(session) {
                return;
            }
            // A refused session's messages owe nothing: the gateway never reads them.
            let Some((established_ms, _)) = session.established() else { return };
            let sent: Vec<_> = session.sent().collect();
            let answers: Vec<_> = sent.iter().map(|s| answer_to(session, s)).collect();
            // One message runs while the queue holds the others: past both, the gateway stops reading.
            let held_back = limits.max_queued_messages.max(1) + 1;
            for index in 0..sent.len() {
                let clause = if ahead(&sent, &answers, index) >= held_back { QUEUE } else { MESSAGE };
                findings.judged(clause);
                findings.extend(check_message(session, &sent, &answers, index, established_ms, clause));
            }
            return;
        }
        Some(Attempt::Answered(at)) => {
            format!(
                "{since} but was answered only at {at} ms, {} ms later; the bound is {CONNECT_BOUND_MS} ms",
                at - start
            )
        }
        Some(Attempt::Failed(record)) => format!(
            "{since} but instead of connecting within {CONNECT_BOUND_MS} ms: {} at {} ms",
            timeline::describe(record),
            record.at_ms
        ),
        None => format!("{since} but was never established nor its token refused"),
    };
    findings.push(session.violation(CONNECT, start, problem));
}

/// Whether the gateway closed the session for a frame the client should not have sent: with
/// `MESSAGE_TOO_BIG` after a frame over `max_frame_bytes`, or `BAD_ENCODING` after one that is
/// not UTF-8.
fn closed_for_its_own_frame(session: &Session<'_>, max_frame_bytes: usize) -> bool {
    let refused = |code| {
        session.records.iter().any(|record| {
            matches!(&record.event, Event::Received { frame: ServerFrame::Error(error), .. } if error.code == code)
        })
    };
    (refused(ErrorCode::MessageTooBig) && session.sent_too_big(max_frame_bytes))
        || (refused(ErrorCode::BadEncoding) && session.bad_input() == Some(BadInput::NotUtf8))
}

/// Whether the client left the gateway's frames unread: the gateway closed the session with
/// `SLOW_CONSUMER`, or the client's own write timed out. A client reads only after writing its
/// burst, so a write that cannot finish means the gateway stopped reading while the client was
/// not reading either: its queue full, or the session already closed as a slow consumer, a close
/// the client, still writing, never reads (seed 301: 51 messages unanswered, under the queue of
/// 64, and 3 outbound frames). Either way the client's records cannot say when answers came.
fn closed_as_slow(session: &Session<'_>) -> bool {
    session.records.iter().any(|record| {
        matches!(
            &record.event,
            Event::Received { frame: ServerFrame::Error(error), .. } if error.code == ErrorCode::SlowConsumer
        ) || matches!(&record.event, Event::TimedOut { waiting_for: Waiting::Send, .. })
    })
}

/// The record that answers `sent`: its `agent_completed` or an error naming it.
fn answer_to<'t>(session: &Session<'t>, sent: &Sent<'_>) -> Option<&'t Record> {
    let about = |frame: &ServerFrame| match frame {
        ServerFrame::AgentCompleted(event) => event.message_id == sent.message_id,
        ServerFrame::Error(error) => error.message_id.as_deref() == Some(sent.message_id),
        _ => false,
    };
    session.records.iter().copied().find(|record| {
        record.at_ms >= sent.at_ms && matches!(&record.event, Event::Received { frame, .. } if about(frame))
    })
}

/// What is wrong with how long the session's `index`th message took to be answered, if anything.
/// `answers` are those of `all`, in order: a flood of a thousand messages would otherwise have
/// each message look its predecessors' answers up again. A message sent before the client got
/// `connection_established` (at `established_ms`) waits unread until then, so its time counts
/// from then.
fn check_message(
    session: &Session<'_>,
    all: &[Sent<'_>],
    answers: &[Option<&Record>],
    index: usize,
    established_ms: u64,
    clause: Clause,
) -> Option<Violation> {
    let sent = &all[index];
    let from = sent.at_ms.max(established_ms);
    let answer = answers[index];
    let bound = MESSAGE_BOUND_MS * (1 + ahead(all, answers, index) as u64);
    // An error that closes the session is an end, not an answer.
    let answered_in_time = |record: &Record| {
        let closing = matches!(
            &record.event,
            Event::Received { frame: ServerFrame::Error(error), .. } if expected::closes_with(error.code).is_some()
        );
        !closing && record.at_ms.saturating_sub(from) <= bound
    };
    let instead = match answer {
        Some(record) if answered_in_time(record) => return None,
        Some(record) => Some(record),
        None => session.end_after(sent.at_ms),
    };
    let what = instead.map_or_else(
        || "nothing more happened in the session".to_owned(),
        |record| format!("{} at {} ms", timeline::describe(record), record.at_ms),
    );
    let problem = format!(
        "{}, sent at {} ms in a session started after the heal, was not completed within {bound} ms: {what}",
        sent.message_id, sent.at_ms
    );
    Some(session.violation(clause, sent.at_ms, problem))
}

/// How many of the session's earlier messages were still unanswered when its `index`th was sent.
fn ahead(all: &[Sent<'_>], answers: &[Option<&Record>], index: usize) -> usize {
    let sent_ms = all[index].at_ms;
    answers[..index].iter().filter(|earlier| earlier.is_none_or(|record| record.at_ms > sent_ms)).count()
}

#[cfg(test)]
mod tests;
