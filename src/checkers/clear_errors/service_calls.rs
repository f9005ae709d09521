//! What auth and idgen answer a caller other than the gateway (`docs/design.md` §2.1, §2.2): 503
//! to every request while warming up and none after; 401 without a body to a validate call
//! without the right service secret, and never to one with it; 400 naming the reason for a user
//! id no session may have, and never for one it may.
//!
//! Whether a request met the warm-up is judged from the lifetime that answered it: it started
//! before the request was sent, and nothing restarted the service until the answer. The request
//! was handled between its sending and its answer, and the trace's milliseconds are rounded down,
//! so it surely met the warm-up when it was answered before the lifetime's start plus its
//! warm-up, and surely did not when it was sent after that; otherwise the readiness rule is not
//! judged, nor the refusals the warm-up would have preempted.

use std::collections::BTreeMap;

use crate::checkers::conditions::Conditions;
use crate::checkers::expected::{MAX_TOKEN_BYTES, UserProblem, user_problem};
use crate::checkers::{Findings, Violation};
use crate::rules::Clause;
use crate::sim::scenario::{SecretKind, ServiceRequest};
use crate::sim::trace::{Event, Fault, Record, Trace};

pub(super) const READY_KEPT: Clause = Clause::kept("service.readiness");
pub(super) const READY_JUSTIFIED: Clause = Clause::justified("service.readiness");
pub(super) const SECRET_KEPT: Clause = Clause::kept("auth.service-secret");
pub(super) const SECRET_JUSTIFIED: Clause = Clause::justified("auth.service-secret");
pub(super) const USER_KEPT: Clause = Clause::kept("ids.user");
const LENGTH_KEPT: Clause = Clause::kept("token.length");
const LENGTH_JUSTIFIED: Clause = Clause::justified("token.length");
pub(super) const USER_JUSTIFIED: Clause = Clause::justified("ids.user");

const OK: u16 = 200;
const BAD_REQUEST: u16 = 400;
const UNAUTHORIZED: u16 = 401;
const UNAVAILABLE: u16 = 503;

/// Whether the lifetime that answered a call was warming up when it handled it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Warmth {
    Warming,
    Warm,
    Unknown,
}

/// One call and its answer.
struct Call<'t> {
    index: usize,
    sent_ms: u64,
    request: &'t ServiceRequest,
    answered_ms: u64,
    status: u16,
    body: &'t str,
}

pub(super) fn check(trace: &Trace, conditions: &Conditions<'_>, findings: &mut Findings) {
    for call in calls(trace) {
        let warmth = warmth(trace, conditions, &call);
        judge(&call, warmth, findings);
    }
}

fn calls(trace: &Trace) -> Vec<Call<'_>> {
    let mut sent: BTreeMap<usize, (u64, &ServiceRequest)> = BTreeMap::new();
    let mut calls = Vec::new();
    for record in &trace.records {
        match &record.event {
            Event::Called { call, request } => {
                sent.insert(*call, (record.at_ms, request));
            }
            Event::CallAnswered { call, status, body } => {
                if let Some(&(sent_ms, request)) = sent.get(call) {
                    let (index, answered_ms, status) = (*call, record.at_ms, *status);
                    calls.push(Call { index, sent_ms, request, answered_ms, status, body });
                }
            }
            _ => {}
        }
    }
    calls
}

/// Whether `record` starts or ends a lifetime of `service`.
fn restarts(record: &Record, service: &str) -> bool {
    match &record.event {
        Event::ServiceStarted { .. } | Event::ServiceFailed { .. } => record.host == service,
        Event::Fault { fault: Fault::Crash { host } | Fault::Bounce { host } } => host == service,
        _ => false,
    }
}

fn warmth(trace: &Trace, conditions: &Conditions<'_>, call: &Call<'_>) -> Warmth {
    let service = call.request.service();
    let mut changes = trace.records.iter().filter(|record| restarts(record, service));
    if changes.clone().any(|record| (call.sent_ms..=call.answered_ms).contains(&record.at_ms)) {
        return Warmth::Unknown;
    }
    let started = changes
        .rfind(|record| record.at_ms < call.sent_ms)
        .filter(|record| matches!(record.event, Event::ServiceStarted { .. }));
    let Some(started) = started else { return Warmth::Unknown };
    let ready_ms = started.at_ms + conditions.warmup(service);
    if call.answered_ms < ready_ms {
        Warmth::Warming
    } else if call.sent_ms > ready_ms {
        Warmth::Warm
    } else {
        Warmth::Unknown
    }
}

