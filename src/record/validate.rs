//! The rules every version must pass, on the phone before it is saved and on the server before
//! it is stored. Each error names the field path (`body.track[12].lat`) and the reason.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset};

use super::*;
use crate::admin::Commune;
use crate::catalog::{Catalog, IndicatorType};

/// Most fixes a road track may hold (about 5.5 hours at 1 Hz).
pub const MAX_TRACK_POINTS: usize = 20_000;
/// Most photos one version may reference.
pub const MAX_PHOTOS: usize = 20;
/// Most parents one version may name (a merge of that many conflicting heads).
pub const MAX_PARENTS: usize = 32;
const MAX_MEMBERS: u32 = 100;
const MAX_CHILDREN: u32 = 50;
const MAX_ACCURACY_M: f64 = 10_000.0;
const MAX_NOTE_CHARS: usize = 2_000;
const MAX_NAME_CHARS: usize = 200;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Dotted path into the version, e.g. `body.toilet.meets_standard`; empty for the whole record.
    pub path: String,
    pub reason: String,
}

/// Every rule a version broke (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if e.path.is_empty() {
                f.write_str(&e.reason)?;
            } else {
                write!(f, "{}: {}", e.path, e.reason)?;
            }
        }
        Ok(())
    }
}

impl ValidationErrors {
    pub(super) fn from_serde<E: fmt::Display>(e: serde_path_to_error::Error<E>) -> Self {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        ValidationErrors(vec![FieldError {
            path,
            reason: e.inner().to_string(),
        }])
    }

    /// Puts every path under `prefix` (`body` + `toilet.type` = `body.toilet.type`).
    pub(super) fn under(mut self, prefix: &str) -> Self {
        for e in &mut self.0 {
            e.path = if e.path.is_empty() {
                prefix.to_owned()
            } else if e.path.starts_with('[') {
                format!("{prefix}{}", e.path)
            } else {
                format!("{prefix}.{}", e.path)
            };
        }
        self
    }

    /// The first error's path, for APIs that report one field.
    pub fn first_path(&self) -> Option<&str> {
        self.0.first().map(|e| e.path.as_str())
    }
}

/// Collects errors while walking a version.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError {
            path: path.into(),
            reason: reason.into(),
        });
    }

    fn check(&mut self, ok: bool, path: impl Into<String>, reason: impl Into<String>) {
        if !ok {
            self.add(path, reason);
        }
    }

    fn finish(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.0))
        }
    }

    fn text(&mut self, path: &str, value: &str, required: bool, max_chars: usize) {
        if required && value.trim().is_empty() {
            self.add(path, "must not be empty");
        }
        if value.chars().count() > max_chars {
            self.add(path, format!("must be at most {max_chars} characters"));
        }
    }

    fn time(&mut self, path: &str, t: &DateTime<FixedOffset>) {
        self.check(
            (2000..=2100).contains(&t.year()),
            path,
            "must be a date between the years 2000 and 2100",
        );
    }

    fn coordinates(&mut self, path: &str, lat: f64, lon: f64, accuracy_m: f64) {
        self.check(
            lat.is_finite() && (-90.0..=90.0).contains(&lat),
            format!("{path}.lat"),
            "must be a latitude between -90 and 90",
        );
        self.check(
            lon.is_finite() && (-180.0..=180.0).contains(&lon),
            format!("{path}.lon"),
            "must be a longitude between -180 and 180",
        );
        self.check(
            accuracy_m.is_finite() && (0.0..=MAX_ACCURACY_M).contains(&accuracy_m),
            format!("{path}.accuracy_m"),
            format!("must be between 0 and {MAX_ACCURACY_M} metres"),
        );
    }
}

