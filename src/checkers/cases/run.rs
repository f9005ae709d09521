//! Cases for the rules of whole runs (`src/rules/run.rs`): liveness after a heal, and the two
//! rules judged by running the scenario again, whose reruns here are stubs that hand back a
//! hand-made trace.

use crate::checkers::testing::{TraceBuilder, context};
use crate::checkers::{Findings, Options, reruns};
use crate::protocol::{ErrorCode, ErrorFrame};
use crate::rules::Clause;
use crate::sim::Scenario;
use crate::sim::scenario::IDGEN;
use crate::sim::trace::{Event, Fault, Trace};

use super::{Case, alice, alice_session, established_with, judge, with_thread};

const CONNECT: Clause = Clause::kept("liveness.connect");
const MESSAGE: Clause = Clause::kept("liveness.message");
const AGNOSTIC: Clause = Clause::kept("environment.agnostic");
const REPLAY: Clause = Clause::kept("determinism.replay");

/// Each rerun checker alone: the scenario run elsewhere, or run again.
const ELSEWHERE: Options = Options { environments: true, determinism: false };
const AGAIN: Options = Options { environments: false, determinism: true };

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            clause: CONNECT,
            // A pooled connection to the idgen that bounced, kept and failing until the deadline.
            violating: || {
                let gave_up = ErrorFrame::new(ErrorCode::IdgenUnavailable, "idgen unavailable");
                judge(CONNECT, &idgen_bounced().upgraded(0, 1).at(5200).errored(0, 1, gave_up).build())
            },
            passing: || judge(CONNECT, &idgen_bounced().established(0, 1, &alice()).build()),
        },
        Case {
            clause: MESSAGE,
            // The agent's run stalled behind the bounce.
            violating: || judge(MESSAGE, &message_answered_after(1200)),
            passing: || judge(MESSAGE, &message_answered_after(200)),
        },
        Case {
            clause: AGNOSTIC,
            // Staging's accommodation: a fallback thread where dev had idgen's.
            violating: || {
                let fallback = with_thread(alice(), "thread_default");
                rerun(ELSEWHERE, established_with(&fallback).build())
            },
            passing: || rerun(ELSEWHERE, alice_session().build()),
        },
        Case {
            clause: REPLAY,
            // idgen's random parts drawn from the machine rather than the seed.
            violating: || rerun(AGAIN, established_with(&context("a2", "alice")).build()),
            passing: || rerun(AGAIN, alice_session().build()),
        },
    ]
}

/// idgen bounced at 100 ms, healed at once; alice's client starts at 200 ms.
fn idgen_bounced() -> TraceBuilder {
    TraceBuilder::new()
        .at(100)
        .fault(Fault::Bounce { host: IDGEN.to_owned() })
        .at(100)
        .record(IDGEN, Event::ServiceStarted { incarnation: 2 })
        .at(200)
        .client(0, "alice")
}

/// After the heal, alice's message sent at 300 ms and answered `delay_ms` later.
fn message_answered_after(delay_ms: u64) -> Trace {
    let mut builder = idgen_bounced().established(0, 1, &alice());
    let frames = builder.agent_frames(0, 1, 0, "hello");
    let sent = builder.at(300).sent(0, 1, 0, "hello").at(300 + delay_ms);
    frames.into_iter().fold(sent, |b, frame| b.received(0, 1, frame)).build()
}

/// What the rerun checkers `options` asks for find when the scenario's first run gave alice's
/// session and every rerun gives `rerun`.
fn rerun(options: Options, rerun: Trace) -> Findings {
    let mut findings = Findings::default();
    let first = alice_session().build();
    reruns::check(&Scenario::default(), &first, options, &mut findings, |_| rerun.clone());
    findings
}
