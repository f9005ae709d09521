//! The trace: what happened in a run, in order, stamped with simulated milliseconds. It is the
//! only thing the checkers read, so it records who every session belongs to (client, session
//! number, user) and every frame as parsed, not just that something happened.
//!
//! Its canonical form is JSON lines, one [`Record`] each, fields in declaration order and JSON
//! objects inside frames with sorted keys; its hash is the SHA-256 of that text.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::clock;
use super::scenario::{BadInput, GatewayLimits, LinkLatency, MessageType, ServiceRequest, TokenKind};
use crate::protocol::ServerFrame;

/// One thing that happened, on one host, at one simulated millisecond.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub at_ms: u64,
    /// The host it happened on; `sim` for faults, which the simulator applies from outside.
    pub host: String,
    pub event: Event,
}

/// The version of what a seed does and how its trace is written. It changes whenever a seed's run
/// would change (a new engine, a new draw) or the records do; traces and seed files recorded
/// under another version are re-recorded.
///
/// - 1: turmoil 0.7's `Sim`, 1 ms ticks.
/// - 2: the event-driven engine on turmoil-net: exact instants, latency drawn per packet. Drawn
///   scenarios draw every class of token auth refuses; the conditions record states auth's clock
///   (its skew and leeway) and the gateway's connect deadline; clients record each token's `nbf`
///   and the pings they answer ([`Event::Pinged`]). Drawn scenarios draw the gateway's limits
///   and retry policy, which the conditions record states in full (`limits`).
/// - 3: drawn scenarios draw clients that send bad input ([`Event::SentBad`]) and clients that
///   present their token as a subprotocol; the environment-agnostic rerun is drawn per seed.
/// - 4: packets keep their order within a flow (one direction of one connection) instead of
///   within a host pair, and packets due at one instant are ordered flow by flow.
/// - 5: the gateway's calls to auth and idgen reuse idle keep-alive connections instead of
///   opening one each, so a seed's packets, and the instants of what follows them, change.
/// - 6: drawn scenarios draw clients that send messages under the aliases of `user_message`
///   (`Sent::via`), JSON pings ([`Event::SentPing`]), and their first burst before
///   `connection_established`; requests sent straight to auth and idgen from a caller host
///   ([`Event::Called`], [`Event::CallAnswered`], [`Event::CallFailed`]); a graceful stop of the
///   gateway ([`Fault::Stop`], [`Event::ServiceStopped`]); tokens without any one of the five
///   required claims, and wrong issuers and audiences that are near misses of auth's own. A 101
///   records the subprotocol it named against the client's offer (`Echo`).
/// - 7: drawn scenarios draw clients that send their first message twice, the copy right behind
///   it ([`Event::SentAgain`]) and a JSON ping behind that, and that send a later message under the
///   id of the first once it is answered; and, in one run in ten, an outage of auth or idgen
///   across a wave of connects.
pub const TRACE_FORMAT_VERSION: u32 = 7;

/// The host name faults are recorded under.
pub const SIM_HOST: &str = "sim";

