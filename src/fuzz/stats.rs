//! What one run did, counted from its trace, and the totals over a campaign.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::protocol::ServerFrame;
use crate::sim::trace::{Event, Side, Trace};

/// Counts from one trace, or from many added together.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub connect_attempts: u64,
    pub sessions_established: u64,
    pub messages_sent: u64,
    pub messages_completed: u64,
    /// The content of the user messages sent, in bytes.
    pub bytes_sent: u64,
    /// `code` of every error frame clients received.
    pub error_codes: BTreeMap<String, u64>,
    /// Close codes the server sent.
    pub close_codes: BTreeMap<String, u64>,
    /// Simulated time the runs covered.
    pub simulated_ms: u64,
}

impl Stats {
    pub fn of(trace: &Trace) -> Stats {
        let mut stats =
            Stats { simulated_ms: trace.records.last().map_or(0, |r| r.at_ms), ..Stats::default() };
        for record in &trace.records {
            match &record.event {
                Event::ConnectAttempt { .. } => stats.connect_attempts += 1,
                Event::Sent { content, .. } => {
                    stats.messages_sent += 1;
                    stats.bytes_sent += content.len() as u64;
                }
                Event::Received { frame, .. } => match frame {
                    ServerFrame::ConnectionEstablished { .. } => stats.sessions_established += 1,
                    ServerFrame::AgentCompleted(_) => stats.messages_completed += 1,
                    ServerFrame::Error(error) => {
                        *stats.error_codes.entry(error.code.as_str().to_owned()).or_default() += 1;
                    }
                    _ => {}
                },
                Event::Closed { by: Side::Server, code: Some(code), .. } => {
                    *stats.close_codes.entry(code.to_string()).or_default() += 1;
                }
                _ => {}
            }
        }
        stats
    }

    pub fn add(&mut self, other: &Stats) {
        self.connect_attempts += other.connect_attempts;
        self.sessions_established += other.sessions_established;
        self.messages_sent += other.messages_sent;
        self.messages_completed += other.messages_completed;
        self.bytes_sent += other.bytes_sent;
        self.simulated_ms += other.simulated_ms;
        for (code, n) in &other.error_codes {
            *self.error_codes.entry(code.clone()).or_default() += n;
        }
        for (code, n) in &other.close_codes {
            *self.close_codes.entry(code.clone()).or_default() += n;
        }
    }

    pub fn connection_success_rate(&self) -> f64 {
        ratio(self.sessions_established, self.connect_attempts)
    }

    pub fn message_completion_rate(&self) -> f64 {
        ratio(self.messages_completed, self.messages_sent)
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}
