//! Starts auth, idgen and the gateway on loopback for one test.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SharedClock, SystemClock, seeded_rng};
use crate::net::{Net, TokioNet};
use crate::services::gateway::{
    AgentTiming, Environment, GatewayConfig, Limits, Mode, RetryPolicy, SessionStats,
};
use crate::services::idgen::IdgenConfig;
use crate::services::{Secret, auth, gateway, idgen};
use crate::token::{Claims, mint};

pub const SERVICE_SECRET: &str = "test-only-service-secret";

pub fn jwt_secret() -> &'static str {
    include_str!("../../fixtures/TEST_ONLY_jwt_secret.txt").trim()
}

/// A token for `user`, valid for an hour from now.
pub fn token_for(user: &str) -> String {
    mint(&Claims::new(user, SystemClock.unix_secs(), 3600), jwt_secret().as_bytes())
}

/// Which services run and how the gateway is set up. Retries are short so that outage tests
/// finish quickly.
pub struct StackOptions {
    pub auth: bool,
    pub idgen: bool,
    /// Put a controllable proxy between the gateway and idgen.
    pub idgen_proxy: bool,
    pub mode: Mode,
    pub environment: Environment,
    pub max_frame_bytes: usize,
    pub limits: Limits,
    pub agent: AgentTiming,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            auth: true,
            idgen: true,
            idgen_proxy: false,
            mode: Mode::Fixed,
            environment: Environment::default(),
            max_frame_bytes: 64 * 1024,
            limits: Limits::default(),
            agent: AgentTiming::default(),
        }
    }
}

pub fn test_retry_policy() -> RetryPolicy {
    RetryPolicy {
        per_try_timeout: Duration::from_millis(300),
        connect_deadline: Duration::from_secs(1),
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
    }
}

pub struct Stack {
    pub gateway: SocketAddr,
    pub auth: SocketAddr,
    pub idgen_proxy: Option<super::proxy::Proxy>,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Stack {
    pub async fn start() -> Stack {
        Stack::start_with(StackOptions::default()).await
    }

    pub async fn start_with(options: StackOptions) -> Stack {
        let clock: SharedClock = Arc::new(SystemClock);
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();

        let auth_listener = TokioNet.bind(any_port).await.unwrap();
        let auth = auth_listener.local_addr().unwrap();
        if options.auth {
            let users: BTreeSet<String> = ["alice", "bob", "carol"].map(String::from).into();
            let config = auth::AuthConfig::new(Secret::new(jwt_secret()), Secret::new(SERVICE_SECRET), users);
            let shutdown = stop.clone().cancelled_owned();
            tasks.push(tokio::spawn(auth::serve(
                TokioNet,
                auth_listener,
                config,
                Arc::clone(&clock),
                shutdown,
            )));
        } else {
            // Nothing listens there any more: connects are refused, as for a service that is down.
            drop(auth_listener);
        }

        let idgen_listener = TokioNet.bind(any_port).await.unwrap();
        let idgen = idgen_listener.local_addr().unwrap();
        if options.idgen {
            let shutdown = stop.clone().cancelled_owned();
            let config = IdgenConfig::default();
            tasks.push(tokio::spawn(idgen::serve(
                TokioNet,
                idgen_listener,
                config,
                Arc::clone(&clock),
                seeded_rng(7),
                shutdown,
            )));
        } else {
            drop(idgen_listener);
        }

        let idgen_proxy = match options.idgen_proxy {
            true => Some(super::proxy::Proxy::start(idgen).await),
            false => None,
        };
        let idgen_for_gateway = idgen_proxy.as_ref().map_or(idgen, |proxy| proxy.addr);

        let gateway_listener = TokioNet.bind(any_port).await.unwrap();
        let gateway = gateway_listener.local_addr().unwrap();
        let mut config =
            GatewayConfig::new(auth.to_string(), idgen_for_gateway.to_string(), Secret::new(SERVICE_SECRET));
        config.mode = options.mode;
        config.environment = options.environment;
        config.retry = test_retry_policy();
        config.max_frame_bytes = options.max_frame_bytes;
        config.limits = options.limits;
        config.agent = options.agent;
        config.shutdown_grace = Duration::from_secs(3);
        let shutdown = stop.clone().cancelled_owned();
        tasks.push(tokio::spawn(gateway::serve(
            TokioNet,
            gateway_listener,
            config,
            clock,
            seeded_rng(11),
            shutdown,
        )));

        Stack { gateway, auth, idgen_proxy, stop, tasks }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.gateway)
    }

    /// The gateway's session gauges.
    pub async fn stats(&self) -> SessionStats {
        let addr = self.gateway.to_string();
        let get = crate::http::get_json(&TokioNet, &addr, "/stats", Duration::from_secs(5));
        get.await.expect("GET /stats")
    }

    /// Waits (a few seconds at most) for every session the gateway opened to be released.
    pub async fn expect_all_sessions_released(&self) {
        for _ in 0..50 {
            if self.stats().await.open_sessions == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("sessions still open after 5 s: {:?}", self.stats().await);
    }

    /// Starts shutting every service down, without waiting.
    pub fn begin_shutdown(&self) {
        self.stop.cancel();
    }

    /// Shuts every service down and waits for each to return cleanly.
    pub async fn shutdown(self) {
        self.stop.cancel();
        for task in self.tasks {
            let result = tokio::time::timeout(Duration::from_secs(10), task).await;
            result.expect("service did not stop in time").expect("service panicked").expect("service failed");
        }
    }
}
