//! What a client sends when its spec says to get something wrong ([`BadInput`]): the upgrade
//! request every attempt makes, well-formed or bad, and the bad frames.

use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::http::Request;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::sim::scenario::BadInput;

/// How the client presents itself and its token in an upgrade request.
pub struct Upgrade<'a> {
    pub addr: &'a str,
    /// The `Sec-WebSocket-Key`, drawn from the client's seed.
    pub key: String,
    pub token: &'a str,
    /// The token as the subprotocol `jwt.<token>` instead of a bearer header.
    pub subprotocol: bool,
    /// A bad request to make instead, if this attempt is the client's bad one.
    pub bad: Option<BadInput>,
}

impl Upgrade<'_> {
    /// The upgrade request, bad in the one way `bad` says if it is an upgrade's flaw.
    pub fn request(&self) -> Request<()> {
        let bad = self.bad.filter(|bad| bad.is_upgrade());
        let version = if bad == Some(BadInput::WrongVersion) { "12" } else { "13" };
        let upgrade = if bad == Some(BadInput::WrongUpgrade) { "h2c" } else { "websocket" };
        let request = Request::get(format!("ws://{}/ws", self.addr))
            .header("Host", self.addr)
            .header("Connection", "Upgrade")
            .header("Upgrade", upgrade)
            .header("Sec-WebSocket-Version", version)
            .header("Sec-WebSocket-Key", &self.key);
        let long_token;
        let token = match bad {
            Some(BadInput::LongToken { bytes }) => {
                long_token = "x".repeat(bytes);
                Some(long_token.as_str())
            }
            Some(BadInput::NoToken | BadInput::EmptySubprotocol) => None,
            Some(BadInput::EmptyBearer) => Some(""),
            _ => Some(self.token),
        };
        let request = match (bad, token) {
            (Some(BadInput::EmptySubprotocol), _) => request.header("Sec-WebSocket-Protocol", "jwt."),
            (Some(BadInput::WrongScheme), Some(token)) => {
                request.header("Authorization", format!("Basic {token}"))
            }
            (_, Some(token)) if self.subprotocol && bad.is_none() => {
                request.header("Sec-WebSocket-Protocol", format!("jwt.{token}"))
            }
            (_, Some(token)) => request.header("Authorization", format!("Bearer {token}")),
            (_, None) => request,
        };
        request.body(()).expect("the upgrade request is well-formed HTTP")
    }
}

/// The `type` of the frame a client sends for [`BadInput::UnknownType`]: longer than the 64
/// characters the gateway's error message cuts a type to.
pub const UNKNOWN_TYPE: &str =
    "dance_with_me_until_the_gateway_has_read_more_than_sixty_four_characters_of_this";

/// The frame a client sends for `bad`, if `bad` is a frame's flaw.
pub fn frame(bad: BadInput) -> Option<Message> {
    let text = |text: &str| Some(Message::text(text));
    match bad {
        BadInput::NotJson => text(r#"{"type": "user_message", "id": "#),
        BadInput::UnknownType => Some(Message::text(serde_json::json!({ "type": UNKNOWN_TYPE }).to_string())),
        BadInput::MissingField => text(r#"{"type": "user_message", "payload": {"content": "who am I"}}"#),
        BadInput::Binary => Some(Message::binary(vec![0x00, 0x01, 0xfe])),
        // tungstenite will not make a text message of bytes that are not UTF-8; a raw frame it sends.
        BadInput::NotUtf8 => {
            Some(Message::Frame(Frame::message(vec![0x68, 0xff, 0xfe], OpCode::Data(Data::Text), true)))
        }
        _ => None,
    }
}
