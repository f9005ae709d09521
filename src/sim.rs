//! The deterministic simulator (`docs/design.md` §3): the real auth, idgen and gateway `serve` functions
//! run as hosts of the event-driven `engine`, real WebSocket clients run against them, and one
//! root seed decides everything that varies. Same seed, same trace, in any process on any machine.
//!
//! - `scenario`: what a run varies ([`Scenario`] and its parts), as plain data with documented
//!   defaults;
//!   `swarm` draws one from a seed ([`Scenario::from_seed`]); `standard` has the scenarios
//!   `gatesim bench` measures.
//! - `seeds`: every RNG of a run derived from the root seed, one per purpose.
//! - `engine`: one paused tokio runtime for every host, turmoil-net's sockets between them,
//!   time that jumps from one event to the next, crashes and link faults.
//! - `clock`: the pinned epoch, each host's skewed wall clock, the run's millisecond.
//! - `net` and `chunking`: the [`crate::net::Net`] seam over turmoil-net, with streams that
//!   split and merge segments.
//! - `hosts`: the three services as hosts; `workload` and `client`: the clients; `caller`:
//!   requests straight to auth and idgen.
//! - `faults`: restarts, client host crashes, partitions and holds, applied between passes.
//! - `trace`: what happened ([`Trace`], [`Event`]), as JSON lines with a stable hash;
//!   [`timeline`] renders it.
//! - `probe`: what sessions the gateway still holds once the clients are done.
//! - [`run`]: one scenario from start to end; [`sweep`]: many seeds on many threads.
//! - [`logging`]: log timestamps in simulated time.
//!
//! Determinism rules kept here: no `HashMap` iteration, no machine clock (`std::time::Instant` is
//! real time even inside a simulation), no OS randomness, no `spawn_blocking`, `tokio_unstable`
//! so that the engine seeds tokio's own RNG and keeps every task on its host. One source of OS
//! randomness remains: tungstenite draws each client frame's masking key itself. Masks change
//! the bytes on the simulated wire, never their number, timing or what either side decodes, so
//! no decision and no trace record depends on them.

pub(crate) mod caller;
pub(crate) mod chunking;
pub(crate) mod client;
pub(crate) mod clock;
pub(crate) mod engine;
pub(crate) mod faults;
pub(crate) mod hosts;
pub mod logging;
pub(crate) mod net;
pub(crate) mod probe;
pub(crate) mod run;
pub(crate) mod scenario;
pub(crate) mod seeds;
pub(crate) mod standard;
pub(crate) mod swarm;
pub mod sweep;
pub mod timeline;
pub(crate) mod trace;
pub(crate) mod workload;

pub use run::{Outcome, run, run_into};
pub use scenario::{
    AUTH, At, BadInput, Chunking, ClientCrash, ClientPolicy, ClientSpec, GATEWAY, GatewayLimits,
    HostConditions, IDGEN, LinkFault, LinkLatency, Milestone, Network, Restart, SERVICES, Scenario,
    ServiceSpec, TokenKind, client_host,
};
pub use swarm::environments;
pub use trace::{Event, Fault, Record, Recorder, SIM_HOST, Side, TRACE_FORMAT_VERSION, Trace, Waiting};
