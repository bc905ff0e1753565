//! Records: every write is an immutable **version** of an **entity** (product.md §3, Appendix A).
//!
//! `body.rs` holds the five kinds' bodies and their domain verdicts, `validate.rs` the rules a
//! version must pass on the phone and on the server alike.

mod body;
mod validate;

pub use body::*;
pub use validate::{FieldError, ValidationErrors, MAX_PARENTS, MAX_PHOTOS, MAX_TRACK_POINTS};

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ids::{PhotoId, Slug};

/// The five kinds of entity, with their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Household,
    HouseholdCheck,
    RoadSegment,
    TrashSign,
    Assessment,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Household,
        Kind::HouseholdCheck,
        Kind::RoadSegment,
        Kind::TrashSign,
        Kind::Assessment,
    ];

    /// The wire name, e.g. `household_check`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Household => "household",
            Kind::HouseholdCheck => "household_check",
            Kind::RoadSegment => "road_segment",
            Kind::TrashSign => "trash_sign",
            Kind::Assessment => "assessment",
        }
    }
}

/// How a position was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationSource {
    Gps,
    Network,
    Manual,
}

/// Where a record was made: `{lat, lon, accuracy_m, altitude_m?, fix_at, source}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    #[serde(default)]
    pub altitude_m: Option<f64>,
    pub fix_at: DateTime<FixedOffset>,
    pub source: LocationSource,
}

/// What the server noticed about a version when it arrived; the version is stored all the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionFlag {
    /// Captured more than 10 minutes after the server received it: the phone's clock is ahead.
    ClockAhead,
    /// Captured more than a year before the server received it: the clock is probably behind.
    ClockFarBehind,
    /// Captured more than an hour before the same device's previous version: the clock stepped back.
    ClockWentBack,
}

impl VersionFlag {
    /// The clock checks of R5, one rule for the server and the phone: `previous` is the capture
    /// time of the device's preceding version, if known.
    pub fn clock_flags(
        captured_at: DateTime<FixedOffset>,
        received_at: DateTime<chrono::Utc>,
        previous: Option<DateTime<FixedOffset>>,
    ) -> Vec<VersionFlag> {
        let mut flags = Vec::new();
        if captured_at > received_at + chrono::Duration::minutes(10) {
            flags.push(VersionFlag::ClockAhead);
        }
        if captured_at < received_at - chrono::Duration::days(365) {
            flags.push(VersionFlag::ClockFarBehind);
        }
        if previous.is_some_and(|p| captured_at < p - chrono::Duration::hours(1)) {
            flags.push(VersionFlag::ClockWentBack);
        }
        flags
    }
}

/// One immutable version of an entity. `author`, `server_seq` and `flags` are set by the server
/// on what it stores; a client does not send them.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub version_id: Uuid,
    pub entity_id: Uuid,
    /// The versions this one replaces; empty for a new entity. Two versions naming the same
    /// parent are a conflict.
    pub parents: Vec<Uuid>,
    /// `None` for commune-wide records (an assessment of the whole commune).
    pub village_id: Option<Slug>,
    pub commune_id: Slug,
    pub device_id: Uuid,
    pub device_seq: u64,
    pub author: Option<String>,
    pub server_seq: Option<u64>,
    pub flags: Vec<VersionFlag>,
    /// When this version was written (the version's own time: the order of versions, the
    /// clock checks).
    pub captured_at: DateTime<FixedOffset>,
    /// The local day the thing recorded was observed (a sign seen, a road completed, a household
    /// visited), when it is not the day of `captured_at`: an edit or a resolution written later
    /// keeps the day of the record it replaces. Read it with [`Version::observed_date`].
    pub observed_on: Option<NaiveDate>,
    pub location: Option<Location>,
    pub photos: Vec<PhotoId>,
    /// A tombstone: the entity is deleted as of this version.
    pub deleted: bool,
    pub body: Body,
}

