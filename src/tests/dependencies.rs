use std::time::{Duration, Instant};

use super::client::{Auth, Client};
use super::stack::{Stack, StackOptions, test_retry_policy, token_for};
use crate::protocol::ErrorCode;

/// Real time, measured only to show the 1013 comes at the deadline and not much after it.
/// Generous slack: this bounds behaviour, it does not measure speed.
const SLACK: Duration = Duration::from_secs(3);

async fn unavailable(options: StackOptions, code: ErrorCode, dependency: &str) {
    let stack = Stack::start_with(options).await;
    let started = Instant::now();
    let mut client = Client::connect(&stack.ws_url(), Auth::Bearer(&token_for("alice"))).await.unwrap();
    let error = client.expect_error(code).await;
    client.expect_close(1013).await;
    assert!(error.retryable, "a dependency outage is worth retrying");
    assert!(error.message.contains(dependency), "{}", error.message);
    assert!(started.elapsed() < test_retry_policy().connect_deadline + SLACK, "took {:?}", started.elapsed());
    stack.shutdown().await;
}

#[tokio::test]
async fn auth_not_running_gives_1013_auth_unavailable_within_the_deadline() {
    unavailable(StackOptions { auth: false, ..Default::default() }, ErrorCode::AuthUnavailable, "auth").await;
}

#[tokio::test]
async fn idgen_not_running_gives_1013_idgen_unavailable_within_the_deadline() {
    unavailable(StackOptions { idgen: false, ..Default::default() }, ErrorCode::IdgenUnavailable, "idgen")
        .await;
}
