use super::*;
use crate::context::example;
use crate::protocol::{ErrorFrame, EventFrame};
use crate::sim::trace::{Record, SIM_HOST};

/// A trace built event by event, one simulated millisecond apart.
#[derive(Default)]
struct Script(Vec<Event>);

impl Script {
    fn then(mut self, event: Event) -> Script {
        self.0.push(event);
        self
    }
    fn attempt(self, session: u32) -> Script {
        self.then(Event::ConnectAttempt { client: 0, session })
    }
    fn established(self, session: u32) -> Script {
        self.then(Event::Received {
            client: 0,
            session,
            frame: ServerFrame::ConnectionEstablished { context: example("alice") },
        })
    }
    fn sent(self, session: u32, message: u32) -> Script {
        let message_id = format!("m{message}");
        self.then(Event::Sent {
            client: 0,
            session,
            message,
            message_id,
            content: "hi".into(),
            via: Default::default(),
        })
    }
    fn completed(self, session: u32, message: u32) -> Script {
        let frame = EventFrame {
            context: example("alice"),
            message_id: format!("m{message}"),
            request_id: format!("ctx_a_1_00000001.{}", message + 1),
            seq: 5,
            data: serde_json::json!({}).into(),
        };
        self.then(Event::Received { client: 0, session, frame: ServerFrame::AgentCompleted(frame) })
    }
    fn fault(self, fault: Fault) -> Script {
        self.then(Event::Fault { fault })
    }
    fn closed(self, session: u32, code: u16) -> Script {
        self.then(Event::Closed {
            client: 0,
            session,
            by: Side::Server,
            code: Some(code),
            reason: String::new(),
        })
    }
    fn trace(self) -> Trace {
        let records = self.0.into_iter().enumerate();
        Trace {
            records: records
                .map(|(ms, event)| Record { at_ms: ms as u64, host: SIM_HOST.into(), event })
                .collect(),
        }
    }
}

fn bounce(host: &str) -> Fault {
    Fault::Bounce { host: host.into() }
}

fn reaches(script: Script, entry: &str) -> bool {
    reached(&script.trace()).iter().any(|reached| reached == entry)
}

fn error(code: ErrorCode) -> Event {
    Event::Received { client: 0, session: 1, frame: ServerFrame::Error(ErrorFrame::new(code, "refused")) }
}

#[test]
fn an_auth_restart_counts_only_while_a_session_is_connecting() {
    let during = Script::default().attempt(1).fault(bounce("auth")).established(1);
    assert!(reaches(during, "auth_restart_during_connect"));
    let after = Script::default().attempt(1).established(1).fault(bounce("auth"));
    assert!(!reaches(after, "auth_restart_during_connect"));
}

#[test]
fn an_idgen_restart_counts_between_two_answered_messages_of_one_session() {
    let base = || Script::default().attempt(1).established(1).sent(1, 0).completed(1, 0);
    let between = base().fault(bounce("idgen")).sent(1, 1).completed(1, 1);
    assert!(reaches(between, "idgen_restart_between_messages"));
    let unanswered = base().fault(bounce("idgen")).sent(1, 1);
    assert!(!reaches(unanswered, "idgen_restart_between_messages"));
    let before =
        Script::default().attempt(1).fault(bounce("idgen")).established(1).sent(1, 0).completed(1, 0);
    assert!(!reaches(before, "idgen_restart_between_messages"));
}

#[test]
fn a_fourth_attempt_that_connects_counts_as_three_retries() {
    assert!(reaches(Script::default().attempt(4).established(4), "connect_after_3_retries"));
    assert!(!reaches(Script::default().attempt(3).established(3), "connect_after_3_retries"));
}

#[test]
fn a_session_after_a_1013_counts_as_a_reconnect() {
    let reconnect = Script::default().attempt(1).closed(1, 1013).attempt(2).established(2);
    assert!(reaches(reconnect, "reconnect_after_1013"));
    let refused = Script::default().attempt(1).closed(1, 1008).attempt(2).established(2);
    assert!(!reaches(refused, "reconnect_after_1013"));
}

