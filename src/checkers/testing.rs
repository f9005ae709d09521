//! Hand-made traces for the checkers' tests: a builder that writes what the simulator would record
//! for healthy sessions, so that each test only spells out the one thing it breaks.

use std::collections::BTreeMap;

use crate::checkers::expected::agent_result;
use crate::checkers::{Checker, Findings, Violation};
use crate::context::SessionContext;
use crate::protocol::{CloseCode, ErrorCode, ErrorFrame, EventFrame, EventKind, ServerFrame};
use crate::sim::client::message_id;
use crate::sim::clock::unix_secs_at;
use crate::sim::hosts::TOKEN_LEEWAY_SECS;
use crate::sim::probe::PROBE_HOST;
use crate::sim::scenario::{
    BadInput, CALLER_HOST, LinkLatency, MessageType, SERVICES, ServiceRequest, TokenKind,
};
use crate::sim::seeds::{Purpose, rng};
use crate::sim::trace::{Echo, Event, Fault, Record, SIM_HOST, Side, TRACE_FORMAT_VERSION, Trace};
use crate::sim::workload::mint_token;

/// A well-formed context for `user`; `tag` (lowercase hex) tells contexts apart.
pub fn context(tag: &str, user: &str) -> SessionContext {
    SessionContext {
        context_id: format!("ctx_{tag}_1_0000000a"),
        user_id: user.to_owned(),
        thread_id: format!("thread_{tag}_2_0000000b"),
        run_id: format!("run_{tag}_3_0000000c"),
        websocket_client_id: format!("ws_{tag}_4_0000000d"),
    }
}

/// Where a session's agent is: its context, the last `seq` and the last request number.
#[derive(Clone, Debug, Default)]
struct SessionState {
    context: Option<SessionContext>,
    seq: u64,
    requests: u64,
}

/// Writes records one simulated millisecond apart, unless told the time with [`TraceBuilder::at`].
#[derive(Debug, Default)]
pub struct TraceBuilder {
    now: u64,
    records: Vec<Record>,
    sessions: BTreeMap<(usize, u32), SessionState>,
}

impl TraceBuilder {
    /// A run whose three services start at 0 ms on a network of 1..=10 ms links.
    pub fn new() -> TraceBuilder {
        let conditions = Event::Conditions {
            format_version: TRACE_FORMAT_VERSION,
            latency_ms: (1, 10),
            links: Vec::new(),
            warmup_ms: SERVICES.iter().map(|&name| (name.to_owned(), 0)).collect(),
            skew_ms: SERVICES.iter().map(|&name| (name.to_owned(), 0)).collect(),
            token_leeway_secs: TOKEN_LEEWAY_SECS,
            idle_timeout_ms: 30_000,
            connect_deadline_ms: 5000,
            limits: None,
        };
        let builder = TraceBuilder::default().record(SIM_HOST, conditions);
        SERVICES.iter().fold(builder, |b, name| b.record(name, Event::ServiceStarted { incarnation: 1 }))
    }

    /// Skews `service`'s clock by `skew_ms` in the run's conditions.
    pub fn skewed(mut self, service: &str, skew_ms: i64) -> TraceBuilder {
        let Event::Conditions { skew_ms: skews, .. } = &mut self.records[0].event else {
            unreachable!("a built trace starts with its conditions")
        };
        skews.insert(service.to_owned(), skew_ms);
        self
    }

    /// Sets the latency of the link between `a` and `b` in the conditions record.
    pub fn link_latency(mut self, a: &str, b: &str, latency_ms: (u64, u64)) -> TraceBuilder {
        if let Event::Conditions { links, .. } = &mut self.records[0].event {
            links.push(LinkLatency { a: a.to_owned(), b: b.to_owned(), latency_ms });
        }
        self
    }

    /// Sets the gateway's idle timeout in the conditions record.
    pub fn idle_timeout(mut self, ms: u64) -> TraceBuilder {
        if let Event::Conditions { idle_timeout_ms, .. } = &mut self.records[0].event {
            *idle_timeout_ms = ms;
        }
        self
    }

    /// Sets how long `service` answers 503 after each start, in the conditions record.
    pub fn warmup(mut self, service: &str, ms: u64) -> TraceBuilder {
        if let Event::Conditions { warmup_ms, .. } = &mut self.records[0].event {
            warmup_ms.insert(service.to_owned(), ms);
        }
        self
    }

    /// The caller's call `call` of `request`, sent at `at_ms` and answered `status` and `body`
    /// 5 ms later.
    pub fn call(
        self,
        call: usize,
        request: ServiceRequest,
        at_ms: u64,
        status: u16,
        body: &str,
    ) -> TraceBuilder {
        self.at(at_ms)
            .record(CALLER_HOST, Event::Called { call, request })
            .at(at_ms + 5)
            .record(CALLER_HOST, Event::CallAnswered { call, status, body: body.to_owned() })
    }

