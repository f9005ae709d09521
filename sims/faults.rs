//! Faults from the incidents and the simulator's own fault kinds, each shown to do what it says.

use gatesim::protocol::{ErrorCode, ServerFrame};
use gatesim::services::gateway::Mode;
use gatesim::sim::Fault;
use gatesim::sim::{At, Chunking, ClientCrash, HostConditions, Milestone, Restart, TokenKind};
use gatesim::sim::{Event, Scenario};

use crate::support::{established, frames, position, run_clean, run_ok, server_close_codes};

#[test]
fn gateway_started_before_auth_and_idgen_still_gives_every_client_a_session() {
    let mut scenario = Scenario { seed: 11, ..Scenario::default() };
    scenario.auth.start_delay_ms = 3000;
    // Past the gateway's 5 s connect deadline: the first sessions must fail with 1013 and retry.
    scenario.idgen.start_delay_ms = 6000;
    let outcome = run_ok(&scenario);

    assert!(server_close_codes(&outcome.trace).contains(&1013), "no session waited out the deadline");
    for client in 0..scenario.clients.len() {
        assert!(!established(&outcome.trace, client).is_empty(), "client {client} never got a session");
    }
}

/// Client 0's first session, with idgen bounced as soon as its first message completed.
fn idgen_bounced_between_messages(mode: Mode) -> Scenario {
    let mut scenario = Scenario { seed: 12, mode, ..Scenario::default() };
    let after_first = At::After { client: 0, milestone: Milestone::Completed { message: 0 }, delay_ms: 0 };
    scenario.idgen.restarts = vec![Restart::Bounce { at: after_first }];
    scenario
}

#[test]
fn context_survives_idgen_restart_between_messages() {
    let outcome = run_ok(&idgen_bounced_between_messages(Mode::Fixed));
    let trace = &outcome.trace;

    let bounce =
        position(trace, |e| matches!(e, Event::Fault { fault: Fault::Bounce { host } } if host == "idgen"));
    let sent = |n: u32| {
        position(trace, |e| matches!(e, Event::Sent { client: 0, session: 1, message, .. } if *message == n))
    };
    let (bounce, first, second) = (bounce.unwrap(), sent(0).unwrap(), sent(1).unwrap());
    assert!(first < bounce && bounce < second, "idgen was not bounced between the two messages");

    let [(1, context)] = &established(trace, 0)[..] else { panic!("client 0 needed more than one session") };
    let frames = frames(trace, 0, 1);
    assert!(frames.iter().all(|frame| frame.context() == Some(context)), "a frame carried another context");
    let completed = frames.iter().filter(|f| matches!(f, ServerFrame::AgentCompleted(_))).count();
    assert_eq!(completed, 3);
}

#[test]
fn legacy_per_message_context_closes_with_1011_after_the_same_restart() {
    let outcome = run_ok(&idgen_bounced_between_messages(Mode::PerMessageContext));
    let frames = frames(&outcome.trace, 0, 1);
    let internal = frames.iter().any(|f| matches!(f, ServerFrame::Error(e) if e.code == ErrorCode::Internal));
    assert!(internal, "the planted bug went unnoticed");
    assert!(server_close_codes(&outcome.trace).contains(&1011));
}

