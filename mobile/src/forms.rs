//! Form state and its way to a record. Each form keeps what the user entered exactly as typed
//! (answers may still be missing, numbers may not parse), is saved as a draft while the user
//! types, and turns into the store's `Draft` for the core to validate and the store to save.
//!
//! The rules stay in the core: verdicts are `HouseholdCheck::meets_sanitation` and
//! `livestock_pen_verdict`, lengths `geo::track_length`, positions `geo::average_position`,
//! validity `Version::validate` / `validate_in`. What is here is the form's own business:
//! which questions are still unanswered, which numbers do not parse, and which catalog message
//! explains each field path the core names.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use ntm_field::admin::Commune;
use ntm_field::catalog::Catalog;
use ntm_field::geo::{average_position, AveragedPosition, PositionFix, TrackPoint};
use ntm_field::ids::{PhotoId, Slug};
use ntm_field::record::{
    Body, ChildrenUnder5, FieldError, HealthInsurance, HouseholdCheck, Livestock, Location,
    LocationSource, RoadClass, RoadSegment, RoadStatus, SignCondition, SignType, Surface,
    ThreeCleans, Toilet, ToiletType, TrackTimes, TrashSign, Version, Water, Works,
};
use ntm_field::store::Draft;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::drafts::DraftForm;

/// Problems of a form, each under the field path it belongs to (the core's paths, such as
/// `body.health_insurance.insured`), with the catalog message that explains it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormErrors(pub Vec<FormError>);

/// One problem of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct FormError {
    pub path: String,
    pub msg_id: &'static str,
    /// The core's own words, shown only for rules without a message of their own.
    pub detail: Option<String>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn add(&mut self, path: &str, msg_id: &'static str) {
        self.0.push(FormError {
            path: path.to_owned(),
            msg_id,
            detail: None,
        });
    }

    /// The first problem of `path` or of anything under it (`body.toilet` covers
    /// `body.toilet.checklist.vent_pipe`).
    pub fn for_path(&self, path: &str) -> Option<&FormError> {
        self.0.iter().find(|e| {
            e.path == path
                || (e.path.starts_with(path)
                    && matches!(e.path.as_bytes().get(path.len()), Some(b'.' | b'[')))
        })
    }

    /// Adds the core's validation errors, each with its message.
    pub fn extend_core(&mut self, errors: &[FieldError]) {
        for e in errors {
            // An unanswered question already says what to do about its field.
            if self.0.iter().any(|x| x.path == e.path) {
                continue;
            }
            let msg_id = message_for_path(&e.path);
            let detail = (msg_id == "err-field-invalid").then(|| e.reason.clone());
            self.0.push(FormError {
                path: e.path.clone(),
                msg_id,
                detail,
            });
        }
    }
}

/// The catalog message for a rule the core reports at `path`.
pub fn message_for_path(path: &str) -> &'static str {
    const EXACT: &[(&str, &str)] = &[
        ("body.toilet.meets_standard", "err-toilet-cannot-meet"),
        ("body.water.clean", "err-clean-needs-hygienic"),
        ("body.livestock.pen_hygienic", "err-pen-hygienic"),
        (
            "body.health_insurance.insured",
            "err-insured-more-than-members",
        ),
        ("body.health_insurance.members", "err-members-range"),
        (
            "body.children_under5.stunted",
            "err-stunted-more-than-measured",
        ),
        ("body.children_under5.measured", "err-children-range"),
        ("body.note", "err-note-too-long"),
        ("body.name", "err-road-name"),
        ("body.width_m", "err-road-width"),
        ("body.track", "err-road-track"),
        ("body.manual_length_m", "err-manual-length"),
        ("body.manual_reason", "err-manual-reason"),
        ("location", "err-location-required"),
        ("observed_on", "err-observed-on"),
        ("village_id", "err-village-required"),
        ("photos", "err-photos"),
    ];
    if let Some((_, m)) = EXACT.iter().find(|(p, _)| *p == path) {
        return m;
    }
    if path.starts_with("body.toilet.checklist.") {
        return "err-checklist-item-not-met";
    }
    if path.starts_with("body.track[") {
        return "err-road-track-point";
    }
    if path.starts_with("location.") {
        return "err-location-invalid";
    }
    "err-field-invalid"
}

