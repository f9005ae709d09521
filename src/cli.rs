//! The `gatesim` command. Each subcommand lives in its own file; this one parses and dispatches.

mod bench;
mod explain;
mod fuzz;
mod mutants;
mod replay;
mod scenario;
mod serve;
mod shrink;
mod soak;
mod token;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::services::Secret;

#[derive(Debug, Parser)]
#[command(
    name = "gatesim",
    version,
    about = "A WebSocket agent gateway and its deterministic simulation harness"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run many drawn scenarios in parallel, check them, and summarise: the main job.
    Fuzz(fuzz::FuzzArgs),
    /// Draw a run's failing session as a Mermaid sequence diagram.
    Explain(explain::ExplainArgs),
    /// Run auth, idgen and the gateway on real TCP until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Print an access token that `serve` accepts.
    Token(token::TokenArgs),
    /// Run the services on loopback under many continuously sending clients, and report.
    Soak(soak::SoakArgs),
    /// Print the scenario a seed draws, as JSON.
    Scenario(scenario::ScenarioArgs),
    /// Run one simulated scenario: its timeline, violations and trace hash.
    Replay(replay::ReplayArgs),
    /// Make a failing scenario as small as it stays failing the same way, and write it out.
    Shrink(shrink::ShrinkArgs),
    /// Plant each realistic bug of `mutants/` in a scratch copy and run the default campaign on it.
    Mutants(mutants::MutantsArgs),
    /// Measure the simulator: standard runs per second, beside real TCP and the raw work, and at scale.
    Bench(bench::BenchArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(level) = cli.command.default_log_level() {
        init_logging(level);
    }
    let outcome = match cli.command {
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Token(args) => token::run(args).map(|()| ExitCode::SUCCESS),
        Command::Soak(args) => soak::run(args).map(|()| ExitCode::SUCCESS),
        Command::Scenario(args) => scenario::run(args).map(|()| ExitCode::SUCCESS),
        Command::Replay(args) => replay::run(args),
        Command::Shrink(args) => shrink::run(args),
        Command::Fuzz(args) => fuzz::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Bench(args) => bench::run_bench(args).map(|()| ExitCode::SUCCESS),
        Command::Mutants(args) => mutants::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

impl Command {
    /// The real servers report what they do; inside simulations the services' logs would drown
    /// the results (hundreds of refused sessions and calls without the service secret per seed,
    /// drawn on purpose, which the checkers judge), so only the harness's warnings and the
    /// services' errors show.
    /// The bench installs no subscriber at all: it measures the simulator as the tests run it.
    fn default_log_level(&self) -> Option<&'static str> {
        match self {
            Command::Serve(_) | Command::Token(_) | Command::Soak(_) => Some("info"),
            Command::Fuzz(_)
            | Command::Explain(_)
            | Command::Scenario(_)
            | Command::Replay(_)
            | Command::Shrink(_) => Some("warn,gatesim::services=error"),
            Command::Bench(_) | Command::Mutants(_) => None,
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default by command), so stdout carries only results.
fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let colour = std::io::stderr().is_terminal();
    let timer = crate::sim::logging::SimAwareTime;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(timer)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
}

/// Development defaults, documented in `docs/serve.md` and `docs/design.md` §2.15. `serve` warns when
/// it falls back to them.
const DEV_JWT_SECRET: &str = "gatesim-dev-jwt-secret-not-for-production";
const DEV_SERVICE_SECRET: &str = "gatesim-dev-service-secret-not-for-production";

/// A secret from the environment variable `var`, or the development default.
fn secret_from_env(var: &str, dev_default: &str) -> Secret {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Secret::new(value),
        _ => {
            tracing::warn!("{var} is not set; using the development default (never use it in production)");
            Secret::new(dev_default)
        }
    }
}

fn jwt_secret() -> Secret {
    secret_from_env("GATESIM_JWT_SECRET", DEV_JWT_SECRET)
}

fn service_secret() -> Secret {
    secret_from_env("GATESIM_SERVICE_SECRET", DEV_SERVICE_SECRET)
}
