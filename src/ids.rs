//! Identifier formats: `<kind>_<boot>_<counter>_<rand8hex>`, e.g. `thread_18c4f2a3b10_42_9c1e0b77`.
//!
//! `boot` is the issuing process's start time in milliseconds (hex) by its injected clock, so a
//! restarted idgen never reissues an identifier from an earlier lifetime even though its counter
//! starts again at 1. `rand8hex` comes from the injected RNG.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kinds of identifier idgen issues, one per context field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    Context,
    Thread,
    Run,
    WebsocketClient,
}

impl IdKind {
    pub const ALL: [IdKind; 4] = [IdKind::Context, IdKind::Thread, IdKind::Run, IdKind::WebsocketClient];

    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Context => "ctx",
            IdKind::Thread => "thread",
            IdKind::Run => "run",
            IdKind::WebsocketClient => "ws",
        }
    }
}

/// An identifier broken into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Id {
    pub kind: IdKind,
    pub boot: String,
    pub counter: u64,
    pub rand: u32,
}

impl Id {
    /// Parses `text` as an identifier of `kind`; `None` unless it is exactly well-formed.
    pub fn parse(kind: IdKind, text: &str) -> Option<Id> {
        let rest = text.strip_prefix(kind.prefix())?.strip_prefix('_')?;
        let mut parts = rest.split('_');
        let (boot, counter, rand) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !is_lower_hex(boot, 1..=16) || !is_lower_hex(rand, 8..=8) {
            return None;
        }
        if counter.is_empty() || counter.starts_with('0') || !counter.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Id {
            kind,
            boot: boot.to_owned(),
            counter: counter.parse().ok()?,
            rand: u32::from_str_radix(rand, 16).ok()?,
        })
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}_{}_{:08x}", self.kind.prefix(), self.boot, self.counter, self.rand)
    }
}

fn is_lower_hex(text: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&text.len()) && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_survives_a_round_trip_through_text() {
        let id = Id { kind: IdKind::Thread, boot: "7f3a".into(), counter: 42, rand: 0x9c1e0b77 };
        assert_eq!(id.to_string(), "thread_7f3a_42_9c1e0b77");
        assert_eq!(Id::parse(IdKind::Thread, "thread_7f3a_42_9c1e0b77"), Some(id));
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for text in [
            "",
            "thread",
            "thread_7f3a_42",
            "run_7f3a_42_9c1e0b77",
            "thread_7F3A_42_9c1e0b77",
            "thread_7f3a_042_9c1e0b77",
            "thread_7f3a_0_9c1e0b7",
            "thread_7f3a_42_9c1e0b77_x",
            "thread__42_9c1e0b77",
            "thread_7f3a_-1_9c1e0b77",
            "thread_default",
        ] {
            assert_eq!(Id::parse(IdKind::Thread, text), None, "{text:?}");
        }
    }
}
