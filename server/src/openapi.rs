//! The OpenAPI 3 description of the API, generated from the handlers' `#[utoipa::path]`
//! attributes, served at `/api/openapi.json`.
//!
//! The wire types live in the core crate, which stays free of server-only dependencies, so their
//! schemas are written here, in [`schemas`], field for field as they serialise (Appendix A of
//! product.md). `./dev test` runs schemathesis against a real server with this document
//! (tests/schemathesis/run.py): a field or status the server answers with and this document
//! does not declare fails the test, which keeps the two in step.

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::handlers::{self, v1};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ntm-field sync server",
        description = "Offline-first field data for Vietnam's New Rural Development program: accounts, communes, device enrollment, sync push/pull, photos by tus 1.0, scorecard. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`."
    ),
    paths(
        handlers::healthz,
        v1::accounts::login,
        v1::accounts::create_user,
        v1::accounts::list_users,
        v1::communes::create_commune,
        v1::communes::list_communes,
        v1::communes::get_commune,
        v1::communes::put_commune_target,
        v1::communes::put_province_target,
        v1::editions::put_editions,
        v1::editions::post_province_set,
        v1::editions::get_template,
        v1::mergers::post_merger,
        v1::mergers::list_mergers,
        v1::communes::put_quota,
        v1::communes::create_enrollment,
        v1::communes::list_devices,
        v1::devices::enroll,
        v1::devices::reidentify,
        v1::devices::revoke,
        v1::sync::push,
        v1::sync::pull,
        v1::sync::status,
        v1::reports::get_scorecard,
        v1::reports::list_records,
        v1::blobs::options,
        v1::blobs::create,
        v1::blobs::head,
        v1::blobs::patch,
        v1::blobs::terminate,
        v1::blobs::get_photo,
        crate::reports::export_xlsx,
        crate::reports::export_csv,
        crate::reports::export_geojson,
    ),
    components(schemas(schemas::ErrorBody)),
    modifiers(&BearerToken, &SharedErrors)
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The errors that come from the machinery every handler shares rather than from the handler
/// itself, declared on each operation they can reach: 401 from the auth extractors, 403 and 404
/// from [`crate::auth::authorize`] on a commune's paths, 408 from the router's request timeout
/// (a photo PATCH has its own idle timeout instead), for a JSON body 400, 413 and 415 from
/// [`crate::body::ApiBody`], and 400 for a malformed id in the path. The handlers declare their
/// own errors; every error carries the one JSON error body.
struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                (&mut item.get, false),
                (&mut item.put, false),
                (&mut item.post, false),
                (&mut item.delete, false),
                (&mut item.options, false),
                (&mut item.head, false),
                (&mut item.patch, true),
            ];
            for (operation, is_patch) in operations {
                let Some(op) = operation.as_mut() else {
                    continue;
                };
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                if secured {
                    add_error(op, 401, "no token, or an unknown, expired or revoked one");
                }
                if secured && path.starts_with("/api/v1/communes/{id}") {
                    add_error(op, 403, "outside the caller's scope or role");
                    add_error(op, 404, "no such commune (administrators)");
                }
                if !is_patch {
                    add_error(op, 408, "the request took longer than the server allows");
                }
                let json_body = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                if json_body {
                    add_error(op, 400, "the body is not the declared JSON");
                    add_error(op, 413, "the body is larger than the server accepts");
                    add_error(
                        op,
                        415,
                        "the body's Content-Type or Content-Encoding is not accepted",
                    );
                }
                if path.contains('{') && !path.starts_with("/api/v1/blobs/uploads/") {
                    add_error(op, 400, "an id in the path is malformed");
                }
                let declared_errors: Vec<u16> = op
                    .responses
                    .responses
                    .keys()
                    .filter_map(|k| k.parse().ok())
                    .filter(|s| *s >= 400)
                    .collect();
                for status in declared_errors {
                    add_error(op, status, "");
                }
            }
        }
    }
}

