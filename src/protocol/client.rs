//! Frames a client sends.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A client frame the gateway understands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientFrame {
    UserMessage(ClientMessage),
    Ping,
}

/// A user message: `{"type": "user_message", "id": "...", "payload": {"content": "..."}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMessage {
    pub id: String,
    pub content: String,
}

/// Why a frame was refused, and the message it named if it named one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadMessage {
    pub reason: String,
    pub message_id: Option<String>,
}

/// The message types that start the agent. `chat` and `start_agent` are aliases kept for older
/// clients.
const USER_MESSAGE_TYPES: [&str; 3] = ["user_message", "chat", "start_agent"];

impl ClientFrame {
    /// Parses a text frame. Every refusal says what was wrong, so the client can fix it.
    pub fn parse(text: &str) -> Result<ClientFrame, BadMessage> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| BadMessage { reason: format!("malformed JSON: {e}"), message_id: None })?;
        let Some(object) = value.as_object() else {
            return Err(bad("a frame must be a JSON object", None));
        };
        let message_id = object.get("id").and_then(Value::as_str).map(str::to_owned);
        let Some(kind) = object.get("type").and_then(Value::as_str) else {
            return Err(bad("missing field `type`", message_id));
        };
        if kind == "ping" {
            return Ok(ClientFrame::Ping);
        }
        if !USER_MESSAGE_TYPES.contains(&kind) {
            let reason = format!("unknown message type {:?}", truncate(kind));
            return Err(bad(&reason, message_id));
        }
        let Some(id) = message_id.filter(|id| !id.is_empty()) else {
            return Err(bad("missing field `id`", None));
        };
        let content =
            object.get("payload").and_then(|payload| payload.get("content")).and_then(Value::as_str);
        let Some(content) = content else {
            return Err(bad("missing field `payload.content`", Some(id)));
        };
        Ok(ClientFrame::UserMessage(ClientMessage { id, content: content.to_owned() }))
    }

    /// The JSON text a client sends for this frame.
    pub fn to_text(&self) -> String {
        let value = match self {
            ClientFrame::Ping => serde_json::json!({"type": "ping"}),
            ClientFrame::UserMessage(message) => serde_json::json!({
                "type": "user_message",
                "id": message.id,
                "payload": {"content": message.content},
            }),
        };
        value.to_string()
    }
}

fn bad(reason: &str, message_id: Option<String>) -> BadMessage {
    BadMessage { reason: reason.to_owned(), message_id }
}

/// Error messages echo client input; keep them short whatever the client sent.
fn truncate(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_messages_and_their_aliases_parse() {
        for kind in USER_MESSAGE_TYPES {
            let text = format!(r#"{{"type":"{kind}","id":"m1","payload":{{"content":"hi"}}}}"#);
            let expected = ClientMessage { id: "m1".into(), content: "hi".into() };
            assert_eq!(ClientFrame::parse(&text), Ok(ClientFrame::UserMessage(expected)));
        }
        assert_eq!(ClientFrame::parse(r#"{"type":"ping"}"#), Ok(ClientFrame::Ping));
    }

    #[test]
    fn a_frame_survives_a_round_trip_through_text() {
        let frame = ClientFrame::UserMessage(ClientMessage { id: "m\"1".into(), content: "é".into() });
        assert_eq!(ClientFrame::parse(&frame.to_text()), Ok(frame));
    }

    #[test]
    fn bad_frames_say_what_is_wrong_and_keep_the_message_id() {
        let cases = [
            ("{", "malformed JSON", None),
            ("[1]", "JSON object", None),
            (r#"{"id":"m1"}"#, "missing field `type`", Some("m1")),
            (r#"{"type":"launch","id":"m2"}"#, "unknown message type", Some("m2")),
            (r#"{"type":"chat","payload":{"content":"x"}}"#, "missing field `id`", None),
            (r#"{"type":"chat","id":"m3","payload":{}}"#, "payload.content", Some("m3")),
            (r#"{"type":"chat","id":"m4","payload":{"content":7}}"#, "payload.content", Some("m4")),
        ];
        for (text, reason, id) in cases {
            let err = ClientFrame::parse(text).unwrap_err();
            assert!(err.reason.contains(reason), "{text}: {}", err.reason);
            assert_eq!(err.message_id.as_deref(), id, "{text}");
        }
    }
}
