//! The session context: created once per WebSocket session, validated strictly, reused for every
//! message.
//!
//! The incidents behind this project came from contexts being rebuilt between connection and
//! message handling, and from validation that bent to the environment. So there is exactly one
//! constructor, [`SessionContext::build`], and it applies the same rules everywhere: no
//! environment parameter exists to vary them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{Id, IdKind};

/// The identifiers idgen issues for one session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionIds {
    pub context_id: String,
    pub thread_id: String,
    pub run_id: String,
    pub websocket_client_id: String,
}

/// Who a session belongs to and the identifiers it runs under.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SessionContext {
    pub context_id: String,
    pub user_id: String,
    pub thread_id: String,
    pub run_id: String,
    pub websocket_client_id: String,
}

/// Why a context was refused. Names the field so a 1011 in a log points at the cause.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ContextError {
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field} is a placeholder value ({value:?})")]
    Placeholder { field: &'static str, value: String },
    #[error("{field} is not a well-formed identifier ({value:?})")]
    Malformed { field: &'static str, value: String },
}

/// Values that defensive code paths substitute for missing data. A context carrying one was never
/// really issued, so it is refused outright.
const PLACEHOLDERS: &[&str] = &[
    "anonymous",
    "default",
    "n/a",
    "na",
    "none",
    "null",
    "placeholder",
    "temp",
    "test",
    "undefined",
    "unknown",
];

const MAX_USER_ID_LEN: usize = 128;

impl SessionContext {
    /// Builds the context for `user_id` from the identifiers idgen issued, or says which field is
    /// wrong.
    pub fn build(user_id: &str, ids: SessionIds) -> Result<SessionContext, ContextError> {
        validate_user_id(user_id)?;
        let fields = [
            ("context_id", IdKind::Context, &ids.context_id),
            ("thread_id", IdKind::Thread, &ids.thread_id),
            ("run_id", IdKind::Run, &ids.run_id),
            ("websocket_client_id", IdKind::WebsocketClient, &ids.websocket_client_id),
        ];
        for (field, kind, value) in fields {
            if value.is_empty() {
                return Err(ContextError::Empty { field });
            }
            if Id::parse(kind, value).is_none() {
                return Err(ContextError::Malformed { field, value: value.clone() });
            }
        }
        Ok(SessionContext {
            context_id: ids.context_id,
            user_id: user_id.to_owned(),
            thread_id: ids.thread_id,
            run_id: ids.run_id,
            websocket_client_id: ids.websocket_client_id,
        })
    }

    /// The id of the `n`th message of this session (from 1), derived locally so that message
    /// handling never needs idgen.
    pub fn request_id(&self, n: u64) -> String {
        format!("{}.{n}", self.context_id)
    }
}

/// Whether `value` is one of the stand-ins defensive code substitutes for missing data.
pub fn is_placeholder(value: &str) -> bool {
    PLACEHOLDERS.contains(&value.to_ascii_lowercase().as_str())
}

/// User ids are opaque, but must be real: non-empty, printable, bounded, not a placeholder.
pub fn validate_user_id(user_id: &str) -> Result<(), ContextError> {
    let field = "user_id";
    if user_id.is_empty() {
        return Err(ContextError::Empty { field });
    }
    if is_placeholder(user_id) {
        return Err(ContextError::Placeholder { field, value: user_id.to_owned() });
    }
    let printable = user_id.chars().all(|c| c.is_ascii_graphic());
    if !printable || user_id.len() > MAX_USER_ID_LEN {
        return Err(ContextError::Malformed { field, value: user_id.to_owned() });
    }
    Ok(())
}

/// A well-formed context for `user`, for tests.
#[cfg(test)]
pub(crate) fn example(user: &str) -> SessionContext {
    SessionContext {
        context_id: "ctx_a_1_00000001".into(),
        user_id: user.into(),
        thread_id: "thread_a_2_00000002".into(),
        run_id: "run_a_3_00000003".into(),
        websocket_client_id: "ws_a_4_00000004".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> SessionIds {
        SessionIds {
            context_id: "ctx_7f3a_1_00000001".into(),
            thread_id: "thread_7f3a_2_00000002".into(),
            run_id: "run_7f3a_3_00000003".into(),
            websocket_client_id: "ws_7f3a_4_00000004".into(),
        }
    }

    #[test]
    fn a_well_formed_context_is_built() {
        let ctx = SessionContext::build("alice", ids()).unwrap();
        assert_eq!(ctx.user_id, "alice");
        assert_eq!(ctx.request_id(3), "ctx_7f3a_1_00000001.3");
    }

    #[test]
    fn placeholder_and_malformed_user_ids_are_refused() {
        for user in ["", "unknown", "Default", "has space", "tab\t", &"x".repeat(129)] {
            assert!(SessionContext::build(user, ids()).is_err(), "{user:?}");
        }
    }

    #[test]
    fn every_identifier_field_is_checked() {
        let mut broken = ids();
        broken.run_id = "run_default".into();
        assert_eq!(
            SessionContext::build("alice", broken),
            Err(ContextError::Malformed { field: "run_id", value: "run_default".into() })
        );
        let mut empty = ids();
        empty.websocket_client_id.clear();
        assert_eq!(
            SessionContext::build("alice", empty),
            Err(ContextError::Empty { field: "websocket_client_id" })
        );
        let mut swapped = ids();
        swapped.thread_id = "ctx_7f3a_2_00000002".into();
        assert!(SessionContext::build("alice", swapped).is_err());
    }
}
