//! The campaign digest: one hash over every run of a campaign in order, its scenario and what
//! came of it, so that two campaigns that ran the same scenarios to the same ends, on any number
//! of jobs, print the same digest, and any difference in what ran or what it found shows.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::SeedRun;

/// SHA-256, in hex, over each run's scenario, violations, coverage features and counts, in order.
pub fn campaign(runs: &[SeedRun]) -> String {
    let mut hash = Sha256::new();
    for run in runs {
        hash.update(json(&run.scenario));
        hash.update(json(&run.violations));
        hash.update(json(&run.features));
        hash.update(json(&run.stats));
        hash.update([u8::from(run.drawn)]);
    }
    hash.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `value` as JSON and a newline, so that one field's end cannot pass for the next one's start.
fn json(value: &impl Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).expect("runs serialise");
    bytes.push(b'\n');
    bytes
}
