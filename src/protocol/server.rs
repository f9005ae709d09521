//! Frames the gateway sends. Every one carries the session's context once the session has one.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{ErrorCode, EventData};
use crate::context::SessionContext;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    ConnectionEstablished { context: SessionContext },
    AgentStarted(EventFrame),
    AgentThinking(EventFrame),
    ToolExecuting(EventFrame),
    ToolCompleted(EventFrame),
    AgentCompleted(EventFrame),
    Pong { context: SessionContext },
    Error(ErrorFrame),
}

/// One step of the agent's work on one user message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventFrame {
    pub context: SessionContext,
    pub message_id: String,
    pub request_id: String,
    /// Position of this frame among the session's event frames, from 1.
    pub seq: u64,
    pub data: EventData,
}

/// The steps of the agent, in the only order they may arrive for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    AgentStarted,
    AgentThinking,
    ToolExecuting,
    ToolCompleted,
    AgentCompleted,
}

impl EventKind {
    /// The `type` of the frame that carries this step, as it appears on the wire.
    pub fn type_name(self) -> &'static str {
        match self {
            EventKind::AgentStarted => "agent_started",
            EventKind::AgentThinking => "agent_thinking",
            EventKind::ToolExecuting => "tool_executing",
            EventKind::ToolCompleted => "tool_completed",
            EventKind::AgentCompleted => "agent_completed",
        }
    }

    pub const SEQUENCE: [EventKind; 5] = [
        EventKind::AgentStarted,
        EventKind::AgentThinking,
        EventKind::ToolExecuting,
        EventKind::ToolCompleted,
        EventKind::AgentCompleted,
    ];
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// Absent only before the session has a context (the connect sequence failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<SessionContext>,
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub retryable: bool,
}

impl ErrorFrame {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorFrame {
        ErrorFrame {
            context: None,
            code,
            message: message.into(),
            message_id: None,
            retryable: code.retryable(),
        }
    }

    pub fn in_context(mut self, context: &SessionContext) -> ErrorFrame {
        self.context = Some(context.clone());
        self
    }

    pub fn about(mut self, message_id: Option<String>) -> ErrorFrame {
        self.message_id = message_id;
        self
    }
}

impl ServerFrame {
    pub fn event(kind: EventKind, frame: EventFrame) -> ServerFrame {
        match kind {
            EventKind::AgentStarted => ServerFrame::AgentStarted(frame),
            EventKind::AgentThinking => ServerFrame::AgentThinking(frame),
            EventKind::ToolExecuting => ServerFrame::ToolExecuting(frame),
            EventKind::ToolCompleted => ServerFrame::ToolCompleted(frame),
            EventKind::AgentCompleted => ServerFrame::AgentCompleted(frame),
        }
    }

    /// The agent step and its frame, for event frames.
    pub fn as_event(&self) -> Option<(EventKind, &EventFrame)> {
        match self {
            ServerFrame::AgentStarted(f) => Some((EventKind::AgentStarted, f)),
            ServerFrame::AgentThinking(f) => Some((EventKind::AgentThinking, f)),
            ServerFrame::ToolExecuting(f) => Some((EventKind::ToolExecuting, f)),
            ServerFrame::ToolCompleted(f) => Some((EventKind::ToolCompleted, f)),
            ServerFrame::AgentCompleted(f) => Some((EventKind::AgentCompleted, f)),
            _ => None,
        }
    }

