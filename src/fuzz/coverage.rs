//! "Sometimes" coverage: rare paths a run may or may not reach, and every documented close code
//! and error code a client may receive. A fuzzing campaign that never reaches one has not tested
//! it, however many seeds it ran, so the summary names those.

use std::collections::BTreeMap;

use super::stats::Stats;
use crate::protocol::{CloseCode, ErrorCode, ServerFrame};
use crate::sim::scenario::{SERVICES, TokenKind};
use crate::sim::trace::{Event, Fault, Side, Trace};

/// Every rare path, with the sentence the summary prints for it.
pub const PATHS: &[(&str, &str)] = &[
    ("auth_restart_during_connect", "a session connected while auth was restarting"),
    ("idgen_restart_between_messages", "idgen restarted between two messages of one session"),
    ("connect_after_3_retries", "a client connected on its fourth attempt or later"),
    ("reconnect_after_1013", "a client got a session after a 1013"),
    ("partition_during_handshake", "a partition began while a session was connecting"),
    ("hold_released_on_open_session", "a held link was released while a session was open"),
    ("gateway_restart_mid_message", "the gateway restarted with a message in flight"),
    ("token_expired_inside_skew", "a token minted valid was refused as expired (clock skew)"),
    ("half_open_session_released", "a client host crashed with a session open, and the gateway freed it"),
];

/// Every entry the summary prints, as (name, sentence): the rare paths, then each close code and
/// each error code of `protocol::codes`, so the list cannot drift from the protocol's.
pub fn entries() -> Vec<(String, String)> {
    // 1011 and INTERNAL mean a gateway bug (`docs/design.md` §2.9): never reaching them is the goal, not a
    // gap in the campaign.
    let bug = |is_bug: bool| if is_bug { " (a bug if reached)" } else { "" };
    let paths =
        PATHS.iter().chain(limits::PATHS).map(|(name, sentence)| (name.to_string(), sentence.to_string()));
    let closes = CloseCode::ALL.into_iter().map(|code| {
        let sentence = format!("the server closed a session with {}", code.as_u16());
        (close_entry(code), sentence + bug(code == CloseCode::Internal))
    });
    let errors = ErrorCode::ALL.into_iter().map(|code| {
        let sentence = format!("a client was told {}", code.as_str());
        (error_entry(code), sentence + bug(code == ErrorCode::Internal))
    });
    paths.chain(closes).chain(errors).collect()
}

fn close_entry(code: CloseCode) -> String {
    format!("close_{}", code.as_u16())
}

fn error_entry(code: ErrorCode) -> String {
    format!("error_{}", code.as_str())
}

/// The entries `trace` reached: its rare paths, then the codes its clients received, as the
/// summary's histograms count them.
pub fn reached(trace: &Trace) -> Vec<String> {
    let stats = Stats::of(trace);
    let paths = paths_reached(trace).into_iter().chain(limits::reached(trace)).map(str::to_owned);
    let closes = CloseCode::ALL
        .into_iter()
        .filter(|code| stats.close_codes.contains_key(&code.as_u16().to_string()))
        .map(close_entry);
    let errors = ErrorCode::ALL
        .into_iter()
        .filter(|code| stats.error_codes.contains_key(code.as_str()))
        .map(error_entry);
    paths.chain(closes).chain(errors).collect()
}

/// A session's milestones, as positions in the trace.
#[derive(Default)]
struct Session {
    attempt: usize,
    established: Option<usize>,
    end: Option<usize>,
}

