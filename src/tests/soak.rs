use std::time::Duration;

use super::stack::{SERVICE_SECRET, jwt_secret, token_for};
use crate::loopback::{Addrs, LoopbackConfig, Running};
use crate::services::Secret;
use crate::services::gateway::GatewayConfig;
use crate::soak::{SoakConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_on_real_tcp_loses_nothing() {
    let users = ["alice", "bob", "carol"];
    let gateway = GatewayConfig::new("", "", Secret::new("overwritten"));
    let messages_per_sec = gateway.limits.messages_per_sec;
    let config = LoopbackConfig {
        addrs: Addrs::ephemeral(),
        jwt_secret: Secret::new(jwt_secret()),
        service_secret: Secret::new(SERVICE_SECRET),
        users: users.map(String::from).into(),
        gateway,
    };
    let running = Running::start(config).await.unwrap();
    let tokens = (0..12).map(|n| token_for(users[n % 3])).collect();
    let soak = SoakConfig {
        url: running.ws_url(),
        tokens,
        duration: Duration::from_secs(1),
        ramp: Duration::from_millis(200),
        messages_per_sec,
    };
    let report = run(soak, Duration::from_secs(60)).await;
    running.shutdown().await.unwrap();
    assert_eq!((report.connected, report.connect_failures), (12, 0), "{report}");
    assert!(report.completed > 12, "{report}");
    assert_eq!(report.lost, 0, "{report}");
    assert_eq!(report.sent, report.completed + report.errored, "{report}");
}
