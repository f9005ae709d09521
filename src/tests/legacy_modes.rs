//! Each legacy mode must behave observably differently from `fixed` under the timing that
//! exposed it in the incidents, and the same as `fixed` otherwise.

use std::time::Duration;

use super::client::{Auth, Client, Seen};
use super::stack::{Stack, StackOptions, token_for};
use crate::protocol::{ErrorCode, ServerFrame};
use crate::services::gateway::{Environment, Mode};

/// Longer than the gateway's per-try timeout in the test stack.
const SLOW: Duration = Duration::from_secs(2);

async fn second_message_after_idgen_slows(mode: Mode) -> Vec<Seen> {
    let stack = Stack::start_with(StackOptions { idgen_proxy: true, mode, ..Default::default() }).await;
    let (mut client, _) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    client.exchange("m1", "first message").await;
    stack.idgen_proxy.as_ref().unwrap().slow_down(SLOW);
    client.send_message("m2", "second message").await;
    let mut seen = Vec::new();
    loop {
        let next = client.next().await;
        let done =
            matches!(&next, Seen::Frame(ServerFrame::AgentCompleted(_)) | Seen::Close(..) | Seen::Gone);
        seen.push(next);
        if done {
            break;
        }
    }
    stack.shutdown().await;
    seen
}

#[tokio::test]
async fn per_message_context_fails_with_1011_when_idgen_slows_between_messages_while_fixed_carries_on() {
    let fixed = second_message_after_idgen_slows(Mode::Fixed).await;
    assert!(matches!(fixed.last(), Some(Seen::Frame(ServerFrame::AgentCompleted(_)))), "{fixed:?}");

    let legacy = second_message_after_idgen_slows(Mode::PerMessageContext).await;
    let [Seen::Frame(ServerFrame::Error(error)), Seen::Close(1011, _)] = legacy.as_slice() else {
        panic!("expected an INTERNAL error then 1011, saw {legacy:?}");
    };
    assert_eq!(error.code, ErrorCode::Internal);
    assert!(error.message.contains("context validation failed"), "{}", error.message);
    assert_eq!(error.message_id.as_deref(), Some("m2"));
}

#[tokio::test]
async fn per_message_context_passes_while_idgen_stays_fast() {
    let stack = Stack::start_with(StackOptions { mode: Mode::PerMessageContext, ..Default::default() }).await;
    let (mut client, _) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    for n in 0..3 {
        client.exchange(&format!("m{n}"), "fine locally").await;
    }
    stack.shutdown().await;
}

async fn connect_without_idgen(mode: Mode, environment: &str) -> Seen {
    let environment = Environment::labelled(environment);
    let stack =
        Stack::start_with(StackOptions { idgen: false, mode, environment, ..Default::default() }).await;
    let mut client = Client::connect(&stack.ws_url(), Auth::Bearer(&token_for("alice"))).await.unwrap();
    let seen = client.next().await;
    stack.shutdown().await;
    seen
}

#[tokio::test]
async fn environment_accommodation_in_staging_hides_an_idgen_outage_that_fixed_reports() {
    let fixed = connect_without_idgen(Mode::Fixed, "staging").await;
    assert!(
        matches!(&fixed, Seen::Frame(ServerFrame::Error(e)) if e.code == ErrorCode::IdgenUnavailable),
        "{fixed:?}"
    );

    let legacy = connect_without_idgen(Mode::EnvironmentAccommodation, "staging").await;
    let Seen::Frame(ServerFrame::ConnectionEstablished { context }) = legacy else {
        panic!("expected the legacy mode to paper over the outage, saw {legacy:?}");
    };
    assert_eq!(context.thread_id, "thread_default", "a fallback context, not one idgen issued");
}

#[tokio::test]
async fn environment_accommodation_in_dev_reports_the_outage_like_fixed() {
    let seen = connect_without_idgen(Mode::EnvironmentAccommodation, "dev").await;
    assert!(
        matches!(&seen, Seen::Frame(ServerFrame::Error(e)) if e.code == ErrorCode::IdgenUnavailable),
        "{seen:?}"
    );
}
