//! Records: every write is an immutable **version** of an **entity** (product.md §3, Appendix A).
//!
//! `body.rs` holds the five kinds' bodies and their domain verdicts, `validate.rs` the rules a
//! version must pass on the phone and on the server alike.

mod body;
mod validate;

pub use body::*;
pub use validate::{FieldError, ValidationErrors, MAX_PARENTS, MAX_PHOTOS, MAX_TRACK_POINTS};

use chrono::{DateTime, FixedOffset};
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
    pub captured_at: DateTime<FixedOffset>,
    pub location: Option<Location>,
    pub photos: Vec<PhotoId>,
    /// A tombstone: the entity is deleted as of this version.
    pub deleted: bool,
    pub body: Body,
}

/// The exact wire shape; `body` is kept generic so the kind can pick its type.
#[derive(Serialize, Deserialize)]
struct WireVersion<B> {
    version_id: Uuid,
    entity_id: Uuid,
    #[serde(default)]
    parents: Vec<Uuid>,
    kind: Kind,
    commune_id: Slug,
    #[serde(default)]
    village_id: Option<Slug>,
    device_id: Uuid,
    device_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    flags: Vec<VersionFlag>,
    captured_at: DateTime<FixedOffset>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    photos: Vec<PhotoId>,
    #[serde(default)]
    deleted: bool,
    body: B,
}

impl Version {
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    fn to_wire(&self) -> WireVersion<&Body> {
        WireVersion {
            version_id: self.version_id,
            entity_id: self.entity_id,
            parents: self.parents.clone(),
            kind: self.kind(),
            commune_id: self.commune_id.clone(),
            village_id: self.village_id.clone(),
            device_id: self.device_id,
            device_seq: self.device_seq,
            author: self.author.clone(),
            server_seq: self.server_seq,
            flags: self.flags.clone(),
            captured_at: self.captured_at,
            location: self.location,
            photos: self.photos.clone(),
            deleted: self.deleted,
            body: &self.body,
        }
    }

    fn from_wire(w: WireVersion<serde_json::Value>) -> Result<Self, ValidationErrors> {
        let body = Body::from_value(w.kind, w.body)?;
        Ok(Version {
            version_id: w.version_id,
            entity_id: w.entity_id,
            parents: w.parents,
            village_id: w.village_id,
            commune_id: w.commune_id,
            device_id: w.device_id,
            device_seq: w.device_seq,
            author: w.author,
            server_seq: w.server_seq,
            flags: w.flags,
            captured_at: w.captured_at,
            location: w.location,
            photos: w.photos,
            deleted: w.deleted,
            body,
        })
    }

    /// Reads a version from any self-describing format (JSON, CBOR) and checks every rule that
    /// needs no context: the errors name the field path and the reason.
    pub fn parse<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, ValidationErrors> {
        let wire: WireVersion<serde_json::Value> =
            serde_path_to_error::deserialize(d).map_err(ValidationErrors::from_serde)?;
        let version = Self::from_wire(wire)?;
        version.validate()?;
        Ok(version)
    }

    /// [`Version::parse`] of an already decoded JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<Self, ValidationErrors> {
        Self::parse(value)
    }

    /// SHA-256 over the client-written content (everything but `author`, `server_seq` and `flags`), in a
    /// canonical encoding, so that the same `version_id` arriving with another body is detected
    /// as corrupt whatever JSON spacing or number spelling the client used.
    pub fn content_digest(&self) -> [u8; 32] {
        let mut wire = self.to_wire();
        wire.author = None;
        wire.server_seq = None;
        wire.flags = Vec::new();
        let canonical = serde_json::to_vec(&wire).expect("a version always serialises to JSON");
        Sha256::digest(canonical).into()
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
        Self::from_wire(wire).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
