//! Dependency outage: a 1013 (`AUTH_UNAVAILABLE`, `IDGEN_UNAVAILABLE`) tells the client that the
//! gateway tried the dependency it names until its connect deadline and never got an answer. So
//! a 1013 comes
//!
//! 1. **no sooner than the connect deadline after the connect began.** The gateway starts the
//!    deadline's clock in its connect sequence (`connect::establish`), which runs once the upgrade
//!    is done: hyper hands the connection over only after writing and flushing the 101 that
//!    answers the upgrade request. So the connect began no sooner than the 101 left the gateway,
//!    which is at most the link's greatest latency (the conditions record's) before the client's
//!    `handshake 101` record; and no sooner than the client's connect attempt, the only bound
//!    left when its link was held meanwhile (a hold delivers what it kept late, at the release).
//!    From that earliest start, the 1013 cannot reach the client before the deadline has passed.
//! 2. **only when the dependency was unreachable** at some moment of the connect, from that
//!    earliest start to the 1013's arrival: down (crashed, not yet started or restarted), warming
//!    up, partitioned or held away from the gateway, or on a link that may be slower than
//!    [`HEALTHY_LATENCY_MS`] one way. A call to a healthy dependency is a TCP connect and one
//!    exchange, four one-way trips: inside the per-try timeout, which drawn scenarios fit to the
//!    slowest link.
//!    idgen is asked only once auth has answered, within the same deadline, so an
//!    `IDGEN_UNAVAILABLE` is judged only when auth was reachable throughout too: an auth that
//!    answered late may have left idgen too little of the deadline.
//! 3. **after as many calls as its message says, and the retry policy allows.** The message counts
//!    the calls made: at least one, and no more than fit in the deadline when each retry is
//!    preceded by a sleep of at least half its backoff, which starts at the first backoff and
//!    doubles up to the cap.
//!
//! And the other way round, no session is established while a dependency cannot have answered:
//! down or warming up from the earliest its connect began until its `connection_established`
//! arrived.
//!
//! All of these lean towards silence: every bound is taken at the end that excuses the gateway, with
//! a millisecond more for the trace's rounding down to whole milliseconds, and a trace without a
//! conditions record, or a session without its `handshake 101`, is not judged.

use crate::protocol::{ErrorCode, ServerFrame};
use crate::rules::Clause;
use crate::sim::scenario::{AUTH, GATEWAY, GatewayLimits, IDGEN};
use crate::sim::trace::{Event, Trace};

use super::conditions::Conditions;
use super::findings::{Findings, Violation};
use super::history::History;
use super::liveness::HEALTHY_LATENCY_MS;
use super::sessions::{Session, sessions};

pub const NAME: &str = "dependency-outage";

/// The rules it judges.
const ORDER: Clause = Clause::justified("connect.order");
const DEADLINE: Clause = Clause::justified("connect.deadline");
const RETRY: Clause = Clause::justified("connect.retry");
const UNAVAILABLE: Clause = Clause::justified("connect.unavailable");

pub fn check(trace: &Trace, findings: &mut Findings) {
    let conditions = Conditions::of(trace);
    let Some(deadline_ms) = conditions.connect_deadline_ms else { return };
    let history = History::of(trace);
    let judge = Judge { conditions, history, deadline_ms };
    for session in sessions(trace) {
        let found = [judge.established_without(&session, findings), judge.session(&session, findings)];
        findings.extend(found.into_iter().flatten());
        if let Some(handshake_ms) = upgraded_ms(&session) {
            let late = judge.unanswered_past_deadline(&session, handshake_ms, findings);
            findings.extend(late);
            let late = judge.found_after_outage(&session, handshake_ms, findings);
            findings.extend(late);
        }
    }
}

mod deadline;
mod retry;

struct Judge<'t> {
    conditions: Conditions<'t>,
    history: History<'t>,
    deadline_ms: u64,
}

