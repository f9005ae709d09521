//! The wire protocol between WebSocket clients and the gateway (`docs/design.md` §2.4–2.9).
//!
//! Shared by the gateway, which writes server frames and reads client frames, and by the
//! simulator's clients and checkers, which do the opposite.

mod client;
mod codes;
mod event_data;
mod server;

pub use client::{BadMessage, ClientFrame, ClientMessage};
pub use codes::{CloseCode, ErrorCode};
pub use event_data::EventData;
pub use server::{ErrorFrame, EventFrame, EventKind, ServerFrame};
