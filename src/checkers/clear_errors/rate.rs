//! The rate limit, seen from the trace. Each session has a token bucket of `message_burst` tokens,
//! full when the session starts and refilled at `messages_per_sec`; a message admitted takes a
//! token, one that finds none is refused `RATE_LIMITED`. The gateway judges a message when it
//! reads it: after the client sent it, before the client hears anything about it. Each rule holds
//! wherever in those bounds the gateway judged, so it never blames a gateway that kept the limit.

use std::collections::BTreeMap;

use crate::protocol::{ErrorCode, ErrorFrame, EventKind, ServerFrame};
use crate::rules::Clause;
use crate::sim::scenario::GatewayLimits;

use super::super::sessions::Session;

/// The rule, both ways.
const KEPT: Clause = Clause::kept("limits.rate");
const JUSTIFIED: Clause = Clause::justified("limits.rate");

/// What is wrong with how `session` was held to its rate, by the rule it breaks; the clauses the
/// session gave something to judge go to `judged`: the limit's keeping once the session sent more
/// than its burst, a refusal's cause once it was refused.
pub fn judge(
    session: &Session<'_>,
    limits: &GatewayLimits,
    judged: &mut Vec<Clause>,
) -> Vec<(Clause, u64, String)> {
    if session.user_message_frames().nth(limits.message_burst as usize).is_some() {
        judged.push(KEPT);
    }
    let over = over_the_rate(session, limits).map(|(at_ms, problem)| (KEPT, at_ms, problem));
    let refused = refusals(session, limits);
    if !refused.0 {
        return over.into_iter().collect();
    }
    judged.push(JUSTIFIED);
    over.into_iter()
        .chain(refused.1.into_iter().map(|(at_ms, problem)| (JUSTIFIED, at_ms, problem)))
        .collect()
}

/// The gateway's clock is exact and the trace's is in whole milliseconds: a frame recorded at
/// `ms` arrived before `ms + 1`.
const ROUNDING_MS: u64 = 1;

/// What the trace says of a message the session sent.
#[derive(Clone, Copy)]
enum Verdict<'t> {
    /// The agent worked on it; the client first heard of it at `heard`.
    Admitted { heard: u64 },
    /// Refused `RATE_LIMITED`, heard at `at`.
    Refused { at: u64, error: &'t ErrorFrame },
    /// Anything else, or nothing heard.
    Other,
}

/// Each user message frame the session sent (copies included), when, and its verdict, in the
/// order sent: the order the gateway judged them in, as it reads a session's frames in order.
fn judged<'t>(session: &Session<'t>) -> Vec<(u64, Verdict<'t>)> {
    let frames: Vec<(u64, &str)> = session.user_message_frames().collect();
    let mut sends: BTreeMap<&str, usize> = BTreeMap::new();
    frames.iter().for_each(|(_, id)| *sends.entry(id).or_default() += 1);
    let mut outcomes: BTreeMap<&str, Outcomes<'t>> = BTreeMap::new();
    for (at_ms, frame) in session.frames() {
        let Some(id) = frame.message_id() else { continue };
        outcomes.entry(id).or_default().take(at_ms, frame);
    }
    // An id sent once has one verdict; one sent again (a copy, or a new message under an answered
    // id) has an outcome per frame, given to its frames in the order they were sent.
    let mut verdicts: BTreeMap<&str, std::vec::IntoIter<Verdict<'t>>> = outcomes
        .into_iter()
        .map(|(id, outcomes)| {
            let verdicts =
                if sends.get(id).copied().unwrap_or(0) > 1 { outcomes.each() } else { vec![outcomes.one()] };
            (id, verdicts.into_iter())
        })
        .collect();
    frames
        .into_iter()
        .map(|(sent, id)| (sent, verdicts.get_mut(id).and_then(Iterator::next).unwrap_or(Verdict::Other)))
        .collect()
}

