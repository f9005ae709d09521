//! The event-driven engine (`docs/design.md` §3.2, `docs/engine.md`): every host of a run on one current-thread
//! tokio runtime with a paused clock, turmoil-net's socket stack between them, and the
//! [`wire`] holding what is in flight.
//!
//! The scheduler is the future the runtime blocks on. Each pass it lets the fault injector act,
//! routes what the hosts sent (turmoil-net's egress) onto the wire, and delivers what is due,
//! until nothing moves; then it waits for whichever comes first: tasks were polled (any poll may
//! have queued a packet) or the next delivery. It hears of polls when the runtime has nothing
//! left to run, just before its paused clock may jump (a runtime hook after each poll marks it,
//! the park hook tells the scheduler): every task runnable at an instant runs, then one pass
//! routes all they sent, stamped with that instant. A pass scans every socket of every host
//! (turmoil-net's egress has no other way), so one pass per quiet moment rather than one per
//! poll is what keeps many sessions affordable. When nothing is runnable and nothing is due,
//! the clock jumps straight to the earliest timer of any host or the next delivery: no simulated
//! millisecond is spent idle, and every packet leaves and arrives at its exact instant.
//!
//! - [`tasks`]: which host each task belongs to, and stopping a crashed host's tasks.
//! - [`wire`]: latency, same-instant order, partitions, holds, lost packets of crashed hosts.
//! - [`crash`]: a host losing power.
//! - [`gaps`]: what turmoil-net lacks, worked around.

mod crash;
mod gaps;
pub mod tasks;
#[cfg(test)]
mod tests;
mod wire;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::{Builder, RngSeed, Runtime};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use turmoil_net::{EnterGuard, KernelConfig, Net, Packet};

use super::clock;
pub use tasks::HostIndex;
use tasks::Tasks;
use wire::Wire;
pub use wire::{LatencyMs, LinkState};

/// A host's software: started once per lifetime, with the lifetime's number from 1.
pub type Software = Box<dyn FnMut(HostHandle, u32) -> BoxedRun>;
pub type BoxedRun = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Listen backlog of every socket. turmoil-net drops a SYN over the backlog, and with
/// retransmission off a dropped SYN is a connect that never completes: when a hold is released,
/// every connect the gateway retried during it arrives at once.
const BACKLOG: usize = 1 << 16;

/// Every socket's receive buffer, which is the window its peer may send into before it waits for
/// the reader to take some: a checker that bounds when bytes arrived must know it.
pub const RECEIVE_WINDOW_BYTES: usize = 64 * 1024;

/// How a run's network behaves, as plain data.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    /// The latency of every link not in `links`.
    pub latency_ms: LatencyMs,
    /// Links with their own latency.
    pub links: Vec<(String, String, LatencyMs)>,
    /// Seeds the latency draws and the same-instant order.
    pub seed: u64,
}

/// A handle on one host, given to its software: what it spawns through it belongs to the host.
#[derive(Clone)]
pub struct HostHandle {
    index: HostIndex,
    ip: IpAddr,
    tasks: Arc<Tasks>,
}

impl HostHandle {
    /// The host's address on the simulated network.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tasks.spawn(self.index, task)
    }
}

/// What the scheduler's caller wants after a pass.
pub enum Step {
    /// Run on, waking no later than this instant if given.
    Until(Option<Instant>),
    Done,
}

pub struct Engine {
    // Fields drop in order: the runtime, whose tasks hold sockets, before the world and its
    // network, which those sockets close through.
    runtime: Runtime,
    world: World,
}

/// Everything the scheduler's caller may look at or change between passes.
pub struct World {
    tasks: Arc<Tasks>,
    wire: Wire,
    hosts: Vec<Host>,
    egress: Vec<Packet>,
    origin: Instant,
    /// Scheduler passes so far: the measure of how much of a run is the engine's own stepping.
    passes: u64,
    network: EnterGuard,
}