/// Runs the core's validation on what `draft` would become when saved on this phone, so the
/// form shows the same messages the save (and the server) would give, before saving.
pub fn validate_draft(draft: &Draft, commune: &Commune) -> Vec<FieldError> {
    let now = crate::fmt::now_local();
    let mut version = Version {
        version_id: Uuid::now_v7(),
        entity_id: Uuid::now_v7(),
        parents: Vec::new(),
        village_id: draft.village_id.clone(),
        commune_id: commune.id.clone(),
        // Any non-nil device: the store puts its own in at save time.
        device_id: Uuid::from_u128(1),
        device_seq: 1,
        author: None,
        server_seq: None,
        flags: Vec::new(),
        captured_at: now,
        observed_on: None,
        location: draft.location,
        photos: draft.photos.clone(),
        deleted: false,
        body: draft.body.clone(),
    };
    version.set_observed_date(draft.observed_on.unwrap_or_else(|| now.date_naive()));
    let mut errors = Vec::new();
    if let Err(e) = version.validate() {
        errors.extend(e.0);
    }
    if let Err(e) = version.validate_in(commune, Catalog::builtin()) {
        errors.extend(e.0);
    }
    errors
}

/// A whole number typed into a field; empty reads as `None`.
fn parse_count(text: &str) -> Result<Option<u32>, ()> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<u32>().map(Some).map_err(|_| ())
}

/// A decimal typed the Vietnamese way (`3,5`) or the English way (`3.5`).
fn parse_decimal(text: &str) -> Result<Option<f64>, ()> {
    let t = text.trim().replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or(())
}

/// The day a record's thing was observed, on its form: the record's own day for an edit, today
/// for a new record, until the user picks another. Only a picked day reaches the store; without
/// one the store keeps the day of what an edit replaces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedDay {
    /// The day of the record an edit starts from.
    pub recorded: Option<NaiveDate>,
    /// The day the user picked.
    pub picked: Option<NaiveDate>,
}

impl ObservedDay {
    /// The day of `v`, for a form that edits it.
    pub fn of(v: &Version) -> Self {
        ObservedDay {
            recorded: Some(v.observed_date()),
            picked: None,
        }
    }

    /// The day the form shows.
    pub fn shown(&self) -> NaiveDate {
        self.picked
            .or(self.recorded)
            .unwrap_or_else(crate::fmt::today)
    }

    /// A picked day must be a day of this century up to today (a kept day is the record's,
    /// whatever the clock of the phone that wrote it said).
    fn check(&self, errors: &mut FormErrors) {
        if self
            .picked
            .is_some_and(|d| d > crate::fmt::today() || d.year() < 2000)
        {
            errors.add("observed_on", "err-observed-on");
        }
    }
}

/// A verdict as the form shows it while answers are still coming in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    NotMet,
    /// The answers so far could still go either way.
    Incomplete,
    /// The indicator does not apply (17.7 for a household without livestock).
    NotApplicable,
}

// ---------------------------------------------------------------------------------------------
// Household check
// ---------------------------------------------------------------------------------------------