impl Version {
    /// Checks every rule that needs no context (shape, ranges, cross-field rules of the body).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = Errors::default();
        e.check(
            self.version_id.get_version_num() == 7,
            "version_id",
            "must be a UUIDv7 made on the device",
        );
        e.check(
            !self.entity_id.is_nil(),
            "entity_id",
            "must not be the nil UUID",
        );
        e.check(
            !self.device_id.is_nil(),
            "device_id",
            "must not be the nil UUID",
        );
        e.check(
            self.device_seq >= 1,
            "device_seq",
            "must be 1 or more (sequence numbers start at 1)",
        );
        e.check(
            self.parents.len() <= MAX_PARENTS,
            "parents",
            format!("at most {MAX_PARENTS} parents"),
        );
        let mut seen = HashSet::new();
        for (i, p) in self.parents.iter().enumerate() {
            e.check(seen.insert(*p), format!("parents[{i}]"), "is listed twice");
            e.check(
                *p != self.version_id,
                format!("parents[{i}]"),
                "a version cannot replace itself",
            );
        }
        e.check(
            !self.deleted || !self.parents.is_empty(),
            "deleted",
            "a deletion must name the version it deletes in parents",
        );
        e.time("captured_at", &self.captured_at);
        // A day after the capture is not refused: an edit keeps the day of the record it
        // replaces, which a phone whose clock is ahead may have dated past this phone's today
        // (R5: clocks off lose nothing). Forms refuse a day the user picks after today.
        if let Some(day) = self.observed_on {
            e.check(
                (2000..=2100).contains(&day.year()),
                "observed_on",
                "must be a date between the years 2000 and 2100",
            );
        }
        if let Some(author) = &self.author {
            e.text("author", author, false, MAX_NAME_CHARS);
        }
        match &self.location {
            Some(loc) => {
                e.coordinates("location", loc.lat, loc.lon, loc.accuracy_m);
                if let Some(alt) = loc.altitude_m {
                    e.check(
                        alt.is_finite() && (-500.0..=9_000.0).contains(&alt),
                        "location.altitude_m",
                        "must be between -500 and 9000 metres",
                    );
                }
                e.time("location.fix_at", &loc.fix_at);
            }
            None => e.check(
                !matches!(self.kind(), Kind::RoadSegment | Kind::TrashSign),
                "location",
                format!("is required for a {}", self.kind().as_str()),
            ),
        }
        e.check(
            self.photos.len() <= MAX_PHOTOS,
            "photos",
            format!("at most {MAX_PHOTOS} photos"),
        );
        let mut seen = HashSet::new();
        for (i, p) in self.photos.iter().enumerate() {
            e.check(seen.insert(*p), format!("photos[{i}]"), "is listed twice");
        }
        e.check(
            self.village_id.is_some() || self.kind() == Kind::Assessment,
            "village_id",
            format!("is required for a {}", self.kind().as_str()),
        );
        match &self.body {
            Body::Household(b) => household(&mut e, b),
            Body::HouseholdCheck(b) => household_check(&mut e, b),
            Body::RoadSegment(b) => road_segment(&mut e, b),
            Body::TrashSign(b) => e.text("body.note", &b.note, false, MAX_NOTE_CHARS),
            Body::Assessment(b) => assessment(&mut e, b),
        }
        e.finish()
    }

    /// Checks the rules that need the commune and the catalog: the version belongs to this
    /// commune and one of its villages, and an assessment names an indicator and fits its type.
    pub fn validate_in(
        &self,
        commune: &Commune,
        catalog: &Catalog,
    ) -> Result<(), ValidationErrors> {
        self.validate_in_merged(commune, &[], catalog)
    }

    /// [`Version::validate_in`] for a commune made by a merger: a record may also be kept
    /// under one of the communes in `merged_from` (whose villages are the new commune's).
    pub fn validate_in_merged(
        &self,
        commune: &Commune,
        merged_from: &[Slug],
        catalog: &Catalog,
    ) -> Result<(), ValidationErrors> {
        let mut e = Errors::default();
        e.check(
            self.commune_id == commune.id || merged_from.contains(&self.commune_id),
            "commune_id",
            format!("this device belongs to commune {}", commune.id),
        );
        if let Some(v) = &self.village_id {
            e.check(
                commune.village(v).is_some(),
                "village_id",
                format!("is not a village of commune {}", commune.id),
            );
        }
        if let Body::Assessment(a) = &self.body {
            // An assessment naming no edition belongs to `catalog`'s (1980's, before editions).
            let edition = match &a.edition {
                None => Some(catalog),
                Some(key) => crate::catalog::edition::Editions::builtin().get(key),
            };
            match edition.map(|c| c.indicator(&a.indicator_id)) {
                None => e.add(
                    "body.edition",
                    "is not a criteria edition (ntm-2016, ntm-2021 or ntm-2026)",
                ),
                Some(None) => e.add(
                    "body.indicator_id",
                    "is not an indicator of the criteria catalog",
                ),
                Some(Some(ind)) => {
                    let is_pct = matches!(
                        ind.indicator_type,
                        IndicatorType::PctMin | IndicatorType::PctMax | IndicatorType::PctMinNested
                    );
                    if let Some(v) = a.value {
                        e.check(
                            !is_pct || v <= 100.0,
                            "body.value",
                            "a percentage must be between 0 and 100",
                        );
                    }
                    e.check(
                        ind.indicator_type != IndicatorType::Bool
                            || (a.value.is_none() && a.numerator.is_none()),
                        "body.met",
                        "a yes/no indicator takes a verdict in met, not a figure",
                    );
                }
            }
        }
        e.finish()
    }
}

fn household(e: &mut Errors, b: &Household) {
    e.text("body.code", &b.code, true, 32);
    e.text("body.head_name", &b.head_name, true, MAX_NAME_CHARS);
    e.text("body.address", &b.address, false, 500);
    e.check(
        (1..=MAX_MEMBERS).contains(&b.members),
        "body.members",
        format!("must be between 1 and {MAX_MEMBERS}"),
    );
}

