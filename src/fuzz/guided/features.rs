//! Coverage features: the behaviours a run showed, each named by a short string, so that a
//! campaign can tell a run that did something no earlier run did. Cheap by design: one pass over
//! the trace, beside the rule clauses the checkers judged and the "sometimes" entries reached.
//!
//! - `rule:<id> <direction>`: a clause of the rule catalogue the trace gave something to judge;
//! - `cov:<entry>`: a rare path, close code or error code of [`crate::fuzz::coverage`];
//! - `frames:<a>><b>`: two server frames in a row in one session, errors by code, a server close
//!   by its code (`close_1008`), so `agent_started>error_RATE_LIMITED` differs from
//!   `agent_started>agent_thinking`;
//! - `fault:<kind> <target>@<phase>`: a fault and the phase of a session it struck (connecting,
//!   open, message in flight; `idle` when no session was open);
//! - `http:<status>`: a refused upgrade's status; `timeout:<wait>`: a bounded wait that ran out;
//! - `count:<what> <bucket>`: how far a run stretched something that recurs, in buckets of
//!   powers of two (`count:attempts-of-a-client 3-4`, `count:connect-ms 1600-3199`), so that a
//!   run that retried more, or waited longer to connect, than any before is new too; and the
//!   shortest time between two starts of one service (`count:restart-gap-ms idgen 400-799`) and
//!   between the boots of two idgen lifetimes whose identifiers sessions were given
//!   (`count:ids-boot-gap-ms 400-799`), since what a service must keep apart across its
//!   lifetimes is tested hardest by lifetimes close together;
//! - `input:<what>`: each kind of thing the run's clients and caller sent that the gateway or a
//!   service must judge, by kind and by the side of a limit it falls on (`input:token
//!   WrongIssuer`, `input:bad LongToken over 8 KiB`, `input:call validate Prefix`, `input:call
//!   ids 128 bytes`), and how each was answered: bad input by a refused upgrade or an error, a
//!   token by its client's first refused upgrade or first frame that no bad input took
//!   (`input:bad WrongVersion answered 400`, `input:token WrongAudience answered
//!   error_AUTH_FAILED`). A rule is judged on one input only when a run sends it and the gateway
//!   answers it, so a corpus that keeps one scenario per kind and answer brings every such
//!   judgement back.
//!
//! A rule clause and an answered input weigh [`weight`] more than other features, as judgements.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::checkers::expected::{MAX_TOKEN_BYTES, identifier, user_problem};
use crate::protocol::ServerFrame;
use crate::rules::Clause;
use crate::sim::scenario::{BadInput, SERVICES, ServiceRequest, TokenKind};
use crate::sim::trace::{Event, Fault, Side, Trace, Waiting};

/// Where a session stands when a fault strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Connecting,
    Open,
    InFlight,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Connecting => "connecting",
            Phase::Open => "open",
            Phase::InFlight => "in-flight",
        }
    }
}

/// A server frame as pairs name it; formatted only once per distinct pair, since a flood's
/// trace holds thousands of frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Frame {
    /// Before a session's first frame.
    #[default]
    Start,
    Kind(&'static str),
    Error(&'static str),
    Close(Option<u16>),
}

impl Frame {
    fn of(frame: &ServerFrame) -> Frame {
        match frame {
            ServerFrame::Error(error) => Frame::Error(error.code.as_str()),
            _ => Frame::Kind(frame.type_name()),
        }
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::Start => f.write_str("start"),
            Frame::Kind(kind) => f.write_str(kind),
            Frame::Error(code) => write!(f, "error_{code}"),
            Frame::Close(Some(code)) => write!(f, "close_{code}"),
            Frame::Close(None) => f.write_str("close_none"),
        }
    }
}

/// A session as the feature pass follows it.
#[derive(Default)]
struct Session {
    established: bool,
    /// When its connect attempt began.
    started_ms: u64,
    /// Messages sent and neither completed nor refused yet.
    pending: u32,
    /// The last server frame, for pairs.
    last: Frame,
}

impl Session {
    fn phase(&self) -> Phase {
        match (self.established, self.pending) {
            (false, _) => Phase::Connecting,
            (true, 0) => Phase::Open,
            (true, _) => Phase::InFlight,
        }
    }
}

/// How much more a judgement is worth than another feature: a bug breaks a rule, and is caught only
/// in runs that give its clause, or the input it mishandles, something to judge, so a rule clause
/// or an answered input judged in a few runs in a hundred is worth a frame pair seen once.
pub const JUDGEMENT_WEIGHT: u64 = 16;

/// What `feature` weighs in the schedule's odds and the corpus order: [`JUDGEMENT_WEIGHT`] for a
/// rule clause or an answered input, 1 for any other.
pub fn weight(feature: &str) -> u64 {
    if feature.starts_with("rule:") || feature.contains(" answered ") { JUDGEMENT_WEIGHT } else { 1 }
}