/// The household check form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckForm {
    pub household_id: Uuid,
    pub village_id: Option<Slug>,
    /// The check entity being edited (an edit writes a new version of it).
    pub edit_of: Option<Uuid>,
    pub toilet_type: Option<ToiletType>,
    pub meets_standard: Option<bool>,
    pub checklist: BTreeMap<String, bool>,
    pub bathroom_hygienic: Option<bool>,
    pub water_tank_hygienic: Option<bool>,
    pub clean_house: Option<bool>,
    pub clean_kitchen: Option<bool>,
    pub clean_lane: Option<bool>,
    pub water_hygienic: Option<bool>,
    pub water_clean: Option<bool>,
    pub raises_livestock: Option<bool>,
    pub pen_hygienic: Option<bool>,
    pub waste_handled: Option<bool>,
    pub drainage_ok: Option<bool>,
    pub members: String,
    pub insured: String,
    pub children_measured: String,
    pub children_stunted: String,
    pub note: String,
    pub photos: Vec<PhotoId>,
    pub location: Option<Location>,
    /// The day of the visit.
    #[serde(default)]
    pub observed: ObservedDay,
}

/// The yes/no questions of the check, by field path, in the order the form asks them.
pub const CHECK_QUESTIONS: &[&str] = &[
    "body.toilet.meets_standard",
    "body.bathroom_hygienic",
    "body.water_tank_hygienic",
    "body.three_cleans.house",
    "body.three_cleans.kitchen",
    "body.three_cleans.lane",
    "body.water.hygienic",
    "body.water.clean",
    "body.livestock.raises",
    "body.livestock.pen_hygienic",
    "body.waste_handled",
    "body.drainage_ok",
];

impl CheckForm {
    /// A new check of a household, its member count from the registry.
    pub fn new(household_id: Uuid, village_id: Slug, members: u32) -> Self {
        CheckForm {
            household_id,
            village_id: Some(village_id),
            members: members.to_string(),
            insured: String::new(),
            children_measured: "0".to_owned(),
            children_stunted: "0".to_owned(),
            ..CheckForm::default()
        }
    }

    /// The form of an existing check, for an edit.
    pub fn from_version(v: &Version) -> Option<Self> {
        let Body::HouseholdCheck(c) = &v.body else {
            return None;
        };
        Some(CheckForm {
            household_id: c.household_id,
            village_id: v.village_id.clone(),
            edit_of: Some(v.entity_id),
            toilet_type: Some(c.toilet.toilet_type),
            meets_standard: Some(c.toilet.meets_standard),
            checklist: c.toilet.checklist.clone(),
            bathroom_hygienic: Some(c.bathroom_hygienic),
            water_tank_hygienic: Some(c.water_tank_hygienic),
            clean_house: Some(c.three_cleans.house),
            clean_kitchen: Some(c.three_cleans.kitchen),
            clean_lane: Some(c.three_cleans.lane),
            water_hygienic: Some(c.water.hygienic),
            water_clean: Some(c.water.clean),
            raises_livestock: Some(c.livestock.raises),
            pen_hygienic: c.livestock.pen_hygienic,
            waste_handled: Some(c.waste_handled),
            drainage_ok: Some(c.drainage_ok),
            members: c.health_insurance.members.to_string(),
            insured: c.health_insurance.insured.to_string(),
            children_measured: c.children_under5.measured.to_string(),
            children_stunted: c.children_under5.stunted.to_string(),
            note: c.note.clone(),
            photos: v.photos.clone(),
            location: v.location,
            observed: ObservedDay::of(v),
        })
    }

    /// The answer to a yes/no question by its path.
    pub fn answer(&self, path: &str) -> Option<bool> {
        match path {
            "body.toilet.meets_standard" => self.meets_standard,
            "body.bathroom_hygienic" => self.bathroom_hygienic,
            "body.water_tank_hygienic" => self.water_tank_hygienic,
            "body.three_cleans.house" => self.clean_house,
            "body.three_cleans.kitchen" => self.clean_kitchen,
            "body.three_cleans.lane" => self.clean_lane,
            "body.water.hygienic" => self.water_hygienic,
            "body.water.clean" => self.water_clean,
            "body.livestock.raises" => self.raises_livestock,
            "body.livestock.pen_hygienic" => self.pen_hygienic,
            "body.waste_handled" => self.waste_handled,
            "body.drainage_ok" => self.drainage_ok,
            _ => None,
        }
    }

