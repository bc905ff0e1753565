//! Form fields sized for thumbs: yes/no pairs, lists of choices, text and number fields, the
//! village picker, and the message under a field that says what to fix.

use chrono::NaiveDate;
use dioxus::prelude::*;
use ntm_field::ids::Slug;

use crate::forms::FormErrors;
use crate::i18n::{use_i18n, I18n};

/// The DOM id of the field at a core path: `body.water.clean` -> `f-body-water-clean`.
pub fn field_dom_id(path: &str) -> String {
    let mut id = String::from("f-");
    id.extend(path.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '-'
        }
    }));
    id
}

/// The text of the first problem at `path`, in the user's language.
pub fn error_text(t: &I18n, errors: &FormErrors, path: &str) -> Option<String> {
    errors.for_path(path).map(|e| match &e.detail {
        Some(d) => t.t_args(e.msg_id, &[("detail", d.clone().into())]),
        None => t.t(e.msg_id),
    })
}

/// The message under a field.
#[component]
pub fn FieldMessage(errors: FormErrors, path: String) -> Element {
    let t = use_i18n();
    match error_text(&t, &errors, &path) {
        Some(text) => rsx! {
            div { class: "field-error", id: "{field_dom_id(&path)}-error", role: "alert", "{text}" }
        },
        None => rsx! {},
    }
}

/// A yes/no question answered with one of two big buttons.
#[component]
pub fn YesNo(
    path: String,
    label: String,
    value: Option<bool>,
    on_change: EventHandler<bool>,
    errors: FormErrors,
) -> Element {
    let t = use_i18n();
    let id = field_dom_id(&path);
    let class = |on: bool| {
        if value == Some(on) {
            "opt selected"
        } else {
            "opt"
        }
    };
    rsx! {
        div { class: "field yesno", id: "{id}",
            div { class: "label", "{label}" }
            div { class: "options two",
                button { class: class(true), id: "{id}-yes", "aria-pressed": "{value == Some(true)}",
                    onclick: move |_| on_change.call(true), {t.t("answer-yes")} }
                button { class: class(false), id: "{id}-no", "aria-pressed": "{value == Some(false)}",
                    onclick: move |_| on_change.call(false), {t.t("answer-no")} }
            }
            FieldMessage { errors, path }
        }
    }
}

/// One choice among several (toilet types, road classes, ...): `options` are (key, label).
#[component]
pub fn ChoiceList(
    path: String,
    label: String,
    options: Vec<(String, String)>,
    selected: Option<String>,
    on_select: EventHandler<String>,
    errors: FormErrors,
) -> Element {
    let id = field_dom_id(&path);
    rsx! {
        div { class: "field choices", id: "{id}",
            div { class: "label", "{label}" }
            div { class: "options",
                for (key, text) in options {
                    button {
                        key: "{key}",
                        class: if selected.as_deref() == Some(key.as_str()) { "opt selected" } else { "opt" },
                        id: "{id}-{key}",
                        "aria-pressed": "{selected.as_deref() == Some(key.as_str())}",
                        onclick: {
                            let key = key.clone();
                            move |_| on_select.call(key.clone())
                        },
                        "{text}"
                    }
                }
            }
            FieldMessage { errors, path }
        }
    }
}

/// A line of text.
#[component]
pub fn TextField(
    path: String,
    label: String,
    value: String,
    on_input: EventHandler<String>,
    errors: FormErrors,
    #[props(default)] multiline: bool,
    #[props(default)] placeholder: String,
) -> Element {
    let id = field_dom_id(&path);
    rsx! {
        div { class: "field text",
            label { r#for: "{id}", class: "label", "{label}" }
            if multiline {
                textarea { id: "{id}", value: "{value}", placeholder: "{placeholder}", rows: "3",
                    oninput: move |e| on_input.call(e.value()) }
            } else {
                input { id: "{id}", r#type: "text", value: "{value}", placeholder: "{placeholder}",
                    oninput: move |e| on_input.call(e.value()) }
            }
            FieldMessage { errors, path }
        }
    }
}

/// A number, typed as text so that what the user typed is kept even when it does not parse;
/// `decimal` allows a decimal comma.
#[component]
pub fn NumberField(
    path: String,
    label: String,
    value: String,
    on_input: EventHandler<String>,
    errors: FormErrors,
    #[props(default)] decimal: bool,
    #[props(default)] unit: String,
) -> Element {
    let id = field_dom_id(&path);
    rsx! {
        div { class: "field number",
            label { r#for: "{id}", class: "label", "{label}" }
            div { class: "number-row",
                input { id: "{id}", r#type: "text", value: "{value}",
                    inputmode: if decimal { "decimal" } else { "numeric" },
                    oninput: move |e| on_input.call(e.value()) }
                if !unit.is_empty() {
                    span { class: "unit", "{unit}" }
                }
            }
            FieldMessage { errors, path }
        }
    }
}

/// The day something was observed: the phone's date picker (which writes `yyyy-mm-dd`), with
/// the day beside it as Vietnamese forms write it (21/03/2020), whatever the picker shows. No
/// day after today can be picked; a picker left empty keeps the day it had.
#[component]
pub fn DateField(
    path: String,
    label: String,
    value: NaiveDate,
    on_change: EventHandler<NaiveDate>,
    errors: FormErrors,
    #[props(default)] hint: String,
) -> Element {
    let id = field_dom_id(&path);
    let today = crate::fmt::today();
    rsx! {
        div { class: "field date",
            label { r#for: "{id}", class: "label", "{label}" }
            div { class: "date-row",
                input { id: "{id}", r#type: "date", value: "{value}", min: "2000-01-01", max: "{today}",
                    onchange: move |e| {
                        if let Ok(day) = NaiveDate::parse_from_str(&e.value(), "%Y-%m-%d") {
                            on_change.call(day);
                        }
                    } }
                span { class: "date-shown", id: "{id}-shown", {crate::fmt::date(value)} }
            }
            if !hint.is_empty() {
                p { class: "hint", "{hint}" }
            }
            FieldMessage { errors, path }
        }
    }
}

/// The village, from the commune's list.
#[component]
pub fn VillageSelect(
    path: String,
    villages: Vec<(Slug, String)>,
    selected: Option<Slug>,
    on_select: EventHandler<Option<Slug>>,
    errors: FormErrors,
    #[props(default)] allow_all: bool,
) -> Element {
    let t = use_i18n();
    let id = field_dom_id(&path);
    let current = selected
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    rsx! {
        div { class: "field select",
            label { r#for: "{id}", class: "label", {t.t("field-village")} }
            select { id: "{id}", value: "{current}",
                onchange: move |e| on_select.call(Slug::parse(&e.value()).ok()),
                option { value: "", selected: current.is_empty(),
                    if allow_all { {t.t("filter-all-villages")} } else { {t.t("field-choose")} }
                }
                for (vid, name) in villages {
                    option { key: "{vid}", value: "{vid}", selected: current == vid.as_str(), "{name}" }
                }
            }
            FieldMessage { errors, path }
        }
    }
}
