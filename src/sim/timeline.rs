//! The trace as a person reads it: one line per record, `sim ms  host  what happened`.

use std::fmt::Write as _;

use super::trace::{Event, Fault, Record, Side, Trace};
use crate::protocol::ServerFrame;

pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    for record in &trace.records {
        let _ = writeln!(out, "{:>8} ms  {:<9} {}", record.at_ms, record.host, describe(record));
    }
    out
}

/// One record as the timeline shows it, without its time and host.
pub fn describe(record: &Record) -> String {
    match &record.event {
        Event::Conditions {
            format_version,
            latency_ms: (low, high),
            links,
            warmup_ms,
            skew_ms,
            token_leeway_secs,
            idle_timeout_ms,
            connect_deadline_ms,
            limits,
        } => {
            let links =
                links.iter().map(|l| format!(", {}-{} {}..={} ms", l.a, l.b, l.latency_ms.0, l.latency_ms.1));
            let warmups = warmup_ms
                .iter()
                .filter(|(_, ms)| **ms > 0)
                .map(|(name, ms)| format!(", {name} warms up {ms} ms"));
            let skews = skew_ms
                .iter()
                .filter(|(_, ms)| **ms != 0)
                .map(|(name, ms)| format!(", {name}'s clock {ms:+} ms"));
            format!(
                "conditions (trace format {format_version}): latency {low}..={high} ms{}{}{}, token leeway \
                 {token_leeway_secs} s, idle timeout {idle_timeout_ms} ms, connect deadline {connect_deadline_ms} ms{}",
                links.collect::<String>(),
                warmups.collect::<String>(),
                skews.collect::<String>(),
                limits.as_ref().map_or_else(String::new, |l| format!(
                    ", {} sessions per user, burst {} then {}/s, {} outbound frames, {} queued messages, \
                     frames up to {} bytes",
                    l.sessions_per_user,
                    l.message_burst,
                    l.messages_per_sec,
                    l.outbound_frames,
                    l.max_queued_messages,
                    l.max_frame_bytes
                ))
            )
        }
        Event::ServiceStarted { incarnation } => format!("service started (incarnation {incarnation})"),
        Event::ServiceStopped { incarnation } => format!("service stopped (incarnation {incarnation})"),
        Event::ServiceFailed { incarnation, error } => {
            format!("service failed (incarnation {incarnation}): {error}")
        }
        Event::Fault { fault } => format!("fault: {}", fault_text(fault)),
        Event::ClientStarted { client, user, token, token_exp, token_nbf } => {
            let exp = token_exp.map(|exp| format!(", exp {exp}")).unwrap_or_default();
            let nbf = token_nbf.map(|nbf| format!(", nbf {nbf}")).unwrap_or_default();
            format!("c{client} started as {user} with a {token:?} token{exp}{nbf}")
        }
        Event::ConnectAttempt { client, session } => format!("c{client}#{session} connecting"),
        Event::ConnectFailed { client, session, reason } => {
            format!("c{client}#{session} connect failed: {reason}")
        }
        Event::Handshake { client, session, status, body, .. } => {
            let body = body.as_deref().map(|b| format!(" {b}")).unwrap_or_default();
            format!("c{client}#{session} handshake {status}{body}")
        }
        Event::Sent { client, session, message_id, content, via, .. } => {
            let alias = if via.is_alias() { format!(" as {}", via.name()) } else { String::new() };
            format!("c{client}#{session} sent {message_id} {content:?}{alias}")
        }
        Event::SentAgain { client, session, message_id } => {
            format!("c{client}#{session} sent {message_id} again, right behind it")
        }
        Event::SentPing { client, session } => format!("c{client}#{session} sent a JSON ping"),
        Event::Received { client, session, frame } => {
            format!("c{client}#{session} got {}", frame_text(frame))
        }
        Event::Pinged { client, session } => format!("c{client}#{session} answered a ping with a pong"),
        Event::Lingering { client, session, reading, for_ms } => {
            let how = if *reading { "reading" } else { "reading nothing" };
            format!("c{client}#{session} lingers {for_ms} ms, {how}")
        }
        Event::SentBad { client, session, input } => {
            format!("c{client}#{session} sent bad input on purpose: {input:?}")
        }
        Event::Unparsed { client, session, text, error } => {
            format!("c{client}#{session} got an unreadable frame ({error}): {text}")
        }
        Event::Closed { client, session, by, code, reason } => {
            let who = match by {
                Side::Client => "client",
                Side::Server => "server",
            };
            let code = code.map_or_else(|| "no code".to_owned(), |c| c.to_string());
            format!("c{client}#{session} closed by {who}: {code} {reason:?}")
        }
        Event::Lost { client, session, reason } => format!("c{client}#{session} connection lost: {reason}"),
        Event::TimedOut { client, session, waiting_for } => {
            format!("c{client}#{session} timed out waiting for {waiting_for:?}")
        }
        Event::ClientFinished { client, sessions, sent, completed } => {
            format!("c{client} finished: {sessions} sessions, {sent} sent, {completed} completed")
        }
        Event::GatewaySessions { open_sessions, opened_sessions, waited_ms } => format!(
            "gateway holds {open_sessions} of the {opened_sessions} sessions it opened, \
             {waited_ms} ms after the clients stopped"
        ),
        Event::ProbeFailed { reason } => format!("the gateway did not answer the probe: {reason}"),
        Event::Called { call, request } => format!("call {call}: {request:?}"),
        Event::CallAnswered { call, status, body } => format!("call {call} answered {status} {body:?}"),
        Event::CallFailed { call, reason } => format!("call {call} failed: {reason}"),
    }
}

pub(crate) fn fault_text(fault: &Fault) -> String {
    match fault {
        Fault::Crash { host } => format!("crash {host}"),
        Fault::Bounce { host } => format!("bounce {host}"),
        Fault::Stop { host } => format!("stop {host} gracefully"),
        Fault::Partition { a, b } => format!("partition {a} | {b}"),
        Fault::Repair { a, b } => format!("repair {a} | {b}"),
        Fault::Hold { a, b } => format!("hold {a} | {b}"),
        Fault::Release { a, b } => format!("release {a} | {b}"),
    }
}

pub(crate) fn frame_text(frame: &ServerFrame) -> String {
    if let Some((kind, event)) = frame.as_event() {
        return format!(
            "{kind:?} for {} (seq {}, ctx {})",
            event.message_id, event.seq, event.context.context_id
        );
    }
    match frame {
        ServerFrame::ConnectionEstablished { context } => {
            format!("connection_established ctx {} for {}", context.context_id, context.user_id)
        }
        ServerFrame::Pong { context } => format!("pong ctx {}", context.context_id),
        ServerFrame::Error(error) => {
            let about = error.message_id.as_deref().map(|id| format!(" about {id}")).unwrap_or_default();
            format!("error {}{about}: {}", error.code.as_str(), error.message)
        }
        _ => frame.to_text(),
    }
}
