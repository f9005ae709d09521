//! Drawn after the workloads: the clients that get something wrong on purpose, and
//! how each presents its token. A bad input reached by no run is a path the campaign never tests.

use rand::Rng as _;
use rand::seq::IndexedRandom as _;

use crate::clock::Rng;
use crate::sim::scenario::{BadInput, Scenario};

/// The longest token the gateway reads, as the design gives it (§2.4), not as the gateway's code
/// does: a limit mistyped there must meet tokens at the design's boundary.
pub(super) const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Every bad input a client may send: each flaw of a frame and of an upgrade request, and tokens
/// just at, just over and far over the gateway's limit.
pub fn kinds() -> Vec<BadInput> {
    vec![
        BadInput::NotJson,
        BadInput::UnknownType,
        BadInput::MissingField,
        BadInput::Binary,
        BadInput::NotUtf8,
        BadInput::NoToken,
        BadInput::EmptyBearer,
        BadInput::EmptySubprotocol,
        BadInput::WrongScheme,
        BadInput::LongToken { bytes: MAX_TOKEN_BYTES },
        BadInput::LongToken { bytes: MAX_TOKEN_BYTES + 1 },
        BadInput::LongToken { bytes: 4 * MAX_TOKEN_BYTES },
        BadInput::WrongVersion,
        BadInput::WrongUpgrade,
    ]
}

/// Half the clients present their token as a subprotocol; one in eight sends one bad input.
pub(super) fn bad_inputs(rng: &mut Rng, scenario: &mut Scenario) {
    let kinds = kinds();
    for client in &mut scenario.clients {
        client.subprotocol = rng.random_bool(0.5);
        if rng.random_bool(0.125) {
            client.bad_input = kinds.choose(rng).copied();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn every_bad_input_is_drawn_in_at_least_one_run_in_a_hundred() {
        // The default fuzz campaign's seeds.
        const SEEDS: u64 = 1000;
        let mut runs: BTreeMap<BadInput, u64> = kinds().into_iter().map(|kind| (kind, 0)).collect();
        let mut subprotocol = 0;
        for seed in 0..SEEDS {
            let scenario = Scenario::from_seed(seed);
            let mut drawn: Vec<_> = scenario.clients.iter().filter_map(|c| c.bad_input).collect();
            drawn.dedup();
            for kind in drawn {
                *runs.get_mut(&kind).expect("a kind `kinds` lists") += 1;
            }
            subprotocol += u64::from(scenario.clients.iter().any(|c| c.subprotocol));
        }
        assert!(runs.values().all(|&count| count >= SEEDS / 100), "runs with each bad input: {runs:?}");
        assert!(subprotocol > SEEDS / 2, "{subprotocol} runs with a token as a subprotocol");
    }
}
