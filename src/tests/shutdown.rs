use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::client::{Client, Seen};
use super::stack::{Stack, token_for};
use crate::clock::SystemClock;
use crate::http::get_status;
use crate::net::{Net, TokioNet};
use crate::protocol::EventKind;
use crate::services::accept;

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

/// Beneath the gateway's session drain: the accept loop every service runs lets an HTTP request
/// it is answering finish, while it already refuses new connections.
#[tokio::test]
async fn shutdown_answers_the_request_in_flight_and_refuses_new_connections() {
    let listener = TokioNet.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (arrived, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let slow = {
        let (arrived, release) = (Arc::clone(&arrived), Arc::clone(&release));
        move || async move {
            arrived.notify_one();
            release.notified().await;
            StatusCode::OK
        }
    };
    let router = Router::new().route("/slow", get(slow));
    let stop = CancellationToken::new();
    let shutdown = stop.clone().cancelled_owned();
    let server = tokio::spawn(async move {
        accept::serve(&TokioNet, listener, router, Arc::new(SystemClock), shutdown).await
    });
    let in_flight = tokio::spawn({
        let addr = addr.clone();
        async move { get_status(&TokioNet, &addr, "/slow", Duration::from_secs(10)).await }
    });
    arrived.notified().await;

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), async {
        while !matches!(TcpStream::connect(&addr).await, Err(e) if e.kind() == ErrorKind::ConnectionRefused) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("connections are still accepted after shutdown");
    assert!(!server.is_finished(), "the server returned before its request in flight was answered");

    release.notify_one();
    assert_eq!(in_flight.await.unwrap().unwrap(), StatusCode::OK);
    let stopped = tokio::time::timeout(Duration::from_secs(5), server).await;
    stopped.expect("the server did not return once its last connection closed").unwrap().unwrap();
}
