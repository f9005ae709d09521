//! Simulated scenarios run on the real services, one test each, named as sentences
//! (DESIGN.md §2 "Entry points").

mod determinism;
mod faults;
mod support;
mod sweep;
