//! Cases for auth's token rules (`src/rules/token.rs`): alice's first connect, with a token of one
//! kind, established or refused.

use crate::protocol::ErrorCode::TokenExpired;
use crate::rules::Clause;
use crate::sim::scenario::TokenKind;
use crate::token::RequiredClaim;

use super::connect::{EXPIRED_DAYS_AGO, accepted_token, refused_for, refused_token};
use super::{Case, judge};

const SIGNATURE: Clause = Clause::kept("token.signature");
const SIGNATURE_ONLY: Clause = Clause::justified("token.signature");
const CLAIMS: Clause = Clause::kept("token.claims");
const ISSUER: Clause = Clause::kept("token.issuer");
const ISSUER_ONLY: Clause = Clause::justified("token.issuer");
const AUDIENCE: Clause = Clause::kept("token.audience");
const AUDIENCE_ONLY: Clause = Clause::justified("token.audience");
const EXPIRY: Clause = Clause::kept("token.expiry");
const EXPIRY_ONLY: Clause = Clause::justified("token.expiry");
const NOT_BEFORE: Clause = Clause::kept("token.not-before");
const NOT_BEFORE_ONLY: Clause = Clause::justified("token.not-before");
const USER: Clause = Clause::kept("token.user");
const USER_ONLY: Clause = Clause::justified("token.user");
const MALFORMED: Clause = Clause::kept("token.malformed");
const MALFORMED_ONLY: Clause = Clause::justified("token.malformed");

/// Not valid for days yet: no skew or leeway makes auth accept it.
const VALID_IN_DAYS: TokenKind = TokenKind::NotYetValid { in_secs: 3 * 86_400 };
const VALID: TokenKind = TokenKind::Valid { ttl_secs: 3600 };
const WITHOUT_IAT: TokenKind = TokenKind::MissingClaim { claim: RequiredClaim::Iat };

const INVALID: &str = "token refused: invalid token";
const MALFORMED_TOKEN: &str = "token refused: malformed token";
const OTHER_ISSUER: &str = "token refused: token is from another issuer";
const OTHER_AUDIENCE: &str = "token refused: token is for another audience";
const NOT_YET_VALID: &str = "token refused: token not yet valid";
const UNKNOWN_USER: &str = "token refused: unknown user";

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: SIGNATURE,
            // The key never checked: anyone's HS256 token accepted.
            violating: || judge(SIGNATURE, &accepted_token(TokenKind::WrongKey)),
            passing: || judge(SIGNATURE, &refused_for(TokenKind::WrongKey, INVALID)),
        },
        Case {
            clause: SIGNATURE_ONLY,
            // Every refusal of the JWT library's taken for a bad signature.
            violating: || judge(SIGNATURE_ONLY, &refused_for(TokenKind::WrongIssuer, INVALID)),
            passing: || judge(SIGNATURE_ONLY, &refused_for(TokenKind::AlgNone, INVALID)),
        },
        Case {
            clause: CLAIMS,
            // `iat` left out of the required claims.
            violating: || judge(CLAIMS, &accepted_token(WITHOUT_IAT)),
            passing: || judge(CLAIMS, &refused_for(WITHOUT_IAT, MALFORMED_TOKEN)),
        },
        Case {
            clause: ISSUER,
            // The issuer and audience errors crossed.
            violating: || judge(ISSUER, &refused_for(TokenKind::WrongIssuer, OTHER_AUDIENCE)),
            passing: || judge(ISSUER, &refused_for(TokenKind::WrongIssuer, OTHER_ISSUER)),
        },
        Case {
            clause: ISSUER_ONLY,
            violating: || judge(ISSUER_ONLY, &refused_for(TokenKind::WrongAudience, OTHER_ISSUER)),
            passing: || judge(ISSUER_ONLY, &refused_for(TokenKind::WrongIssuer, OTHER_ISSUER)),
        },
        Case {
            clause: AUDIENCE,
            // The audience left unchecked.
            violating: || judge(AUDIENCE, &accepted_token(TokenKind::WrongAudience)),
            passing: || judge(AUDIENCE, &refused_for(TokenKind::WrongAudience, OTHER_AUDIENCE)),
        },
        Case {
            clause: AUDIENCE_ONLY,
            // An audience list compared with a single audience: the gateway's own refused.
            violating: || judge(AUDIENCE_ONLY, &refused_for(VALID, OTHER_AUDIENCE)),
            passing: || judge(AUDIENCE_ONLY, &refused_for(TokenKind::WrongAudience, OTHER_AUDIENCE)),
        },
        Case {
            clause: EXPIRY,
            // `exp` read in milliseconds: expired for days, still accepted.
            violating: || judge(EXPIRY, &accepted_token(EXPIRED_DAYS_AGO)),
            passing: || judge(EXPIRY, &refused_token(EXPIRED_DAYS_AGO, TokenExpired)),
        },
        Case {
            clause: EXPIRY_ONLY,
            // A token outside its window taken for expired, whichever end it is on.
            violating: || judge(EXPIRY_ONLY, &refused_token(VALID_IN_DAYS, TokenExpired)),
            passing: || judge(EXPIRY_ONLY, &refused_token(EXPIRED_DAYS_AGO, TokenExpired)),
        },
        Case {
            clause: NOT_BEFORE,
            // `nbf` left to the JWT library, whose check auth turns off.
            violating: || judge(NOT_BEFORE, &accepted_token(VALID_IN_DAYS)),
            passing: || judge(NOT_BEFORE, &refused_for(VALID_IN_DAYS, NOT_YET_VALID)),
        },
        Case {
            clause: NOT_BEFORE_ONLY,
            // `nbf` compared with `iat`: a current token refused.
            violating: || judge(NOT_BEFORE_ONLY, &refused_for(VALID, NOT_YET_VALID)),
            passing: || judge(NOT_BEFORE_ONLY, &refused_for(VALID_IN_DAYS, NOT_YET_VALID)),
        },
        Case {
            clause: USER,
            // Any well-signed token's subject taken at its word.
            violating: || judge(USER, &accepted_token(TokenKind::UnknownUser)),
            passing: || judge(USER, &refused_for(TokenKind::UnknownUser, UNKNOWN_USER)),
        },
        Case {
            clause: USER_ONLY,
            // The users compared without regard to case, or with their email.
            violating: || judge(USER_ONLY, &refused_for(VALID, UNKNOWN_USER)),
            passing: || judge(USER_ONLY, &refused_for(TokenKind::UnknownUser, UNKNOWN_USER)),
        },
        Case {
            clause: MALFORMED,
            // Text without an `alg` taken for another algorithm.
            violating: || judge(MALFORMED, &refused_for(TokenKind::Malformed, INVALID)),
            passing: || judge(MALFORMED, &refused_for(TokenKind::Malformed, MALFORMED_TOKEN)),
        },
        Case {
            clause: MALFORMED_ONLY,
            // A signature that does not verify taken for a malformed token.
            violating: || judge(MALFORMED_ONLY, &refused_for(TokenKind::WrongKey, MALFORMED_TOKEN)),
            passing: || {
                let without_sub = TokenKind::MissingClaim { claim: RequiredClaim::Sub };
                judge(MALFORMED_ONLY, &refused_for(without_sub, MALFORMED_TOKEN))
            },
        },
    ]
}
