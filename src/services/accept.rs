//! The accept loop every service serves its router with, in place of axum's: axum starts each
//! connection's task on the ambient tokio runtime, out of the seam's reach, where a crashed
//! simulated host's connections could outlive it. Here each runs on a task from [`Net::spawn`].

use std::future::Future;
use std::io;
use std::pin::pin;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::net::{Listener, Net, Stream};

/// Serves `router` to every connection `listener` accepts, until `shutdown` completes. Then, as
/// axum's `with_graceful_shutdown` does, it stops accepting, lets each open connection finish
/// the request it is answering, and returns once all of them have closed. Upgraded connections
/// (the gateway's WebSockets) are no longer its to wait for: their owners track them.
///
/// Never fails: the listener retries failed accepts itself. The `Result` is the services' own.
pub async fn serve<N: Net>(
    net: &N,
    mut listener: N::Listener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let service = TowerToHyperService::new(router);
    let closing = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let connection = connection(stream, service.clone(), closing.clone());
        net.spawn(connections.track_future(connection));
    }
    // Closed now, not on return, so that clients are refused while open connections finish.
    drop(listener);
    closing.cancel();
    connections.close();
    connections.wait().await;
    Ok(())
}

/// Serves one connection until the client leaves, or until `closing`, after which it answers the
/// request in flight, if any, and closes.
async fn connection<S: Stream>(stream: S, service: TowerToHyperService<Router>, closing: CancellationToken) {
    let mut connection =
        pin!(http1::Builder::new().serve_connection(TokioIo::new(stream), service).with_upgrades());
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = closing.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}
