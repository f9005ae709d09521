//! Reading the answers to a burst of messages: each message's last frame, or its refusal, and
//! for a message sent twice, the copy's refusal as well.

use tokio::time::Instant;

use super::receive::{Heard, Incoming};
use super::{Client, Next, Ws, message_id, ms};
use crate::net::Net;
use crate::sim::trace::Waiting;

impl<N: Net> Client<N> {
    /// Reads until every message of `burst` has had its last frame, allowing the message timeout
    /// for each: the gateway runs a session's messages one at a time. Returns how many completed;
    /// the others the gateway refused and kept the session open.
    /// `first_answered` learns when the client's first message completes.
    pub(super) async fn replies(
        &mut self,
        ws: &mut Ws<N>,
        session: u32,
        mut burst: Vec<String>,
        first_answered: &mut bool,
    ) -> Result<u32, Next> {
        let count = u32::try_from(burst.len()).expect("a burst is a few messages");
        let deadline = Instant::now() + ms(self.policy.message_timeout_ms) * count;
        let mut completed = 0;
        // A message sent twice is pending twice, for its answer and its copy's, but completes once.
        let mut done = Vec::new();
        let first = message_id(self.index, 0);
        while !burst.is_empty() {
            match self.receive(ws, session, deadline, Waiting::Reply).await {
                Incoming::Frame(Heard::Completed(id)) if burst.contains(&id) => {
                    forget_one(&mut burst, &id);
                    if !done.contains(&id) {
                        completed += 1;
                        *first_answered |= id == first;
                        done.push(id);
                    }
                }
                // A refusal that closes the session is followed by the close.
                Incoming::Frame(Heard::Refused(Some(id))) => forget_one(&mut burst, &id),
                Incoming::Frame(_) => {}
                Incoming::Closed(code) => return Err(self.after_server_close(ws, code).await),
                Incoming::Lost => return Err(Next::Reconnect),
                Incoming::TimedOut => return Err(self.close(ws, session).await),
            }
        }
        Ok(completed)
    }
}

/// Takes one of `id` from the pending ids.
fn forget_one(pending: &mut Vec<String>, id: &str) {
    if let Some(at) = pending.iter().position(|p| p == id) {
        pending.remove(at);
    }
}
