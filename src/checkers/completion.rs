//! Completion: every message a session sent gets exactly one event sequence (agent_started,
//! agent_thinking, tool_executing, tool_completed, agent_completed) in that order, or one error
//! naming it, or the session ends before it is answered. Nothing arrives twice; nothing is
//! answered that no session sent. Each message's frames carry one `request_id`,
//! `<context_id>.<n>` with `n` rising from message to message; the session's event frames are
//! numbered `seq` 1, 2, 3, ... in the order they arrive; and `agent_completed` carries exactly
//! [`agent_result`](super::expected::agent_result) of the content sent.
//!
//! Frames about a message that another session sent are the isolation checker's.

use std::collections::{BTreeMap, BTreeSet};

use crate::checkers::expected::agent_result;
use crate::protocol::{ErrorCode, EventFrame, EventKind, ServerFrame};
use crate::rules::Clause;
use crate::services::gateway::AgentResult;
use crate::sim::trace::{Event, Trace};

use super::Findings;
use super::sessions::{Sent, Session, describe, sessions};

mod client_frames;

pub const NAME: &str = "completion";

/// The rules it judges.
const ANSWERED: Clause = Clause::kept("protocol.user-message");
const ASKED: Clause = Clause::justified("protocol.user-message");
const SEQUENCE: Clause = Clause::justified("events.sequence");
const SEQ: Clause = Clause::justified("events.seq");
const REQUEST_ID: Clause = Clause::justified("events.request-id");
const RESULT: Clause = Clause::justified("events.result");
const SERIAL: Clause = Clause::justified("events.serial");

const STEPS: usize = EventKind::SEQUENCE.len();

/// How far one sent message has got.
struct Progress<'t> {
    sent: Sent<'t>,
    /// How many steps of [`EventKind::SEQUENCE`] have arrived, in order.
    steps: usize,
    errors: usize,
    /// The `request_id` of its first event frame.
    request_id: Option<&'t str>,
    /// Its place among the session's messages, in the order they were sent.
    order: usize,
}

impl<'t> Progress<'t> {
    /// Takes an error frame naming the message; what is wrong with it, if anything.
    fn error(&mut self, what: &str) -> Option<String> {
        self.errors += 1;
        if self.errors > 1 {
            Some(format!("a second {what}"))
        } else if self.steps > 0 {
            Some(format!("{what} after {} of its events: a message gets events or an error", self.steps))
        } else {
            None
        }
    }

    /// Takes the next agent step; what is wrong with its order, if anything.
    fn step(&mut self, kind: EventKind, what: &str) -> Option<String> {
        let position = EventKind::SEQUENCE.iter().position(|k| *k == kind).unwrap_or_default();
        let due = self.steps;
        self.steps = position + 1;
        if self.errors > 0 {
            Some(format!("{what} after an error named it"))
        } else if due == STEPS {
            Some(format!("{what} after its agent_completed: answered twice"))
        } else if position != due {
            Some(format!("{what} out of order: {} was due", EventKind::SEQUENCE[due].type_name()))
        } else {
            None
        }
    }

    fn answered(&self) -> bool {
        self.steps == STEPS || self.errors > 0
    }
}

