//! A small fault-injecting TCP proxy for the reliability tests (R2, R3, P6-style cuts): it sits
//! between the phone's HTTP client and the real server on loopback and, when armed, breaks the
//! next request whose bytes contain a given marker (e.g. `POST /api/v1/sync/push`):
//!
//! - [`Fault::CutRequest`]: forwards only the first `after` bytes of that request, then closes
//!   both sides (the connection dropped mid-request);
//! - [`Fault::SwallowResponse`]: forwards the whole request, waits for the server's answer
//!   (which the server sends only after its COMMIT), drops it and closes the connection;
//! - [`Fault::CutResponse`]: forwards only the first `after` bytes of the answer;
//! - [`Fault::Stall`]: forwards `after` bytes of the request and then holds the connection
//!   open, forwarding nothing more, until the proxy is told to [`Proxy::release_stalled`]
//!   (used to kill the server while a request is half-way in).
//!
//! Faults are one-shot: the first matching request consumes it. Matching on request bytes
//! (not on connections) keeps the tests deterministic whatever connection reuse the client does.
//! The proxy can also be taken offline (connections are refused by closing them at once) and
//! pointed at another server address (a restarted server on a new port).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What to do to the next matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    CutRequest { marker: String, after: usize },
    SwallowResponse { marker: String },
    CutResponse { marker: String, after: usize },
    Stall { marker: String, after: usize },
}

impl Fault {
    fn marker(&self) -> &str {
        match self {
            Fault::CutRequest { marker, .. }
            | Fault::SwallowResponse { marker }
            | Fault::CutResponse { marker, .. }
            | Fault::Stall { marker, .. } => marker,
        }
    }
}

struct Shared {
    target: Mutex<SocketAddr>,
    /// The armed fault and how many matching requests to let through first.
    armed: Mutex<Option<(Fault, usize)>>,
    offline: AtomicBool,
    /// How many armed faults fired.
    fired: AtomicU64,
    /// Bytes forwarded client -> server and server -> client.
    up: AtomicU64,
    down: AtomicU64,
    release: Notify,
}

/// A running proxy; dropped with the runtime that runs it.
#[derive(Clone)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Starts a proxy on a free loopback port in front of `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            target: Mutex::new(target),
            armed: Mutex::new(None),
            offline: AtomicBool::new(false),
            fired: AtomicU64::new(0),
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
            release: Notify::new(),
        });
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    if s.offline.load(Ordering::SeqCst) {
                        return; // dropping the socket closes it
                    }
                    let target = *s.target.lock().unwrap();
                    if let Ok(server) = TcpStream::connect(target).await {
                        relay(client, server, s).await;
                    }
                });
            }
        });
        Proxy { addr, shared }
    }

    /// `http://127.0.0.1:PORT`, the address to give the phone.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Points new connections at another server address.
    pub fn set_target(&self, target: SocketAddr) {
        *self.shared.target.lock().unwrap() = target;
    }

    /// Arms a one-shot fault for the next matching request (replacing any armed one).
    pub fn arm(&self, fault: Fault) {
        self.arm_after(fault, 0);
    }

    /// Arms a one-shot fault for the matching request after `skip` others went through.
    pub fn arm_after(&self, fault: Fault, skip: usize) {
        *self.shared.armed.lock().unwrap() = Some((fault, skip));
    }

    /// Whether the armed fault has fired (and how many faults fired so far).
    pub fn fired(&self) -> u64 {
        self.shared.fired.load(Ordering::SeqCst)
    }

    pub fn is_armed(&self) -> bool {
        self.shared.armed.lock().unwrap().is_some()
    }

    pub fn disarm(&self) {
        self.shared.armed.lock().unwrap().take();
    }

    /// Refuses (closes) new connections while `true`.
    pub fn set_offline(&self, offline: bool) {
        self.shared.offline.store(offline, Ordering::SeqCst);
    }

    /// Lets stalled connections go (they are closed).
    pub fn release_stalled(&self) {
        self.shared.release.notify_waiters();
    }

    /// Bytes forwarded towards the server and back.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.shared.up.load(Ordering::SeqCst),
            self.shared.down.load(Ordering::SeqCst),
        )
    }
}

/// Per-connection state the two directions share.
struct Conn {
    swallow: AtomicBool,
    cut_response_after: Mutex<Option<usize>>,
    closed: Notify,
}

async fn relay(client: TcpStream, server: TcpStream, s: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let conn = Arc::new(Conn {
        swallow: AtomicBool::new(false),
        cut_response_after: Mutex::new(None),
        closed: Notify::new(),
    });

    let up = {
        let s = s.clone();
        let conn = conn.clone();
        async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match cr.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let chunk = &buf[..n];
                let fault = {
                    let mut armed = s.armed.lock().unwrap();
                    let hit = armed.as_mut().and_then(|(f, skip)| {
                        let at = find(chunk, f.marker().as_bytes())?;
                        if *skip > 0 {
                            *skip -= 1;
                            return None;
                        }
                        Some((f.clone(), at))
                    });
                    if hit.is_some() {
                        armed.take();
                        s.fired.fetch_add(1, Ordering::SeqCst);
                    }
                    hit
                };
                match fault {
                    None => {
                        if sw.write_all(chunk).await.is_err() {
                            return;
                        }
                        s.up.fetch_add(n as u64, Ordering::SeqCst);
                    }
                    Some((Fault::CutRequest { after, .. }, at)) => {
                        let end = (at + after).min(n);
                        let _ = sw.write_all(&chunk[..end]).await;
                        s.up.fetch_add(end as u64, Ordering::SeqCst);
                        // Let the partial request reach the server before the cut.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        conn.closed.notify_waiters();
                        return;
                    }
                    Some((Fault::Stall { after, .. }, at)) => {
                        let end = (at + after).min(n);
                        let _ = sw.write_all(&chunk[..end]).await;
                        s.up.fetch_add(end as u64, Ordering::SeqCst);
                        s.release.notified().await;
                        conn.closed.notify_waiters();
                        return;
                    }
                    Some((Fault::SwallowResponse { .. }, _)) => {
                        conn.swallow.store(true, Ordering::SeqCst);
                        if sw.write_all(chunk).await.is_err() {
                            return;
                        }
                        s.up.fetch_add(n as u64, Ordering::SeqCst);
                    }
                    Some((Fault::CutResponse { after, .. }, _)) => {
                        *conn.cut_response_after.lock().unwrap() = Some(after);
                        if sw.write_all(chunk).await.is_err() {
                            return;
                        }
                        s.up.fetch_add(n as u64, Ordering::SeqCst);
                    }
                }
            }
        }
    };
    let down = {
        let s = s.clone();
        let conn = conn.clone();
        async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match sr.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if conn.swallow.load(Ordering::SeqCst) {
                    // The server answered (after its COMMIT): the phone never hears it.
                    return;
                }
                let cut = conn.cut_response_after.lock().unwrap().take();
                if let Some(after) = cut {
                    let end = after.min(n);
                    let _ = cw.write_all(&buf[..end]).await;
                    s.down.fetch_add(end as u64, Ordering::SeqCst);
                    return;
                }
                if cw.write_all(&buf[..n]).await.is_err() {
                    return;
                }
                s.down.fetch_add(n as u64, Ordering::SeqCst);
            }
        }
    };
    // The connection ends when either direction ends or a fault closes it; dropping the halves
    // closes both sockets.
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = conn.closed.notified() => {}
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}
