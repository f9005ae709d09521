use tokio_tungstenite::tungstenite::Message;

use super::client::Client;
use super::stack::{Stack, StackOptions, token_for};
use crate::protocol::{ErrorCode, EventKind, ServerFrame};

#[tokio::test]
async fn malformed_and_unknown_frames_get_bad_message_and_the_session_goes_on() {
    let stack = Stack::start().await;
    let (mut client, context) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    let bad = [
        Message::text("{not json"),
        Message::text(r#"{"type":"launch_missiles","id":"x1"}"#),
        Message::text(r#"{"type":"user_message","payload":{"content":"no id"}}"#),
        Message::text(r#"{"type":"user_message","id":"x2"}"#),
        Message::binary(vec![0, 159, 146, 150]),
    ];
    for message in bad {
        let described = format!("{message:?}");
        client.send_raw(message).await;
        let error = client.expect_error(ErrorCode::BadMessage).await;
        assert_eq!(error.context.as_ref(), Some(&context), "{described}");
        assert!(!error.retryable);
    }
    let frames = client.exchange("ok", "still here").await;
    assert_eq!(frames.len(), 5);
    stack.shutdown().await;
}

#[tokio::test]
async fn a_bad_message_names_the_message_it_refers_to() {
    let stack = Stack::start().await;
    let (mut client, _) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    client.send_raw(Message::text(r#"{"type":"user_message","id":"m7","payload":{}}"#)).await;
    let error = client.expect_error(ErrorCode::BadMessage).await;
    assert_eq!(error.message_id.as_deref(), Some("m7"));
    assert!(error.message.contains("payload.content"), "{}", error.message);
    stack.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_in_flight_message_id_is_refused_and_runs_once() {
    let stack = Stack::start().await;
    let (mut client, _) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    client.send_message("same", "first").await;
    client.send_message("same", "second").await;
    let mut completed = 0;
    let mut refused = 0;
    while completed + refused < 2 {
        match client.next().await {
            super::client::Seen::Frame(ServerFrame::Error(error)) => {
                assert_eq!(error.code, ErrorCode::BadMessage);
                assert_eq!(error.message, "duplicate message id");
                refused += 1;
            }
            super::client::Seen::Frame(frame) => {
                if let Some((EventKind::AgentCompleted, event)) = frame.as_event() {
                    assert_eq!(
                        event.data.value()["result"]["chars"],
                        5,
                        "the first message ran, not the second"
                    );
                    completed += 1;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((completed, refused), (1, 1));
    stack.shutdown().await;
}

#[tokio::test]
async fn an_oversized_frame_gets_message_too_big_then_1009() {
    let options = StackOptions { max_frame_bytes: 1024, ..Default::default() };
    let stack = Stack::start_with(options).await;
    let (mut client, _) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    client.send_message("big", &"x".repeat(4096)).await;
    client.expect_error(ErrorCode::MessageTooBig).await;
    client.expect_close(1009).await;
    stack.shutdown().await;
}
