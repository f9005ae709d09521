//! Identifiers and contexts: what idgen can issue always validates, and nothing else does.

use gatesim::context::{SessionContext, SessionIds, is_placeholder};
use gatesim::ids::{Id, IdKind};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn kind() -> impl Strategy<Value = IdKind> {
    prop::sample::select(IdKind::ALL.to_vec())
}

fn issued(kind: IdKind) -> impl Strategy<Value = Id> {
    ("[0-9a-f]{1,16}", 1u64.., any::<u32>()).prop_map(move |(boot, counter, rand)| Id {
        kind,
        boot,
        counter,
        rand,
    })
}

proptest! {
    #![proptest_config(crate::config("fixtures/proptest-regressions/identifiers.txt", Config::default().cases))]

    #[test]
    fn every_issuable_id_round_trips_through_text(id in kind().prop_flat_map(issued)) {
        prop_assert_eq!(Id::parse(id.kind, &id.to_string()), Some(id));
    }

    #[test]
    fn arbitrary_text_is_not_mistaken_for_an_id(kind in kind(), text in any::<String>()) {
        if let Some(id) = Id::parse(kind, &text) {
            prop_assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn contexts_built_from_issued_ids_validate(
        user in "[a-z][a-z0-9_-]{0,20}",
        ids in (issued(IdKind::Context), issued(IdKind::Thread), issued(IdKind::Run), issued(IdKind::WebsocketClient)),
    ) {
        prop_assume!(!is_placeholder(&user));
        let ids = SessionIds {
            context_id: ids.0.to_string(),
            thread_id: ids.1.to_string(),
            run_id: ids.2.to_string(),
            websocket_client_id: ids.3.to_string(),
        };
        let context = SessionContext::build(&user, ids.clone()).unwrap();
        prop_assert_eq!(context.context_id, ids.context_id);
    }
}
