//! The wire between hosts: every packet a host sends waits here until its delivery instant, and
//! the scenario's link faults decide its fate.
//!
//! - **Latency** is drawn per packet from the link's range, from the run's seeded RNG, and stamped
//!   from the exact instant the packet left. As in turmoil 0.7, the draw is exponential (mean a
//!   fifth of the way up the range, capped at its top): most packets are fast, a few are slow,
//!   which is what the scenarios' latency ranges were drawn for. A flow (one direction of one
//!   connection) is a queue: a packet never overtakes an earlier one of its flow (turmoil-net's
//!   TCP accepts segments only in order and, with retransmission off, would stall on a gap), as
//!   routers keep a flow's packets in order. Other connections between the same two hosts are not
//!   held up by it: a queue per host pair would make one slow draw delay every packet behind it,
//!   so that under load every link ran at its slowest.
//! - **Same-instant order** is drawn from the seed: packets due at one instant are delivered flow
//!   by flow in an order a seeded hash of the flow and the instant decides, FIFO within a flow.
//! - **Partitions** drop what is due on the link; **holds** keep it until the release, which
//!   delivers it at once, in order. Neither ever drops a packet a hold kept.
//! - **Crashes**: a packet from or to a host lifetime that has ended is lost, as what was in
//!   flight to or from a machine that lost power is.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::net::IpAddr;
use std::time::Duration;

use rand::Rng as _;
use tokio::time::Instant;
use turmoil_net::{Packet, Transport};

use super::tasks::HostIndex;
use crate::clock::{Rng, seeded_rng};

/// A link's latency bounds in milliseconds, both included.
pub type LatencyMs = (u64, u64);

/// The rate of the exponential latency draw: its mean is a fifth of the range.
const LATENCY_RATE: f64 = 5.0;

/// What a link fault does to the packets due on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Partitioned,
    Held,
}

pub struct Wire {
    endpoints: Vec<Endpoint>,
    by_ip: BTreeMap<IpAddr, HostIndex>,
    latency: LatencyMs,
    /// Latency of the links that differ from `latency`, by their two hosts in order.
    links: BTreeMap<(HostIndex, HostIndex), LatencyMs>,
    faults: BTreeMap<(HostIndex, HostIndex), LinkState>,
    rng: Rng,
    /// Salts the same-instant order.
    salt: u64,
    origin: Instant,
    in_flight: BTreeMap<(Instant, u64, u64), InFlight>,
    /// When the last packet sent on each flow still in flight is due, and its number.
    last_due: BTreeMap<Flow, (Instant, u64)>,
    held: BTreeMap<(HostIndex, HostIndex), Vec<InFlight>>,
    sent: u64,
}

/// One direction of one connection: its two hosts and its two ports, in the packet's direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Flow {
    from: HostIndex,
    to: HostIndex,
    ports: (u16, u16),
}

struct Endpoint {
    up: bool,
    incarnation: u32,
}

struct InFlight {
    packet: Packet,
    flow: Flow,
    /// Its number in sending order, which also orders it among its flow's packets due at one
    /// instant.
    sent: u64,
    /// Both ends' lifetimes when it was sent.
    incarnations: (u32, u32),
}

impl Wire {
    pub fn new(latency: LatencyMs, seed: u64) -> Wire {
        let mut rng = seeded_rng(seed);
        let salt = rng.random();
        Wire {
            endpoints: Vec::new(),
            by_ip: BTreeMap::new(),
            latency,
            links: BTreeMap::new(),
            faults: BTreeMap::new(),
            rng,
            salt,
            origin: Instant::now(),
            in_flight: BTreeMap::new(),
            last_due: BTreeMap::new(),
            held: BTreeMap::new(),
            sent: 0,
        }
    }

    pub fn add_host(&mut self, host: HostIndex, ip: IpAddr) {
        debug_assert_eq!(host, self.endpoints.len());
        self.endpoints.push(Endpoint { up: false, incarnation: 0 });
        self.by_ip.insert(ip, host);
    }

    /// Stamps the instant simulated time starts from; same-instant order is drawn from it.
    pub fn start(&mut self, origin: Instant) {
        self.origin = origin;
    }

    pub fn set_latency(&mut self, a: HostIndex, b: HostIndex, latency: LatencyMs) {
        self.links.insert(link(a, b), latency);
    }

    pub fn set_fault(&mut self, a: HostIndex, b: HostIndex, state: Option<LinkState>) {
        match state {
            Some(state) => {
                self.faults.insert(link(a, b), state);
            }
            None => {
                self.faults.remove(&link(a, b));
            }
        }
    }