    /// Answers a yes/no question by its path.
    pub fn set_answer(&mut self, path: &str, value: bool) {
        let slot = match path {
            "body.toilet.meets_standard" => &mut self.meets_standard,
            "body.bathroom_hygienic" => &mut self.bathroom_hygienic,
            "body.water_tank_hygienic" => &mut self.water_tank_hygienic,
            "body.three_cleans.house" => &mut self.clean_house,
            "body.three_cleans.kitchen" => &mut self.clean_kitchen,
            "body.three_cleans.lane" => &mut self.clean_lane,
            "body.water.hygienic" => &mut self.water_hygienic,
            "body.water.clean" => &mut self.water_clean,
            "body.livestock.raises" => &mut self.raises_livestock,
            "body.livestock.pen_hygienic" => &mut self.pen_hygienic,
            "body.waste_handled" => &mut self.waste_handled,
            "body.drainage_ok" => &mut self.drainage_ok,
            _ => return,
        };
        *slot = Some(value);
        match (path, value) {
            // The core refuses a pen verdict for a household without livestock.
            ("body.livestock.raises", false) => self.pen_hygienic = None,
            // Clean water is a kind of hygienic water, and water that is not hygienic is not
            // clean: one answer gives the other.
            ("body.water.clean", true) => self.water_hygienic = Some(true),
            ("body.water.hygienic", false) => self.water_clean = Some(false),
            _ => {}
        }
    }

    /// Ticks or unticks an item of the toilet's checklist; the standard is met exactly when
    /// every item of a recognised type is (the core refuses "meets" with an item not met).
    pub fn set_checklist_item(&mut self, item: &str, value: bool) {
        self.checklist.insert(item.to_owned(), value);
        if self.toilet_type.is_some_and(ToiletType::can_meet_standard) {
            self.meets_standard = Some(self.checklist.values().all(|ok| *ok));
        }
    }

    /// Whether the form asks `path` at all with the answers so far.
    pub fn asks(&self, path: &str) -> bool {
        match path {
            "body.toilet.meets_standard" => {
                self.toilet_type.is_some_and(ToiletType::can_meet_standard)
            }
            "body.livestock.pen_hygienic" => self.raises_livestock == Some(true),
            _ => true,
        }
    }

    /// Chooses the toilet type; checklist answers that belong to no item of the new type go.
    pub fn set_toilet_type(&mut self, t: ToiletType) {
        self.toilet_type = Some(t);
        let items = t.checklist_items();
        self.checklist.retain(|k, _| items.contains(&k.as_str()));
        for item in items {
            self.checklist.entry((*item).to_owned()).or_insert(false);
        }
        if !t.can_meet_standard() {
            self.meets_standard = Some(false);
        }
    }

    /// The body with every unanswered question taken as `fill`.
    fn body_with(&self, fill: bool) -> HouseholdCheck {
        let a = |v: Option<bool>| v.unwrap_or(fill);
        let count = |s: &str| parse_count(s).ok().flatten().unwrap_or(0);
        let toilet_type = self.toilet_type.unwrap_or(if fill {
            ToiletType::Septic
        } else {
            ToiletType::None
        });
        let raises = a(self.raises_livestock);
        HouseholdCheck {
            household_id: self.household_id,
            toilet: Toilet {
                toilet_type,
                meets_standard: a(self.meets_standard) && toilet_type.can_meet_standard(),
                checklist: self.checklist.clone(),
            },
            bathroom_hygienic: a(self.bathroom_hygienic),
            water_tank_hygienic: a(self.water_tank_hygienic),
            three_cleans: ThreeCleans {
                house: a(self.clean_house),
                kitchen: a(self.clean_kitchen),
                lane: a(self.clean_lane),
            },
            water: Water {
                hygienic: a(self.water_hygienic),
                clean: a(self.water_clean),
            },
            livestock: Livestock {
                raises,
                pen_hygienic: if raises {
                    self.pen_hygienic.or(fill.then_some(true))
                } else {
                    None
                },
            },
            waste_handled: a(self.waste_handled),
            drainage_ok: a(self.drainage_ok),
            health_insurance: HealthInsurance {
                members: count(&self.members),
                insured: count(&self.insured),
            },
            children_under5: ChildrenUnder5 {
                measured: count(&self.children_measured),
                stunted: count(&self.children_stunted),
            },
            note: self.note.clone(),
        }
    }

