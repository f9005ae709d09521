//! Property tests. Each module states one family of properties; scenario-level properties over
//! simulated runs join them as the harness grows.

mod frames;
mod hostile_input;
mod identifiers;
mod scenarios;
mod strategies;

use proptest::test_runner::{Config, FileFailurePersistence};

/// Proptest's configuration for `file`'s properties: failures are kept in
/// `fixtures/proptest-regressions/<file>.txt` and replayed first on every later run.
fn config(file: &'static str, cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..Config::default()
    }
}
