//! Road recording: start, pause, resume and stop a GPS track while walking or riding the road,
//! with the live length (the core's `track_length`, the server's own measure), the number of
//! points and the current accuracy; then the details form (class, surface, width, works,
//! status, village, a photo at each end) that saves the segment.

use dioxus::core::Task;
use dioxus::prelude::*;
use ntm_field::geo::TrackFilter;
use ntm_field::record::{Body, Kind, RoadClass, RoadStatus, Surface, Works};
use uuid::Uuid;

use crate::components::{
    ActionBar, ChoiceList, ConfirmButton, DateField, NumberField, Page, PhotoSlot, TextField,
    VillageSelect,
};
use crate::drafts::{
    discard_draft, discard_question, discard_replaced, use_record_draft, DraftOpen,
};
use crate::fmt;
use crate::forms::{from_wire_key, wire_key, FormErrors, RoadForm};
use crate::i18n::{use_i18n, I18n};
use crate::platform::PositionOptions;
use crate::recorder::{use_recorder, RecState, Recorder};
use crate::screens::check::save_errors;
use crate::screens::{villages, Screen};
use crate::services::{use_app, use_services, Services};

#[component]
pub fn RoadScreen() -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let services = use_services();
    let app = use_app();
    let recorder = use_recorder();
    let rec = recorder.recording.read().clone();
    let measured = rec.length();
    let gate = TrackFilter::default().accuracy_gate_m;
    // Before Start the GPS is watched already, so the user can wait at the start of the road
    // until the fix is good; the watch ends when the recording takes over the GPS.
    let idle = rec.state == RecState::Idle;
    let mut waiting_accuracy = use_signal(|| None::<f64>);
    let mut pre_watch = use_signal(|| None::<Task>);
    let watcher = services.platform.clone();
    use_effect(use_reactive!(|idle| {
        if let Some(task) = pre_watch.take() {
            task.cancel();
        }
        if idle {
            let platform = watcher.clone();
            pre_watch.set(Some(spawn(async move {
                let mut watch = platform.watch_position(PositionOptions::default());
                while let Some(fix) = watch.next().await {
                    if let Ok(fix) = fix {
                        waiting_accuracy.set(Some(fix.accuracy_m));
                    }
                }
            })));
        }
    }));
    let shown_accuracy = if idle {
        waiting_accuracy()
    } else {
        rec.last_accuracy_m
    };
    let accuracy_class = match shown_accuracy {
        Some(a) if a <= gate => "accuracy good",
        Some(_) => "accuracy poor",
        None => "accuracy none",
    };
    let accuracy_text = match shown_accuracy {
        Some(a) => fmt::accuracy(lang, a),
        None => t.t("road-waiting-gps"),
    };
    let state_text = t.t(match rec.state {
        RecState::Idle => "road-state-idle",
        RecState::Recording => "road-state-recording",
        RecState::Paused => "road-state-paused",
        RecState::Stopped => "road-state-stopped",
    });

    let (p1, d1) = (services.platform.clone(), services.drafts.clone());
    let (p2, d2) = (services.platform.clone(), services.drafts.clone());
    let (d3, d4) = (services.drafts.clone(), services.drafts.clone());
    let services5 = services.clone();
    rsx! {
        Page {
            id: "screen-road",
            title: t.t("road-title"),
            subtitle: state_text,
            actions: rsx! {
                ActionBar {
                    match rec.state {
                        RecState::Idle => rsx! {
                            button { class: "btn primary", id: "road-start",
                                onclick: move |_| recorder.start(p1.clone(), d1.clone()), {t.t("road-start")} }
                        },
                        RecState::Recording => rsx! {
                            button { class: "btn", id: "road-pause", onclick: move |_| recorder.pause(&d3), {t.t("road-pause")} }
                            button { class: "btn primary", id: "road-stop",
                                onclick: move |_| { recorder.stop(&d4); app.go(Screen::RoadDetails { edit: None, draft: None }); },
                                {t.t("road-stop")} }
                        },
                        RecState::Paused => rsx! {
                            button { class: "btn", id: "road-resume",
                                onclick: move |_| recorder.resume(p2.clone(), d2.clone()), {t.t("road-resume")} }
                            button { class: "btn primary", id: "road-stop",
                                onclick: move |_| { recorder.stop(&d4); app.go(Screen::RoadDetails { edit: None, draft: None }); },
                                {t.t("road-stop")} }
                        },
                        RecState::Stopped => rsx! {
                            button { class: "btn", id: "road-continue",
                                onclick: move |_| recorder.resume(p2.clone(), d2.clone()), {t.t("road-continue")} }
                            ConfirmButton { id: "road-discard", label: t.t("road-discard"),
                                question: t.t_args("road-discard-question", &[
                                    ("length", fmt::length_m(lang, measured.length_m).into()),
                                    ("points", fmt::int(lang, rec.points.len() as u64).into()),
                                ]),
                                confirm: t.t("road-discard-confirm"),
                                on_confirm: move |_| discard_new_road(&services5, recorder) }
                            button { class: "btn primary", id: "road-details",
                                onclick: move |_| app.go(Screen::RoadDetails { edit: None, draft: None }), {t.t("road-enter-details")} }
                        },
                    }
                }
            },
            div { class: "gauge", id: "road-gauge", "data-state": "{rec.state:?}",
                div { class: "big-number", id: "road-length", "data-metres": "{measured.length_m:.1}",
                    {fmt::length_m(lang, measured.length_m)} }
                div { class: "gauge-row",
                    div { class: "stat", id: "road-points",
                        span { class: "stat-label", {t.t("road-points")} }
                        strong { {fmt::int(lang, rec.points.len() as u64)} }
                    }
                    div { class: "stat {accuracy_class}", id: "road-accuracy",
                        span { class: "stat-label", {t.t("road-accuracy")} }
                        strong { "{accuracy_text}" }
                    }
                }
                if measured.dropped_inaccurate > 0 {
                    p { class: "hint", id: "road-dropped",
                        {t.t_args("road-dropped", &[("count", fmt::int(lang, measured.dropped_inaccurate as u64).into())])} }
                }
                if let Some(err) = rec.last_error.clone() {
                    p { class: "field-error", id: "road-gps-error", {t.t(&err)} }
                }
                if let (true, Some(a)) = (idle, shown_accuracy) {
                    p { class: if a <= gate { "hint good" } else { "hint poor" }, id: "road-idle-gps",
                        if a <= gate { {t.t("road-idle-good")} } else {
                            {t.t_args("road-idle-poor", &[("gate", fmt::accuracy(lang, gate).into())])}
                        }
                    }
                }
                p { class: "hint", {t.t("road-hint")} }
            }
        }
    }
}

