//! Runs the agent on a session's messages, one at a time, in the order they arrived.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::writer::Outbox;
use crate::clock::Rng;
use crate::context::SessionContext;
use crate::net::Net;
use crate::protocol::{ClientMessage, CloseCode, ErrorCode, ErrorFrame};
use crate::services::gateway::agent::Run;
use crate::services::gateway::{Gateway, Mode, legacy};

pub(super) struct Worker<N> {
    pub gateway: Arc<Gateway<N>>,
    pub context: SessionContext,
    pub outbox: Outbox,
    pub in_flight: Arc<Mutex<BTreeSet<String>>>,
    /// Cancelled when the worker has closed the session itself (legacy 1011).
    pub closed: CancellationToken,
}

impl<N: Net> Worker<N> {
    pub async fn run(self, mut messages: mpsc::Receiver<Box<ClientMessage>>, mut rng: Rng) {
        let mut seq = 0;
        let mut count = 0;
        while let Some(message) = messages.recv().await.map(|message| *message) {
            count += 1;
            if self.gateway.config.mode == Mode::PerMessageContext
                // Boxed: inline, its HTTP call would make every session's worker that much
                // larger, in every mode.
                && let Err(reason) = Box::pin(legacy::rebuild_context(&self.gateway, &self.context)).await
            {
                let error =
                    ErrorFrame::new(ErrorCode::Internal, format!("context validation failed: {reason}"))
                        .in_context(&self.context)
                        .about(Some(message.id));
                self.outbox.close_with(error, CloseCode::Internal);
                self.closed.cancel();
                return;
            }
            let run = Run {
                context: &self.context,
                message: &message,
                request_id: self.context.request_id(count),
                timing: &self.gateway.config.agent,
            };
            for (frame, work) in run.steps(&mut rng, &mut seq) {
                if self.outbox.frame(frame).is_err() {
                    return;
                }
                if !work.is_zero() {
                    tokio::time::sleep(work).await;
                }
            }
            self.in_flight.lock().expect("in-flight lock poisoned").remove(&message.id);
        }
    }
}
