//! Log timestamps in simulated time. Wall-clock timestamps would differ between two replays of
//! the same seed; inside a simulation, log lines are stamped with the run's millisecond instead.

use std::fmt;

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};

/// Simulated milliseconds inside a simulation, the machine's time outside one (`gatesim serve`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimAwareTime;

impl FormatTime for SimAwareTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        match super::clock::elapsed() {
            Some(elapsed) => write!(w, "sim+{}ms", elapsed.as_millis()),
            None => SystemTime.format_time(w),
        }
    }
}

/// Sends the services' logs to stderr with simulated timestamps when `GATESIM_LOG` is set (an
/// `EnvFilter` directive such as `info` or `gatesim=debug`). Off by default: tests stay quiet.
pub fn init_from_env() {
    let Ok(directive) = std::env::var("GATESIM_LOG") else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(directive))
        .with_timer(SimAwareTime)
        .with_writer(std::io::stderr)
        .try_init();
}
