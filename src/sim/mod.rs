//! The deterministic simulator (`docs/design.md` §3): the real auth, idgen and gateway `serve` functions
//! run as hosts of the event-driven [`engine`], real WebSocket clients run against them, and one
//! root seed decides everything that varies. Same seed, same trace, in any process on any machine.
//!
//! - [`scenario`]: what a run varies, as plain data with documented defaults;
//!   [`swarm`] draws one from a seed ([`Scenario::from_seed`]); [`standard`] has the scenarios
//!   `gatesim bench` measures.
//! - [`seeds`]: every RNG of a run derived from the root seed, one per purpose.
//! - [`engine`]: one paused tokio runtime for every host, turmoil-net's sockets between them,
//!   time that jumps from one event to the next, crashes and link faults.
//! - [`clock`]: the pinned epoch, each host's skewed wall clock, the run's millisecond.
//! - [`net`] and [`chunking`]: the [`crate::net::Net`] seam over turmoil-net, with streams that
//!   split and merge segments.
//! - [`hosts`]: the three services as hosts; [`workload`] and [`client`]: the clients;
//!   [`caller`]: requests straight to auth and idgen.
//! - [`faults`]: restarts, client host crashes, partitions and holds, applied between passes.
//! - [`trace`]: what happened, as JSON lines with a stable hash; [`timeline`] renders it.
//! - [`probe`]: what sessions the gateway still holds once the clients are done.
//! - [`run`]: one scenario from start to end; [`sweep`]: many seeds on many threads.
//! - [`logging`]: log timestamps in simulated time.
//!
//! Determinism rules kept here: no `HashMap` iteration, no machine clock (`std::time::Instant` is
//! real time even inside a simulation), no OS randomness, no `spawn_blocking`, `tokio_unstable`
//! so that the engine seeds tokio's own RNG and keeps every task on its host. One source of OS
//! randomness remains: tungstenite draws each client frame's masking key itself. Masks change
//! the bytes on the simulated wire, never their number, timing or what either side decodes, so
//! no decision and no trace record depends on them.

pub mod caller;
pub mod chunking;
pub mod client;
pub mod clock;
pub mod engine;
pub mod faults;
pub mod hosts;
pub mod logging;
pub mod net;
pub mod probe;
pub mod run;
pub mod scenario;
pub mod seeds;
pub mod standard;
pub mod swarm;
pub mod sweep;
pub mod timeline;
pub mod trace;
pub mod workload;

pub use run::{Outcome, run, run_into};
pub use scenario::Scenario;
pub use trace::{Event, Record, Trace};
