//! Stream chunking: turmoil-net cuts what a socket sends into MSS-sized segments and hands a read
//! everything that has arrived, so the small frames of this system travel whole; real TCP splits
//! and merges them at any byte. A [`SimStream`] with [`Chunking`] set re-cuts both directions from
//! a seeded RNG, so the WebSocket and HTTP parsers of clients and services meet frames split
//! across reads and several frames in one read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BytesMut};
use rand::Rng as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use turmoil_net::shim::tokio::net::TcpStream;

use super::scenario::Chunking;
use crate::clock::Rng;

/// Bytes a chunked stream accepts before it waits for the network to take some.
const MAX_PENDING_WRITE: usize = 64 * 1024;

/// A simulated TCP stream, optionally chunked.
#[derive(Debug)]
pub struct SimStream {
    inner: TcpStream,
    chunks: Option<Chunks>,
}

#[derive(Debug)]
struct Chunks {
    config: Chunking,
    rng: Rng,
    /// Written but not yet sent. A segment can be a single byte of a 64 KiB frame, so what is sent
    /// is advanced past, not drained: draining moved the rest each time.
    pending: BytesMut,
    /// The size of the next segment, drawn once and kept while the network makes us wait.
    next_segment: Option<usize>,
    /// The size of the read in progress, likewise.
    next_read: Option<usize>,
    scratch: Vec<u8>,
}

impl SimStream {
    pub(super) fn new(inner: TcpStream, chunking: Option<(Chunking, Rng)>) -> SimStream {
        let chunks = chunking.map(|(config, rng)| Chunks {
            config,
            rng,
            pending: BytesMut::new(),
            next_segment: None,
            next_read: None,
            scratch: vec![0; config.max_read],
        });
        SimStream { inner, chunks }
    }
}

impl Chunks {
    /// Sends pending bytes in drawn segment sizes. Unless `all`, stops when fewer bytes are pending
    /// than the next segment wants, so that later writes coalesce with them.
    fn poll_send(&mut self, inner: &mut TcpStream, cx: &mut Context<'_>, all: bool) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let max_write = self.config.max_write;
            let want = *self.next_segment.get_or_insert_with(|| self.rng.random_range(1..=max_write));
            if !all && self.pending.len() < want {
                break;
            }
            let len = want.min(self.pending.len());
            let sent = ready!(Pin::new(&mut *inner).poll_write(cx, &self.pending[..len]))?;
            if sent == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.advance(sent);
            self.next_segment = None;
        }
        Poll::Ready(Ok(()))
    }

    /// Reads up to a drawn number of bytes, merging whatever segments have already arrived.
    fn poll_read(
        &mut self,
        inner: &mut TcpStream,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let max_read = self.config.max_read;
        let limit =
            (*self.next_read.get_or_insert_with(|| self.rng.random_range(1..=max_read))).min(buf.remaining());
        let mut filled = 0;
        while filled < limit {
            let mut part = ReadBuf::new(&mut self.scratch[filled..limit]);
            match Pin::new(&mut *inner).poll_read(cx, &mut part) {
                Poll::Ready(Ok(())) if part.filled().is_empty() => break,
                Poll::Ready(Ok(())) => filled += part.filled().len(),
                // What was read is handed back now; the error or the wait recurs on the next read.
                Poll::Ready(Err(_)) | Poll::Pending if filled > 0 => break,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        buf.put_slice(&self.scratch[..filled]);
        self.next_read = None;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for SimStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match &mut this.chunks {
            None => Pin::new(&mut this.inner).poll_read(cx, buf),
            Some(chunks) => chunks.poll_read(&mut this.inner, cx, buf),
        }
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(chunks) = &mut this.chunks else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        if chunks.pending.len() >= MAX_PENDING_WRITE {
            ready!(chunks.poll_send(&mut this.inner, cx, true))?;
        }
        chunks.pending.extend_from_slice(buf);
        // Full segments go out now if the network takes them; the rest waits to coalesce.
        if let Poll::Ready(Err(error)) = chunks.poll_send(&mut this.inner, cx, false) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(chunks) = &mut this.chunks {
            ready!(chunks.poll_send(&mut this.inner, cx, true))?;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(chunks) = &mut this.chunks {
            ready!(chunks.poll_send(&mut this.inner, cx, true))?;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
