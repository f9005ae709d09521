//! The words of `docs/design.md` §2.5 for auth's reasons: an `AUTH_FAILED` of the connect says
//! `token refused: <reason>`, the reason being auth's refusal in words.

/// What auth found wrong with a token, as one of its token rules (§2.1) names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// Signed with another key or another algorithm than HS256, `none` included.
    Signature,
    /// Without one of the claims every token must carry.
    Claims,
    Issuer,
    Audience,
    /// Past its `exp` by auth's clock, beyond the leeway.
    Expiry,
    /// Before its `nbf` by auth's clock, beyond the leeway.
    NotBefore,
    /// For a user auth does not know.
    User,
    /// Not a JWT at all.
    Malformed,
}

impl Flaw {
    /// The id of the token rule that refuses it.
    pub fn rule(self) -> &'static str {
        match self {
            Flaw::Signature => "token.signature",
            Flaw::Claims => "token.claims",
            Flaw::Issuer => "token.issuer",
            Flaw::Audience => "token.audience",
            Flaw::Expiry => "token.expiry",
            Flaw::NotBefore => "token.not-before",
            Flaw::User => "token.user",
            Flaw::Malformed => "token.malformed",
        }
    }

    /// auth's refusal in words, as an `AUTH_FAILED` names it.
    pub fn reason(self) -> &'static str {
        match self {
            Flaw::Signature => "invalid token",
            Flaw::Claims | Flaw::Malformed => "malformed token",
            Flaw::Issuer => "token is from another issuer",
            Flaw::Audience => "token is for another audience",
            Flaw::Expiry => "token expired",
            Flaw::NotBefore => "token not yet valid",
            Flaw::User => "unknown user",
        }
    }
}

/// What an `AUTH_FAILED` of the connect says first.
const REFUSED: &str = "token refused: ";
/// The reason when auth named none.
const NO_REASON: &str = "no reason given";

/// The reason an `AUTH_FAILED` message names, as the design words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// One of auth's reasons; for `malformed token`, [`Flaw::Malformed`], which words
    /// [`Flaw::Claims`] alike.
    Named(Flaw),
    /// `no reason given`.
    Unnamed,
}

/// The reason `message` names, or none if it is not `token refused: <reason>` in the design's
/// words.
pub fn refusal_reason(message: &str) -> Option<Reason> {
    const FLAWS: [Flaw; 7] = [
        Flaw::Signature,
        Flaw::Malformed,
        Flaw::Issuer,
        Flaw::Audience,
        Flaw::Expiry,
        Flaw::NotBefore,
        Flaw::User,
    ];
    let reason = message.strip_prefix(REFUSED)?;
    if reason == NO_REASON {
        return Some(Reason::Unnamed);
    }
    FLAWS.into_iter().find(|flaw| flaw.reason() == reason).map(Reason::Named)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenError;

    /// auth's errors, as the gateway words them, are the design's reasons, one for one.
    #[test]
    fn auths_errors_in_words_are_the_designs_reasons() {
        let words = [
            (TokenError::InvalidToken, Flaw::Signature),
            (TokenError::Malformed, Flaw::Malformed),
            (TokenError::WrongIssuer, Flaw::Issuer),
            (TokenError::WrongAudience, Flaw::Audience),
            (TokenError::Expired, Flaw::Expiry),
            (TokenError::NotYetValid, Flaw::NotBefore),
            (TokenError::UnknownUser, Flaw::User),
        ];
        for (error, flaw) in words {
            assert_eq!(refusal_reason(&format!("token refused: {error}")), Some(Reason::Named(flaw)));
        }
        assert_eq!(refusal_reason("token refused: no reason given"), Some(Reason::Unnamed));
        assert_eq!(refusal_reason("token refused: WrongIssuer"), None);
        assert_eq!(refusal_reason("refused"), None);
    }
}
