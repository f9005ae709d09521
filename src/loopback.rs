//! The three services on real TCP, started together and stopped together: what `gatesim serve`
//! and `gatesim soak` run.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clock::{SharedClock, SystemClock, os_seeded_rng};
use crate::http::get_status;
use crate::net::{Net, TokioNet};
use crate::services::gateway::GatewayConfig;
use crate::services::idgen::IdgenConfig;
use crate::services::{Secret, auth, gateway, idgen};

/// Where the services listen. Port 0 picks a free port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addrs {
    pub gateway: SocketAddr,
    pub auth: SocketAddr,
    pub idgen: SocketAddr,
}

impl Addrs {
    /// Free ports on 127.0.0.1.
    pub fn ephemeral() -> Addrs {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Addrs { gateway: any, auth: any, idgen: any }
    }
}

pub struct LoopbackConfig {
    pub addrs: Addrs,
    pub jwt_secret: Secret,
    pub service_secret: Secret,
    pub users: BTreeSet<String>,
    /// Every gateway setting but the dependency addresses and the service secret, which are
    /// filled in from the above.
    pub gateway: GatewayConfig,
}

/// The running services.
pub struct Running {
    /// Where they really listen.
    pub addrs: Addrs,
    stop: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<std::io::Result<()>>)>,
}

impl Running {
    /// Binds, starts the services and returns once each answers its health check.
    pub async fn start(config: LoopbackConfig) -> anyhow::Result<Running> {
        let net = TokioNet;
        let bind = async |addr: SocketAddr, name: &str| {
            net.bind(addr).await.with_context(|| format!("binding {name} to {addr}"))
        };
        let auth_listener = bind(config.addrs.auth, "auth").await?;
        let idgen_listener = bind(config.addrs.idgen, "idgen").await?;
        let gateway_listener = bind(config.addrs.gateway, "gateway").await?;
        let addrs = Addrs {
            gateway: gateway_listener.local_addr()?,
            auth: auth_listener.local_addr()?,
            idgen: idgen_listener.local_addr()?,
        };

        let clock: SharedClock = Arc::new(SystemClock);
        let stop = CancellationToken::new();
        let auth_config =
            auth::AuthConfig::new(config.jwt_secret, config.service_secret.clone(), config.users);
        let mut gateway_config = config.gateway;
        gateway_config.auth_addr = addrs.auth.to_string();
        gateway_config.idgen_addr = addrs.idgen.to_string();
        gateway_config.service_secret = config.service_secret;
        let shutdown = || stop.clone().cancelled_owned();
        let tasks = vec![
            (
                "auth",
                tokio::spawn(auth::serve(net, auth_listener, auth_config, Arc::clone(&clock), shutdown())),
            ),
            (
                "idgen",
                tokio::spawn(idgen::serve(
                    net,
                    idgen_listener,
                    IdgenConfig::default(),
                    Arc::clone(&clock),
                    os_seeded_rng(),
                    shutdown(),
                )),
            ),
            (
                "gateway",
                tokio::spawn(gateway::serve(
                    net,
                    gateway_listener,
                    gateway_config,
                    clock,
                    os_seeded_rng(),
                    shutdown(),
                )),
            ),
        ];
        let running = Running { addrs, stop, tasks };
        for (name, addr) in [("auth", addrs.auth), ("idgen", addrs.idgen), ("gateway", addrs.gateway)] {
            wait_until_healthy(name, addr).await?;
        }
        Ok(running)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addrs.gateway)
    }

    /// Stops the services (the gateway finishes in-flight messages first) and waits for them.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop.cancel();
        for (name, task) in self.tasks {
            task.await
                .with_context(|| format!("{name} panicked"))?
                .with_context(|| format!("{name} failed"))?;
        }
        Ok(())
    }
}

async fn wait_until_healthy(name: &str, addr: SocketAddr) -> anyhow::Result<()> {
    let addr = addr.to_string();
    for _ in 0..50 {
        let status = get_status(&TokioNet, &addr, "/healthz", Duration::from_secs(1)).await;
        if status.is_ok_and(|status| status.is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{name} on {addr} did not become healthy within 5 s")
}
