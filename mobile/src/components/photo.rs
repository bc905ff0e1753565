//! A photo slot: takes a picture the way the platform can (a file input in the browser, a path
//! on the desktop, a native camera button on phones), passes it through the core's photo
//! intake (upright, resized to the settings' long edge, EXIF time and position kept, hashed)
//! into the store, and hands the photo's id to the form.

use base64::Engine;
use dioxus::prelude::*;
use ntm_field::ids::PhotoId;

use crate::components::FieldMessage;
use crate::forms::FormErrors;
use crate::i18n::use_i18n;
use crate::platform::{PhotoInput, PhotoRequest, PickedPhoto};
use crate::services::{use_app, use_services, Services};

/// What happened to the last picture taken in a slot.
#[derive(Debug, Clone, PartialEq)]
enum SlotStatus {
    Idle,
    Working,
    Failed(&'static str),
}

/// Resizes, stamps and stores a picture; returns its id.
fn take_in(
    services: &Services,
    long_edge: u32,
    picked: &PickedPhoto,
) -> Result<PhotoId, &'static str> {
    let processed = ntm_field::photo::intake(&picked.bytes, long_edge).map_err(|e| {
        tracing::info!(%e, file = picked.file_name, "photo refused");
        "err-photo-unreadable"
    })?;
    services.store.add_photo(&processed).map_err(|e| {
        tracing::warn!(%e, "photo not stored");
        "err-store"
    })
}

/// A data URL of the stored thumbnail (small enough to send to the page as it is).
fn thumbnail_url(services: &Services, id: &PhotoId) -> Option<String> {
    let bytes = std::fs::read(services.store.thumbnail_path(id)).ok()?;
    Some(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// One photo of a record (`path` names the form field, e.g. `photos` or `photos.start`).
#[component]
pub fn PhotoSlot(
    path: String,
    label: String,
    photo: Option<PhotoId>,
    on_photo: EventHandler<PhotoId>,
    errors: FormErrors,
) -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let mut status = use_signal(|| SlotStatus::Idle);
    let mut typed_path = use_signal(String::new);
    let id = crate::components::field_dom_id(&path);
    let input_id = format!("{id}-input");
    let mode = services.platform.photo_input();

    let accept = {
        let services = services.clone();
        move |result: Result<Option<PickedPhoto>, crate::platform::PlatformError>| match result {
            Ok(Some(picked)) => {
                status.set(SlotStatus::Working);
                let long_edge = app.settings.peek().photo_long_edge;
                match take_in(&services, long_edge, &picked) {
                    Ok(photo_id) => {
                        status.set(SlotStatus::Idle);
                        on_photo.call(photo_id);
                    }
                    Err(msg) => status.set(SlotStatus::Failed(msg)),
                }
            }
            Ok(None) => status.set(SlotStatus::Idle),
            Err(e) => status.set(SlotStatus::Failed(e.msg_id())),
        }
    };

    // With a file input the browser delivers each chosen file; keep listening while shown.
    use_future({
        let (services, input_id, accept) = (services.clone(), input_id.clone(), accept.clone());
        move || {
            let (services, input_id, mut accept) =
                (services.clone(), input_id.clone(), accept.clone());
            async move {
                if services.platform.photo_input() != PhotoInput::FileInput {
                    return;
                }
                loop {
                    let request = PhotoRequest {
                        input_id: input_id.clone(),
                        path: None,
                    };
                    let result = services.platform.take_photo(request).await;
                    let unsupported =
                        matches!(result, Err(crate::platform::PlatformError::Unsupported));
                    accept(result);
                    if unsupported {
                        break;
                    }
                }
            }
        }
    });

    let thumb = photo.as_ref().and_then(|p| thumbnail_url(&services, p));
    let state_text = match (status(), photo.is_some()) {
        (SlotStatus::Working, _) => Some(t.t("photo-working")),
        (SlotStatus::Failed(msg), _) => Some(t.t(msg)),
        (SlotStatus::Idle, true) => Some(t.t("photo-taken")),
        (SlotStatus::Idle, false) => None,
    };
    let button_text = if photo.is_some() {
        t.t("photo-retake")
    } else {
        t.t("photo-take")
    };

    rsx! {
        div { class: "field photo", id: "{id}", "data-photo": photo.map(|p| p.to_hex()).unwrap_or_default(),
            div { class: "label", "{label}" }
            div { class: "photo-row",
                if let Some(src) = thumb {
                    img { class: "thumb", src: "{src}", alt: "{label}" }
                }
                match mode {
                    PhotoInput::FileInput => rsx! {
                        label { class: "btn photo-btn", r#for: "{input_id}", id: "{id}-button", "{button_text}" }
                        input {
                            r#type: "file",
                            id: "{input_id}",
                            class: "file-input",
                            accept: "image/*",
                            "capture": "environment",
                            "data-photo-input": "1",
                        }
                    },
                    PhotoInput::PathField => rsx! {
                        input { r#type: "text", id: "{id}-path", class: "path-input", value: "{typed_path}",
                            placeholder: "/home/…/anh.jpg", oninput: move |e| typed_path.set(e.value()) }
                        button { class: "btn photo-btn", id: "{id}-button",
                            onclick: {
                                let services = services.clone();
                                let accept = accept.clone();
                                move |_| {
                                    let services = services.clone();
                                    let mut accept = accept.clone();
                                    let request = PhotoRequest { input_id: String::new(), path: Some(typed_path()) };
                                    spawn(async move { accept(services.platform.take_photo(request).await) });
                                }
                            },
                            "{button_text}"
                        }
                    },
                    PhotoInput::Button => rsx! {
                        button { class: "btn photo-btn", id: "{id}-button",
                            onclick: {
                                let services = services.clone();
                                let accept = accept.clone();
                                let input_id = input_id.clone();
                                move |_| {
                                    let services = services.clone();
                                    let mut accept = accept.clone();
                                    let request = PhotoRequest { input_id: input_id.clone(), path: None };
                                    spawn(async move { accept(services.platform.take_photo(request).await) });
                                }
                            },
                            "{button_text}"
                        }
                    },
                }
            }
            if let Some(text) = state_text {
                div { class: "photo-state", id: "{id}-state", "{text}" }
            }
            FieldMessage { errors, path }
        }
    }
}
