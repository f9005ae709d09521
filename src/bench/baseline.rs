//! The yardstick the engine is measured against: the standard scenario's services and clients,
//! without faults, on turmoil 0.7's `Sim` with 1 ms ticks, the simulator gatesim had before its
//! event-driven engine. Kept to what that takes: the seam over `turmoil::net`, turmoil's clock,
//! and one run. Nothing else uses turmoil 0.7.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::task::JoinHandle;

use super::simulated::{Batch, all_completed};
use crate::clock::Clock;
use crate::net::{Listener, Net};
use crate::sim::Scenario;
use crate::sim::clock::epoch;
use crate::sim::hosts::Service;
use crate::sim::scenario::{SERVICES, client_host};
use crate::sim::seeds::{Purpose, derive, rng};
use crate::sim::trace::Recorder;
use crate::sim::workload::clients;

/// Runs the standard scenario with seeds 0 to `runs - 1` on turmoil 0.7, on this thread.
pub(super) fn standard(runs: u64) -> anyhow::Result<Batch> {
    let started = Instant::now();
    let mut simulated = Duration::ZERO;
    for seed in 0..runs {
        simulated += run(&Scenario::standard(seed))?;
    }
    Ok(Batch { wall: started.elapsed(), simulated })
}

/// One run; an error unless every message completed.
fn run(scenario: &Scenario) -> anyhow::Result<Duration> {
    let (min, max) = scenario.network.latency_ms;
    let mut sim = turmoil::Builder::new()
        .rng_seed(derive(scenario.seed, Purpose::Network))
        .epoch(epoch())
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_millis(scenario.duration_ms()))
        .min_message_latency(Duration::from_millis(min))
        .max_message_latency(Duration::from_millis(max))
        .enable_random_order()
        .build();
    let recorder = Recorder::with_clock(turmoil::sim_elapsed);
    for name in SERVICES {
        let service = Service::new(scenario, name, &recorder);
        let seed = scenario.seed;
        sim.host(name, move || {
            let service = service.clone();
            async move {
                let rng = rng(seed, Purpose::Service { host: name, incarnation: 1 });
                Ok(service.serve_on(TurmoilNet, Arc::new(TurmoilClock), rng).await?)
            }
        });
    }
    let pending = clients(scenario, 0, Arc::new(TurmoilClock), &recorder);
    sim.client(client_host(0), async move {
        join_all(pending.into_iter().map(|client| client.start(TurmoilNet))).await;
        Ok(())
    });
    sim.run().map_err(|error| anyhow::anyhow!("seed {} on turmoil 0.7: {error}", scenario.seed))?;
    all_completed(scenario, &recorder.take_trace())?;
    Ok(sim.elapsed())
}

/// The seam over turmoil 0.7's network. Each turmoil host has a runtime of its own, so a task
/// spawned with tokio stays on its host.
#[derive(Clone, Copy)]
struct TurmoilNet;

impl Net for TurmoilNet {
    type Stream = turmoil::net::TcpStream;
    type Listener = TurmoilListener;

    async fn bind(&self, addr: SocketAddr) -> io::Result<TurmoilListener> {
        Ok(TurmoilListener(turmoil::net::TcpListener::bind(addr).await?))
    }

    async fn connect(&self, addr: &str) -> io::Result<turmoil::net::TcpStream> {
        turmoil::net::TcpStream::connect(addr).await
    }

    fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(task)
    }
}

struct TurmoilListener(turmoil::net::TcpListener);

impl Listener for TurmoilListener {
    type Io = turmoil::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (turmoil::net::TcpStream, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok(accepted) => return accepted,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// turmoil's simulated wall clock.
struct TurmoilClock;

impl Clock for TurmoilClock {
    fn since_epoch(&self) -> Duration {
        turmoil::since_epoch().expect("read only inside a turmoil host")
    }
}
