//! The network seam: services never name a socket type.
//!
//! Everything that talks over the network is generic over [`Net`]. `serve` runs on [`TokioNet`]
//! (real TCP); the simulator runs the very same code on turmoil-net's sockets. Servers
//! take an already-bound listener (any [`axum::serve::Listener`]) so that tests and the simulator
//! choose the address, and bind ephemeral ports without races. Servers also start their tasks
//! through the seam ([`Net::spawn`]), never with `tokio::spawn`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};

pub use axum::serve::Listener;

/// A byte stream between two hosts.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// Binding and connecting, over real or simulated TCP.
pub trait Net: Clone + Send + Sync + 'static {
    type Stream: Stream;
    type Listener: Listener<Io = Self::Stream, Addr = SocketAddr>;

    fn bind(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// Connects to `addr`, written `host:port` (`127.0.0.1:8081` on real TCP, `auth:8081` in a
    /// simulation). Callers bound the wait themselves: a simulated connect to a crashed host
    /// never answers.
    fn connect(&self, addr: &str) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Starts `task` on this host. Every task a service starts goes through here, so that a
    /// simulated host's tasks can all be stopped when it crashes.
    fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
}

/// Real TCP, for `gatesim serve` and the loopback tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioNet;

impl Net for TokioNet {
    type Stream = tokio::net::TcpStream;
    type Listener = tokio::net::TcpListener;

    async fn bind(&self, addr: SocketAddr) -> io::Result<Self::Listener> {
        tokio::net::TcpListener::bind(addr).await
    }

    async fn connect(&self, addr: &str) -> io::Result<Self::Stream> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        // Frames are small and latency-bound; Nagle only adds delay.
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(task)
    }
}
