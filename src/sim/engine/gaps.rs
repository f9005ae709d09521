//! What turmoil-net 0.1 lacks, and how the engine works around it in its own layer.
//! `docs/engine.md` ("turmoil-net gaps") describes each with a minimal reproduction; the tests below show that
//! the gap is still there, so that an upgrade that closes one says so.
//!
//! 1. **No host reset.** A host that loses power should forget its sockets; turmoil-net has no
//!    call for that, and a connection closed cleanly lingers until its peer answers.
//!    [`forget_sockets`] answers for every peer with a RST, which frees each connection.
//! 2. **A half-open handshake reset by its peer is never freed.** A RST that reaches a connection
//!    still in SYN_RECEIVED marks it closed, but turmoil-net reaps only sockets an application
//!    has closed, and no application holds one that was never accepted. It keeps its listener's
//!    port bound for good, so a restarted service could not listen again. This happens whenever
//!    a hold is released after the connecting side gave up: its SYNs arrive, the listener
//!    answers, and the connector, which has forgotten them, resets. [`resets_a_handshake`] finds
//!    such a RST; the engine drops it, and the connection waits, half open, until its listener
//!    closes, which frees it.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use turmoil_net::{EnterGuard, NetstatState, Packet, Proto, TcpFlags, TcpSegment, Transport};

/// Hands host `ip` a RST from the peer of every connection its socket table still holds.
pub(super) fn forget_sockets(network: &EnterGuard, ip: IpAddr) {
    for entry in turmoil_net::netstat(ip).entries {
        let (Proto::Tcp, Some(peer)) = (entry.proto, entry.peer) else { continue };
        let reset = TcpSegment {
            src_port: peer.port(),
            dst_port: entry.local.port(),
            seq: 0,
            ack: 0,
            flags: TcpFlags { rst: true, ..TcpFlags::default() },
            window: 0,
            payload: Bytes::new(),
        };
        network.deliver(Packet { src: peer.ip(), dst: ip, ttl: 64, payload: Transport::Tcp(reset) });
    }
}

/// Whether `packet` is a RST for a connection whose handshake its destination has not finished.
pub(super) fn resets_a_handshake(packet: &Packet) -> bool {
    let Transport::Tcp(segment) = &packet.payload else { return false };
    if !segment.flags.rst {
        return false;
    }
    let local = SocketAddr::new(packet.dst, segment.dst_port);
    let peer = SocketAddr::new(packet.src, segment.src_port);
    turmoil_net::netstat(packet.dst).entries.iter().any(|entry| {
        entry.local == local && entry.peer == Some(peer) && entry.state == Some(NetstatState::SynReceived)
    })
}

/// Each gap as bare turmoil-net shows it, without the engine: when one of these fails after an
/// upgrade, turmoil-net has closed the gap and the workaround above can go.
#[cfg(test)]
mod tests {
    use std::io::ErrorKind;
    use std::net::IpAddr;
    use std::pin::pin;
    use std::task::Poll;

    use turmoil_net::shim::tokio::net::{TcpListener, TcpStream};
    use turmoil_net::{EnterGuard, HostId, Net, NetstatState, Packet, TcpFlags, TcpSegment, Transport};

    use super::*;
    use crate::bench::floor::{poll, settle};

    /// A server and a client, with the server's listener on port 80.
    fn two_hosts() -> (EnterGuard, [(HostId, IpAddr); 2]) {
        let mut net = Net::new();
        let hosts = ["server", "client"].map(|name| (net.add_host(name), net.lookup(name)));
        (net.enter(), hosts)
    }

    fn segment(from: (IpAddr, u16), to: (IpAddr, u16), flags: TcpFlags) -> Packet {
        let segment = TcpSegment {
            src_port: from.1,
            dst_port: to.1,
            seq: 1,
            ack: 0,
            flags,
            window: u16::MAX,
            payload: Bytes::new(),
        };
        Packet { src: from.0, dst: to.0, ttl: 64, payload: Transport::Tcp(segment) }
    }

    #[test]
    fn turmoil_net_keeps_a_closed_connection_until_its_peer_answers() {
        let (network, [(server, server_ip), (client, _)]) = two_hosts();
        network.set_current(server);
        let listener = pin!(TcpListener::bind("0.0.0.0:80"));
        let Poll::Ready(Ok(listener)) = poll(listener) else { panic!("the listener binds") };
        network.set_current(client);
        let mut connect = pin!(TcpStream::connect("server:80"));
        assert!(poll(connect.as_mut()).is_pending());
        settle(&network);
        let Poll::Ready(Ok(_client_stream)) = poll(connect) else { panic!("the client connects") };
        network.set_current(server);
        let Poll::Ready(Ok((accepted, _))) = poll(pin!(listener.accept())) else { panic!("accepts") };
        drop((accepted, listener));
        // The server's FIN is lost, as a crashed host's would be: nothing frees the connection.
        network.egress_all(&mut Vec::new());
        let states: Vec<_> = turmoil_net::netstat(server_ip).entries.iter().map(|e| e.state).collect();
        assert_eq!(states, [Some(NetstatState::FinWait1)]);
    }

    #[test]
    fn turmoil_net_never_frees_a_handshake_its_peer_reset() {
        let (network, [(server, server_ip), (_, client_ip)]) = two_hosts();
        network.set_current(server);
        let Poll::Ready(Ok(listener)) = poll(pin!(TcpListener::bind("0.0.0.0:80"))) else {
            panic!("the listener binds")
        };
        let (from, to) = ((client_ip, 5000), (server_ip, 80));
        network.deliver(segment(from, to, TcpFlags { syn: true, ..TcpFlags::default() }));
        network.egress_all(&mut Vec::new());
        let reset = segment(from, to, TcpFlags { rst: true, ..TcpFlags::default() });
        assert!(resets_a_handshake(&reset));
        network.deliver(reset);
        network.egress_all(&mut Vec::new());
        drop(listener);
        network.egress_all(&mut Vec::new());
        let again = poll(pin!(TcpListener::bind("0.0.0.0:80")));
        assert!(matches!(again, Poll::Ready(Err(ref error)) if error.kind() == ErrorKind::AddrInUse));
    }
}
