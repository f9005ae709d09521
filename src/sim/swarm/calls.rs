//! Drawn after every other draw of a seed but the graceful stop: requests straight to auth and
//! idgen (§2.1, §2.2), in one run in four. Each is timed within its service's start delay and
//! warm-up and 1.5 s more, so that some meet the warm-up and some a warm service; validate calls
//! present the right secret or one a careless comparison would take for it, and idgen calls a
//! user id that is refused or one just inside the rules.

use rand::Rng as _;
use rand::seq::IndexedRandom as _;

use super::bad_input::MAX_TOKEN_BYTES;
use crate::clock::Rng;
use crate::sim::scenario::{AUTH, IDGEN, Scenario, SecretKind, ServiceCall, ServiceRequest};

/// User ids idgen must refuse: empty, placeholders in any case, not visible ASCII, too long.
pub fn refused_user_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "",
        "null",
        "NULL",
        "Anonymous",
        "n/a",
        "N/A",
        "Test",
        "UNKNOWN",
        "alice bob",
        "alice\t",
        "ålice",
        "x\u{7f}",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    ids.push("u".repeat(129));
    ids
}

/// User ids idgen must serve: like a placeholder but not one, and exactly the longest allowed.
pub fn served_user_ids() -> Vec<String> {
    let mut ids: Vec<String> = ["alice", "testing", "nullable", "NA-1", "user-42_x@example.com"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    ids.push("u".repeat(128));
    ids
}

pub(super) fn service_calls(rng: &mut Rng, scenario: &mut Scenario) {
    if !rng.random_bool(0.25) {
        return;
    }
    let (refused, served) = (refused_user_ids(), served_user_ids());
    scenario.service_calls = (0..rng.random_range(3..=10))
        .map(|_| {
            let request = match rng.random_range(0..3) {
                0 => {
                    let service = if rng.random() { AUTH } else { IDGEN };
                    ServiceRequest::Health { service: service.to_owned() }
                }
                1 => {
                    let secret = *SecretKind::ALL.choose(rng).expect("not empty");
                    // Alice's token as it is, or padded to just at and just over auth's limit.
                    let token_bytes = *[None, None, Some(MAX_TOKEN_BYTES), Some(MAX_TOKEN_BYTES + 1)]
                        .choose(rng)
                        .expect("not empty");
                    ServiceRequest::Validate { secret, token_bytes }
                }
                _ => {
                    let ids = if rng.random() { &refused } else { &served };
                    ServiceRequest::Ids { user_id: ids.choose(rng).expect("not empty").clone() }
                }
            };
            let spec = scenario.service(request.service());
            let at_ms = rng.random_range(0..=spec.start_delay_ms + spec.warmup_ms + 1500);
            ServiceCall { at_ms, request }
        })
        .collect();
    scenario.service_calls.sort_by_key(|call| call.at_ms);
}
