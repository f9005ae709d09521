//! Whatever a client sends, the gateway's parser answers with a frame or a reason, never a panic.

use gatesim::protocol::{ClientFrame, ClientMessage};
use gatesim::services::gateway::result_for;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// JSON-ish text: a mix of structure, keys the gateway knows and arbitrary characters.
fn jsonish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("\"type\":".to_owned()),
        Just("\"user_message\"".to_owned()),
        Just("\"id\":".to_owned()),
        Just("\"payload\":{\"content\":".to_owned()),
        Just("1e999".to_owned()),
        Just(",".to_owned()),
        Just("null".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(crate::config("fixtures/proptest-regressions/frames.txt", Config::default().cases))]

    #[test]
    fn any_text_parses_or_is_refused_with_a_reason(text in jsonish()) {
        match ClientFrame::parse(&text) {
            Ok(ClientFrame::UserMessage(message)) => prop_assert!(!message.id.is_empty()),
            Ok(ClientFrame::Ping) => {}
            Err(bad) => prop_assert!(!bad.reason.is_empty()),
        }
    }

    #[test]
    fn deeply_nested_json_is_refused_without_overflowing_the_stack(depth in 1usize..10_000) {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        prop_assert!(ClientFrame::parse(&text).is_err());
    }

    #[test]
    fn a_user_message_survives_a_round_trip(id in "[^\\x00]{1,40}", content in any::<String>()) {
        let frame = ClientFrame::UserMessage(ClientMessage { id, content });
        prop_assert_eq!(ClientFrame::parse(&frame.to_text()), Ok(frame));
    }

    #[test]
    fn the_agent_result_is_a_pure_function_of_the_content(content in any::<String>()) {
        let result = result_for(&content);
        prop_assert_eq!(&result, &result_for(&content));
        prop_assert_eq!(result.chars, content.chars().count() as u64);
        prop_assert_eq!(result.words, content.split_whitespace().count() as u64);
    }
}
