//! The frame of every screen: a title at the top, content that scrolls, and the actions at the
//! bottom where a thumb reaches them on a phone held in one hand.

use dioxus::prelude::*;

use crate::i18n::use_i18n;
use crate::services::use_app;

/// A screen: title bar, scrolling content, then the bottom action bar (`actions`).
#[component]
pub fn Page(
    id: String,
    title: String,
    children: Element,
    actions: Element,
    #[props(default)] subtitle: String,
) -> Element {
    rsx! {
        div { class: "page", id: "{id}",
            header { class: "topbar",
                h1 { class: "title", "{title}" }
                if !subtitle.is_empty() {
                    div { class: "subtitle", "{subtitle}" }
                }
            }
            main { class: "content", {children} }
            footer { class: "actions", {actions} }
            ToastView {}
        }
    }
}

/// The bottom bar: a back button (unless `back` is false) and the screen's own buttons.
#[component]
pub fn ActionBar(children: Element, #[props(default = true)] back: bool) -> Element {
    let t = use_i18n();
    let app = use_app();
    rsx! {
        div { class: "actionbar",
            if back {
                button { class: "btn back", id: "back", onclick: move |_| app.back(), {t.t("action-back")} }
            }
            {children}
        }
    }
}

/// How long a toast stays up unless tapped away.
const TOAST_SECONDS: u64 = 4;

/// The latest toast ("Đã lưu"), until the user taps it away, the next one replaces it, or a
/// few seconds pass.
#[component]
pub fn ToastView() -> Element {
    let t = use_i18n();
    let mut app = use_app();
    let toast = app.toast.read().clone();
    use_effect(move || {
        let shown = app.toast.read().clone();
        // Timers need the tokio runtime every launcher runs the app in; a bare VirtualDom
        // (component tests) has none, and there the toast simply stays until tapped.
        if shown.is_some() && tokio::runtime::Handle::try_current().is_ok() {
            spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(TOAST_SECONDS)).await;
                if *app.toast.peek() == shown {
                    app.toast.set(None);
                }
            });
        }
    });
    match toast {
        Some(toast) => rsx! {
            div {
                class: if toast.error { "toast error" } else { "toast" },
                id: "toast",
                role: "status",
                onclick: move |_| app.toast.set(None),
                {t.t(toast.msg_id)}
            }
        },
        None => rsx! {},
    }
}
