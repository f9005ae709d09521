//! The catalogue's entries, in the order of `docs/design.md`. Each sentence is the design's,
//! word for word (a test holds it); each direction names the checker that judges it.

use super::{Demand, Rule};

const fn demand(checker: &'static str, demands: &'static str) -> Option<Demand> {
    Some(Demand { checker, demands })
}

const CLEAR_ERRORS: &str = "clear-errors";
const COMPLETION: &str = "completion";
const CONTEXT_IDENTITY: &str = "context-identity";
const ISOLATION: &str = "isolation";
const UNIQUE_IDS: &str = "unique-ids";
const LIVENESS: &str = "liveness";
const RELEASE: &str = "release";
const OUTAGE: &str = "dependency-outage";
const IDLE: &str = "idle-timeout";
const ENVIRONMENT: &str = "environment-agnostic";
const DETERMINISM: &str = "determinism";

pub static RULES: &[Rule] = &[
    // Handshake.
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
    // Connect.
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
        kept: None,
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
        kept: None,
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
             up, cut off or slow at some moment of the connect",
        ),
    },
    Rule {
        id: "connect.token",
        section: "2.5 Connect",
        sentence: "An expired token is refused with `TOKEN_EXPIRED`, any other token auth refuses with \
                   `AUTH_FAILED`, both followed by the close 1008; a valid token of a user auth knows is accepted.",
        kept: demand(
            CLEAR_ERRORS,
            "a token auth must refuse, by its flaw and auth's clock, is never accepted",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "`AUTH_FAILED` or `TOKEN_EXPIRED` only for a token auth may have refused for that reason, and \
             `AUTH_UNAVAILABLE` rather than a verdict only while auth could not be asked",
        ),
    },
    // Identifiers.
    Rule {
        id: "ids.unique",
        section: "2.3 Identifiers",
        sentence: "No identifier is issued twice in a run, across idgen's restarts too.",
        kept: None,
        justified: demand(UNIQUE_IDS, "no identifier is carried by the contexts of two sessions"),
    },
    Rule {
        id: "ids.counter",
        section: "2.3 Identifiers",
        sentence: "Within one lifetime of idgen, no two identifiers of one kind share a counter.",
        kept: None,
        justified: demand(UNIQUE_IDS, "no two identifiers of one kind share their boot and their counter"),
    },
    // Session and context.
    Rule {
        id: "session.established-first",
        section: "2.6 Session",
        sentence: "`connection_established` is a session's first frame and comes once.",
        kept: None,
        justified: demand(
            CONTEXT_IDENTITY,
            "no frame with a context before `connection_established`, and no second one",
        ),
    },
    Rule {
        id: "context.valid",
        section: "2.6 Session",
        sentence: "The context is validated strictly and the same way in every environment: every field \
                   non-empty, every identifier well-formed and of its field's kind, no placeholder values.",
        kept: None,
        justified: demand(
            CONTEXT_IDENTITY,
            "every `connection_established` carries a context the gateway's own validation accepts",
        ),
    },
    Rule {
        id: "context.same",
        section: "2.6 Session",
        sentence: "Every server frame after `connection_established` carries exactly the session's context.",
        kept: None,
        justified: demand(CONTEXT_IDENTITY, "every later frame carries the context, field for field"),
    },
    Rule {
        id: "context.user",
        section: "2.6 Session",
        sentence: "The context's `user_id` is the user auth validated the token for.",
        kept: None,
        justified: demand(ISOLATION, "no frame carries a context whose user is not the one the token names"),
    },
    Rule {
        id: "isolation.session",
        section: "2.6 Session",
        sentence: "A session never receives another session's context, identifiers, frames about its messages, \
                   or its results.",
        kept: None,
        justified: demand(
            ISOLATION,
            "no frame carries another session's identifiers, answers another session's message or carries its \
             result",
        ),
    },
    // Client frames.
    Rule {
        id: "protocol.user-message",
        section: "2.7 Client frames",
        sentence: "A `user_message` with an `id` and a `payload.content` starts the agent on that content.",
        kept: demand(
            COMPLETION,
            "every message sent is answered, by its events or one error naming it, unless the session ends first",
        ),
        justified: demand(COMPLETION, "no frame answers a message no session sent, or before it was sent"),
    },
    Rule {
        id: "protocol.bad-frame",
        section: "2.7 Client frames",
        sentence: "A text frame that is not JSON, not an object, of an unknown or missing `type`, or a \
                   `user_message` without its `id` or `payload.content` gets a `BAD_MESSAGE` error frame, naming \
                   the message id when the frame had one, and the session stays open.",
        kept: demand(
            CLEAR_ERRORS,
            "such a frame gets `BAD_MESSAGE` before anything about a later message, and later messages are \
             answered",
        ),
        justified: demand(CLEAR_ERRORS, "`BAD_MESSAGE` only after a frame the protocol cannot use"),
    },
    Rule {
        id: "protocol.binary",
        section: "2.7 Client frames",
        sentence: "A binary frame gets `BAD_MESSAGE`, and the session stays open.",
        kept: demand(CLEAR_ERRORS, "a binary frame gets `BAD_MESSAGE` before anything about a later message"),
        justified: None,
    },
    Rule {
        id: "protocol.encoding",
        section: "2.7 Client frames",
        sentence: "A text frame that is not UTF-8 gets `BAD_ENCODING` and the close 1007, as RFC 6455 requires.",
        kept: demand(
            CLEAR_ERRORS,
            "a text frame that is not UTF-8 gets `BAD_ENCODING` and 1007, and nothing about a later message",
        ),
        justified: demand(CLEAR_ERRORS, "`BAD_ENCODING` only after a text frame that is not UTF-8"),
    },
    // Server frames.
    Rule {
        id: "events.sequence",
        section: "2.8 Server frames",
        sentence: "Each user message gets, in this order, `agent_started`, `agent_thinking`, `tool_executing`, \
                   `tool_completed` and `agent_completed`, or one `error` naming it, or nothing when the session \
                   ends first; never two answers.",
        kept: None,
        justified: demand(
            COMPLETION,
            "a message's frames come in the order of the sequence, once each, and never both events and an error",
        ),
    },
    Rule {
        id: "events.seq",
        section: "2.8 Server frames",
        sentence: "`seq` numbers a session's event frames 1, 2, 3, … in the order they are sent.",
        kept: None,
        justified: demand(COMPLETION, "each event frame's `seq` is one more than the previous one's"),
    },
    Rule {
        id: "events.request-id",
        section: "2.8 Server frames",
        sentence: "Every event frame of a message carries its `request_id`, `<context_id>.<n>`, where `n` counts \
                   the messages the session has run, from 1.",
        kept: None,
        justified: demand(
            COMPLETION,
            "a message's event frames share one `request_id`, the session's context id and a number above the \
             previous message's",
        ),
    },
    Rule {
        id: "events.result",
        section: "2.8 Server frames",
        sentence: "`agent_completed` carries the agent's result, a pure function of the message content, and the \
                   other events' data agree with it: `input_chars` is the content's length in characters, \
                   `output.words` its word count.",
        kept: None,
        justified: demand(COMPLETION, "`agent_completed` carries exactly the result the content gives"),
    },
    // Errors and close codes.
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
    // Limits.
    Rule {
        id: "limits.sessions-per-user",
        section: "2.10 Limits",
        sentence: "A user holds at most `sessions_per_user` open sessions; a connect beyond that is refused with \
                   `TOO_MANY_SESSIONS` and 1008.",
        kept: None,
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
        id: "limits.frame-size",
        section: "2.10 Limits",
        sentence: "A client frame larger than `max_frame_bytes` gets `MESSAGE_TOO_BIG` and the close 1009.",
        kept: None,
        justified: demand(CLEAR_ERRORS, "`MESSAGE_TOO_BIG` only after a frame over the limit"),
    },
    // Idle sessions.
    Rule {
        id: "idle.timeout",
        section: "2.11 Idle sessions",
        sentence: "A session from which nothing at all, not even a pong, arrives for the idle timeout is closed \
                   with `IDLE_TIMEOUT` and 1008.",
        kept: None,
        justified: demand(
            IDLE,
            "`IDLE_TIMEOUT` only after the gateway can have heard nothing from the client for the idle timeout",
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
    // The run as a whole.
    Rule {
        id: "liveness.connect",
        section: "3.5 Checkers",
        sentence: "Once every fault has healed and every service is up and warm, a new session is established, \
                   or its token or user refused, within 3 s.",
        kept: demand(LIVENESS, "every connection attempt after the heal is answered within 3 s"),
        justified: None,
    },
    Rule {
        id: "liveness.message",
        section: "3.5 Checkers",
        sentence: "In such a session each message completes within 1 s of simulated time, for itself and for \
                   each message queued before it.",
        kept: demand(LIVENESS, "every message of such a session is answered within its bound"),
        justified: None,
    },
    Rule {
        id: "environment.agnostic",
        section: "3.5 Checkers",
        sentence: "The same scenario under another environment label or other platform variables gives the same \
                   trace, apart from the label.",
        kept: demand(ENVIRONMENT, "the rerun under another environment gives the same trace"),
        justified: None,
    },
    Rule {
        id: "determinism.replay",
        section: "3.5 Checkers",
        sentence: "The same scenario run twice gives the same trace, byte for byte.",
        kept: demand(DETERMINISM, "a second run gives the same trace"),
        justified: None,
    },
];