impl Judge<'_> {
    /// A session established while auth or idgen cannot have answered: down or warming up from
    /// the earliest its connect began until `connection_established` arrived.
    fn established_without(&self, session: &Session<'_>, findings: &mut Findings) -> Option<Violation> {
        let (established_ms, _) = session.established()?;
        let handshake_ms = upgraded_ms(session)?;
        findings.judged(ORDER);
        let began_ms = self.earliest_start(session, handshake_ms);
        let absent = [AUTH, IDGEN].into_iter().find(|dependency| {
            let warmup = self.conditions.warmup(dependency);
            !self.history.may_have_served_during(dependency, warmup, began_ms, established_ms)
        })?;
        let problem = format!(
            "was established at {established_ms} ms, but {absent} was down or warming up from {began_ms} ms (the \
             earliest the connect could have begun) until then: the gateway cannot have had its answer"
        );
        Some(session.violation(ORDER, established_ms, problem))
    }

    fn session(&self, session: &Session<'_>, findings: &mut Findings) -> Option<Violation> {
        let (refused_ms, code, attempts) = session.frames().find_map(|(at_ms, frame)| match frame {
            ServerFrame::Error(error)
                if matches!(error.code, ErrorCode::AuthUnavailable | ErrorCode::IdgenUnavailable) =>
            {
                Some((at_ms, error.code, told_attempts(&error.message)))
            }
            _ => None,
        })?;
        let handshake_ms = upgraded_ms(session)?;
        findings.judged(DEADLINE);
        findings.judged(UNAVAILABLE);
        let began_ms = self.earliest_start(session, handshake_ms);
        let code_name = code.as_str();
        // The 1013 arrived, so left the gateway, before `refused_ms + 1`; a gateway that waited
        // out its deadline sent it at `began_ms + deadline_ms` or later.
        if refused_ms < began_ms + self.deadline_ms {
            let problem = format!(
                "got {code_name} at {refused_ms} ms, {} ms after its handshake at {handshake_ms} ms: the connect \
                 began no sooner than {began_ms} ms, so the gateway gave up before its {} ms connect deadline",
                refused_ms - handshake_ms,
                self.deadline_ms
            );
            return Some(session.violation(DEADLINE, refused_ms, problem));
        }
        if attempts.is_some() {
            findings.judged(RETRY);
        }
        if let Some(attempts) = attempts
            && let Some(problem) = self.impossible_attempts(attempts)
        {
            return Some(session.violation(
                RETRY,
                refused_ms,
                format!("got {code_name} at {refused_ms} ms {problem}"),
            ));
        }
        let asked: &[&str] = if code == ErrorCode::AuthUnavailable { &[AUTH] } else { &[AUTH, IDGEN] };
        if asked.iter().all(|dependency| self.reachable(dependency, began_ms, refused_ms)) {
            let problem = format!(
                "got {code_name} at {refused_ms} ms, but {} up, warm and reachable from the gateway from \
                 {began_ms} ms (the earliest the connect could have begun) until then",
                if asked.len() == 1 { "auth was" } else { "auth and idgen were" }
            );
            return Some(session.violation(UNAVAILABLE, refused_ms, problem));
        }
        // idgen is asked only once auth has answered.
        let auth_warmup = self.conditions.warmup(AUTH);
        if code == ErrorCode::IdgenUnavailable
            && !self.history.may_have_served_during(AUTH, auth_warmup, began_ms, refused_ms)
        {
            let problem = format!(
                "got {code_name} at {refused_ms} ms, but auth was down or warming up from {began_ms} ms until then: \
                 idgen is asked only once auth has answered, so the gateway cannot have been waiting on it"
            );
            return Some(session.violation(UNAVAILABLE, refused_ms, problem));
        }
        self.found_too_late(session, code, handshake_ms, refused_ms, findings)
    }

    /// What is impossible about `attempts` calls before a 1013 under the run's retry policy.
    fn impossible_attempts(&self, attempts: u64) -> Option<String> {
        let most = most_attempts(&self.conditions.limits, self.deadline_ms);
        match attempts {
            0 => Some("after 0 calls, by its message: a 1013 needs at least one call".to_owned()),
            n if n > most => {
                let (first, cap) = self.conditions.limits.backoff_ms;
                Some(format!(
                    "after {n} calls, by its message, but a backoff from {first} ms doubling to {cap} ms fits at \
                     most {most} in the {} ms deadline",
                    self.deadline_ms
                ))
            }
            _ => None,
        }
    }

    /// The earliest the gateway can have started its connect deadline's clock.
    fn earliest_start(&self, session: &Session<'_>, handshake_ms: u64) -> u64 {
        let attempt_ms = session.attempt_ms();
        if self.history.link_faulted_during(session.host, GATEWAY, attempt_ms, handshake_ms) {
            return attempt_ms;
        }
        let (_, max) = self.conditions.latency(session.host, GATEWAY);
        handshake_ms.saturating_sub(max).max(attempt_ms)
    }

    /// Whether `dependency` answered promptly at every moment of `from..=to`.
    fn reachable(&self, dependency: &str, from: u64, to: u64) -> bool {
        self.conditions.max_latency(GATEWAY, dependency) <= HEALTHY_LATENCY_MS
            && self.history.served_throughout(dependency, self.conditions.warmup(dependency), from, to)
            && !self.history.link_faulted_during(GATEWAY, dependency, from, to)
    }
}

