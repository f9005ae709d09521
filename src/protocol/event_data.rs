//! The `data` of an agent event frame, kept as its JSON text.
//!
//! Every frame a simulated client receives stays in the trace until the run ends, and a
//! `serde_json::Value` object costs a B-tree node of some 630 bytes however few its keys: seven
//! objects a message made them most of the trace at 10,000 sessions. The text is a tenth of
//! that, and nothing reads `data` while a run goes on; the checkers parse it when they judge.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// Any JSON value, held as the compact text `serde_json` writes for it: object keys sorted, as
/// in a [`Value`]. Parsing canonicalises, so two frames with equal data compare equal and the
/// trace's canonical form stays the same whichever way the frame was read.
#[derive(Clone)]
pub struct EventData(Box<RawValue>);

impl EventData {
    /// The data as a JSON value.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).expect("event data is the text of a JSON value")
    }

    /// One field of the data, if it is an object that has it.
    pub fn field(&self, name: &str) -> Option<Value> {
        self.value().as_object_mut()?.remove(name)
    }

    /// The data's JSON text.
    pub fn text(&self) -> &str {
        self.0.get()
    }
}

impl From<Value> for EventData {
    fn from(value: Value) -> EventData {
        EventData(serde_json::value::to_raw_value(&value).expect("a JSON value always serialises"))
    }
}

impl PartialEq for EventData {
    fn eq(&self, other: &EventData) -> bool {
        self.text() == other.text()
    }
}

impl Eq for EventData {}

impl std::fmt::Debug for EventData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Through a [`Value`], not straight into a [`RawValue`]: a frame is an internally tagged enum,
/// which serde buffers before it picks the variant, and a raw value cannot be read from that
/// buffer. Going through the value also sorts the keys.
impl<'de> Deserialize<'de> for EventData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EventData, D::Error> {
        Value::deserialize(deserializer).map(EventData::from)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn data_reads_back_as_the_value_it_was_made_from() {
        let value = json!({"tool": "word_count", "output": {"words": 3}, "tool_ms": 40});
        let data = EventData::from(value.clone());
        assert_eq!(data.value(), value);
        assert_eq!(data.text(), r#"{"output":{"words":3},"tool":"word_count","tool_ms":40}"#);
    }

    #[test]
    fn data_serialises_as_its_value_does() {
        let value = json!({"b": [1, 2, {"z": null, "a": "x"}], "a": 1.5});
        let data = EventData::from(value.clone());
        assert_eq!(serde_json::to_string(&data).unwrap(), serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn parsing_sorts_keys_so_equal_data_compares_equal() {
        let parsed: EventData = serde_json::from_str(r#"{ "b": 2, "a": {"d": 1, "c": 0} }"#).unwrap();
        assert_eq!(parsed, EventData::from(json!({"a": {"c": 0, "d": 1}, "b": 2})));
        assert_eq!(parsed.text(), r#"{"a":{"c":0,"d":1},"b":2}"#);
    }

    #[test]
    fn data_inside_a_buffered_enum_parses() {
        #[derive(Debug, Deserialize, PartialEq)]
        #[serde(tag = "type")]
        enum Frame {
            Event { data: EventData },
        }
        let frame: Frame = serde_json::from_str(r#"{"data":{"x":[1]},"type":"Event"}"#).unwrap();
        assert_eq!(frame, Frame::Event { data: EventData::from(json!({"x": [1]})) });
    }
}