    /// A new lifetime of `host` begins.
    pub fn host_up(&mut self, host: HostIndex) {
        let endpoint = &mut self.endpoints[host];
        endpoint.up = true;
        endpoint.incarnation += 1;
    }

    pub fn host_down(&mut self, host: HostIndex) {
        self.endpoints[host].up = false;
    }

    /// Takes a packet a host just sent at `now`.
    pub fn send(&mut self, now: Instant, packet: Packet) {
        let (Some(&from), Some(&to)) = (self.by_ip.get(&packet.src), self.by_ip.get(&packet.dst)) else {
            return;
        };
        // A crashed host's last words (the FIN and RST of its sockets closing) never leave it.
        if !self.endpoints[from].up {
            return;
        }
        let range = self.links.get(&link(from, to)).copied().unwrap_or(self.latency);
        let latency = self.draw_latency(range);
        let flow = Flow { from, to, ports: ports(&packet) };
        self.sent += 1;
        let sent = self.sent;
        let last = self.last_due.entry(flow).or_insert((now, sent));
        let due = (now + latency).max(last.0);
        *last = (due, sent);
        let incarnations = (self.endpoints[from].incarnation, self.endpoints[to].incarnation);
        self.queue(due, InFlight { packet, flow, sent, incarnations });
    }

    /// The next packet due by `now` that the faults let through, if any.
    pub fn next_due(&mut self, now: Instant) -> Option<Packet> {
        loop {
            let entry = self.in_flight.first_entry().filter(|entry| entry.key().0 <= now)?;
            let in_flight = entry.remove();
            // The flow's last packet has left the wire: its next is free of its due time.
            if let Entry::Occupied(last) = self.last_due.entry(in_flight.flow)
                && last.get().1 == in_flight.sent
            {
                last.remove();
            }
            let Flow { from, to, .. } = in_flight.flow;
            let alive = |end: HostIndex, incarnation: u32| {
                let endpoint = &self.endpoints[end];
                endpoint.up && endpoint.incarnation == incarnation
            };
            if !alive(from, in_flight.incarnations.0) || !alive(to, in_flight.incarnations.1) {
                continue;
            }
            match self.faults.get(&link(from, to)) {
                Some(LinkState::Partitioned) => continue,
                Some(LinkState::Held) => self.held.entry(link(from, to)).or_default().push(in_flight),
                None => return Some(in_flight.packet),
            }
        }
    }

    /// Lets what a hold kept on the link go, due at `now`, in the order it was sent: ahead of
    /// anything its flows sent since, which is due no sooner and was sent later.
    pub fn release(&mut self, a: HostIndex, b: HostIndex, now: Instant) {
        self.set_fault(a, b, None);
        for in_flight in self.held.remove(&link(a, b)).unwrap_or_default() {
            self.queue(now, in_flight);
        }
    }

    /// When the next packet is due, if one is in flight.
    pub fn next_delivery(&self) -> Option<Instant> {
        self.in_flight.first_key_value().map(|(key, _)| key.0)
    }

    fn draw_latency(&mut self, (min, max): LatencyMs) -> Duration {
        // Exponential with rate 5, by inversion: 1 - u is in (0, 1], so its log is finite.
        let fraction = -(1.0 - self.rng.random::<f64>()).ln() / LATENCY_RATE;
        let extra = ((max - min) as f64 * fraction) as u64;
        Duration::from_millis((min + extra).min(max))
    }

    fn queue(&mut self, due: Instant, in_flight: InFlight) {
        let order = self.same_instant_order(in_flight.flow, due);
        self.in_flight.insert((due, order, in_flight.sent), in_flight);
    }

    /// A rank for the flow at the instant, drawn from the seed: one flow's packets share it,
    /// so they stay in order among themselves.
    fn same_instant_order(&self, flow: Flow, due: Instant) -> u64 {
        let nanos = u64::try_from(due.duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX);
        let hosts = ((flow.from as u64) << 32) | flow.to as u64;
        let ports = (u64::from(flow.ports.0) << 16) | u64::from(flow.ports.1);
        splitmix(self.salt ^ splitmix(hosts ^ splitmix(ports ^ splitmix(nanos))))
    }
}

/// A packet's source and destination ports.
fn ports(packet: &Packet) -> (u16, u16) {
    match &packet.payload {
        Transport::Tcp(segment) => (segment.src_port, segment.dst_port),
        Transport::Udp(datagram) => (datagram.src_port, datagram.dst_port),
    }
}

/// A link's key: its two hosts in order.
fn link(a: HostIndex, b: HostIndex) -> (HostIndex, HostIndex) {
    if a <= b { (a, b) } else { (b, a) }
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of a 64-bit value.
fn splitmix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
