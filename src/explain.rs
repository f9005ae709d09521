//! `gatesim explain`: one session of a run as a Mermaid sequence diagram, for people. Frames are
//! arrows stamped with simulated time; faults and violations are notes.

use std::fmt::Write as _;

use crate::checkers::Violation;
use crate::sim::Scenario;
use crate::sim::timeline::{fault_text, frame_text};
use crate::sim::trace::{Event, Fault, Side, Trace};

/// A session: a client and its connection attempt number, `c<client>#<session>` in timelines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SessionRef {
    pub client: usize,
    pub session: u32,
}

impl std::fmt::Display for SessionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "c{}#{}", self.client, self.session)
    }
}

impl SessionRef {
    /// The session `event` is about, if it is about one.
    fn of(event: &Event) -> Option<SessionRef> {
        event.session().map(|(client, session)| SessionRef { client, session })
    }

    /// `c2#1` as timelines print it, or `N` for the run's Nth connection attempt (from 1).
    pub fn parse(text: &str, trace: &Trace) -> Result<SessionRef, String> {
        if let Some((client, session)) = text.strip_prefix('c').and_then(|rest| rest.split_once('#')) {
            let (Ok(client), Ok(session)) = (client.parse(), session.parse()) else {
                return Err(format!("{text:?} is not a session: write c<client>#<session>, e.g. c2#1"));
            };
            return Ok(SessionRef { client, session });
        }
        let n: usize =
            text.parse().map_err(|_| format!("{text:?} is not a session: write c2#1 or a number"))?;
        sessions(trace)
            .into_iter()
            .nth(n.wrapping_sub(1))
            .ok_or_else(|| format!("the run has no session {n}"))
    }
}

/// Every session of the trace, in the order they began.
pub fn sessions(trace: &Trace) -> Vec<SessionRef> {
    let attempts = trace.records.iter().filter_map(|record| match record.event {
        Event::ConnectAttempt { client, session } => Some(SessionRef { client, session }),
        _ => None,
    });
    attempts.collect()
}

/// The first session a violation names.
pub fn first_failing(violations: &[Violation]) -> Option<SessionRef> {
    violations.iter().find_map(|v| Some(SessionRef { client: v.client?, session: v.session? }))
}

/// The diagram of `target`, with the faults during it and the violations that name it.
pub fn diagram(scenario: &Scenario, trace: &Trace, violations: &[Violation], target: SessionRef) -> String {
    let mine: Vec<usize> = (0..trace.records.len())
        .filter(|&i| SessionRef::of(&trace.records[i].event) == Some(target))
        .collect();
    let (Some(&first), Some(&last)) = (mine.first(), mine.last()) else {
        return format!("sequenceDiagram\n    Note over C: session {target} is not in this run\n");
    };
    let user = scenario.clients.get(target.client).map_or("?", |c| c.user.as_str());
    let mut out = String::from("sequenceDiagram\n");
    let _ = writeln!(out, "    participant C as client {target} ({user})");
    for (id, name) in [("G", "gateway"), ("A", "auth"), ("I", "idgen")] {
        let _ = writeln!(out, "    participant {id} as {name}");
    }
    for record in &trace.records[first..=last] {
        let ms = record.at_ms;
        let line = match &record.event {
            Event::Fault { fault } => {
                format!("Note over {}: {ms} ms fault: {}", fault_span(fault), fault_text(fault))
            }
            Event::ServiceStarted { incarnation } => match participant(&record.host) {
                Some(id) => format!("Note over {id}: {ms} ms started (incarnation {incarnation})"),
                None => continue,
            },
            event if SessionRef::of(event) == Some(target) => arrow(ms, event),
            _ => continue,
        };
        let _ = writeln!(out, "    {}", mermaid_safe(&line));
    }
    for violation in
        violations.iter().filter(|v| v.client == Some(target.client) && v.session == Some(target.session))
    {
        let line = format!("Note over C,G: VIOLATION {violation}");
        let _ = writeln!(out, "    {}", mermaid_safe(&line));
    }
    out
}

