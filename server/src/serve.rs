//! The accept loop: hyper's HTTP/1 server with a header size bound and a header read timeout
//! (slow-loris clients), the client's address for rate limiting, and graceful stop on a signal.
//!
//! A header block over `Limits::max_header_bytes` is answered `431` with the API's JSON error.
//! hyper itself answers a bare `431` (no body) only when a block does not fit its read buffer,
//! which is kept at [`HEADER_BUFFER_FACTOR`] times the limit, or when a request has more than
//! its 100 headers: those two stay bodiless, since hyper writes them before any service runs.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::error::ApiError;
use crate::limits::Limits;

/// hyper's read buffer, as a multiple of `Limits::max_header_bytes`: room for a header block
/// somewhat over the limit to be read whole and refused with a JSON error.
pub const HEADER_BUFFER_FACTOR: usize = 4;

/// The peer address of a request (`ConnectInfo<ClientAddr>` in handlers).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let header_timeout = limits.header_timeout;
        let max_header_bytes = limits.max_header_bytes;
        let max_buf = (max_header_bytes * HEADER_BUFFER_FACTOR).max(8192);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    // The path without its query; an OpenRosa path without its token.
                    tracing::debug!(peer = %addr, method = %req.method(), path = %crate::odk::redact_path(req.uri().path()), "request");
                    let too_large = header_bytes(req.headers()) > max_header_bytes;
                    req.extensions_mut().insert(ConnectInfo(ClientAddr(addr)));
                    let app = app.clone();
                    async move {
                        if too_large {
                            return Ok(headers_too_large(max_header_bytes));
                        }
                        app.oneshot(req.map(axum::body::Body::new)).await
                    }
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(max_buf)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(peer = %addr, error = %e, "connection ended with an error");
            }
        });
    }
}

/// The size of a header block as sent: each `name: value\r\n`.
fn header_bytes(headers: &axum::http::HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

fn headers_too_large(max: usize) -> axum::response::Response {
    use axum::response::IntoResponse;
    ApiError::new(
        axum::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
        format!(
            "the request's headers are larger than {} KiB; send fewer or shorter headers (cookies, tokens)",
            max >> 10
        ),
    )
    .into_response()
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("stopping");
}
