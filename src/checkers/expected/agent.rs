//! What the agent must answer, computed by the checkers themselves. The design makes the agent's
//! result a pure function of the message content "so a checker can recompute it"; recomputing
//! it with the gateway's own function would make a wrong answer look right, so this is written
//! again from the definition: the words, the characters, and the FNV-1a 64 digest of the bytes.

use crate::services::gateway::AgentResult;

/// FNV-1a 64's parameters, from its specification.
const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The result the agent owes a message with `content`.
pub fn agent_result(content: &str) -> AgentResult {
    let words = content.split_whitespace().count() as u64;
    let chars = content.chars().count() as u64;
    AgentResult {
        reply: format!("counted {words} words in {chars} characters"),
        words,
        chars,
        digest: format!("{:016x}", fnv1a_64(content.as_bytes())),
    }
}

fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash = FNV_OFFSET_BASIS;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::gateway::result_for;

    #[test]
    fn the_digest_matches_the_published_fnv_1a_64_test_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn words_and_characters_count_unicode_as_people_do() {
        let result = agent_result("  grüße  an\tdie welt ");
        assert_eq!((result.words, result.chars), (4, 21));
        assert_eq!(result.reply, "counted 4 words in 21 characters");
    }

    #[test]
    fn the_gateway_answers_what_the_checkers_expect() {
        for content in ["", "hello agent", "grüße welt", &"count these words ".repeat(400)] {
            assert_eq!(result_for(content), agent_result(content), "{content:?}");
        }
    }
}
