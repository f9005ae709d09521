//! Loopback tests: the real services on real TCP (ephemeral ports), driven by a real
//! tokio-tungstenite client.

mod client;
mod proxy;
mod stack;

mod auth_failures;
mod bad_input;
mod dependencies;
mod happy_path;
mod idgen_restart;
mod kept_alive;
mod legacy_modes;
mod limits;
mod secrecy;
mod shutdown;
mod soak;
mod token_attacks;