/// One-byte segments wherever the parsers take them. Not into the client's handshake: tungstenite
/// takes an HTTP response read in more than 64 pieces averaging under 128 bytes for an attack.
#[test]
fn split_and_merged_segments_still_complete_every_message() {
    let mut scenario = Scenario { seed: 13, ..Scenario::default() };
    let chunked =
        |max_read, max_write| HostConditions { skew_ms: 0, chunking: Some(Chunking { max_read, max_write }) };
    scenario.auth.conditions = chunked(1, 1);
    scenario.idgen.conditions = chunked(1, 1);
    scenario.gateway.conditions = chunked(1, 8);
    scenario.client_hosts = vec![chunked(8, 1)];
    let outcome = run_ok(&scenario);

    let finished: Vec<_> = outcome
        .trace
        .records
        .iter()
        .filter_map(|r| match r.event {
            Event::ClientFinished { completed, .. } => Some(completed),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![3; scenario.clients.len()]);
}

#[test]
fn a_token_expiring_inside_the_clock_skew_window_is_refused_as_expired() {
    let mut scenario = Scenario { seed: 14, ..Scenario::default() };
    // client-1's clock is 40 s behind: its 30 s token has expired by auth's clock when it arrives,
    // beyond auth's 2 s leeway, while the same token from the unskewed client-0 is fine.
    scenario.client_hosts =
        vec![HostConditions::default(), HostConditions { skew_ms: -40_000, chunking: None }];
    scenario.clients.truncate(2);
    for (host, client) in scenario.clients.iter_mut().enumerate() {
        client.host = host;
        client.token = TokenKind::Valid { ttl_secs: 30 };
    }
    let outcome = run_ok(&scenario);

    assert!(!established(&outcome.trace, 0).is_empty());
    assert!(established(&outcome.trace, 1).is_empty());
    let refusal = frames(&outcome.trace, 1, 1);
    assert!(matches!(refusal[..], [ServerFrame::Error(e)] if e.code == ErrorCode::TokenExpired));
    let mut codes = server_close_codes(&outcome.trace);
    codes.sort();
    assert_eq!(codes, vec![1000, 1008]);
}

/// alice's second session runs alone on client host 1, which crashes for good 5 ms after its
/// first message completed: the gateway is left holding a half-open connection.
fn client_host_crashed_mid_session() -> Scenario {
    let mut scenario = Scenario { seed: 13, idle_timeout_ms: 3000, ..Scenario::default() };
    scenario.client_hosts.push(HostConditions::default());
    scenario.clients[2].host = 1;
    let after_first = At::After { client: 2, milestone: Milestone::Completed { message: 0 }, delay_ms: 5 };
    scenario.client_crashes = vec![ClientCrash { host: 1, at: after_first }];
    scenario
}

#[test]
fn a_crashed_client_hosts_session_is_freed_within_the_idle_timeout() {
    let scenario = client_host_crashed_mid_session();
    let outcome = run_clean(&scenario);
    let trace = &outcome.trace;
    let at = |matches: fn(&Event) -> bool| position(trace, matches).map(|i| trace.records[i].at_ms);

    let crashed = at(|e| matches!(e, Event::Fault { fault: Fault::Crash { host } } if host == "client-1"))
        .expect("client host 1 crashed");
    let finished = |client| {
        position(
            trace,
            |e| matches!(e, Event::ClientFinished { client: c, completed: 3, .. } if *c == client),
        )
    };
    assert!([0, 1, 3].into_iter().all(|client| finished(client).is_some()), "a client on host 0 failed");
    assert_eq!(
        position(trace, |e| matches!(e, Event::ClientFinished { client: 2, .. })),
        None,
        "client 2 outlived its host"
    );

    let probe =
        position(trace, |e| matches!(e, Event::GatewaySessions { .. })).expect("the gateway was probed");
    let Event::GatewaySessions { open_sessions: 0, opened_sessions: 4, .. } = trace.records[probe].event
    else {
        panic!("the gateway did not release every session: {:?}", trace.records[probe]);
    };
    // Held while the gateway could not know the client was gone: the probe, which starts as the
    // clients on host 0 finish, kept finding it open. Then freed at the first ping tick past the
    // idle timeout (ticks a third of it apart), after two unanswered 1 s close-handshake waits,
    // and seen by the probe's next poll (250 ms apart, 1..=10 ms links).
    let freed = trace.records[probe].at_ms - crashed;
    let idle = scenario.idle_timeout_ms;
    assert!(freed >= idle, "freed {freed} ms after the crash, before the idle timeout");
    let bound = idle + idle / 3 + 2 * 1000 + 250 + 40;
    assert!(freed <= bound, "freed only {freed} ms after the crash, past {bound} ms");

    assert_eq!(trace.to_jsonl(), run_clean(&scenario).trace.to_jsonl(), "a second run differs");
}