struct Host {
    name: String,
    ip: IpAddr,
    software: Option<Software>,
    lifetimes: u32,
    up: bool,
    main: Option<JoinHandle<()>>,
}

impl Engine {
    /// An engine with `hosts`, none running yet; `runtime_seed` seeds tokio's own RNG.
    pub fn new(hosts: &[String], config: &NetworkConfig, runtime_seed: u64) -> Engine {
        // turmoil-net retransmits after a count of egress passes, and this engine makes a pass per
        // event: a healthy connection waiting for a slow link would be retransmitted and reset.
        // No fault needs retransmission (holds delay, partitions drop, crashes end connections),
        // so it is off.
        let kernel = KernelConfig::default()
            .retx_threshold(u32::MAX)
            .default_backlog(BACKLOG)
            .recv_buf_cap(RECEIVE_WINDOW_BYTES);
        let mut net = Net::with_config(kernel);
        let tasks = Arc::new(Tasks::default());
        let mut wire = Wire::new(config.latency_ms, config.seed);
        let hosts: Vec<Host> = hosts
            .iter()
            .map(|name| {
                let network_id = net.add_host(name.as_str());
                let ip = net.lookup(name);
                let index = tasks.add_host(name, network_id);
                wire.add_host(index, ip);
                Host { name: name.clone(), ip, software: None, lifetimes: 0, up: false, main: None }
            })
            .collect();
        let mut world = World {
            tasks,
            wire,
            hosts,
            egress: Vec::new(),
            origin: Instant::now(),
            passes: 0,
            network: net.enter(),
        };
        for (a, b, latency) in &config.links {
            let (a, b) = (world.host(a), world.host(b));
            world.wire.set_latency(a, b, *latency);
        }
        let runtime = runtime(&world.tasks, runtime_seed);
        Engine { runtime, world }
    }

    /// How many passes the scheduler has made.
    pub fn passes(&self) -> u64 {
        self.world.passes
    }

    /// Gives `host` its software, started when the run starts and again on every restart.
    pub fn install(&mut self, host: &str, software: Software) {
        let index = self.world.host(host);
        self.world.hosts[index].software = Some(software);
    }

    /// Runs until `step` says it is done, an error ends the run, or `limit` of simulated time has
    /// passed. `step` is called once per scheduler pass, before packets move.
    pub fn run(&mut self, limit: Duration, mut step: impl FnMut(&mut World) -> Step) -> Result<(), String> {
        let Engine { runtime, world, .. } = self;
        let quiet = world.tasks.quiet();
        runtime.block_on(async {
            world.origin = Instant::now();
            world.wire.start(world.origin);
            let _clock = clock::start(world.origin);
            for index in 0..world.hosts.len() {
                if world.hosts[index].software.is_some() {
                    world.boot(index);
                }
            }
            let end = world.origin + limit;
            loop {
                world.passes += 1;
                let wake = match step(world) {
                    Step::Done => return Ok(()),
                    Step::Until(wake) => wake,
                };
                world.pump(false);
                if let Some(problem) = world.tasks.take_problems().into_iter().next() {
                    return Err(problem);
                }
                if Instant::now() >= end {
                    return Err(format!(
                        "ran for {} ms of simulated time without finishing",
                        limit.as_millis()
                    ));
                }
                let wake = [wake, world.wire.next_delivery()].into_iter().flatten().fold(end, Instant::min);
                tokio::select! {
                    biased;
                    () = quiet.notified() => {}
                    () = sleep_until(wake) => {}
                }
            }
        })
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Stop every host while turmoil-net can still be told whose sockets are closing; the
        // runtime then drops only empty shells.
        let _context = self.runtime.enter();
        for index in 0..self.world.hosts.len() {
            self.world.tasks.stop_host(index);
        }
    }
}

impl World {
    /// Milliseconds of simulated time since the run started.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The instant `ms` milliseconds into the run.
    pub fn instant(&self, ms: u64) -> Instant {
        self.origin + Duration::from_millis(ms)
    }

