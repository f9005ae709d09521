//! A TCP proxy whose added delay a test can change, to make a dependency slow on loopback.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct Proxy {
    pub addr: SocketAddr,
    delay_ms: Arc<AtomicU64>,
    opened: Arc<AtomicU64>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (delay_ms, opened) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (delay, count) = (Arc::clone(&delay_ms), Arc::clone(&opened));
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(forward(inbound, upstream, Arc::clone(&delay)));
            }
        });
        Proxy { addr, delay_ms, opened }
    }

    /// How many connections callers have opened through the proxy.
    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::SeqCst)
    }

    /// Delays everything sent through the proxy from now on by `delay` before it reaches
    /// upstream, on connections opened before as well: a caller that keeps its connections
    /// alive sees the dependency slow down as much as one that opens a new one.
    pub fn slow_down(&self, delay: Duration) {
        self.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

async fn forward(inbound: TcpStream, upstream: SocketAddr, delay_ms: Arc<AtomicU64>) {
    let Ok(outbound) = TcpStream::connect(upstream).await else { return };
    let (mut from_client, mut to_client) = inbound.into_split();
    let (mut from_upstream, mut to_upstream) = outbound.into_split();
    let requests = async {
        let mut buffer = vec![0; 16 * 1024];
        while let Ok(read @ 1..) = from_client.read(&mut buffer).await {
            tokio::time::sleep(Duration::from_millis(delay_ms.load(Ordering::SeqCst))).await;
            if to_upstream.write_all(&buffer[..read]).await.is_err() {
                break;
            }
        }
        let _ = to_upstream.shutdown().await;
    };
    let answers = async {
        let _ = tokio::io::copy(&mut from_upstream, &mut to_client).await;
        let _ = to_client.shutdown().await;
    };
    tokio::join!(requests, answers);
}
