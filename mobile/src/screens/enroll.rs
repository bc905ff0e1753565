//! Enroll: the server's address and the one-time code from the commune office. The store keeps
//! the identity the server returns; the first sync then brings the commune's households.

use dioxus::prelude::*;
use ntm_field::sync::{ClientError, SyncEngine, SyncError};

use crate::components::{ActionBar, Page, TextField};
use crate::forms::FormErrors;
use crate::i18n::use_i18n;
use crate::screens::Screen;
use crate::services::{use_app, use_services};

/// What to tell the user when enrolling failed.
fn enroll_error_message(e: &SyncError) -> &'static str {
    match e {
        SyncError::Client(ClientError::Network(_) | ClientError::Unreachable(_)) => {
            "err-server-unreachable"
        }
        SyncError::Client(ClientError::Status { status, .. }) if (400..500).contains(status) => {
            "err-enroll-code"
        }
        SyncError::Client(_) => "err-server-failed",
        _ => "err-store",
    }
}

#[component]
pub fn EnrollScreen() -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let mut server = use_signal(|| {
        services
            .store
            .enrollment()
            .ok()
            .flatten()
            .map(|e| e.server_url)
            .or(services.launch.default_server.clone())
            .unwrap_or_default()
    });
    let mut code = use_signal(String::new);
    let mut device_name = use_signal(|| {
        services
            .store
            .settings()
            .map(|s| s.device_name)
            .unwrap_or_default()
    });
    let mut errors = use_signal(FormErrors::default);
    let mut busy = use_signal(|| false);
    let retired = services.store.retired_reason().ok().flatten();

    let enroll = {
        let services = services.clone();
        move |_| {
            let mut e = FormErrors::default();
            if server().trim().is_empty() {
                e.add("server", "err-answer-required");
            }
            if code().trim().is_empty() {
                e.add("code", "err-answer-required");
            }
            errors.set(e.clone());
            if !e.is_empty() || busy() {
                return;
            }
            busy.set(true);
            let services = services.clone();
            spawn(async move {
                let name = if device_name().trim().is_empty() {
                    "ntm-mobile".to_owned()
                } else {
                    device_name().trim().to_owned()
                };
                let result = SyncEngine::enroll(
                    &services.store,
                    server().trim(),
                    code().trim(),
                    &name,
                    services.platform.name(),
                )
                .await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        if let Ok(mut s) = services.store.settings() {
                            s.device_name = name;
                            let _ = services.store.set_settings(&s);
                        }
                        services.start_sync();
                        services.sync_now();
                        app.changed();
                        app.toast("enroll-done", false);
                        app.reset(Screen::Home);
                    }
                    Err(err) => {
                        tracing::info!(%err, "enrollment failed");
                        let mut e = FormErrors::default();
                        e.add("code", enroll_error_message(&err));
                        errors.set(e);
                    }
                }
            });
        }
    };

    rsx! {
        Page {
            id: "screen-enroll",
            title: t.t("enroll-title"),
            subtitle: t.t("enroll-intro"),
            actions: rsx! {
                ActionBar { back: false,
                    button { class: "btn primary", id: "enroll-submit", disabled: busy(), onclick: enroll,
                        if busy() { {t.t("enroll-working")} } else { {t.t("enroll-submit")} }
                    }
                }
            },
            if retired.is_some() {
                p { class: "notice", id: "enroll-retired", {t.t("enroll-again-notice")} }
            }
            TextField { path: "server", label: t.t("enroll-server"), value: server(), placeholder: "http://192.168.1.10:8080",
                on_input: move |v| server.set(v), errors: errors() }
            TextField { path: "code", label: t.t("enroll-code"), value: code(),
                on_input: move |v| code.set(v), errors: errors() }
            TextField { path: "device_name", label: t.t("enroll-device-name"), value: device_name(),
                placeholder: t.t("enroll-device-name-hint"), on_input: move |v| device_name.set(v), errors: errors() }
        }
    }
}
