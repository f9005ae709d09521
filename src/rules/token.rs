//! auth's token rules (`docs/design.md` §2.1): what auth must refuse, and for what reason. The
//! trace shows auth's verdict through the gateway: a session established, `TOKEN_EXPIRED`, or an
//! `AUTH_FAILED` whose message names auth's reason (§2.5).

use super::checker::CLEAR_ERRORS;
use super::{Rule, demand};

const SECTION: &str = "2.1 auth";

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "token.signature",
        section: SECTION,
        sentence: "Tokens are JWTs signed with HS256 by auth's key; any other `alg`, `none` included, or another \
                   key is `invalid_token`.",
        kept: demand(
            CLEAR_ERRORS,
            "a token signed with another key or unsigned is never accepted, and its `AUTH_FAILED` names \
             `invalid token`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "an `AUTH_FAILED` names `invalid token` only for a token signed with another key or algorithm",
        ),
    },
    Rule {
        id: "token.claims",
        section: SECTION,
        sentence: "A token must carry `sub`, `exp`, `iat`, `iss` and `aud`; one without any of them is \
                   `malformed`.",
        kept: demand(
            CLEAR_ERRORS,
            "a token without one of the five required claims is never accepted, and its `AUTH_FAILED` names \
             `malformed token`",
        ),
        // `malformed token` is also the reason for text that is not a JWT: token.malformed judges
        // which tokens may be refused for it.
        justified: None,
    },
    Rule {
        id: "token.issuer",
        section: SECTION,
        sentence: "A token whose `iss` is not `gatesim-auth` is `wrong_issuer`.",
        kept: demand(
            CLEAR_ERRORS,
            "a token from another issuer is never accepted, and its `AUTH_FAILED` names `token is from \
             another issuer`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "an `AUTH_FAILED` names `token is from another issuer` only for a token from another issuer",
        ),
    },
    Rule {
        id: "token.audience",
        section: SECTION,
        sentence: "A token whose `aud` is not `gatesim-gateway` is `wrong_audience`.",
        kept: demand(
            CLEAR_ERRORS,
            "a token for another audience is never accepted, and its `AUTH_FAILED` names `token is for \
             another audience`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "an `AUTH_FAILED` names `token is for another audience` only for a token for another audience",
        ),
    },
    Rule {
        id: "token.expiry",
        section: SECTION,
        sentence: "A token whose `exp` has passed by auth's injected clock, beyond a leeway of 2 s, is \
                   `expired`.",
        kept: demand(
            CLEAR_ERRORS,
            "a token past its exp and the leeway by auth's clock throughout its validation is never \
             accepted, nor refused with `AUTH_FAILED`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "`TOKEN_EXPIRED` only for a token auth's clock may have read past its exp and the leeway",
        ),
    },
    Rule {
        id: "token.not-before",
        section: SECTION,
        sentence: "A token whose `nbf` is still ahead by auth's injected clock, beyond the leeway, is \
                   `not_yet_valid`.",
        kept: demand(
            CLEAR_ERRORS,
            "a token before its nbf less the leeway by auth's clock throughout its validation is never \
             accepted, and its `AUTH_FAILED` names `token not yet valid`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "an `AUTH_FAILED` names `token not yet valid` only for a token auth's clock may have read before \
             its nbf less the leeway",
        ),
    },
    Rule {
        id: "token.user",
        section: SECTION,
        sentence: "A well-signed, current token for a user auth does not know is `unknown_user`.",
        kept: demand(
            CLEAR_ERRORS,
            "a token for a user auth does not know is never accepted, and its `AUTH_FAILED` names `unknown \
             user`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "an `AUTH_FAILED` names `unknown user` only for a token whose user auth does not know",
        ),
    },
    Rule {
        id: "token.length",
        section: SECTION,
        sentence: "A token longer than 8 KiB (8,192 bytes) is `malformed` without being parsed: nothing \
                   legitimate comes close, and parsing tens of KiB per attempt would only serve an attacker.",
        kept: demand(
            CLEAR_ERRORS,
            "auth answers a caller's token over 8 KiB, valid in every other way, `malformed`",
        ),
        justified: demand(CLEAR_ERRORS, "auth accepts a caller's valid token of at most 8 KiB"),
    },
    Rule {
        id: "token.malformed",
        section: SECTION,
        sentence: "Text that is not a JWT is `malformed`.",
        kept: demand(
            CLEAR_ERRORS,
            "text that is not a JWT is never accepted, and its `AUTH_FAILED` names `malformed token`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "an `AUTH_FAILED` names `malformed token` only for text that is not a JWT or a token without a \
             required claim",
        ),
    },
];
