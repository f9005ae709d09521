//! Duplicate message ids (`docs/design.md` §2.7): a `user_message` whose id is that of a message
//! of the session still in flight gets `BAD_MESSAGE` naming that id, and the first goes on; once a
//! message is answered, its id may be used again. A duplicate over the rate limit is refused
//! `RATE_LIMITED` instead, the first check it meets.
//!
//! The gateway queues a session's frames in the order it decides them. So a copy of a message,
//! sent right behind it with a JSON ping behind the copy ([`Event::SentAgain`]), was read while the
//! message was in flight if the ping's `pong` came before the message's `agent_completed` (queued
//! earlier, the completion would have come first) and before any `RATE_LIMITED` naming the id:
//! then its refusal must come before that `pong`. And the other way round, a `BAD_MESSAGE`
//! naming a message the session sent answers only a copy, one refusal each, read while the
//! message was in flight: before its `agent_completed`, and not after a `RATE_LIMITED` that kept
//! it from running. A message sent under the id of an answered one is a new message, never a
//! duplicate.
//!
//! Whether the message itself is still answered, once, is the completion checker's question.

use std::collections::BTreeSet;

use crate::protocol::{ErrorCode, ServerFrame};
use crate::rules::Clause;
use crate::sim::trace::{Event, Record};

use super::super::sessions::Session;

const KEPT: Clause = Clause::kept("protocol.duplicate-id");
const JUSTIFIED: Clause = Clause::justified("protocol.duplicate-id");

/// What is wrong with how the gateway told `session`'s duplicate ids from new ones, with when
/// and the rule it breaks; the clauses the session gave something to judge go to `judged`.
pub fn misjudged(session: &Session<'_>, judged: &mut Vec<Clause>) -> Vec<(Clause, u64, String)> {
    let records = &session.records;
    let mut found = Vec::new();
    let mut sent: BTreeSet<&str> = BTreeSet::new();
    for (index, record) in records.iter().enumerate() {
        match &record.event {
            Event::SentAgain { message_id, .. } => {
                let Some(pong) = pong_after(records, index) else { continue };
                let message = records[..index].iter().rposition(|r| is_sent(r, message_id)).unwrap_or(0);
                if records[message..pong].iter().any(|r| ends_flight(r, message_id)) {
                    continue;
                }
                judged.push(KEPT);
                if !records[index..pong].iter().any(|r| refusal(r, message_id).is_some()) {
                    let problem = format!(
                        "the copy of {message_id} sent at {} ms was read while {message_id} was in flight (the \
                         pong of the ping behind it came at {} ms, before its agent_completed), yet got no \
                         BAD_MESSAGE naming it",
                        record.at_ms, records[pong].at_ms
                    );
                    found.push((KEPT, record.at_ms, problem));
                }
            }
            // A message under the id of an earlier one: the justified rule has it to judge.
            Event::Sent { message_id, .. } if !sent.insert(message_id) => judged.push(JUSTIFIED),
            Event::Received { frame: ServerFrame::Error(error), .. }
                if error.code == ErrorCode::BadMessage =>
            {
                let Some(id) = error.message_id.as_deref() else { continue };
                if let Some(problem) = unjustified(session, index, id) {
                    judged.push(JUSTIFIED);
                    found.extend(problem.map(|problem| (JUSTIFIED, record.at_ms, problem)));
                }
            }
            _ => {}
        }
    }
    found
}

/// Whether the session's `BAD_MESSAGE` at `index`, naming `id`, is wrong, and why: `None` when
/// it is not about a duplicate at all (no frame was sent under `id` before it), `Some(None)`
/// when it rightly refused a copy.
fn unjustified(session: &Session<'_>, index: usize, id: &str) -> Option<Option<String>> {
    let records = &session.records;
    if !session.copied_last(id, index) {
        // A new message under the id of an answered one; a refusal of it as anything but a
        // duplicate is another rule's.
        let resent = records[..index].iter().filter(|r| is_sent(r, id)).count() > 1;
        return resent.then(|| {
            Some(format!("{id}, sent under the id of a message already answered, got BAD_MESSAGE"))
        });
    }
    let copy = records[..index]
        .iter()
        .rposition(|r| matches!(&r.event, Event::SentAgain { message_id, .. } if message_id == id))?;
    let message = records[..copy].iter().rposition(|r| is_sent(r, id)).unwrap_or(0);
    let since_message = &records[message..index];
    let problem = if let Some(done) = since_message.iter().find(|r| is_completion(r, id)) {
        format!(
            "BAD_MESSAGE for a copy of {id}, after {id}'s agent_completed at {} ms: it was no longer in flight",
            done.at_ms
        )
    } else if records[copy..index].iter().any(|r| refusal(r, id).is_some()) {
        format!("a second refusal of the one copy of {id}")
    } else if since_message.iter().any(|r| refusal(r, id) == Some(ErrorCode::RateLimited))
        && !records[message..].iter().any(|r| names_event(r, id))
    {
        format!(
            "BAD_MESSAGE for a copy of {id}, which was refused RATE_LIMITED and never ran: it was never in flight"
        )
    } else {
        return Some(None);
    };
    Some(Some(problem))
}

/// The index of the `pong` answering the JSON ping the client sent right behind the record at
/// `index`: the `n`th `pong` of the session answers its `n`th ping.
fn pong_after(records: &[&Record], index: usize) -> Option<usize> {
    let ping =
        index + 1 + records[index + 1..].iter().position(|r| matches!(r.event, Event::SentPing { .. }))?;
    let nth = records[..=ping].iter().filter(|r| matches!(r.event, Event::SentPing { .. })).count();
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(&r.event, Event::Received { frame: ServerFrame::Pong { .. }, .. }))
        .nth(nth - 1)
        .map(|(at, _)| at)
        .filter(|&at| at > ping)
}

fn is_sent(record: &Record, id: &str) -> bool {
    matches!(&record.event, Event::Sent { message_id, .. } if message_id == id)
}

fn is_completion(record: &Record, id: &str) -> bool {
    matches!(&record.event, Event::Received { frame: ServerFrame::AgentCompleted(event), .. } if event.message_id == id)
}

fn names_event(record: &Record, id: &str) -> bool {
    matches!(&record.event, Event::Received { frame, .. } if frame.as_event().is_some_and(|(_, e)| e.message_id == id))
}

/// The code of a refusal naming `id` that keeps the session open, if the record is one.
fn refusal(record: &Record, id: &str) -> Option<ErrorCode> {
    match &record.event {
        Event::Received { frame: ServerFrame::Error(error), .. }
            if error.message_id.as_deref() == Some(id)
                && matches!(error.code, ErrorCode::BadMessage | ErrorCode::RateLimited) =>
        {
            Some(error.code)
        }
        _ => None,
    }
}

/// Whether the record shows the message `id` out of flight, or never in it: its
/// `agent_completed`, or a `RATE_LIMITED` naming it (its own, or its copy's).
fn ends_flight(record: &Record, id: &str) -> bool {
    is_completion(record, id) || refusal(record, id) == Some(ErrorCode::RateLimited)
}
