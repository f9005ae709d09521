//! Simulated scenarios run on the real services, one test each, named as sentences
//! (DESIGN.md §2 "Entry points").

mod corpus;
mod determinism;
mod faults;
mod incidents;
mod reproduce;
mod support;
mod sweep;