/// Every feature of one run, sorted and without repeats.
pub fn of(trace: &Trace, exercised: &BTreeSet<Clause>, coverage: &[String]) -> Vec<String> {
    let mut found: BTreeSet<String> = exercised.iter().map(|clause| format!("rule:{clause}")).collect();
    found.extend(coverage.iter().map(|entry| format!("cov:{entry}")));
    let mut sessions: BTreeMap<(usize, u32), Session> = BTreeMap::new();
    let mut pairs: BTreeSet<(Frame, Frame)> = BTreeSet::new();
    let (mut refusals, mut timeouts) = (BTreeSet::new(), BTreeSet::new());
    let mut attempts: BTreeMap<usize, u64> = BTreeMap::new();
    let mut longest_connect_ms = 0;
    let (mut started, mut restart_gaps) = (BTreeMap::new(), BTreeMap::new());
    // The boots of the idgen lifetimes whose identifiers sessions were given.
    let mut boots: BTreeSet<u64> = BTreeSet::new();
    // Each client's token until its first upgrade is answered; each session's bad input until it is.
    let (mut tokens, mut unanswered) = (BTreeMap::new(), BTreeMap::new());
    for record in &trace.records {
        match &record.event {
            Event::ServiceStarted { .. } => {
                if let Some(before) = started.insert(record.host.as_str(), record.at_ms) {
                    let gap: &mut u64 = restart_gaps.entry(record.host.as_str()).or_insert(u64::MAX);
                    *gap = (*gap).min(record.at_ms - before);
                }
            }
            Event::ConnectAttempt { client, session } => {
                *attempts.entry(*client).or_default() += 1;
                sessions
                    .insert((*client, *session), Session { started_ms: record.at_ms, ..Session::default() });
            }
            Event::Received { client, session, frame } => {
                // What the session got wrong on purpose is answered by an error; failing that,
                // the first frame of a client's first upgraded session answers its token.
                let key = (*client, *session);
                if let Some(bad) = unanswered.get(&key) {
                    if let ServerFrame::Error(_) = frame {
                        found.insert(format!("input:bad {bad} answered {}", Frame::of(frame)));
                        unanswered.remove(&key);
                    }
                } else if let Some(token) = tokens.remove(client) {
                    found.insert(format!("input:token {token} answered {}", Frame::of(frame)));
                }
                let Some(s) = sessions.get_mut(&(*client, *session)) else { continue };
                match frame {
                    ServerFrame::ConnectionEstablished { context } => {
                        boots.extend(identifier("ctx", &context.context_id).map(|id| id.boot));
                        s.established = true;
                        longest_connect_ms = longest_connect_ms.max(record.at_ms - s.started_ms);
                    }
                    ServerFrame::AgentCompleted(_) => s.pending = s.pending.saturating_sub(1),
                    ServerFrame::Error(error) if error.message_id.is_some() => {
                        s.pending = s.pending.saturating_sub(1);
                    }
                    _ => {}
                }
                let name = Frame::of(frame);
                pairs.insert((std::mem::replace(&mut s.last, name), name));
            }
            Event::Sent { client, session, .. } => {
                if let Some(s) = sessions.get_mut(&(*client, *session)) {
                    s.pending += 1;
                }
            }
            Event::Closed { client, session, by: Side::Server, code, .. } => {
                if let Some(s) = sessions.remove(&(*client, *session)) {
                    pairs.insert((s.last, Frame::Close(*code)));
                }
            }
            Event::Closed { client, session, .. }
            | Event::Lost { client, session, .. }
            | Event::ConnectFailed { client, session, .. } => {
                sessions.remove(&(*client, *session));
            }
            Event::Handshake { client, session, status, .. } if *status != 101 => {
                refusals.insert(*status);
                // A refused upgrade answers what the session got wrong on purpose, if anything,
                // else the client's token: a token behind bad input was not judged.
                if let Some(bad) = unanswered.remove(&(*client, *session)) {
                    found.insert(format!("input:bad {bad} answered {status}"));
                } else if let Some(token) = tokens.remove(client) {
                    found.insert(format!("input:token {token} answered {status}"));
                }
            }
            Event::TimedOut { waiting_for, .. } => {
                timeouts.insert(waiting(*waiting_for));
            }
            Event::ClientStarted { client, token, .. } => {
                found.insert(format!("input:token {}", token_kind(token)));
                tokens.insert(*client, token_kind(token));
            }
            Event::SentBad { client, session, input } => {
                found.insert(format!("input:bad {}", bad_input(*input)));
                unanswered.insert((*client, *session), bad_input(*input));
            }
            Event::Called { request, .. } => {
                found.insert(format!("input:call {}", call(request)));
            }
            Event::Fault { fault } => {
                let struck = fault_name(fault);
                let phases: BTreeSet<Phase> = sessions.values().map(Session::phase).collect();
                if phases.is_empty() {
                    found.insert(format!("fault:{struck}@idle"));
                }
                for phase in phases {
                    found.insert(format!("fault:{struck}@{}", phase.name()));
                }
            }
            _ => {}
        }
    }
    if let Some(most) = attempts.values().max() {
        found.insert(format!("count:attempts-of-a-client {}", bucket(*most, 1)));
    }
    if longest_connect_ms > 0 {
        found.insert(format!("count:connect-ms {}", bucket(longest_connect_ms, 100)));
    }
    let boot_gaps = boots.iter().zip(boots.iter().skip(1)).map(|(earlier, later)| later - earlier);
    if let Some(gap) = boot_gaps.min() {
        found.insert(format!("count:ids-boot-gap-ms {}", bucket(gap, 100)));
    }
    for (service, gap) in restart_gaps {
        found.insert(format!("count:restart-gap-ms {service} {}", bucket(gap, 100)));
    }
    found.extend(refusals.into_iter().map(|status| format!("http:{status}")));
    found.extend(timeouts.into_iter().map(|wait| format!("timeout:{wait}")));
    found.extend(pairs.into_iter().map(|(before, after)| format!("frames:{before}>{after}")));
    found.into_iter().collect()
}

