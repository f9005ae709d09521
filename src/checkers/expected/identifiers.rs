//! Identifiers and contexts as `docs/design.md` §2.2, §2.3 and §2.6 shape them.

use crate::context::SessionContext;

/// An identifier's parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identifier {
    /// The boot, as the number its hex digits write.
    pub boot: u64,
    pub counter: u64,
}

/// `text` read as an identifier of the kind whose prefix is `kind`: `<kind>_<boot>_<counter>_<rand8hex>`,
/// the boot 1 to 16 lowercase hex digits, the counter a decimal from 1 without leading zeros, the
/// random part eight lowercase hex digits, and nothing more.
pub fn identifier(kind: &str, text: &str) -> Option<Identifier> {
    let rest = text.strip_prefix(kind)?.strip_prefix('_')?;
    let parts: Vec<&str> = rest.split('_').collect();
    let [boot, counter, random] = parts[..] else { return None };
    let lower_hex = |part: &str| part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let boot_ok = (1..=16).contains(&boot.len()) && lower_hex(boot);
    let counter_ok =
        !counter.is_empty() && !counter.starts_with('0') && counter.bytes().all(|b| b.is_ascii_digit());
    if !(boot_ok && counter_ok && random.len() == 8 && lower_hex(random)) {
        return None;
    }
    Some(Identifier { boot: u64::from_str_radix(boot, 16).ok()?, counter: counter.parse().ok()? })
}

/// The values defensive code substitutes for missing data, which no real user or identifier is.
const PLACEHOLDERS: [&str; 11] = [
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

/// What makes a user id one no session may have (§2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserProblem {
    Empty,
    /// A placeholder, in any case.
    Placeholder,
    /// Not visible ASCII, or longer than 128 bytes.
    Malformed,
}

/// What is wrong with `user`, if anything, in the order idgen checks.
pub fn user_problem(user: &str) -> Option<UserProblem> {
    if user.is_empty() {
        Some(UserProblem::Empty)
    } else if PLACEHOLDERS.contains(&user.to_ascii_lowercase().as_str()) {
        Some(UserProblem::Placeholder)
    } else if user.len() > 128 || !user.chars().all(|c| c.is_ascii_graphic()) {
        Some(UserProblem::Malformed)
    } else {
        None
    }
}

/// What is wrong with `context`, if anything: `(true, why)` for a malformed identifier, `(false,
/// why)` for anything else (a user id that is empty, a placeholder, not visible ASCII or too long).
pub fn context_problem(context: &SessionContext) -> Option<(bool, String)> {
    let user = &context.user_id;
    if let Some(problem) = user_problem(user) {
        let problem = match problem {
            UserProblem::Empty => "user_id is empty".to_owned(),
            UserProblem::Placeholder => format!("user_id {user:?} is a placeholder"),
            UserProblem::Malformed => format!("user_id {user:?} is not up to 128 bytes of visible ASCII"),
        };
        return Some((false, problem));
    }
    let fields = [
        ("context_id", "ctx", &context.context_id),
        ("thread_id", "thread", &context.thread_id),
        ("run_id", "run", &context.run_id),
        ("websocket_client_id", "ws", &context.websocket_client_id),
    ];
    fields.into_iter().find(|(_, kind, value)| identifier(kind, value).is_none()).map(
        |(field, kind, value)| (true, format!("{field} {value:?} is not a well-formed `{kind}` identifier")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{SessionIds, is_placeholder};
    use crate::ids::{Id, IdKind};

    #[test]
    fn identifiers_read_as_the_design_writes_them() {
        assert_eq!(
            identifier("thread", "thread_7f3a_42_9c1e0b77"),
            Some(Identifier { boot: 0x7f3a, counter: 42 })
        );
        for bad in [
            "thread_7F3A_42_9c1e0b77",
            "thread_7f3a_042_9c1e0b77",
            "thread_7f3a_0_9c1e0b77",
            "thread_7f3a_42_9c1e0b7",
            "thread_7f3a_42_9c1e0b77_x",
            "run_7f3a_42_9c1e0b77",
            "thread_default",
        ] {
            assert_eq!(identifier("thread", bad), None, "{bad}");
        }
    }

    /// The gateway's own validation agrees with the design's on what it ships with.
    #[test]
    fn the_gateway_as_it_ships_agrees_with_the_design() {
        for word in PLACEHOLDERS {
            assert!(is_placeholder(word), "{word}");
        }
        let id =
            |kind: IdKind, counter| Id { kind, boot: "18c".into(), counter, rand: 0x0a0b_0c0d }.to_string();
        let ids = SessionIds {
            context_id: id(IdKind::Context, 1),
            thread_id: id(IdKind::Thread, 2),
            run_id: id(IdKind::Run, 3),
            websocket_client_id: id(IdKind::WebsocketClient, 4),
        };
        let context = SessionContext::build("alice", ids).expect("the gateway builds it");
        assert_eq!(context_problem(&context), None);
        let renamed = SessionContext { run_id: "run_18c_3".into(), ..context.clone() };
        assert!(context_problem(&renamed).is_some_and(|(identifier, _)| identifier));
        let anonymous = SessionContext { user_id: "Anonymous".into(), ..context };
        assert!(context_problem(&anonymous).is_some_and(|(identifier, _)| !identifier));
    }
}
