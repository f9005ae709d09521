//! [`SimNet`]: the [`Net`] seam over turmoil-net's socket stack, so the services and the clients
//! run on the simulated network unchanged, and what they spawn stays on their host.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::Rng as _;
use tokio::task::JoinHandle;
use turmoil_net::shim::tokio::net::{TcpListener, TcpStream};

use super::chunking::SimStream;
use super::engine::HostHandle;
use super::scenario::Chunking;
use crate::clock::{Rng, seeded_rng};
use crate::net::{Listener, Net};

/// How long a listener waits before accepting again after an error.
const ACCEPT_RETRY: Duration = Duration::from_millis(10);

/// The simulated network as one host lifetime sees it: every stream it opens or accepts is chunked
/// as its scenario says, each stream from its own seed, drawn in the (deterministic) order the
/// streams are made.
#[derive(Clone)]
pub struct SimNet {
    host: HostHandle,
    chunking: Option<Chunking>,
    seeds: Arc<Mutex<Rng>>,
}

impl SimNet {
    pub fn new(host: HostHandle, chunking: Option<Chunking>, seed: u64) -> SimNet {
        SimNet { host, chunking, seeds: Arc::new(Mutex::new(seeded_rng(seed))) }
    }

    fn wrap(&self, stream: TcpStream) -> SimStream {
        let chunking = self.chunking.map(|config| {
            let seed = self.seeds.lock().unwrap_or_else(PoisonError::into_inner).random();
            (config, seeded_rng(seed))
        });
        SimStream::new(stream, chunking)
    }
}

impl Net for SimNet {
    type Stream = SimStream;
    type Listener = SimListener;

    async fn bind(&self, mut addr: SocketAddr) -> io::Result<SimListener> {
        // turmoil-net binds every accepted connection at the host's own address and, for each SYN,
        // looks for the listener among those before it tries the wildcard (`docs/engine.md`,
        // turmoil-net gap 4): a listener on the host's own address is found first, however many are open.
        if addr.ip().is_unspecified() {
            addr.set_ip(self.host.ip());
        }
        let inner = TcpListener::bind(addr).await?;
        Ok(SimListener { inner, net: self.clone() })
    }

    async fn connect(&self, addr: &str) -> io::Result<SimStream> {
        let stream = TcpStream::connect(addr).await?;
        Ok(self.wrap(stream))
    }

    fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.host.spawn(task)
    }
}

/// A turmoil-net listener the services can serve on.
pub struct SimListener {
    inner: TcpListener,
    net: SimNet,
}

impl Listener for SimListener {
    type Io = SimStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SimStream, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => return (self.net.wrap(stream), peer),
                Err(error) => {
                    tracing::debug!(%error, "accept failed; accepting again");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}
