//! The deterministic agent. Its delays come from the session's seeded RNG; its result is a pure
//! function of the message content, so a checker can recompute what every answer must be.

use std::time::Duration;

use rand::Rng as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AgentTiming;
use crate::clock::Rng;
use crate::context::SessionContext;
use crate::protocol::{ClientMessage, EventFrame, EventKind, ServerFrame};

const TOOL: &str = "word_count";

/// What the agent answers to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentResult {
    pub reply: String,
    pub words: u64,
    pub chars: u64,
    /// FNV-1a 64 of the content, in hex: ties the answer to exactly the content that was sent.
    pub digest: String,
}

/// The result the agent gives for `content`, always.
pub fn result_for(content: &str) -> AgentResult {
    let words = content.split_whitespace().count() as u64;
    let chars = content.chars().count() as u64;
    AgentResult {
        reply: format!("counted {words} words in {chars} characters"),
        words,
        chars,
        digest: format!("{:016x}", fnv1a(content.as_bytes())),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// One message's run.
pub(super) struct Run<'a> {
    pub context: &'a SessionContext,
    pub message: &'a ClientMessage,
    pub request_id: String,
    pub timing: &'a AgentTiming,
}

impl Run<'_> {
    /// The agent's five frames for this message, in order, each with how long the agent works
    /// after sending it. `seq` numbers the session's event frames and is advanced here.
    pub fn steps(&self, rng: &mut Rng, seq: &mut u64) -> Vec<(ServerFrame, Duration)> {
        let result = result_for(&self.message.content);
        let think_ms = rng.random_range(self.timing.think_ms.0..=self.timing.think_ms.1);
        let tool_ms = rng.random_range(self.timing.tool_ms.0..=self.timing.tool_ms.1);
        let steps = [
            (EventKind::AgentStarted, json!({"agent": "word-counter"}), 0),
            (EventKind::AgentThinking, json!({"think_ms": think_ms}), think_ms),
            (EventKind::ToolExecuting, json!({"tool": TOOL, "input_chars": result.chars}), tool_ms),
            (
                EventKind::ToolCompleted,
                json!({"tool": TOOL, "tool_ms": tool_ms, "output": {"words": result.words}}),
                0,
            ),
            (EventKind::AgentCompleted, json!({"result": result}), 0),
        ];
        steps
            .into_iter()
            .map(|(kind, data, then_wait_ms)| {
                *seq += 1;
                (ServerFrame::event(kind, self.frame(*seq, data)), Duration::from_millis(then_wait_ms))
            })
            .collect()
    }

    fn frame(&self, seq: u64, data: serde_json::Value) -> EventFrame {
        EventFrame {
            context: self.context.clone(),
            message_id: self.message.id.clone(),
            request_id: self.request_id.clone(),
            seq,
            data: data.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_depends_only_on_the_content() {
        assert_eq!(result_for("hello brave new world"), result_for("hello brave new world"));
        let result = result_for("hello brave  new world");
        assert_eq!((result.words, result.chars), (4, 22));
        assert_ne!(result_for("a").digest, result_for("b").digest);
        assert_eq!(result_for("").digest, "cbf29ce484222325");
    }
}