/// What the client heard about one id, in the order it arrived.
#[derive(Default)]
struct Outcomes<'t> {
    /// When it was first heard of.
    first: Option<u64>,
    /// When each run of the agent on it began, each `RATE_LIMITED`, and each `BAD_MESSAGE`: a
    /// copy refused as a duplicate took its token as an admitted message does.
    each: Vec<(u64, Verdict<'t>)>,
    worked_on: bool,
    running: bool,
}

impl<'t> Outcomes<'t> {
    fn take(&mut self, at_ms: u64, frame: &'t ServerFrame) {
        self.first.get_or_insert(at_ms);
        match frame {
            ServerFrame::Error(error) if error.code == ErrorCode::RateLimited => {
                self.each.push((at_ms, Verdict::Refused { at: at_ms, error }));
            }
            ServerFrame::Error(error) if error.code == ErrorCode::BadMessage => {
                self.each.push((at_ms, Verdict::Admitted { heard: at_ms }));
            }
            _ => {
                let Some((kind, _)) = frame.as_event() else { return };
                self.worked_on = true;
                if !self.running {
                    self.each.push((at_ms, Verdict::Admitted { heard: at_ms }));
                }
                self.running = kind != EventKind::AgentCompleted;
            }
        }
    }

    /// The verdict of the only frame sent under the id: admitted, heard of when anything about it
    /// first came, if the agent worked on it; else refused, if it was.
    fn one(self) -> Verdict<'t> {
        let first = self.first.unwrap_or_default();
        if self.worked_on {
            return Verdict::Admitted { heard: first };
        }
        self.each
            .into_iter()
            .map(|(_, verdict)| verdict)
            .find(|v| matches!(v, Verdict::Refused { .. }))
            .unwrap_or(Verdict::Other)
    }

    /// The verdicts of the frames sent under the id, earliest outcome first: each frame was judged
    /// before its own outcome was heard and after the frames sent before it, so the earliest
    /// outcomes go to the earliest frames.
    fn each(mut self) -> Vec<Verdict<'t>> {
        self.each.sort_by_key(|(at_ms, _)| *at_ms);
        self.each.into_iter().map(|(_, verdict)| verdict).collect()
    }
}

/// The bucket's size and refill per second.
fn bucket(limits: &GatewayLimits) -> (f64, f64) {
    (f64::from(limits.message_burst.max(1)), f64::from(limits.messages_per_sec))
}

fn seconds(from: u64, until: u64) -> f64 {
    until.saturating_sub(from) as f64 / 1000.0
}

