//! A soak on real TCP: many WebSocket clients send continuously for a while, and the report says
//! whether every message was answered and how long answers took.
//!
//! Each client is closed-loop: it sends a message, waits for its answer, sends the next. A message
//! is *completed* when `agent_completed` arrives with the agent's result for exactly its content,
//! *errored* when an error frame names it, and *lost* otherwise. Lost must be zero. A client told
//! `RATE_LIMITED` waits for the gateway's bucket to refill before sending again, as a well-behaved
//! client would, rather than spinning on refusals that say nothing about the system's capacity.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::checkers::expected::agent_result;
use crate::net::{Net, TokioNet};
use crate::protocol::{ClientFrame, ClientMessage, ErrorCode, ServerFrame};
use crate::services::gateway::AgentResult;

/// How long a client waits for any one thing before counting it as lost.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct SoakConfig {
    pub url: String,
    /// One token per client.
    pub tokens: Vec<String>,
    /// How long clients keep sending.
    pub duration: Duration,
    /// Clients start spread over this long, so connects do not all land in one instant.
    pub ramp: Duration,
    /// The gateway's refill rate for each session's messages (`Limits::messages_per_sec`): a
    /// client told `RATE_LIMITED` waits for one token of it.
    pub messages_per_sec: u32,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SoakReport {
    pub clients: u64,
    pub connected: u64,
    pub connect_failures: u64,
    pub sent: u64,
    pub completed: u64,
    pub errored: u64,
    pub lost: u64,
    pub error_codes: BTreeMap<String, u64>,
    pub messages_per_sec: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    /// Peak resident memory of this process (clients and services together), from VmHWM.
    pub peak_rss_mb: Option<f64>,
    pub wall_secs: f64,
}

#[derive(Default)]
struct Counters {
    connected: AtomicU64,
    connect_failures: AtomicU64,
    sent: AtomicU64,
    completed: AtomicU64,
    errored: AtomicU64,
}

/// What one client saw.
#[derive(Default)]
struct ClientLog {
    latencies_us: Vec<u64>,
    error_codes: BTreeMap<String, u64>,
}

/// Runs the soak, printing a progress line to stderr every `progress_every`.
pub async fn run(config: SoakConfig, progress_every: Duration) -> SoakReport {
    let started = Instant::now();
    let counters = Arc::new(Counters::default());
    let deadline = started + config.ramp + config.duration;
    let clients = config.tokens.len();
    let tasks: Vec<_> = config
        .tokens
        .into_iter()
        .enumerate()
        .map(|(index, token)| {
            let delay = config.ramp.mul_f64(index as f64 / clients.max(1) as f64);
            let (url, counters) = (config.url.clone(), Arc::clone(&counters));
            let rate_limited_pause = Duration::from_secs(1) / config.messages_per_sec.max(1);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                client(index, &url, &token, deadline, rate_limited_pause, &counters).await
            })
        })
        .collect();
    let reporter = tokio::spawn(report_progress(Arc::clone(&counters), started, progress_every));

    let mut report = SoakReport { clients: clients as u64, ..SoakReport::default() };
    let mut latencies = Vec::new();
    for task in tasks {
        let log = task.await.unwrap_or_default();
        latencies.extend(log.latencies_us);
        for (code, count) in log.error_codes {
            *report.error_codes.entry(code).or_default() += count;
        }
    }
    reporter.abort();
    let wall = started.elapsed();
    report.connected = counters.connected.load(Ordering::Relaxed);
    report.connect_failures = counters.connect_failures.load(Ordering::Relaxed);
    report.sent = counters.sent.load(Ordering::Relaxed);
    report.completed = counters.completed.load(Ordering::Relaxed);
    report.errored = counters.errored.load(Ordering::Relaxed);
    report.lost = report.sent - report.completed - report.errored;
    report.messages_per_sec = report.completed as f64 / wall.as_secs_f64();
    latencies.sort_unstable();
    report.latency_p50_ms = percentile_ms(&latencies, 0.50);
    report.latency_p99_ms = percentile_ms(&latencies, 0.99);
    report.latency_max_ms = latencies.last().map_or(0.0, |&us| us as f64 / 1000.0);
    report.peak_rss_mb = peak_rss_mb();
    report.wall_secs = wall.as_secs_f64();
    report
}

