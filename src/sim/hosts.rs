//! The three services as turmoil hosts, running the very `serve` functions `gatesim serve` runs,
//! on [`SimNet`], a skewed [`SimClock`] and RNGs derived from the scenario's seed.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use turmoil::Sim;

use super::client::GATEWAY_PORT;
use super::clock::SimClock;
use super::net::SimNet;
use super::scenario::{AUTH, GATEWAY, IDGEN, SERVICES, Scenario, ServiceSpec};
use super::seeds::{Purpose, derive, rng};
use super::trace::{Event, Recorder};
use crate::clock::SharedClock;
use crate::net::Net;
use crate::services::gateway::{Environment, GatewayConfig, Mode};
use crate::services::idgen::IdgenConfig;
use crate::services::{Secret, auth, gateway, idgen};

pub const AUTH_PORT: u16 = 8081;
pub const IDGEN_PORT: u16 = 8082;

/// The key the simulation's tokens are signed with. The file says what it is in its name and in
/// its content: a test-only value, never a real secret.
const JWT_SECRET: &str = include_str!("../../fixtures/TEST_ONLY_jwt_secret.txt");
/// What the simulated gateway proves itself to auth with; test-only like the JWT secret.
const SERVICE_SECRET: &str = "TEST-ONLY-gatesim-simulated-service-secret";

pub fn jwt_secret() -> &'static str {
    JWT_SECRET.trim()
}

/// What every lifetime of a service host needs, cloned into each start.
#[derive(Clone)]
struct Service {
    name: &'static str,
    spec: ServiceSpec,
    seed: u64,
    mode: Mode,
    environment: Environment,
    users: BTreeSet<String>,
    idle_timeout: Duration,
    recorder: Recorder,
}

/// Registers auth, idgen and the gateway with `sim`.
pub(super) fn register(sim: &mut Sim<'_>, scenario: &Scenario, recorder: &Recorder) {
    for name in SERVICES {
        let service = Service {
            name,
            spec: scenario.service(name).clone(),
            seed: scenario.seed,
            mode: scenario.mode,
            environment: scenario.environment.clone(),
            users: scenario.users.clone(),
            idle_timeout: Duration::from_millis(scenario.idle_timeout_ms),
            recorder: recorder.clone(),
        };
        let starts = Rc::new(Cell::new(0));
        // turmoil calls this again on every bounce.
        sim.host(name, move || {
            starts.set(starts.get() + 1);
            service.clone().run(starts.get())
        });
    }
}

impl Service {
    async fn run(self, incarnation: u32) -> turmoil::Result {
        if incarnation == 1 {
            tokio::time::sleep(Duration::from_millis(self.spec.start_delay_ms)).await;
        }
        let (name, recorder) = (self.name, self.recorder.clone());
        recorder.record(name, Event::ServiceStarted { incarnation });
        let result = self.serve(incarnation).await;
        if let Err(error) = &result {
            recorder.record(name, Event::ServiceFailed { incarnation, error: error.to_string() });
        }
        Ok(result?)
    }

    /// Binds and serves until the host is crashed or bounced: the shutdown never comes.
    async fn serve(self, incarnation: u32) -> io::Result<()> {
        let name = self.name;
        let conditions = &self.spec.conditions;
        let net = SimNet::new(
            conditions.chunking,
            derive(self.seed, Purpose::Chunking { host: name, incarnation }),
        );
        let clock: SharedClock = Arc::new(SimClock::skewed(conditions.skew_ms));
        let rng = rng(self.seed, Purpose::Service { host: name, incarnation });
        let warmup = Duration::from_millis(self.spec.warmup_ms);
        let stop = std::future::pending::<()>();
        match name {
            AUTH => {
                let listener = net.bind(listen(AUTH_PORT)).await?;
                let mut config =
                    auth::AuthConfig::new(Secret::new(jwt_secret()), service_secret(), self.users);
                config.warmup = warmup;
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
                config.environment = self.environment;
                config.limits.idle_timeout = self.idle_timeout;
                gateway::serve(net, listener, config, rng, stop).await
            }
            other => unreachable!("{other} is not a service"),
        }
    }
}

fn listen(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))
}

fn service_secret() -> Secret {
    Secret::new(SERVICE_SECRET)
}