/// Throws away the road being recorded: its track, and the details typed for it with their
/// photos.
pub(crate) fn discard_new_road(services: &Services, recorder: Recorder) {
    let id = recorder.recording.peek().id;
    let photos = services
        .drafts
        .info(id)
        .map(|d| d.photos)
        .unwrap_or_default();
    discard_draft(services, id, &photos);
    recorder.discard(&services.drafts);
}

fn options<T: serde::Serialize + Copy>(t: &I18n, prefix: &str, all: &[T]) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (wire_key(v), t.t(&format!("{prefix}-{}", wire_key(v)))))
        .collect()
}

#[component]
pub fn RoadDetailsScreen(edit: Option<Uuid>, draft: Option<Uuid>) -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let services = use_services();
    let app = use_app();
    let recorder = use_recorder();
    let villages = villages(&services);
    // A new road's details are the draft of the recording they describe.
    let open = DraftOpen {
        kind: Kind::RoadSegment,
        id: draft.or_else(|| edit.is_none().then(|| recorder.recording.peek().id)),
        household_id: None,
        edit_of: edit,
    };
    let (mut form, draft_id) = use_record_draft(open, || {
        edit.and_then(|v| services.store.version(v).ok().flatten())
            .and_then(|v| RoadForm::from_version(&v))
            .unwrap_or_default()
    });
    let mut attempted = use_signal(|| false);
    let mut save_problems = use_signal(FormErrors::default);

    let f = form.read().clone();
    let own_recording = f.edit_of.is_none() && recorder.recording.read().id == draft_id;
    let track = if own_recording {
        recorder.recording.read().points.clone()
    } else {
        f.track.clone()
    };
    let draft = f.draft(&track);
    let length = match &draft.body {
        Body::RoadSegment(r) => Some(r.length(&TrackFilter::default())),
        _ => None,
    };
    let usable_points = ntm_field::geo::track_length(&track, &TrackFilter::default()).points_used;
    let commune = services.store.config().ok().flatten().map(|c| c.commune);
    let mut errors = match &commune {
        Some(c) if attempted() => f.errors(&track, c),
        _ => FormErrors::default(),
    };
    errors.0.extend(save_problems().0);

    let save = {
        let services = services.clone();
        let track = track.clone();
        move |_| {
            attempted.set(true);
            save_problems.set(FormErrors::default());
            let f = form.read().clone();
            let Some(commune) = services.store.config().ok().flatten().map(|c| c.commune) else {
                app.toast("err-enroll-first", true);
                return;
            };
            if !f.errors(&track, &commune).is_empty() {
                app.toast("err-form-has-problems", true);
                crate::screens::scroll_to_first_error();
                return;
            }
            let result = match f.edit_of {
                Some(entity) => services.store.edit(entity, f.draft(&track)),
                None => services.store.create(f.draft(&track)),
            };
            match result {
                Ok(_) => {
                    services.drafts.remove(draft_id);
                    if own_recording {
                        recorder.discard(&services.drafts);
                    }
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

    let length_text = match length {
        Some(l) if l.manual => t.t_args(
            "road-length-manual",
            &[("length", fmt::length_m(lang, l.metres).into())],
        ),
        Some(l) => fmt::length_m(lang, l.metres),
        None => String::new(),
    };

    rsx! {
        Page {
            id: "screen-road-details",
            title: t.t("road-details-title"),
            subtitle: t.t_args("road-details-summary", &[
                ("length", length_text.clone().into()),
                ("points", fmt::int(lang, track.len() as u64).into()),
            ]),
            actions: rsx! {
                ActionBar {
                    ConfirmButton { id: "road-details-discard", label: t.t("draft-discard"),
                        question: discard_question(&t, f.photo_start.iter().chain(&f.photo_end).count()),
                        confirm: t.t("draft-discard-confirm"),
                        on_confirm: {
                            let services = services.clone();
                            let photos: Vec<_> = f.photo_start.into_iter().chain(f.photo_end).collect();
                            move |_| {
                                discard_draft(&services, draft_id, &photos);
                                // A new road's draft is its recorded track too.
                                if own_recording {
                                    recorder.discard(&services.drafts);
                                }
                                app.toast("draft-discarded", false);
                                app.reset(Screen::Home);
                            }
                        } }
                    button { class: "btn primary", id: "road-save", onclick: save, {t.t("action-save")} }
                }
            },
            div { class: "big-number small", id: "road-details-length", "{length_text}" }
            TextField { path: "body.name", label: t.t("road-name"), value: f.name.clone(), placeholder: t.t("road-name-hint"),
                errors: errors.clone(), on_input: move |v| form.write().name = v }
            ChoiceList { path: "body.road_class", label: t.t("road-class"), options: options(&t, "road-class", &RoadClass::ALL),
                selected: f.road_class.map(|v| wire_key(&v)), errors: errors.clone(),
                on_select: move |k: String| form.write().road_class = from_wire_key(&k) }
            ChoiceList { path: "body.surface", label: t.t("road-surface"), options: options(&t, "surface", &Surface::ALL),
                selected: f.surface.map(|v| wire_key(&v)), errors: errors.clone(),
                on_select: move |k: String| form.write().surface = from_wire_key(&k) }
            NumberField { path: "body.width_m", label: t.t("road-width"), value: f.width_m.clone(), decimal: true, unit: "m",
                errors: errors.clone(), on_input: move |v| form.write().width_m = v }
            ChoiceList { path: "body.works", label: t.t("road-works"), options: options(&t, "works", &[Works::Upgrade, Works::New]),
                selected: f.works.map(|v| wire_key(&v)), errors: errors.clone(),
                on_select: move |k: String| form.write().works = from_wire_key(&k) }
            ChoiceList { path: "body.status", label: t.t("road-status"),
                options: options(&t, "road-status", &[RoadStatus::Planned, RoadStatus::UnderConstruction, RoadStatus::Completed]),
                selected: f.status.map(|v| wire_key(&v)), errors: errors.clone(),
                on_select: move |k: String| form.write().status = from_wire_key(&k) }
            DateField { path: "observed_on", label: t.t("road-observed-on"), hint: t.t("observed-on-hint"),
                value: f.observed.shown(), errors: errors.clone(),
                on_change: move |d| form.write().observed.picked = Some(d) }
            VillageSelect { path: "village_id", villages: villages.clone(), selected: f.village_id.clone(), errors: errors.clone(),
                on_select: move |v| form.write().village_id = v }
            PhotoSlot { path: "photos.start", label: t.t("road-photo-start"), photo: f.photo_start, errors: errors.clone(),
                on_photo: {
                    let services = services.clone();
                    move |p| {
                        let old = form.write().photo_start.replace(p);
                        discard_replaced(&services, draft_id, old, p);
                    }
                } }
            PhotoSlot { path: "photos.end", label: t.t("road-photo-end"), photo: f.photo_end, errors: errors.clone(),
                on_photo: {
                    let services = services.clone();
                    move |p| {
                        let old = form.write().photo_end.replace(p);
                        discard_replaced(&services, draft_id, old, p);
                    }
                } }
            if usable_points < 2 {
                section { class: "section", id: "road-manual",
                    p { class: "notice", {t.t("road-manual-notice")} }
                    NumberField { path: "body.manual_length_m", label: t.t("road-manual-length"), value: f.manual_length_m.clone(),
                        decimal: true, unit: "m", errors: errors.clone(), on_input: move |v| form.write().manual_length_m = v }
                    TextField { path: "body.manual_reason", label: t.t("road-manual-reason"), value: f.manual_reason.clone(),
                        errors: errors.clone(), on_input: move |v| form.write().manual_reason = v }
                }
            }
            crate::components::FieldMessage { errors: errors.clone(), path: "body.track" }
            crate::components::FieldMessage { errors: errors.clone(), path: "location" }
        }
    }
}
