//! Property tests. Each module states one family of properties; scenario-level properties over
//! simulated runs join them as the harness grows.

mod frames;
mod hostile_input;
mod identifiers;
mod scenarios;
mod strategies;
