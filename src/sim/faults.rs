//! The fault injector: applies the scenario's restarts, partitions and holds from the simulator's
//! step loop (crash and bounce exist only on `turmoil::Sim`), at absolute times or at times
//! relative to what the clients have done so far, read from the trace.
//!
//! A crashed or bounced host goes silent, as a machine that loses power does: what was in flight
//! to or from it is lost, and its peers learn of it by timeouts, or by a reset when they next
//! send to its new lifetime. turmoil itself would have the dying host send a FIN or RST on every
//! connection, in the order tokio drops its tasks, and that order follows task ids, which are
//! global to the process: two runs of one seed in one process (a sweep, a test) would differ. So
//! the host is cut off from every other host while it goes down, which discards those messages
//! without consuming the network's RNG, and its links are put back as they were.
//!
//! A client host crashes for good (its clients' connections become half-open): it is cut off from
//! every other host and stays cut off, whatever link faults follow, and its plug is pulled.

use std::collections::{BTreeMap, BTreeSet};

use turmoil::Sim;

use super::client::message_id;
use super::scenario::{At, LinkFault, Milestone, Restart, SERVICES, Scenario, client_host};
use super::trace::{Event, Fault, Record, Recorder, SIM_HOST};
use super::workload::Plug;
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

/// A link fault in force, keyed by the link's two hosts in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkState {
    Partitioned,
    Held,
}

pub(super) struct Injector {
    /// In scenario order, so that faults due at the same millisecond apply in a fixed order.
    planned: Vec<Planned>,
    /// How many trace records have been looked at for milestones.
    scanned: usize,
    hosts: Vec<String>,
    links: BTreeMap<(String, String), LinkState>,
    /// The client hosts' plugs, and the client hosts that have crashed.
    plugs: BTreeMap<String, Plug>,
    crashed: BTreeSet<String>,
}

impl Injector {
    pub fn new(scenario: &Scenario, plugs: BTreeMap<String, Plug>) -> Injector {
        let mut planned = Vec::new();
        for name in SERVICES {
            for restart in &scenario.service(name).restarts {
                let host = name.to_owned();
                let (fault, then) = match restart {
                    Restart::Bounce { .. } => (Fault::Bounce { host }, None),
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
        let hosts = scenario.hosts();
        Injector { planned, scanned: 0, hosts, links: BTreeMap::new(), plugs, crashed: BTreeSet::new() }
    }

    /// Applies every fault that is due at the simulation's current time.
    pub fn apply_due(&mut self, sim: &mut Sim<'_>, recorder: &Recorder) {
        let now = u64::try_from(sim.elapsed().as_millis()).unwrap_or(u64::MAX);
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
        // Runs every tick: most ticks have nothing due, so leave the plan list as it is.
        if !self.planned.iter().any(is_due) {
            return;
        }
        let (due, waiting): (Vec<_>, Vec<_>) = self.planned.drain(..).partition(is_due);
        self.planned = waiting;
        for plan in due {
            self.apply(sim, &plan.fault);
            recorder.record_at(now, SIM_HOST, Event::Fault { fault: plan.fault });
            if let Some((after_ms, fault)) = plan.then {
                self.planned.push(Planned { when: When::Ms(now + after_ms), fault, then: None });
            }
        }
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
    fn apply(&mut self, sim: &mut Sim<'_>, fault: &Fault) {
        if let Some((a, b)) = fault.link()
            && (self.crashed.contains(a) || self.crashed.contains(b))
        {
            return;
        }
        match fault {
            Fault::Crash { host } => match self.plugs.get(host).cloned() {
                Some(plug) => self.pull_plug(sim, host, &plug),
                None => self.silently(sim, host, |sim| sim.crash(host.as_str())),
            },
            Fault::Bounce { host } => self.silently(sim, host, |sim| sim.bounce(host.as_str())),
            Fault::Partition { a, b } => {
                sim.partition(a.as_str(), b.as_str());
                self.links.insert(link(a, b), LinkState::Partitioned);
            }
            Fault::Repair { a, b } => {
                sim.repair(a.as_str(), b.as_str());
                self.links.remove(&link(a, b));
            }
            Fault::Hold { a, b } => {
                sim.hold(a.as_str(), b.as_str());
                self.links.insert(link(a, b), LinkState::Held);
            }
            Fault::Release { a, b } => {
                sim.release(a.as_str(), b.as_str());
                self.links.remove(&link(a, b));
            }
        }
    }

    /// Runs `stop` (a crash or a bounce of `host`) with `host` cut off from every other host, then
    /// puts each of its links back in the state the scenario's faults left it in.
    fn silently(&self, sim: &mut Sim<'_>, host: &str, stop: impl FnOnce(&mut Sim<'_>)) {
        let others = self.hosts.iter().filter(|other| *other != host);
        for other in others.clone() {
            sim.partition(host, other.as_str());
        }
        stop(sim);
        for other in others {
            match self.links.get(&link(host, other)) {
                Some(LinkState::Partitioned) => {}
                Some(LinkState::Held) => sim.hold(host, other.as_str()),
                None => sim.repair(host, other.as_str()),
            }
        }
    }

    /// Crashes client host `host` for good: cut off from every other host, then its plug pulled.
    fn pull_plug(&mut self, sim: &mut Sim<'_>, host: &str, plug: &Plug) {
        for other in self.hosts.iter().filter(|other| *other != host) {
            sim.partition(host, other.as_str());
            self.links.insert(link(host, other), LinkState::Partitioned);
        }
        self.crashed.insert(host.to_owned());
        plug.pull();
    }
}

fn link(a: &str, b: &str) -> (String, String) {
    if a <= b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) }
}
