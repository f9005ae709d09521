use std::collections::BTreeMap;

use super::*;
use crate::checkers::testing::{TraceBuilder, context, violations};
use crate::sim::scenario::{LinkLatency, TokenKind};
use crate::sim::trace::{Fault, TRACE_FORMAT_VERSION};

/// idgen bounced at 100 ms: the run has healed from 100 ms on.
fn bounced() -> TraceBuilder {
    TraceBuilder::new()
        .at(100)
        .fault(Fault::Bounce { host: IDGEN.to_owned() })
        .at(100)
        .record(IDGEN, Event::ServiceStarted { incarnation: 2 })
}

fn messages(trace: &Trace) -> Vec<String> {
    violations(check, trace).into_iter().map(|v| v.message).collect()
}

#[test]
fn sessions_after_the_heal_that_connect_and_complete_in_time_pass() {
    let trace = bounced()
        .client(0, "alice")
        .at(200)
        .established(0, 1, &context("a1", "alice"))
        .message(0, 1, 0, "hello")
        .closed_by_client(0, 1)
        .client_with(1, "mallory", TokenKind::Malformed)
        .refused(1, 1, crate::protocol::ErrorCode::AuthFailed)
        .build();
    assert_eq!(healed_at(&trace), Some(100));
    assert_eq!(messages(&trace), Vec::<String>::new());
}

#[test]
fn a_session_refused_for_the_users_session_limit_after_the_heal_was_answered() {
    let trace = bounced()
        .client(0, "alice")
        .at(200)
        .refused(0, 1, crate::protocol::ErrorCode::TooManySessions)
        .build();
    assert_eq!(messages(&trace), Vec::<String>::new());
}

#[test]
fn a_1013_after_the_heal_is_caught() {
    let trace = bounced()
        .client(0, "alice")
        .at(200)
        .upgraded(0, 1)
        .at(5200)
        .refused(0, 2, crate::protocol::ErrorCode::IdgenUnavailable)
        .build();
    let found = violations(check, &trace);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].client, found[0].session, found[0].at_ms), (Some(0), Some(1), Some(200)));
    assert_eq!(
        found[0].message,
        "session c0#1: started at 200 ms, after everything had healed at 100 ms, but was never established \
         nor its token refused"
    );
    assert!(found[1].message.ends_with(
        "but instead of connecting within 3000 ms: c0#2 got error IDGEN_UNAVAILABLE: refused at 5202 ms"
    ));
}

/// Two messages sent back to back at 300 ms, the first answered at 900 ms, the second at
/// `second_at`.
fn burst(second_at: u64) -> Trace {
    let mut builder = bounced().client(0, "alice").at(200).established(0, 1, &context("a1", "alice"));
    let first = builder.agent_frames(0, 1, 0, "one");
    let second = builder.agent_frames(0, 1, 1, "two");
    let builder = builder.at(300).sent(0, 1, 0, "one").sent(0, 1, 1, "two").at(900);
    let builder = first.into_iter().fold(builder, |b, f| b.received(0, 1, f)).at(second_at);
    second.into_iter().fold(builder, |b, f| b.received(0, 1, f)).build()
}

#[test]
fn a_message_queued_behind_another_of_its_burst_gets_a_bound_for_each() {
    assert_eq!(messages(&burst(2200)), Vec::<String>::new());
    let late = messages(&burst(2400));
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].contains("c0-m1, sent at 301 ms") && late[0].contains("within 2000 ms"), "{late:?}");
}

#[test]
fn a_session_closed_for_a_frame_over_the_limit_owes_its_messages_nothing_and_only_then() {
    let closed = |content: &str| {
        bounced()
            .client(0, "alice")
            .at(200)
            .established(0, 1, &context("a1", "alice"))
            .sent(0, 1, 0, content)
            .refused(0, 1, crate::protocol::ErrorCode::MessageTooBig)
            .build()
    };
    assert_eq!(messages(&closed(&"x".repeat(70_000))), Vec::<String>::new());
    assert_eq!(messages(&closed("small")).len(), 1);
}

