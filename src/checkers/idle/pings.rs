//! The gateway's side of idleness, kept: it pings every session a third of the idle timeout after
//! establishing it and every third after that, and it closes a session that goes silent.
//!
//! - **Pings come on time** (kept): while a client lingers reading, it answers each ping the
//!   moment it arrives, so its pongs (`Pinged`) are the pings' arrivals. Ticks a third of the idle
//!   timeout apart arrive between the link's least and greatest latency after them, so no two
//!   pongs, nor the linger's start and its first pong, nor its last pong and the linger's end, are
//!   further apart than a third, the latency spread and a millisecond of rounding.
//! - **Pings come no sooner** (justified): a ping is read no sooner than it arrives, and the
//!   `k`th arrives no sooner than `k` thirds of the idle timeout after `connection_established`
//!   left the gateway, plus the least latency: a pong read earlier answers a ping sent too soon,
//!   however late the client read it.
//! - **A silent session is closed** (kept): a client that lingers reading nothing wrote last no
//!   later than the linger's start. The gateway, hearing it by then and the greatest latency,
//!   closes the session at the first tick past the idle timeout, a third later at most, and its
//!   `IDLE_TIMEOUT` waits in the client's socket when the client reads again after the linger. A
//!   client that reads on and finds no `IDLE_TIMEOUT` was left open.
//!
//! The kept directions hold only where the link and the gateway held through the linger.

use crate::protocol::{ErrorCode, ServerFrame};
use crate::rules::Clause;
use crate::sim::scenario::GATEWAY;
use crate::sim::trace::{Event, Record};

use super::super::conditions::Conditions;
use super::super::expected;
use super::super::findings::{Findings, Violation};
use super::super::history::History;
use super::super::sessions::Session;

const PINGS_KEPT: Clause = Clause::kept("idle.pings");
const PINGS_ONLY: Clause = Clause::justified("idle.pings");
const CLOSED_KEPT: Clause = Clause::kept("idle.timeout");

/// What one session shows of the gateway's pings and idle close.
pub(super) fn check_session(
    session: &Session<'_>,
    idle_timeout_ms: u64,
    conditions: &Conditions<'_>,
    history: &History<'_>,
    findings: &mut Findings,
) {
    let Some((established_ms, _)) = session.established() else { return };
    let (min, max) = conditions.latency(session.host, GATEWAY);
    let pongs: Vec<u64> = session
        .records
        .iter()
        .filter(|record| matches!(record.event, Event::Pinged { .. }))
        .map(|record| record.at_ms)
        .collect();
    // `connection_established` left the gateway a link's greatest latency before it arrived at the
    // latest, unless a fault held it; no sooner than the attempt began, in any case.
    let attempt_ms = session.attempt_ms();
    let sent_from = if history.link_faulted_during(session.host, GATEWAY, attempt_ms, established_ms) {
        attempt_ms
    } else {
        established_ms.saturating_sub(max)
    };
    let early = too_soon(session, &pongs, sent_from, idle_timeout_ms, min, findings);
    findings.extend(early);
    let Some((at_ms, reading, for_ms)) = session.linger() else { return };
    let until_ms = at_ms + for_ms;
    let sound = !history.link_faulted_during(session.host, GATEWAY, session.attempt_ms(), until_ms)
        && history.served_throughout(GATEWAY, 0, session.attempt_ms(), until_ms);
    if !sound {
        return;
    }
    let third = idle_timeout_ms / 3 + 1;
    let late = if reading {
        late(session, &pongs, (at_ms, until_ms), third + max - min + 1, findings)
    } else {
        left_open(session, until_ms, at_ms + max + 1 + idle_timeout_ms + third + max + 1, findings)
    };
    findings.extend(late);
}

/// The first pong that answers a ping sent before its time.
fn too_soon(
    session: &Session<'_>,
    pongs: &[u64],
    sent_from: u64,
    idle_timeout_ms: u64,
    min: u64,
    findings: &mut Findings,
) -> Option<Violation> {
    if !pongs.is_empty() {
        findings.judged(PINGS_ONLY);
    }
    let (k, at_ms, earliest) = (1..).zip(pongs).find_map(|(k, &at_ms)| {
        let earliest = (sent_from + k * idle_timeout_ms / 3 + min).saturating_sub(1);
        (at_ms < earliest).then_some((k, at_ms, earliest))
    })?;
    let problem = format!(
        "answered ping {k} at {at_ms} ms, but its `connection_established` left the gateway at {sent_from} ms or \
         later, so ping {k} can have come no sooner than {earliest} ms: one ping a third of the idle timeout of \
         {idle_timeout_ms} ms"
    );
    Some(session.violation(PINGS_ONLY, at_ms, problem))
}

