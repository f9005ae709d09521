//! The names of the checkers the catalogue's demands name: each is its checker's `NAME`, which a
//! test of the checkers holds.

pub const CLEAR_ERRORS: &str = "clear-errors";
pub const COMPLETION: &str = "completion";
pub const CONTEXT_IDENTITY: &str = "context-identity";
pub const ISOLATION: &str = "isolation";
pub const UNIQUE_IDS: &str = "unique-ids";
pub const LIVENESS: &str = "liveness";
pub const RELEASE: &str = "release";
pub const OUTAGE: &str = "dependency-outage";
pub const IDLE: &str = "idle-timeout";
pub const ENVIRONMENT: &str = "environment-agnostic";
pub const DETERMINISM: &str = "determinism";
