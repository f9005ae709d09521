//! The first record at which two traces part, for the checkers that compare whole runs.

use crate::rules::Clause;

use super::Violation;
use crate::sim::timeline;
use crate::sim::trace::{Record, Trace};

/// Where `left` and `right` first differ: the record's position and each side's record there
/// (`None` past a trace's end). `None` when the traces are equal.
pub fn first_difference<'t>(
    left: &'t Trace,
    right: &'t Trace,
) -> Option<(usize, Option<&'t Record>, Option<&'t Record>)> {
    let longest = left.records.len().max(right.records.len());
    (0..longest)
        .map(|index| (index, left.records.get(index), right.records.get(index)))
        .find(|(_, l, r)| l != r)
}

/// A violation of `clause` saying where the run called `right_name` parted from `left_name`.
pub fn violation(
    clause: Clause,
    left_name: &str,
    left: &Trace,
    right_name: &str,
    right: &Trace,
) -> Option<Violation> {
    let (index, l, r) = first_difference(left, right)?;
    let shown = |record: Option<&Record>| {
        record.map_or_else(
            || "(the trace has ended)".to_owned(),
            |r| format!("{} ms {}: {}", r.at_ms, r.host, timeline::describe(r)),
        )
    };
    let first = l.or(r).expect("one side has a record where they differ");
    let (client, session) = [l, r].into_iter().flatten().find_map(|r| r.event.session()).unzip();
    let at_ms = Some(l.into_iter().chain(r).map(|r| r.at_ms).min().unwrap_or(first.at_ms));
    Some(Violation {
        client,
        session,
        ..Violation::of(
            clause,
            at_ms,
            format!(
                "the {right_name} trace parts from the {left_name} trace at record {index} (hashes {} and {}): \
             {left_name} has [{}], {right_name} has [{}]",
                short_hash(left),
                short_hash(right),
                shown(l),
                shown(r)
            ),
        )
    })
}

fn short_hash(trace: &Trace) -> String {
    trace.hash()[..12].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::testing::{TraceBuilder, context};

    #[test]
    fn equal_traces_have_no_difference_and_a_longer_one_differs_where_the_shorter_ends() {
        let short = TraceBuilder::new().client(0, "alice").build();
        assert!(first_difference(&short, &short.clone()).is_none());
        let long = TraceBuilder::new().client(0, "alice").established(0, 1, &context("a1", "alice")).build();
        let (index, left, right) = first_difference(&short, &long).unwrap();
        assert_eq!((index, left, right.map(|r| r.at_ms)), (short.records.len(), None, Some(5)));
        let found =
            violation(crate::checkers::determinism::REPLAY, "first", &short, "second", &long).unwrap();
        assert_eq!((found.client, found.session, found.at_ms), (Some(0), Some(1), Some(5)));
        assert!(
            found
                .message
                .contains("first has [(the trace has ended)], second has [5 ms client-0: c0#1 connecting]"),
            "{}",
            found.message
        );
    }
}
