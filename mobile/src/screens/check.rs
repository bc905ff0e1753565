//! The household check: the questions of product.md §3 and ntm-criteria.md §2, the live 17.6
//! and 17.7 verdicts (the core's `meets_sanitation` and `livestock_pen_verdict` on what is
//! answered so far), a photo, and the core's validation messages under each field. The form is
//! a draft on disk while it is filled; saving writes a version (an edit: a new version).

use dioxus::prelude::*;
use ntm_field::record::{Kind, ToiletType};
use ntm_field::store::{SaveError, StoreError};
use uuid::Uuid;

use crate::components::{
    ActionBar, ChoiceList, ConfirmButton, DateField, FieldMessage, NumberField, Page, PhotoSlot,
    TextField, VerdictCard, YesNo,
};
use crate::drafts::{
    discard_draft, discard_question, discard_replaced, use_record_draft, DraftOpen,
};
use crate::forms::{from_wire_key, wire_key, CheckForm, FormErrors};
use crate::i18n::use_i18n;
use crate::platform::PositionOptions;
use crate::screens::{scroll_to_first_error, village_name, villages};
use crate::services::{use_app, use_services};

/// Saves a form through the store: a new check, or a new version of the edited one.
pub(crate) fn save_errors(e: SaveError) -> (FormErrors, &'static str) {
    match e {
        SaveError::Invalid(v) => {
            let mut errors = FormErrors::default();
            errors.extend_core(&v.0);
            (errors, "err-form-has-problems")
        }
        SaveError::NotEnrolled | SaveError::IdentityRetired => {
            (FormErrors::default(), "err-enroll-first")
        }
        SaveError::UnknownPhoto(_) => (FormErrors::default(), "err-photo-unreadable"),
        SaveError::Store(StoreError::DiskFull) => (FormErrors::default(), "err-disk-full"),
        other => {
            tracing::warn!(%other, "save failed");
            (FormErrors::default(), "err-store")
        }
    }
}