fn arrow(ms: u64, event: &Event) -> String {
    match event {
        Event::ConnectAttempt { .. } => format!("C->>G: {ms} ms connect"),
        Event::ConnectFailed { reason, .. } => format!("Note over C: {ms} ms connect failed: {reason}"),
        Event::Handshake { status, .. } => format!("G-->>C: {ms} ms HTTP {status}"),
        Event::Sent { message_id, content, via, .. } => {
            format!("C->>G: {ms} ms {} {message_id} ({content:?})", via.name())
        }
        Event::SentAgain { message_id, .. } => format!("C->>G: {ms} ms {message_id} again"),
        Event::SentPing { .. } => format!("C->>G: {ms} ms ping"),
        Event::Received { frame, .. } => format!("G-->>C: {ms} ms {}", frame_text(frame)),
        Event::Pinged { .. } => format!("C->>G: {ms} ms pong, answering a ping"),
        Event::Lingering { reading, for_ms, .. } => {
            let how = if *reading { "reading" } else { "reading nothing" };
            format!("Note over C: {ms} ms lingers {for_ms} ms, {how}")
        }
        Event::SentBad { input, .. } => format!("C->>G: {ms} ms bad input on purpose: {input:?}"),
        Event::Unparsed { error, .. } => format!("G-->>C: {ms} ms unreadable frame: {error}"),
        Event::Closed { by, code, reason, .. } => {
            let arrow = if *by == Side::Server { "G-->>C" } else { "C->>G" };
            let code = code.map_or_else(|| "without a code".to_owned(), |code| code.to_string());
            format!("{arrow}: {ms} ms close {code} {reason}")
        }
        Event::Lost { reason, .. } => format!("Note over C,G: {ms} ms connection lost: {reason}"),
        Event::TimedOut { waiting_for, .. } => {
            format!("Note over C: {ms} ms timed out waiting for {waiting_for:?}")
        }
        _ => String::new(),
    }
}

/// The participants a fault's note spans.
fn fault_span(fault: &Fault) -> String {
    match fault {
        Fault::Crash { host } | Fault::Bounce { host } | Fault::Stop { host } => {
            participant(host).unwrap_or("C").to_owned()
        }
        Fault::Partition { a, b }
        | Fault::Repair { a, b }
        | Fault::Hold { a, b }
        | Fault::Release { a, b } => {
            let (a, b) = (participant(a).unwrap_or("C"), participant(b).unwrap_or("C"));
            if a == b { a.to_owned() } else { format!("{a},{b}") }
        }
    }
}

fn participant(host: &str) -> Option<&'static str> {
    match host {
        "gateway" => Some("G"),
        "auth" => Some("A"),
        "idgen" => Some("I"),
        _ if host.starts_with("client-") => Some("C"),
        _ => None,
    }
}

/// Mermaid ends a statement at `;` (which also ends an entity such as `#35;`, so without `;` a
/// `#` is plain text), reads `%%` as a comment, and has no line breaks inside messages.
fn mermaid_safe(line: &str) -> String {
    line.replace(';', ",").replace("%%", "%").replace(['\n', '\r'], " ")
}

/// The diagram inside a Markdown document that renders on GitHub.
pub fn markdown(scenario: &Scenario, violations: &[Violation], target: SessionRef, diagram: &str) -> String {
    let mut out =
        format!("# gatesim explain: seed {}, {} mode, session {target}\n\n", scenario.seed, scenario.mode);
    if violations.is_empty() {
        out.push_str("No invariant was violated in this run.\n\n");
    } else {
        out.push_str("Violations:\n\n");
        for violation in violations {
            let _ = writeln!(out, "- {violation}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "```mermaid\n{diagram}```\n");
    let _ = writeln!(
        out,
        "Reproduce: `cargo run --release -- replay {} --mode {}`",
        scenario.seed, scenario.mode
    );
    out
}

#[cfg(test)]
mod tests;