/// Declares `status` with the JSON error body; a status the handler declared keeps its
/// description and gets the body.
fn add_error(op: &mut Operation, status: u16, description: &str) {
    let body = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build()
    };
    let key = status.to_string();
    match op.responses.responses.get_mut(&key) {
        Some(RefOr::T(declared)) => {
            declared.content.clear();
            declared
                .content
                .insert("application/json".to_owned(), body());
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", body())
                .build();
            op.responses.responses.insert(key, response.into());
        }
    }
}

/// `GET /api/openapi.json` (no token: it describes, it holds no data).
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Schemas of the wire types of `ntm_field::protocol` and friends, as they serialise. Only the
/// OpenAPI document uses them.
pub mod schemas {
    use utoipa::ToSchema;

    /// `{"error": {"code", "message", "field"?}}`, plus `expected_seq` on a sequence gap.
    #[derive(ToSchema)]
    pub struct ErrorBody {
        pub error: ErrorDetail,
        /// On `409 sequence_gap`: the `device_seq` the server expects next.
        #[schema(minimum = 0)]
        pub expected_seq: Option<u64>,
    }

    #[derive(ToSchema)]
    pub struct ErrorDetail {
        /// A stable machine-readable code, e.g. `sequence_gap`, `too_large`.
        pub code: String,
        /// What happened and what to do next, for a person.
        pub message: String,
        /// The field at fault, e.g. `versions[3].device_seq`.
        pub field: Option<String>,
    }

    /// `{"status": "ok"}`.
    #[derive(ToSchema)]
    pub struct Health {
        pub status: String,
    }

    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum Role {
        Admin,
        Officer,
        Enumerator,
        Viewer,
    }

    #[derive(ToSchema)]
    #[schema(rename_all = "UPPERCASE")]
    pub enum Region {
        Tdmnpb,
        Dbsh,
        Btb,
        Dhntb,
        Tn,
        Dnb,
        Dbscl,
    }

    #[derive(ToSchema)]
    pub struct LoginRequest {
        pub username: String,
        pub password: String,
    }

    #[derive(ToSchema)]
    pub struct LoginResponse {
        /// The bearer token (`Authorization: Bearer <token>`).
        pub token: String,
        #[schema(format = DateTime)]
        pub expires_at: String,
    }

    /// Officers and viewers are scoped to one commune (`commune_id`) or to a province.
    #[derive(ToSchema)]
    pub struct CreateUserRequest {
        #[schema(min_length = 1, max_length = 64)]
        pub username: String,
        #[schema(min_length = 8)]
        pub password: String,
        pub role: Role,
        #[schema(pattern = "^[a-z0-9-]{1,64}$")]
        pub commune_id: Option<String>,
        pub province: Option<String>,
        /// Refused (400 `district_abolished`): districts were abolished on 01/7/2025.
        #[schema(min_length = 1, max_length = 200)]
        pub district: Option<String>,
    }

    /// An account as listed (never its password).
    #[derive(ToSchema)]
    pub struct UserView {
        pub username: String,
        pub role: Role,
        pub commune_id: Option<String>,
        pub province: Option<String>,
        /// An account of a former district (before 01/7/2025): it sees that district's communes.
        pub district: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct Village {
        #[schema(pattern = "^[a-z0-9-]{1,64}$")]
        pub id: String,
        #[schema(min_length = 1, max_length = 200)]
        pub name: String,
    }

