//! What the trace says about the services and the links over time: when each service ran, and
//! when each link was partitioned or held. Liveness asks it whether everything had healed by the
//! end; the dependency-outage and idle-timeout checkers ask whether a dependency, or a client's
//! link, was sound through one session's moments.

use std::collections::BTreeMap;

use crate::sim::trace::{Event, Fault, Trace};

/// Simulated time from `from` until `to` ms, or until the end of the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    from: u64,
    to: Option<u64>,
}

impl Span {
    fn is_open(self) -> bool {
        self.to.is_none()
    }

    /// Whether the span shares a millisecond with `from..=to`.
    fn meets(self, from: u64, to: u64) -> bool {
        self.from <= to && self.to.is_none_or(|end| end >= from)
    }
}

#[derive(Debug, Default)]
pub struct History<'t> {
    /// Each service's lifetimes: from a start to the crash, bounce or failure that ended it.
    lifetimes: BTreeMap<&'t str, Vec<Span>>,
    /// Each faulted link's faults, its hosts in order: from a partition or hold to the repair or
    /// release that ended it. Overlapping faults on one link all end with the first end.
    link_faults: BTreeMap<(&'t str, &'t str), Vec<Span>>,
    /// When the last fault (crash, bounce, partition, repair, hold, release) was applied; 0
    /// without one.
    pub last_fault_ms: u64,
}

impl<'t> History<'t> {
    pub fn of(trace: &'t Trace) -> History<'t> {
        let mut history = History::default();
        for record in &trace.records {
            let at = record.at_ms;
            match &record.event {
                Event::ServiceStarted { .. } => {
                    history.end_lifetime(&record.host, at);
                    history.lifetimes.entry(&record.host).or_default().push(Span { from: at, to: None });
                }
                Event::ServiceFailed { .. } | Event::ServiceStopped { .. } => {
                    history.end_lifetime(&record.host, at);
                }
                Event::Fault { fault } => {
                    history.last_fault_ms = at;
                    match fault {
                        // A client host has no lifetimes here: its crash ends only its sessions.
                        // A bounce's restart is recorded as the next lifetime's start.
                        Fault::Crash { host } | Fault::Bounce { host } => history.end_lifetime(host, at),
                        // The lifetime ends when its `serve` returns.
                        Fault::Stop { .. } => {}
                        Fault::Partition { a, b } | Fault::Hold { a, b } => {
                            let faults = history.link_faults.entry(link(a, b)).or_default();
                            if !faults.last().is_some_and(|span| span.is_open()) {
                                faults.push(Span { from: at, to: None });
                            }
                        }
                        Fault::Repair { a, b } | Fault::Release { a, b } => {
                            let faults = history.link_faults.get_mut(&link(a, b));
                            if let Some(open) = faults.and_then(|f| f.last_mut()).filter(|s| s.is_open()) {
                                open.to = Some(at);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        history
    }

    fn end_lifetime(&mut self, host: &str, at: u64) {
        let current = self.lifetimes.get_mut(host).and_then(|spans| spans.last_mut());
        if let Some(open) = current.filter(|span| span.is_open()) {
            open.to = Some(at);
        }
    }

    /// When `service` first started.
    pub fn first_start(&self, service: &str) -> Option<u64> {
        Some(self.lifetimes.get(service)?.first()?.from)
    }

    /// When `service` last started, if it was still running at the end of the trace.
    pub fn running_since(&self, service: &str) -> Option<u64> {
        let last = self.lifetimes.get(service)?.last()?;
        last.is_open().then_some(last.from)
    }

    /// Whether some link was still partitioned or held at the end of the trace.
    pub fn a_link_faulted_at_end(&self) -> bool {
        self.link_faults.values().any(|faults| faults.last().is_some_and(|span| span.is_open()))
    }

    /// Whether `service` ran, warmed up (`warmup_ms` after its start), through all of `from..=to`.
    pub fn served_throughout(&self, service: &str, warmup_ms: u64, from: u64, to: u64) -> bool {
        let lifetimes = self.lifetimes.get(service).map_or(&[][..], Vec::as_slice);
        lifetimes.iter().any(|span| span.from + warmup_ms <= from && span.to.is_none_or(|end| end > to))
    }

    /// Whether `service` may have been running, warmed up, at some moment of `from..=to`: the
    /// trace's milliseconds are rounded down, so a start at `s` may have been just before
    /// `s + 1`, and a crash at `c` just before `c + 1`.
    pub fn may_have_served_during(&self, service: &str, warmup_ms: u64, from: u64, to: u64) -> bool {
        let lifetimes = self.lifetimes.get(service).map_or(&[][..], Vec::as_slice);
        lifetimes.iter().any(|span| span.from + warmup_ms <= to && span.to.is_none_or(|end| end >= from))
    }

    /// Whether the link between `a` and `b` was partitioned or held at some moment of `from..=to`.
    pub fn link_faulted_during(&self, a: &str, b: &str, from: u64, to: u64) -> bool {
        let faults = self.link_faults.get(&link(a, b)).map_or(&[][..], Vec::as_slice);
        faults.iter().any(|span| span.meets(from, to))
    }
}

/// A link's two hosts, in order.
fn link<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::TraceBuilder;
    use crate::sim::scenario::{AUTH, GATEWAY, IDGEN};

    #[test]
    fn lifetimes_end_with_crashes_and_bounces_and_restart_with_the_next_start() {
        let trace = TraceBuilder::new()
            .at(100)
            .fault(Fault::Crash { host: AUTH.into() })
            .at(400)
            .record(AUTH, Event::ServiceStarted { incarnation: 2 })
            .at(600)
            .fault(Fault::Bounce { host: IDGEN.into() })
            .build();
        let history = History::of(&trace);
        assert_eq!(history.running_since(AUTH), Some(400));
        assert_eq!(history.running_since(IDGEN), None, "the bounce's restart is not in the trace");
        assert!(history.served_throughout(AUTH, 0, 10, 99));
        assert!(!history.served_throughout(AUTH, 0, 50, 450), "down from 100 to 400 ms");
        assert!(history.served_throughout(AUTH, 0, 400, 10_000));
        assert!(!history.served_throughout(AUTH, 50, 420, 10_000), "still warming up at 420 ms");
        assert!(!history.served_throughout(IDGEN, 0, 500, 600));
        assert_eq!(history.last_fault_ms, 600);
    }

    #[test]
    fn a_link_is_faulted_from_its_first_fault_to_the_first_repair_or_release() {
        let trace = TraceBuilder::new()
            .at(100)
            .fault(Fault::Partition { a: GATEWAY.into(), b: AUTH.into() })
            .at(150)
            .fault(Fault::Hold { a: AUTH.into(), b: GATEWAY.into() })
            .at(200)
            .fault(Fault::Repair { a: GATEWAY.into(), b: AUTH.into() })
            .at(300)
            .fault(Fault::Hold { a: GATEWAY.into(), b: "client-0".into() })
            .build();
        let history = History::of(&trace);
        assert!(history.link_faulted_during(AUTH, GATEWAY, 0, 100));
        assert!(history.link_faulted_during(GATEWAY, AUTH, 200, 250));
        assert!(!history.link_faulted_during(GATEWAY, AUTH, 201, 10_000), "the repair ended both");
        assert!(!history.link_faulted_during(GATEWAY, IDGEN, 0, 10_000));
        assert!(history.link_faulted_during("client-0", GATEWAY, 5000, 6000));
        assert!(history.a_link_faulted_at_end());
    }
}
