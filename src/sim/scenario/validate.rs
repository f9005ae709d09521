//! [`Scenario::validate`]: what makes a scenario inconsistent, said before anything runs.

use super::{At, Restart, SERVICES, Scenario, ServiceRequest, TokenKind};

/// The gateway pings at a third of its idle timeout, and an interval of zero cannot tick.
const MIN_IDLE_TIMEOUT_MS: u64 = 100;

impl Scenario {
    /// Says what is inconsistent, if anything: unknown host names, empty ranges, an unknown-user
    /// token for a user auth knows, an expired or not-yet-valid one for a user it does not, a
    /// crash of a client host that does not exist.
    pub fn validate(&self) -> Result<(), String> {
        if self.idle_timeout_ms < MIN_IDLE_TIMEOUT_MS {
            return Err(format!("idle_timeout_ms must be at least {MIN_IDLE_TIMEOUT_MS}"));
        }
        let l = &self.limits;
        let counts = [l.sessions_per_user, l.max_queued_messages, l.outbound_frames, l.max_frame_bytes];
        // A zero limit would refuse everything, and a zero rate or deadline cannot tick.
        if counts.contains(&0) || l.message_burst == 0 || l.messages_per_sec == 0 {
            return Err("every gateway limit must be at least 1".to_owned());
        }
        if l.connect_deadline_ms == 0 || l.per_try_timeout_ms == 0 || l.backoff_ms.0 == 0 {
            return Err("the gateway's connect deadline, per-try timeout and backoff must be at least 1 ms"
                .to_owned());
        }
        let hosts = self.hosts();
        let known = |name: &String| hosts.contains(name);
        let range = |what: &str, (low, high): (u64, u64)| {
            if low <= high { Ok(()) } else { Err(format!("{what}: {low} is above {high}")) }
        };
        range("limits.backoff_ms", l.backoff_ms)?;
        if self.client_hosts.is_empty() {
            return Err("at least one client host is needed".to_owned());
        }
        range("network.latency_ms", self.network.latency_ms)?;
        range("client_policy.backoff_ms", self.client_policy.backoff_ms)?;
        for link in &self.network.links {
            range(&format!("latency of {}-{}", link.a, link.b), link.latency_ms)?;
        }
        let links = self.network.links.iter().map(|l| (&l.a, &l.b));
        let faults = self.network.partitions.iter().chain(&self.network.holds).map(|f| (&f.a, &f.b));
        for (a, b) in links.chain(faults) {
            if !known(a) || !known(b) || a == b {
                return Err(format!("no link between {a:?} and {b:?}; hosts are {}", hosts.join(", ")));
            }
        }
        let conditions = SERVICES.iter().map(|s| &self.service(s).conditions).chain(&self.client_hosts);
        if conditions.filter_map(|c| c.chunking).any(|c| c.max_read == 0 || c.max_write == 0) {
            return Err("chunk sizes must be at least 1".to_owned());
        }
        for (index, client) in self.clients.iter().enumerate() {
            if client.host >= self.client_hosts.len() {
                return Err(format!(
                    "client {index} runs on client host {}, which does not exist",
                    client.host
                ));
            }
            range(&format!("think_ms of client {index}"), client.think_ms)?;
            if let Some(bytes) = client.content_bytes {
                range(&format!("content_bytes of client {index}"), bytes)?;
            }
            if client.burst == 0 {
                return Err(format!("client {index} has a burst of 0 messages"));
            }
            let known = self.users.contains(&client.user);
            if client.token == TokenKind::UnknownUser && known {
                return Err(format!(
                    "client {index} has an unknown-user token but auth knows {}",
                    client.user
                ));
            }
            // Valid, or wrong only in its times, so that what auth answers depends on its clock
            // alone: the trace records the token's kind, and not whom auth knows.
            let timed = matches!(
                client.token,
                TokenKind::Valid { .. } | TokenKind::Expired { .. } | TokenKind::NotYetValid { .. }
            );
            if timed && !known {
                return Err(format!(
                    "client {index} has a token valid but for its times ({:?}) for {}, whom auth does not \
                     know: give them an unknown-user token",
                    client.token, client.user
                ));
            }
        }
        for crash in &self.client_crashes {
            if crash.host >= self.client_hosts.len() {
                return Err(format!("client host {} is to crash, but does not exist", crash.host));
            }
        }
        let at = self.network.partitions.iter().chain(&self.network.holds).map(|f| &f.at);
        let crashes = self.client_crashes.iter().map(|crash| &crash.at);
        let restarts = SERVICES.iter().flat_map(|s| &self.service(s).restarts).map(Restart::at);
        for at in at.chain(restarts).chain(crashes) {
            if let At::After { client, .. } = at
                && *client >= self.clients.len()
            {
                return Err(format!("a fault is timed after client {client}, which does not exist"));
            }
        }
        for (index, call) in self.service_calls.iter().enumerate() {
            if let ServiceRequest::Validate { token_bytes: Some(bytes), .. } = call.request
                && !jwt_length(bytes)
            {
                return Err(format!(
                    "service call {index}: no padded token of alice's is {bytes} bytes long"
                ));
            }
        }
        Ok(())
    }
}