/// What one session has seen so far.
struct State<'s, 't> {
    session: &'s Session<'t>,
    /// The context id its request ids must start with.
    context_id: Option<&'t str>,
    messages: BTreeMap<&'t str, Progress<'t>>,
    /// How many messages it has sent, for each one's place among them.
    sent: usize,
    /// Copies of a message sent right behind it ([`Event::SentAgain`]) not yet answered: each is
    /// answered by a refusal (`BAD_MESSAGE` as a duplicate, or `RATE_LIMITED`), or, read after its
    /// message was answered, by events of its own.
    copies: BTreeMap<&'t str, usize>,
    last_seq: u64,
    last_request: u64,
    /// The message whose `agent_started` came last, and whether its `agent_completed` has too.
    started: Option<(&'t str, usize, bool)>,
    found: &'s mut Findings,
}

pub fn check(trace: &Trace, findings: &mut Findings) {
    let sessions = sessions(trace);
    let sent_anywhere: BTreeSet<&str> =
        sessions.iter().flat_map(|s| s.sent().map(|m| m.message_id)).collect();
    for session in &sessions {
        check_session(session, &sent_anywhere, findings);
    }
}

fn check_session(session: &Session<'_>, sent_anywhere: &BTreeSet<&str>, found: &mut Findings) {
    let own: BTreeSet<&str> = session.sent().map(|s| s.message_id).collect();
    let context_id = session.established().map(|(_, context)| context.context_id.as_str());
    let mut state = State {
        session,
        context_id,
        messages: BTreeMap::new(),
        sent: 0,
        copies: BTreeMap::new(),
        last_seq: 0,
        last_request: 0,
        started: None,
        found,
    };
    for record in &session.records {
        let at_ms = record.at_ms;
        match &record.event {
            Event::Sent { message_id, content, via, .. } => {
                let sent = Sent { at_ms, message_id, content, via: *via };
                state.found.judged(ANSWERED);
                // Once a message is answered, its id may be used again.
                let progress = state.progress(sent);
                if state.messages.insert(message_id, progress).is_some_and(|p| !p.answered()) {
                    state.report(ASKED, at_ms, format!("sent {message_id} a second time while in flight"));
                }
            }
            Event::SentAgain { message_id, .. } => *state.copies.entry(message_id).or_default() += 1,
            Event::Received { frame, .. } => {
                if let Some((_, event)) = frame.as_event() {
                    state.check_seq(at_ms, frame, event.seq);
                }
                let Some(message_id) = frame.message_id() else { continue };
                state.found.judged(ASKED);
                if state.messages.contains_key(message_id) {
                    state.on_answer(at_ms, frame, message_id);
                } else if own.contains(message_id) {
                    state.report(ASKED, at_ms, format!("got {} before sending it", describe(frame)));
                } else if !sent_anywhere.contains(message_id) {
                    state.report(ASKED, at_ms, format!("got {}, a message no session sent", describe(frame)));
                }
            }
            _ => {}
        }
    }
    state.unanswered();
    client_frames::judge(session, state.found);
}

impl<'t> State<'_, 't> {
    fn report(&mut self, clause: Clause, at_ms: u64, what: String) {
        self.found.push(self.session.violation(clause, at_ms, what));
    }

    fn check_seq(&mut self, at_ms: u64, frame: &ServerFrame, seq: u64) {
        self.found.judged(SEQ);
        let due = self.last_seq + 1;
        if seq != due {
            self.report(SEQ, at_ms, format!("{} has seq {seq} where {due} was due", describe(frame)));
        }
        self.last_seq = seq;
    }

