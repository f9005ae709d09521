//! Every token attack ends in AUTH_FAILED (or TOKEN_EXPIRED) and 1008, or in a 401 before the
//! upgrade, through the real gateway and auth.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::client::{Auth, Client};
use super::stack::{Stack, jwt_secret};
use crate::clock::{Clock, SystemClock};
use crate::protocol::ErrorCode;
use crate::token::{Claims, RequiredClaim, mint, mint_payload, unsigned};

fn claims() -> Claims {
    Claims::new("alice", SystemClock.unix_secs(), 600)
}

fn with(claim: &str, value: Value) -> Value {
    let mut payload = serde_json::to_value(claims()).unwrap();
    payload[claim] = value;
    payload
}

fn signed(payload: &impl serde::Serialize) -> String {
    mint_payload(payload, jwt_secret().as_bytes())
}

fn attacks() -> Vec<(&'static str, String, ErrorCode)> {
    let good = signed(&claims());
    let parts: Vec<&str> = good.split('.').collect();
    let evil = URL_SAFE_NO_PAD.encode(with("sub", json!("bob")).to_string());
    let now = SystemClock.unix_secs();
    let mut attacks = vec![
        ("alg none", unsigned("none", &claims()), ErrorCode::AuthFailed),
        ("tampered payload", format!("{}.{evil}.{}", parts[0], parts[2]), ErrorCode::AuthFailed),
        ("stripped signature", format!("{}.{}.", parts[0], parts[1]), ErrorCode::AuthFailed),
        ("expired", signed(&with("exp", json!(now - 3600))), ErrorCode::TokenExpired),
        ("nbf in the future", signed(&with("nbf", json!(now + 3600))), ErrorCode::AuthFailed),
        ("wrong iss", signed(&with("iss", json!("evil-auth"))), ErrorCode::AuthFailed),
        ("wrong aud", signed(&with("aud", json!("evil-gateway"))), ErrorCode::AuthFailed),
        ("missing sub", signed(&claims().without(RequiredClaim::Sub)), ErrorCode::AuthFailed),
        ("missing exp", signed(&claims().without(RequiredClaim::Exp)), ErrorCode::AuthFailed),
        (
            "non-JSON header",
            format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("not json"), parts[1], parts[2]),
            ErrorCode::AuthFailed,
        ),
        ("wrong key", mint(&Claims::new("alice", now, 600), b"guessed-key"), ErrorCode::AuthFailed),
    ];
    for alg in ["HS384", "HS512", "RS256", "ES256"] {
        attacks.push(("another algorithm", unsigned(alg, &claims()), ErrorCode::AuthFailed));
    }
    let hs512 = Header::new(Algorithm::HS512);
    let key = EncodingKey::from_secret(jwt_secret().as_bytes());
    let real_hs512 = jsonwebtoken::encode(&hs512, &claims(), &key).unwrap();
    attacks.push(("HS512 signed with the right key", real_hs512, ErrorCode::AuthFailed));
    attacks
}

#[tokio::test]
async fn every_token_attack_ends_in_an_auth_error_and_1008() {
    let stack = Stack::start().await;
    for (name, token, code) in attacks() {
        let mut client = Client::connect(&stack.ws_url(), Auth::Bearer(&token)).await.unwrap();
        let error = client.expect_error(code).await;
        assert!(!error.message.contains(&token), "{name}: the token was echoed");
        client.expect_close(1008).await;
    }
    stack.shutdown().await;
}

#[tokio::test]
async fn a_token_of_tens_of_kib_gets_401_before_the_upgrade() {
    let stack = Stack::start().await;
    let huge = signed(&with("padding", json!("x".repeat(40 * 1024))));
    Client::expect_refused(&stack.ws_url(), Auth::Bearer(&huge), 401).await;
    stack.shutdown().await;
}

#[tokio::test]
async fn a_kid_header_is_ignored() {
    let stack = Stack::start().await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("../../etc/passwd".into());
    let token =
        jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(jwt_secret().as_bytes())).unwrap();
    let (_, context) = Client::session(&stack.ws_url(), &token).await;
    assert_eq!(context.user_id, "alice");
    stack.shutdown().await;
}