/// The exact wire shape; `body` is kept generic so the kind can pick its type. The `Cow`s let a
/// version be written from borrowed fields (no copies for a digest or a stored row); they are
/// always owned when read.
#[derive(Serialize, Deserialize)]
struct WireVersion<'a, B> {
    version_id: Uuid,
    entity_id: Uuid,
    #[serde(default)]
    parents: Cow<'a, [Uuid]>,
    kind: Kind,
    commune_id: Cow<'a, Slug>,
    #[serde(default)]
    village_id: Option<Cow<'a, Slug>>,
    device_id: Uuid,
    device_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    author: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "is_empty")]
    flags: Cow<'a, [VersionFlag]>,
    captured_at: DateTime<FixedOffset>,
    // Absent when the thing was observed the day the version was captured: every version
    // written before this field existed keeps its bytes, and so its digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    observed_on: Option<NaiveDate>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    photos: Cow<'a, [PhotoId]>,
    #[serde(default)]
    deleted: bool,
    body: B,
}

fn is_empty<T>(list: &[T]) -> bool {
    list.is_empty()
}

impl<B> WireVersion<'_, B> {
    /// The version, with the body `body_of` makes of this shape's kind and body.
    fn into_version<E>(
        self,
        body_of: impl FnOnce(Kind, B) -> Result<Body, E>,
    ) -> Result<Version, E> {
        Ok(Version {
            body: body_of(self.kind, self.body)?,
            version_id: self.version_id,
            entity_id: self.entity_id,
            parents: self.parents.into_owned(),
            village_id: self.village_id.map(Cow::into_owned),
            commune_id: self.commune_id.into_owned(),
            device_id: self.device_id,
            device_seq: self.device_seq,
            author: self.author.map(Cow::into_owned),
            server_seq: self.server_seq,
            flags: self.flags.into_owned(),
            captured_at: self.captured_at,
            observed_on: self.observed_on,
            location: self.location,
            photos: self.photos.into_owned(),
            deleted: self.deleted,
        })
    }
}

impl WireVersion<'_, &Body> {
    /// SHA-256 of this shape's JSON text.
    fn digest(&self) -> [u8; 32] {
        let mut canonical = Vec::with_capacity(1024);
        serde_json::to_writer(&mut canonical, self).expect("a version always serialises to JSON");
        Sha256::digest(canonical).into()
    }
}

impl Version {
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    /// The local day the thing recorded was observed: what the scorecard and the reports date
    /// it by.
    pub fn observed_date(&self) -> NaiveDate {
        self.observed_on
            .unwrap_or_else(|| crate::time::local_date(&self.captured_at))
    }

    /// Dates the observation (after `captured_at` is set): written out only when it is not the
    /// capture day, so a version observed when it was captured has the shape it always had.
    pub fn set_observed_date(&mut self, day: NaiveDate) {
        self.observed_on = (day != crate::time::local_date(&self.captured_at)).then_some(day);
    }

    /// Whether this version counts for figures as of the end of `as_of`: observed by then.
    /// Assessments state a figure as of their own `as_of`, whenever observed, and always count.
    pub fn counts_on(&self, as_of: NaiveDate) -> bool {
        self.kind() == Kind::Assessment || self.observed_date() <= as_of
    }

