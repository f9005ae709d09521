//! What a run was given that no other record of its trace shows, as its first record states it:
//! link latencies, service warm-ups, the gateway's timeouts.

use std::collections::BTreeMap;

use crate::sim::scenario::{GatewayLimits, LinkLatency};
use crate::sim::trace::{Event, Trace};

/// The run's conditions record, or no latency, no warm-ups and no timeouts for a trace without one
/// (hand-made traces may lack it).
#[derive(Default)]
pub struct Conditions<'t> {
    latency_ms: (u64, u64),
    links: &'t [LinkLatency],
    warmup_ms: Option<&'t BTreeMap<String, u64>>,
    /// The gateway's idle timeout.
    pub idle_timeout_ms: Option<u64>,
    /// The gateway's connect deadline.
    pub connect_deadline_ms: Option<u64>,
    /// The gateway's limits: the defaults for a trace recorded before scenarios set them.
    pub limits: GatewayLimits,
}

impl<'t> Conditions<'t> {
    pub fn of(trace: &'t Trace) -> Conditions<'t> {
        trace
            .records
            .iter()
            .find_map(|record| match &record.event {
                Event::Conditions {
                    latency_ms,
                    links,
                    warmup_ms,
                    idle_timeout_ms,
                    connect_deadline_ms,
                    limits,
                    ..
                } => Some(Conditions {
                    limits: limits.clone().unwrap_or_default(),
                    latency_ms: *latency_ms,
                    links,
                    warmup_ms: Some(warmup_ms),
                    idle_timeout_ms: Some(*idle_timeout_ms),
                    connect_deadline_ms: Some(*connect_deadline_ms),
                }),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The least and the most a message between `a` and `b` may take, one way, either way. The
    /// simulator sets link latencies in order, so the last entry for a link is the one in force.
    pub fn latency(&self, a: &str, b: &str) -> (u64, u64) {
        let between = |l: &&LinkLatency| (l.a == a && l.b == b) || (l.a == b && l.b == a);
        self.links.iter().rev().find(between).map_or(self.latency_ms, |link| link.latency_ms)
    }

    /// The most a message between `a` and `b` may take, one way.
    pub fn max_latency(&self, a: &str, b: &str) -> u64 {
        self.latency(a, b).1
    }

    /// How long `service` answers 503 after each start.
    pub fn warmup(&self, service: &str) -> u64 {
        self.warmup_ms.and_then(|w| w.get(service)).copied().unwrap_or(0)
    }
}