    /// A commune and its villages.
    #[derive(ToSchema)]
    pub struct Commune {
        #[schema(pattern = "^[a-z0-9-]{1,64}$")]
        pub id: String,
        #[schema(min_length = 1, max_length = 200)]
        pub name: String,
        #[schema(min_length = 1, max_length = 200)]
        pub province: String,
        /// Vietnam abolished districts in 2025; older plans still name one.
        pub district: Option<String>,
        pub region: Region,
        #[schema(min_items = 1, max_items = 500)]
        pub villages: Vec<Village>,
        /// The official code of the administrative unit (digits).
        #[schema(pattern = "^[0-9]{1,10}$")]
        pub code: Option<String>,
        /// The first day the commune exists (set by a merger that makes it).
        #[schema(format = Date)]
        pub valid_from: Option<String>,
        /// The first day it no longer exists (set by a merger it goes into whole).
        #[schema(format = Date)]
        pub valid_until: Option<String>,
    }

    /// A threshold set by the province or the commune, with its source.
    #[derive(ToSchema)]
    pub struct TargetOverride {
        pub threshold: f64,
        pub inner: Option<f64>,
        pub source: String,
        /// `confirmed` | `unconfirmed`
        pub confidence: String,
    }

    #[derive(ToSchema)]
    pub struct Quota {
        /// `signs_placed` | `field_road_km` | `village_road_km` | `alley_km` |
        /// `commune_road_km` | `households_checked`
        pub measure: String,
        pub village_id: String,
        pub target: f64,
        #[schema(format = Date)]
        pub since: String,
    }

    /// The commune with its villages and everything configured around it (the commune's
    /// fields are inline).
    #[derive(ToSchema)]
    pub struct CommuneDetail {
        pub id: String,
        pub name: String,
        pub province: String,
        pub district: Option<String>,
        pub region: Region,
        pub villages: Vec<Village>,
        pub code: Option<String>,
        #[schema(format = Date)]
        pub valid_from: Option<String>,
        #[schema(format = Date)]
        pub valid_until: Option<String>,
        /// Indicator id -> the province's threshold.
        pub province_targets: std::collections::BTreeMap<String, TargetOverride>,
        /// Indicator id -> the commune's own threshold.
        pub commune_targets: std::collections::BTreeMap<String, TargetOverride>,
        pub quotas: Vec<Quota>,
        pub responsibilities: std::collections::BTreeMap<String, String>,
        /// Changes whenever any of the above changes.
        pub config_etag: String,
    }

    /// A commune's reference data as `sync/pull` sends it.
    #[derive(ToSchema)]
    pub struct CommuneConfig {
        pub commune: Commune,
        pub province_targets: std::collections::BTreeMap<String, TargetOverride>,
        pub commune_targets: std::collections::BTreeMap<String, TargetOverride>,
        pub quotas: Vec<Quota>,
        pub responsibilities: std::collections::BTreeMap<String, String>,
        /// The old communes a merger made this commune from: their records in its villages are
        /// its too (a device of it pulls, edits and sends them).
        pub merged_from: Option<Vec<String>>,
    }

    #[derive(ToSchema)]
    pub struct TargetPut {
        #[schema(minimum = 0)]
        pub threshold: f64,
        /// For `pct_min_nested` indicators: the nested share (0 to 100).
        #[schema(minimum = 0, maximum = 100)]
        pub inner: Option<f64>,
        /// The decision the threshold comes from.
        #[schema(min_length = 1, max_length = 500)]
        pub source: String,
    }

    #[derive(ToSchema)]
    pub struct QuotaPut {
        #[schema(minimum = 0, maximum = 1000000)]
        pub target: f64,
        #[schema(format = Date)]
        pub since: String,
    }

    #[derive(ToSchema)]
    pub struct ConfigUpdated {
        pub config_etag: String,
    }

    #[derive(ToSchema)]
    pub struct EnrollmentRequest {
        /// enumerator, officer or viewer
        pub role: Role,
        #[schema(minimum = 1, maximum = 720)]
        pub expires_in_hours: u32,
        /// The person who will use the device.
        #[schema(min_length = 1, max_length = 200)]
        pub holder: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct EnrollmentResponse {
        /// 12 characters in groups of 4, e.g. `ABCD-EFGH-JKLM`.
        pub code: String,
        #[schema(format = DateTime)]
        pub expires_at: String,
        pub role: Role,
    }

