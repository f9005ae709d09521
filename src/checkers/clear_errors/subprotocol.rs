//! The subprotocol a 101 names (`docs/design.md` §2.4): the `jwt.<jwt>` a client offered its token
//! in, exactly, and never one it did not offer. The client compares the 101's subprotocol with
//! its offer and records the outcome ([`Echo`]); a client offers at most the one.

use crate::rules::Clause;
use crate::sim::trace::{Echo, Event};

use super::super::sessions::Session;

const ECHOED: Clause = Clause::kept("handshake.subprotocol");
const OFFERED_ONLY: Clause = Clause::justified("handshake.subprotocol");

/// What is wrong with the subprotocols `session`'s 101s named, with when and the rule it breaks.
/// The clauses the session gave something to judge go to `judged`.
pub fn misnamed(session: &Session<'_>, judged: &mut Vec<Clause>) -> Vec<(Clause, u64, String)> {
    let mut found = Vec::new();
    for record in &session.records {
        let Event::Handshake { echo: Some(echo), .. } = record.event else { continue };
        judged.push(OFFERED_ONLY);
        if matches!(echo, Echo::Offered | Echo::Missing) {
            judged.push(ECHOED);
        }
        let problem = match echo {
            Echo::Nothing | Echo::Offered => continue,
            Echo::Missing => {
                (ECHOED, "the 101 named no subprotocol, though the client offered `jwt.<token>`")
            }
            Echo::Unoffered => (OFFERED_ONLY, "the 101 named a subprotocol the client did not offer"),
        };
        found.push((problem.0, record.at_ms, problem.1.to_owned()));
    }
    found
}
