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
//!    exchange, four one-way trips, at most 800 ms: inside the gateway's 1 s per-try timeout.
//!    idgen is asked only once auth has answered, within the same deadline, so an
//!    `IDGEN_UNAVAILABLE` is judged only when auth was reachable throughout too: an auth that
//!    answered late may have left idgen too little of the deadline.
//!
//! Both rules lean towards silence: every bound is taken at the end that excuses the gateway, with
//! a millisecond more for the trace's rounding down to whole milliseconds, and a trace without a
//! conditions record, or a session without its `handshake 101`, is not judged.

use crate::protocol::{ErrorCode, ServerFrame};
use crate::sim::Violation;
use crate::sim::scenario::{AUTH, GATEWAY, IDGEN};
use crate::sim::trace::{Event, Trace};

use super::conditions::Conditions;
use super::history::History;
use super::liveness::HEALTHY_LATENCY_MS;
use super::sessions::{Session, sessions};

pub const NAME: &str = "dependency-outage";

pub fn check(trace: &Trace) -> Vec<Violation> {
    let conditions = Conditions::of(trace);
    let Some(deadline_ms) = conditions.connect_deadline_ms else { return Vec::new() };
    let history = History::of(trace);
    let judge = Judge { conditions, history, deadline_ms };
    sessions(trace).iter().filter_map(|session| judge.session(session)).collect()
}

struct Judge<'t> {
    conditions: Conditions<'t>,
    history: History<'t>,
    deadline_ms: u64,
}