    #[derive(ToSchema)]
    pub struct EnrollRequest {
        pub code: String,
        #[schema(min_length = 1, max_length = 100)]
        pub device_name: String,
        #[schema(min_length = 1, max_length = 100)]
        pub platform: String,
        /// Chosen by the phone once per enrollment and sent with every retry: the same code
        /// with the same attempt gets the same device back (with a fresh token).
        #[schema(format = "uuid")]
        pub attempt_id: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct ReidentifyRequest {
        /// Why, for the server's log (e.g. `sequence_reused`).
        #[schema(max_length = 100)]
        pub reason: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct EnrollResponse {
        #[schema(format = "uuid")]
        pub device_id: String,
        /// The device's bearer token.
        pub token: String,
        pub role: Role,
        pub commune: Commune,
    }

    #[derive(ToSchema)]
    pub struct DeviceView {
        #[schema(format = "uuid")]
        pub device_id: String,
        pub commune_id: String,
        pub role: Role,
        pub device_name: String,
        pub platform: String,
        pub holder: Option<String>,
        #[schema(format = DateTime)]
        pub enrolled_at: String,
        #[schema(format = DateTime)]
        pub revoked_at: Option<String>,
        #[schema(minimum = 0)]
        pub acked_through_seq: u64,
    }

    /// `{lat, lon, accuracy_m, altitude_m?, fix_at, source}`.
    #[derive(ToSchema)]
    pub struct Location {
        pub lat: f64,
        pub lon: f64,
        pub accuracy_m: f64,
        pub altitude_m: Option<f64>,
        #[schema(format = DateTime)]
        pub fix_at: String,
        /// `gps` | `network` | `manual`
        pub source: String,
    }

    /// One immutable version of an entity (Appendix A). `author`, `server_seq` and `flags` are
    /// set by the server; `body` depends on `kind`.
    #[derive(ToSchema)]
    pub struct Version {
        #[schema(format = "uuid")]
        pub version_id: String,
        #[schema(format = "uuid")]
        pub entity_id: String,
        pub parents: Vec<String>,
        /// `household` | `household_check` | `road_segment` | `trash_sign` | `assessment`
        pub kind: String,
        pub commune_id: String,
        pub village_id: Option<String>,
        #[schema(format = "uuid")]
        pub device_id: String,
        #[schema(minimum = 0)]
        pub device_seq: u64,
        pub author: Option<String>,
        #[schema(minimum = 0)]
        pub server_seq: Option<u64>,
        /// `clock_ahead` | `clock_far_behind` | `clock_went_back`
        pub flags: Option<Vec<String>>,
        /// When this version was written.
        #[schema(format = DateTime)]
        pub captured_at: String,
        /// The local day the thing recorded was observed, when it is not the day of
        /// `captured_at` (an edit or a resolution written later keeps the day of the record it
        /// replaces); absent means that day. Scorecards and period reports count by it.
        #[schema(format = Date)]
        pub observed_on: Option<String>,
        pub location: Option<Location>,
        /// SHA-256 of each photo, 64 lowercase hex characters.
        pub photos: Vec<String>,
        pub deleted: bool,
        #[schema(value_type = Object)]
        pub body: serde_json::Value,
    }

    /// A batch of versions with dense device sequence numbers. Each version is checked on its
    /// own: one that does not parse is rejected with its reason and the rest are stored.
    #[derive(ToSchema)]
    pub struct PushRequest {
        #[schema(format = "uuid")]
        pub device_id: String,
        #[schema(minimum = 1)]
        pub first_seq: u64,
        #[schema(value_type = Vec<Object>)]
        pub versions: Vec<serde_json::Value>,
    }

    #[derive(ToSchema)]
    pub struct PushResult {
        /// The version's id as sent.
        pub version_id: String,
        /// `stored` | `duplicate` | `rejected`
        pub status: String,
        pub reason: Option<String>,
    }

    #[derive(ToSchema)]
    pub struct PushResponse {
        #[schema(minimum = 0)]
        pub acked_through_seq: u64,
        pub results: Vec<PushResult>,
        #[schema(minimum = 0)]
        pub server_head: u64,
        /// The probed versions (UUIDs) the commune does not hold (left out when none).
        pub missing: Option<Vec<String>>,
        /// The probed photo is not on the server (left out when it is, or none was asked).
        pub photo_missing: Option<bool>,
    }

    #[derive(ToSchema)]
    pub struct PullResponse {
        pub versions: Vec<Version>,
        #[schema(minimum = 0)]
        pub next_cursor: u64,
        pub up_to_date: bool,
        /// Sent when the `config_etag` query parameter differs from `config_etag`.
        pub config: Option<CommuneConfig>,
        pub config_etag: String,
    }

    #[derive(ToSchema)]
    pub struct StatusResponse {
        #[schema(format = "uuid")]
        pub device_id: String,
        pub commune_id: String,
        #[schema(minimum = 0)]
        pub acked_through_seq: u64,
        #[schema(minimum = 0)]
        pub server_head: u64,
    }

    #[derive(ToSchema)]
    pub struct RecordsResponse {
        pub records: Vec<Version>,
        /// Absent on the last page.
        #[schema(minimum = 0)]
        pub next_cursor: Option<u64>,
    }

    #[derive(ToSchema)]
    pub struct Coverage {
        #[schema(minimum = 0)]
        pub checked: u64,
        #[schema(minimum = 0)]
        pub registered: u64,
    }

    #[derive(ToSchema)]
    pub struct VillageScore {
        pub village_id: String,
        pub numerator: Option<f64>,
        pub denominator: Option<f64>,
        pub value: Option<f64>,
        pub met: Option<bool>,
        /// Present (true) when the village's figure is a share above 100 % or of no known total.
        pub needs_baseline: Option<bool>,
    }

    /// One indicator of the scorecard (Appendix A).
    #[derive(ToSchema)]
    pub struct IndicatorScore {
        /// e.g. `2.4`
        pub id: String,
        pub name_vi: String,
        pub name_en: String,
        /// `bool` | `pct_min` | `pct_max` | `value_min` | `none` | `pct_min_nested`
        #[schema(rename = "type")]
        pub indicator_type: String,
        pub unit: String,
        pub numerator: Option<f64>,
        pub denominator: Option<f64>,
        /// Percent (0–100) for percentage indicators, else the amount in `unit`.
        pub value: Option<f64>,
        pub threshold: Option<f64>,
        /// `commune` | `province` | `region` | `national`
        pub threshold_source: Option<String>,
        pub met: Option<bool>,
        /// What is still missing, in `gap_unit`; 0 when met.
        pub gap: Option<f64>,
        pub gap_unit: Option<String>,
        pub coverage: Option<Coverage>,
        #[schema(minimum = 0)]
        pub conflicts: u64,
        pub villages: Vec<VillageScore>,
        /// Present (true) when roads were upgraded where no baseline gives the network's length:
        /// the figure would be a share above 100 %, so it has no value until an assessment gives one.
        pub needs_baseline: Option<bool>,
        /// Present (true) on a commune made by a merger that has not assessed a yes/no
        /// indicator (or one whose parts' figures are no ratio) itself: the parts' verdicts are
        /// not carried over.
        pub needs_new_assessment: Option<bool>,
    }

    #[derive(ToSchema)]
    pub struct CriterionScore {
        pub id: String,
        pub name_vi: String,
        pub name_en: String,
        /// Null while some indicator is unknown.
        pub met: Option<bool>,
        pub responsible: Option<String>,
        pub indicators: Vec<IndicatorScore>,
    }

    #[derive(ToSchema)]
    pub struct VillageMeasure {
        pub village_id: String,
        pub value: f64,
        pub quota: Option<f64>,
    }

    /// An activity measure against the village quotas.
    #[derive(ToSchema)]
    pub struct MeasureScore {
        pub id: String,
        pub value: f64,
        pub quota: Option<f64>,
        pub villages: Vec<VillageMeasure>,
    }

    /// The criteria edition a scorecard is under ("N/19" under 1980 and 318, "N/10" under
    /// 51/2025), why it applies, and the region or group column read.
    #[derive(ToSchema)]
    pub struct EditionRef {
        /// `ntm-2016`, `ntm-2021` or `ntm-2026`.
        pub key: String,
        pub decision: String,
        pub period: String,
        #[schema(minimum = 0)]
        pub criteria_total: u64,
        /// `{"by": "in_force"}`, `{"by": "open_dossier", "dossier": ...}` or `{"by": "given"}`.
        pub chosen: Option<serde_json::Value>,
        /// `{"region": "TDMNPB"}` or `{"group": "G1"}`.
        pub column: Option<serde_json::Value>,
        pub column_source: String,
        /// Scored under an edition whose period has ended because none later was in force yet.
        pub outside_its_period: bool,
    }

    /// A commune's standing on an edition's criteria as of a date.
    #[derive(ToSchema)]
    pub struct Scorecard {
        pub commune_id: String,
        #[schema(format = Date)]
        pub as_of: String,
        pub edition: EditionRef,
        #[schema(minimum = 0)]
        pub criteria_met: u64,
        #[schema(minimum = 0)]
        pub criteria_total: u64,
        pub criteria: Vec<CriterionScore>,
        pub measures: Vec<MeasureScore>,
        #[schema(minimum = 0)]
        pub conflicts: u64,
        /// Present when a merger or a split concerns the commune.
        pub lineage: Option<Lineage>,
    }

    /// What a merger or a split means for a scorecard: `merged_from` (a commune made by a
    /// merger; `sum_of_parts` before its date), `merged_into` (the figures are the last, the day
    /// before the date), `gave_away` (a split commune continues without those villages).
    #[derive(ToSchema)]
    pub struct Lineage {
        /// `merged_from` | `merged_into` | `gave_away`
        pub kind: String,
        #[schema(format = Date)]
        pub date: Option<String>,
        pub legal_basis: Option<String>,
        /// `merged_from`: the old communes.
        pub parts: Option<Vec<String>>,
        /// `merged_from`: the date is before the merger, every figure is the sum of the parts.
        pub sum_of_parts: Option<bool>,
        /// `merged_into`: the new commune.
        pub commune: Option<String>,
        /// `gave_away`: the villages given, to which commune, when.
        pub gave_away: Option<Vec<GaveAway>>,
    }

    #[derive(ToSchema)]
    pub struct GaveAway {
        pub to: String,
        #[schema(format = Date)]
        pub date: String,
        pub legal_basis: String,
        pub villages: Vec<String>,
    }

    /// A merger, or a split that moves some villages, into a new commune from `date`.
    #[derive(ToSchema)]
    pub struct Merger {
        /// The first day the new commune exists.
        #[schema(format = Date)]
        pub date: String,
        /// The act that decides it (number and date).
        #[schema(min_length = 1, max_length = 500)]
        pub legal_basis: String,
        /// The new commune, created beforehand with every village it receives.
        #[schema(pattern = "^[a-z0-9-]{1,64}$")]
        pub commune: String,
        #[schema(min_items = 1, max_items = 50)]
        pub parts: Vec<MergerPart>,
    }

    #[derive(ToSchema)]
    pub struct MergerPart {
        #[schema(pattern = "^[a-z0-9-]{1,64}$")]
        pub commune: String,
        /// For a split, the villages it gives; absent when the commune goes in whole.
        #[schema(min_items = 1)]
        pub villages: Option<Vec<String>>,
    }
}
