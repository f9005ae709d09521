//! The clients of a scenario: who they are, what token they present, what they send, and how
//! they wait and retry.

use serde::{Deserialize, Serialize};

use crate::token::RequiredClaim;

/// One client: a user agent that opens sessions and sends messages until it has sent them all or
/// gives up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientSpec {
    /// The user the token names. Default `alice`.
    pub user: String,
    /// Default a valid token for an hour.
    pub token: TokenKind,
    /// Index into `client_hosts`. Default 0.
    pub host: usize,
    /// Default 0.
    pub start_ms: u64,
    /// User messages to send, across however many sessions it takes. Default 3.
    pub messages: u32,
    /// Pause before each message, or each burst, drawn from this range. Default 10..=50.
    pub think_ms: (u64, u64),
    /// Messages sent back to back, without waiting for replies, before the client reads the
    /// replies to all of them: over the gateway's burst they meet its rate limit, and they queue
    /// behind each other in its worker. Default 1.
    pub burst: u32,
    /// The length of each message's content in bytes, drawn from this range, so that a frame may
    /// reach or pass the gateway's frame limit. Default none: a few words.
    pub content_bytes: Option<(u64, u64)>,
    /// How long the client stays connected after its last reply, reading (and so answering the
    /// gateway's pings) but sending nothing, before it closes. Longer than the idle timeout, it
    /// shows whether the gateway counts pongs as signs of life. Default 0.
    pub linger_ms: u64,
    /// Lingers without reading, so answering no ping, then reads what came meanwhile: longer than
    /// the idle timeout, the gateway must close it `IDLE_TIMEOUT`. Default false.
    pub linger_silent: bool,
    /// Presents the token as the subprotocol `jwt.<token>`, which the gateway must echo, rather
    /// than as `Authorization: Bearer <token>`. Default false.
    pub subprotocol: bool,
    /// Something the client gets wrong once, on purpose. Default none.
    pub bad_input: Option<BadInput>,
    /// Sends each message under a type drawn from `user_message` and its aliases `chat` and
    /// `start_agent`, which the gateway must answer alike. Default false: `user_message`.
    pub aliases: bool,
    /// Sends a `{"type": "ping"}` frame before each burst, which the gateway must answer with one
    /// `pong`. Default false.
    pub pings: bool,
    /// Sends its first burst (and its ping, if it sends them) right after the upgrade, without
    /// waiting for `connection_established`: the gateway must hold it unread until it has sent
    /// that, then answer it. Default false.
    pub eager: bool,
    /// Sends its first message twice, the copy right behind it and a JSON ping behind the copy:
    /// while the first is in flight the gateway must refuse the copy `BAD_MESSAGE` naming its id,
    /// and the pong shows the copy was read by then. Once the first is answered, sends its next
    /// message under the same id, which the gateway must take as a new message. Default false.
    pub resends: bool,
}

/// The `type` a client sends a user message under: `user_message` or one of its aliases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    #[default]
    UserMessage,
    Chat,
    StartAgent,
}

impl MessageType {
    pub const ALL: [MessageType; 3] = [MessageType::UserMessage, MessageType::Chat, MessageType::StartAgent];

    /// The frame's `type`.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::UserMessage => "user_message",
            MessageType::Chat => "chat",
            MessageType::StartAgent => "start_agent",
        }
    }

    pub fn is_alias(self) -> bool {
        self != MessageType::UserMessage
    }

    /// Whether it is `user_message` itself, which the trace leaves unsaid.
    pub fn is_user_message(&self) -> bool {
        !self.is_alias()
    }

    /// The JSON text of a user message sent under this type.
    pub fn frame_text(self, message_id: &str, content: &str) -> String {
        serde_json::json!({"type": self.name(), "id": message_id, "payload": {"content": content}})
            .to_string()
    }
}

/// Input the gateway must refuse clearly and lose nothing over (`docs/design.md` §2.4, §2.7): a frame it cannot
/// use gets an error frame, a bad upgrade request an HTTP refusal with an error body. A frame is
/// sent in the client's first established session, before its first message; a bad upgrade is
/// its first connection attempt, and the client then connects as it otherwise would. In a
/// scenario file each is an object tagged by `kind`: `{"kind": "not_json"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BadInput {
    /// A text frame that is not JSON: `BAD_MESSAGE`, and the session goes on.
    NotJson,
    /// JSON of a `type` the protocol does not have: `BAD_MESSAGE`, and the session goes on.
    UnknownType,
    /// A `user_message` without its `id`: `BAD_MESSAGE`, and the session goes on.
    MissingField,
    /// A binary frame: `BAD_MESSAGE`, and the session goes on.
    Binary,
    /// A text frame that is not UTF-8: `BAD_ENCODING` and 1007, as RFC 6455 requires.
    NotUtf8,
    /// An upgrade request with no token at all: 401 `AUTH_FAILED`.
    NoToken,
    /// `Authorization: Bearer` with nothing after it: 401 `AUTH_FAILED`.
    EmptyBearer,
    /// The subprotocol `jwt.` with nothing after it: 401 `AUTH_FAILED`.
    EmptySubprotocol,
    /// The token under another scheme, `Authorization: Basic <token>`: 401 `AUTH_FAILED`.
    WrongScheme,
    /// A token of `bytes` bytes of garbage: over the gateway's 8 KiB a 401 `AUTH_FAILED`,
    /// unread; at most that, auth's to refuse after the upgrade.
    LongToken { bytes: usize },
    /// `Sec-WebSocket-Version: 12`: 400 `BAD_MESSAGE`.
    WrongVersion,
    /// `Upgrade: h2c`: 400 `BAD_MESSAGE`.
    WrongUpgrade,
}