    /// The body as answered (unanswered questions as "no").
    pub fn body(&self) -> HouseholdCheck {
        self.body_with(false)
    }

    /// 17.6 for this household as answered so far: the core's verdict when the missing answers
    /// cannot change it, else `Incomplete`.
    pub fn sanitation_verdict(&self) -> Verdict {
        if self.body_with(false).meets_sanitation() {
            Verdict::Met
        } else if !self.body_with(true).meets_sanitation() {
            Verdict::NotMet
        } else {
            Verdict::Incomplete
        }
    }

    /// 17.7 for this household as answered so far.
    pub fn livestock_verdict(&self) -> Verdict {
        let (low, high) = (
            self.body_with(false).livestock_pen_verdict(),
            self.body_with(true).livestock_pen_verdict(),
        );
        match (low, high) {
            _ if low != high => Verdict::Incomplete,
            (None, _) => Verdict::NotApplicable,
            (Some(true), _) => Verdict::Met,
            (Some(false), _) => Verdict::NotMet,
        }
    }

    /// The form's own problems: unanswered questions, numbers that do not parse, a day after
    /// today.
    pub fn form_errors(&self) -> FormErrors {
        let mut e = FormErrors::default();
        self.observed.check(&mut e);
        if self.toilet_type.is_none() {
            e.add("body.toilet.type", "err-answer-required");
        }
        for q in CHECK_QUESTIONS {
            if self.asks(q) && self.answer(q).is_none() {
                e.add(q, "err-answer-required");
            }
        }
        for (path, text) in [
            ("body.health_insurance.members", &self.members),
            ("body.health_insurance.insured", &self.insured),
            ("body.children_under5.measured", &self.children_measured),
            ("body.children_under5.stunted", &self.children_stunted),
        ] {
            match parse_count(text) {
                Err(()) => e.add(path, "err-whole-number"),
                Ok(None) => e.add(path, "err-answer-required"),
                Ok(Some(_)) => {}
            }
        }
        e
    }

    /// What the store saves.
    pub fn draft(&self) -> Draft {
        Draft {
            body: Body::HouseholdCheck(self.body()),
            village_id: self.village_id.clone(),
            location: self.location,
            photos: self.photos.clone(),
            observed_on: self.observed.picked,
        }
    }

    /// Every problem: the form's own, then the core's rules.
    pub fn errors(&self, commune: &Commune) -> FormErrors {
        let mut e = self.form_errors();
        e.extend_core(&validate_draft(&self.draft(), commune));
        e
    }
}

impl DraftForm for CheckForm {
    fn village_id(&self) -> Option<Slug> {
        self.village_id.clone()
    }

    fn photos(&self) -> Vec<PhotoId> {
        self.photos.clone()
    }

    /// The position is the phone's, taken as the form opens.
    fn entered_since(&self, initial: &Self) -> bool {
        let typed = |f: &CheckForm| CheckForm {
            location: None,
            ..f.clone()
        };
        typed(self) != typed(initial)
    }
}

// ---------------------------------------------------------------------------------------------
// Road segment
// ---------------------------------------------------------------------------------------------

