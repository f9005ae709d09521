//! gatesim: a WebSocket agent gateway, the auth and idgen services it depends on, and a
//! deterministic simulation harness that runs them on a simulated network and clock.
//!
//! A map of the crate:
//!
//! - [`net`], [`clock`]: the seams. Services are generic over [`net::Net`] and take an injected
//!   [`clock::Clock`] and a seeded [`clock::Rng`], so the same code runs on real TCP and in the
//!   simulator.
//! - [`protocol`]: the WebSocket frames, error codes and close codes clients and gateway share.
//! - [`context`]: the session context and its strict validation, the same in every environment.
//! - [`ids`]: identifier formats, unique across idgen restarts.
//! - [`token`]: minting and verifying the HS256 access tokens.
//! - [`http`]: the small JSON-over-HTTP client the gateway calls auth and idgen with, keeping
//!   their connections alive between calls.
//! - [`services`]: auth, idgen and the gateway themselves.
//! - [`loopback`]: the three services started together on real TCP; [`soak`]: many real clients
//!   against them.
//! - [`sim`]: the deterministic simulator: scenarios, simulated hosts and clients, faults, traces.
//! - [`rules`]: the rule catalogue: every rule of the design, each direction with the checker
//!   that judges it.
//! - [`checkers`]: the invariants every run must keep, read from its trace, and [`checkers::verify`],
//!   which runs a scenario and applies them.
//! - [`fuzz`]: many drawn scenarios in parallel, sharded for CI, summed up with coverage;
//!   [`explain`]: one session of a run as a sequence diagram.
//! - [`mutants`]: the catalogue of realistic bugs in `mutants/`, and trying each against the
//!   default campaign.
//! - [`bench`](mod@bench): the simulator's speed, measured beside real TCP and the raw work, and
//!   turmoil-net's own cost as connections pile up.
//! - [`cli`]: the `gatesim` command (`fuzz`, `explain`, `replay`, `scenario`, `bench`, `serve`,
//!   `token`, `soak`).
//!
//! # Example
//!
//! Draw a scenario from a seed, run the real services and clients through it on the simulated
//! network, and judge the trace with every checker that reads one:
//!
//! ```
//! use gatesim::checkers::{Options, verify};
//! use gatesim::sim::Scenario;
//!
//! let scenario = Scenario::from_seed(7);
//! let report = verify(&scenario, Options::TRACE_ONLY);
//! for violation in &report.violations {
//!     eprintln!("seed {}: {violation}", scenario.seed);
//! }
//! assert!(report.passed());
//! // Every run exercises some clauses of the rule catalogue: what it judged.
//! assert!(!report.exercised.is_empty());
//! ```

pub mod bench;
pub mod checkers;
pub mod cli;
pub mod clock;
pub mod context;
pub mod explain;
pub mod fuzz;
pub mod http;
pub mod ids;
pub mod loopback;
pub mod mutants;
pub mod net;
pub mod protocol;
pub mod rules;
pub mod services;
pub mod sim;
pub mod soak;
pub mod token;

#[cfg(test)]
mod tests;