/// The power-of-two bucket of `value` counted in `unit`s, named by its bounds: `1`, `2`, `3-4`,
/// `5-8` for unit 1; `0-199`, `200-399` for unit 100.
fn bucket(value: u64, unit: u64) -> String {
    if unit == 1 {
        return match value {
            0..=2 => value.to_string(),
            _ => {
                let high = value.next_power_of_two();
                format!("{}-{high}", high / 2 + 1)
            }
        };
    }
    if value < 2 * unit {
        return format!("0-{}", 2 * unit - 1);
    }
    let from = unit << (value / unit).ilog2();
    format!("{from}-{}", 2 * from - 1)
}

/// A token by kind, without the times and lengths that vary from draw to draw.
fn token_kind(token: &TokenKind) -> String {
    match token {
        TokenKind::MissingClaim { claim } => format!("MissingClaim {claim:?}"),
        other => variant(other),
    }
}

fn bad_input(input: BadInput) -> String {
    match input {
        BadInput::LongToken { bytes } => format!("LongToken {}", side_of_8_kib(bytes)),
        other => variant(&other),
    }
}

fn call(request: &ServiceRequest) -> String {
    match request {
        ServiceRequest::Health { service } => format!("health {service}"),
        ServiceRequest::Validate { secret, token_bytes: None } => format!("validate {secret:?}"),
        ServiceRequest::Validate { secret, token_bytes: Some(bytes) } => {
            format!("validate {secret:?} token {}", side_of_8_kib(*bytes))
        }
        ServiceRequest::Ids { user_id } => {
            let problem = user_problem(user_id).map_or("well-formed".to_owned(), |p| format!("{p:?}"));
            let length = match user_id.len() {
                128 => " 128 bytes",
                129.. => " over 128 bytes",
                _ => "",
            };
            let case = if *user_id == user_id.to_ascii_lowercase() { "" } else { " upper case" };
            format!("ids {problem}{length}{case}")
        }
    }
}

fn side_of_8_kib(bytes: usize) -> &'static str {
    if bytes <= MAX_TOKEN_BYTES { "up to 8 KiB" } else { "over 8 KiB" }
}

/// An enum value's variant name: its `Debug` form without the fields.
fn variant(value: &impl fmt::Debug) -> String {
    let text = format!("{value:?}");
    text.split([' ', '(']).next().unwrap_or_default().to_owned()
}

fn waiting(wait: Waiting) -> &'static str {
    match wait {
        Waiting::Connect => "connect",
        Waiting::Established => "established",
        Waiting::Send => "send",
        Waiting::Reply => "reply",
        Waiting::Close => "close",
    }
}

/// A fault by kind and what it struck, client hosts as one: `crash idgen`, `partition
/// gateway-client`.
fn fault_name(fault: &Fault) -> String {
    let role = |host: &str| if SERVICES.contains(&host) { host.to_owned() } else { "client".to_owned() };
    match fault {
        Fault::Crash { host } => format!("crash {}", role(host)),
        Fault::Bounce { host } => format!("bounce {}", role(host)),
        Fault::Stop { host } => format!("stop {}", role(host)),
        Fault::Partition { a, b } => format!("partition {}-{}", role(a), role(b)),
        Fault::Repair { a, b } => format!("repair {}-{}", role(a), role(b)),
        Fault::Hold { a, b } => format!("hold {}-{}", role(a), role(b)),
        Fault::Release { a, b } => format!("release {}-{}", role(a), role(b)),
    }
}

#[cfg(test)]
mod tests;