#[test]
fn a_partition_counts_while_a_session_is_connecting() {
    let partition = Fault::Partition { a: "gateway".into(), b: "idgen".into() };
    assert!(reaches(
        Script::default().attempt(1).fault(partition.clone()).established(1),
        "partition_during_handshake"
    ));
    assert!(!reaches(
        Script::default().attempt(1).established(1).fault(partition),
        "partition_during_handshake"
    ));
}

#[test]
fn a_release_counts_while_a_session_is_open() {
    let release = Fault::Release { a: "gateway".into(), b: "client-0".into() };
    let open = Script::default().attempt(1).established(1).fault(release.clone());
    assert!(reaches(open, "hold_released_on_open_session"));
    let closed = Script::default().attempt(1).established(1).closed(1, 1000).fault(release);
    assert!(!reaches(closed, "hold_released_on_open_session"));
}

#[test]
fn a_gateway_restart_counts_with_a_message_in_flight() {
    let base = || Script::default().attempt(1).established(1).sent(1, 0);
    assert!(reaches(base().fault(bounce("gateway")), "gateway_restart_mid_message"));
    assert!(!reaches(base().completed(1, 0).fault(bounce("gateway")), "gateway_restart_mid_message"));
}

#[test]
fn an_expired_refusal_of_a_valid_token_counts_as_skew() {
    let started = |token| Event::ClientStarted {
        client: 0,
        user: "alice".into(),
        token,
        token_exp: Some(100),
        token_nbf: None,
    };
    let expired = error(ErrorCode::TokenExpired);
    let valid = Script::default().then(started(TokenKind::Valid { ttl_secs: 5 })).then(expired.clone());
    assert!(reaches(valid, "token_expired_inside_skew"));
    let meant = Script::default().then(started(TokenKind::Expired { ago_secs: 60 })).then(expired);
    assert!(!reaches(meant, "token_expired_inside_skew"));
}

#[test]
fn a_client_host_crash_counts_once_the_gateway_freed_the_half_open_session() {
    let crash = || Fault::Crash { host: "client-0".into() };
    let probed = |open_sessions| Event::GatewaySessions { open_sessions, opened_sessions: 1, waited_ms: 0 };
    let open = || Script::default().attempt(1).established(1).fault(crash());
    assert!(reaches(open().then(probed(0)), "half_open_session_released"));
    assert!(!reaches(open().then(probed(1)), "half_open_session_released"));
    let closed = Script::default().attempt(1).established(1).closed(1, 1000).fault(crash()).then(probed(0));
    assert!(!reaches(closed, "half_open_session_released"));
}

#[test]
fn a_close_code_counts_when_the_server_closed_a_session_with_it() {
    let closed = || Script::default().attempt(1);
    assert!(reaches(closed().closed(1, 1009), "close_1009"));
    assert!(!reaches(closed().closed(1, 1008), "close_1009"));
    let by_client =
        Event::Closed { client: 0, session: 1, by: Side::Client, code: Some(1000), reason: String::new() };
    assert!(!reaches(closed().then(by_client), "close_1000"));
}

#[test]
fn an_error_code_counts_when_a_client_received_its_frame() {
    assert!(reaches(Script::default().attempt(1).then(error(ErrorCode::RateLimited)), "error_RATE_LIMITED"));
    assert!(!reaches(Script::default().attempt(1).then(error(ErrorCode::BadMessage)), "error_RATE_LIMITED"));
}

#[test]
fn every_documented_code_has_an_entry_and_only_1011_and_internal_read_as_bugs() {
    let entries = entries();
    assert_eq!(entries.len(), PATHS.len() + super::limits::PATHS.len() + 6 + 12);
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    for name in ["close_1000", "close_1007", "close_1013", "error_AUTH_FAILED", "error_RATE_LIMITED"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let bugs: Vec<&str> = entries
        .iter()
        .filter(|(_, sentence)| sentence.ends_with("(a bug if reached)"))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(bugs, ["close_1011", "error_INTERNAL"]);
}

#[test]
fn every_path_has_a_sentence_and_an_empty_trace_reaches_none() {
    assert!(reached(&Trace::default()).is_empty());
    assert_eq!(PATHS.len(), 9);
}
