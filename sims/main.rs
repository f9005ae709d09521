//! Simulated scenarios run on the real services, one test each, named as sentences
//! (`docs/design.md` §3.7).

mod corpus;
mod determinism;
mod faults;
mod incidents;
mod reproduce;
mod support;
mod sweep;
