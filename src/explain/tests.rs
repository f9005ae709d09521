use super::*;
use crate::rules::Clause;
use crate::services::gateway::Mode;
use crate::sim::scenario::{At, Milestone, Restart};

/// The per-message-context planted bug, tripped by an idgen bounce between client 0's messages.
fn failing_run() -> (Scenario, Trace) {
    let mut scenario = Scenario { seed: 12, mode: Mode::PerMessageContext, ..Scenario::default() };
    let after_first = At::After { client: 0, milestone: Milestone::Completed { message: 0 }, delay_ms: 0 };
    scenario.idgen.restarts = vec![Restart::Bounce { at: after_first }];
    let outcome = crate::sim::run(&scenario);
    (scenario, outcome.trace)
}

/// Every line is one of the four statement forms the diagram uses.
fn assert_well_formed(diagram: &str) {
    let mut lines = diagram.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    for line in lines {
        let statement = line.strip_prefix("    ").unwrap_or_else(|| panic!("not indented: {line:?}"));
        let known =
            ["participant ", "Note over ", "C->>G: ", "G-->>C: "].iter().any(|p| statement.starts_with(p));
        assert!(known, "not a statement the diagram uses: {line:?}");
        assert!(!statement.contains(';') && !statement.contains("%%"), "unescaped: {line:?}");
        if let Some(rest) = statement.strip_prefix("Note over ") {
            let (span, _) = rest.split_once(": ").unwrap_or_else(|| panic!("a note without text: {line:?}"));
            assert!(
                span.split(',').all(|p| ["C", "G", "A", "I"].contains(&p)),
                "unknown participant: {line:?}"
            );
        }
    }
}

#[test]
fn a_session_is_drawn_with_its_frames_faults_and_violation() {
    let (scenario, trace) = failing_run();
    let violation = Violation {
        client: Some(0),
        session: Some(1),
        ..Violation::of(Clause::justified("errors.internal"), Some(1), "closed with 1011")
    };
    let target = first_failing(std::slice::from_ref(&violation)).unwrap();
    assert_eq!(target, SessionRef { client: 0, session: 1 });
    let diagram = diagram(&scenario, &trace, &[violation], target);
    assert_well_formed(&diagram);
    assert!(diagram.contains("participant C as client c0#1 (alice)"), "{diagram}");
    assert!(diagram.contains("connection_established"), "{diagram}");
    assert!(diagram.contains("Note over I:") && diagram.contains("fault: bounce idgen"), "{diagram}");
    assert!(diagram.contains("error INTERNAL"), "{diagram}");
    assert!(diagram.contains("ms close 1011 "), "{diagram}");
    assert!(diagram.contains("VIOLATION [errors.internal justified, clear-errors]"), "{diagram}");
}

#[test]
fn sessions_are_named_as_in_timelines_or_by_their_order() {
    let (_, trace) = failing_run();
    assert_eq!(SessionRef::parse("c2#1", &trace), Ok(SessionRef { client: 2, session: 1 }));
    assert_eq!(SessionRef::parse("1", &trace), Ok(sessions(&trace)[0]));
    assert!(SessionRef::parse("c2", &trace).is_err());
    assert!(SessionRef::parse("999", &trace).unwrap_err().contains("no session 999"));
}

#[test]
fn the_markdown_document_wraps_the_diagram_in_a_mermaid_block() {
    let (scenario, trace) = failing_run();
    let target = SessionRef { client: 0, session: 1 };
    let drawn = diagram(&scenario, &trace, &[], target);
    let document = markdown(&scenario, &[], target, &drawn);
    assert!(document.contains("```mermaid\nsequenceDiagram\n"), "{document}");
    assert!(document.contains("replay 12 --mode per-message-context"), "{document}");
}

#[test]
fn text_that_would_end_a_mermaid_statement_is_neutralised() {
    assert_eq!(mermaid_safe("a;b %% c\nd #35; e"), "a,b % c d #35, e");
}
