//! Unique ids: no context, thread, run or websocket client id is issued to two sessions of a run,
//! restarts included. A session's identifiers are those of its `connection_established`.
//!
//! idgen keeps identifiers unique across restarts through the `boot` part (its start time), its
//! counter starting again at 1 in each lifetime. So two identifiers of one kind that share `boot`
//! and counter are reported too, even when their random parts differ: two lifetimes of idgen had
//! the same boot, and only luck kept the strings apart.

use std::collections::BTreeMap;

use crate::context::SessionContext;
use crate::rules::Clause;
use crate::sim::scenario::IDGEN;
use crate::sim::trace::{Event, Trace};

use super::sessions::{Session, sessions};
use super::{Findings, expected};

pub const NAME: &str = "unique-ids";

/// The rules it judges.
const UNIQUE: Clause = Clause::justified("ids.unique");
const COUNTER: Clause = Clause::justified("ids.counter");
const BOOT: Clause = Clause::justified("ids.boot");

/// Where an identifier was first seen: the session's name and when it was established.
struct FirstSeen<'t> {
    session: String,
    at_ms: u64,
    id: &'t str,
}

pub fn check(trace: &Trace, found: &mut Findings) {
    let sessions = sessions(trace);
    let mut established: Vec<_> =
        sessions.iter().filter_map(|s| s.established().map(|(at_ms, context)| (at_ms, s, context))).collect();
    established.sort_by_key(|(at_ms, _, _)| *at_ms);

    boots_rise(trace, &established, found);
    let mut issued: BTreeMap<&str, FirstSeen<'_>> = BTreeMap::new();
    let mut lifetimes: BTreeMap<(&str, u64, u64), FirstSeen<'_>> = BTreeMap::new();
    for (at_ms, session, context) in established {
        found.judged(UNIQUE);
        let fields = [
            ("context_id", "ctx", &context.context_id),
            ("thread_id", "thread", &context.thread_id),
            ("run_id", "run", &context.run_id),
            ("websocket_client_id", "ws", &context.websocket_client_id),
        ];
        // Identifiers issued before, grouped by the session they were first issued to.
        let mut reissued: BTreeMap<(u64, String), Vec<String>> = BTreeMap::new();
        for (field, kind, id) in fields {
            let seen = || FirstSeen { session: session.name(), at_ms, id };
            if let Some(first) = issued.get(id.as_str()) {
                reissued
                    .entry((first.at_ms, first.session.clone()))
                    .or_default()
                    .push(format!("{field} {id}"));
                continue;
            }
            issued.insert(id, seen());
            let Some(parsed) = expected::identifier(kind, id) else { continue };
            found.judged(COUNTER);
            let key = (kind, parsed.boot, parsed.counter);
            if let Some(first) = lifetimes.get(&key) {
                let explanation = format!(
                    "{field} {id} repeats boot {:x} and counter {} of {} (issued to {} at {} ms): two idgen \
                     lifetimes shared a boot",
                    parsed.boot, parsed.counter, first.id, first.session, first.at_ms
                );
                found.push(session.violation(COUNTER, at_ms, explanation));
            } else {
                lifetimes.insert(key, seen());
            }
        }
        for ((first_ms, first), ids) in reissued {
            let explanation = format!(
                "connection_established carries {}, already issued to {first} at {first_ms} ms",
                ids.join(", ")
            );
            found.push(session.violation(UNIQUE, at_ms, explanation));
        }
    }
}

/// A session whose connect began after idgen restarted carries a later boot than every session
/// established before the restart: idgen's later lifetimes start later by its own clock, which
/// the boot is. The first session on each side of each restart is enough to compare.
fn boots_rise(trace: &Trace, established: &[(u64, &Session<'_>, &SessionContext)], found: &mut Findings) {
    let boot = |context: &SessionContext| expected::identifier("ctx", &context.context_id).map(|id| id.boot);
    let restarts = trace.records.iter().filter_map(|record| match record.event {
        Event::ServiceStarted { incarnation: 2.., .. } if record.host == IDGEN => Some(record.at_ms),
        _ => None,
    });
    for restarted_ms in restarts {
        let before = established.iter().filter(|(at_ms, _, _)| *at_ms < restarted_ms);
        let Some(latest) = before.filter_map(|(_, _, context)| boot(context)).max() else { continue };
        let mut after = established.iter().filter(|(_, session, _)| session.attempt_ms() > restarted_ms);
        let Some((at_ms, session, context)) = after.next() else { continue };
        found.judged(BOOT);
        if boot(context).is_some_and(|boot| boot <= latest) {
            let problem = format!(
                "began after idgen restarted at {restarted_ms} ms, yet its context {} carries a boot no later \
                 than {latest:x}, which an earlier lifetime issued: a restarted idgen's boot must be greater",
                context.context_id
            );
            found.push(session.violation(BOOT, *at_ms, problem));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context, golden, violations};

    #[test]
    fn sessions_with_their_own_identifiers_pass() {
        let trace = TraceBuilder::sessions(&[&context("a1", "alice"), &context("a2", "alice")]).build();
        assert_eq!(violations(check, &trace), []);
    }

    #[test]
    fn an_identifier_issued_twice_names_both_sessions() {
        let mut second = context("a2", "alice");
        second.run_id = context("a1", "alice").run_id;
        let trace = TraceBuilder::new()
            .client(0, "alice")
            .client(1, "alice")
            .established(0, 1, &context("a1", "alice"))
            .at(40)
            .established(1, 1, &second)
            .build();
        let found = violations(check, &trace);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].client, found[0].session, found[0].at_ms), (Some(1), Some(1), Some(42)));
        assert_eq!(
            found[0].message,
            "session c1#1: connection_established carries run_id run_a1_3_0000000c, already issued to c0#1 at 8 ms"
        );
    }

    #[test]
    fn a_reused_boot_and_counter_is_caught_even_with_a_new_random_part() {
        let mut second = context("a2", "alice");
        second.thread_id = "thread_a1_2_ffffffff".into();
        let trace = TraceBuilder::new()
            .client(0, "alice")
            .established(0, 1, &context("a1", "alice"))
            .established(0, 2, &second)
            .build();
        let found = violations(check, &trace);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("repeats boot a1 and counter 2 of thread_a1_2_0000000b"));
    }

    #[test]
    fn the_recorded_environment_accommodation_trace_reuses_fallback_identifiers() {
        let found = violations(check, &golden("environment-accommodation-staging.jsonl"));
        assert!(
            found.iter().any(|v| v
                .message
                .contains("thread_id thread_default, run_id run_default, already issued to c0#1")),
            "{found:?}"
        );
    }
}