/// The details of a recorded road segment, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoadForm {
    pub edit_of: Option<Uuid>,
    pub name: String,
    pub road_class: Option<RoadClass>,
    pub surface: Option<Surface>,
    pub width_m: String,
    pub works: Option<Works>,
    pub status: Option<RoadStatus>,
    pub village_id: Option<Slug>,
    pub photo_start: Option<PhotoId>,
    pub photo_end: Option<PhotoId>,
    pub manual_length_m: String,
    pub manual_reason: String,
    /// The track of the segment being edited (a new segment takes the recorder's).
    pub track: Vec<TrackPoint>,
    pub location: Option<Location>,
    /// The day the segment was seen in this state (completed, say).
    #[serde(default)]
    pub observed: ObservedDay,
}

impl RoadForm {
    pub fn from_version(v: &Version) -> Option<Self> {
        let Body::RoadSegment(r) = &v.body else {
            return None;
        };
        Some(RoadForm {
            edit_of: Some(v.entity_id),
            name: r.name.clone(),
            road_class: Some(r.road_class),
            surface: Some(r.surface),
            width_m: crate::fmt::decimal(crate::i18n::Lang::Vi, r.width_m, 1),
            works: Some(r.works),
            status: Some(r.status),
            village_id: v.village_id.clone(),
            photo_start: v.photos.first().copied(),
            photo_end: v.photos.get(1).copied(),
            manual_length_m: r
                .manual_length_m
                .map(|m| crate::fmt::decimal(crate::i18n::Lang::Vi, m, 0))
                .unwrap_or_default(),
            manual_reason: r.manual_reason.clone().unwrap_or_default(),
            track: r.track.clone(),
            location: v.location,
            observed: ObservedDay::of(v),
        })
    }

    /// What the store saves, over `track` (the recorder's, or the edited segment's).
    pub fn draft(&self, track: &[TrackPoint]) -> Draft {
        let manual = parse_decimal(&self.manual_length_m).ok().flatten();
        let location = track
            .first()
            .map(|p| Location {
                lat: p.lat,
                lon: p.lon,
                accuracy_m: p.accuracy_m,
                altitude_m: None,
                fix_at: p.t,
                source: LocationSource::Gps,
            })
            .or(self.location);
        Draft {
            body: Body::RoadSegment(RoadSegment {
                name: self.name.trim().to_owned(),
                road_class: self.road_class.unwrap_or(RoadClass::Alley),
                surface: self.surface.unwrap_or(Surface::Earth),
                width_m: parse_decimal(&self.width_m).ok().flatten().unwrap_or(0.0),
                status: self.status.unwrap_or(RoadStatus::Planned),
                works: self.works.unwrap_or(Works::Upgrade),
                track: track.to_vec(),
                manual_length_m: manual,
                manual_reason: (!self.manual_reason.trim().is_empty())
                    .then(|| self.manual_reason.trim().to_owned()),
                track_times: TrackTimes::Recorded,
            }),
            village_id: self.village_id.clone(),
            location,
            photos: self.photo_start.into_iter().chain(self.photo_end).collect(),
            observed_on: self.observed.picked,
        }
    }

    pub fn form_errors(&self) -> FormErrors {
        let mut e = FormErrors::default();
        self.observed.check(&mut e);
        for (path, missing) in [
            ("body.road_class", self.road_class.is_none()),
            ("body.surface", self.surface.is_none()),
            ("body.works", self.works.is_none()),
            ("body.status", self.status.is_none()),
            ("village_id", self.village_id.is_none()),
        ] {
            if missing {
                e.add(path, "err-answer-required");
            }
        }
        if parse_decimal(&self.width_m).is_err() {
            e.add("body.width_m", "err-decimal");
        }
        if parse_decimal(&self.manual_length_m).is_err() {
            e.add("body.manual_length_m", "err-decimal");
        }
        e
    }

    pub fn errors(&self, track: &[TrackPoint], commune: &Commune) -> FormErrors {
        let mut e = self.form_errors();
        e.extend_core(&validate_draft(&self.draft(track), commune));
        e
    }
}

