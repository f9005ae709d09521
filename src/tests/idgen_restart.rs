use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::{SharedClock, SystemClock, seeded_rng};
use crate::context::{SessionContext, SessionIds};
use crate::http::{Connections, post_json};
use crate::net::{Net, TokioNet};
use crate::services::idgen::{self, IdgenConfig, SessionRequest};

async fn issue(addr: &str) -> SessionIds {
    let request = SessionRequest { user_id: "alice".into() };
    let idgen = Connections::new(addr);
    post_json(&TokioNet, &idgen, "/ids/session", &[], &request, Duration::from_secs(5)).await.unwrap()
}

#[tokio::test]
async fn idgen_ids_stay_unique_across_a_restart() {
    let clock: SharedClock = Arc::new(SystemClock);
    let mut addr = "127.0.0.1:0".parse().unwrap();
    let mut seen = BTreeSet::new();
    // The same RNG seed in both lifetimes: only the boot component keeps the ids apart.
    for _lifetime in 0..2 {
        let listener = TokioNet.bind(addr).await.unwrap();
        addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let config = IdgenConfig::default();
        let server = tokio::spawn(idgen::serve(
            TokioNet,
            listener,
            config,
            Arc::clone(&clock),
            seeded_rng(1),
            stop.clone().cancelled_owned(),
        ));
        for _ in 0..20 {
            let ids = issue(&addr.to_string()).await;
            SessionContext::build("alice", ids.clone()).expect("idgen issues well-formed ids");
            for id in [ids.context_id, ids.thread_id, ids.run_id, ids.websocket_client_id] {
                assert!(seen.insert(id.clone()), "{id} issued twice");
            }
        }
        stop.cancel();
        server.await.unwrap().unwrap();
        // Boots are a millisecond apart at the very least; make sure the clock has moved on.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(seen.len(), 2 * 20 * 4);
}
