//! `gatesim serve`: the three services on real TCP.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use tokio_util::sync::CancellationToken;

use crate::clock::{SharedClock, SystemClock, os_seeded_rng};
use crate::http::get_status;
use crate::net::{Net, TokioNet};
use crate::services::gateway::{Environment, GatewayConfig, Mode};
use crate::services::idgen::IdgenConfig;
use crate::services::{auth, gateway, idgen};

/// Platform variables passed on to the gateway's environment (only legacy modes read them).
const PLATFORM_VARS: [&str; 2] = ["K_SERVICE", "GOOGLE_CLOUD_PROJECT"];

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    gateway: SocketAddr,
    #[arg(long, default_value = "127.0.0.1:8081")]
    auth: SocketAddr,
    #[arg(long, default_value = "127.0.0.1:8082")]
    idgen: SocketAddr,
    /// fixed, per-message-context or environment-accommodation.
    #[arg(long, default_value = "fixed")]
    mode: Mode,
    /// Users auth knows, comma-separated.
    #[arg(long, env = "GATESIM_USERS", value_delimiter = ',', default_value = "alice,bob,carol")]
    users: Vec<String>,
    /// The environment label given to the gateway.
    #[arg(long = "env", env = "GATESIM_ENV", default_value = "dev")]
    environment: String,
}

pub(super) fn run(args: ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let net = TokioNet;
    let clock: SharedClock = Arc::new(SystemClock);
    let stop = CancellationToken::new();
    let bind = async |addr: SocketAddr, name: &str| {
        net.bind(addr).await.with_context(|| format!("binding {name} to {addr}"))
    };
    let (auth_listener, idgen_listener, gateway_listener) = (
        bind(args.auth, "auth").await?,
        bind(args.idgen, "idgen").await?,
        bind(args.gateway, "gateway").await?,
    );
    let (auth_addr, idgen_addr) = (auth_listener.local_addr()?, idgen_listener.local_addr()?);
    let gateway_addr = gateway_listener.local_addr()?;

    let jwt_secret = super::jwt_secret();
    let service_secret = super::service_secret();
    let users: BTreeSet<String> =
        args.users.into_iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
    let auth_config = auth::AuthConfig::new(jwt_secret, service_secret.clone(), users);
    let mut gateway_config =
        GatewayConfig::new(auth_addr.to_string(), idgen_addr.to_string(), service_secret);
    gateway_config.mode = args.mode;
    gateway_config.environment = environment(args.environment);

    let services = [
        tokio::spawn(auth::serve(
            auth_listener,
            auth_config,
            Arc::clone(&clock),
            stop.clone().cancelled_owned(),
        )),
        tokio::spawn(idgen::serve(
            idgen_listener,
            IdgenConfig::default(),
            clock,
            os_seeded_rng(),
            stop.clone().cancelled_owned(),
        )),
        tokio::spawn(gateway::serve(
            net,
            gateway_listener,
            gateway_config,
            os_seeded_rng(),
            stop.clone().cancelled_owned(),
        )),
    ];
    for (name, addr) in [("auth", auth_addr), ("idgen", idgen_addr), ("gateway", gateway_addr)] {
        wait_until_healthy(name, addr).await?;
    }
    println!("gateway listening on ws://{gateway_addr}/ws");

    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    tracing::info!("shutting down: finishing in-flight messages");
    stop.cancel();
    for service in services {
        service.await.context("a service task panicked")?.context("a service failed")?;
    }
    Ok(())
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

fn environment(label: String) -> Environment {
    let vars: BTreeMap<String, String> = PLATFORM_VARS
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v)))
        .collect();
    Environment { label, vars }
}
