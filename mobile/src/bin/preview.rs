//! The browser preview: the collector app served over Dioxus liveview by axum, so any browser
//! is the phone (its `navigator.geolocation` is the GPS, its file input the camera). The app's
//! state runs here, in Rust, on the phone store in `--data`; every tab is the same phone.
//!
//! ```text
//! ntm-preview --listen 127.0.0.1:8090 --data ./phone-data --server http://127.0.0.1:8080
//! ```
//!
//! liveview 0.7.10's own router answers 404 on `/` under axum 0.8 (see
//! shared/reference/dioxus-mobile.md), so this binary serves `/` itself.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use dioxus::prelude::VirtualDom;
use ntm_field::store::Store;
use ntm_field::sync::{SyncEngine, SyncOptions};
use ntm_mobile::platform::browser::BrowserPlatform;
use ntm_mobile::services::{LaunchOptions, SharedSync};
use ntm_mobile::{App, Services};

struct Args {
    listen: SocketAddr,
    data: PathBuf,
    server: Option<String>,
}

fn usage() -> ! {
    eprintln!("usage: ntm-preview [--listen ADDR (127.0.0.1:8090)] [--data DIR (./ntm-preview-data)] [--server URL]");
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut a = Args {
        listen: "127.0.0.1:8090".parse().expect("a valid address"),
        data: PathBuf::from("ntm-preview-data"),
        server: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                a.listen = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--data" => a.data = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--server" => a.server = Some(args.next().unwrap_or_else(|| usage())),
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    a
}

fn index_page() -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NTM Thực địa</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body><div id="main"></div>{}</body>
</html>"#,
        dioxus_liveview::interpreter_glue("/ws")
    )
}

#[tokio::main]
async fn main() {
    tracing_init();
    let args = parse_args();
    if let Err(e) = std::fs::create_dir_all(&args.data) {
        eprintln!("cannot create the data folder {}: {e}", args.data.display());
        std::process::exit(1);
    }
    let store = match Store::open(&args.data) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!(
                "cannot open the phone store in {}: {e}",
                args.data.display()
            );
            std::process::exit(1);
        }
    };
    let engine = Arc::new(SyncEngine::new(store.clone(), SyncOptions::default()));
    let sync = SharedSync::default();
    if store.enrollment().ok().flatten().is_some() {
        *sync.lock().expect("not poisoned") = Some(engine.clone().spawn());
    }
    let launch = LaunchOptions {
        default_server: args.server.clone(),
    };
    let pool = Arc::new(dioxus_liveview::LiveViewPool::new());
    let data = args.data.clone();

    let app = Router::new()
        .route("/", get(|| async { Html(index_page()) }))
        .route(
            "/assets/app.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], ntm_mobile::app::APP_CSS).into_response() }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/ws",
            get(move |ws: WebSocketUpgrade| {
                let (pool, store, engine, sync, launch, data) =
                    (pool.clone(), store.clone(), engine.clone(), sync.clone(), launch.clone(), data.clone());
                async move {
                    // Photos as base64 over the socket: allow a full-size camera picture.
                    ws.max_message_size(64 << 20).on_upgrade(move |socket| async move {
                        let result = pool
                            .launch_virtualdom(dioxus_liveview::axum_socket(socket), move || {
                                let platform = Rc::new(BrowserPlatform::new(data));
                                let services = Services::shared(store, engine, sync, platform, launch)
                                    .expect("the message catalogs are embedded and checked by tests");
                                VirtualDom::new(App).with_root_context(services)
                            })
                            .await;
                        if let Err(e) = result {
                            tracing::debug!(?e, "browser disconnected");
                        }
                    })
                }
            }),
        );

    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("a bound address");
    println!("app preview: http://{addr}/");
    println!("phone data: {}", args.data.display());
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
    {
        eprintln!("preview server failed: {e}");
        std::process::exit(1);
    }
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}

fn tracing_init() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::stderr)
        .init();
}
