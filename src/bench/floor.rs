//! turmoil-net's own cost as connections pile up (`docs/engine.md` "turmoil-net gaps", 3), measured on
//! bare turmoil-net with no engine and no services: two hosts with `n` connections open between
//! them. An egress pass with nothing to send still walks every socket of both hosts, and closing a
//! connection scans its host's tables as it removes each end. A run makes an egress pass at every
//! instant something is sent and closes a connection per session, so at `n` sessions open these
//! are costs no work in gatesim's own layer can take away.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, ensure};
use turmoil_net::shim::tokio::net::{TcpListener, TcpStream};
use turmoil_net::{EnterGuard, HostId, KernelConfig, Net};

/// Egress passes timed, one after another, with nothing to send.
const PASSES: u32 = 100;

/// What `connections` open connections cost turmoil-net.
pub(super) struct Floor {
    /// One egress pass that finds nothing to send.
    pub egress_pass: Duration,
    /// Closing one connection at both ends, to its last packet; a tenth of them are closed,
    /// oldest first, as a run's first sessions are the first to end.
    pub close: Duration,
}

pub(super) fn measure(connections: usize) -> anyhow::Result<Floor> {
    // Every SYN arrives in one delivery: the backlog must hold them all.
    let mut net = Net::with_config(KernelConfig::default().default_backlog(connections));
    let [server, client] = ["server", "client"].map(|name| net.add_host(name));
    // Dropped last: the sockets close through it.
    let network = net.enter();
    network.set_current(server);
    let listener = ready(pin!(TcpListener::bind("0.0.0.0:80"))).context("binding the listener")?;
    network.set_current(client);
    let mut connects: Vec<_> = (0..connections).map(|_| Box::pin(TcpStream::connect("server:80"))).collect();
    for connect in &mut connects {
        ensure!(poll(connect.as_mut()).is_pending(), "a connect finished before its handshake");
    }
    settle(&network);
    let mut ends = Vec::with_capacity(connections);
    for connect in &mut connects {
        network.set_current(client);
        let stream = ready(connect.as_mut()).context("connecting")?;
        network.set_current(server);
        let (accepted, _) = ready(pin!(listener.accept())).context("accepting")?;
        ends.push((stream, accepted));
    }

    let mut out = Vec::new();
    let started = Instant::now();
    for _ in 0..PASSES {
        network.egress_all(&mut out);
    }
    let egress_pass = started.elapsed() / PASSES;
    ensure!(out.is_empty(), "idle connections sent {} packets", out.len());

    let closing = (connections / 10).max(1);
    let started = Instant::now();
    close(&network, [client, server], ends.drain(..closing));
    settle(&network);
    let close_one = started.elapsed() / u32::try_from(closing).context("too many connections")?;
    close(&network, [client, server], ends);
    network.set_current(server);
    drop(listener);
    Ok(Floor { egress_pass, close: close_one })
}

/// Closes both ends of each connection, each in its own host's socket table.
fn close(
    network: &EnterGuard,
    [client, server]: [HostId; 2],
    ends: impl IntoIterator<Item = (TcpStream, TcpStream)>,
) {
    for (stream, accepted) in ends {
        network.set_current(client);
        drop(stream);
        network.set_current(server);
        drop(accepted);
    }
}

/// Moves packets between bare turmoil-net's hosts until none is left.
pub(crate) fn settle(network: &EnterGuard) {
    let mut out = Vec::new();
    loop {
        network.egress_all(&mut out);
        if out.is_empty() {
            return;
        }
        out.drain(..).for_each(|packet| network.deliver(packet));
    }
}

/// Polls `future` once, as bare turmoil-net's calls need no runtime.
pub(crate) fn poll<T>(future: Pin<&mut impl Future<Output = T>>) -> Poll<T> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// The output of a call that, with every packet delivered, does not wait.
fn ready<T>(future: Pin<&mut impl Future<Output = std::io::Result<T>>>) -> anyhow::Result<T> {
    match poll(future) {
        Poll::Ready(result) => Ok(result?),
        Poll::Pending => Err(anyhow!("still waiting after every packet was delivered")),
    }
}