#[test]
fn a_session_whose_client_left_its_frames_unread_owes_its_messages_nothing() {
    let flood = || bounced().client(0, "alice").at(200).established(0, 1, &context("a1", "alice"));
    let slow = flood().sent(0, 1, 0, "a").refused(0, 1, crate::protocol::ErrorCode::SlowConsumer);
    assert_eq!(messages(&slow.build()), Vec::<String>::new());
    let stuck = flood()
        .sent(0, 1, 0, "a")
        .at(5000)
        .record("client-0", Event::TimedOut { client: 0, session: 1, waiting_for: Waiting::Send });
    assert_eq!(messages(&stuck.build()), Vec::<String>::new());
    let silent = flood()
        .sent(0, 1, 0, "a")
        .at(5000)
        .record("client-0", Event::TimedOut { client: 0, session: 1, waiting_for: Waiting::Reply });
    assert_eq!(messages(&silent.build()).len(), 1);
}

#[test]
fn a_message_answered_too_late_after_the_heal_is_caught() {
    let mut builder = bounced().client(0, "alice").at(200).established(0, 1, &context("a1", "alice"));
    let frames = builder.agent_frames(0, 1, 0, "slow");
    let builder = builder.at(300).sent(0, 1, 0, "slow").at(1500);
    let trace = frames.into_iter().fold(builder, |b, f| b.received(0, 1, f)).build();
    assert_eq!(
        messages(&trace),
        [
            "session c0#1: c0-m0, sent at 300 ms in a session started after the heal, was not completed within \
          1000 ms: c0#1 got AgentCompleted for c0-m0 (seq 5, ctx ctx_a1_1_0000000a) at 1504 ms"
        ]
    );
}

#[test]
fn sessions_before_the_heal_or_behind_a_slow_link_owe_nothing() {
    let refused_at = |at| {
        TraceBuilder::new()
            .client(0, "alice")
            .at(at)
            .refused(0, 1, crate::protocol::ErrorCode::IdgenUnavailable)
            .fault(Fault::Bounce { host: IDGEN.to_owned() })
            .record(IDGEN, Event::ServiceStarted { incarnation: 2 })
            .build()
    };
    assert_eq!(violations(check, &refused_at(50)), []);

    let mut slow_auth = bounced()
        .client(0, "alice")
        .at(200)
        .refused(0, 1, crate::protocol::ErrorCode::AuthUnavailable)
        .build();
    slow_auth.records[0].event = Event::Conditions {
        format_version: TRACE_FORMAT_VERSION,
        latency_ms: (1, 10),
        links: vec![LinkLatency { a: AUTH.into(), b: GATEWAY.into(), latency_ms: (100, 900) }],
        warmup_ms: BTreeMap::new(),
        skew_ms: BTreeMap::new(),
        token_leeway_secs: 2,
        idle_timeout_ms: 30_000,
        connect_deadline_ms: 5000,
        limits: None,
    };
    assert_eq!(healed_at(&slow_auth), None);
    assert_eq!(violations(check, &slow_auth), []);
}

#[test]
fn the_heal_waits_for_repairs_restarts_and_warm_ups() {
    let partitioned =
        TraceBuilder::new().at(10).fault(Fault::Partition { a: GATEWAY.into(), b: AUTH.into() });
    assert_eq!(healed_at(&partitioned.build()), None);
    let repaired = TraceBuilder::new()
        .at(10)
        .fault(Fault::Partition { a: GATEWAY.into(), b: AUTH.into() })
        .at(400)
        .fault(Fault::Repair { a: AUTH.into(), b: GATEWAY.into() });
    assert_eq!(healed_at(&repaired.build()), Some(400));
    let crashed = TraceBuilder::new().at(10).fault(Fault::Crash { host: AUTH.into() });
    assert_eq!(healed_at(&crashed.build()), None);
    let client_host_crashed = TraceBuilder::new().at(10).fault(Fault::Crash { host: "client-0".into() });
    assert_eq!(healed_at(&client_host_crashed.build()), Some(10));

    let mut warming = bounced().build();
    warming.records[0].event = Event::Conditions {
        format_version: TRACE_FORMAT_VERSION,
        latency_ms: (1, 10),
        links: Vec::new(),
        warmup_ms: BTreeMap::from([(IDGEN.to_owned(), 700)]),
        skew_ms: BTreeMap::new(),
        token_leeway_secs: 2,
        idle_timeout_ms: 30_000,
        connect_deadline_ms: 5000,
        limits: None,
    };
    assert_eq!(healed_at(&warming), Some(800));
}
