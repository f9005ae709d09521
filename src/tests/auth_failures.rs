use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::client::{Auth, Client};
use super::stack::{SERVICE_SECRET, Stack, jwt_secret, token_for};
use crate::clock::{Clock, SystemClock};
use crate::http::{Connections, HttpError, post_json};
use crate::net::TokioNet;
use crate::protocol::ErrorCode;
use crate::services::auth::{SERVICE_SECRET_HEADER, ValidateRequest, ValidateResponse};
use crate::token::{Claims, TokenError, mint};

/// Connects with `token` and expects an error frame with `code`, then close 1008.
async fn refused(stack: &Stack, token: &str, code: ErrorCode) -> String {
    let mut client = Client::connect(&stack.ws_url(), Auth::Bearer(token)).await.unwrap();
    let error = client.expect_error(code).await;
    client.expect_close(1008).await;
    assert!(!error.message.contains(token), "the token must never be echoed back");
    error.message
}

fn now() -> u64 {
    SystemClock.unix_secs()
}

#[tokio::test]
async fn an_expired_token_gets_token_expired_and_1008() {
    let stack = Stack::start().await;
    let mut claims = Claims::new("alice", now() - 7200, 60);
    claims.exp = now() - 3600;
    refused(&stack, &mint(&claims, jwt_secret().as_bytes()), ErrorCode::TokenExpired).await;
    stack.shutdown().await;
}

#[tokio::test]
async fn a_token_signed_with_another_key_gets_auth_failed_and_1008() {
    let stack = Stack::start().await;
    let token = mint(&Claims::new("alice", now(), 60), b"not-the-key");
    let message = refused(&stack, &token, ErrorCode::AuthFailed).await;
    assert!(message.contains("invalid token"), "{message}");
    stack.shutdown().await;
}

#[tokio::test]
async fn an_alg_none_token_gets_auth_failed_and_1008() {
    let stack = Stack::start().await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_string(&Claims::new("alice", now(), 60)).unwrap());
    refused(&stack, &format!("{header}.{payload}."), ErrorCode::AuthFailed).await;
    stack.shutdown().await;
}

#[tokio::test]
async fn a_token_for_another_audience_gets_auth_failed_and_1008() {
    let stack = Stack::start().await;
    let mut claims = Claims::new("alice", now(), 60);
    claims.aud = "some-other-service".into();
    let message = refused(&stack, &mint(&claims, jwt_secret().as_bytes()), ErrorCode::AuthFailed).await;
    assert!(message.contains("another audience"), "{message}");
    stack.shutdown().await;
}

#[tokio::test]
async fn a_token_for_an_unknown_user_gets_auth_failed_and_1008() {
    let stack = Stack::start().await;
    let message = refused(&stack, &token_for("mallory"), ErrorCode::AuthFailed).await;
    assert!(message.contains("unknown user"), "{message}");
    stack.shutdown().await;
}

#[tokio::test]
async fn auth_answers_401_to_callers_without_the_service_secret() {
    let stack = Stack::start().await;
    let request = ValidateRequest { token: token_for("alice") };
    let auth = Connections::new(stack.auth.to_string());
    let timeout = Duration::from_secs(5);
    for secret in [None, Some("wrong-secret")] {
        let headers: Vec<(&str, &str)> = secret.map(|s| (SERVICE_SECRET_HEADER, s)).into_iter().collect();
        let answer = post_json::<_, _, ValidateResponse>(
            &TokioNet,
            &auth,
            "/auth/validate",
            &headers,
            &request,
            timeout,
        )
        .await;
        assert!(matches!(answer, Err(HttpError::Status(s)) if s == 401), "{secret:?}: {answer:?}");
    }
    let headers = [(SERVICE_SECRET_HEADER, SERVICE_SECRET)];
    let bad = ValidateRequest { token: "garbage".into() };
    let answer: ValidateResponse =
        post_json(&TokioNet, &auth, "/auth/validate", &headers, &bad, timeout).await.unwrap();
    assert_eq!((answer.valid, answer.error), (false, Some(TokenError::Malformed)));
    stack.shutdown().await;
}
