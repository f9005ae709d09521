//! The trace regrouped by session, the unit every per-session checker reasons about: a client's
//! connection attempt and everything recorded about it, with the user and token of its client.

use std::collections::BTreeMap;

use crate::context::SessionContext;
use crate::protocol::ServerFrame;
use crate::rules::Clause;
use crate::sim::scenario::{BadInput, MessageType, TokenKind};
use crate::sim::trace::{Event, Fault, Record, Trace};

use super::Violation;

/// One connection attempt of one client.
#[derive(Clone, Debug)]
pub struct Session<'t> {
    pub client: usize,
    /// The attempt's number among its client's, from 1.
    pub number: u32,
    /// The client host it ran on.
    pub host: &'t str,
    /// The user and token of its client, unless the trace lacks the client's start (hand-made
    /// traces may). No token for an attempt whose upgrade request was bad on purpose.
    pub user: Option<&'t str>,
    pub token: Option<Token>,
    /// Every record naming this session, in trace order, and the crash of its client host if
    /// that came after the session began.
    pub records: Vec<&'t Record>,
    /// Whether it sent a copy of a message ([`Event::SentAgain`]).
    pub copies: bool,
}

/// A client's token, as its start recorded it.
#[derive(Clone, Copy, Debug)]
pub struct Token {
    pub kind: TokenKind,
    /// Its `exp` and `nbf` claims, in Unix seconds, when it has them.
    pub exp: Option<u64>,
    pub nbf: Option<u64>,
}

/// A user message as the session sent it.
#[derive(Clone, Copy, Debug)]
pub struct Sent<'t> {
    pub at_ms: u64,
    pub message_id: &'t str,
    pub content: &'t str,
    /// The `type` it was sent under.
    pub via: MessageType,
}

impl Sent<'_> {
    /// The length of the frame the client wrote for this message, as the gateway measures it.
    pub fn frame_bytes(&self) -> usize {
        self.via.frame_text(self.message_id, self.content).len()
    }
}

impl<'t> Session<'t> {
    /// `c2#1`, as the timeline names it.
    pub fn name(&self) -> String {
        format!("c{}#{}", self.client, self.number)
    }

    /// The session's name with its user, for naming another session in a message.
    pub fn name_and_user(&self) -> String {
        match self.user {
            Some(user) => format!("{} (user {user})", self.name()),
            None => self.name(),
        }
    }

    /// When the client started the attempt.
    pub fn attempt_ms(&self) -> u64 {
        self.records.first().map_or(0, |record| record.at_ms)
    }

    /// The first `connection_established` and when it arrived.
    pub fn established(&self) -> Option<(u64, &'t SessionContext)> {
        self.frames().find_map(|(at_ms, frame)| match frame {
            ServerFrame::ConnectionEstablished { context } => Some((at_ms, context)),
            _ => None,
        })
    }

