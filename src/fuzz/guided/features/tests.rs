use super::*;
use crate::checkers::testing::{TraceBuilder, context};
use crate::protocol::ErrorCode;
use crate::rules::Clause;
use crate::sim::trace::Record;

#[test]
fn a_trace_names_its_frame_pairs_faults_by_phase_clauses_and_coverage() {
    let mut trace = TraceBuilder::new().client(0, "alice").established(0, 1, &context("a1", "alice")).build();
    let fault = Fault::Crash { host: "idgen".into() };
    trace.records.push(Record { at_ms: 50, host: "sim".into(), event: Event::Fault { fault } });
    let exercised = BTreeSet::from([Clause::justified("errors.internal")]);
    let features = of(&trace, &exercised, &["close_1008".to_owned()]);
    for expected in [
        "rule:errors.internal justified",
        "cov:close_1008",
        "frames:start>connection_established",
        "fault:crash idgen@open",
    ] {
        assert!(features.iter().any(|f| f == expected), "{expected} in {features:?}");
    }
    let sorted: BTreeSet<&String> = features.iter().collect();
    assert_eq!(sorted.len(), features.len(), "no repeats");
}

#[test]
fn inputs_are_named_by_kind_and_by_the_side_of_their_limit() {
    use crate::sim::scenario::SecretKind;
    use crate::token::RequiredClaim;
    assert_eq!(token_kind(&TokenKind::Expired { ago_secs: 30 }), "Expired");
    assert_eq!(token_kind(&TokenKind::MissingClaim { claim: RequiredClaim::Iat }), "MissingClaim Iat");
    assert_eq!(bad_input(BadInput::WrongScheme), "WrongScheme");
    assert_eq!(bad_input(BadInput::LongToken { bytes: 8193 }), "LongToken over 8 KiB");
    let validate = ServiceRequest::Validate { secret: SecretKind::Right, token_bytes: Some(8192) };
    assert_eq!(call(&validate), "validate Right token up to 8 KiB");
    assert_eq!(call(&ServiceRequest::Ids { user_id: "a".repeat(128) }), "ids well-formed 128 bytes");
    assert_eq!(call(&ServiceRequest::Ids { user_id: "Anonymous".into() }), "ids Placeholder upper case");
    // Client 0's upgrade is refused for its bad input, which says nothing of its token; client
    // 1's bad input is answered by the gateway, client 2's token by its first frame.
    let trace = TraceBuilder::new()
        .client_with(0, "alice", TokenKind::WrongAudience)
        .client_with(1, "bob", TokenKind::WrongIssuer)
        .client_with(2, "carol", TokenKind::WrongKey)
        .sent_bad(0, 1, BadInput::WrongVersion)
        .attempt(0, 1)
        .handshake(0, 1, 400, None)
        .sent_bad(1, 1, BadInput::LongToken { bytes: 100 })
        .refused(1, 1, ErrorCode::AuthFailed)
        .refused(2, 1, ErrorCode::AuthFailed)
        .build();
    let features = of(&trace, &BTreeSet::new(), &[]);
    for answered in [
        "input:bad WrongVersion answered 400",
        "input:bad LongToken up to 8 KiB answered error_AUTH_FAILED",
        "input:token WrongKey answered error_AUTH_FAILED",
    ] {
        assert!(features.iter().any(|f| f == answered), "{answered} in {features:?}");
    }
    for unjudged in ["input:token WrongAudience answered", "input:token WrongIssuer answered", "answered 101"]
    {
        assert!(!features.iter().any(|f| f.contains(unjudged)), "{unjudged} in {features:?}");
    }
}

#[test]
fn the_shortest_gap_between_two_starts_of_a_service_is_a_feature() {
    let started = |at_ms, incarnation| Record {
        at_ms,
        host: "idgen".into(),
        event: Event::ServiceStarted { incarnation },
    };
    let trace = Trace { records: vec![started(0, 1), started(2500, 2), started(2800, 3)] };
    assert_eq!(of(&trace, &BTreeSet::new(), &[]), ["count:restart-gap-ms idgen 200-399"]);
}

#[test]
fn the_shortest_gap_between_two_boots_that_issued_identifiers_is_a_feature() {
    // Boots at 1000 ms (two sessions) and at 1700 ms, in hexadecimal.
    let contexts = [context("3e8", "alice"), context("6a4", "bob"), context("3e8", "carol")];
    let trace = TraceBuilder::sessions(&contexts.iter().collect::<Vec<_>>()).build();
    let features = of(&trace, &BTreeSet::new(), &[]);
    assert!(features.contains(&"count:ids-boot-gap-ms 400-799".to_owned()), "{features:?}");
    let one_boot = TraceBuilder::sessions(&[&contexts[0], &contexts[2]]).build();
    assert!(!of(&one_boot, &BTreeSet::new(), &[]).iter().any(|f| f.contains("ids-boot-gap")));
}

#[test]
fn counts_fall_in_power_of_two_buckets() {
    let names: Vec<String> = [1, 2, 3, 4, 5, 9].map(|n| bucket(n, 1)).into();
    assert_eq!(names, ["1", "2", "3-4", "3-4", "5-8", "9-16"]);
    let names: Vec<String> = [40, 100, 199, 250, 1700].map(|ms| bucket(ms, 100)).into();
    assert_eq!(names, ["0-199", "0-199", "0-199", "200-399", "1600-3199"]);
}

#[test]
fn a_fault_before_any_session_strikes_an_idle_gateway() {
    let fault = Fault::Partition { a: "gateway".into(), b: "client-2".into() };
    let trace =
        Trace { records: vec![Record { at_ms: 0, host: "sim".into(), event: Event::Fault { fault } }] };
    assert_eq!(of(&trace, &BTreeSet::new(), &[]), ["fault:partition gateway-client@idle"]);
}