impl BadInput {
    /// Whether it is an upgrade request, rather than a frame sent once the session is open.
    pub fn is_upgrade(self) -> bool {
        !matches!(
            self,
            BadInput::NotJson
                | BadInput::UnknownType
                | BadInput::MissingField
                | BadInput::Binary
                | BadInput::NotUtf8
        )
    }
}

/// The token a client presents, minted by its host's (possibly skewed) clock when it starts.
///
/// Every kind but `valid` is one auth refuses, each for one reason (`docs/design.md` §2.1, auth's token
/// rules); the gateway refuses it with `TOKEN_EXPIRED` when that reason is `exp`, and with
/// `AUTH_FAILED` otherwise. Unless its kind says otherwise, a JWT is signed with auth's key, names
/// the client's `user`, and is valid for an hour from minting. In a scenario file each is an
/// object tagged by `kind`: `{"kind": "expired", "ago_secs": 30}`, `{"kind": "wrong_key"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TokenKind {
    /// Expiring `ttl_secs` after minting. A short `ttl_secs` puts the expiry inside the clock-skew
    /// window between the client host and auth.
    Valid { ttl_secs: u64 },
    /// Expired `ago_secs` before minting: seconds ago (auth's clock, if far enough behind the
    /// client's, may still accept it) or days ago. The client's `user` must be one auth knows.
    Expired { ago_secs: u64 },
    /// Not valid before `in_secs` after minting (its `nbf`), and for an hour from then. The
    /// client's `user` must be one auth knows.
    NotYetValid { in_secs: u64 },
    /// For a user auth does not know: the client's `user` must not be in `users`.
    UnknownUser,
    /// For another audience (`aud`) than the gateway.
    WrongAudience,
    /// From another issuer (`iss`) than auth.
    WrongIssuer,
    /// Signed with another key than auth's.
    WrongKey,
    /// Unsigned, its header saying `alg: none`.
    AlgNone,
    /// Signed with auth's key, but with HS512 rather than HS256.
    WrongAlgorithm,
    /// Without `claim`, one of the five every token must carry: `sub`, `exp`, `iat`, `iss`, `aud`.
    MissingClaim { claim: RequiredClaim },
    /// Not a JWT at all: garbage text.
    Malformed,
}

/// How every client waits and retries. Each wait is bounded: a connect to a crashed host never
/// answers, and a partition swallows data without a reset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientPolicy {
    /// TCP connect plus the WebSocket handshake. Default 2000.
    pub connect_timeout_ms: u64,
    /// From the handshake to `connection_established` or the refusal. Default 8000: the gateway's
    /// connect deadline is 5 s.
    pub establish_timeout_ms: u64,
    /// From sending a message to its last frame. Default 4000.
    pub message_timeout_ms: u64,
    /// Waiting for the other side's half of a close. Default 1000.
    pub close_timeout_ms: u64,
    /// Connection attempts a client makes at most, each a new session (the trace numbers a
    /// client's sessions by attempt, from 1). Default 8: with the backoff, about 5 to 10 s of
    /// trying, longer than the faults `from_seed` draws.
    pub max_attempts: u32,
    /// Reconnect backoff: the first wait and the cap. It doubles, with jitter. Default 200..2000.
    pub backoff_ms: (u64, u64),
}

impl Default for ClientSpec {
    fn default() -> ClientSpec {
        ClientSpec {
            user: "alice".to_owned(),
            token: TokenKind::Valid { ttl_secs: 3600 },
            host: 0,
            start_ms: 0,
            messages: 3,
            think_ms: (10, 50),
            burst: 1,
            content_bytes: None,
            linger_ms: 0,
            linger_silent: false,
            subprotocol: false,
            bad_input: None,
            aliases: false,
            pings: false,
            eager: false,
            resends: false,
        }
    }
}

impl Default for TokenKind {
    fn default() -> TokenKind {
        TokenKind::Valid { ttl_secs: 3600 }
    }
}

impl Default for ClientPolicy {
    fn default() -> ClientPolicy {
        ClientPolicy {
            connect_timeout_ms: 2000,
            establish_timeout_ms: 8000,
            message_timeout_ms: 4000,
            close_timeout_ms: 1000,
            max_attempts: 8,
            backoff_ms: (200, 2000),
        }
    }
}