/// `client` is the client's index in the scenario; `session` numbers its connection attempts from
/// 1, each a new session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// What the run was given that no other record shows, recorded first: how slow each link may
    /// be, how long each service answers 503 after it starts, and the gateway's timeouts. The
    /// liveness checker needs the first two to tell a system that has healed from one that is
    /// merely slow; the dependency-outage and idle-timeout checkers need the timeouts.
    Conditions {
        /// [`TRACE_FORMAT_VERSION`] of the simulator that recorded the trace.
        format_version: u32,
        /// Latency range of every link not in `links`, in ms.
        latency_ms: (u64, u64),
        links: Vec<LinkLatency>,
        /// Each service's warm-up after every start, by service name.
        warmup_ms: BTreeMap<String, u64>,
        /// Each service host's clock skew, by service name. With `token_leeway_secs` it gives
        /// auth's clock, which decides whether a token has expired or is not valid yet: the
        /// clear-errors checker needs it to know how auth must have answered a token.
        skew_ms: BTreeMap<String, i64>,
        /// How far past `exp` or before `nbf` auth still accepts a token.
        token_leeway_secs: u64,
        /// The gateway's idle timeout: how long it may hold a session whose client went silent.
        idle_timeout_ms: u64,
        /// The gateway's connect deadline: how long it tries auth and idgen before a 1013.
        connect_deadline_ms: u64,
        /// The gateway's limits, for the checkers to tell a limit's refusal from a bug; absent
        /// in traces recorded before scenarios set them, which ran the defaults.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limits: Option<GatewayLimits>,
    },
    /// A service host's software started; `incarnation` counts its starts from 1.
    ServiceStarted {
        incarnation: u32,
    },
    /// A service's `serve` returned after it was asked to shut down ([`Fault::Stop`]).
    ServiceStopped {
        incarnation: u32,
    },
    /// A service's `serve` returned an error, which ends the run.
    ServiceFailed {
        incarnation: u32,
        error: String,
    },
    Fault {
        fault: Fault,
    },
    /// A client began; `token_exp` and `token_nbf` are its token's `exp` and `nbf` when it has
    /// them.
    ClientStarted {
        client: usize,
        user: String,
        token: TokenKind,
        token_exp: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_nbf: Option<u64>,
    },
    ConnectAttempt {
        client: usize,
        session: u32,
    },
    /// TCP connect or the handshake failed without an HTTP answer, or took too long.
    ConnectFailed {
        client: usize,
        session: u32,
        reason: String,
    },
    /// The HTTP answer to the upgrade request: 101, or a refusal with its body. A 101 says
    /// what subprotocol it named; the client fails one that named none it offered (RFC 6455
    /// §4.1), recording the 101 and then why it failed.
    Handshake {
        client: usize,
        session: u32,
        status: u16,
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        echo: Option<Echo>,
    },
    /// A user message, recorded as it is handed to the WebSocket (a session that breaks at that
    /// moment may or may not have delivered it); `message` is its index among the client's
    /// messages, from 0, and `via` the `type` it was sent under.
    Sent {
        client: usize,
        session: u32,
        message: u32,
        message_id: String,
        content: String,
        #[serde(default, skip_serializing_if = "MessageType::is_user_message")]
        via: MessageType,
    },
    /// The client sent its message `message_id` again, the same frame, right behind the first
    /// while that is in flight; recorded as it is handed to the WebSocket. Not a message of its
    /// own: the gateway must refuse it as a duplicate.
    SentAgain {
        client: usize,
        session: u32,
        message_id: String,
    },
    /// The client sent a `{"type": "ping"}` frame, recorded as it is handed to the WebSocket.
    SentPing {
        client: usize,
        session: u32,
    },
    Received {
        client: usize,
        session: u32,
        frame: ServerFrame,
    },
    /// The client sent `input`, bad on purpose: an upgrade request recorded as the attempt
    /// begins, a frame as it is handed to the WebSocket.
    SentBad {
        client: usize,
        session: u32,
        input: BadInput,
    },
    /// The client read a ping from the server and wrote its pong, at this instant: tungstenite
    /// queues the pong as it reads the ping, and the client flushes it at once. Not recorded
    /// once the client has sent its close, after which tungstenite answers no ping.
    Pinged {
        client: usize,
        session: u32,
    },
    /// The client, its messages answered, stays connected for `for_ms` sending nothing: reading
    /// all the while (so answering every ping at once), or reading nothing until the end.
    Lingering {
        client: usize,
        session: u32,
        reading: bool,
        for_ms: u64,
    },
    /// A text or binary frame that is not a server frame.
    Unparsed {
        client: usize,
        session: u32,
        text: String,
        error: String,
    },
    /// A close frame, sent by `by`.
    Closed {
        client: usize,
        session: u32,
        by: Side,
        code: Option<u16>,
        reason: String,
    },
    /// The connection broke or ended without a close frame.
    Lost {
        client: usize,
        session: u32,
        reason: String,
    },
    /// A bounded wait ran out.
    TimedOut {
        client: usize,
        session: u32,
        waiting_for: Waiting,
    },
    /// The client stopped: it sent all its messages, was refused for good, or ran out of sessions.
    ClientFinished {
        client: usize,
        sessions: u32,
        sent: u32,
        completed: u32,
    },
    /// The end-of-run probe's last answer from the gateway's `GET /stats`, `waited_ms` after every
    /// client had stopped: at once if no session was open, else when the last was released or
    /// the release window ran out.
    GatewaySessions {
        open_sessions: u64,
        opened_sessions: u64,
        waited_ms: u64,
    },
    /// The end-of-run probe had no answer from the gateway within the release window.
    ProbeFailed {
        reason: String,
    },
    /// The caller host sent `request`, the scenario's call number `call`, on a new connection.
    Called {
        call: usize,
        request: ServiceRequest,
    },
    /// The answer to call `call`: its status and its body as text.
    CallAnswered {
        call: usize,
        status: u16,
        body: String,
    },
    /// Call `call` had no answer: the connection failed or broke, or the answer took too long.
    CallFailed {
        call: usize,
        reason: String,
    },
}

