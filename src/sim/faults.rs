//! The fault injector: applies the scenario's restarts and graceful stops, client host crashes,
//! partitions and holds
//! between the engine's passes, at absolute times or at times relative to what the clients have
//! done so far, read from the trace.
//!
//! A crashed or bounced host goes silent, as a machine that loses power does (see
//! [`super::engine`]). A client host crashes for good, leaving its clients' connections half-open.

use std::collections::BTreeSet;

use super::client::message_id;
use super::engine::{LinkState, World};
use super::hosts::Stops;
use super::scenario::{At, LinkFault, Milestone, Restart, SERVICES, Scenario, client_host};
use super::trace::{Event, Fault, Record, Recorder, SIM_HOST};
use crate::protocol::ServerFrame;

/// A fault waiting for its time, and what undoes it how long after.
#[derive(Clone, Debug)]
struct Planned {
    when: When,
    fault: Fault,
    then: Option<(u64, Fault)>,
}

#[derive(Clone, Debug)]
enum When {
    Ms(u64),
    /// Waiting for `client` to reach `milestone`.
    After {
        client: usize,
        milestone: Milestone,
        delay_ms: u64,
    },
}

pub(super) struct Injector {
    /// In scenario order, so that faults due at the same millisecond apply in a fixed order.
    planned: Vec<Planned>,
    /// How many trace records have been looked at for milestones.
    scanned: usize,
    /// The client hosts that have crashed: faults of their links no longer mean anything.
    crashed: BTreeSet<String>,
    /// Each service's stop signal.
    stops: Stops,
}

impl Injector {
    pub fn new(scenario: &Scenario, stops: Stops) -> Injector {
        let mut planned = Vec::new();
        for name in SERVICES {
            for restart in &scenario.service(name).restarts {
                let host = name.to_owned();
                let (fault, then) = match restart {
                    Restart::Bounce { .. } => (Fault::Bounce { host }, None),
                    Restart::Stop { .. } => (Fault::Stop { host }, None),
                    Restart::Crash { down_ms, .. } => {
                        (Fault::Crash { host: host.clone() }, down_ms.map(|ms| (ms, Fault::Bounce { host })))
                    }
                };
                planned.push(Planned { when: restart.at().into(), fault, then });
            }
        }
        planned.extend(scenario.client_crashes.iter().map(|crash| Planned {
            when: (&crash.at).into(),
            fault: Fault::Crash { host: client_host(crash.host) },
            then: None,
        }));
        let link =
            |fault: &LinkFault, start: fn(String, String) -> Fault, end: fn(String, String) -> Fault| {
                let (a, b) = (fault.a.clone(), fault.b.clone());
                Planned {
                    when: (&fault.at).into(),
                    fault: start(a.clone(), b.clone()),
                    then: Some((fault.duration_ms, end(a, b))),
                }
            };
        let network = &scenario.network;
        planned.extend(
            network
                .partitions
                .iter()
                .map(|f| link(f, |a, b| Fault::Partition { a, b }, |a, b| Fault::Repair { a, b })),
        );
        planned.extend(
            network
                .holds
                .iter()
                .map(|f| link(f, |a, b| Fault::Hold { a, b }, |a, b| Fault::Release { a, b })),
        );
        Injector { planned, scanned: 0, crashed: BTreeSet::new(), stops }
    }

    /// Applies every fault that is due now, and says when the next one is, if that is known yet.
    pub fn apply_due(&mut self, world: &mut World, recorder: &Recorder) -> Option<u64> {
        let now = world.now_ms();
        let planned = &mut self.planned;
        self.scanned = recorder.scan_from(self.scanned, |record| {
            for plan in planned.iter_mut() {
                if let When::After { client, milestone, delay_ms } = plan.when
                    && reached(record, client, milestone)
                {
                    plan.when = When::Ms(record.at_ms + delay_ms);
                }
            }
        });
        let is_due = |plan: &Planned| matches!(plan.when, When::Ms(at) if at <= now);
        // Runs every pass: most passes have nothing due, so leave the plan list as it is.
        if self.planned.iter().any(is_due) {
            let (due, waiting): (Vec<_>, Vec<_>) = self.planned.drain(..).partition(is_due);
            self.planned = waiting;
            for plan in due {
                // A stop means something only to a service that is running.
                if let Fault::Stop { host } = &plan.fault
                    && world.is_finished(host)
                {
                    continue;
                }
                self.apply(world, &plan.fault);
                recorder.record_at(now, SIM_HOST, Event::Fault { fault: plan.fault });
                if let Some((after_ms, fault)) = plan.then {
                    self.planned.push(Planned { when: When::Ms(now + after_ms), fault, then: None });
                }
            }
        }
        self.planned
            .iter()
            .filter_map(|plan| match plan.when {
                When::Ms(at) => Some(at),
                When::After { .. } => None,
            })
            .min()
    }
}

impl From<&At> for When {
    fn from(at: &At) -> When {
        match *at {
            At::Ms(ms) => When::Ms(ms),
            At::After { client, milestone, delay_ms } => When::After { client, milestone, delay_ms },
        }
    }
}

/// Whether `record` is `client` reaching `milestone`.
fn reached(record: &Record, client: usize, milestone: Milestone) -> bool {
    match (&record.event, milestone) {
        (
            Event::Received { client: c, frame: ServerFrame::ConnectionEstablished { .. }, .. },
            Milestone::Established,
        ) => *c == client,
        (Event::Sent { client: c, message, .. }, Milestone::Sent { message: wanted }) => {
            *c == client && *message == wanted
        }
        (
            Event::Received { client: c, frame: ServerFrame::AgentCompleted(event), .. },
            Milestone::Completed { message },
        ) => *c == client && event.message_id == message_id(client, message),
        _ => false,
    }
}

impl Injector {
    fn apply(&mut self, world: &mut World, fault: &Fault) {
        if let Some((a, b)) = fault.link()
            && (self.crashed.contains(a) || self.crashed.contains(b))
        {
            return;
        }
        match fault {
            Fault::Crash { host } => {
                if !SERVICES.contains(&host.as_str()) {
                    self.crashed.insert(host.clone());
                }
                world.crash(host);
            }
            Fault::Bounce { host } => world.bounce(host),
            Fault::Stop { host } => {
                if let Some(stop) = self.stops.get(host.as_str()) {
                    stop.notify_one();
                }
            }
            Fault::Partition { a, b } => world.set_link(a, b, Some(LinkState::Partitioned)),
            Fault::Hold { a, b } => world.set_link(a, b, Some(LinkState::Held)),
            Fault::Repair { a, b } | Fault::Release { a, b } => world.set_link(a, b, None),
        }
    }
}