    /// Every frame the session received, with its time.
    pub fn frames(&self) -> impl Iterator<Item = (u64, &'t ServerFrame)> + '_ {
        self.records.iter().filter_map(|record| match &record.event {
            Event::Received { frame, .. } => Some((record.at_ms, frame)),
            _ => None,
        })
    }

    /// Every user message the session sent, in order.
    pub fn sent(&self) -> impl Iterator<Item = Sent<'t>> + '_ {
        self.records.iter().filter_map(|record| match &record.event {
            Event::Sent { message_id, content, via, .. } => {
                Some(Sent { at_ms: record.at_ms, message_id, content, via: *via })
            }
            _ => None,
        })
    }

    /// Every user message frame the session sent, copies ([`Event::SentAgain`]) included, with
    /// when and its id, in order: what the gateway's rate limit counts.
    pub fn user_message_frames(&self) -> impl Iterator<Item = (u64, &'t str)> + '_ {
        self.records.iter().filter_map(|record| match &record.event {
            Event::Sent { message_id, .. } | Event::SentAgain { message_id, .. } => {
                Some((record.at_ms, message_id.as_str()))
            }
            _ => None,
        })
    }

    /// Whether the last frame the session sent under `message_id` before record `index` was a
    /// copy of the message: a refusal of that id after it is the copy's, judged as a duplicate.
    pub fn copied_last(&self, message_id: &str, index: usize) -> bool {
        // Most sessions copy nothing, and a flood's refusals would each search far back.
        if !self.copies {
            return false;
        }
        self.records[..index]
            .iter()
            .rev()
            .find_map(|record| match &record.event {
                Event::Sent { message_id: id, .. } if id == message_id => Some(false),
                Event::SentAgain { message_id: id, .. } if id == message_id => Some(true),
                _ => None,
            })
            .unwrap_or(false)
    }

    /// The input its client got wrong on purpose in this session, if it did.
    pub fn bad_input(&self) -> Option<BadInput> {
        self.records.iter().find_map(|record| match record.event {
            Event::SentBad { input, .. } => Some(input),
            _ => None,
        })
    }

    /// Whether the session sent a user message whose frame is longer than `max_frame_bytes`, which
    /// the gateway must refuse with `MESSAGE_TOO_BIG` and 1009.
    pub fn sent_too_big(&self, max_frame_bytes: usize) -> bool {
        self.sent().any(|sent| sent.frame_bytes() > max_frame_bytes)
    }

    /// The client's linger after its last reply, if it lingered: when it began, whether it read
    /// meanwhile, and for how long.
    pub fn linger(&self) -> Option<(u64, bool, u64)> {
        self.records.iter().find_map(|record| match record.event {
            Event::Lingering { reading, for_ms, .. } => Some((record.at_ms, reading, for_ms)),
            _ => None,
        })
    }

    /// The first record after `from_ms` that ends the session: a close by either side, a lost
    /// connection, a wait that ran out, a failed connect, or its client host's crash.
    pub fn end_after(&self, from_ms: u64) -> Option<&'t Record> {
        self.records.iter().copied().find(|record| record.at_ms >= from_ms && ends_session(&record.event))
    }

    /// A violation of `clause` in this session at `at_ms`; `what` reads on from the session's name.
    pub fn violation(&self, clause: Clause, at_ms: u64, what: impl std::fmt::Display) -> Violation {
        Violation {
            client: Some(self.client),
            session: Some(self.number),
            ..Violation::of(clause, Some(at_ms), format!("session {}: {what}", self.name()))
        }
    }
}

fn ends_session(event: &Event) -> bool {
    matches!(
        event,
        Event::Closed { .. }
            | Event::Lost { .. }
            | Event::TimedOut { .. }
            | Event::ConnectFailed { .. }
            | Event::Fault { fault: Fault::Crash { .. } }
    )
}

/// Every session of the trace, in the order their first records appear.
pub fn sessions(trace: &Trace) -> Vec<Session<'_>> {
    let mut clients = BTreeMap::new();
    let mut order = Vec::new();
    let mut by_key: BTreeMap<(usize, u32), Session<'_>> = BTreeMap::new();
    for record in &trace.records {
        if let Event::ClientStarted { client, user, token, token_exp, token_nbf } = &record.event {
            let token = Token { kind: *token, exp: *token_exp, nbf: *token_nbf };
            clients.insert(*client, (user.as_str(), token));
        }
        // Only client hosts run sessions, so a crash of a service host matches none.
        if let Event::Fault { fault: Fault::Crash { host } } = &record.event {
            by_key.values_mut().filter(|s| s.host == host).for_each(|s| s.records.push(record));
        }
        let Some(key) = record.event.session() else { continue };
        let session = by_key.entry(key).or_insert_with(|| {
            order.push(key);
            let (user, token) = clients.get(&key.0).copied().unzip();
            Session {
                client: key.0,
                number: key.1,
                host: &record.host,
                user,
                token,
                records: Vec::new(),
                copies: false,
            }
        });
        session.copies |= matches!(record.event, Event::SentAgain { .. });
        session.records.push(record);
    }
    let mut sessions: Vec<_> = order.into_iter().filter_map(|key| by_key.remove(&key)).collect();
    // A bad upgrade request carries some other token than its client's, or none.
    for session in &mut sessions {
        if session.bad_input().is_some_and(BadInput::is_upgrade) {
            session.token = None;
        }
    }
    sessions
}

/// `agent_completed for c2-m3`, or `error AUTH_FAILED`: a frame as a person names it.
pub fn describe(frame: &ServerFrame) -> String {
    let kind = match frame {
        ServerFrame::Error(error) => format!("error {}", error.code.as_str()),
        _ => frame.type_name().to_owned(),
    };
    match frame.message_id() {
        Some(message_id) => format!("{kind} for {message_id}"),
        None => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context};

    #[test]
    fn sessions_collect_their_records_and_their_clients_user() {
        let alice = context("a1", "alice");
        let trace = TraceBuilder::new()
            .client(0, "alice")
            .established(0, 1, &alice)
            .message(0, 1, 0, "hello there")
            .closed_by_client(0, 1)
            .client(1, "bob")
            .failed_connect(1, 1)
            .build();
        let sessions = sessions(&trace);
        let names: Vec<_> = sessions.iter().map(Session::name_and_user).collect();
        assert_eq!(names, ["c0#1 (user alice)", "c1#1 (user bob)"]);
        let first = &sessions[0];
        assert_eq!(first.established().map(|(_, c)| c), Some(&alice));
        assert_eq!(first.sent().map(|s| s.message_id).collect::<Vec<_>>(), ["c0-m0"]);
        assert_eq!(first.frames().count(), 6);
        assert!(first.end_after(0).is_some());
        assert_eq!(describe(first.frames().last().unwrap().1), "agent_completed for c0-m0");
    }
}
