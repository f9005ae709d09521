//! Rare paths of the gateway's limits that no error code names: its worker queue filling up, and a
//! session kept open past the idle timeout by its pongs alone.

use crate::checkers::conditions::Conditions;
use crate::checkers::sessions::sessions;
use crate::protocol::ServerFrame;
use crate::sim::trace::{Event, Side, Trace};

/// The limit paths, with the sentence the summary prints for each.
pub const PATHS: &[(&str, &str)] = &[
    ("worker_queue_full", "a burst filled a session's worker queue (the gateway stopped reading)"),
    ("idle_outlived_on_pongs", "a session outlived the idle timeout by answering pings"),
];

/// The limit paths `trace` reached.
pub fn reached(trace: &Trace) -> Vec<&'static str> {
    let conditions = Conditions::of(trace);
    let mut found = Vec::new();
    let all = sessions(trace);
    // One message runs while `max_queued_messages` wait: a session with more unanswered than
    // that when it sends another has filled the queue, so the gateway holds the next frame
    // unread.
    let capacity = conditions.limits.max_queued_messages + 1;
    let filled = all.iter().any(|session| {
        let mut unanswered = 0usize;
        session.records.iter().any(|record| match &record.event {
            Event::Sent { .. } => {
                unanswered += 1;
                unanswered > capacity
            }
            Event::Received { frame: ServerFrame::AgentCompleted(_), .. } => {
                unanswered = unanswered.saturating_sub(1);
                false
            }
            Event::Received { frame: ServerFrame::Error(error), .. } if error.message_id.is_some() => {
                unanswered = unanswered.saturating_sub(1);
                false
            }
            _ => false,
        })
    });
    if filled {
        found.push("worker_queue_full");
    }
    let Some(idle_timeout_ms) = conditions.idle_timeout_ms else { return found };
    // The client sent nothing but pongs for longer than the idle timeout, then closed the
    // session itself (a close by the server comes first, and the client records no close of its
    // own after it): the gateway counted the pongs.
    let outlived = all.iter().any(|session| {
        let mut last_sent = session.attempt_ms();
        let mut pinged = false;
        session.records.iter().any(|record| match &record.event {
            Event::Sent { .. } => {
                last_sent = record.at_ms;
                false
            }
            Event::Pinged { .. } => {
                pinged = true;
                false
            }
            Event::Closed { by: Side::Client, .. } => pinged && record.at_ms - last_sent > idle_timeout_ms,
            _ => false,
        })
    });
    if outlived {
        found.push("idle_outlived_on_pongs");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context};

    fn established() -> TraceBuilder {
        TraceBuilder::new().idle_timeout(1000).client(0, "alice").established(0, 1, &context("a1", "alice"))
    }

    #[test]
    fn a_message_sent_behind_a_full_queue_counts_and_one_behind_a_free_slot_does_not() {
        // The default limits queue 64 messages: two unanswered ones leave it far from full.
        let two = established().sent(0, 1, 0, "a").sent(0, 1, 1, "b").build();
        assert!(!reached(&two).contains(&"worker_queue_full"));
        let many = (0..66).fold(established(), |b, i| b.sent(0, 1, i, "x")).build();
        assert!(reached(&many).contains(&"worker_queue_full"));
    }

    #[test]
    fn a_session_the_client_closed_after_pings_past_the_idle_timeout_counts() {
        let kept = established().at(500).pinged(0, 1).at(1200).pinged(0, 1).at(1600).closed_by_client(0, 1);
        assert!(reached(&kept.build()).contains(&"idle_outlived_on_pongs"));
        let short = established().at(500).pinged(0, 1).at(900).closed_by_client(0, 1);
        assert!(!reached(&short.build()).contains(&"idle_outlived_on_pongs"));
    }
}
