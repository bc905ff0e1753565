//! The app as a native window: `--features desktop` on a workstation (development, simulated
//! GPS, photos from a typed path), `--features mobile` for `dx serve --android` / `--ios`.
//!
//! ```text
//! cargo run -p ntm-mobile --features desktop -- --data ./phone-data --server http://127.0.0.1:8080
//! ```
//! For a browser, use the preview instead: `cargo run -p ntm-mobile --features preview --bin ntm-preview`.

#[cfg(any(feature = "desktop", feature = "mobile"))]
fn main() {
    use std::path::PathBuf;
    use std::rc::Rc;

    use ntm_mobile::services::LaunchOptions;
    use ntm_mobile::{App, Services};

    let mut data = std::env::var_os("NTM_DATA_DIR").map(PathBuf::from);
    let mut launch = LaunchOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--server" => launch.default_server = args.next(),
            other => {
                eprintln!(
                    "unknown argument {other:?}; usage: ntm-mobile [--data DIR] [--server URL]"
                );
                std::process::exit(2);
            }
        }
    }
    let data = data.unwrap_or_else(|| PathBuf::from("ntm-mobile-data"));
    if let Err(e) = std::fs::create_dir_all(&data) {
        eprintln!("cannot create the data folder {}: {e}", data.display());
        std::process::exit(1);
    }

    let builder = dioxus::LaunchBuilder::new();
    #[cfg(feature = "desktop")]
    let builder = builder.with_cfg(
        dioxus::desktop::Config::new()
            .with_custom_head(format!("<style>{}</style>", ntm_mobile::app::APP_CSS))
            .with_window(
                dioxus::desktop::WindowBuilder::new()
                    .with_title("NTM Thực địa")
                    .with_inner_size(dioxus::desktop::LogicalSize::new(420.0, 860.0)),
            ),
    );
    builder
        .with_context_provider(move || {
            // The desktop has no GPS: a simulated walk. On a phone the native plugins of
            // src/platform/native/ will take this place; until then the WebView's own
            // geolocation is used (one-shot fixes work; photos need the native plugin).
            #[cfg(feature = "desktop")]
            let platform: Rc<dyn ntm_mobile::platform::Platform> = Rc::new(
                ntm_mobile::platform::desktop::DesktopPlatform::new(data.clone()),
            );
            #[cfg(not(feature = "desktop"))]
            let platform: Rc<dyn ntm_mobile::platform::Platform> = Rc::new(
                ntm_mobile::platform::browser::BrowserPlatform::new(data.clone()),
            );
            match Services::open(platform, launch.clone()) {
                Ok(services) => Box::new(services),
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1);
                }
            }
        })
        .launch(App);
}

#[cfg(not(any(feature = "desktop", feature = "mobile")))]
fn main() {
    eprintln!(
        "ntm-mobile was built without a renderer. Run the browser preview:\n  \
         cargo run -p ntm-mobile --features preview --bin ntm-preview\n\
         or the desktop window:\n  cargo run -p ntm-mobile --features desktop"
    );
    std::process::exit(2);
}