/// Whether a token of alice's claims, padded, can be `bytes` long: its claims take a few hundred
/// bytes, and its payload's segment, what the HS256 header and signature leave of it (the same
/// for any key), is never one more than a multiple of four characters long, as no base64url text
/// is.
fn jwt_length(bytes: usize) -> bool {
    // `header.e30.signature`: `e30` encodes `{}`.
    let fixed = crate::token::mint_payload(&serde_json::json!({}), b"any key").len() - "e30".len();
    bytes >= 512 && (bytes - fixed) % 4 != 1
}

#[cfg(test)]
mod tests {
    use super::super::{ClientCrash, LinkFault};
    use super::*;

    #[test]
    fn inconsistent_scenarios_are_refused_with_a_reason() {
        let mut scenario = Scenario::default();
        scenario.network.partitions.push(LinkFault {
            a: "gateway".into(),
            b: "client-3".into(),
            at: At::Ms(0),
            duration_ms: 1,
        });
        assert!(scenario.validate().unwrap_err().contains("client-3"));

        let mut scenario = Scenario::default();
        scenario.clients[1].token = TokenKind::UnknownUser;
        assert!(scenario.validate().unwrap_err().contains("bob"));

        let mut scenario = Scenario::default();
        scenario.clients[1].user = "mallory".into();
        scenario.clients[1].token = TokenKind::Expired { ago_secs: 5 };
        assert!(scenario.validate().unwrap_err().contains("mallory"));
        scenario.clients[1].token = TokenKind::Valid { ttl_secs: 60 };
        assert!(scenario.validate().unwrap_err().contains("mallory"));
    }

    #[test]
    fn a_crash_of_a_missing_client_host_is_refused() {
        let mut scenario = Scenario::default();
        scenario.client_crashes.push(ClientCrash { host: 1, at: At::Ms(5) });
        assert!(scenario.validate().unwrap_err().contains("client host 1"));
        scenario.client_crashes[0].host = 0;
        assert_eq!(scenario.validate(), Ok(()));
        scenario.idle_timeout_ms = 0;
        assert!(scenario.validate().unwrap_err().contains("idle_timeout_ms"));
    }

    #[test]
    fn a_padded_tokens_length_is_valid_exactly_when_such_a_token_can_be_minted() {
        use crate::sim::workload::padded_token;
        for bytes in (512..540).chain(8180..8200) {
            let minted = padded_token("alice", 1_700_000_000, bytes);
            assert_eq!(super::jwt_length(bytes), minted.is_some(), "{bytes} bytes");
            assert!(minted.is_none_or(|token| token.len() == bytes), "{bytes} bytes");
        }
        assert!(super::jwt_length(8192) && super::jwt_length(8193));
    }
}