/// When the session's `handshake 101` arrived.
fn upgraded_ms(session: &Session<'_>) -> Option<u64> {
    session.records.iter().find_map(|record| match record.event {
        Event::Handshake { status: 101, .. } => Some(record.at_ms),
        _ => None,
    })
}

/// The N of a 1013 message's "(N attempts".
fn told_attempts(message: &str) -> Option<u64> {
    let (before, _) = message.split_once(" attempts")?;
    before.rsplit_once('(')?.1.parse().ok()
}

/// The most calls the retry policy of `limits` fits in `deadline_ms`: each call after the first
/// follows a sleep of at least half its backoff, and every sleep ends before the deadline.
fn most_attempts(limits: &GatewayLimits, deadline_ms: u64) -> u64 {
    let (first, cap) = limits.backoff_ms;
    if first == 0 || cap == 0 {
        return u64::MAX;
    }
    // In half milliseconds, so that half a backoff is exact.
    let (mut backoff, mut slept, mut attempts) = (first, 0, 1);
    while slept + backoff < 2 * deadline_ms {
        slept += backoff;
        attempts += 1;
        backoff = (backoff * 2).min(cap);
    }
    attempts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::TraceBuilder;
    use crate::checkers::testing::violations;
    use crate::protocol::{CloseCode, ErrorFrame};
    use crate::sim::trace::Fault;

    /// Client 0's first session: its attempt at 200 ms, its handshake at `handshake_ms`, then
    /// `code` at `refused_ms`.
    fn refused(builder: TraceBuilder, handshake_ms: u64, refused_ms: u64, code: ErrorCode) -> Trace {
        refused_saying(builder, handshake_ms, refused_ms, ErrorFrame::new(code, "unavailable"))
    }

    /// The same, with the error frame `error`.
    fn refused_saying(builder: TraceBuilder, handshake_ms: u64, refused_ms: u64, error: ErrorFrame) -> Trace {
        let (client, session, code) = (0, 1, error.code);
        let close = code.close_code().map(CloseCode::as_u16);
        builder
            .client(client, "alice")
            .at(200)
            .record("client-0", Event::ConnectAttempt { client, session })
            .at(handshake_ms)
            .record("client-0", Event::Handshake { client, session, status: 101, body: None, echo: None })
            .at(refused_ms)
            .received(client, session, ServerFrame::Error(error))
            .closed_by_server(client, session, close)
            .build()
    }

    fn auth_crashed() -> TraceBuilder {
        TraceBuilder::new().at(100).fault(Fault::Crash { host: AUTH.into() })
    }

    fn messages(trace: &Trace) -> Vec<String> {
        violations(check, trace).into_iter().map(|violation| violation.message).collect()
    }

    #[test]
    fn a_1013_sent_after_the_first_failed_call_is_caught() {
        let found = violations(check, &refused(auth_crashed(), 201, 1300, ErrorCode::AuthUnavailable));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].client, found[0].session, found[0].at_ms), (Some(0), Some(1), Some(1300)));
        assert_eq!(
            found[0].message,
            "session c0#1: got AUTH_UNAVAILABLE at 1300 ms, 1099 ms after its handshake at 201 ms: the connect \
             began no sooner than 200 ms, so the gateway gave up before its 5000 ms connect deadline"
        );
    }

    #[test]
    fn a_1013_must_count_at_least_one_call_and_no_more_than_the_backoff_fits_in_the_deadline() {
        let after = |attempts: u64| {
            let text =
                format!("auth unavailable: no answer within 5s ({attempts} attempts, last: connect refused)");
            messages(&refused_saying(
                auth_crashed(),
                201,
                5205,
                ErrorFrame::new(ErrorCode::AuthUnavailable, text),
            ))
        };
        // The default policy: 100 ms doubling to 1 s, at least half of each slept, in 5 s.
        assert_eq!(after(13), Vec::<String>::new());
        assert_eq!(
            after(14),
            [
                "session c0#1: got AUTH_UNAVAILABLE at 5205 ms after 14 calls, by its message, but a backoff from 100 ms \
              doubling to 1000 ms fits at most 13 in the 5000 ms deadline"
            ]
        );
        assert_eq!(
            after(0),
            [
                "session c0#1: got AUTH_UNAVAILABLE at 5205 ms after 0 calls, by its message: a 1013 needs at least one call"
            ]
        );
    }

    #[test]
    fn a_session_established_while_auth_was_down_throughout_its_connect_is_caught() {
        let established = |builder: TraceBuilder| {
            builder
                .client(0, "alice")
                .at(200)
                .record("client-0", Event::ConnectAttempt { client: 0, session: 1 })
                .record(
                    "client-0",
                    Event::Handshake { client: 0, session: 1, status: 101, body: None, echo: None },
                )
                .established(0, 1, &crate::checkers::testing::context("a1", "alice"))
                .build()
        };
        let found = messages(&established(auth_crashed()));
        assert_eq!(
            found,
            [
                "session c0#1: was established at 204 ms, but auth was down or warming up from 200 ms (the earliest \
              the connect could have begun) until then: the gateway cannot have had its answer"
            ]
        );
        assert_eq!(messages(&established(TraceBuilder::new())), Vec::<String>::new());
    }

    #[test]
    fn a_1013_after_the_deadline_while_the_dependency_was_down_passes() {
        let auth_down = refused(auth_crashed(), 201, 5205, ErrorCode::AuthUnavailable);
        assert_eq!(messages(&auth_down), Vec::<String>::new());
        let idgen_partitioned =
            TraceBuilder::new().at(3000).fault(Fault::Partition { a: GATEWAY.into(), b: IDGEN.into() });
        let idgen_cut_off = refused(idgen_partitioned, 201, 5205, ErrorCode::IdgenUnavailable);
        assert_eq!(messages(&idgen_cut_off), Vec::<String>::new());
    }

    #[test]
    fn the_deadline_counts_from_the_101_leaving_the_gateway_at_most_the_links_latency_earlier() {
        // A handshake at 1200 ms on a 1..=10 ms link: the connect began at 1190 ms at the earliest.
        let early = |refused_ms| {
            violations(check, &refused(auth_crashed(), 1200, refused_ms, ErrorCode::AuthUnavailable))
        };
        assert_eq!((early(6189).len(), early(6190).len()), (1, 0));
        // On a 10..=900 ms link, at 300 ms.
        let slow = |refused_ms| {
            let builder = auth_crashed().link_latency("client-0", GATEWAY, (10, 900));
            violations(check, &refused(builder, 1200, refused_ms, ErrorCode::AuthUnavailable))
        };
        assert_eq!((slow(5299).len(), slow(5300).len()), (1, 0));
        // A hold may have kept the 101 any time: from the attempt, at 200 ms.
        let held = |refused_ms| {
            let builder = auth_crashed()
                .at(500)
                .fault(Fault::Hold { a: GATEWAY.into(), b: "client-0".into() })
                .at(1199)
                .fault(Fault::Release { a: GATEWAY.into(), b: "client-0".into() });
            violations(check, &refused(builder, 1200, refused_ms, ErrorCode::AuthUnavailable))
        };
        assert_eq!((held(5199).len(), held(5200).len()), (1, 0));
    }

    #[test]
    fn a_1013_naming_a_dependency_that_was_reachable_throughout_is_caught() {
        assert_eq!(
            messages(&refused(TraceBuilder::new(), 201, 5205, ErrorCode::AuthUnavailable)),
            [
                "session c0#1: got AUTH_UNAVAILABLE at 5205 ms, but auth was up, warm and reachable from the gateway \
              from 200 ms (the earliest the connect could have begun) until then"
            ]
        );
        let found = messages(&refused(TraceBuilder::new(), 201, 5205, ErrorCode::IdgenUnavailable));
        assert!(found[0].contains("but auth and idgen were up"), "{found:?}");
    }

    #[test]
    fn an_outage_of_auth_or_a_slow_or_held_link_excuses_the_1013() {
        // auth answered only once restarted: the deadline may have run out on idgen.
        let auth_late = auth_crashed().at(4000).record(AUTH, Event::ServiceStarted { incarnation: 2 });
        let idgen_refused = refused(auth_late, 201, 5205, ErrorCode::IdgenUnavailable);
        assert_eq!(messages(&idgen_refused), Vec::<String>::new());
        let slow_idgen = TraceBuilder::new().link_latency(GATEWAY, IDGEN, (100, 900));
        let idgen_refused = refused(slow_idgen, 201, 5205, ErrorCode::IdgenUnavailable);
        assert_eq!(messages(&idgen_refused), Vec::<String>::new());
        let held_auth = TraceBuilder::new()
            .at(1000)
            .fault(Fault::Hold { a: AUTH.into(), b: GATEWAY.into() })
            .at(1500)
            .fault(Fault::Release { a: AUTH.into(), b: GATEWAY.into() });
        let auth_refused = refused(held_auth, 201, 5205, ErrorCode::AuthUnavailable);
        assert_eq!(messages(&auth_refused), Vec::<String>::new());
    }
}
