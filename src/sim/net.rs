//! [`SimNet`]: the [`Net`] seam over `turmoil::net`, so the services and the clients run on the
//! simulated network unchanged.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::Rng as _;

use super::chunking::SimStream;
use super::scenario::Chunking;
use crate::clock::{Rng, seeded_rng};
use crate::net::{Listener, Net};

/// How long a listener waits before accepting again after an error.
const ACCEPT_RETRY: Duration = Duration::from_millis(10);

/// The simulated network as one host lifetime sees it: every stream it opens or accepts is chunked
/// as its scenario says, each stream from its own seed, drawn in the (deterministic) order the
/// streams are made.
#[derive(Clone, Debug)]
pub struct SimNet {
    chunking: Option<Chunking>,
    seeds: Arc<Mutex<Rng>>,
}

impl SimNet {
    pub fn new(chunking: Option<Chunking>, seed: u64) -> SimNet {
        SimNet { chunking, seeds: Arc::new(Mutex::new(seeded_rng(seed))) }
    }

    fn wrap(&self, stream: turmoil::net::TcpStream) -> SimStream {
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

    async fn bind(&self, addr: SocketAddr) -> io::Result<SimListener> {
        let inner = turmoil::net::TcpListener::bind(addr).await?;
        Ok(SimListener { inner, net: self.clone() })
    }

    async fn connect(&self, addr: &str) -> io::Result<SimStream> {
        let stream = turmoil::net::TcpStream::connect(addr).await?;
        Ok(self.wrap(stream))
    }

    /// The task lands on the runtime turmoil gives this host, and turmoil drops that runtime, with
    /// every task on it, when the host crashes or bounces.
    fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(task)
    }
}

/// A `turmoil` listener the services' accept loop can serve on.
pub struct SimListener {
    inner: turmoil::net::TcpListener,
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
