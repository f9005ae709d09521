//! Each resource limit: its error code, its close, and that it frees what it holds.

use std::time::Duration;

use super::client::{Auth, Client, Seen};
use super::stack::{Stack, StackOptions, token_for};
use crate::protocol::{ClientFrame, ErrorCode, EventKind, ServerFrame};
use crate::services::gateway::{AgentTiming, Limits, SessionStats};

fn limited(limits: Limits) -> StackOptions {
    StackOptions { limits, ..Default::default() }
}

#[tokio::test]
async fn a_user_over_the_session_limit_gets_too_many_sessions_and_1008_until_one_closes() {
    let stack = Stack::start_with(limited(Limits { sessions_per_user: 2, ..Default::default() })).await;
    let token = token_for("alice");
    let (first, _) = Client::session(&stack.ws_url(), &token).await;
    let (_second, _) = Client::session(&stack.ws_url(), &token).await;
    let (_bob, _) = Client::session(&stack.ws_url(), &token_for("bob")).await;

    let mut third = Client::connect(&stack.ws_url(), Auth::Bearer(&token)).await.unwrap();
    let error = third.expect_error(ErrorCode::TooManySessions).await;
    assert!(error.retryable);
    third.expect_close(1008).await;

    first.close().await;
    // Only alice's first session is released; bob's and her second stay open.
    for _ in 0..50 {
        if stack.stats().await.open_sessions == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Client::session(&stack.ws_url(), &token).await;
    stack.shutdown().await;
}

#[tokio::test]
async fn messages_over_the_rate_get_rate_limited_and_the_session_stays() {
    let limits = Limits { message_burst: 2, messages_per_sec: 1, ..Default::default() };
    let stack = Stack::start_with(limited(limits)).await;
    let (mut client, context) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    for id in ["m1", "m2", "m3"] {
        client.send_message(id, "quick").await;
    }
    let mut completed = Vec::new();
    let mut limited = Vec::new();
    while completed.len() + limited.len() < 3 {
        match client.next().await {
            Seen::Frame(ServerFrame::Error(error)) => {
                assert_eq!(error.code, ErrorCode::RateLimited);
                limited.push(error.message_id.unwrap());
            }
            Seen::Frame(frame) => {
                if let Some((EventKind::AgentCompleted, event)) = frame.as_event() {
                    completed.push(event.message_id.clone());
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((completed, limited), (vec!["m1".to_owned(), "m2".to_owned()], vec!["m3".to_owned()]));
    client.send(&ClientFrame::Ping).await;
    assert_eq!(client.next().await, Seen::Frame(ServerFrame::Pong { context }));
    stack.shutdown().await;
}

fn idle_after(timeout: Duration) -> StackOptions {
    limited(Limits { idle_timeout: timeout, ..Default::default() })
}

#[tokio::test]
async fn a_client_that_answers_nothing_is_closed_after_the_idle_timeout() {
    let stack = Stack::start_with(idle_after(Duration::from_millis(600))).await;
    let (mut client, _) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    // Not reading means not answering the server's pings.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    client.expect_error(ErrorCode::IdleTimeout).await;
    client.expect_close(1008).await;
    client.close().await;
    stack.expect_all_sessions_released().await;
    assert_eq!(stack.stats().await, SessionStats { open_sessions: 0, opened_sessions: 1 });
    stack.shutdown().await;
}

#[tokio::test]
async fn a_client_that_answers_pings_is_not_idle() {
    let stack = Stack::start_with(idle_after(Duration::from_millis(600))).await;
    let (mut client, context) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    client.expect_silence(Duration::from_millis(1500)).await;
    client.send(&ClientFrame::Ping).await;
    assert_eq!(client.next().await, Seen::Frame(ServerFrame::Pong { context }));
    stack.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_as_a_slow_consumer() {
    let limits =
        Limits { outbound_frames: 8, message_burst: 5000, messages_per_sec: 5000, ..Default::default() };
    let agent = AgentTiming { think_ms: (0, 0), tool_ms: (0, 0) };
    let stack = Stack::start_with(StackOptions { limits, agent, ..Default::default() }).await;
    let token = token_for("alice");
    let mut client =
        Client::connect_with_buffer(&stack.ws_url(), Auth::Bearer(&token), Some(4096)).await.unwrap();
    client.established().await;
    // Few enough to fit in the server's receive buffer, so sending never blocks; each answer is
    // five frames, far more than the client's small buffer and the outbox can hold.
    let sent = 400;
    for n in 0..sent {
        client.send_message(&format!("m{n}"), "make the server talk").await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut completed = 0;
    let last = loop {
        match client.next().await {
            Seen::Frame(ServerFrame::AgentCompleted(_)) => completed += 1,
            Seen::Frame(ServerFrame::Error(error)) => break error,
            Seen::Frame(_) => {}
            other => panic!("expected a SLOW_CONSUMER error before the end, saw {other:?}"),
        }
    };
    assert_eq!(last.code, ErrorCode::SlowConsumer);
    assert!(completed < sent, "the session ended before answering everything");
    client.expect_close(1008).await;
    client.close().await;
    stack.expect_all_sessions_released().await;
    stack.shutdown().await;
}
