//! The end-of-run probe: once every client has stopped, a host of its own asks the gateway for its
//! session gauges (`GET /stats`) until it holds no session or the release window has run out, and
//! records the last answer. A session still open then is one the gateway leaked, which the
//! release checker reports.
//!
//! The probe starts only when the clients are done, and a run that released everything is probed
//! once.

use std::time::Duration;

use tokio::time::{Instant, sleep};

use super::client::GATEWAY_PORT;
use super::engine::World;
use super::net::SimNet;
use super::scenario::{GATEWAY, Scenario};
use super::trace::{Event, Recorder};
use crate::http::get_json;
use crate::services::gateway::SessionStats;

/// The probe's host name.
pub const PROBE_HOST: &str = "probe";
/// How often the probe asks again while sessions are open.
const POLL_EVERY: Duration = Duration::from_millis(250);
/// How long one question may take, in ms.
pub const REQUEST_TIMEOUT_MS: u64 = 1000;

/// Starts the probe; it finishes once it has recorded its answer.
pub(super) fn start(world: &mut World, scenario: &Scenario, recorder: &Recorder) {
    let window = Duration::from_millis(scenario.release_window_ms());
    let recorder = recorder.clone();
    world.start(
        PROBE_HOST,
        Box::new(move |host, _| {
            let recorder = recorder.clone();
            Box::pin(async move {
                let event = probe(&SimNet::new(host, None, 0), window).await;
                recorder.record(PROBE_HOST, event);
                Ok(())
            })
        }),
    );
}

async fn probe(net: &SimNet, window: Duration) -> Event {
    let start = Instant::now();
    let address = format!("{GATEWAY}:{GATEWAY_PORT}");
    loop {
        let answer =
            get_json::<_, SessionStats>(net, &address, "/stats", Duration::from_millis(REQUEST_TIMEOUT_MS))
                .await;
        let waited = start.elapsed();
        match answer {
            Ok(stats) if stats.open_sessions == 0 || waited >= window => {
                return Event::GatewaySessions {
                    open_sessions: stats.open_sessions,
                    opened_sessions: stats.opened_sessions,
                    waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                };
            }
            Err(error) if waited >= window => return Event::ProbeFailed { reason: error.to_string() },
            _ => sleep(POLL_EVERY).await,
        }
    }
}
