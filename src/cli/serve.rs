//! `gatesim serve`: the three services on real TCP until Ctrl-C.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Args;

use crate::loopback::{Addrs, LoopbackConfig, Running};
use crate::services::gateway::{Environment, GatewayConfig, Mode};

/// Platform variables passed on to the gateway's environment (only legacy modes read them).
const PLATFORM_VARS: [&str; 2] = ["K_SERVICE", "GOOGLE_CLOUD_PROJECT"];

/// The users auth knows when neither `--users` nor [`USERS_VAR`] names them.
const DEFAULT_USERS: &str = "alice,bob,carol";
/// The variable `--users` falls back to.
const USERS_VAR: &str = "GATESIM_USERS";

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
    #[arg(long, env = USERS_VAR, value_delimiter = ',', default_value = DEFAULT_USERS)]
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
    let service_secret = super::service_secret();
    let mut gateway = GatewayConfig::new("", "", service_secret.clone());
    gateway.mode = args.mode;
    gateway.environment = environment(args.environment);
    let config = LoopbackConfig {
        addrs: Addrs { gateway: args.gateway, auth: args.auth, idgen: args.idgen },
        jwt_secret: super::jwt_secret(),
        service_secret,
        users: user_ids(args.users.iter().map(String::as_str)),
        gateway,
    };
    let running = Running::start(config).await?;
    println!("gateway listening on {}", running.ws_url());

    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    tracing::info!("shutting down: finishing in-flight messages");
    running.shutdown().await
}

fn environment(label: String) -> Environment {
    let vars: BTreeMap<String, String> = PLATFORM_VARS
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v)))
        .collect();
    Environment { label, vars }
}

/// The users `serve` knows when started without `--users` in this process's environment.
pub(super) fn users_without_flag() -> BTreeSet<String> {
    user_ids(std::env::var(USERS_VAR).as_deref().unwrap_or(DEFAULT_USERS).split(','))
}

/// The users auth is given: `names` trimmed, empty ones dropped.
fn user_ids<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names.into_iter().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    #[test]
    fn the_users_token_checks_against_are_those_serve_starts_with_without_users() {
        let args = Serve::parse_from(["serve"]).args;
        assert_eq!(user_ids(args.users.iter().map(String::as_str)), users_without_flag());
        let given = Serve::parse_from(["serve", "--users", " dave, ,erin"]).args;
        assert_eq!(
            user_ids(given.users.iter().map(String::as_str)),
            BTreeSet::from(["dave".into(), "erin".into()])
        );
    }
}