    /// The progress of a message just sent, placed after every message sent before it.
    fn progress(&mut self, sent: Sent<'t>) -> Progress<'t> {
        self.sent += 1;
        Progress { sent, steps: 0, errors: 0, request_id: None, order: self.sent - 1 }
    }

    /// Whether `frame`, about `message_id`, answers a copy of it rather than the message itself:
    /// a refusal while a copy waits for one, or the `agent_started` of a copy read once the
    /// message was answered, which then runs as a message of its own.
    fn answers_copy(&mut self, frame: &ServerFrame, message_id: &'t str) -> bool {
        let Some(waiting) = self.copies.get_mut(message_id).filter(|waiting| **waiting > 0) else {
            return false;
        };
        let answered = self.messages.get(message_id).is_some_and(Progress::answered);
        match frame {
            ServerFrame::Error(error)
                if matches!(error.code, ErrorCode::BadMessage | ErrorCode::RateLimited) =>
            {
                *waiting -= 1;
                true
            }
            ServerFrame::AgentStarted(_) if answered => {
                *waiting -= 1;
                // Sent right behind its message, the copy takes its place among the others: it
                // was read before any message sent after both.
                let Progress { sent, order, .. } = self.messages[message_id];
                let progress = Progress { sent, steps: 0, errors: 0, request_id: None, order };
                self.messages.insert(message_id, progress);
                false
            }
            _ => false,
        }
    }

    /// A frame about `message_id`, which this session has sent.
    fn on_answer(&mut self, at_ms: u64, frame: &'t ServerFrame, message_id: &'t str) {
        let what = describe(frame);
        if self.answers_copy(frame, message_id) {
            return;
        }
        let Some(progress) = self.messages.get_mut(message_id) else { return };
        self.found.judged(SEQUENCE);
        let Some((kind, event)) = frame.as_event() else {
            if let Some(problem) = progress.error(&what) {
                self.report(SEQUENCE, at_ms, problem);
            }
            return;
        };
        let problem = progress.step(kind, &what);
        let order = progress.order;
        let first_of_message = progress.request_id.is_none();
        let first_request_id = *progress.request_id.get_or_insert(&event.request_id);
        let content = progress.sent.content;
        if let Some(problem) = problem {
            self.report(SEQUENCE, at_ms, problem);
        }
        self.found.judged(REQUEST_ID);
        if event.request_id != first_request_id {
            let problem = format!(
                "{what} has request_id {} where its earlier frames had {first_request_id}",
                event.request_id
            );
            self.report(REQUEST_ID, at_ms, problem);
        } else if first_of_message {
            self.check_request_number(at_ms, &what, event);
        }
        match kind {
            EventKind::AgentStarted => self.check_serial(at_ms, &what, message_id, order),
            EventKind::AgentCompleted => {
                if let Some((running, _, done)) = &mut self.started
                    && *running == event.message_id
                {
                    *done = true;
                }
                self.check_result(at_ms, event, content);
            }
            _ => {}
        }
    }

    /// A message's `agent_started`: no other message may be running, nor one sent after it have
    /// started before it.
    fn check_serial(&mut self, at_ms: u64, what: &str, message_id: &str, order: usize) {
        self.found.judged(SERIAL);
        let Some(previous) = self.messages.get_key_value(message_id).map(|(id, _)| *id) else { return };
        let problem = match self.started.replace((previous, order, false)) {
            Some((running, _, false)) if running != message_id => {
                format!("{what} while {running} was still running: its agent_completed had not come")
            }
            Some((other, other_order, _)) if other_order > order => {
                format!("{what} after the agent_started of {other}, which was sent after it")
            }
            _ => return,
        };
        self.report(SERIAL, at_ms, problem);
    }

    /// A message's first frame: its request id is `<context_id>.<n>`, `n` above the last one.
    fn check_request_number(&mut self, at_ms: u64, what: &str, event: &EventFrame) {
        let request_id = &event.request_id;
        let parsed =
            request_id.rsplit_once('.').and_then(|(prefix, n)| Some((prefix, n.parse::<u64>().ok()?)));
        let problem = match parsed {
            Some((prefix, n)) if Some(prefix) == self.context_id => {
                let last = std::mem::replace(&mut self.last_request, n);
                if n > last {
                    return;
                }
                format!("{what} has request_id {request_id}, not above the previous message's .{last}")
            }
            _ => {
                let context_id = self.context_id.unwrap_or("(no context)");
                format!("{what} has request_id {request_id}, not <context_id>.<n> for {context_id}")
            }
        };
        self.report(REQUEST_ID, at_ms, problem);
    }

    fn check_result(&mut self, at_ms: u64, event: &EventFrame, content: &str) {
        self.found.judged(RESULT);
        let expected = agent_result(content);
        let id = &event.message_id;
        let got = event.data.field("result").map(serde_json::from_value::<AgentResult>);
        let problem = match got {
            Some(Ok(result)) if result == expected => return,
            Some(Ok(result)) => format!(
                "agent_completed for {id} says {:?} (digest {}) but {content:?} gives {:?} (digest {})",
                result.reply, result.digest, expected.reply, expected.digest
            ),
            Some(Err(error)) => format!("agent_completed for {id} has an unreadable result: {error}"),
            None => format!("agent_completed for {id} has no result"),
        };
        self.report(RESULT, at_ms, problem);
    }

    /// Messages neither completed nor refused must have been cut off by the session's end.
    fn unanswered(&mut self) {
        let session = self.session;
        let stuck: Vec<Sent<'_>> = self
            .messages
            .values()
            .filter(|progress| !progress.answered() && session.end_after(progress.sent.at_ms).is_none())
            .map(|progress| progress.sent)
            .collect();
        for sent in stuck {
            self.report(
                ANSWERED,
                sent.at_ms,
                format!("{} was never answered, yet the session never ended", sent.message_id),
            );
        }
    }
}

#[cfg(test)]
mod tests;