fn judge(call: &Call<'_>, warmth: Warmth, findings: &mut Findings) {
    let service = call.request.service();
    let report = |findings: &mut Findings, clause: Clause, what: String| {
        findings.push(Violation::of(
            clause,
            Some(call.answered_ms),
            format!("call {} to {service} ({}): {what}", call.index, describe(call.request)),
        ));
    };
    let status = call.status;
    match warmth {
        Warmth::Warming => {
            findings.judged(READY_KEPT);
            if status != UNAVAILABLE {
                report(
                    findings,
                    READY_KEPT,
                    format!("answered {status} while {service} was warming up, not 503"),
                );
            }
            return;
        }
        Warmth::Warm => {
            findings.judged(READY_JUSTIFIED);
            let health = matches!(call.request, ServiceRequest::Health { .. });
            if status == UNAVAILABLE || (health && status != OK) {
                report(findings, READY_JUSTIFIED, format!("answered {status} after {service} had warmed up"));
            }
        }
        Warmth::Unknown => {}
    }
    // A 503 is the readiness rule's to judge; the refusals below come only from a service serving.
    if status == UNAVAILABLE {
        return;
    }
    let warm = warmth == Warmth::Warm;
    match call.request {
        ServiceRequest::Health { .. } => {}
        ServiceRequest::Validate { secret: SecretKind::Right, token_bytes } => {
            findings.judged(SECRET_JUSTIFIED);
            if status == UNAUTHORIZED {
                report(findings, SECRET_JUSTIFIED, "answered 401 to the right service secret".to_owned());
            }
            if let Some(bytes) = token_bytes.filter(|_| warm && status == OK) {
                let (clause, problem) = length_judged(bytes, call.body);
                findings.judged(clause);
                if let Some(problem) = problem {
                    report(findings, clause, problem);
                }
            }
        }
        ServiceRequest::Validate { secret, .. } if warm => {
            findings.judged(SECRET_KEPT);
            if status != UNAUTHORIZED || !call.body.is_empty() {
                let body =
                    if call.body.is_empty() { "no body".to_owned() } else { format!("body {:?}", call.body) };
                report(
                    findings,
                    SECRET_KEPT,
                    format!("answered {status} with {body} to the secret {secret:?}, not 401 without a body"),
                );
            }
        }
        ServiceRequest::Ids { user_id } => match user_problem(user_id) {
            None => {
                findings.judged(USER_JUSTIFIED);
                if status == BAD_REQUEST {
                    report(
                        findings,
                        USER_JUSTIFIED,
                        format!("refused a valid user id with 400 {:?}", call.body),
                    );
                }
            }
            Some(problem) if warm => {
                findings.judged(USER_KEPT);
                if let Some(wrong) = wrong_refusal(problem, status, call.body) {
                    report(findings, USER_KEPT, wrong);
                }
            }
            Some(_) => {}
        },
        ServiceRequest::Validate { .. } => {}
    }
}

/// The clause a 200 to alice's valid token padded to `bytes` bytes is judged by, and what is wrong
/// with its `body`: over 8 KiB it must be refused `malformed`, at most that accepted for alice.
fn length_judged(bytes: usize, body: &str) -> (Clause, Option<String>) {
    let answer: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let (valid, user, error) =
        (answer["valid"].as_bool(), answer["user_id"].as_str(), answer["error"].as_str());
    if bytes > MAX_TOKEN_BYTES {
        let refused = valid == Some(false) && error == Some("malformed");
        (LENGTH_KEPT, (!refused).then(|| format!("answered {body:?} to a token over 8 KiB, not malformed")))
    } else {
        let accepted = valid == Some(true) && user == Some("alice");
        (
            LENGTH_JUSTIFIED,
            (!accepted).then(|| format!("answered {body:?} to alice's valid token of at most 8 KiB")),
        )
    }
}

/// What is wrong with the answer `status` and `body` to a user id with `problem`: it must be 400,
/// its body the reason in words.
fn wrong_refusal(problem: UserProblem, status: u16, body: &str) -> Option<String> {
    let says = match problem {
        UserProblem::Empty => body == "user_id is empty",
        UserProblem::Placeholder => body.starts_with("user_id ") && body.contains("placeholder"),
        UserProblem::Malformed => {
            body.starts_with("user_id ") && !body.contains("placeholder") && body != "user_id is empty"
        }
    };
    (status != BAD_REQUEST || !says)
        .then(|| format!("answered {status} {body:?} to a user id that is {problem:?}, not 400 naming that"))
}

/// `validate, secret OtherCase`, `ids for "NULL"`: a request as a person names it.
fn describe(request: &ServiceRequest) -> String {
    match request {
        ServiceRequest::Health { .. } => "healthz".to_owned(),
        ServiceRequest::Validate { secret, token_bytes: None } => format!("validate, secret {secret:?}"),
        ServiceRequest::Validate { secret, token_bytes: Some(bytes) } => {
            format!("validate, secret {secret:?}, a token of {bytes} bytes")
        }
        ServiceRequest::Ids { user_id } => format!("ids for {user_id:?}"),
    }
}
