//! The table of `docs/design.md` §2.9: which close each error calls for, which errors are worth
//! retrying, and which close codes exist at all.

use crate::protocol::ErrorCode;

/// The close code the error calls for, or `None` when the session stays open after it.
pub fn closes_with(code: ErrorCode) -> Option<u16> {
    match code {
        ErrorCode::AuthFailed
        | ErrorCode::TokenExpired
        | ErrorCode::TooManySessions
        | ErrorCode::SlowConsumer
        | ErrorCode::IdleTimeout => Some(1008),
        ErrorCode::MessageTooBig => Some(1009),
        ErrorCode::BadEncoding => Some(1007),
        ErrorCode::AuthUnavailable | ErrorCode::IdgenUnavailable => Some(1013),
        ErrorCode::Internal => Some(1011),
        ErrorCode::BadMessage | ErrorCode::RateLimited => None,
    }
}

/// Whether the design marks errors of `code` retryable.
pub fn retryable(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::AuthUnavailable
            | ErrorCode::IdgenUnavailable
            | ErrorCode::TooManySessions
            | ErrorCode::RateLimited
    )
}

/// Whether the server may close with `code`.
pub fn documented_close(code: u16) -> bool {
    matches!(code, 1000 | 1007 | 1008 | 1009 | 1011 | 1013)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::CloseCode;

    /// The gateway's own table agrees with the design's, code for code: the harness reads the
    /// design, and this says the gateway as it ships does too.
    #[test]
    fn the_gateway_as_it_ships_agrees_with_the_design() {
        for code in ErrorCode::ALL {
            assert_eq!(code.close_code().map(CloseCode::as_u16), closes_with(code), "{code:?}");
            assert_eq!(code.retryable(), retryable(code), "{code:?}");
        }
        for close in CloseCode::ALL {
            assert!(documented_close(close.as_u16()), "{close:?}");
        }
        assert!(!documented_close(1001) && !documented_close(1002));
    }
}