impl DraftForm for RoadForm {
    fn village_id(&self) -> Option<Slug> {
        self.village_id.clone()
    }

    fn photos(&self) -> Vec<PhotoId> {
        self.photo_start.into_iter().chain(self.photo_end).collect()
    }

    fn entered_since(&self, initial: &Self) -> bool {
        self != initial
    }
}

// ---------------------------------------------------------------------------------------------
// No-dumping sign
// ---------------------------------------------------------------------------------------------

/// A fix taken standing at the sign.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignFix {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub at: DateTime<FixedOffset>,
}

/// The sign form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SignForm {
    pub edit_of: Option<Uuid>,
    pub condition: Option<SignCondition>,
    pub village_id: Option<Slug>,
    pub responsible_household_id: Option<Uuid>,
    pub note: String,
    pub photo: Option<PhotoId>,
    /// Fixes taken at the sign; their average is the sign's position.
    pub fixes: Vec<SignFix>,
    /// The position of the sign being edited, kept unless new fixes are taken.
    pub location: Option<Location>,
    /// The day the sign was seen.
    #[serde(default)]
    pub observed: ObservedDay,
}

impl SignForm {
    pub fn from_version(v: &Version) -> Option<Self> {
        let Body::TrashSign(s) = &v.body else {
            return None;
        };
        Some(SignForm {
            edit_of: Some(v.entity_id),
            condition: Some(s.condition),
            village_id: v.village_id.clone(),
            responsible_household_id: s.responsible_household_id,
            note: s.note.clone(),
            photo: v.photos.first().copied(),
            fixes: Vec::new(),
            location: v.location,
            observed: ObservedDay::of(v),
        })
    }

    /// The core's average of the fixes that pass `gate_m`.
    pub fn averaged(&self, gate_m: f64) -> Option<AveragedPosition> {
        let fixes: Vec<PositionFix> = self
            .fixes
            .iter()
            .map(|f| PositionFix {
                lat: f.lat,
                lon: f.lon,
                accuracy_m: f.accuracy_m,
            })
            .collect();
        average_position(&fixes, gate_m)
    }

    /// The sign's position: the averaged fixes when good enough for the gate, else the edited
    /// sign's position.
    pub fn location(&self, gate_m: f64) -> Option<Location> {
        match self.averaged(gate_m) {
            Some(p) if p.accuracy_m <= gate_m => Some(Location {
                lat: p.lat,
                lon: p.lon,
                accuracy_m: p.accuracy_m,
                altitude_m: None,
                fix_at: self
                    .fixes
                    .last()
                    .map(|f| f.at)
                    .unwrap_or_else(crate::fmt::now_local),
                source: LocationSource::Gps,
            }),
            _ => self.location,
        }
    }

    pub fn draft(&self, gate_m: f64) -> Draft {
        Draft {
            body: Body::TrashSign(TrashSign {
                sign_type: SignType::NoDumping,
                condition: self.condition.unwrap_or(SignCondition::Good),
                responsible_household_id: self.responsible_household_id,
                note: self.note.clone(),
            }),
            village_id: self.village_id.clone(),
            location: self.location(gate_m),
            photos: self.photo.into_iter().collect(),
            observed_on: self.observed.picked,
        }
    }

    pub fn form_errors(&self, gate_m: f64) -> FormErrors {
        let mut e = FormErrors::default();
        self.observed.check(&mut e);
        if self.condition.is_none() {
            e.add("body.condition", "err-answer-required");
        }
        if self.village_id.is_none() {
            e.add("village_id", "err-answer-required");
        }
        if self.photo.is_none() {
            e.add("photos", "err-photo-required");
        }
        if self.location(gate_m).is_none() {
            let msg = if self.fixes.is_empty() {
                "err-position-needed"
            } else {
                "err-position-not-accurate"
            };
            e.add("location", msg);
        }
        e
    }

