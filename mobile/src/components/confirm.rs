//! A destructive action that asks first: the first tap opens a panel that says what will be
//! lost, and only its red button does it; "Giữ lại" closes the panel and changes nothing.

use dioxus::prelude::*;

use crate::i18n::use_i18n;

/// A button (`id`) whose action (`on_confirm`) runs only after the panel's `{id}-confirm`;
/// `question` says what is lost, `confirm` names the act ("Xoá bản nháp").
#[component]
pub fn ConfirmButton(
    id: String,
    label: String,
    question: String,
    confirm: String,
    on_confirm: EventHandler<()>,
) -> Element {
    let t = use_i18n();
    let mut asking = use_signal(|| false);
    rsx! {
        button { class: "btn", id: "{id}", onclick: move |_| asking.set(true), "{label}" }
        if asking() {
            div { class: "confirm", id: "{id}-panel", role: "alertdialog",
                p { class: "confirm-question", "{question}" }
                div { class: "confirm-actions",
                    button { class: "btn", id: "{id}-keep", onclick: move |_| asking.set(false),
                        {t.t("action-keep")} }
                    button { class: "btn danger", id: "{id}-confirm",
                        onclick: move |_| { asking.set(false); on_confirm.call(()); },
                        "{confirm}" }
                }
            }
        }
    }
}
