//! `gatesim soak`: the services on loopback under N continuously sending WebSocket clients.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use crate::clock::{Clock, SystemClock};
use crate::loopback::{Addrs, LoopbackConfig, Running};
use crate::services::gateway::{GatewayConfig, Mode};
use crate::soak::{SoakConfig, run as soak};
use crate::token::{Claims, mint};

#[derive(Debug, Args)]
pub(super) struct SoakArgs {
    /// Concurrent clients, each a different user.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// How long clients keep sending, after the ramp.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Clients start spread over this many seconds.
    #[arg(long, default_value_t = 2)]
    ramp_secs: u64,
    #[arg(long, default_value = "fixed")]
    mode: Mode,
    /// Also write the report as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub(super) fn run(args: SoakArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    runtime.block_on(run_soak(args))
}

async fn run_soak(args: SoakArgs) -> anyhow::Result<()> {
    let users: Vec<String> = (0..args.clients).map(|n| format!("soak-{n}")).collect();
    let jwt_secret = super::jwt_secret();
    let service_secret = super::service_secret();
    let mut gateway = GatewayConfig::new("", "", service_secret.clone());
    gateway.mode = args.mode;
    let messages_per_sec = gateway.limits.messages_per_sec;
    let config = LoopbackConfig {
        addrs: Addrs::ephemeral(),
        jwt_secret: jwt_secret.clone(),
        service_secret,
        users: users.iter().cloned().collect(),
        gateway,
    };
    let running = Running::start(config).await?;
    let now = SystemClock.unix_secs();
    let ttl = args.ramp_secs + args.secs + 3600;
    let tokens =
        users.iter().map(|user| mint(&Claims::new(user, now, ttl), jwt_secret.expose().as_bytes())).collect();
    eprintln!("soak: {} clients for {} s against {}", args.clients, args.secs, running.ws_url());

    let soak_config = SoakConfig {
        url: running.ws_url(),
        tokens,
        duration: Duration::from_secs(args.secs),
        ramp: Duration::from_secs(args.ramp_secs),
        messages_per_sec,
    };
    let report = soak(soak_config, Duration::from_secs(5)).await;
    running.shutdown().await?;
    println!("{report}");
    if let Some(path) = args.json {
        let json = serde_json::to_string_pretty(&report).expect("reports serialise");
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    if report.lost > 0 || report.connect_failures > 0 {
        anyhow::bail!("{} messages lost, {} clients failed to connect", report.lost, report.connect_failures);
    }
    Ok(())
}