    pub fn errors(&self, gate_m: f64, commune: &Commune) -> FormErrors {
        let mut e = self.form_errors(gate_m);
        e.extend_core(&validate_draft(&self.draft(gate_m), commune));
        e
    }
}

impl DraftForm for SignForm {
    fn village_id(&self) -> Option<Slug> {
        self.village_id.clone()
    }

    fn photos(&self) -> Vec<PhotoId> {
        self.photo.into_iter().collect()
    }

    /// Taking a position counts: the fixes are the user's doing.
    fn entered_since(&self, initial: &Self) -> bool {
        self != initial
    }
}

/// The wire name of an enum value (`septic`, `village_axis`), used as its option key and in its
/// catalog message id.
pub fn wire_key<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The enum value of a wire name.
pub fn from_wire_key<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(key.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sanitation_verdict_waits_for_answers_that_could_change_it() {
        let mut f = CheckForm::new(Uuid::now_v7(), Slug::parse("thien-ke-01").unwrap(), 4);
        assert_eq!(f.sanitation_verdict(), Verdict::Incomplete);
        f.set_toilet_type(ToiletType::None);
        assert_eq!(
            f.sanitation_verdict(),
            Verdict::NotMet,
            "no toilet can never pass 17.6"
        );
        f.set_toilet_type(ToiletType::Septic);
        for q in CHECK_QUESTIONS {
            f.set_answer(q, true);
        }
        assert_eq!(f.sanitation_verdict(), Verdict::Met);
        assert_eq!(f.livestock_verdict(), Verdict::Met);
        f.set_answer("body.livestock.raises", false);
        assert_eq!(f.livestock_verdict(), Verdict::NotApplicable);
        assert_eq!(f.pen_hygienic, None);
    }

    #[test]
    fn core_paths_map_to_their_messages() {
        assert_eq!(
            message_for_path("body.health_insurance.insured"),
            "err-insured-more-than-members"
        );
        assert_eq!(
            message_for_path("body.toilet.checklist.vent_pipe"),
            "err-checklist-item-not-met"
        );
        assert_eq!(message_for_path("body.something_new"), "err-field-invalid");
        let mut e = FormErrors::default();
        e.add(
            "body.toilet.checklist.vent_pipe",
            "err-checklist-item-not-met",
        );
        assert!(e.for_path("body.toilet").is_some());
        assert!(e.for_path("body.toil").is_none());
    }

    #[test]
    fn only_a_day_the_user_picks_reaches_the_store_and_never_one_after_today() {
        let mut f = SignForm::default();
        assert_eq!(f.observed.shown(), crate::fmt::today());
        f.observed.recorded = crate::fmt::today().succ_opt();
        assert!(
            f.form_errors(20.0).for_path("observed_on").is_none(),
            "a kept day is the record's, whatever the clock that wrote it"
        );
        assert_eq!(f.draft(20.0).observed_on, None);
        f.observed.picked = NaiveDate::from_ymd_opt(2020, 3, 21);
        assert_eq!(
            f.observed.shown(),
            NaiveDate::from_ymd_opt(2020, 3, 21).unwrap()
        );
        assert_eq!(f.draft(20.0).observed_on, f.observed.picked);
        f.observed.picked = crate::fmt::today().succ_opt();
        assert_eq!(
            f.form_errors(20.0)
                .for_path("observed_on")
                .map(|e| e.msg_id),
            Some("err-observed-on")
        );
    }

    #[test]
    fn numbers_are_read_as_typed_in_vietnam() {
        assert_eq!(parse_decimal("3,5"), Ok(Some(3.5)));
        assert_eq!(parse_decimal(" "), Ok(None));
        assert_eq!(parse_decimal("ba"), Err(()));
        assert_eq!(parse_count("12"), Ok(Some(12)));
        assert_eq!(parse_count("-1"), Err(()));
    }
}
