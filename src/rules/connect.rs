//! Rules of the handshake and the connect sequence (`docs/design.md` §2.4–2.5).

use super::checker::{CLEAR_ERRORS, OUTAGE};
use super::{Rule, demand};

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "handshake.token",
        section: "2.4 Handshake",
        sentence: "The client passes its token either as `Authorization: Bearer <jwt>` or as the subprotocol \
                   `jwt.<jwt>`; without a usable token the gateway answers HTTP 401 with an `AUTH_FAILED` error \
                   body and does not upgrade.",
        kept: demand(
            CLEAR_ERRORS,
            "an upgrade request with no token, an empty bearer, an empty `jwt.` subprotocol or another scheme \
             gets 401 `AUTH_FAILED`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "an upgrade request that carries a token is never refused with a 401",
        ),
    },
    Rule {
        id: "handshake.subprotocol",
        section: "2.4 Handshake",
        sentence: "A client that presents its token as the subprotocol `jwt.<jwt>` gets that exact subprotocol \
                   echoed in the 101; a client that offers no subprotocol gets none.",
        kept: demand(
            CLEAR_ERRORS,
            "a 101 to a client that offered its token as the subprotocol `jwt.<jwt>` names that subprotocol",
        ),
        justified: demand(CLEAR_ERRORS, "a 101 never names a subprotocol its client did not offer"),
    },
    Rule {
        id: "handshake.long-token",
        section: "2.4 Handshake",
        sentence: "A token longer than 8 KiB is refused with 401 `AUTH_FAILED` unread, never forwarded to auth.",
        kept: demand(CLEAR_ERRORS, "an upgrade request with a token over 8 KiB gets 401 `AUTH_FAILED`"),
        justified: demand(CLEAR_ERRORS, "a token of at most 8 KiB is upgraded and left to auth to judge"),
    },
    Rule {
        id: "handshake.upgrade",
        section: "2.4 Handshake",
        sentence: "A request that is not a version-13 WebSocket upgrade gets HTTP 400 with a `BAD_MESSAGE` \
                   error body.",
        kept: demand(
            CLEAR_ERRORS,
            "an upgrade of another version or to another protocol gets 400 `BAD_MESSAGE`",
        ),
        justified: demand(CLEAR_ERRORS, "a well-formed upgrade request is never refused with a 400"),
    },
    Rule {
        id: "connect.order",
        section: "2.5 Connect",
        sentence: "The gateway validates the token with auth, then asks idgen for the session's identifiers, \
                   and only then builds the context and sends `connection_established`.",
        kept: None,
        justified: demand(
            OUTAGE,
            "no `connection_established` while auth or idgen was down or warming up from the earliest the \
             connect can have begun until it arrived",
        ),
    },
    Rule {
        id: "connect.deadline",
        section: "2.5 Connect",
        sentence: "The connect deadline bounds the whole connect sequence, auth and idgen together: when it \
                   passes, the client gets 1013 naming the dependency that did not answer, and never before it.",
        kept: demand(
            OUTAGE,
            "by the deadline, the client link's greatest latency and a millisecond after the handshake, a \
             session whose client waited and whose link and gateway held has its answer",
        ),
        justified: demand(
            OUTAGE,
            "no 1013 sooner than the connect deadline after the connect can have begun",
        ),
    },
    Rule {
        id: "connect.retry",
        section: "2.5 Connect",
        sentence: "Each call to auth or idgen is bounded by the per-try timeout, and a call that fails for a \
                   transient reason (no answer in time, a refused or broken connection, a 503) is retried after \
                   a backoff that starts at the first backoff, doubles up to the cap, and is shortened by a \
                   jitter of up to half.",
        kept: demand(
            OUTAGE,
            "no 1013 naming a dependency that was up, warm and reachable, before the deadline passed, for twice \
             a per-try timeout and a capped backoff and four of its link's trips; nor a session established later \
             than that after its dependency came back (plus idgen's exchange and the trip to the client)",
        ),
        justified: demand(
            OUTAGE,
            "the calls a 1013 reports are at least one and no more than fit in the deadline with each retry \
             waiting at least half its backoff",
        ),
    },
    Rule {
        id: "connect.unavailable",
        section: "2.5 Connect",
        sentence: "`AUTH_UNAVAILABLE` names auth; `IDGEN_UNAVAILABLE` names idgen, which is asked only once auth \
                   has answered.",
        kept: None,
        justified: demand(
            OUTAGE,
            "a 1013 only when the dependency it names (for `IDGEN_UNAVAILABLE`, auth or idgen) was down, warming \
             up, cut off or slow at some moment of the connect, and an `IDGEN_UNAVAILABLE` only when auth may \
             have answered",
        ),
    },
    Rule {
        id: "connect.token",
        section: "2.5 Connect",
        sentence: "An expired token is refused with `TOKEN_EXPIRED`, any other token auth refuses with \
                   `AUTH_FAILED`, both followed by the close 1008; a valid token of a user auth knows is accepted.",
        kept: demand(
            CLEAR_ERRORS,
            "a token auth refused as expired gets `TOKEN_EXPIRED`, never an `AUTH_FAILED` naming expiry",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "`AUTH_FAILED` or `TOKEN_EXPIRED` only for a token auth may have refused for that reason, so never \
             for a current token of a user auth knows, and `AUTH_UNAVAILABLE` rather than a verdict only \
             while auth could not be asked",
        ),
    },
    Rule {
        id: "connect.reason",
        section: "2.5 Connect",
        sentence: "An `AUTH_FAILED` error's message names auth's reason: `token refused: <reason>`.",
        kept: demand(
            CLEAR_ERRORS,
            "every `AUTH_FAILED` of a connect says `token refused: ` and one of auth's reasons in the design's \
             words",
        ),
        justified: None,
    },
];
