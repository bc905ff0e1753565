//! Wire types of the HTTP API v1 (product.md §4 and Appendix A), shared by the server, the
//! phone's sync engine and the tests. Field names are the public contract: add, never rename.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::admin::Commune;
use crate::config::{CommuneConfig, MeasureId};
use crate::ids::Slug;
use crate::record::Version;

/// Path prefix of every API call.
pub const API_V1: &str = "/api/v1";

/// `{"error": {"code", "message", "field"?}}`, plus `expected_seq` on a sequence gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ApiError,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable machine-readable code, e.g. `sequence_gap`, `invalid_token`, `too_large`.
    pub code: String,
    /// What happened and what to do next, for a person.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Who may do what. Devices enroll as enumerator, officer or viewer; admins are users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Officer,
    Enumerator,
    Viewer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/v1/communes`: the commune with its villages.
pub type CreateCommune = Commune;

/// `PUT /api/v1/communes/{id}/targets/{indicator_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetPut {
    pub threshold: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner: Option<f64>,
    pub source: String,
}

/// `PUT /api/v1/communes/{id}/quotas/{village_id}/{measure}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaPut {
    pub target: f64,
    pub since: NaiveDate,
}

/// `POST /api/v1/communes/{id}/enrollments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentRequest {
    pub role: Role,
    pub expires_in_hours: u32,
    /// The person who will use the device; becomes the `author` of what it sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentResponse {
    pub code: String,
    pub expires_at: DateTime<Utc>,
    pub role: Role,
}

/// `POST /api/v1/devices/enroll`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    pub device_name: String,
    pub platform: String,
    /// Chosen by the phone once per enrollment and sent again with every retry of it: the
    /// same code with the same attempt gets the same device back (with a fresh token) when
    /// the first answer was lost. Older phones leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<Uuid>,
}

/// `POST /api/v1/devices/reidentify`: a phone whose database turned out to be a copy (restored
/// from a backup, or copied to a second phone) asks, with its current device token, for a new
/// identity of the same commune, role and holder. The answer is an [`EnrollResponse`]; the old
/// identity keeps working for the other copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReidentifyRequest {
    /// Why, for the server's log (e.g. `sequence_reused`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `format` of a waiting-versions file.
pub const WAITING_BUNDLE_FORMAT: &str = "ntm-field-waiting/1";

/// A file of versions a phone could not send (saved for a commune it is no longer enrolled in,
/// or under an identity the server refuses), imported on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingBundle {
    pub manifest: WaitingManifest,
    pub versions: Vec<Version>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingManifest {
    pub format: String,
    pub exported_at: chrono::DateTime<chrono::FixedOffset>,
    pub communes: Vec<String>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: Uuid,
    pub token: String,
    pub role: Role,
    pub commune: Commune,
}

/// `POST /api/v1/sync/push`. Versions stay undecoded here so that one malformed version is
/// rejected with its own reason while the rest of the batch is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest<V = serde_json::Value> {
    pub device_id: Uuid,
    pub first_seq: u64,
    pub versions: Vec<V>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// Stored by this push (or by an earlier delivery of the same push: the answer repeats).
    Stored,
    /// The server already had this version, sent under another sequence number.
    Duplicate,
    /// Not stored; `reason` says why. Its sequence number is still acknowledged.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResult {
    /// The version's id as sent (it may not even be a UUID when rejected).
    pub version_id: String,
    pub status: PushStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Every `device_seq` up to this one is durably handled; the phone may drop them.
    pub acked_through_seq: u64,
    pub results: Vec<PushResult>,
    /// The commune's latest `server_seq`.
    pub server_head: u64,
}

/// `GET /api/v1/sync/pull?cursor=N&limit=M`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub versions: Vec<Version>,
    pub next_cursor: u64,
    pub up_to_date: bool,
    /// The commune's reference data (villages, targets, quotas, responsibilities), sent when
    /// the client's `config_etag` query parameter differs from `config_etag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<CommuneConfig>,
    pub config_etag: String,
}

/// `GET /api/v1/sync/status`: what the server holds from this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub device_id: Uuid,
    pub commune_id: Slug,
    pub acked_through_seq: u64,
    pub server_head: u64,
    /// The versions asked about (`probe`) that the commune does not hold: a server restored
    /// from a backup lost them, whichever identity of the phone sent them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<Uuid>,
    /// The photo asked about (`photo_probe`, the last one the phone uploaded) is not on the
    /// server: a restore lost photos, and the phone uploads again what the server lacks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub photo_missing: bool,
}

/// At most this many versions are asked about in one `sync/status`.
pub const STATUS_PROBES: usize = 32;

/// A quota as listed by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaView {
    pub village_id: Slug,
    pub measure: MeasureId,
    pub target: f64,
    pub since: NaiveDate,
}

/// `GET /api/v1/communes/{id}` and the answer to `POST /api/v1/communes`: the commune with its
/// villages and everything configured around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommuneDetail {
    #[serde(flatten)]
    pub commune: Commune,
    /// Indicator id -> the province's threshold (shared by every commune of the province).
    #[serde(default)]
    pub province_targets: std::collections::BTreeMap<String, crate::catalog::TargetOverride>,
    /// Indicator id -> the commune's own threshold.
    #[serde(default)]
    pub commune_targets: std::collections::BTreeMap<String, crate::catalog::TargetOverride>,
    #[serde(default)]
    pub quotas: Vec<crate::config::Quota>,
    #[serde(default)]
    pub responsibilities: std::collections::BTreeMap<String, String>,
    /// Changes whenever any of the above changes (the same value `sync/pull` compares).
    pub config_etag: String,
}

/// `POST /api/v1/users` (admin): a dashboard account. Officers and viewers are scoped to one
/// commune (`commune_id`) or, for provincial officials, to a province (`province`), or, for
/// district officials, to a district of a province (`province` and `district`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateUserRequest {
    pub username: String,
    pub password: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune_id: Option<Slug>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

/// A dashboard account as listed (never its password).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub username: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune_id: Option<Slug>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

/// An enrolled device as listed (`GET /api/v1/communes/{id}/devices`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    pub device_id: Uuid,
    pub commune_id: Slug,
    pub role: Role,
    pub device_name: String,
    pub platform: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    pub acked_through_seq: u64,
}

/// `GET /api/v1/communes/{id}/records?kind=&village_id=&since=&until=&limit=&cursor=`: stored
/// versions in server order; pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordsResponse {
    pub records: Vec<Version>,
    /// Absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<u64>,
}

/// What a target or quota `PUT` stored, with the commune's new configuration tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigUpdated {
    pub config_etag: String,
}