    /// Sets the gateway's limits in the conditions record.
    pub fn limits(mut self, limits: crate::sim::scenario::GatewayLimits) -> TraceBuilder {
        if let Event::Conditions { limits: recorded, .. } = &mut self.records[0].event {
            *recorded = Some(limits);
        }
        self
    }

    /// Moves the clock to `at_ms`; later records follow it.
    pub fn at(mut self, at_ms: u64) -> TraceBuilder {
        self.now = at_ms;
        self
    }

    /// Appends `event` on `host` at the current time, then moves the clock on by 1 ms.
    pub fn record(mut self, host: &str, event: Event) -> TraceBuilder {
        self.records.push(Record { at_ms: self.now, host: host.to_owned(), event });
        self.now += 1;
        self
    }

    pub fn fault(self, fault: Fault) -> TraceBuilder {
        self.record(SIM_HOST, Event::Fault { fault })
    }

    /// A client with a valid token.
    pub fn client(self, client: usize, user: &str) -> TraceBuilder {
        self.client_with(client, user, TokenKind::default())
    }

    /// A client with a token of `token`'s kind, minted by an unskewed client host now.
    pub fn client_with(self, client: usize, user: &str, token: TokenKind) -> TraceBuilder {
        let now = unix_secs_at(self.now, 0);
        let minted = mint_token(token, user, now, &mut rng(0, Purpose::Client(client)));
        let event = Event::ClientStarted {
            client,
            user: user.to_owned(),
            token,
            token_exp: minted.exp,
            token_nbf: minted.nbf,
        };
        self.record("client-0", event)
    }

    /// A connection attempt up to the upgrade.
    pub fn upgraded(self, client: usize, session: u32) -> TraceBuilder {
        self.attempt(client, session).handshake(client, session, 101, None)
    }

    /// The client begins a connection attempt.
    pub fn attempt(self, client: usize, session: u32) -> TraceBuilder {
        self.record("client-0", Event::ConnectAttempt { client, session })
    }

    /// The gateway's HTTP answer to the upgrade request: `status`, with the error body of
    /// `refusal` if it has one.
    pub fn handshake(
        self,
        client: usize,
        session: u32,
        status: u16,
        refusal: Option<ErrorCode>,
    ) -> TraceBuilder {
        let body = refusal.map(|code| ServerFrame::Error(ErrorFrame::new(code, "refused")).to_text());
        let echo = (status == 101).then_some(Echo::Nothing);
        self.record("client-0", Event::Handshake { client, session, status, body, echo })
    }

    /// A connection attempt answered with a 101 naming a subprotocol as `echo` says.
    pub fn echoed(self, client: usize, session: u32, echo: Echo) -> TraceBuilder {
        let handshake = Event::Handshake { client, session, status: 101, body: None, echo: Some(echo) };
        self.attempt(client, session).record("client-0", handshake)
    }

    /// One client per context, in order, each with one session established with it.
    pub fn sessions(contexts: &[&SessionContext]) -> TraceBuilder {
        let clients = contexts.iter().enumerate();
        let builder =
            clients.clone().fold(TraceBuilder::new(), |b, (client, c)| b.client(client, &c.user_id));
        clients.fold(builder, |b, (client, context)| b.established(client, 1, context))
    }

    /// A connection attempt that ends in `connection_established` with `context`.
    pub fn established(mut self, client: usize, session: u32, context: &SessionContext) -> TraceBuilder {
        self.sessions.entry((client, session)).or_default().context = Some(context.clone());
        let frame = ServerFrame::ConnectionEstablished { context: context.clone() };
        self.upgraded(client, session).received(client, session, frame)
    }

    /// A connection attempt the gateway refuses with `code` and the close it calls for.
    pub fn refused(self, client: usize, session: u32, code: ErrorCode) -> TraceBuilder {
        // An `AUTH_FAILED` names auth's reason, or says auth named none.
        let message =
            if code == ErrorCode::AuthFailed { "token refused: no reason given" } else { "refused" };
        self.upgraded(client, session).errored(client, session, ErrorFrame::new(code, message))
    }

    /// The gateway sends `error`, then the close its code calls for, if any.
    pub fn errored(self, client: usize, session: u32, error: ErrorFrame) -> TraceBuilder {
        let close = error.code.close_code().map(CloseCode::as_u16);
        let told = self.received(client, session, ServerFrame::Error(error));
        if close.is_some() { told.closed_by_server(client, session, close) } else { told }
    }

    /// A connection attempt that never reaches the gateway.
    pub fn failed_connect(self, client: usize, session: u32) -> TraceBuilder {
        self.record("client-0", Event::ConnectAttempt { client, session }).record(
            "client-0",
            Event::ConnectFailed { client, session, reason: "connect: ConnectionRefused".to_owned() },
        )
    }

    /// The client's `index`th message, sent in `session`.
    pub fn sent(self, client: usize, session: u32, index: u32, content: &str) -> TraceBuilder {
        self.sent_via(client, session, index, content, MessageType::UserMessage)
    }

