//! Calls to a service share its kept-alive connections, until a call fails.

use std::time::Duration;

use super::stack::{Stack, StackOptions};
use crate::context::SessionIds;
use crate::http::{Connections, HttpError, post_json};
use crate::net::TokioNet;
use crate::services::idgen::SessionRequest;

#[tokio::test]
async fn calls_reuse_idle_connections_and_a_failed_call_drops_them_all() {
    let stack = Stack::start_with(StackOptions { idgen_proxy: true, ..Default::default() }).await;
    let proxy = stack.idgen_proxy.as_ref().unwrap();
    let idgen = Connections::new(proxy.addr.to_string());
    let request = SessionRequest { user_id: "alice".into() };
    let call =
        |timeout| post_json::<_, _, SessionIds>(&TokioNet, &idgen, "/ids/session", &[], &request, timeout);
    let answered = Duration::from_secs(5);

    let (first, second) = tokio::join!(call(answered), call(answered));
    first.unwrap();
    second.unwrap();
    assert_eq!(proxy.opened(), 2, "two calls at once need two connections");
    for _ in 0..3 {
        call(answered).await.unwrap();
    }
    assert_eq!(proxy.opened(), 2, "calls one after another reuse an idle connection");

    proxy.slow_down(Duration::from_millis(500));
    assert!(matches!(call(Duration::from_millis(100)).await, Err(HttpError::Timeout(_))));
    proxy.slow_down(Duration::ZERO);
    call(answered).await.unwrap();
    assert_eq!(proxy.opened(), 3, "after a timeout the other idle connection is not trusted either");
    stack.shutdown().await;
}
