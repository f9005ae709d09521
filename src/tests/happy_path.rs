use super::client::{Auth, Client, Seen};
use super::stack::{Stack, token_for};
use crate::checkers::expected::agent_result;
use crate::context::SessionContext;
use crate::protocol::{ClientFrame, ServerFrame};
use crate::services::gateway::AgentResult;

/// Checks one message's frames: the session's context on each, the local request id, rising
/// `seq`, and the agent's result for exactly this content.
fn assert_answer(
    frames: &[ServerFrame],
    context: &SessionContext,
    n: u64,
    content: &str,
    last_seq: &mut u64,
) {
    for frame in frames {
        let (_, event) = frame.as_event().expect("an event frame");
        assert_eq!(&event.context, context, "every frame carries the session's context");
        assert_eq!(event.request_id, format!("{}.{n}", context.context_id));
        assert!(event.seq > *last_seq, "seq rises");
        *last_seq = event.seq;
    }
    let (_, completed) = frames.last().unwrap().as_event().unwrap();
    let result: AgentResult = serde_json::from_value(completed.data.field("result").unwrap()).unwrap();
    assert_eq!(result, agent_result(content));
}

#[tokio::test]
async fn several_messages_complete_with_the_same_context_on_every_frame() {
    let stack = Stack::start().await;
    let (mut client, context) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    assert_eq!(context.user_id, "alice");
    let mut seq = 0;
    for (n, content) in ["hello there", "how are you today", ""].into_iter().enumerate() {
        let frames = client.exchange(&format!("m{n}"), content).await;
        assert_answer(&frames, &context, n as u64 + 1, content, &mut seq);
    }
    client.close().await;
    stack.shutdown().await;
}

#[tokio::test]
async fn a_token_in_the_subprotocol_is_accepted_and_echoed() {
    let stack = Stack::start().await;
    let token = token_for("bob");
    let mut client = Client::connect(&stack.ws_url(), Auth::Subprotocol(&token)).await.unwrap();
    let echoed = client.response.headers().get("sec-websocket-protocol").unwrap();
    assert_eq!(echoed.to_str().unwrap(), format!("jwt.{token}"));
    assert_eq!(client.established().await.user_id, "bob");
    stack.shutdown().await;
}

#[tokio::test]
async fn no_token_gets_401_before_any_upgrade() {
    let stack = Stack::start().await;
    Client::expect_refused(&stack.ws_url(), Auth::None, 401).await;
    stack.shutdown().await;
}

#[tokio::test]
async fn ping_gets_a_pong_carrying_the_context() {
    let stack = Stack::start().await;
    let (mut client, context) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    client.send(&ClientFrame::Ping).await;
    assert_eq!(client.next().await, Seen::Frame(ServerFrame::Pong { context }));
    stack.shutdown().await;
}

#[tokio::test]
async fn two_users_at_once_see_only_their_own_frames() {
    let stack = Stack::start().await;
    let (mut alice, alice_context) = Client::session(&stack.ws_url(), &token_for("alice")).await;
    let (mut bob, bob_context) = Client::session(&stack.ws_url(), &token_for("bob")).await;
    assert_ne!(alice_context.context_id, bob_context.context_id);
    // Both messages are in flight at once.
    alice.send_message("a1", "alice's secret plan").await;
    bob.send_message("b1", "bob's grocery list").await;
    let mut alice_seq = 0;
    let mut bob_seq = 0;
    let alice_frames = collect_answer(&mut alice).await;
    let bob_frames = collect_answer(&mut bob).await;
    assert_answer(&alice_frames, &alice_context, 1, "alice's secret plan", &mut alice_seq);
    assert_answer(&bob_frames, &bob_context, 1, "bob's grocery list", &mut bob_seq);
    for frame in alice_frames.iter().chain(&bob_frames) {
        let (_, event) = frame.as_event().unwrap();
        assert_eq!(event.message_id.starts_with('a'), event.context == alice_context);
    }
    stack.shutdown().await;
}

async fn collect_answer(client: &mut Client) -> Vec<ServerFrame> {
    let mut frames = Vec::new();
    while frames.len() < 5 {
        match client.next().await {
            Seen::Frame(frame) if frame.as_event().is_some() => frames.push(frame),
            other => panic!("expected an event frame, saw {other:?}"),
        }
    }
    frames
}
