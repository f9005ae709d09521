//! The simulated measurements: standard runs one after another, and one scale run with the peak
//! memory it took.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::bail;

use super::ScalePoint;
use crate::protocol::ServerFrame;
use crate::sim::trace::Recorder;
use crate::sim::{self, Event, Outcome, Scenario, Trace};

/// How often a scale run says how far it has got: the largest take twenty minutes.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

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

/// One simulation of `sessions` concurrent sessions, telling `progress` how far it has got every
/// [`PROGRESS_EVERY`] of wall time.
pub(super) fn scale(sessions: usize, progress: &(dyn Fn(&str) + Sync)) -> anyhow::Result<ScalePoint> {
    let scenario = Scenario::sessions(0, sessions);
    let recorder = Recorder::default();
    let reset = reset_peak_rss();
    let started = Instant::now();
    let outcome = std::thread::scope(|scope| {
        let (finished, watched) = mpsc::channel::<()>();
        scope.spawn(|| watch(&recorder, started, PROGRESS_EVERY, watched, progress));
        let outcome = sim::run_into(&scenario, &recorder);
        drop(finished);
        outcome
    });
    let wall_s = started.elapsed().as_secs_f64();
    let passes = outcome.passes;
    let trace = completed_in(&scenario, outcome)?;
    let rss_mb = if reset { crate::soak::peak_rss_mb().unwrap_or(0.0) } else { 0.0 };
    let open = most_open(&trace);
    if open < sessions {
        bail!("only {open} of {sessions} sessions were open at once");
    }
    Ok(ScalePoint { sessions, wall_s, rss_mb, passes })
}

/// Reports every `every`, until `finished` hangs up, how many sessions of the run `recorder`
/// records have begun, been established and finished, and its simulated time: sessions piling
/// up between the first two are the first sign of a run that has slowed to a crawl. It reads
/// only records: the run itself is not slowed beyond the lock it takes for each.
fn watch(
    recorder: &Recorder,
    started: Instant,
    every: Duration,
    finished: mpsc::Receiver<()>,
    progress: &(dyn Fn(&str) + Sync),
) {
    let (mut scanned, mut simulated_ms) = (0, 0);
    let (mut begun, mut established, mut done) = (0, 0, 0);
    while let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(every) {
        scanned = recorder.scan_from(scanned, |record| {
            simulated_ms = record.at_ms;
            match record.event {
                Event::ConnectAttempt { .. } => begun += 1,
                Event::Received { frame: ServerFrame::ConnectionEstablished { .. }, .. } => established += 1,
                Event::ClientFinished { .. } => done += 1,
                _ => {}
            }
        });
        progress(&format!(
            "  {:.0} s: {:.1} s simulated, sessions: {begun} begun, {established} established, {done} finished",
            started.elapsed().as_secs_f64(),
            simulated_ms as f64 / 1000.0,
        ));
    }
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
    completed_in(scenario, sim::run(scenario))
}

/// The trace of `scenario`'s run, if it ended cleanly with every message answered.
fn completed_in(scenario: &Scenario, outcome: Outcome) -> anyhow::Result<Trace> {
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::context::example;

    #[test]
    fn a_scale_run_reports_sessions_begun_established_and_finished_as_it_goes() {
        let recorder = Recorder::with_clock(|| None);
        let session = |event| recorder.record_at(5, "client-0", event);
        session(Event::ConnectAttempt { client: 0, session: 1 });
        session(Event::ConnectAttempt { client: 1, session: 1 });
        let context = example("alice");
        session(Event::Received {
            client: 0,
            session: 1,
            frame: ServerFrame::ConnectionEstablished { context },
        });
        recorder.record_at(
            1500,
            "client-0",
            Event::ClientFinished { client: 0, sessions: 1, sent: 2, completed: 2 },
        );
        let lines = Mutex::new(Vec::<String>::new());
        let report = |line: &str| lines.lock().unwrap().push(line.to_owned());
        std::thread::scope(|scope| {
            let (finished, watched) = mpsc::channel();
            scope.spawn(|| watch(&recorder, Instant::now(), Duration::from_millis(1), watched, &report));
            while lines.lock().unwrap().is_empty() {
                std::thread::yield_now();
            }
            drop(finished);
        });
        let first = &lines.lock().unwrap()[0];
        assert!(
            first.ends_with(": 1.5 s simulated, sessions: 2 begun, 1 established, 1 finished"),
            "{first}"
        );
    }
}
