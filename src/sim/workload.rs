//! The workload: the client hosts, each running its clients as tasks of one host, and the tokens
//! the clients present.

use std::sync::Arc;

use futures_util::future::join_all;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::Rng as _;

use super::client::Client;
use super::clock::SimClock;
use super::engine::Engine;
use super::hosts::jwt_secret;
use super::net::SimNet;
use super::scenario::{ClientPolicy, ClientSpec, Scenario, TokenKind, client_host};
use super::seeds::{Purpose, derive, rng};
use super::trace::{Event, Recorder};
use crate::clock::{Rng, SharedClock};
use crate::net::Net;
use crate::token::{Claims, RequiredClaim, mint, mint_payload, unsigned};

/// Lifetime of every token but a valid one, which names its own: from minting, from its `nbf`
/// for a not-yet-valid one, and before it expired for an expired one.
const TOKEN_TTL_SECS: u64 = 3600;
/// What the tokens that are not for us name instead of the gateway, auth and auth's key.
const OTHER_AUDIENCE: &str = "gatesim-gateway-staging";
const OTHER_ISSUER: &str = "gatesim-auth-staging";
const OTHER_KEY: &[u8] = b"TEST-ONLY-not-the-simulation-jwt-key";

/// Installs the client hosts. Each finishes when all its clients have; a crash stops it for good.
pub(super) fn register(engine: &mut Engine, scenario: &Scenario, recorder: &Recorder) {
    for (host_index, conditions) in scenario.client_hosts.iter().enumerate() {
        let host = client_host(host_index);
        let seed = derive(scenario.seed, Purpose::Chunking { host: &host, incarnation: 1 });
        let chunking = conditions.chunking;
        let mut clients =
            clients(scenario, host_index, Arc::new(SimClock::skewed(conditions.skew_ms)), recorder);
        engine.install(
            &host,
            Box::new(move |handle, _| {
                let net = SimNet::new(handle, chunking, seed);
                let clients = std::mem::take(&mut clients);
                Box::pin(async move {
                    join_all(clients.into_iter().map(|client| client.start(net.clone()))).await;
                    Ok(())
                })
            }),
        );
    }
}

/// The clients of client host `host_index`, before their start times; `clock` is the host's.
pub(crate) fn clients(
    scenario: &Scenario,
    host_index: usize,
    clock: SharedClock,
    recorder: &Recorder,
) -> Vec<Pending> {
    let host = client_host(host_index);
    scenario
        .clients
        .iter()
        .enumerate()
        .filter(|(_, spec)| spec.host == host_index)
        .map(|(index, spec)| Pending {
            index,
            host: host.clone(),
            spec: spec.clone(),
            seed: scenario.seed,
            policy: scenario.client_policy.clone(),
            clock: Arc::clone(&clock),
            recorder: recorder.clone(),
        })
        .collect()
}

/// A client before its start time.
pub(crate) struct Pending {
    index: usize,
    host: String,
    spec: ClientSpec,
    seed: u64,
    policy: ClientPolicy,
    clock: SharedClock,
    recorder: Recorder,
}

impl Pending {
    pub(crate) async fn start<N: Net>(self, net: N) {
        tokio::time::sleep(std::time::Duration::from_millis(self.spec.start_ms)).await;
        let mut rng = rng(self.seed, Purpose::Client(self.index));
        let minted = mint_token(self.spec.token, &self.spec.user, self.clock.unix_secs(), &mut rng);
        self.recorder.record(
            &self.host,
            Event::ClientStarted {
                client: self.index,
                user: self.spec.user.clone(),
                token: self.spec.token,
                token_exp: minted.exp,
                token_nbf: minted.nbf,
            },
        );
        let client = Client {
            index: self.index,
            host: self.host,
            spec: self.spec,
            policy: self.policy,
            net,
            rng,
            recorder: self.recorder,
            token: minted.token,
        };
        client.run().await;
    }
}

/// A client's token and the times it names, for the trace.
pub(crate) struct Minted {
    pub token: String,
    pub exp: Option<u64>,
    pub nbf: Option<u64>,
}

/// The token of `kind` for `user`, minted at `now` (Unix seconds by the client host's clock).
pub(crate) fn mint_token(kind: TokenKind, user: &str, now: u64, rng: &mut Rng) -> Minted {
    let secret = jwt_secret().as_bytes();
    let an_hour = Claims::new(user, now, TOKEN_TTL_SECS);
    let claims = match kind {
        TokenKind::Malformed => {
            return Minted { token: format!("not-a-jwt.{:016x}", rng.random::<u64>()), exp: None, nbf: None };
        }
        TokenKind::Valid { ttl_secs } => Claims::new(user, now, ttl_secs),
        TokenKind::Expired { ago_secs } => {
            Claims::new(user, now.saturating_sub(ago_secs + TOKEN_TTL_SECS), TOKEN_TTL_SECS)
        }
        TokenKind::NotYetValid { in_secs } => {
            Claims { nbf: Some(now + in_secs), ..Claims::new(user, now, in_secs + TOKEN_TTL_SECS) }
        }
        TokenKind::WrongAudience => Claims { aud: OTHER_AUDIENCE.to_owned(), ..an_hour },
        TokenKind::WrongIssuer => Claims { iss: OTHER_ISSUER.to_owned(), ..an_hour },
        TokenKind::UnknownUser
        | TokenKind::WrongKey
        | TokenKind::AlgNone
        | TokenKind::WrongAlgorithm
        | TokenKind::MissingClaim { .. } => an_hour,
    };
    let token = match kind {
        TokenKind::WrongKey => mint(&claims, OTHER_KEY),
        TokenKind::AlgNone => unsigned("none", &claims),
        TokenKind::WrongAlgorithm => {
            let header = Header::new(Algorithm::HS512);
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret))
                .expect("HMAC signs any key")
        }
        TokenKind::MissingClaim { claim } => mint_payload(&claims.without(claim), secret),
        _ => mint(&claims, secret),
    };
    let exp = (kind != TokenKind::MissingClaim { claim: RequiredClaim::Exp }).then_some(claims.exp);
    Minted { token, exp, nbf: claims.nbf }
}

/// `user`'s token, valid for an hour from `now`, padded with a `pad` claim to exactly `bytes`
/// bytes; none when no HS256 JWT of its claims is that long. A base64url segment is never one more
/// than a multiple of four long, so a quarter of the lengths cannot be had.
pub(crate) fn padded_token(user: &str, now: u64, bytes: usize) -> Option<String> {
    let secret = jwt_secret().as_bytes();
    let mut payload = serde_json::to_value(Claims::new(user, now, TOKEN_TTL_SECS)).expect("claims serialise");
    payload["pad"] = "".into();
    let bare = mint_payload(&payload, secret);
    let (header, rest) = bare.split_once('.')?;
    let signature = rest.rsplit_once('.')?.1;
    // The payload's segment, and the JSON bytes that encode to exactly that many characters.
    let segment = bytes.checked_sub(header.len() + signature.len() + 2)?;
    let json_bytes = segment / 4 * 3 + [Some(0), None, Some(1), Some(2)][segment % 4]?;
    let unpadded = serde_json::to_string(&payload).expect("claims serialise").len();
    payload["pad"] = "p".repeat(json_bytes.checked_sub(unpadded)?).into();
    let token = mint_payload(&payload, secret);
    (token.len() == bytes).then_some(token)
}
