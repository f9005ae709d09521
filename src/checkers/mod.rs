//! The checkers (DESIGN.md §2 "Checkers"): what must hold of every run, each a function that says
//! which invariant broke, in which session, about which message, at which simulated millisecond.
//!
//! These read one trace and nothing else ([`TRACE_CHECKERS`], which [`crate::sim::check()`] applies):
//! 1. [`context_identity`]: every frame of a session carries the context of its
//!    `connection_established`, and that context passes the gateway's own strict validation.
//! 2. [`isolation`]: no session receives another user's context or identifiers, nor frames or
//!    results for another session's messages.
//! 3. [`completion`]: every message gets one ordered event sequence ending in `agent_completed`
//!    with the agent's result, or one error, or the session ends first; request ids and `seq`
//!    rise; nothing twice, nothing unasked.
//! 4. [`unique_ids`]: no identifier is issued to two sessions, restarts included.
//! 5. [`clear_errors`]: every server close has a documented code after the error that calls for
//!    it; never 1011; bad tokens are refused as what they are.
//! 6. [`liveness`]: once every fault has healed, sessions connect within 3 s and messages complete
//!    within 1 s (the module says why).

pub mod clear_errors;
pub mod completion;
pub mod context_identity;
pub mod isolation;
pub mod liveness;
mod sessions;
pub mod unique_ids;

#[cfg(test)]
mod testing;

use crate::sim::Checker;

/// The checkers that read one trace, by name.
pub const TRACE_CHECKERS: &[(&str, Checker)] = &[
    (context_identity::NAME, context_identity::check),
    (isolation::NAME, isolation::check),
    (completion::NAME, completion::check),
    (unique_ids::NAME, unique_ids::check),
    (clear_errors::NAME, clear_errors::check),
    (liveness::NAME, liveness::check),
];