fn household_check(e: &mut Errors, b: &HouseholdCheck) {
    e.check(
        !b.household_id.is_nil(),
        "body.household_id",
        "must name a household",
    );
    let t = b.toilet.toilet_type;
    e.check(
        !b.toilet.meets_standard || t.can_meet_standard(),
        "body.toilet.meets_standard",
        "cannot be true when there is no toilet or it is of an unrecognised type",
    );
    let items = t.checklist_items();
    for (key, ok) in &b.toilet.checklist {
        let path = format!("body.toilet.checklist.{key}");
        if !items.contains(&key.as_str()) {
            e.add(path, "is not a checklist item for this toilet type");
        } else if !ok && b.toilet.meets_standard {
            e.add(path, "is not met, so the toilet cannot meet the standard");
        }
    }
    e.check(
        !b.water.clean || b.water.hygienic,
        "body.water.clean",
        "clean water is a kind of hygienic water: set hygienic too",
    );
    match (b.livestock.raises, b.livestock.pen_hygienic) {
        (false, Some(_)) => e.add(
            "body.livestock.pen_hygienic",
            "must be empty when the household raises no livestock",
        ),
        (true, None) => e.add(
            "body.livestock.pen_hygienic",
            "say whether the pen is hygienic",
        ),
        _ => {}
    }
    let hi = b.health_insurance;
    e.check(
        hi.members <= MAX_MEMBERS,
        "body.health_insurance.members",
        format!("must be at most {MAX_MEMBERS}"),
    );
    e.check(
        hi.insured <= hi.members,
        "body.health_insurance.insured",
        "cannot be more than the household's members",
    );
    let c = b.children_under5;
    e.check(
        c.measured <= MAX_CHILDREN,
        "body.children_under5.measured",
        format!("must be at most {MAX_CHILDREN}"),
    );
    e.check(
        c.stunted <= c.measured,
        "body.children_under5.stunted",
        "cannot be more than the children measured",
    );
    e.text("body.note", &b.note, false, MAX_NOTE_CHARS);
}

fn road_segment(e: &mut Errors, b: &RoadSegment) {
    e.text("body.name", &b.name, true, MAX_NAME_CHARS);
    e.check(
        b.width_m.is_finite() && b.width_m > 0.0 && b.width_m <= 60.0,
        "body.width_m",
        "must be more than 0 and at most 60 metres",
    );
    if b.track.len() > MAX_TRACK_POINTS {
        // One error for the whole track rather than one per point of a hostile payload.
        e.add("body.track", format!("at most {MAX_TRACK_POINTS} points"));
        return;
    }
    for (i, p) in b.track.iter().enumerate() {
        let path = format!("body.track[{i}]");
        e.coordinates(&path, p.lat, p.lon, p.accuracy_m);
        e.time(&format!("{path}.t"), &p.t);
    }
    match (&b.manual_length_m, &b.manual_reason) {
        (Some(m), reason) => {
            e.check(
                m.is_finite() && *m > 0.0 && *m <= 100_000.0,
                "body.manual_length_m",
                "must be more than 0 and at most 100 km",
            );
            e.check(
                reason.as_deref().is_some_and(|r| !r.trim().is_empty()),
                "body.manual_reason",
                "say why the length was typed in instead of measured",
            );
        }
        (None, Some(_)) => e.add(
            "body.manual_reason",
            "is only for a typed-in length (manual_length_m)",
        ),
        (None, None) => {}
    }
    if let Some(r) = &b.manual_reason {
        e.text("body.manual_reason", r, false, MAX_NOTE_CHARS);
    }
    e.check(
        b.status != RoadStatus::Completed || b.track.len() >= 2 || b.manual_length_m.is_some(),
        "body.track",
        "a completed segment needs a GPS track of at least 2 points, or a typed-in length with a reason",
    );
}

fn assessment(e: &mut Errors, b: &Assessment) {
    e.text("body.indicator_id", &b.indicator_id, true, 16);
    if let Some(edition) = &b.edition {
        e.text("body.edition", edition, true, 16);
    }
    e.check(
        (2000..=2100).contains(&b.as_of.year()),
        "body.as_of",
        "must be a date between the years 2000 and 2100",
    );
    e.text("body.source", &b.source, true, 500);
    e.text("body.note", &b.note, false, MAX_NOTE_CHARS);
    match (b.numerator, b.denominator) {
        (Some(n), Some(d)) => {
            e.check(
                n.is_finite() && n >= 0.0,
                "body.numerator",
                "must be 0 or more",
            );
            e.check(
                d.is_finite() && d > 0.0,
                "body.denominator",
                "must be more than 0",
            );
            e.check(
                n <= d,
                "body.numerator",
                "cannot be more than the denominator",
            );
        }
        (Some(_), None) => e.add("body.denominator", "is required with a numerator"),
        (None, Some(_)) => e.add("body.numerator", "is required with a denominator"),
        (None, None) => {}
    }
    if let Some(v) = b.value {
        e.check(v.is_finite() && v >= 0.0, "body.value", "must be 0 or more");
        e.check(
            b.numerator.is_none(),
            "body.value",
            "give either numerator and denominator or a value, not both",
        );
    }
    e.check(
        b.numerator.is_some() || b.value.is_some() || b.met.is_some(),
        "body",
        "an assessment needs a figure (numerator and denominator, or value) or a verdict (met)",
    );
}
