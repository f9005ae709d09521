//! The rate limit, seen from the trace. Each session has a token bucket of `message_burst` tokens,
//! full when the session starts and refilled at `messages_per_sec`; a message admitted takes a
//! token, one that finds none is refused `RATE_LIMITED`. The gateway judges a message when it
//! reads it: after the client sent it, before the client hears anything about it. Each rule holds
//! wherever in those bounds the gateway judged, so it never blames a gateway that kept the limit.

use std::collections::BTreeMap;

use crate::protocol::{ErrorCode, ErrorFrame};
use crate::sim::scenario::GatewayLimits;

use super::super::sessions::Session;

/// The gateway's clock is exact and the trace's is in whole milliseconds: a frame recorded at
/// `ms` arrived before `ms + 1`.
const ROUNDING_MS: u64 = 1;

/// More messages admitted in some stretch of `session` than the bucket holds and refills over
/// it: a gateway that does not keep its rate limit. With when and what, for the first such
/// stretch.
pub fn over_the_rate(session: &Session<'_>, limits: &GatewayLimits) -> Option<(u64, String)> {
    let (burst, per_sec) = (f64::from(limits.message_burst.max(1)), f64::from(limits.messages_per_sec));
    // Per message id: when the client first heard of it, and whether the agent worked on it.
    let mut heard_of: BTreeMap<&str, (u64, bool)> = BTreeMap::new();
    for (at_ms, frame) in session.frames() {
        let Some(id) = frame.message_id() else { continue };
        heard_of.entry(id).or_insert((at_ms, false)).1 |= frame.as_event().is_some();
    }
    // (sent, first heard of) for every message admitted, in the order sent.
    let admitted: Vec<(u64, u64)> = session
        .sent()
        .filter_map(|sent| match heard_of.get(sent.message_id) {
            Some(&(heard, true)) => Some((sent.at_ms, heard)),
            _ => None,
        })
        .collect();
    // Every message from the i-th on was judged after its sending; those heard of by `heard` were
    // judged in [sent_i, heard]. Heard-of times of messages i.. are kept sorted.
    let mut heard: Vec<u64> = Vec::with_capacity(admitted.len());
    let mut worst = None;
    for &(from, first_heard) in admitted.iter().rev() {
        heard.insert(heard.partition_point(|&t| t < first_heard), first_heard);
        for (count, &until) in (1..).zip(&heard) {
            let seconds = (until + ROUNDING_MS).saturating_sub(from) as f64 / 1000.0;
            let allowed = burst + per_sec * seconds;
            if f64::from(count) > allowed + 1e-9 {
                worst = Some((until, count, from, allowed));
            }
        }
    }
    let (until, count, from, allowed) = worst?;
    Some((
        until,
        format!(
            "the gateway admitted {count} messages sent from {from} ms and answered by {until} ms, but a \
             burst of {} and {} per second allow at most {}: a message over the rate must be refused \
             RATE_LIMITED",
            limits.message_burst,
            limits.messages_per_sec,
            allowed.floor()
        ),
    ))
}

/// A `RATE_LIMITED` whose "retry in N ms" is longer than one token takes to refill.
pub fn wrong_wait(error: &ErrorFrame, limits: &GatewayLimits) -> Option<String> {
    if error.code != ErrorCode::RateLimited || limits.messages_per_sec == 0 {
        return None;
    }
    let (_, after) = error.message.split_once("retry in ")?;
    let wait_ms: u64 = after.strip_suffix(" ms")?.parse().ok()?;
    let refill_ms = 1000 / u64::from(limits.messages_per_sec);
    (wait_ms > refill_ms).then(|| {
        format!(
            "RATE_LIMITED says retry in {wait_ms} ms, but at {} per second a token refills within {refill_ms} ms",
            limits.messages_per_sec
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::checkers::clear_errors::check;
    use crate::checkers::testing::{TraceBuilder, context};
    use crate::protocol::{ErrorCode, ErrorFrame, ServerFrame};
    use crate::sim::client::message_id;
    use crate::sim::scenario::GatewayLimits;

    /// Alice's session under a burst of 2 and `limits_per_sec` messages a second.
    fn alice(limits_per_sec: u32) -> TraceBuilder {
        let limits =
            GatewayLimits { message_burst: 2, messages_per_sec: limits_per_sec, ..GatewayLimits::default() };
        TraceBuilder::new().limits(limits).client(0, "alice").established(0, 1, &context("a1", "alice"))
    }

    #[test]
    fn three_messages_answered_within_a_second_break_a_burst_of_two_at_one_a_second() {
        let trace = alice(1).message(0, 1, 0, "a").message(0, 1, 1, "b").message(0, 1, 2, "c").build();
        let found = check(&trace);
        assert_eq!(found.len(), 1, "{found:?}");
        let message = &found[0].message;
        assert!(message.contains("admitted 3 messages sent from 8 ms and answered by 21 ms"), "{message}");
        assert!(message.contains("a burst of 2 and 1 per second allow at most 2"), "{message}");
    }

    #[test]
    fn messages_spaced_as_the_bucket_refills_pass_and_so_do_refused_ones() {
        let spaced = alice(1).message(0, 1, 0, "a").message(0, 1, 1, "b").at(1_020).message(0, 1, 2, "c");
        assert_eq!(check(&spaced.build()), []);
        let refused = ServerFrame::Error(
            ErrorFrame::new(ErrorCode::RateLimited, "too many messages; retry in 990 ms")
                .about(Some(message_id(0, 2))),
        );
        let trace =
            alice(1).message(0, 1, 0, "a").message(0, 1, 1, "b").sent(0, 1, 2, "c").received(0, 1, refused);
        assert_eq!(check(&trace.build()), []);
    }

    #[test]
    fn a_refusal_asking_for_a_longer_wait_than_a_token_takes_is_caught() {
        let refusal = |wait_ms: u64| {
            let text = format!("too many messages; retry in {wait_ms} ms");
            let frame = ErrorFrame::new(ErrorCode::RateLimited, text).about(Some(message_id(0, 2)));
            let builder = alice(4).message(0, 1, 0, "a").message(0, 1, 1, "b").sent(0, 1, 2, "c");
            check(&builder.received(0, 1, ServerFrame::Error(frame)).build())
        };
        assert_eq!(refusal(250), []);
        let found = refusal(251);
        assert!(
            found[0]
                .message
                .contains("says retry in 251 ms, but at 4 per second a token refills within 250 ms"),
            "{found:?}"
        );
    }
}