    /// The frame's `type`, as it appears on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            ServerFrame::ConnectionEstablished { .. } => "connection_established",
            ServerFrame::Pong { .. } => "pong",
            ServerFrame::Error(_) => "error",
            _ => self.as_event().map_or("event", |(kind, _)| kind.type_name()),
        }
    }

    /// The client message the frame is about, if it names one.
    pub fn message_id(&self) -> Option<&str> {
        match self {
            ServerFrame::Error(error) => error.message_id.as_deref(),
            _ => self.as_event().map(|(_, event)| event.message_id.as_str()),
        }
    }

    /// The context the frame carries.
    pub fn context(&self) -> Option<&SessionContext> {
        match self {
            ServerFrame::ConnectionEstablished { context } | ServerFrame::Pong { context } => Some(context),
            ServerFrame::Error(error) => error.context.as_ref(),
            _ => self.as_event().map(|(_, frame)| &frame.context),
        }
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("server frames always serialise")
    }

    /// Parses a frame from its wire text: what `serde_json::from_str` gives, error for error,
    /// in two passes that copy nothing twice. serde parses an internally tagged enum into a tree
    /// of every field first and the variant from that, and a simulated client parses every
    /// frame it receives: that was a twelfth of a standard run.
    pub fn from_text(text: &str) -> serde_json::Result<ServerFrame> {
        #[derive(Deserialize)]
        struct Tag<'a> {
            #[serde(rename = "type", borrow)]
            kind: Cow<'a, str>,
        }
        #[derive(Deserialize)]
        struct Context {
            context: SessionContext,
        }
        let direct = serde_json::from_str::<Tag>(text).and_then(|tag| match tag.kind.as_ref() {
            "connection_established" => serde_json::from_str::<Context>(text)
                .map(|c| ServerFrame::ConnectionEstablished { context: c.context }),
            "pong" => serde_json::from_str::<Context>(text).map(|c| ServerFrame::Pong { context: c.context }),
            "error" => serde_json::from_str(text).map(ServerFrame::Error),
            name => match EventKind::SEQUENCE.into_iter().find(|kind| kind.type_name() == name) {
                Some(kind) => serde_json::from_str(text).map(|frame| ServerFrame::event(kind, frame)),
                None => serde_json::from_str(text),
            },
        });
        // Whatever went wrong, the error is the one the tagged parser gives.
        direct.or_else(|_| serde_json::from_str(text))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::context::example;

    /// Alice's event frame of `kind`, `seq` and `data`, about message m1.
    fn event(kind: EventKind, seq: u64, data: Value) -> ServerFrame {
        let frame = EventFrame {
            context: example("alice"),
            message_id: "m1".into(),
            request_id: "ctx_a_1_00000001.1".into(),
            seq,
            data: data.into(),
        };
        ServerFrame::event(kind, frame)
    }

    #[test]
    fn event_frames_have_the_documented_shape() {
        let frame = event(EventKind::ToolExecuting, 3, serde_json::json!({"tool": "word_count"}));
        let value: Value = serde_json::from_str(&frame.to_text()).unwrap();
        assert_eq!(value["type"], "tool_executing");
        assert_eq!(value["context"]["user_id"], "alice");
        assert_eq!(value["seq"], 3);
        assert_eq!(serde_json::from_value::<ServerFrame>(value).unwrap(), frame);
    }

    #[test]
    fn type_names_are_what_serde_writes_on_the_wire() {
        let mut frames: Vec<ServerFrame> =
            EventKind::SEQUENCE.into_iter().map(|kind| event(kind, 1, Value::Null)).collect();
        frames.push(ServerFrame::ConnectionEstablished { context: example("alice") });
        frames.push(ServerFrame::Pong { context: example("alice") });
        frames.push(ServerFrame::Error(ErrorFrame::new(ErrorCode::BadMessage, "x")));
        for frame in frames {
            let wire: Value = serde_json::from_str(&frame.to_text()).unwrap();
            assert_eq!(wire["type"], frame.type_name());
        }
    }

    #[test]
    fn from_text_parses_as_the_tagged_parser_does_error_for_error() {
        let result = serde_json::json!({"result": {"chars": 5}});
        let context = serde_json::to_string(&example("alice")).unwrap();
        let with_context = ErrorFrame::new(ErrorCode::BadMessage, "x").in_context(&example("bob"));
        let mut texts: Vec<String> =
            EventKind::SEQUENCE.into_iter().map(|kind| event(kind, 2, result.clone()).to_text()).collect();
        texts.extend([
            ServerFrame::ConnectionEstablished { context: example("alice") }.to_text(),
            ServerFrame::Pong { context: example("alice") }.to_text(),
            ServerFrame::Error(ErrorFrame::new(ErrorCode::AuthFailed, "bad token")).to_text(),
            ServerFrame::Error(with_context.about(Some("m9".into()))).to_text(),
            format!(
                r#"{{"extra":[1,{{"type":"pong"}}],"context":{context},"type":"connection_established"}}"#
            ),
            format!(r#"{{"type":"pong","context":{context},"type":"pong"}}"#),
            format!(r#"{{"type":"po\u006eg","context":{context}}}"#),
            format!(r#"{{"type":"agent_started","context":{context}}}"#),
            format!(r#"{{"type":"nonsense","context":{context}}}"#),
            format!(r#"{{"type":7,"context":{context}}}"#),
            format!(r#"{{"context":{context}}}"#),
            r#"{"type":"error","code":"NO_SUCH_CODE","message":"x","retryable":false}"#.to_owned(),
            r#"{"type":"error","code":"BAD_MESSAGE","message":"x","retryable":false} trailing"#.to_owned(),
            "not json".to_owned(),
        ]);
        for text in texts {
            let tagged = serde_json::from_str::<ServerFrame>(&text).map_err(|e| e.to_string());
            assert_eq!(ServerFrame::from_text(&text).map_err(|e| e.to_string()), tagged, "{text}");
        }
    }

    #[test]
    fn error_frames_omit_what_they_do_not_know() {
        let frame = ServerFrame::Error(ErrorFrame::new(ErrorCode::AuthFailed, "bad token"));
        assert_eq!(
            frame.to_text(),
            r#"{"type":"error","code":"AUTH_FAILED","message":"bad token","retryable":false}"#
        );
        let with_context = ErrorFrame::new(ErrorCode::BadMessage, "x")
            .in_context(&example("alice"))
            .about(Some("m9".into()));
        assert_eq!(ServerFrame::Error(with_context).context(), Some(&example("alice")));
    }
}
