//! Rules of a session, its context and its frames (`docs/design.md` §2.6–2.8).

use super::checker::{CLEAR_ERRORS, COMPLETION, CONTEXT_IDENTITY, ISOLATION};
use super::{Rule, demand};

pub(super) static RULES: &[Rule] = &[
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
    Rule {
        id: "session.early-messages",
        section: "2.6 Session",
        sentence: "Client frames that arrive before the session is established wait unread and are handled, in \
                   order, once `connection_established` has been sent.",
        kept: demand(
            COMPLETION,
            "a message or ping sent before `connection_established` arrived is answered, unless the session ends \
             first",
        ),
        justified: demand(
            COMPLETION,
            "nothing answers a frame sent early before `connection_established` arrives",
        ),
    },
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
        id: "protocol.aliases",
        section: "2.7 Client frames",
        sentence: "`chat` and `start_agent` are accepted as aliases of `user_message`.",
        kept: demand(
            COMPLETION,
            "a message sent as `chat` or `start_agent` is answered as a `user_message` would be, never with \
             `BAD_MESSAGE`, unless the session ends first",
        ),
        justified: None,
    },
    Rule {
        id: "protocol.ping",
        section: "2.7 Client frames",
        sentence: "A `{\"type\": \"ping\"}` frame gets a `pong` carrying the session's context.",
        kept: demand(
            COMPLETION,
            "every JSON ping gets a `pong` that parses, with its context, unless the session ends first",
        ),
        justified: demand(COMPLETION, "no more `pong`s than JSON pings sent before them"),
    },
    Rule {
        id: "protocol.bad-frame",
        section: "2.7 Client frames",
        sentence: "A text frame that is not JSON, not an object, of an unknown or missing `type`, or a \
                   `user_message` without its `id` or `payload.content` gets a `BAD_MESSAGE` error frame, naming \
                   the message id when the frame had one, and the session stays open.",
        kept: demand(
            CLEAR_ERRORS,
            "such a frame gets `BAD_MESSAGE` saying what was wrong in the design's words (an unknown type cut \
             to 64 characters) before anything about a later message, and later messages are answered",
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
    Rule {
        id: "protocol.duplicate-id",
        section: "2.7 Client frames",
        sentence: "A `user_message` whose `id` is that of a message of the session still in flight (accepted and \
                   not yet answered) gets `BAD_MESSAGE` naming that id, and the first goes on; once a message is \
                   answered, its id may be used again.",
        kept: demand(
            CLEAR_ERRORS,
            "a copy read while its message was in flight (the `pong` of a ping sent behind it came before the \
             message's `agent_completed`) gets `BAD_MESSAGE` naming the id before that `pong`, unless \
             `RATE_LIMITED`",
        ),
        justified: demand(
            CLEAR_ERRORS,
            "`BAD_MESSAGE` naming a message's id only for one copy of it read in flight, never for a message \
             sent under the id of an answered one",
        ),
    },
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
        id: "events.serial",
        section: "2.8 Server frames",
        sentence: "A session runs its messages one at a time, in the order they arrived: a message's \
                   `agent_started` comes after the previous message's `agent_completed`.",
        kept: None,
        justified: demand(
            COMPLETION,
            "no `agent_started` while another message runs, nor before that of a message sent earlier",
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
];