/// The first stretch of a reading linger, `from..to`, longer than `gap_ms` without a ping.
fn late(
    session: &Session<'_>,
    pongs: &[u64],
    (from, to): (u64, u64),
    gap_ms: u64,
    findings: &mut Findings,
) -> Option<Violation> {
    let end = session.end_after(from).map_or(to, |record| record.at_ms.min(to));
    if end < from + gap_ms {
        return None;
    }
    findings.judged(PINGS_KEPT);
    let inside = pongs.iter().copied().filter(|&at| at >= from && at <= end);
    let marks: Vec<u64> = [from].into_iter().chain(inside).chain([end]).collect();
    let (quiet_from, quiet_to) = marks.windows(2).map(|w| (w[0], w[1])).find(|(a, b)| b - a > gap_ms)?;
    let problem = format!(
        "lingered reading from {from} ms to {end} ms, and heard no ping from {quiet_from} ms to {quiet_to} ms: the \
         gateway pings every third of the idle timeout, so at most {gap_ms} ms apart on this link"
    );
    Some(session.violation(PINGS_KEPT, quiet_to, problem))
}

/// A silent linger that read again at `read_ms` and found its session still open, although its
/// `IDLE_TIMEOUT` was due in its socket by `due_ms`.
fn left_open(session: &Session<'_>, read_ms: u64, due_ms: u64, findings: &mut Findings) -> Option<Violation> {
    if read_ms <= due_ms {
        return None;
    }
    let after: Vec<&Record> =
        session.records.iter().copied().filter(|record| record.at_ms >= read_ms).collect();
    if after.is_empty() {
        return None;
    }
    findings.judged(CLOSED_KEPT);
    let idle_closed = session
        .frames()
        .any(|(_, frame)| matches!(frame, ServerFrame::Error(error) if error.code == ErrorCode::IdleTimeout));
    // A session the gateway closed for something the client sent before its linger (a frame that
    // is not UTF-8, one too big) was not left open: its error waits in the socket as
    // `IDLE_TIMEOUT` would have. Whether that close was due is the clear-errors checker's to judge.
    let closed_sooner = session.frames().find(|&(at_ms, _)| at_ms >= read_ms).is_some_and(
        |(_, frame)| matches!(frame, ServerFrame::Error(error) if expected::closes_with(error.code).is_some()),
    );
    let ended_before = session.end_after(0).is_some_and(|record| record.at_ms < read_ms);
    if idle_closed || closed_sooner || ended_before {
        return None;
    }
    let problem = format!(
        "read nothing and wrote nothing from before its linger until {read_ms} ms, and found its session still \
         open: its IDLE_TIMEOUT was due by {due_ms} ms"
    );
    Some(session.violation(CLOSED_KEPT, read_ms, problem))
}

#[cfg(test)]
mod tests {
    use crate::checkers::testing::{TraceBuilder, context};
    use crate::protocol::ErrorCode::{BadEncoding, BadMessage};
    use crate::protocol::ErrorFrame;
    use crate::sim::scenario::BadInput;
    use crate::sim::trace::Trace;

    use super::*;

    /// Alice, under a 3 s idle timeout, sends a frame that is not UTF-8 and lingers 5 s reading
    /// nothing; then she reads `code`'s error.
    fn linger_after_bad_input(code: ErrorCode) -> Trace {
        TraceBuilder::new()
            .idle_timeout(3000)
            .client(0, "alice")
            .at(100)
            .established(0, 1, &context("a1", "alice"))
            .at(200)
            .sent_bad(0, 1, BadInput::NotUtf8)
            .lingering(0, 1, false, 5000)
            .at(5300)
            .errored(0, 1, ErrorFrame::new(code, "after the linger"))
            .build()
    }

    fn left_open(trace: &Trace) -> Vec<Violation> {
        let mut findings = Findings::default();
        super::super::check(trace, &mut findings);
        findings.violations.into_iter().filter(|v| v.breaks(CLOSED_KEPT)).collect()
    }

    #[test]
    fn a_session_closed_for_what_it_sent_before_its_linger_was_not_left_open() {
        assert_eq!(left_open(&linger_after_bad_input(BadEncoding)), []);
        let open = left_open(&linger_after_bad_input(BadMessage));
        assert_eq!(open.len(), 1, "an error that keeps the session open: {open:?}");
    }
}