impl Event {
    /// The client and session the event is about, if it is about one.
    pub fn session(&self) -> Option<(usize, u32)> {
        match *self {
            Event::ConnectAttempt { client, session }
            | Event::ConnectFailed { client, session, .. }
            | Event::Handshake { client, session, .. }
            | Event::Sent { client, session, .. }
            | Event::SentAgain { client, session, .. }
            | Event::Received { client, session, .. }
            | Event::SentBad { client, session, .. }
            | Event::Pinged { client, session }
            | Event::SentPing { client, session }
            | Event::Lingering { client, session, .. }
            | Event::Unparsed { client, session, .. }
            | Event::Closed { client, session, .. }
            | Event::Lost { client, session, .. }
            | Event::TimedOut { client, session, .. } => Some((client, session)),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
}

/// The subprotocol a 101 named, against the one its client offered, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Echo {
    /// None offered, none named.
    Nothing,
    /// The one offered, exactly.
    Offered,
    /// One was offered and none named.
    Missing,
    /// One the client did not offer.
    Unoffered,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    Connect,
    Established,
    Send,
    Reply,
    Close,
}

/// A fault the simulator applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fault {
    Crash {
        host: String,
    },
    Bounce {
        host: String,
    },
    /// The host's service was asked to shut down gracefully.
    Stop {
        host: String,
    },
    Partition {
        a: String,
        b: String,
    },
    Repair {
        a: String,
        b: String,
    },
    Hold {
        a: String,
        b: String,
    },
    Release {
        a: String,
        b: String,
    },
}

impl Fault {
    /// The two hosts of a link fault.
    pub fn link(&self) -> Option<(&str, &str)> {
        match self {
            Fault::Crash { .. } | Fault::Bounce { .. } | Fault::Stop { .. } => None,
            Fault::Partition { a, b }
            | Fault::Repair { a, b }
            | Fault::Hold { a, b }
            | Fault::Release { a, b } => Some((a, b)),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub records: Vec<Record>,
}

impl Trace {
    /// The canonical form.
    pub fn to_jsonl(&self) -> String {
        self.records
            .iter()
            .map(|record| serde_json::to_string(record).expect("trace records always serialise") + "\n")
            .collect()
    }

    /// Reads the canonical form back: a trace written with `--trace` is judged again, or
    /// compared with another run, without running anything.
    ///
    /// ```
    /// use gatesim::sim::{Scenario, Trace, run};
    ///
    /// let trace = run(&Scenario::from_seed(5)).trace;
    /// let read = Trace::from_jsonl(&trace.to_jsonl()).unwrap();
    /// assert_eq!(read.hash(), trace.hash());
    /// ```
    pub fn from_jsonl(text: &str) -> Result<Trace, serde_json::Error> {
        let records = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        Ok(Trace { records })
    }

    /// SHA-256 of the canonical form, in hex.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.to_jsonl().as_bytes());
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

/// Where hosts write the trace while the run goes on. Hosts run one at a time on one thread, in
/// an order fixed by the seed, so the records' order is as reproducible as their content.
#[derive(Clone, Debug)]
pub struct Recorder {
    records: Arc<Mutex<Vec<Record>>>,
    /// Simulated time since the run started, as the recording host sees it.
    elapsed: fn() -> Option<Duration>,
}

impl Default for Recorder {
    /// A recorder for runs of the engine.
    fn default() -> Recorder {
        Recorder::with_clock(clock::elapsed)
    }
}

impl Recorder {
    /// A recorder that reads simulated time from `elapsed`.
    pub fn with_clock(elapsed: fn() -> Option<Duration>) -> Recorder {
        Recorder { records: Arc::default(), elapsed }
    }

    /// Records `event` on `host` at the running host's simulated time.
    pub fn record(&self, host: &str, event: Event) {
        let elapsed = (self.elapsed)().expect("records are made only inside a simulation");
        self.record_at(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX), host, event);
    }

    pub fn record_at(&self, at_ms: u64, host: &str, event: Event) {
        self.lock().push(Record { at_ms, host: host.to_owned(), event });
    }

    /// Calls `f` on the records from `from` on, and returns how many records there are now.
    pub fn scan_from(&self, from: usize, mut f: impl FnMut(&Record)) -> usize {
        let records = self.lock();
        records.iter().skip(from).for_each(&mut f);
        records.len()
    }

    /// The trace recorded so far, taken out of the recorder: at the end of a run, when nothing
    /// records any more, the records move instead of being copied, so that a large run does not
    /// hold its trace twice.
    pub fn take_trace(&self) -> Trace {
        Trace { records: std::mem::take(&mut *self.lock()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Record>> {
        // A panicking host must not hide what was recorded before it.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_survives_a_round_trip_through_json_lines() {
        let trace = Trace {
            records: vec![
                Record { at_ms: 0, host: "idgen".into(), event: Event::ServiceStarted { incarnation: 1 } },
                Record {
                    at_ms: 12,
                    host: SIM_HOST.into(),
                    event: Event::Fault { fault: Fault::Partition { a: "gateway".into(), b: "auth".into() } },
                },
                Record {
                    at_ms: 30,
                    host: "client-0".into(),
                    event: Event::TimedOut { client: 2, session: 1, waiting_for: Waiting::Reply },
                },
            ],
        };
        let text = trace.to_jsonl();
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.starts_with(
                r#"{"at_ms":0,"host":"idgen","event":{"kind":"service_started","incarnation":1}}"#
            )
        );
        let back = Trace::from_jsonl(&text).unwrap();
        assert_eq!(back, trace);
        assert_eq!(back.hash(), trace.hash());
        assert_eq!(trace.hash().len(), 64);
    }
}
