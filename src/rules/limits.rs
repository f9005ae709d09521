//! Rules of errors and closes, limits, idle sessions and shutdown (`docs/design.md` §2.9–2.12).

use super::checker::{CLEAR_ERRORS, IDLE, LIVENESS, RELEASE};
use super::{Rule, demand};

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "errors.before-close",
        section: "2.9 Errors and close codes",
        sentence: "Every close by the server with a code other than 1000 is preceded by an `error` frame whose \
                   code calls for that close.",
        kept: demand(
            CLEAR_ERRORS,
            "every server close but 1000 follows an error calling for its code, and an error calling for a \
             close is not followed by a 1000 of the server's own",
        ),
        justified: None,
    },
    Rule {
        id: "errors.codes",
        section: "2.9 Errors and close codes",
        sentence: "The server closes only with 1000, 1007, 1008, 1009, 1011 or 1013.",
        kept: None,
        justified: demand(CLEAR_ERRORS, "every server close has a code, and a documented one"),
    },
    Rule {
        id: "errors.internal",
        section: "2.9 Errors and close codes",
        sentence: "1011 and `INTERNAL` mean a bug in the gateway: they never occur, not for timing, not for bad \
                   input.",
        kept: None,
        justified: demand(CLEAR_ERRORS, "no server close is a 1011"),
    },
    Rule {
        id: "errors.retryable",
        section: "2.9 Errors and close codes",
        sentence: "An error's `retryable` is true exactly for `AUTH_UNAVAILABLE`, `IDGEN_UNAVAILABLE`, \
                   `TOO_MANY_SESSIONS` and `RATE_LIMITED`.",
        kept: None,
        justified: demand(CLEAR_ERRORS, "every error frame's `retryable` is its code's"),
    },
    Rule {
        id: "close.normal",
        section: "2.9 Errors and close codes",
        sentence: "The server closes with 1000 in answer to a client's close, and when it shuts down; at no other \
                   time.",
        kept: demand(
            CLEAR_ERRORS,
            "a client's close is answered with 1000, unless the server's own close, called for by its error, \
             crossed it",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "a server's 1000 comes only after the client's close, or with the reason `server shutting down`",
        ),
    },
    Rule {
        id: "limits.sessions-per-user",
        section: "2.10 Limits",
        sentence: "A user holds at most `sessions_per_user` open sessions; a connect beyond that is refused with \
                   `TOO_MANY_SESSIONS` and 1008.",
        kept: demand(
            CLEAR_ERRORS,
            "no session is established while its user surely holds the limit's number of others: sessions \
             ended by a close, on a sound link, in one lifetime of the gateway, open from the client's view",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "`TOO_MANY_SESSIONS` only once at least the limit's number of the user's other sessions had begun",
        ),
    },
    Rule {
        id: "limits.rate",
        section: "2.10 Limits",
        sentence: "A session may send `message_burst` messages at once and `messages_per_sec` a second after \
                   that; a message beyond that gets `RATE_LIMITED` naming it, with the wait until the next token, \
                   and the session stays open.",
        kept: demand(
            CLEAR_ERRORS,
            "no stretch of a session has more messages admitted than the bucket allows",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "`RATE_LIMITED` only past the burst, when the bucket may have been empty, asking a wait no longer \
             than a token's refill and no shorter than the bucket can have needed",
        ),
    },
    Rule {
        id: "limits.queue",
        section: "2.10 Limits",
        sentence: "A session's accepted messages wait in a queue of `max_queued_messages`; when it is full the \
                   gateway stops reading the socket, and nothing is dropped.",
        kept: demand(
            LIVENESS,
            "in a run that has healed, a message sent while the session's queue was full is still answered \
             within the bound for the messages ahead of it",
        ),
        justified: None,
    },
    Rule {
        id: "limits.outbound",
        section: "2.10 Limits",
        sentence: "A client that leaves more than `outbound_frames` frames waiting to be written is closed with \
                   `SLOW_CONSUMER` and 1008.",
        kept: None,
        justified: demand(
            CLEAR_ERRORS,
            "`SLOW_CONSUMER` only when the gateway can have queued more frames for the session than the client \
             had read, by the outbox's size and one",
        ),
    },
    Rule {
        id: "limits.frame-size",
        section: "2.10 Limits",
        sentence: "A client frame larger than `max_frame_bytes` gets `MESSAGE_TOO_BIG` and the close 1009.",
        kept: demand(
            CLEAR_ERRORS,
            "a message whose frame is over the limit never gets events, nor does any message sent after it",
        ),
        justified: demand(CLEAR_ERRORS, "`MESSAGE_TOO_BIG` only after a frame over the limit"),
    },
    Rule {
        id: "idle.timeout",
        section: "2.11 Idle sessions",
        sentence: "A session from which nothing at all, not even a pong, arrives for the idle timeout is closed \
                   with `IDLE_TIMEOUT` and 1008.",
        kept: demand(
            IDLE,
            "a client that lingers reading nothing, and reads again later than its last write, the greatest \
             latency twice, the idle timeout, a third of it and a millisecond allow, finds `IDLE_TIMEOUT`",
        ),
        justified: demand(
            IDLE,
            "`IDLE_TIMEOUT` only after the gateway can have heard nothing from the client for the idle timeout",
        ),
    },
    Rule {
        id: "idle.pings",
        section: "2.11 Idle sessions",
        sentence: "The gateway pings each session a third of the idle timeout after establishing it, and every \
                   third of the idle timeout after that.",
        kept: demand(
            IDLE,
            "a client lingering and reading hears a ping at least every third of the idle timeout, the link's \
             latency spread and a millisecond",
        ),
        justified: demand(
            IDLE,
            "the `k`th ping is answered no sooner than `k` thirds of the idle timeout after \
             `connection_established` can have left the gateway, plus the least latency",
        ),
    },
    Rule {
        id: "release.sessions",
        section: "2.11 Idle sessions",
        sentence: "Every session the gateway opened is released once it ends; a half-open one, whose client's \
                   host vanished, within the idle timeout.",
        kept: demand(
            RELEASE,
            "once every client has stopped, the gateway holds no session past the release window",
        ),
        justified: None,
    },
    Rule {
        id: "shutdown.drain",
        section: "2.12 Shutdown",
        sentence: "On shutdown the gateway stops accepting connections, lets each session's messages in flight \
                   finish within the shutdown grace, then closes every session with 1000.",
        kept: demand(
            RELEASE,
            "once asked to stop, the gateway answers no new connection, establishes no connecting session, \
             answers every started message before closing within the grace, closes each open session 1000 \
             `server shutting down`, and its serve returns within the grace and the close waits",
        ),
        justified: demand(
            RELEASE,
            "no close `server shutting down` and no 503 `gateway is shutting down` before a stop was asked",
        ),
    },
];
