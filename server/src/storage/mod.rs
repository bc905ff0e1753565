//! The server's storage, behind a trait shaped like the sync protocol (`store_versions`,
//! `versions_after`, `device_status`, `commune_facts`, ...) rather than like SQL, so that a
//! PostgreSQL implementation can sit beside [`sqlite::SqliteStorage`]. No rusqlite type crosses
//! this boundary. Every method is blocking: call it from `spawn_blocking`.

pub mod bulk;
mod columns;
mod group_commit;
pub mod heads;
pub mod odk;
pub mod postgres;
pub mod sqlite;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use ntm_field::admin::Commune;
use ntm_field::catalog::TargetOverride;
use ntm_field::config::{CommuneConfig, Quota};
use ntm_field::ids::{PhotoId, Slug};
use ntm_field::protocol::{PushResponse, PushResult, Role};
use ntm_field::record::{Kind, Version};
use ntm_field::scorecard::CommuneFacts;
use uuid::Uuid;

/// Why storage refused or failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A dashboard account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub commune_id: Option<Slug>,
    pub province: Option<String>,
    /// With `province`: a district official, who sees the district's communes.
    pub district: Option<String>,
}

/// An account to create; the password is already hashed (argon2id PHC string).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub commune_id: Option<Slug>,
    pub province: Option<String>,
    /// With `province`: a district official, who sees the district's communes.
    pub district: Option<String>,
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub device_id: Uuid,
    pub commune_id: Slug,
    pub role: Role,
    pub name: String,
    pub platform: String,
    pub holder: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Every `device_seq` up to this one has an answer.
    pub high_water: u64,
}

impl Device {
    /// What the server writes as `author` on this device's versions.
    pub fn author(&self) -> String {
        self.holder.clone().unwrap_or_else(|| self.name.clone())
    }
}

/// A one-time enrollment code to store (hashed).
#[derive(Debug, Clone)]
pub struct NewEnrollment {
    pub code_hash: String,
    pub commune_id: Slug,
    pub role: Role,
    pub holder: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub created_by: String,
}

/// A device to create when a code is redeemed.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub device_id: Uuid,
    pub token_hash: String,
    pub name: String,
    pub platform: String,
    /// The phone's enrollment attempt: redeeming a used code again with the same attempt gets
    /// the same device back with this token (the first answer was lost).
    pub attempt_id: Option<Uuid>,
}

/// Why a code could not be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedeemRefusal {
    Unknown,
    Expired,
    AlreadyUsed,
}

/// One version of a push, after decoding and core validation.
#[derive(Debug, Clone)]
pub enum PushItem {
    /// Passed validation; `digest` identifies its client-written content (see `sync::digest`).
    Valid {
        version: Box<Version>,
        digest: [u8; 32],
    },
    /// Failed; `reason` names the field path and the rule.
    Invalid { version_id: String, reason: String },
}

/// A whole push: items carry dense sequence numbers from `first_seq`.
#[derive(Debug, Clone)]
pub struct PushBatch {
    pub device_id: Uuid,
    pub first_seq: u64,
    pub items: Vec<PushItem>,
    pub received_at: DateTime<Utc>,
    /// Flag versions whose capture time the device's clock got wrong (R5); off for the
    /// server's own seeding of historical records.
    pub check_clocks: bool,
}

/// The answer to a push, decided inside the transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    /// `first_seq` is past the next expected number: nothing was stored.
    Gap {
        expected_seq: u64,
    },
    Done(PushResponse),
    /// A sequence number already answered for another version (a cloned or restored phone
    /// reusing its identity): nothing of the push was stored.
    SequenceReused {
        seq: u64,
    },
}

/// The local date from which a version counts when choosing between the incremental facts and a
/// recompute (`FactsSnapshot::latest_capture`): the day the thing was observed, but never after
/// the day the server received it, so that a phone with its clock years ahead (flagged, R5) or a
/// hostile client does not send every scorecard of the commune to the recompute.
pub fn counted_date(v: &Version, received_at: DateTime<Utc>) -> NaiveDate {
    v.observed_date()
        .min(ntm_field::time::local_date(&received_at.fixed_offset()))
}

