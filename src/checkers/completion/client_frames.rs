//! The client frames beyond a plain `user_message`, judged per session: messages sent under the
//! aliases `chat` and `start_agent`, JSON pings, and frames a client sends before the session is
//! established.
//!
//! - An alias is answered as a `user_message` is: its events, or an error of a limit, never the
//!   `BAD_MESSAGE` of a type the gateway does not know; or the session ends first.
//! - The gateway answers pings in the order they came, one `pong` each: the `n`th `pong` the
//!   client got answers its `n`th ping. So a `pong` beyond the pings sent before it answers none,
//!   a message answered before the `pong`s of the pings sent ahead of it shows a ping unanswered,
//!   and so does a ping with no `pong` at the end of a session that never ended. A `pong` the client could not parse
//!   (one without its context) is no `pong`.
//! - A message or ping sent before `connection_established` arrived waits unread in the gateway
//!   until the session is established: nothing answers it before `connection_established`, and
//!   it is answered after, unless the session ends first.

use crate::protocol::{ErrorCode, ServerFrame};
use crate::rules::Clause;
use crate::sim::trace::{Event, Record};

use super::super::Findings;
use super::super::sessions::{Session, describe};

const ALIASES: Clause = Clause::kept("protocol.aliases");
const PONG_KEPT: Clause = Clause::kept("protocol.ping");
const PONG_ONLY: Clause = Clause::justified("protocol.ping");
const EARLY_KEPT: Clause = Clause::kept("session.early-messages");
const EARLY_ONLY: Clause = Clause::justified("session.early-messages");

pub(super) fn judge(session: &Session<'_>, found: &mut Findings) {
    aliases(session, found);
    pings(session, found);
    early(session, found);
}

/// Whether `frame` is about the message `message_id`.
fn names(frame: &ServerFrame, message_id: &str) -> bool {
    frame.message_id() == Some(message_id)
}

/// The first frame after `from` (an index into the session's records) about `message_id`, but
/// for a refusal of a copy of the message, sent right behind it.
fn answer<'t>(session: &Session<'t>, from: usize, message_id: &str) -> Option<&'t ServerFrame> {
    session.records.iter().enumerate().skip(from).find_map(|(index, record)| match &record.event {
        Event::Received { frame, .. } if names(frame, message_id) => match frame {
            ServerFrame::Error(_) if session.copied_last(message_id, index) => None,
            _ => Some(frame),
        },
        _ => None,
    })
}

fn aliases(session: &Session<'_>, found: &mut Findings) {
    for (index, record) in session.records.iter().enumerate() {
        let Event::Sent { message_id, via, .. } = &record.event else { continue };
        if !via.is_alias() {
            continue;
        }
        found.judged(ALIASES);
        let problem = match answer(session, index, message_id) {
            Some(ServerFrame::Error(error)) if error.code == ErrorCode::BadMessage => format!(
                "{message_id}, sent as {}, got BAD_MESSAGE ({:?}): an alias of user_message is one",
                via.name(),
                error.message
            ),
            Some(_) => continue,
            None if session.end_after(record.at_ms).is_some() => continue,
            None => format!(
                "{message_id}, sent as {}, was never answered, yet the session never ended",
                via.name()
            ),
        };
        found.push(session.violation(ALIASES, record.at_ms, problem));
    }
}

fn pings(session: &Session<'_>, found: &mut Findings) {
    let mut pings: Vec<&Record> = Vec::new();
    let mut pongs = 0;
    // Messages sent and not yet answered, each with the JSON pings sent before it. The gateway
    // reads a session's frames in order and queues a ping's `pong` as it reads it, ahead of
    // anything it queues for a frame read later: so by the first answer to a message, every ping
    // sent before that message has had its `pong`.
    let mut unanswered: Vec<(&str, usize)> = Vec::new();
    for record in &session.records {
        match &record.event {
            Event::SentPing { .. } => pings.push(record),
            // Only a message with pings ahead of it has pongs to wait for.
            Event::Sent { message_id, .. } if !pings.is_empty() => unanswered.push((message_id, pings.len())),
            Event::Received { frame: ServerFrame::Pong { .. }, .. } => {
                pongs += 1;
                found.judged(PONG_ONLY);
                if pongs > pings.len() {
                    let problem = format!("pong {pongs} after only {} JSON pings", pings.len());
                    found.push(session.violation(PONG_ONLY, record.at_ms, problem));
                }
            }
            Event::Received { frame, .. } => {
                let Some(at) = unanswered.iter().position(|(id, _)| names(frame, id)) else { continue };
                let (message_id, pinged) = unanswered.remove(at);
                found.judged(PONG_KEPT);
                if pongs < pinged {
                    let problem = format!(
                        "{message_id}, sent after {pinged} JSON pings, was answered ({}) after only {pongs} pongs",
                        describe(frame)
                    );
                    found.push(session.violation(PONG_KEPT, record.at_ms, problem));
                }
            }
            _ => {}
        }
    }
    for (index, ping) in pings.iter().enumerate() {
        found.judged(PONG_KEPT);
        if index >= pongs && session.end_after(ping.at_ms).is_none() {
            let problem = format!(
                "JSON ping {}, sent at {} ms, got no pong ({pongs} for {} pings), yet the session never ended",
                index + 1,
                ping.at_ms,
                pings.len()
            );
            found.push(session.violation(PONG_KEPT, ping.at_ms, problem));
        }
    }
}

fn early(session: &Session<'_>, found: &mut Findings) {
    let Some(established) = session.records.iter().position(|r| {
        matches!(&r.event, Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. })
    }) else {
        return;
    };
    let (before, after) = session.records.split_at(established);
    let early_ping = before.iter().any(|r| matches!(r.event, Event::SentPing { .. }));
    let early_messages: Vec<(&Record, &str)> = before
        .iter()
        .filter_map(|r| match &r.event {
            Event::Sent { message_id, .. } => Some((*r, message_id.as_str())),
            _ => None,
        })
        .collect();
    if !early_ping && early_messages.is_empty() {
        return;
    }
    found.judged(EARLY_ONLY);
    for record in before {
        let Event::Received { frame, .. } = &record.event else { continue };
        let answers_early = matches!(frame, ServerFrame::Pong { .. }) && early_ping
            || early_messages.iter().any(|(_, id)| names(frame, id));
        if answers_early {
            let problem = format!("got {} before connection_established", describe(frame));
            found.push(session.violation(EARLY_ONLY, record.at_ms, problem));
        }
    }
    let ended = |sent: &Record| session.end_after(sent.at_ms).is_some();
    for (sent, message_id) in &early_messages {
        found.judged(EARLY_KEPT);
        let answered = after
            .iter()
            .any(|r| matches!(&r.event, Event::Received { frame, .. } if names(frame, message_id)));
        if !answered && !ended(sent) {
            let problem = format!("{message_id}, sent before connection_established, was never answered");
            found.push(session.violation(EARLY_KEPT, sent.at_ms, problem));
        }
    }
    if let Some(ping) = before.iter().find(|r| matches!(r.event, Event::SentPing { .. })) {
        found.judged(EARLY_KEPT);
        let ponged =
            after.iter().any(|r| matches!(&r.event, Event::Received { frame: ServerFrame::Pong { .. }, .. }));
        if !ponged && !ended(ping) {
            let problem = "a JSON ping sent before connection_established got no pong".to_owned();
            found.push(session.violation(EARLY_KEPT, ping.at_ms, problem));
        }
    }
}
