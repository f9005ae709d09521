use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::*;

const SECRET: &[u8] = b"test-only-secret";
const NOW: u64 = 1_800_000_000;

fn verifier() -> Verifier {
    Verifier::new(SECRET, 2)
}

#[test]
fn a_fresh_token_verifies_and_keeps_its_claims() {
    let mut claims = Claims::new("alice", NOW, 300);
    claims.email = Some("alice@example.test".into());
    let token = mint(&claims, SECRET);
    assert_eq!(verifier().verify(&token, NOW + 10), Ok(claims));
}

#[test]
fn expiry_and_not_before_follow_the_given_clock_with_leeway() {
    let token = mint(&Claims::new("alice", NOW, 60), SECRET);
    assert!(verifier().verify(&token, NOW + 62).is_ok());
    assert_eq!(verifier().verify(&token, NOW + 63), Err(TokenError::Expired));

    let mut claims = Claims::new("alice", NOW, 600);
    claims.nbf = Some(NOW + 100);
    let token = mint(&claims, SECRET);
    assert_eq!(verifier().verify(&token, NOW + 97), Err(TokenError::NotYetValid));
    assert!(verifier().verify(&token, NOW + 98).is_ok());
}

#[test]
fn a_token_signed_with_another_key_is_invalid() {
    let token = mint(&Claims::new("alice", NOW, 60), b"another-secret");
    assert_eq!(verifier().verify(&token, NOW), Err(TokenError::InvalidToken));
}

#[test]
fn algorithms_other_than_hs256_are_invalid_tokens() {
    let claims = Claims::new("alice", NOW, 60);
    for alg in ["none", "HS384", "HS512", "RS256", "ES256"] {
        let token = unsigned(alg, &claims);
        assert_eq!(verifier().verify(&token, NOW), Err(TokenError::InvalidToken), "{alg}");
    }
    let hs512 =
        jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &EncodingKey::from_secret(SECRET))
            .unwrap();
    assert_eq!(verifier().verify(&hs512, NOW), Err(TokenError::InvalidToken));
}

#[test]
fn a_tampered_payload_fails_its_signature() {
    let token = mint(&Claims::new("alice", NOW, 60), SECRET);
    let parts: Vec<&str> = token.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(serde_json::to_string(&Claims::new("mallory", NOW, 60)).unwrap());
    let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(verifier().verify(&tampered, NOW), Err(TokenError::InvalidToken));
    let stripped = format!("{}.{}.", parts[0], parts[1]);
    assert_eq!(verifier().verify(&stripped, NOW), Err(TokenError::InvalidToken));
}

#[test]
fn audience_and_issuer_are_checked() {
    let mut claims = Claims::new("alice", NOW, 60);
    claims.aud = "someone-else".into();
    assert_eq!(verifier().verify(&mint(&claims, SECRET), NOW), Err(TokenError::WrongAudience));
    let mut claims = Claims::new("alice", NOW, 60);
    claims.iss = "someone-else".into();
    assert_eq!(verifier().verify(&mint(&claims, SECRET), NOW), Err(TokenError::WrongIssuer));
}

#[test]
fn missing_claims_and_garbage_are_malformed() {
    let claims = Claims::new("alice", NOW, 60);
    for claim in RequiredClaim::ALL {
        let token = mint_payload(&claims.without(claim), SECRET);
        assert_eq!(verifier().verify(&token, NOW), Err(TokenError::Malformed), "without {claim:?}");
    }
    for garbage in ["", "abc", "a.b", "a.b.c.d", "!!!.e30.x", "bm90IGpzb24.e30.x"] {
        assert_eq!(verifier().verify(garbage, NOW), Err(TokenError::Malformed), "{garbage:?}");
    }
    let huge = format!("{}.e30.x", "A".repeat(40 * 1024));
    assert_eq!(verifier().verify(&huge, NOW), Err(TokenError::Malformed));
}

#[test]
fn a_kid_header_is_ignored() {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("some-key".into());
    let claims = Claims::new("alice", NOW, 60);
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    assert_eq!(verifier().verify(&token, NOW), Ok(claims));
}
