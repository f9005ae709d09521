//! The three services as simulated hosts, running the very `serve` functions `gatesim serve` runs,
//! on [`SimNet`], a skewed [`SimClock`] and RNGs derived from the scenario's seed.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::client::GATEWAY_PORT;
use super::clock::SimClock;
use super::engine::{Engine, HostHandle};
use super::net::SimNet;
use super::scenario::{AUTH, GATEWAY, GatewayLimits, IDGEN, SERVICES, Scenario, ServiceSpec};
use super::seeds::{Purpose, derive, rng};
use super::trace::{Event, Recorder};
use crate::clock::{Rng, SharedClock};
use crate::net::Net;
use crate::services::gateway::{Environment, GatewayConfig, Mode, RetryPolicy};
use crate::services::idgen::IdgenConfig;
use crate::services::{Secret, auth, gateway, idgen};

pub const AUTH_PORT: u16 = 8081;
pub const IDGEN_PORT: u16 = 8082;
/// How far past `exp` or before `nbf` auth accepts a token in every simulation: its default.
/// The trace's conditions record it, for the clear-errors checker.
pub const TOKEN_LEEWAY_SECS: u64 = 2;

/// The key the simulation's tokens are signed with. The file says what it is in its name and in
/// its content: a test-only value, never a real secret.
const JWT_SECRET: &str = include_str!("../../fixtures/TEST_ONLY_jwt_secret.txt");
/// What the simulated gateway proves itself to auth with; test-only like the JWT secret.
const SERVICE_SECRET: &str = "TEST-ONLY-gatesim-simulated-service-secret";

pub fn jwt_secret() -> &'static str {
    JWT_SECRET.trim()
}

/// How the simulated gateway retries auth and idgen: the scenario's policy. The trace's
/// conditions record states its connect deadline, which the dependency-outage checker holds 1013s
/// to.
pub(super) fn gateway_retry(scenario: &Scenario) -> RetryPolicy {
    scenario.limits.retry()
}

/// What every lifetime of a service host needs, cloned into each start.
#[derive(Clone)]
pub(crate) struct Service {
    name: &'static str,
    spec: ServiceSpec,
    seed: u64,
    mode: Mode,
    environment: Environment,
    users: BTreeSet<String>,
    idle_timeout: Duration,
    retry: RetryPolicy,
    limits: GatewayLimits,
    recorder: Recorder,
    /// Asks the running lifetime to shut down gracefully; a permit left by a stop asked before
    /// `serve` began stops it as soon as it does.
    stop: Arc<Notify>,
}

/// Installs auth, idgen and the gateway on their hosts, and gives back each one's stop signal.
pub(super) fn register(engine: &mut Engine, scenario: &Scenario, recorder: &Recorder) -> Stops {
    let mut stops = Stops::new();
    for name in SERVICES {
        let service = Service::new(scenario, name, recorder);
        stops.insert(name, Arc::clone(&service.stop));
        engine.install(
            name,
            Box::new(move |host, incarnation| Box::pin(service.clone().run(host, incarnation))),
        );
    }
    stops
}

/// Each service's stop signal, by name.
pub(super) type Stops = BTreeMap<&'static str, Arc<Notify>>;

impl Service {
    /// Service `name` as `scenario` runs it.
    pub(crate) fn new(scenario: &Scenario, name: &'static str, recorder: &Recorder) -> Service {
        Service {
            name,
            spec: scenario.service(name).clone(),
            seed: scenario.seed,
            mode: scenario.mode,
            environment: scenario.environment.clone(),
            users: scenario.users.clone(),
            idle_timeout: Duration::from_millis(scenario.idle_timeout_ms),
            retry: gateway_retry(scenario),
            limits: scenario.limits.clone(),
            recorder: recorder.clone(),
            stop: Arc::default(),
        }
    }

    async fn run(self, host: HostHandle, incarnation: u32) -> Result<(), String> {
        if incarnation == 1 {
            tokio::time::sleep(Duration::from_millis(self.spec.start_delay_ms)).await;
        }
        let (name, recorder) = (self.name, self.recorder.clone());
        recorder.record(name, Event::ServiceStarted { incarnation });
        match self.serve(host, incarnation).await {
            Ok(()) => {
                recorder.record(name, Event::ServiceStopped { incarnation });
                Ok(())
            }
            Err(error) => {
                let error = error.to_string();
                recorder.record(name, Event::ServiceFailed { incarnation, error: error.clone() });
                Err(format!("{name} failed: {error}"))
            }
        }
    }

    /// Binds and serves on the simulated network until the host is crashed or bounced.
    async fn serve(self, host: HostHandle, incarnation: u32) -> io::Result<()> {
        let (name, conditions) = (self.name, &self.spec.conditions);
        let seed = derive(self.seed, Purpose::Chunking { host: name, incarnation });
        let net = SimNet::new(host, conditions.chunking, seed);
        let clock: SharedClock = Arc::new(SimClock::skewed(conditions.skew_ms));
        let rng = rng(self.seed, Purpose::Service { host: name, incarnation });
        self.serve_on(net, clock, rng).await
    }

    /// Binds and serves on `net` until it is asked to stop.
    pub(crate) async fn serve_on<N: Net>(self, net: N, clock: SharedClock, rng: Rng) -> io::Result<()> {
        let name = self.name;
        let warmup = Duration::from_millis(self.spec.warmup_ms);
        let signal = Arc::clone(&self.stop);
        let stop = async move { signal.notified().await };
        match name {
            AUTH => {
                let listener = net.bind(listen(AUTH_PORT)).await?;
                let mut config =
                    auth::AuthConfig::new(Secret::new(jwt_secret()), service_secret(), self.users);
                config.warmup = warmup;
                config.leeway_secs = TOKEN_LEEWAY_SECS;
                auth::serve(net, listener, config, clock, stop).await
            }
            IDGEN => {
                let listener = net.bind(listen(IDGEN_PORT)).await?;
                idgen::serve(net, listener, IdgenConfig { warmup }, clock, rng, stop).await
            }
            GATEWAY => {
                let listener = net.bind(listen(GATEWAY_PORT)).await?;
                let mut config = GatewayConfig::new(
                    format!("{AUTH}:{AUTH_PORT}"),
                    format!("{IDGEN}:{IDGEN_PORT}"),
                    service_secret(),
                );
                config.mode = self.mode;
                self.limits.apply(&mut config);
                config.retry = self.retry;
                config.environment = self.environment;
                config.limits.idle_timeout = self.idle_timeout;
                gateway::serve(net, listener, config, clock, rng, stop).await
            }
            other => unreachable!("{other} is not a service"),
        }
    }
}

fn listen(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))
}

pub(super) fn service_secret() -> Secret {
    Secret::new(SERVICE_SECRET)
}
