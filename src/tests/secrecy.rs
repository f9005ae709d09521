//! Tokens and secrets never reach logs or error frames.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

use super::client::{Auth, Client};
use super::stack::{SERVICE_SECRET, Stack, jwt_secret, token_for};
use crate::protocol::ErrorCode;

/// Collects everything logged while it is the default subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

// A current-thread runtime: every task of the stack runs on this thread, under this subscriber.
#[tokio::test]
async fn tokens_and_secrets_never_appear_in_logs_or_error_frames() {
    let captured = Captured::default();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(captured.clone());
    // tracing-core 0.1 treats a lone registered dispatcher as the only one, and then decides
    // whether a log call that another test's thread reaches first is ever enabled from that
    // thread's dispatcher (none), for every thread. A second live dispatcher makes it ask each
    // registered one, this test's capture included.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber.finish());

    let stack = Stack::start().await;
    let good = token_for("alice");
    let (mut client, _) = Client::session(&stack.ws_url(), &good).await;
    client.exchange("m1", "hello").await;
    let unknown = token_for("mallory");
    let mut refused = Client::connect(&stack.ws_url(), Auth::Bearer(&unknown)).await.unwrap();
    let error = refused.expect_error(ErrorCode::AuthFailed).await;
    stack.shutdown().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("session refused"), "the capture works: {logs}");
    for secret in [good.as_str(), unknown.as_str(), jwt_secret(), SERVICE_SECRET] {
        assert!(!logs.contains(secret), "a secret reached the logs");
        assert!(!error.message.contains(secret), "a secret reached an error frame");
    }
}