#[component]
pub fn HouseholdCheckScreen(
    household_id: Uuid,
    edit: Option<Uuid>,
    draft: Option<Uuid>,
) -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let villages = villages(&services);
    let household = use_hook(|| services.store.household(household_id).ok().flatten());
    let open = DraftOpen {
        kind: Kind::HouseholdCheck,
        id: draft,
        household_id: Some(household_id),
        edit_of: edit,
    };
    let (mut form, draft_id) = use_record_draft(open, || {
        let edited = edit
            .and_then(|v| services.store.version(v).ok().flatten())
            .and_then(|v| CheckForm::from_version(&v));
        edited.unwrap_or_else(|| match &household {
            Some(h) => CheckForm::new(household_id, h.village_id.clone(), h.members),
            None => CheckForm {
                household_id,
                ..CheckForm::default()
            },
        })
    });
    let mut attempted = use_signal(|| false);
    let mut save_problems = use_signal(FormErrors::default);

    // Where the check was made, when the phone can tell; the check does not wait for it.
    use_future({
        let services = services.clone();
        move || {
            let services = services.clone();
            async move {
                if form.peek().location.is_some() {
                    return;
                }
                if let Ok(fix) = services
                    .platform
                    .current_position(PositionOptions::default())
                    .await
                {
                    form.write().location = Some(fix.location());
                }
            }
        }
    });

    let commune = services.store.config().ok().flatten().map(|c| c.commune);
    let f = form.read().clone();
    let errors = {
        let mut e = match &commune {
            Some(c) if attempted() => f.errors(c),
            Some(c) => {
                // Before the first save, show only what the core already objects to.
                let mut e = FormErrors::default();
                e.extend_core(&crate::forms::validate_draft(&f.draft(), c));
                e
            }
            None => FormErrors::default(),
        };
        e.0.extend(save_problems().0);
        e
    };

    let save = {
        let services = services.clone();
        move |_| {
            attempted.set(true);
            save_problems.set(FormErrors::default());
            let f = form.read().clone();
            let Some(commune) = services.store.config().ok().flatten().map(|c| c.commune) else {
                app.toast("err-enroll-first", true);
                return;
            };
            if !f.errors(&commune).is_empty() {
                app.toast("err-form-has-problems", true);
                scroll_to_first_error();
                return;
            }
            let result = match f.edit_of {
                Some(entity) => services.store.edit(entity, f.draft()),
                None => services.store.create(f.draft()),
            };
            match result {
                Ok(_) => {
                    services.drafts.remove(draft_id);
                    app.changed();
                    services.sync_now();
                    app.toast("saved", false);
                    app.back();
                }
                Err(e) => {
                    let (errors, msg) = save_errors(e);
                    save_problems.set(errors);
                    app.toast(msg, true);
                    scroll_to_first_error();
                }
            }
        }
    };

    let title = match &household {
        Some(h) => format!("{} · {}", h.code, h.head_name),
        None => t.t("check-title"),
    };
    let subtitle = household
        .as_ref()
        .map(|h| village_name(&villages, &h.village_id))
        .unwrap_or_default();
    let toilet_options: Vec<(String, String)> = ToiletType::ALL
        .iter()
        .map(|ty| (wire_key(ty), t.t(&format!("toilet-{}", wire_key(ty)))))
        .collect();
    let checklist_items: Vec<&'static str> = f
        .toilet_type
        .map(|ty| ty.checklist_items().to_vec())
        .unwrap_or_default();

    let yes_no = |path: &'static str, label: String| {
        rsx! {
            YesNo { key: "{path}", path, label, value: f.answer(path), errors: errors.clone(),
                on_change: move |v| form.write().set_answer(path, v) }
        }
    };

    rsx! {
        Page {
            id: "screen-check",
            title,
            subtitle,
            actions: rsx! {
                ActionBar {
                    ConfirmButton { id: "check-discard", label: t.t("draft-discard"),
                        question: discard_question(&t, f.photos.len()), confirm: t.t("draft-discard-confirm"),
                        on_confirm: {
                            let (services, photos) = (services.clone(), f.photos.clone());
                            move |_| {
                                discard_draft(&services, draft_id, &photos);
                                app.toast("draft-discarded", false);
                                app.back();
                            }
                        } }
                    button { class: "btn primary", id: "check-save", onclick: save, {t.t("action-save")} }
                }
            },
            div { class: "verdicts", id: "check-verdicts",
                VerdictCard { id: "verdict-17-6", label: t.t("check-verdict-sanitation"), verdict: f.sanitation_verdict() }
                VerdictCard { id: "verdict-17-7", label: t.t("check-verdict-livestock"), verdict: f.livestock_verdict() }
            }
            DateField { path: "observed_on", label: t.t("check-observed-on"), hint: t.t("observed-on-hint"),
                value: f.observed.shown(), errors: errors.clone(),
                on_change: move |d| form.write().observed.picked = Some(d) }
            section { class: "section",
                h2 { {t.t("check-section-toilet")} }
                ChoiceList { path: "body.toilet.type", label: t.t("check-toilet-type"), options: toilet_options,
                    selected: f.toilet_type.map(|ty| wire_key(&ty)), errors: errors.clone(),
                    on_select: move |k: String| {
                        if let Some(ty) = from_wire_key::<ToiletType>(&k) {
                            form.write().set_toilet_type(ty);
                        }
                    }
                }
                if !checklist_items.is_empty() {
                    div { class: "field checklist", id: "f-body-toilet-checklist",
                        div { class: "label", {t.t("check-checklist")} }
                        for item in checklist_items {
                            ChecklistItem { key: "{item}", item, checked: f.checklist.get(item).copied().unwrap_or(false),
                                label: t.t(&format!("chk-{item}")), errors: errors.clone(),
                                on_toggle: move |v| form.write().set_checklist_item(item, v) }
                        }
                    }
                }
                if f.asks("body.toilet.meets_standard") {
                    {yes_no("body.toilet.meets_standard", t.t("check-meets-standard"))}
                }
            }
            section { class: "section",
                h2 { {t.t("check-section-bath")} }
                {yes_no("body.bathroom_hygienic", t.t("check-bathroom"))}
                {yes_no("body.water_tank_hygienic", t.t("check-water-tank"))}
            }
            section { class: "section",
                h2 { {t.t("check-section-cleans")} }
                {yes_no("body.three_cleans.house", t.t("check-clean-house"))}
                {yes_no("body.three_cleans.kitchen", t.t("check-clean-kitchen"))}
                {yes_no("body.three_cleans.lane", t.t("check-clean-lane"))}
            }
            section { class: "section",
                h2 { {t.t("check-section-water")} }
                {yes_no("body.water.hygienic", t.t("check-water-hygienic"))}
                {yes_no("body.water.clean", t.t("check-water-clean"))}
            }
            section { class: "section",
                h2 { {t.t("check-section-livestock")} }
                {yes_no("body.livestock.raises", t.t("check-raises-livestock"))}
                if f.asks("body.livestock.pen_hygienic") {
                    {yes_no("body.livestock.pen_hygienic", t.t("check-pen-hygienic"))}
                }
                FieldMessage { errors: errors.clone(), path: "body.livestock" }
            }
            section { class: "section",
                h2 { {t.t("check-section-environment")} }
                {yes_no("body.waste_handled", t.t("check-waste"))}
                {yes_no("body.drainage_ok", t.t("check-drainage"))}
            }
            section { class: "section",
                h2 { {t.t("check-section-people")} }
                NumberField { path: "body.health_insurance.members", label: t.t("check-members"), value: f.members.clone(),
                    errors: errors.clone(), on_input: move |v| form.write().members = v }
                NumberField { path: "body.health_insurance.insured", label: t.t("check-insured"), value: f.insured.clone(),
                    errors: errors.clone(), on_input: move |v| form.write().insured = v }
                NumberField { path: "body.children_under5.measured", label: t.t("check-children-measured"),
                    value: f.children_measured.clone(), errors: errors.clone(), on_input: move |v| form.write().children_measured = v }
                NumberField { path: "body.children_under5.stunted", label: t.t("check-children-stunted"),
                    value: f.children_stunted.clone(), errors: errors.clone(), on_input: move |v| form.write().children_stunted = v }
            }
            section { class: "section",
                h2 { {t.t("check-section-evidence")} }
                PhotoSlot { path: "photos", label: t.t("check-photo"), photo: f.photos.first().copied(), errors: errors.clone(),
                    on_photo: {
                        let services = services.clone();
                        move |p| {
                            let old = std::mem::replace(&mut form.write().photos, vec![p]);
                            discard_replaced(&services, draft_id, old, p);
                        }
                    } }
                TextField { path: "body.note", label: t.t("field-note"), value: f.note.clone(), multiline: true,
                    errors: errors.clone(), on_input: move |v| form.write().note = v }
                p { class: "hint", id: "check-location",
                    if let Some(loc) = f.location {
                        {t.t_args("check-location-known", &[("accuracy", crate::fmt::accuracy(t.lang(), loc.accuracy_m).into())])}
                    } else {
                        {t.t("check-location-unknown")}
                    }
                }
            }
        }
    }
}

/// One item of the toilet's QCVN 01:2011/BYT checklist.
#[component]
fn ChecklistItem(
    item: &'static str,
    label: String,
    checked: bool,
    on_toggle: EventHandler<bool>,
    errors: FormErrors,
) -> Element {
    let path = format!("body.toilet.checklist.{item}");
    let id = crate::components::field_dom_id(&path);
    rsx! {
        div { class: "check-item",
            button { class: if checked { "tick on" } else { "tick" }, id: "{id}", role: "checkbox", "aria-checked": "{checked}",
                onclick: move |_| on_toggle.call(!checked),
                span { class: "box", if checked { "✓" } }
                span { "{label}" }
            }
            FieldMessage { errors, path }
        }
    }
}