    /// Whether `host`'s software has finished, or the host is down.
    pub fn is_finished(&self, host: &str) -> bool {
        let host = &self.hosts[self.host(host)];
        !host.up || host.main.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Starts `host` with `software` now.
    pub fn start(&mut self, host: &str, software: Software) {
        let index = self.host(host);
        self.hosts[index].software = Some(software);
        self.boot(index);
    }

    /// `host` loses power: its tasks stop, its sockets vanish without a word to their peers, and
    /// whatever was in flight to or from it is lost.
    pub fn crash(&mut self, host: &str) {
        let index = self.host(host);
        self.pump(false);
        crash::power_off(self, index);
    }

    /// `host` boots a new lifetime of its software, losing power first if it is up.
    pub fn bounce(&mut self, host: &str) {
        let index = self.host(host);
        if self.hosts[index].up {
            self.crash(host);
        }
        self.boot(index);
    }

    pub fn set_link(&mut self, a: &str, b: &str, state: Option<LinkState>) {
        let (a, b) = (self.host(a), self.host(b));
        match state {
            None => self.wire.release(a, b, Instant::now()),
            Some(state) => self.wire.set_fault(a, b, Some(state)),
        }
    }

    fn host(&self, name: &str) -> HostIndex {
        self.hosts
            .iter()
            .position(|host| host.name == name)
            .unwrap_or_else(|| panic!("{name} is not a host of this run"))
    }

    fn boot(&mut self, index: HostIndex) {
        let host = &mut self.hosts[index];
        host.lifetimes += 1;
        host.up = true;
        self.wire.host_up(index);
        let handle = HostHandle { index, ip: host.ip, tasks: Arc::clone(&self.tasks) };
        let software = host.software.as_mut().expect("a host boots only with software");
        let run = software(handle.clone(), host.lifetimes);
        let tasks = Arc::clone(&self.tasks);
        host.main = Some(handle.spawn(async move {
            if let Err(error) = run.await {
                tasks.report(index, error);
            }
        }));
    }

    /// Moves packets until nothing moves: what hosts sent goes onto the wire, what is due is
    /// delivered, and a delivery may make a host answer at once. An egress scans every socket of
    /// every host, so it runs only when something can have been sent: a task ran or stopped, a
    /// packet was delivered, or `unrouted` says so.
    fn pump(&mut self, unrouted: bool) {
        let now = Instant::now();
        let mut unrouted = self.tasks.take_unrouted() || unrouted;
        loop {
            if unrouted {
                self.network.egress_all(&mut self.egress);
                for packet in self.egress.drain(..) {
                    self.wire.send(now, packet);
                }
            }
            let mut delivered = false;
            while let Some(packet) = self.wire.next_due(now) {
                if !gaps::resets_a_handshake(&packet) {
                    self.network.deliver(packet);
                    delivered = true;
                }
            }
            if !delivered {
                return;
            }
            unrouted = true;
        }
    }
}

fn runtime(tasks: &Arc<Tasks>, seed: u64) -> Runtime {
    let [spawned, polling, polled, ended, idle] = [(); 5].map(|()| Arc::clone(tasks));
    Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        // Decides the branch order of every unbiased `select!`.
        .rng_seed(RngSeed::from_bytes(&seed.to_le_bytes()))
        .on_task_spawn(move |meta| spawned.on_spawn(meta))
        .on_before_task_poll(move |meta| polling.before_poll(meta))
        .on_after_task_poll(move |_| polled.after_poll())
        .on_task_terminate(move |meta| ended.on_terminate(meta))
        // Called when no task is runnable, before the paused clock may jump: one scheduler pass
        // per quiet moment routes what every task polled since the last one sent.
        .on_thread_park(move || idle.before_idle())
        .build()
        .expect("a current-thread runtime builds")
}
