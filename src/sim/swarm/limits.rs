//! The draws that push on the gateway's limits: the limits themselves, then the workloads that
//! meet them. Drawn after every other draw of a seed, so that those stay as they were.

use rand::Rng as _;

use crate::clock::Rng;
use crate::sim::scenario::{GatewayLimits, Network, Scenario};

/// Drawn after the limits, which they push on: of the clients, one in five sends bursts of 2 to 6
/// messages, and has at least one burst's worth; one in eight sends messages of about the
/// gateway's frame limit, some under and some over it (a user message's frame is its content
/// and some 50 bytes more); one in eight stays connected after its last reply, for 1.2 to 2 idle
/// timeouts, half of them reading (answering pings) and half not reading at all. And one in fifty floods: 1000 to 1500 messages in one burst, reading
/// nothing until it has sent them all. Most are refused `RATE_LIMITED`, and those refusals, some
/// 200 bytes each, pile up past what the simulated TCP buffers hold (64 KiB each way): the gateway
/// can no longer write, and a slow consumer it must close.
pub(super) fn workloads(rng: &mut Rng, scenario: &mut Scenario) {
    let (frame_limit, idle_timeout_ms) = (scenario.limits.max_frame_bytes as u64, scenario.idle_timeout_ms);
    for client in &mut scenario.clients {
        if rng.random_bool(0.2) {
            client.burst = rng.random_range(2..=6);
            client.messages = client.messages.max(client.burst);
        }
        if rng.random_bool(0.125) {
            let middle = frame_limit.saturating_sub(50);
            client.content_bytes = Some((middle.saturating_sub(40), middle + 40));
        }
        if rng.random_bool(0.125) {
            client.linger_ms = rng.random_range(idle_timeout_ms * 6 / 5..=idle_timeout_ms * 2);
            client.linger_silent = rng.random_bool(0.5);
        }
        if rng.random_bool(0.02) {
            client.burst = rng.random_range(1000..=1500);
            client.messages = client.burst;
        }
    }
}

/// Drawn after everything else but [`workloads`]: the gateway's limits and retry policy. Each is left at its
/// default half the time, and otherwise drawn from a range that reaches down to tiny values, so
/// that the ordinary workload meets it: a session limit of 1 to 3 with two clients of one user, a
/// burst of 1 to 3 and a rate of 1 or 2 per second with messages tens of ms apart, frames of a few
/// hundred bytes, a connect deadline of 1 to 5 s.
///
/// The retry policy is then fitted to `network`: a call to auth or idgen takes four one-way trips
/// (the TCP handshake, the request, the answer), so a per-try timeout under four of the slowest
/// link's trips, or a connect deadline under eight, could never see a healthy dependency answer,
/// and every connect would end in a 1013 no checker could tell from a gateway giving up early
/// (seed 1514 drew a deadline of 1158 ms over links of up to 179 ms).
pub(super) fn limits(rng: &mut Rng, network: &Network) -> GatewayLimits {
    let defaults = GatewayLimits::default();
    let mut pick = |default, low, high| if rng.random() { default } else { rng.random_range(low..=high) };
    let sessions_per_user = pick(defaults.sessions_per_user as u64, 1, 3) as usize;
    let message_burst = pick(u64::from(defaults.message_burst), 1, 3) as u32;
    let messages_per_sec = pick(u64::from(defaults.messages_per_sec), 1, 2) as u32;
    let outbound_frames = pick(defaults.outbound_frames as u64, 1, 8) as usize;
    let max_queued_messages = pick(defaults.max_queued_messages as u64, 1, 2) as usize;
    let max_frame_bytes = pick(defaults.max_frame_bytes as u64, 150, 600) as usize;
    let connect_deadline_ms = fitted(network, pick(defaults.connect_deadline_ms, 1000, 5000), 0).0;
    let per_try_timeout_ms =
        fitted(network, 0, pick(defaults.per_try_timeout_ms, 200, connect_deadline_ms)).1;
    let first_backoff = pick(defaults.backoff_ms.0, 10, 500);
    let backoff_ms = (first_backoff, pick(defaults.backoff_ms.1, first_backoff, 2000).max(first_backoff));
    GatewayLimits {
        sessions_per_user,
        message_burst,
        messages_per_sec,
        outbound_frames,
        max_queued_messages,
        max_frame_bytes,
        connect_deadline_ms,
        per_try_timeout_ms,
        backoff_ms,
    }
}

/// A connect deadline and per-try timeout raised, where they fall short, to what a healthy call
/// over `network` needs: four of the slowest link's one-way trips a call, eight a deadline.
pub(super) fn fitted(network: &Network, deadline_ms: u64, per_try_ms: u64) -> (u64, u64) {
    let slowest = network.links.iter().map(|link| link.latency_ms.1).fold(network.latency_ms.1, u64::max);
    (deadline_ms.max(8 * slowest + 100), per_try_ms.max(4 * slowest + 50))
}