/// More messages admitted in some stretch of `session` than the bucket holds and refills over
/// it: a gateway that does not keep its rate limit. With when and what, for the first such
/// stretch.
fn over_the_rate(session: &Session<'_>, limits: &GatewayLimits) -> Option<(u64, String)> {
    let (burst, per_sec) = bucket(limits);
    let admitted: Vec<(u64, u64)> = judged(session)
        .into_iter()
        .filter_map(|(sent, verdict)| match verdict {
            Verdict::Admitted { heard } => Some((sent, heard)),
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
            let allowed = burst + per_sec * seconds(from, until + ROUNDING_MS);
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

/// What is wrong with each `RATE_LIMITED` of `session`: a refusal while the bucket surely held a
/// token, or a "retry in N ms" longer than a token takes to refill or shorter than the bucket
/// can have been from its next token.
///
/// The bucket's tokens when message `r` was judged, at some instant after it was sent and
/// before its refusal arrived, are bounded both ways by what was admitted before it. At most: the
/// full bucket, plus what refilled since the session's attempt began (the bucket is made after
/// that), less every earlier message admitted. At least: for any instant `t`, a full bucket
/// refilled from `t` on, less what may have been admitted since `t` (earlier messages first heard
/// of at or after `t`, or never heard of); the bucket's content is the least of these. The
/// instants that can give the least are the latest each earlier message may have been admitted
/// at: when it was first heard of, or, for one never heard of, as late as the refused message's
/// sending.
/// Returns whether the session was refused at all, and what is wrong.
fn refusals(session: &Session<'_>, limits: &GatewayLimits) -> (bool, Vec<(u64, String)>) {
    let (burst, per_sec) = bucket(limits);
    let began = session.attempt_ms();
    let judged = judged(session);
    let mut found = Vec::new();
    let mut refused = false;
    for (index, &(sent, verdict)) in judged.iter().enumerate() {
        let Verdict::Refused { at, error } = verdict else { continue };
        refused = true;
        let before: Vec<u64> = judged[..index]
            .iter()
            .filter_map(|(_, v)| match v {
                Verdict::Admitted { heard } => Some(*heard),
                _ => None,
            })
            .collect();
        // An earlier message nothing was heard of may have been admitted at any time.
        let unheard = judged[..index].iter().filter(|(_, v)| matches!(v, Verdict::Other)).count() as f64;
        let most = burst.min(burst + per_sec * seconds(began, at + ROUNDING_MS) - before.len() as f64);
        let least = [began, sent]
            .into_iter()
            .chain(before.iter().copied())
            .map(|from| {
                let since = before.iter().filter(|&&heard| heard >= from).count() as f64 + unheard;
                burst + per_sec * seconds(from, sent) - since
            })
            .fold(burst, f64::min);
        if least >= 1.0 + 1e-6 {
            found.push((at, format!("RATE_LIMITED while the bucket held at least {least:.2} tokens")));
        }
        let Some(wait_ms) = told_wait_ms(error).filter(|_| per_sec > 0.0) else { continue };
        let refill_ms = 1000.0 / per_sec;
        let shortest_ms = ((1.0 - most) * refill_ms).floor() - 1.0;
        if wait_ms > refill_ms.floor() {
            found.push((
                at,
                format!(
                    "RATE_LIMITED says retry in {wait_ms} ms, but a token refills within {refill_ms:.0} ms"
                ),
            ));
        } else if most < 1.0 && wait_ms < shortest_ms {
            found.push((
                at,
                format!(
                    "RATE_LIMITED says retry in {wait_ms} ms, but the bucket held at most {most:.2} tokens, \
                     {shortest_ms} ms or more from the next"
                ),
            ));
        }
    }
    (refused, found)
}

/// The N of an error's "retry in N ms".
fn told_wait_ms(error: &ErrorFrame) -> Option<f64> {
    let (_, after) = error.message.split_once("retry in ")?;
    after.strip_suffix(" ms")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use crate::checkers::clear_errors::check;
    use crate::checkers::testing::{TraceBuilder, context, violations};
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
        let found = violations(check, &trace);
        assert_eq!(found.len(), 1, "{found:?}");
        let message = &found[0].message;
        assert!(message.contains("admitted 3 messages sent from 8 ms and answered by 21 ms"), "{message}");
        assert!(message.contains("a burst of 2 and 1 per second allow at most 2"), "{message}");
    }

    #[test]
    fn messages_spaced_as_the_bucket_refills_pass_and_so_do_refused_ones() {
        let spaced = alice(1).message(0, 1, 0, "a").message(0, 1, 1, "b").at(1_020).message(0, 1, 2, "c");
        assert_eq!(violations(check, &spaced.build()), []);
        let refused = ServerFrame::Error(
            ErrorFrame::new(ErrorCode::RateLimited, "too many messages; retry in 990 ms")
                .about(Some(message_id(0, 2))),
        );
        let trace =
            alice(1).message(0, 1, 0, "a").message(0, 1, 1, "b").sent(0, 1, 2, "c").received(0, 1, refused);
        assert_eq!(violations(check, &trace.build()), []);
    }

    /// Alice's two messages admitted at once under a burst of 2 and 4 a second, then a third
    /// sent at `third_ms` refused at once, saying "retry in `wait_ms` ms".
    fn refused_third(third_ms: u64, wait_ms: u64) -> Vec<String> {
        let text = format!("too many messages; retry in {wait_ms} ms");
        let frame = ErrorFrame::new(ErrorCode::RateLimited, text).about(Some(message_id(0, 2)));
        let builder = alice(4).message(0, 1, 0, "a").message(0, 1, 1, "b").at(third_ms).sent(0, 1, 2, "c");
        violations(check, &builder.received(0, 1, ServerFrame::Error(frame)).build())
            .into_iter()
            .map(|v| v.message)
            .collect()
    }

    #[test]
    fn a_refusal_asking_for_a_longer_wait_than_a_token_takes_is_caught() {
        assert_eq!(refused_third(21, 240), Vec::<String>::new());
        let found = refused_third(21, 251);
        assert_eq!(
            found,
            ["session c0#1: RATE_LIMITED says retry in 251 ms, but a token refills within 250 ms"]
        );
    }

    #[test]
    fn a_refusal_asking_for_a_shorter_wait_than_the_bucket_can_be_from_its_next_token_is_caught() {
        // Refused some 18 ms after the attempt began, after two admitted: at most 4 * 0.018 tokens.
        let found = refused_third(21, 0);
        assert_eq!(
            found,
            [
                "session c0#1: RATE_LIMITED says retry in 0 ms, but the bucket held at most 0.07 tokens, 230 ms or more from the next"
            ]
        );
    }

    #[test]
    fn a_refusal_while_the_bucket_surely_held_a_token_is_caught() {
        // Two admitted by 20 ms; the third, sent at 600 ms, found the bucket refilled to its 2.
        let found = refused_third(600, 100);
        assert_eq!(found, ["session c0#1: RATE_LIMITED while the bucket held at least 2.00 tokens"]);
        let found = refused_third(300, 100);
        assert_eq!(found, ["session c0#1: RATE_LIMITED while the bucket held at least 1.16 tokens"]);
        assert_eq!(refused_third(200, 100), Vec::<String>::new(), "by 200 ms at most 0.8 tokens may be back");
    }

    #[test]
    fn a_copy_refused_as_a_duplicate_took_a_token() {
        // Burst 2 at 1 a second: the first message and its copy empty the bucket, so the second
        // message is rightly refused; without the copy the bucket would still have held a token.
        let duplicate =
            ErrorFrame::new(ErrorCode::BadMessage, "duplicate message id").about(Some(message_id(0, 0)));
        let refused = ErrorFrame::new(ErrorCode::RateLimited, "too many messages; retry in 990 ms")
            .about(Some(message_id(0, 1)));
        let mut builder = alice(1);
        let frames = builder.agent_frames(0, 1, 0, "a");
        let copied =
            builder.sent(0, 1, 0, "a").sent_again(0, 1, 0).received(0, 1, ServerFrame::Error(duplicate));
        let answered = frames.into_iter().fold(copied, |b, frame| b.received(0, 1, frame));
        let second = answered.sent(0, 1, 1, "b").received(0, 1, ServerFrame::Error(refused));
        assert_eq!(violations(check, &second.build()), []);
        let uncopied = alice(1).message(0, 1, 0, "a").sent(0, 1, 1, "b").received(
            0,
            1,
            ServerFrame::Error(
                ErrorFrame::new(ErrorCode::RateLimited, "too many messages; retry in 990 ms")
                    .about(Some(message_id(0, 1))),
            ),
        );
        let found: Vec<String> =
            violations(check, &uncopied.build()).into_iter().map(|v| v.message).collect();
        assert!(
            found.iter().any(|m| m.contains("RATE_LIMITED while the bucket held at least 1.00 tokens")),
            "{found:?}"
        );
    }

    #[test]
    fn a_refusal_after_messages_the_session_ended_before_answering_passes() {
        // As in seed 38: long after the session began, three messages at once; the first two took
        // the bucket's two tokens, the third was refused, and the session ended before any answer.
        let refused = ErrorFrame::new(ErrorCode::RateLimited, "too many messages; retry in 100 ms")
            .about(Some(message_id(0, 2)));
        let burst = alice(10).at(2_000).sent(0, 1, 0, "a").sent(0, 1, 1, "b").sent(0, 1, 2, "c");
        let trace = burst.received(0, 1, ServerFrame::Error(refused)).closed_by_client(0, 1);
        assert_eq!(violations(check, &trace.build()), []);
    }
}