/// [`FactsSnapshot::latest_capture`] of stored versions, each with the time it was received:
/// what the pushes moved it to, found again by a recompute.
pub fn latest_capture<'a>(
    stored: impl IntoIterator<Item = (&'a Version, DateTime<Utc>)>,
) -> Option<NaiveDate> {
    stored
        .into_iter()
        .filter(|(v, _)| v.kind() != Kind::Assessment)
        .map(|(v, received_at)| counted_date(v, received_at))
        .max()
}

/// The answer to give again for a sequence number already answered, or `None` when the pushed
/// item is not the version that answer was for (another `version_id`, or the same id with other
/// content): acknowledging it would make a second phone drop a version the server never stored.
/// `recorded_digest` is the stored content's digest when the recorded answer was `stored` or
/// `duplicate` (the version the server holds under that id); a rejected answer has none.
pub fn replayed_answer(
    item: &PushItem,
    recorded: PushResult,
    recorded_digest: Option<&[u8]>,
) -> Option<PushResult> {
    let same = match item {
        PushItem::Valid { version, digest } => {
            recorded.version_id == version.version_id.to_string()
                && recorded_digest.is_none_or(|d| d == &digest[..])
        }
        PushItem::Invalid { version_id, .. } => &recorded.version_id == version_id,
    };
    same.then_some(recorded)
}

/// The stored content one page of versions (a pull, a record listing) carries at most, besides
/// its first version however large: a page of 1,000 roads of 20,000 points each would otherwise
/// be 1.7 GB in memory. The page's cursor and `more`/`up_to_date` stay exact.
pub const PAGE_BYTES: usize = 4 << 20;

/// How many entities one page of [`Storage::for_each_entity`] holds at most (besides at most
/// [`PAGE_BYTES`] of content): a commune's versions are read a page of whole entities at a
/// time, so no request holds a commune's whole history.
pub const ENTITY_PAGE: usize = 256;

/// One page of a commune's versions in server order.
#[derive(Debug, Clone)]
pub struct VersionPage {
    pub versions: Vec<Version>,
    pub next_cursor: u64,
    pub up_to_date: bool,
}

/// Filters of the record listing.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub kind: Option<Kind>,
    pub village_id: Option<Slug>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: u64,
    pub limit: usize,
}

/// The incremental aggregates of a commune.
#[derive(Debug, Clone)]
pub struct FactsSnapshot {
    pub facts: CommuneFacts,
    /// The latest day a non-assessment version was observed, each counted no later than its
    /// receipt ([`counted_date`]): the facts serve any scorecard as of this date or later.
    pub latest_capture: Option<NaiveDate>,
}

/// What every commune's figures are computed from, as of one read: a figure computed when a
/// commune's stamp was the same is still exact (the overview's cache key).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FiguresStamps {
    /// Moves with every change of settings, villages, targets, province sets or mergers.
    pub config: i64,
    /// Per commune with versions: its server head and its facts generation (moved by a
    /// recompute, which may rewrite facts without storing a version).
    pub communes: HashMap<Slug, (u64, u64)>,
}

impl FiguresStamps {
    /// The stamp of a figure that reads the facts of `communes` (one, or a merged commune's
    /// parts).
    pub fn of<'a>(&self, communes: impl IntoIterator<Item = &'a Slug>) -> Vec<(u64, u64)> {
        communes
            .into_iter()
            .map(|c| self.communes.get(c).copied().unwrap_or_default())
            .collect()
    }
}

/// What `recompute` found.
#[derive(Debug, Clone, PartialEq)]
pub struct RecomputeReport {
    pub commune_id: Slug,
    pub versions: usize,
    pub entities: usize,
    /// Entities whose stored fact differed from the recomputed one (rewritten).
    pub differences: usize,
    pub agreed: bool,
}

/// A tus upload in progress (or finished).
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub id: Uuid,
    pub sha256: PhotoId,
    pub length: u64,
    pub offset: u64,
    pub content_type: String,
    /// `device:<uuid>` or `user:<id>`: only its creator may continue it.
    pub owner: String,
    pub expires_at: DateTime<Utc>,
    pub completed: bool,
}

