//! Drawn after the bad input: which clients use the rest of the protocol's client
//! frames, and when. A frame no run sends is a path of the gateway's reader the campaign never
//! tests.

use rand::Rng as _;

use crate::clock::Rng;
use crate::sim::scenario::Scenario;

/// The longest burst an eager client sends before `connection_established`. What it sends early
/// must fit in the socket's buffers unread, as a few short messages do: a client stuck writing a
/// flood or frames near the frame limit would read `connection_established` late, and the trace's
/// times would no longer say when it arrived.
const EAGER_BURST: u32 = 6;

/// Of the clients, one in four sends each message under a type drawn from `user_message`, `chat`
/// and `start_agent`; one in six sends a JSON ping before each burst; and one in six sends its
/// first burst right after the upgrade, before `connection_established`, if that burst is short.
pub(super) fn client_frames(rng: &mut Rng, scenario: &mut Scenario) {
    for client in &mut scenario.clients {
        client.aliases = rng.random_bool(0.25);
        client.pings = rng.random_bool(1.0 / 6.0);
        client.eager =
            rng.random_bool(1.0 / 6.0) && client.burst <= EAGER_BURST && client.content_bytes.is_none();
    }
}

/// One client in ten (of those that send no bad frame and do not send before the session is
/// established, whose refusals would mix with the copy's) sends its first message twice and later
/// reuses its id. Drawn after the graceful stop, so that a seed's earlier draws stay what they
/// were.
pub(super) fn resends(rng: &mut Rng, scenario: &mut Scenario) {
    for client in &mut scenario.clients {
        let frame_flaw = client.bad_input.is_some_and(|bad| !bad.is_upgrade());
        client.resends = rng.random_bool(0.1) && !client.eager && !frame_flaw;
    }
}
