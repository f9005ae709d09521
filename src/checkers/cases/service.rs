//! Cases for the rules of idgen's identifiers (`src/rules/service.rs`): each breaks where an idgen
//! restart meets a second session of alice, the moment its identifiers are most at risk.

use crate::context::SessionContext;
use crate::rules::Clause;
use crate::sim::scenario::IDGEN;
use crate::sim::trace::{Event, Fault, Trace};

use super::{Case, alice, alice_session, judge};
use crate::checkers::testing::context;

const UNIQUE: Clause = Clause::justified("ids.unique");
const COUNTER: Clause = Clause::justified("ids.counter");
const FORMAT: Clause = Clause::justified("ids.format");
const BOOT: Clause = Clause::justified("ids.boot");

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: FORMAT,
            // A fallback thread for an idgen answer that lacked one.
            violating: || {
                let fallback = SessionContext { thread_id: "thread_default".to_owned(), ..alice() };
                judge(FORMAT, &alice_with(&fallback))
            },
            passing: || judge(FORMAT, &alice_with(&alice())),
        },
        Case {
            clause: BOOT,
            // A restarted idgen whose boot came from a clock read before the restart's.
            violating: || judge(BOOT, &across_idgen_restart(&context("a0", "alice"))),
            passing: || judge(BOOT, &across_idgen_restart(&next_boot())),
        },
        Case {
            clause: UNIQUE,
            // idgen came back drawing the same boot and the same random parts: the very same ids.
            violating: || judge(UNIQUE, &across_idgen_restart(&alice())),
            passing: || judge(UNIQUE, &across_idgen_restart(&next_boot())),
        },
        Case {
            clause: COUNTER,
            // idgen came back within its boot's millisecond: new random parts, counters from 1 again.
            violating: || judge(COUNTER, &across_idgen_restart(&same_boot_reseeded())),
            passing: || judge(COUNTER, &across_idgen_restart(&next_boot())),
        },
    ]
}

/// Alice's first session, then a bounce of idgen, then her second session established with
/// `second`.
fn across_idgen_restart(second: &SessionContext) -> Trace {
    alice_session()
        .fault(Fault::Bounce { host: IDGEN.to_owned() })
        .record(IDGEN, Event::ServiceStarted { incarnation: 2 })
        .established(0, 2, second)
        .build()
}

/// Alice's first session, established with `context`.
fn alice_with(context: &SessionContext) -> Trace {
    super::established_with(context).build()
}

/// What a restarted idgen issues next: its own boot, its counters from 1.
fn next_boot() -> SessionContext {
    context("a2", "alice")
}

/// Alice's first identifiers, boot and counters kept, random parts drawn anew.
fn same_boot_reseeded() -> SessionContext {
    let reseeded = |id: &str| format!("{}ffffffff", &id[..id.len() - 8]);
    let first = alice();
    SessionContext {
        context_id: reseeded(&first.context_id),
        user_id: first.user_id.clone(),
        thread_id: reseeded(&first.thread_id),
        run_id: reseeded(&first.run_id),
        websocket_client_id: reseeded(&first.websocket_client_id),
    }
}
