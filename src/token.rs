//! Access tokens: JWT, HS256 only, minted by `gatesim token`, the tests and the simulator, and
//! verified by auth.
//!
//! `exp` and `nbf` are compared here against an injected clock reading, not by jsonwebtoken (which
//! would read the machine's clock and so break simulated time).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const ISSUER: &str = "gatesim-auth";
pub const AUDIENCE: &str = "gatesim-gateway";

/// Tokens longer than this are refused unread: nothing legitimate comes close.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    pub iss: String,
    pub aud: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
}

impl Claims {
    /// Claims for `user`, issued at `now` (Unix seconds) and valid for `ttl_secs`.
    pub fn new(user: &str, now: u64, ttl_secs: u64) -> Claims {
        Claims {
            sub: user.to_owned(),
            exp: now.saturating_add(ttl_secs),
            iat: now,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            nbf: None,
            email: None,
            permissions: vec!["chat".to_owned()],
        }
    }

    /// The claims as a JSON payload without `claim`: signed, a token auth must refuse as
    /// malformed.
    pub fn without(&self, claim: RequiredClaim) -> serde_json::Value {
        let mut payload = serde_json::to_value(self).expect("claims serialise");
        payload.as_object_mut().expect("claims serialise as an object").remove(claim.name());
        payload
    }
}

/// The claims a token must carry; auth refuses one without any of them as malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequiredClaim {
    Sub,
    Exp,
    Iat,
    Iss,
    Aud,
}

impl RequiredClaim {
    pub const ALL: [RequiredClaim; 5] =
        [RequiredClaim::Sub, RequiredClaim::Exp, RequiredClaim::Iat, RequiredClaim::Iss, RequiredClaim::Aud];

    pub fn name(self) -> &'static str {
        match self {
            RequiredClaim::Sub => "sub",
            RequiredClaim::Exp => "exp",
            RequiredClaim::Iat => "iat",
            RequiredClaim::Iss => "iss",
            RequiredClaim::Aud => "aud",
        }
    }
}

/// Signs `claims` with HS256.
pub fn mint(claims: &Claims, secret: &[u8]) -> String {
    mint_payload(claims, secret)
}

/// Signs any payload with HS256: for tokens [`Claims`] cannot describe, such as one without a
/// required claim ([`Claims::without`]).
pub fn mint_payload(payload: &impl Serialize, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), payload, &EncodingKey::from_secret(secret))
        .expect("HS256 signing with a byte secret cannot fail")
}

/// An unsigned token whose header names `alg`: `header.payload.`, with the empty signature of an
/// unsecured JWT (`alg: none`, RFC 7519 §6). jsonwebtoken cannot write one.
pub fn unsigned(alg: &str, payload: &impl Serialize) -> String {
    let header = serde_json::json!({"alg": alg, "typ": "JWT"});
    let payload = serde_json::to_string(payload).expect("payloads serialise");
    format!("{}.{}.", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload))
}

/// Why a token was refused; serialises as auth's `error` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenError {
    #[error("invalid token")]
    InvalidToken,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token is for another audience")]
    WrongAudience,
    #[error("token is from another issuer")]
    WrongIssuer,
    #[error("unknown user")]
    UnknownUser,
    #[error("malformed token")]
    Malformed,
}

/// Verifies tokens against one secret, with a leeway for clock differences between hosts.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    leeway_secs: u64,
}

impl Verifier {
    pub fn new(secret: &[u8], leeway_secs: u64) -> Verifier {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&RequiredClaim::ALL.map(RequiredClaim::name));
        Verifier { key: DecodingKey::from_secret(secret), validation, leeway_secs }
    }

    /// The token's claims if it is valid at `now` (Unix seconds by the caller's injected clock).
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        // jsonwebtoken cannot even parse `alg: none`; read the header first so that any algorithm
        // other than HS256 is reported as what it is, an invalid token.
        if header_algorithm(token)? != "HS256" {
            return Err(TokenError::InvalidToken);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| classify(e.kind()))?
            .claims;
        if claims.sub.is_empty() {
            return Err(TokenError::Malformed);
        }
        if now > claims.exp.saturating_add(self.leeway_secs) {
            return Err(TokenError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| now.saturating_add(self.leeway_secs) < nbf) {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }
}

fn header_algorithm(token: &str) -> Result<String, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| TokenError::Malformed)?;
    let header: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    match header.get("alg").and_then(serde_json::Value::as_str) {
        Some(alg) => Ok(alg.to_owned()),
        None => Err(TokenError::Malformed),
    }
}

/// What jsonwebtoken's refusal means. Expiry and `nbf` are not among them: [`Verifier::verify`]
/// judges them by the injected clock, and jsonwebtoken, which would read the system's, is told not
/// to.
fn classify(kind: &ErrorKind) -> TokenError {
    match kind {
        ErrorKind::InvalidAudience => TokenError::WrongAudience,
        ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
        ErrorKind::InvalidToken
        | ErrorKind::MissingRequiredClaim(_)
        | ErrorKind::InvalidClaimFormat(_)
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => TokenError::Malformed,
        _ => TokenError::InvalidToken,
    }
}

#[cfg(test)]
mod tests;
