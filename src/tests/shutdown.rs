use super::client::{Client, Seen};
use super::stack::{Stack, token_for};
use crate::protocol::EventKind;

#[tokio::test]
async fn shutdown_finishes_in_flight_messages_then_closes_with_1000() {
    let stack = Stack::start().await;
    let (mut client, _) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    client.send_message("m1", "finish me please").await;
    match client.next().await {
        Seen::Frame(frame) => {
            assert_eq!(frame.as_event().map(|(kind, _)| kind), Some(EventKind::AgentStarted))
        }
        other => panic!("expected agent_started, saw {other:?}"),
    }
    stack.begin_shutdown();
    for expected in &EventKind::SEQUENCE[1..] {
        match client.next().await {
            Seen::Frame(frame) => assert_eq!(frame.as_event().map(|(kind, _)| kind), Some(*expected)),
            other => panic!("expected {expected:?} before the close, saw {other:?}"),
        }
    }
    assert!(matches!(client.next().await, Seen::Close(1000, _)));
    stack.shutdown().await;
}