    /// The client's `index`th message, sent in `session` under the type `via`.
    pub fn sent_via(
        self,
        client: usize,
        session: u32,
        index: u32,
        content: &str,
        via: MessageType,
    ) -> TraceBuilder {
        let event = Event::Sent {
            client,
            session,
            message: index,
            message_id: message_id(client, index),
            content: content.to_owned(),
            via,
        };
        self.record("client-0", event)
    }

    /// The client sends its `index`th message again, right behind it.
    pub fn sent_again(self, client: usize, session: u32, index: u32) -> TraceBuilder {
        self.record("client-0", Event::SentAgain { client, session, message_id: message_id(client, index) })
    }

    /// The client sends a `{"type": "ping"}` frame.
    pub fn sent_ping(self, client: usize, session: u32) -> TraceBuilder {
        self.record("client-0", Event::SentPing { client, session })
    }

    /// The five frames the agent sends for a message, as the gateway numbers them next.
    pub fn agent_frames(
        &mut self,
        client: usize,
        session: u32,
        index: u32,
        content: &str,
    ) -> Vec<ServerFrame> {
        let state = self.sessions.entry((client, session)).or_default();
        let context = state.context.clone().expect("the session is established");
        state.requests += 1;
        let request_id = context.request_id(state.requests);
        let result = serde_json::json!({"result": agent_result(content)});
        EventKind::SEQUENCE
            .into_iter()
            .map(|kind| {
                state.seq += 1;
                let data =
                    if kind == EventKind::AgentCompleted { result.clone() } else { serde_json::json!({}) };
                let frame = EventFrame {
                    context: context.clone(),
                    message_id: message_id(client, index),
                    request_id: request_id.clone(),
                    seq: state.seq,
                    data: data.into(),
                };
                ServerFrame::event(kind, frame)
            })
            .collect()
    }

    /// A message sent and fully answered.
    pub fn message(self, client: usize, session: u32, index: u32, content: &str) -> TraceBuilder {
        self.message_with(client, session, index, content, |_| {})
    }

    /// A message sent and answered with its agent frames as `edit` leaves them.
    pub fn message_with(
        mut self,
        client: usize,
        session: u32,
        index: u32,
        content: &str,
        edit: impl FnOnce(&mut [ServerFrame]),
    ) -> TraceBuilder {
        let mut frames = self.agent_frames(client, session, index, content);
        edit(&mut frames);
        let sent = self.sent(client, session, index, content);
        frames.into_iter().fold(sent, |b, frame| b.received(client, session, frame))
    }

    /// The client sends `input`, bad on purpose.
    pub fn sent_bad(self, client: usize, session: u32, input: BadInput) -> TraceBuilder {
        self.record("client-0", Event::SentBad { client, session, input })
    }

    pub fn received(self, client: usize, session: u32, frame: ServerFrame) -> TraceBuilder {
        self.record("client-0", Event::Received { client, session, frame })
    }

    /// The client answers a ping with a pong.
    pub fn pinged(self, client: usize, session: u32) -> TraceBuilder {
        self.record("client-0", Event::Pinged { client, session })
    }

    /// The client closes with 1000 and the server answers in kind.
    pub fn closed_by_client(self, client: usize, session: u32) -> TraceBuilder {
        let normal = Some(CloseCode::Normal.as_u16());
        let event = Event::Closed { client, session, by: Side::Client, code: normal, reason: String::new() };
        self.record("client-0", event).closed_by_server(client, session, normal)
    }

    /// The client lingers for `for_ms`, reading or not.
    pub fn lingering(self, client: usize, session: u32, reading: bool, for_ms: u64) -> TraceBuilder {
        self.record("client-0", Event::Lingering { client, session, reading, for_ms })
    }

    /// The connection breaks without a close.
    pub fn lost(self, client: usize, session: u32) -> TraceBuilder {
        self.record("client-0", Event::Lost { client, session, reason: "connection reset".to_owned() })
    }

    pub fn closed_by_server(self, client: usize, session: u32, code: Option<u16>) -> TraceBuilder {
        let reason = String::new();
        self.record("client-0", Event::Closed { client, session, by: Side::Server, code, reason })
    }

    /// The end-of-run probe's answer: the gateway holds `open` of the `opened` sessions it opened.
    pub fn probed(self, open: u64, opened: u64) -> TraceBuilder {
        let event = Event::GatewaySessions { open_sessions: open, opened_sessions: opened, waited_ms: 0 };
        self.record(PROBE_HOST, event)
    }

    pub fn build(self) -> Trace {
        Trace { records: self.records }
    }
}

/// Reads a golden trace from `fixtures/traces/`.
pub fn golden(name: &str) -> Trace {
    let path = format!("{}/fixtures/traces/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    Trace::from_jsonl(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// What `checker` finds wrong with `trace`.
pub fn violations(checker: Checker, trace: &Trace) -> Vec<Violation> {
    let mut findings = Findings::default();
    checker(trace, &mut findings);
    findings.violations
}
