//! Placing a no-dumping sign: stand at the sign while the phone takes several fixes; the core
//! averages those within the accuracy gate of the settings (`geo::average_position`), and the
//! sign cannot be saved until the average is good enough. Then its condition, village, the
//! household responsible for it (picked from the registry), a photo and a note.

use dioxus::core::Task;
use dioxus::prelude::*;
use ntm_field::record::{Kind, SignCondition};
use uuid::Uuid;

use crate::components::{
    ActionBar, ChoiceList, ConfirmButton, DateField, FieldMessage, HouseholdPicker, Page,
    PhotoSlot, TextField, VillageSelect,
};
use crate::drafts::{
    discard_draft, discard_question, discard_replaced, use_record_draft, DraftOpen,
};
use crate::fmt;
use crate::forms::{from_wire_key, wire_key, FormErrors, SignFix, SignForm};
use crate::i18n::use_i18n;
use crate::platform::PositionOptions;
use crate::screens::check::save_errors;
use crate::screens::{villages, Screen};
use crate::services::{use_app, use_services};

/// Fixes averaged for one sign: about ten seconds standing still.
pub const SIGN_FIXES: usize = 10;

#[component]
pub fn SignScreen(edit: Option<Uuid>, draft: Option<Uuid>) -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let services = use_services();
    let app = use_app();
    let villages = villages(&services);
    let open = DraftOpen {
        kind: Kind::TrashSign,
        id: draft,
        household_id: None,
        edit_of: edit,
    };
    let (mut form, draft_id) = use_record_draft(open, || {
        edit.and_then(|v| services.store.version(v).ok().flatten())
            .and_then(|v| SignForm::from_version(&v))
            .unwrap_or_default()
    });
    let mut attempted = use_signal(|| false);
    let mut save_problems = use_signal(FormErrors::default);
    let mut collecting = use_signal(|| None::<Task>);

    let gate = app.settings.read().gps_accuracy_gate_m;
    let f = form.read().clone();
    let averaged = f.averaged(gate);
    let commune = services.store.config().ok().flatten().map(|c| c.commune);
    let mut errors = match &commune {
        Some(c) if attempted() => f.errors(gate, c),
        _ => FormErrors::default(),
    };
    errors.0.extend(save_problems().0);

    let take_position = {
        let services = services.clone();
        move |_| {
            if let Some(task) = collecting.take() {
                task.cancel();
            }
            form.write().fixes.clear();
            let platform = services.platform.clone();
            let task = spawn(async move {
                let mut watch = platform.watch_position(PositionOptions::default());
                while let Some(fix) = watch.next().await {
                    if let Ok(fix) = fix {
                        let mut f = form.write();
                        f.fixes.push(SignFix {
                            lat: fix.lat,
                            lon: fix.lon,
                            accuracy_m: fix.accuracy_m,
                            at: fix.at,
                        });
                        if f.fixes.len() >= SIGN_FIXES {
                            break;
                        }
                    }
                }
                collecting.set(None);
            });
            collecting.set(Some(task));
        }
    };

    let save = {
        let services = services.clone();
        move |_| {
            attempted.set(true);
            save_problems.set(FormErrors::default());
            let f = form.read().clone();
            let gate = app.settings.peek().gps_accuracy_gate_m;
            let Some(commune) = services.store.config().ok().flatten().map(|c| c.commune) else {
                app.toast("err-enroll-first", true);
                return;
            };
            if !f.errors(gate, &commune).is_empty() {
                app.toast("err-form-has-problems", true);
                crate::screens::scroll_to_first_error();
                return;
            }
            let result = match f.edit_of {
                Some(entity) => services.store.edit(entity, f.draft(gate)),
                None => services.store.create(f.draft(gate)),
            };
            match result {
                Ok(_) => {
                    if let Some(task) = collecting.take() {
                        task.cancel();
                    }
                    services.drafts.remove(draft_id);
                    app.changed();
                    services.sync_now();
                    app.toast("saved", false);
                    app.reset(Screen::Home);
                }
                Err(e) => {
                    let (errors, msg) = save_errors(e);
                    save_problems.set(errors);
                    app.toast(msg, true);
                }
            }
        }
    };

    let condition_options: Vec<(String, String)> = [
        SignCondition::Good,
        SignCondition::Damaged,
        SignCondition::Missing,
    ]
    .iter()
    .map(|c| (wire_key(c), t.t(&format!("sign-condition-{}", wire_key(c)))))
    .collect();
    let position_text = match averaged {
        Some(p) => t.t_args(
            "sign-position",
            &[
                ("accuracy", fmt::accuracy(lang, p.accuracy_m).into()),
                ("used", fmt::int(lang, p.fixes_used as u64).into()),
                ("taken", fmt::int(lang, f.fixes.len() as u64).into()),
            ],
        ),
        None if !f.fixes.is_empty() => t.t_args(
            "sign-position-none-pass",
            &[("taken", fmt::int(lang, f.fixes.len() as u64).into())],
        ),
        None if f.location.is_some() => t.t("sign-position-kept"),
        None => t.t("sign-position-none"),
    };
    let good_enough = averaged.is_some_and(|p| p.accuracy_m <= gate);
    let gate_text = t.t_args("sign-gate", &[("gate", fmt::accuracy(lang, gate).into())]);

    rsx! {
        Page {
            id: "screen-sign",
            title: t.t("sign-title"),
            actions: rsx! {
                ActionBar {
                    ConfirmButton { id: "sign-discard", label: t.t("draft-discard"),
                        question: discard_question(&t, usize::from(f.photo.is_some())), confirm: t.t("draft-discard-confirm"),
                        on_confirm: {
                            let (services, photos) = (services.clone(), Vec::from_iter(f.photo));
                            move |_| {
                                if let Some(task) = collecting.take() {
                                    task.cancel();
                                }
                                discard_draft(&services, draft_id, &photos);
                                app.toast("draft-discarded", false);
                                app.reset(Screen::Home);
                            }
                        } }
                    button { class: "btn primary", id: "sign-save", onclick: save, {t.t("action-save")} }
                }
            },
            section { class: "section", id: "f-location",
                h2 { {t.t("sign-section-position")} }
                div { class: if good_enough { "position good" } else { "position" }, id: "sign-position",
                    "data-fixes": "{f.fixes.len()}",
                    "{position_text}"
                }
                if let Some(p) = averaged {
                    div { class: "coords", id: "sign-coords", "{p.lat:.6}, {p.lon:.6}" }
                }
                p { class: "hint", "{gate_text}" }
                button { class: "btn", id: "sign-take-position", onclick: take_position,
                    if collecting.read().is_some() { {t.t("sign-collecting")} } else { {t.t("sign-take-position")} }
                }
                FieldMessage { errors: errors.clone(), path: "location" }
            }
            ChoiceList { path: "body.condition", label: t.t("sign-condition"), options: condition_options,
                selected: f.condition.map(|c| wire_key(&c)), errors: errors.clone(),
                on_select: move |k: String| form.write().condition = from_wire_key(&k) }
            DateField { path: "observed_on", label: t.t("sign-observed-on"), hint: t.t("observed-on-hint"),
                value: f.observed.shown(), errors: errors.clone(),
                on_change: move |d| form.write().observed.picked = Some(d) }
            VillageSelect { path: "village_id", villages: villages.clone(), selected: f.village_id.clone(), errors: errors.clone(),
                on_select: move |v| form.write().village_id = v }
            HouseholdPicker { selected: f.responsible_household_id,
                on_select: move |h| form.write().responsible_household_id = h }
            PhotoSlot { path: "photos", label: t.t("sign-photo"), photo: f.photo, errors: errors.clone(),
                on_photo: {
                    let services = services.clone();
                    move |p| {
                        let old = form.write().photo.replace(p);
                        discard_replaced(&services, draft_id, old, p);
                    }
                } }
            TextField { path: "body.note", label: t.t("field-note"), value: f.note.clone(), multiline: true,
                errors: errors.clone(), on_input: move |v| form.write().note = v }
        }
    }
}