impl Judge<'_> {
    fn session(&self, session: &Session<'_>) -> Option<Violation> {
        let (refused_ms, code) = session.frames().find_map(|(at_ms, frame)| match frame {
            ServerFrame::Error(error)
                if matches!(error.code, ErrorCode::AuthUnavailable | ErrorCode::IdgenUnavailable) =>
            {
                Some((at_ms, error.code))
            }
            _ => None,
        })?;
        let handshake_ms = session.records.iter().find_map(|record| match record.event {
            Event::Handshake { status: 101, .. } => Some(record.at_ms),
            _ => None,
        })?;
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
            return Some(session.violation(NAME, refused_ms, problem));
        }
        let asked: &[&str] = if code == ErrorCode::AuthUnavailable { &[AUTH] } else { &[AUTH, IDGEN] };
        if asked.iter().all(|dependency| self.reachable(dependency, began_ms, refused_ms)) {
            let problem = format!(
                "got {code_name} at {refused_ms} ms, but {} up, warm and reachable from the gateway from \
                 {began_ms} ms (the earliest the connect could have begun) until then",
                if asked.len() == 1 { "auth was" } else { "auth and idgen were" }
            );
            return Some(session.violation(NAME, refused_ms, problem));
        }
        None
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::TraceBuilder;
    use crate::protocol::{CloseCode, ErrorFrame};
    use crate::sim::trace::Fault;

    /// Client 0's first session: its attempt at 200 ms, its handshake at `handshake_ms`, then
    /// `code` at `refused_ms`.
    fn refused(builder: TraceBuilder, handshake_ms: u64, refused_ms: u64, code: ErrorCode) -> Trace {
        let (client, session) = (0, 1);
        let close = code.close_code().map(CloseCode::as_u16);
        builder
            .client(client, "alice")
            .at(200)
            .record("client-0", Event::ConnectAttempt { client, session })
            .at(handshake_ms)
            .record("client-0", Event::Handshake { client, session, status: 101, body: None })
            .at(refused_ms)
            .received(client, session, ServerFrame::Error(ErrorFrame::new(code, "unavailable")))
            .closed_by_server(client, session, close)
            .build()
    }

    fn auth_crashed() -> TraceBuilder {
        TraceBuilder::new().at(100).fault(Fault::Crash { host: AUTH.into() })
    }

    fn messages(trace: &Trace) -> Vec<String> {
        check(trace).into_iter().map(|violation| violation.message).collect()
    }

    #[test]
    fn a_1013_sent_after_the_first_failed_call_is_caught() {
        let found = check(&refused(auth_crashed(), 201, 1300, ErrorCode::AuthUnavailable));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].client, found[0].session, found[0].at_ms), (Some(0), Some(1), Some(1300)));
        assert_eq!(
            found[0].message,
            "session c0#1: got AUTH_UNAVAILABLE at 1300 ms, 1099 ms after its handshake at 201 ms: the connect \
             began no sooner than 200 ms, so the gateway gave up before its 5000 ms connect deadline"
        );
    }

    #[test]
    fn a_1013_after_the_deadline_while_the_dependency_was_down_passes() {
        let auth_down = refused(auth_crashed(), 201, 5300, ErrorCode::AuthUnavailable);
        assert_eq!(messages(&auth_down), Vec::<String>::new());
        let idgen_partitioned =
            TraceBuilder::new().at(3000).fault(Fault::Partition { a: GATEWAY.into(), b: IDGEN.into() });
        let idgen_cut_off = refused(idgen_partitioned, 201, 5300, ErrorCode::IdgenUnavailable);
        assert_eq!(messages(&idgen_cut_off), Vec::<String>::new());
    }

    #[test]
    fn the_deadline_counts_from_the_101_leaving_the_gateway_at_most_the_links_latency_earlier() {
        // A handshake at 1200 ms on a 1..=10 ms link: the connect began at 1190 ms at the earliest.
        let early =
            |refused_ms| check(&refused(auth_crashed(), 1200, refused_ms, ErrorCode::AuthUnavailable));
        assert_eq!((early(6189).len(), early(6190).len()), (1, 0));
        // On a 10..=900 ms link, at 300 ms.
        let slow = |refused_ms| {
            let builder = auth_crashed().link_latency("client-0", GATEWAY, (10, 900));
            check(&refused(builder, 1200, refused_ms, ErrorCode::AuthUnavailable))
        };
        assert_eq!((slow(5299).len(), slow(5300).len()), (1, 0));
        // A hold may have kept the 101 any time: from the attempt, at 200 ms.
        let held = |refused_ms| {
            let builder = auth_crashed()
                .at(500)
                .fault(Fault::Hold { a: GATEWAY.into(), b: "client-0".into() })
                .at(1199)
                .fault(Fault::Release { a: GATEWAY.into(), b: "client-0".into() });
            check(&refused(builder, 1200, refused_ms, ErrorCode::AuthUnavailable))
        };
        assert_eq!((held(5199).len(), held(5200).len()), (1, 0));
    }

    #[test]
    fn a_1013_naming_a_dependency_that_was_reachable_throughout_is_caught() {
        assert_eq!(
            messages(&refused(TraceBuilder::new(), 201, 5300, ErrorCode::AuthUnavailable)),
            [
                "session c0#1: got AUTH_UNAVAILABLE at 5300 ms, but auth was up, warm and reachable from the gateway \
              from 200 ms (the earliest the connect could have begun) until then"
            ]
        );
        let found = messages(&refused(TraceBuilder::new(), 201, 5300, ErrorCode::IdgenUnavailable));
        assert!(found[0].contains("but auth and idgen were up"), "{found:?}");
    }

    #[test]
    fn an_outage_of_auth_or_a_slow_or_held_link_excuses_the_1013() {
        // auth answered only once restarted: the deadline may have run out on idgen.
        let auth_late = auth_crashed().at(4000).record(AUTH, Event::ServiceStarted { incarnation: 2 });
        let idgen_refused = refused(auth_late, 201, 5300, ErrorCode::IdgenUnavailable);
        assert_eq!(messages(&idgen_refused), Vec::<String>::new());
        let slow_idgen = TraceBuilder::new().link_latency(GATEWAY, IDGEN, (100, 900));
        let idgen_refused = refused(slow_idgen, 201, 5300, ErrorCode::IdgenUnavailable);
        assert_eq!(messages(&idgen_refused), Vec::<String>::new());
        let held_auth = TraceBuilder::new()
            .at(1000)
            .fault(Fault::Hold { a: AUTH.into(), b: GATEWAY.into() })
            .at(1500)
            .fault(Fault::Release { a: AUTH.into(), b: GATEWAY.into() });
        let auth_refused = refused(held_auth, 201, 5300, ErrorCode::AuthUnavailable);
        assert_eq!(messages(&auth_refused), Vec::<String>::new());
    }
}
