//! Error codes and WebSocket close codes, and the one table that ties them together.

use serde::{Deserialize, Serialize};

/// WebSocket close codes the gateway uses (RFC 6455 §7.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CloseCode {
    /// The client closed, or the server shut down cleanly after in-flight messages finished.
    Normal,
    /// Token invalid or expired, unknown user; too many sessions, slow consumer, idle timeout.
    Policy,
    /// A text frame that is not UTF-8, which RFC 6455 §8.1 requires failing the connection for.
    InvalidPayload,
    /// A frame larger than the configured limit.
    TooBig,
    /// A bug in the gateway. Never for timing, never for bad input.
    Internal,
    /// auth or idgen unreachable within the connect deadline: try again later.
    TryAgainLater,
}

impl CloseCode {
    pub const ALL: [CloseCode; 6] = [
        CloseCode::Normal,
        CloseCode::InvalidPayload,
        CloseCode::Policy,
        CloseCode::TooBig,
        CloseCode::Internal,
        CloseCode::TryAgainLater,
    ];

    pub fn as_u16(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::InvalidPayload => 1007,
            CloseCode::Policy => 1008,
            CloseCode::TooBig => 1009,
            CloseCode::Internal => 1011,
            CloseCode::TryAgainLater => 1013,
        }
    }
}

/// The `code` of an `error` frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    AuthFailed,
    TokenExpired,
    MessageTooBig,
    AuthUnavailable,
    IdgenUnavailable,
    Internal,
    BadMessage,
    BadEncoding,
    TooManySessions,
    RateLimited,
    SlowConsumer,
    IdleTimeout,
}

impl ErrorCode {
    /// Every error code, in the order of the close-code table of `docs/design.md` §2.9. `as_str` matches on every
    /// variant, so a new one cannot go unnoticed; the tests pin this list to the documented names.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::AuthFailed,
        ErrorCode::TokenExpired,
        ErrorCode::TooManySessions,
        ErrorCode::SlowConsumer,
        ErrorCode::IdleTimeout,
        ErrorCode::BadEncoding,
        ErrorCode::MessageTooBig,
        ErrorCode::AuthUnavailable,
        ErrorCode::IdgenUnavailable,
        ErrorCode::Internal,
        ErrorCode::BadMessage,
        ErrorCode::RateLimited,
    ];

    /// The close that follows this error, or `None` when the session stays open.
    pub fn close_code(self) -> Option<CloseCode> {
        match self {
            ErrorCode::AuthFailed
            | ErrorCode::TokenExpired
            | ErrorCode::TooManySessions
            | ErrorCode::SlowConsumer
            | ErrorCode::IdleTimeout => Some(CloseCode::Policy),
            ErrorCode::MessageTooBig => Some(CloseCode::TooBig),
            ErrorCode::BadEncoding => Some(CloseCode::InvalidPayload),
            ErrorCode::AuthUnavailable | ErrorCode::IdgenUnavailable => Some(CloseCode::TryAgainLater),
            ErrorCode::Internal => Some(CloseCode::Internal),
            ErrorCode::BadMessage | ErrorCode::RateLimited => None,
        }
    }

    /// Whether the same request may succeed later without the client changing anything.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::AuthUnavailable
                | ErrorCode::IdgenUnavailable
                | ErrorCode::TooManySessions
                | ErrorCode::RateLimited
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthFailed => "AUTH_FAILED",
            ErrorCode::TokenExpired => "TOKEN_EXPIRED",
            ErrorCode::MessageTooBig => "MESSAGE_TOO_BIG",
            ErrorCode::AuthUnavailable => "AUTH_UNAVAILABLE",
            ErrorCode::IdgenUnavailable => "IDGEN_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::BadMessage => "BAD_MESSAGE",
            ErrorCode::BadEncoding => "BAD_ENCODING",
            ErrorCode::TooManySessions => "TOO_MANY_SESSIONS",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::SlowConsumer => "SLOW_CONSUMER",
            ErrorCode::IdleTimeout => "IDLE_TIMEOUT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialise_as_documented() {
        let json = serde_json::to_string(&ErrorCode::IdgenUnavailable).unwrap();
        assert_eq!(json, "\"IDGEN_UNAVAILABLE\"");
        assert_eq!(ErrorCode::IdgenUnavailable.as_str(), "IDGEN_UNAVAILABLE");
    }

    #[test]
    fn every_documented_code_is_listed_once_under_its_wire_name() {
        let documented = [
            "AUTH_FAILED",
            "TOKEN_EXPIRED",
            "TOO_MANY_SESSIONS",
            "SLOW_CONSUMER",
            "IDLE_TIMEOUT",
            "BAD_ENCODING",
            "MESSAGE_TOO_BIG",
            "AUTH_UNAVAILABLE",
            "IDGEN_UNAVAILABLE",
            "INTERNAL",
            "BAD_MESSAGE",
            "RATE_LIMITED",
        ];
        let serialised = ErrorCode::ALL.map(|code| serde_json::to_value(code).unwrap());
        assert_eq!(serialised, documented.map(serde_json::Value::from));
        assert_eq!(ErrorCode::ALL.map(ErrorCode::as_str), documented);
        assert_eq!(CloseCode::ALL.map(CloseCode::as_u16), [1000, 1007, 1008, 1009, 1011, 1013]);
    }

    #[test]
    fn close_codes_match_the_design_table() {
        let table = [
            (ErrorCode::AuthFailed, Some(1008)),
            (ErrorCode::TokenExpired, Some(1008)),
            (ErrorCode::MessageTooBig, Some(1009)),
            (ErrorCode::AuthUnavailable, Some(1013)),
            (ErrorCode::IdgenUnavailable, Some(1013)),
            (ErrorCode::Internal, Some(1011)),
            (ErrorCode::BadMessage, None),
            (ErrorCode::BadEncoding, Some(1007)),
            (ErrorCode::TooManySessions, Some(1008)),
            (ErrorCode::RateLimited, None),
            (ErrorCode::SlowConsumer, Some(1008)),
            (ErrorCode::IdleTimeout, Some(1008)),
        ];
        for (error, close) in table {
            assert_eq!(error.close_code().map(CloseCode::as_u16), close, "{error:?}");
        }
    }
}