async fn client(
    index: usize,
    url: &str,
    token: &str,
    deadline: Instant,
    rate_limited_pause: Duration,
    counters: &Counters,
) -> ClientLog {
    let mut log = ClientLog::default();
    let Some(mut ws) = connect(url, token).await else {
        counters.connect_failures.fetch_add(1, Ordering::Relaxed);
        return log;
    };
    counters.connected.fetch_add(1, Ordering::Relaxed);
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let message = ClientMessage {
            id: format!("c{index}-m{n}"),
            content: format!("soak message {n} from client {index}"),
        };
        let expected = agent_result(&message.content);
        if ws.send(Message::text(ClientFrame::UserMessage(message.clone()).to_text())).await.is_err() {
            break;
        }
        counters.sent.fetch_add(1, Ordering::Relaxed);
        let sent_at = Instant::now();
        match answer(&mut ws, &message.id, &expected).await {
            Answer::Completed => {
                counters.completed.fetch_add(1, Ordering::Relaxed);
                log.latencies_us.push(sent_at.elapsed().as_micros() as u64);
            }
            Answer::Error(code) => {
                counters.errored.fetch_add(1, Ordering::Relaxed);
                if code == ErrorCode::RateLimited.as_str() {
                    tokio::time::sleep(rate_limited_pause).await;
                }
                *log.error_codes.entry(code).or_default() += 1;
            }
            Answer::Lost => break,
        }
    }
    let _ = ws.close(None).await;
    log
}

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<<TokioNet as Net>::Stream>;

pub(crate) async fn connect(url: &str, token: &str) -> Option<Ws> {
    let mut request = url.into_client_request().ok()?;
    request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).ok()?);
    let authority = request.uri().authority()?.to_string();
    let handshake = async {
        let stream = TokioNet.connect(&authority).await.ok()?;
        let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await.ok()?;
        match next_frame(&mut ws).await? {
            ServerFrame::ConnectionEstablished { .. } => Some(ws),
            _ => None,
        }
    };
    tokio::time::timeout(PATIENCE, handshake).await.ok().flatten()
}

pub(crate) enum Answer {
    Completed,
    Error(String),
    Lost,
}

pub(crate) async fn answer(ws: &mut Ws, id: &str, expected: &AgentResult) -> Answer {
    let wait = async {
        while let Some(frame) = next_frame(ws).await {
            match frame {
                ServerFrame::AgentCompleted(event) if event.message_id == id => {
                    let result =
                        serde_json::from_value::<AgentResult>(event.data.field("result").unwrap_or_default());
                    return match result {
                        Ok(result) if &result == expected => Answer::Completed,
                        _ => Answer::Lost,
                    };
                }
                ServerFrame::Error(error) if error.message_id.as_deref() == Some(id) => {
                    return Answer::Error(error.code.as_str().to_owned());
                }
                ServerFrame::Error(error) => return Answer::Error(error.code.as_str().to_owned()),
                _ => {}
            }
        }
        Answer::Lost
    };
    tokio::time::timeout(PATIENCE, wait).await.unwrap_or(Answer::Lost)
}

async fn next_frame(ws: &mut Ws) -> Option<ServerFrame> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => return serde_json::from_str(&text).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

async fn report_progress(counters: Arc<Counters>, started: Instant, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        eprintln!(
            "soak: {:>5.0} s  connected {}  sent {}  completed {}  errored {}",
            started.elapsed().as_secs_f64(),
            counters.connected.load(Ordering::Relaxed),
            counters.sent.load(Ordering::Relaxed),
            counters.completed.load(Ordering::Relaxed),
            counters.errored.load(Ordering::Relaxed),
        );
    }
}

fn percentile_ms(sorted_us: &[u64], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((sorted_us.len() as f64 * q).ceil() as usize).clamp(1, sorted_us.len());
    sorted_us[rank - 1] as f64 / 1000.0
}

/// Peak resident memory of this process, from VmHWM.
pub(crate) fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

impl std::fmt::Display for SoakReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "clients        {} ({} connected, {} failed to connect)",
            self.clients, self.connected, self.connect_failures
        )?;
        writeln!(
            f,
            "messages       {} sent, {} completed, {} errored, {} lost",
            self.sent, self.completed, self.errored, self.lost
        )?;
        writeln!(f, "error codes    {:?}", self.error_codes)?;
        writeln!(f, "throughput     {:.0} messages/s over {:.1} s", self.messages_per_sec, self.wall_secs)?;
        writeln!(
            f,
            "latency        p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.latency_p50_ms, self.latency_p99_ms, self.latency_max_ms
        )?;
        match self.peak_rss_mb {
            Some(mb) => write!(f, "peak memory    {mb:.0} MB (clients and services in one process)"),
            None => write!(f, "peak memory    unknown (no /proc/self/status)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percentile_ms;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let us: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&us, 0.50), 50.0);
        assert_eq!(percentile_ms(&us, 0.99), 99.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }
}
