//! Settings: language, photo size, the GPS accuracy gate for signs, the server, and this device.

use dioxus::prelude::*;
use ntm_field::store::Settings;

use crate::components::{ActionBar, Page};
use crate::fmt;
use crate::i18n::{use_i18n, Lang};
use crate::screens::Screen;
use crate::services::{use_app, use_services, AppState, Services};

/// Photo long edges offered, pixels (1600 is the default: readable evidence, ~300 KB).
pub const PHOTO_SIZES: [u32; 3] = [1024, 1600, 2048];
/// Accuracy gates offered for a sign's position, metres.
pub const ACCURACY_GATES: [f64; 4] = [10.0, 20.0, 30.0, 50.0];

/// Changes a setting in the store, then on screen.
fn update_settings(services: &Services, mut app: AppState, change: impl FnOnce(&mut Settings)) {
    let mut s = app.settings.peek().clone();
    change(&mut s);
    if services.store.set_settings(&s).is_err() {
        app.toast("err-store", true);
        return;
    }
    app.settings.set(s);
}

#[component]
pub fn SettingsScreen() -> Element {
    let mut t = use_i18n();
    let lang = t.lang();
    let services = use_services();
    let app = use_app();
    let services_for_view = services.clone();
    let settings = app.settings.read().clone();
    let enrollment = services_for_view.store.enrollment().ok().flatten();

    rsx! {
        Page {
            id: "screen-settings",
            title: t.t("settings-title"),
            actions: rsx! { ActionBar {} },
            section { class: "section", id: "settings-language",
                h2 { {t.t("settings-language")} }
                div { class: "options two",
                    for l in Lang::ALL {
                        button { key: "{l.code()}", id: "lang-{l.code()}",
                            class: if lang == l { "opt selected" } else { "opt" },
                            onclick: {
                                let services = services.clone();
                                move |_| {
                                    update_settings(&services, app, |s| s.language = l.code().to_owned());
                                    t.set_lang(l);
                                }
                            },
                            "{l.endonym()}"
                        }
                    }
                }
            }
            section { class: "section", id: "settings-photo",
                h2 { {t.t("settings-photo-size")} }
                div { class: "options",
                    for size in PHOTO_SIZES {
                        button { key: "{size}", id: "photo-size-{size}",
                            class: if settings.photo_long_edge == size { "opt selected" } else { "opt" },
                            onclick: {
                                let services = services.clone();
                                move |_| update_settings(&services, app, |s| s.photo_long_edge = size)
                            },
                            {t.t_args("settings-photo-px", &[("px", fmt::int(lang, u64::from(size)).into())])}
                        }
                    }
                }
            }
            section { class: "section", id: "settings-gate",
                h2 { {t.t("settings-accuracy-gate")} }
                p { class: "hint", {t.t("settings-accuracy-gate-hint")} }
                div { class: "options",
                    for gate in ACCURACY_GATES {
                        button { key: "{gate}", id: "gate-{gate}",
                            class: if settings.gps_accuracy_gate_m == gate { "opt selected" } else { "opt" },
                            onclick: {
                                let services = services.clone();
                                move |_| update_settings(&services, app, |s| s.gps_accuracy_gate_m = gate)
                            },
                            {fmt::accuracy(lang, gate)}
                        }
                    }
                }
            }
            section { class: "section", id: "settings-server",
                h2 { {t.t("settings-server")} }
                if let Some(e) = &enrollment {
                    dl { class: "facts",
                        dt { {t.t("settings-server-address")} } dd { id: "settings-server-url", "{e.server_url}" }
                        dt { {t.t("settings-commune")} } dd { "{e.commune.name}" }
                        dt { {t.t("settings-enrolled-at")} } dd { {fmt::date_time(&e.enrolled_at)} }
                    }
                } else {
                    p { {t.t("settings-not-enrolled")} }
                }
                button { class: "btn", id: "settings-reenroll", onclick: move |_| app.go(Screen::Enroll), {t.t("settings-enroll-again")} }
            }
            section { class: "section", id: "settings-device",
                h2 { {t.t("settings-device")} }
                dl { class: "facts",
                    dt { {t.t("settings-device-name")} } dd { "{settings.device_name}" }
                    if let Some(e) = &enrollment {
                        dt { {t.t("settings-device-id")} } dd { id: "settings-device-id", "{e.device_id}" }
                    }
                    dt { {t.t("settings-platform")} } dd { {services_for_view.platform.name()} }
                    dt { {t.t("settings-data-dir")} } dd { class: "path", {services_for_view.store.dir().display().to_string()} }
                }
            }
        }
    }
}