/// The rare paths `trace` reached.
fn paths_reached(trace: &Trace) -> Vec<&'static str> {
    let records = &trace.records;
    let mut sessions: BTreeMap<(usize, u32), Session> = BTreeMap::new();
    let mut tokens = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        match &record.event {
            Event::ClientStarted { client, token, .. } => {
                tokens.insert(*client, *token);
            }
            Event::ConnectAttempt { client, session } => {
                sessions.insert((*client, *session), Session { attempt: i, ..Session::default() });
            }
            Event::Received { client, session, frame: ServerFrame::ConnectionEstablished { .. } } => {
                if let Some(s) = sessions.get_mut(&(*client, *session)) {
                    s.established = Some(i);
                }
            }
            Event::Closed { client, session, .. }
            | Event::Lost { client, session, .. }
            | Event::ConnectFailed { client, session, .. } => {
                if let Some(s) = sessions.get_mut(&(*client, *session)) {
                    s.end.get_or_insert(i);
                }
            }
            _ => {}
        }
    }
    let faults: Vec<(usize, &Fault)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.event {
            Event::Fault { fault } => Some((i, fault)),
            _ => None,
        })
        .collect();
    let restart_of = |host: &str, from: usize, to: usize| {
        faults.iter().any(|(i, fault)| {
            (from..to).contains(i)
                && matches!(fault, Fault::Crash { host: h } | Fault::Bounce { host: h } if h == host)
        })
    };

    let mut found = Vec::new();
    let connecting = || sessions.values().filter_map(|s| s.established.map(|e| (s.attempt, e)));
    if connecting().any(|(from, to)| restart_of("auth", from, to)) {
        found.push("auth_restart_during_connect");
    }
    if idgen_restart_between_messages(trace, &restart_of) {
        found.push("idgen_restart_between_messages");
    }
    if sessions.iter().any(|((_, session), s)| *session >= 4 && s.established.is_some()) {
        found.push("connect_after_3_retries");
    }
    if reconnect_after_1013(trace) {
        found.push("reconnect_after_1013");
    }
    let partition_during = |from: usize, to: usize| {
        faults.iter().any(|(i, f)| (from..to).contains(i) && matches!(f, Fault::Partition { .. }))
    };
    if sessions
        .values()
        .any(|s| partition_during(s.attempt, s.established.or(s.end).unwrap_or(records.len())))
    {
        found.push("partition_during_handshake");
    }
    let open_at = |i: usize| {
        sessions.values().any(|s| s.established.is_some_and(|e| e < i) && s.end.is_none_or(|end| end > i))
    };
    if faults.iter().any(|(i, f)| matches!(f, Fault::Release { .. }) && open_at(*i)) {
        found.push("hold_released_on_open_session");
    }
    let client_crash_at = |i: usize, f: &Fault| {
        matches!(f, Fault::Crash { host } if !SERVICES.contains(&host.as_str())) && open_at(i)
    };
    let all_released =
        records.iter().any(|r| matches!(r.event, Event::GatewaySessions { open_sessions: 0, .. }));
    if all_released && faults.iter().any(|(i, f)| client_crash_at(*i, f)) {
        found.push("half_open_session_released");
    }
    if gateway_restart_mid_message(trace, &restart_of) {
        found.push("gateway_restart_mid_message");
    }
    let expired_valid = records.iter().any(|r| match &r.event {
        Event::Received { client, frame: ServerFrame::Error(e), .. } => {
            e.code == ErrorCode::TokenExpired && matches!(tokens.get(client), Some(TokenKind::Valid { .. }))
        }
        _ => false,
    });
    if expired_valid {
        found.push("token_expired_inside_skew");
    }
    found
}

/// Two consecutive messages of one session, with an idgen restart between them, both answered.
fn idgen_restart_between_messages(trace: &Trace, restart_of: &impl Fn(&str, usize, usize) -> bool) -> bool {
    let mut last_sent: BTreeMap<(usize, u32), usize> = BTreeMap::new();
    let mut completed_after_restart = false;
    for (i, record) in trace.records.iter().enumerate() {
        if let Event::Sent { client, session, .. } = &record.event
            && let Some(previous) = last_sent.insert((*client, *session), i)
            && restart_of("idgen", previous, i)
        {
            let answered = trace.records[i..].iter().any(|r| {
                    matches!(&r.event, Event::Received { client: c, session: s, frame: ServerFrame::AgentCompleted(_) }
                        if c == client && s == session)
                });
            completed_after_restart |= answered;
        }
    }
    completed_after_restart
}

fn reconnect_after_1013(trace: &Trace) -> bool {
    let mut refused = BTreeMap::new();
    trace.records.iter().any(|record| match &record.event {
        Event::Closed { client, by: Side::Server, code: Some(1013), .. } => {
            refused.insert(*client, ());
            false
        }
        Event::Received { client, frame: ServerFrame::ConnectionEstablished { .. }, .. } => {
            refused.contains_key(client)
        }
        _ => false,
    })
}

/// A message sent and not yet answered when the gateway restarted.
fn gateway_restart_mid_message(trace: &Trace, restart_of: &impl Fn(&str, usize, usize) -> bool) -> bool {
    let mut pending: BTreeMap<(usize, u32), usize> = BTreeMap::new();
    for (i, record) in trace.records.iter().enumerate() {
        match &record.event {
            Event::Sent { client, session, .. } => {
                pending.entry((*client, *session)).or_insert(i);
            }
            Event::Received { client, session, frame: ServerFrame::AgentCompleted(_) } => {
                pending.remove(&(*client, *session));
            }
            _ => {}
        }
        if pending.values().any(|&sent| restart_of("gateway", sent, i + 1)) {
            return true;
        }
    }
    false
}

mod limits;
#[cfg(test)]
mod tests;