    fn to_wire(&self) -> WireVersion<'_, &Body> {
        WireVersion {
            version_id: self.version_id,
            entity_id: self.entity_id,
            parents: Cow::Borrowed(&self.parents),
            kind: self.kind(),
            commune_id: Cow::Borrowed(&self.commune_id),
            village_id: self.village_id.as_ref().map(Cow::Borrowed),
            device_id: self.device_id,
            device_seq: self.device_seq,
            author: self.author.as_deref().map(Cow::Borrowed),
            server_seq: self.server_seq,
            flags: Cow::Borrowed(&self.flags),
            captured_at: self.captured_at,
            observed_on: self.observed_on,
            location: self.location,
            photos: Cow::Borrowed(&self.photos),
            deleted: self.deleted,
            body: &self.body,
        }
    }

    /// Reads a version from any self-describing format (JSON, CBOR) and checks every rule that
    /// needs no context: the errors name the field path and the reason.
    pub fn parse<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, ValidationErrors> {
        let wire: WireVersion<serde_json::Value> =
            serde_path_to_error::deserialize(d).map_err(ValidationErrors::from_serde)?;
        let version = wire.into_version(Body::from_value)?;
        version.validate()?;
        Ok(version)
    }

    /// [`Version::parse`] of an already decoded JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<Self, ValidationErrors> {
        Self::parse(value)
    }

    /// Reads a version's shape (no validation) from JSON text straight into its typed body,
    /// without the `serde_json::Value` tree the other readers go through: several times faster
    /// for a server reading thousands of pushed or stored versions.
    ///
    /// `Some` only when reading the text into a `serde_json::Value` and the version from that
    /// (as [`Version::from_value`] does before it validates) gives this same version; `None`
    /// when this reader cannot vouch for that (not a well-formed version, a field given twice,
    /// fields in array form): the caller then goes through a `Value`, which also says what is
    /// wrong.
    pub fn from_json(text: &str) -> Option<Version> {
        fn typed<T: serde::de::DeserializeOwned>(
            text: &str,
            to_body: fn(T) -> Body,
        ) -> Option<Version> {
            let wire: WireVersion<T> = serde_json::from_str(text).ok()?;
            wire.into_version(|kind, body| {
                let body = to_body(body);
                (body.kind() == kind).then_some(body).ok_or(())
            })
            .ok()
        }
        // The body's type depends on `kind`, which may come after `body`: a first pass finds
        // it, and also reads every token as strictly as a `Value` would (the typed pass skips
        // unknown fields without checking, say, that their numbers are in range).
        let kind = serde_json::from_str::<KindScan>(text).ok()?.0?;
        match kind {
            Kind::Household => typed(text, Body::Household),
            Kind::HouseholdCheck => typed(text, Body::HouseholdCheck),
            Kind::RoadSegment => typed(text, Body::RoadSegment),
            Kind::TrashSign => typed(text, Body::TrashSign),
            Kind::Assessment => typed(text, Body::Assessment),
        }
    }

    /// SHA-256 over the client-written content (everything but `author`, `server_seq` and `flags`), in a
    /// canonical encoding, so that the same `version_id` arriving with another body is detected
    /// as corrupt whatever JSON spacing or number spelling the client used.
    pub fn content_digest(&self) -> [u8; 32] {
        let mut wire = self.to_wire();
        wire.author = None;
        wire.server_seq = None;
        wire.flags = Cow::Borrowed(&[]);
        wire.digest()
    }

    /// [`Version::content_digest`] as if the version carried the nil `device_id` and
    /// `device_seq` 0: the same content whatever device and sequence number carry it.
    pub fn content_digest_without_envelope(&self) -> [u8; 32] {
        let mut wire = self.to_wire();
        wire.author = None;
        wire.server_seq = None;
        wire.flags = Cow::Borrowed(&[]);
        wire.device_id = Uuid::nil();
        wire.device_seq = 0;
        wire.digest()
    }

    /// The JSON text of this version as a server stores it: written by `author`, without
    /// `server_seq` and `flags` (kept beside it).
    pub fn stored_json(&self, author: &str) -> String {
        let mut wire = self.to_wire();
        wire.author = Some(Cow::Borrowed(author));
        wire.server_seq = None;
        wire.flags = Cow::Borrowed(&[]);
        serde_json::to_string(&wire).expect("a version always serialises to JSON")
    }
}

/// The `kind` of a version object, read while every token is checked as strictly as parsing
/// into a `serde_json::Value` would (`None` for anything but an object with one string `kind`).
struct KindScan(Option<Kind>);

impl<'de> Deserialize<'de> for KindScan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Top;
        impl<'de> Visitor<'de> for Top {
            type Value = KindScan;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a version object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KindScan, A::Error> {
                let mut kind = None;
                let mut twice = false;
                while let Some(is_kind) = map.next_key_seed(KeyIsKind)? {
                    if is_kind {
                        twice |= kind.is_some();
                        kind = Some(map.next_value::<Kind>()?);
                    } else {
                        map.next_value_seed(Strict)?;
                    }
                }
                Ok(KindScan(kind.filter(|_| !twice)))
            }
        }
        d.deserialize_map(Top)
    }
}

/// A map key, answering whether it is `kind`.
struct KeyIsKind;

impl<'de> DeserializeSeed<'de> for KeyIsKind {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        struct Key;
        impl<'de> Visitor<'de> for Key {
            type Value = bool;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<bool, E> {
                Ok(key == "kind")
            }
        }
        d.deserialize_str(Key)
    }
}

/// Any JSON value, read and dropped: numbers parsed (so one out of range fails), strings
/// unescaped (so a lone surrogate fails), as deserialising a `serde_json::Value` does.
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Strict)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Strict)?.is_some() {
            map.next_value_seed(Strict)?;
        }
        Ok(())
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_wire().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Version {
    /// Shape only; use [`Version::parse`] for input from outside, which also validates.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = WireVersion::<serde_json::Value>::deserialize(d)?;
        wire.into_version(Body::from_value)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
