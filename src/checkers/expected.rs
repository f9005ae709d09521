//! What the design demands, written again by the checkers from `docs/design.md` rather than taken
//! from the services' own code: a checker that asked the gateway's table which close an error
//! calls for, or the gateway's validation whether a context is well-formed, would find every bug
//! in that table or that validation right.
//!
//! - [`agent_result`]: the agent's answer to a content.
//! - [`closes_with`], [`retryable`], [`documented_close`]: the error and close code table.
//! - [`identifier`], [`context_problem`], [`user_problem`]: identifiers, contexts and user ids as
//!   the design shapes them.
//! - [`Flaw`], [`refusal_reason`]: auth's reasons for refusing a token, in the design's words.
//! - [`MAX_TOKEN_BYTES`]: the longest token the gateway reads.

mod agent;
mod codes;
mod identifiers;
mod reasons;

pub use agent::agent_result;
pub use codes::{closes_with, documented_close, retryable};
pub use identifiers::{UserProblem, context_problem, identifier, user_problem};
pub use reasons::{Flaw, Reason, refusal_reason};

/// The longest token the gateway reads (§2.4): one longer is refused unread, one of at most this
/// many bytes is auth's to judge.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
