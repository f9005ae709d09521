//! The accept loop every service serves its router with, in place of axum's: axum starts each
//! connection's task on the ambient tokio runtime, out of the seam's reach, where a crashed
//! simulated host's connections could outlive it. Here each runs on a task from [`Net::spawn`].
//! hyper would date every response from the machine's clock; the service's own clock dates them
//! instead, so that a simulated host never reads the wall clock.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::time::UNIX_EPOCH;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::SharedClock;
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
    clock: SharedClock,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let service = TowerToHyperService::new(dated(router, clock));
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
    let mut connection = pin!(
        http1::Builder::new()
            .auto_date_header(false)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades()
    );
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

/// `router` with a `Date` header on every response, from `clock`.
fn dated(router: Router, clock: SharedClock) -> Router {
    router.layer(axum::middleware::map_response(move |mut response: Response| {
        let date = httpdate::fmt_http_date(UNIX_EPOCH + clock.since_epoch());
        async move {
            let value = HeaderValue::from_str(&date).expect("an HTTP date is a valid header value");
            response.headers_mut().insert(header::DATE, value);
            response
        }
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use axum::http::StatusCode;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpStream;

    use super::*;
    use crate::clock::Clock;
    use crate::net::TokioNet;

    /// A clock stopped at one instant.
    struct Stopped(Duration);

    impl Clock for Stopped {
        fn since_epoch(&self) -> Duration {
            self.0
        }
    }

    #[tokio::test]
    async fn responses_are_dated_by_the_services_clock_and_only_by_it() {
        let listener = TokioNet.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", get(|| async { StatusCode::OK }));
        let clock: SharedClock = Arc::new(Stopped(Duration::from_secs(784_111_777)));
        tokio::spawn(async move { serve(&TokioNet, listener, router, clock, std::future::pending()).await });

        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n").await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let dates: Vec<&str> =
            response.lines().filter(|line| line.to_ascii_lowercase().starts_with("date:")).collect();
        assert_eq!(dates, ["date: Sun, 06 Nov 1994 08:49:37 GMT"], "{response}");
    }
}
