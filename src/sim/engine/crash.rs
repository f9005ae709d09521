//! A host losing power.
//!
//! Its tasks stop at once, and the sockets they owned close, which in turmoil-net means a FIN or
//! a RST for each connection: the wire drops those, since a machine without power says nothing.
//! Then the host forgets every connection it still had ([`gaps::forget_sockets`]), so that its
//! next lifetime starts from an empty socket table, as a rebooted machine does, and a peer that
//! still writes to a connection of the old lifetime is reset by the new one.

use super::tasks::HostIndex;
use super::{World, gaps};

pub(super) fn power_off(world: &mut World, index: HostIndex) {
    world.hosts[index].up = false;
    world.wire.host_down(index);
    world.tasks.stop_host(index);
    world.pump(false);
    let ip = world.hosts[index].ip;
    gaps::forget_sockets(&world.network, ip);
    // The resets were handed over directly; the egress after them reaps the sockets.
    world.pump(true);
    let left = turmoil_net::netstat(ip).entries.len();
    if left > 0 {
        let name = world.hosts[index].name.clone();
        world.tasks.report(index, format!("{left} sockets of crashed host {name} outlived it"));
    }
}
