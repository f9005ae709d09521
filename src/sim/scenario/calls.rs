//! Requests a caller host sends straight to auth and idgen, as another service of the system
//! would, so that what they answer anyone but the gateway is tested too: 503 while warming up,
//! 401 to a caller without the right service secret, 400 for a user id no session may have.

use serde::{Deserialize, Serialize};

/// The host the calls are made from, present only in a scenario that has calls.
pub const CALLER_HOST: &str = "caller";
/// How long a call may take, connect included, before it is recorded as failed.
pub const CALL_TIMEOUT_MS: u64 = 2000;

/// One request, sent at `at_ms` on a connection of its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCall {
    pub at_ms: u64,
    pub request: ServiceRequest,
}

/// What is asked. In a scenario file each is an object tagged by `kind`:
/// `{"kind": "ids", "user_id": "NULL"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ServiceRequest {
    /// `GET /healthz` of auth or idgen.
    Health { service: String },
    /// `POST /auth/validate` with a valid token of alice's, proving itself with `secret`; the
    /// token padded with a claim to exactly `token_bytes` bytes if given (a length a JWT can
    /// have): at most 8 KiB auth must accept it, over that refuse it `malformed` unread.
    Validate {
        secret: SecretKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_bytes: Option<usize>,
    },
    /// `POST /ids/session` for `user_id`.
    Ids { user_id: String },
}

impl ServiceRequest {
    /// The service the request is for.
    pub fn service(&self) -> &str {
        match self {
            ServiceRequest::Health { service } => service,
            ServiceRequest::Validate { .. } => super::AUTH,
            ServiceRequest::Ids { .. } => super::IDGEN,
        }
    }
}

/// The `X-Service-Secret` a validate call presents: the right one, or one that differs from it
/// in a way a careless comparison misses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    Right,
    /// No header at all.
    Absent,
    /// Another secret altogether.
    Wrong,
    /// The right one in upper case.
    OtherCase,
    /// The right one less its last byte.
    Prefix,
    /// The right one and a byte more.
    Extended,
}

impl SecretKind {
    pub const ALL: [SecretKind; 6] = [
        SecretKind::Right,
        SecretKind::Absent,
        SecretKind::Wrong,
        SecretKind::OtherCase,
        SecretKind::Prefix,
        SecretKind::Extended,
    ];

    /// The header's value made from `right`, the secret auth expects; none for no header.
    pub fn present(self, right: &str) -> Option<String> {
        Some(match self {
            SecretKind::Right => right.to_owned(),
            SecretKind::Absent => return None,
            SecretKind::Wrong => "TEST-ONLY-another-services-secret".to_owned(),
            SecretKind::OtherCase => right.to_ascii_uppercase(),
            SecretKind::Prefix => right[..right.len() - 1].to_owned(),
            SecretKind::Extended => format!("{right}x"),
        })
    }
}
