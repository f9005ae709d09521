//! The simulated measurements: standard runs one after another, and one scale run with the peak
//! memory it took.

use std::time::{Duration, Instant};

use anyhow::bail;

use super::ScalePoint;
use crate::protocol::ServerFrame;
use crate::sim::{self, Event, Scenario, Trace};

/// What a batch of standard runs took.
pub(super) struct Batch {
    pub wall: Duration,
    pub simulated: Duration,
}

/// Runs the standard scenario with seeds 0 to `runs - 1` on this thread.
pub(super) fn standard(runs: u64) -> anyhow::Result<Batch> {
    let started = Instant::now();
    let mut simulated_ms = 0;
    for seed in 0..runs {
        simulated_ms += simulated_ms_of(&completed(&Scenario::standard(seed))?);
    }
    Ok(Batch { wall: started.elapsed(), simulated: Duration::from_millis(simulated_ms) })
}

/// One simulation of `sessions` concurrent sessions.
pub(super) fn scale(sessions: usize) -> anyhow::Result<ScalePoint> {
    let scenario = Scenario::sessions(0, sessions);
    let reset = reset_peak_rss();
    let started = Instant::now();
    let trace = completed(&scenario)?;
    let wall_s = started.elapsed().as_secs_f64();
    let rss_mb = if reset { crate::soak::peak_rss_mb().unwrap_or(0.0) } else { 0.0 };
    let open = most_open(&trace);
    if open < sessions {
        bail!("only {open} of {sessions} sessions were open at once");
    }
    Ok(ScalePoint { sessions, wall_s, rss_mb })
}

/// The most sessions open at one time: each client has one session, from its
/// `connection_established` until it finishes.
fn most_open(trace: &Trace) -> usize {
    let mut open = 0usize;
    let mut most = 0;
    for record in &trace.records {
        match &record.event {
            Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. } => {
                open += 1;
                most = most.max(open);
            }
            Event::ClientFinished { .. } => open = open.saturating_sub(1),
            _ => {}
        }
    }
    most
}

/// Runs `scenario`; an error unless the run ended cleanly with every message answered, since a
/// run that failed early would flatter the figures.
fn completed(scenario: &Scenario) -> anyhow::Result<Trace> {
    let outcome = sim::run(scenario);
    if let Some(error) = outcome.error {
        bail!("seed {} failed: {error}", scenario.seed);
    }
    all_completed(scenario, &outcome.trace)?;
    Ok(outcome.trace)
}

/// An error unless every message of `scenario` completed in `trace`.
pub(super) fn all_completed(scenario: &Scenario, trace: &Trace) -> anyhow::Result<()> {
    let wanted: u32 = scenario.clients.iter().map(|c| c.messages).sum();
    let completed: u32 = trace
        .records
        .iter()
        .map(|record| match record.event {
            Event::ClientFinished { completed, .. } => completed,
            _ => 0,
        })
        .sum();
    if completed != wanted {
        bail!("seed {}: {completed} of {wanted} messages completed", scenario.seed);
    }
    Ok(())
}

/// How long the run lasted in simulated time: until its last record.
fn simulated_ms_of(trace: &Trace) -> u64 {
    trace.records.iter().map(|record| record.at_ms).max().unwrap_or(0)
}

/// Resets the process's peak resident memory (VmHWM) to its current size, so that the next
/// reading is the peak of what follows; false where Linux's /proc does not allow it.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
