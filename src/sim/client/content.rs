//! What a client says: its message ids and the content of its messages.

use rand::Rng as _;

use crate::clock::Rng;
use crate::sim::scenario::ClientSpec;

const WORDS: [&str; 12] = [
    "hello",
    "agent",
    "please",
    "count",
    "these",
    "words",
    "résumé",
    "naïve",
    "deterministic",
    "turmoil",
    "gateway",
    "ok",
];

/// The id of a client's `index`th message (from 0, counted across its sessions).
pub fn message_id(client: usize, index: u32) -> String {
    format!("c{client}-m{index}")
}

/// A few words drawn from the client's RNG, or as many as fill the length its spec draws.
pub fn draw(rng: &mut Rng, spec: &ClientSpec) -> String {
    if let Some((low, high)) = spec.content_bytes {
        let length = usize::try_from(rng.random_range(low..=high)).expect("a frame's length");
        let mut text = String::with_capacity(length + 16);
        while text.len() < length {
            text.push_str(WORDS[rng.random_range(0..WORDS.len())]);
            text.push(' ');
        }
        // Cut at a character boundary: the words have two-byte letters.
        let end = (0..=length).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.truncate(end);
        return text;
    }
    let count = rng.random_range(1..=6);
    let words: Vec<_> = (0..count).map(|_| WORDS[rng.random_range(0..WORDS.len())]).collect();
    words.join(" ")
}