/// The storage of everything the server keeps.
pub trait Storage: Send + Sync + 'static {
    // Communes and their configuration.
    fn create_commune(
        &self,
        commune: &Commune,
        responsibilities: &std::collections::BTreeMap<String, String>,
    ) -> StoreResult<()>;
    fn commune_config(&self, id: &Slug) -> StoreResult<Option<CommuneConfig>>;
    fn list_communes(&self) -> StoreResult<Vec<Commune>>;
    fn put_commune_target(
        &self,
        commune: &Slug,
        indicator_id: &str,
        target: &TargetOverride,
    ) -> StoreResult<()>;
    fn put_province_target(
        &self,
        province: &str,
        indicator_id: &str,
        target: &TargetOverride,
    ) -> StoreResult<()>;
    fn put_quota(&self, commune: &Slug, quota: &Quota) -> StoreResult<()>;

    // Accounts.
    fn create_user(&self, user: &NewUser) -> StoreResult<User>;
    fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    fn list_users(&self) -> StoreResult<Vec<User>>;
    fn set_password(&self, username: &str, password_hash: &str) -> StoreResult<()>;
    fn count_users(&self) -> StoreResult<u64>;
    fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The user of a live session.
    fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<User>>;

    // Enrollment and devices.
    fn create_enrollment(&self, enrollment: &NewEnrollment) -> StoreResult<()>;
    /// Uses a code once, atomically, creating the device.
    fn redeem_enrollment(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
        device: &NewDevice,
    ) -> StoreResult<Result<Device, RedeemRefusal>>;
    fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<Device>>;
    /// A new identity (`device`'s id and token, holding nothing yet) for the phone of `old`,
    /// whose database turned out to be a copy: the same commune, role, holder and name. `old`
    /// keeps working for the other copy. `None` when `old` is unknown or revoked.
    fn reidentify_device(
        &self,
        old: Uuid,
        device: &NewDevice,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Device>>;
    fn device(&self, device_id: Uuid) -> StoreResult<Option<Device>>;
    fn list_devices(&self, commune: &Slug) -> StoreResult<Vec<Device>>;
    fn revoke_device(&self, device_id: Uuid, now: DateTime<Utc>) -> StoreResult<()>;
    /// Moves a device of commune `from` into `to` (the commune `from` merged into); nothing
    /// when it is not in `from` any more.
    fn move_device(&self, device_id: Uuid, from: &Slug, to: &Slug) -> StoreResult<()>;
    /// Registers a device that writes without a token (the server's own demo seeding).
    fn ensure_seed_device(
        &self,
        device_id: Uuid,
        commune: &Slug,
        name: &str,
    ) -> StoreResult<Device>;

    // Sync.
    /// Stores a push in one transaction (insert-ignore on `version_id`, outcomes per
    /// `(device_id, device_seq)`, high-water mark, facts) and answers only after COMMIT.
    fn store_versions(&self, batch: &PushBatch) -> StoreResult<PushOutcome>;
    /// The versions of `communes` (a commune, and the ones a merger made it from) after
    /// `cursor`, in server order.
    fn versions_after(
        &self,
        communes: &[Slug],
        cursor: u64,
        limit: usize,
    ) -> StoreResult<VersionPage>;
    /// `(acked_through_seq, server_head)` of a device.
    fn device_status(&self, device_id: Uuid) -> StoreResult<Option<(u64, u64)>>;
    fn server_head(&self, commune: &Slug) -> StoreResult<u64>;
    /// Which of `ids` the commune holds.
    fn versions_held(&self, commune: &Slug, ids: &[Uuid]) -> StoreResult<BTreeSet<Uuid>>;
    fn list_records(
        &self,
        commune: &Slug,
        filter: &RecordFilter,
    ) -> StoreResult<(Vec<Version>, Option<u64>)>;
    /// Every version of a commune (for a scorecard as of a past date).
    fn commune_versions(&self, commune: &Slug) -> StoreResult<Vec<Version>>;
    /// Visits a commune's versions a page of at most `entities` whole entities and
    /// [`PAGE_BYTES`] of content (past its first entity) at a time (every version of an entity
    /// in the same page, in `entity_id` order), so that a caller keeping
    /// only what it needs of each page holds one page in memory, not the commune's history.
    /// Each page is its own read: an entity written meanwhile is seen before or after the write.
    fn for_each_entity(
        &self,
        commune: &Slug,
        entities: usize,
        visit: &mut dyn FnMut(&[Version]) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// Every version of one entity of a commune, in server order.
    fn entity_versions(&self, commune: &Slug, entity: Uuid) -> StoreResult<Vec<Version>>;

    // Aggregates.
    fn commune_facts(&self, commune: &Slug) -> StoreResult<FactsSnapshot>;
    /// Every commune's stamp at once, so a page of thousands of communes checks its cache in
    /// one read.
    fn figures_stamps(&self) -> StoreResult<FiguresStamps>;
    /// Recomputes a commune's facts from its versions with the core, compares them with the
    /// incremental ones, and rewrites any that differ.
    fn recompute(&self, commune: &Slug) -> StoreResult<RecomputeReport>;

    // Photos.
    fn photo_exists(&self, photo: &PhotoId) -> StoreResult<Option<(u64, String)>>;
    /// Communes whose versions reference the photo.
    fn photo_communes(&self, photo: &PhotoId) -> StoreResult<Vec<Slug>>;
    fn insert_photo(
        &self,
        photo: &PhotoId,
        length: u64,
        content_type: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    fn create_upload(&self, upload: &Upload) -> StoreResult<()>;
    fn upload(&self, id: Uuid) -> StoreResult<Option<Upload>>;
    fn set_upload_offset(
        &self,
        id: Uuid,
        offset: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Records the upload's photo (its id, length and type) and marks the upload complete, in
    /// one transaction: an upload is never complete without its photo, nor the other way round.
    fn complete_upload(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<()>;
    fn delete_upload(&self, id: Uuid) -> StoreResult<()>;
    /// Uploads past their expiry, to be removed with their partial files.
    fn expired_uploads(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>>;
    fn unfinished_uploads(&self) -> StoreResult<Vec<Upload>>;
    // The dashboard's own needs (server/src/dashboard).
    /// Ends a session (logout, or the previous session of a browser that logs in again).
    fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Sets (or, with an empty text, removes) the people responsible for a criterion or indicator.
    fn put_responsibility(&self, commune: &Slug, key: &str, people: &str) -> StoreResult<()>;
    /// Removes a commune's own threshold, so the province's, region's or national one applies again.
    fn delete_commune_target(&self, commune: &Slug, indicator_id: &str) -> StoreResult<()>;
    /// Renames a village, or adds it at the end of the commune's list.
    fn put_village(&self, commune: &Slug, village: &ntm_field::admin::Village) -> StoreResult<()>;

    // OpenRosa submissions (ODK Collect, KoboCollect: `crate::odk`, `odk`).
    /// A recorded submission by its instanceID.
    fn odk_submission(&self, instance_id: &str) -> StoreResult<Option<odk::Submission>>;
    /// Records one POST of a submission ([`odk::merge_post`]) and, once every file it names is
    /// in, stores its versions as a push of its device with the device's next sequence numbers,
    /// taken under the device's lock so two POSTs (even on two servers) never share one. Answers
    /// after COMMIT.
    fn receive_odk_submission(
        &self,
        post: &odk::SubmissionPost,
    ) -> StoreResult<odk::SubmissionOutcome>;
    /// The OpenRosa forms a commune turned off (form ids).
    fn odk_forms_off(&self, commune: &Slug) -> StoreResult<std::collections::BTreeSet<String>>;
    /// Turns one of a commune's OpenRosa forms on or off.
    fn set_odk_form(&self, commune: &Slug, form_id: &str, on: bool) -> StoreResult<()>;

    // Criteria editions (`ntm_field::catalog::edition`, `province`).
    /// Sets a commune's open dossier and its dated region and group.
    fn put_edition_settings(
        &self,
        commune: &Slug,
        settings: &ntm_field::catalog::edition::EditionSettings,
    ) -> StoreResult<()>;
    /// Loads a checked province set; a version already loaded is `AlreadyExists`.
    fn put_province_set(
        &self,
        set: &ntm_field::catalog::province::ProvinceSet,
        loaded_by: &str,
    ) -> StoreResult<()>;

    // Communes that merge or split (`ntm_field::merger`).
    /// Every merger recorded, oldest first.
    fn mergers(&self) -> StoreResult<Vec<ntm_field::merger::Merger>>;
    /// Records a merger already checked with the core, and dates the communes it concerns (the
    /// new one from the merger date, the old ones that go in whole until it); a second merger
    /// into the same commune is `AlreadyExists`. No version is moved or rewritten.
    fn record_merger(
        &self,
        merger: &ntm_field::merger::Merger,
        recorded_by: &str,
    ) -> StoreResult<()>;
}

#[cfg(test)]
mod tests;
