//! Cases for the gateway's pings and its idle close (`src/rules/limits.rs`, "Idle sessions"):
//! alice lingers after her session is established, under an idle timeout of 3 s, so a ping each
//! second.

use crate::checkers::testing::TraceBuilder;
use crate::protocol::ErrorCode::IdleTimeout;
use crate::protocol::ErrorFrame;
use crate::rules::Clause;
use crate::sim::trace::Trace;

use super::{Case, alice, judge};

const CLOSED: Clause = Clause::kept("idle.timeout");
const PINGS: Clause = Clause::kept("idle.pings");
const PINGS_ONLY: Clause = Clause::justified("idle.pings");

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: CLOSED,
            // A silence measured from the last message only, which a session without one never has.
            violating: || judge(CLOSED, &silent_linger(false)),
            passing: || judge(CLOSED, &silent_linger(true)),
        },
        Case {
            clause: PINGS,
            // The ping tick that checks for silence but forgets to ping.
            violating: || judge(PINGS, &reading_linger(&[])),
            passing: || judge(PINGS, &reading_linger(&[1000, 2000, 3000, 4000, 5000])),
        },
        Case {
            clause: PINGS_ONLY,
            // An interval whose first tick comes at once rather than a third of the timeout in.
            violating: || judge(PINGS_ONLY, &established_at_100().at(300).pinged(0, 1).build()),
            passing: || judge(PINGS_ONLY, &established_at_100().at(1200).pinged(0, 1).build()),
        },
    ]
}

/// Alice's session under a 3 s idle timeout, established at 100 ms.
fn established_at_100() -> TraceBuilder {
    TraceBuilder::new().idle_timeout(3000).client(0, "alice").at(100).established(0, 1, &alice())
}

/// Alice lingers from 200 ms for 5 s reading nothing, then reads: the `IDLE_TIMEOUT` due since
/// about 4.2 s and the close, or nothing, and closes herself.
fn silent_linger(closed: bool) -> Trace {
    let woke = established_at_100().at(200).lingering(0, 1, false, 5000).at(5200).pinged(0, 1);
    let ended = if closed {
        woke.errored(0, 1, ErrorFrame::new(IdleTimeout, "idle").in_context(&alice()))
    } else {
        woke.closed_by_client(0, 1)
    };
    ended.build()
}

/// Alice lingers from 200 ms for 5 s reading, answering pings at `pongs`, then closes.
fn reading_linger(pongs: &[u64]) -> Trace {
    let lingering = established_at_100().at(200).lingering(0, 1, true, 5000);
    let answered = pongs.iter().fold(lingering, |b, &at| b.at(at).pinged(0, 1));
    answered.at(5200).closed_by_client(0, 1).build()
}
