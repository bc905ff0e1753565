//! Records the dashboard writes (imported households, conflict merges) go through the same
//! `Storage::store_versions` as a phone's push, so they are validated by the core, stored with
//! insert-ignore and update the incremental facts in the same transaction.
//!
//! Each dashboard user writes as a server-side device of their own in each commune (platform
//! `server`, no token), so `author` is the user's name and sequence numbers stay dense.

use chrono::{FixedOffset, Utc};
use ntm_field::catalog::Catalog;
use ntm_field::config::CommuneConfig;
use ntm_field::protocol::{PushResult, PushStatus};
use ntm_field::record::Version;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::storage::{PushBatch, PushItem, PushOutcome, Storage, User};
use crate::sync::digest;

/// The device id a user writes with in a commune: stable, derived from both.
pub fn device_id(user: &User, commune: &CommuneConfig) -> Uuid {
    let digest = Sha256::digest(
        format!(
            "ntm-dashboard\0{}\0{}",
            user.id,
            commune.commune.id.as_str()
        )
        .as_bytes(),
    );
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Now, in Vietnam time, as devices write it.
pub fn now_local() -> chrono::DateTime<FixedOffset> {
    Utc::now().with_timezone(&FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset"))
}

/// A new version written by `user` from the dashboard (device fields are set by [`store`]).
pub fn new_version(
    commune: &CommuneConfig,
    entity_id: Uuid,
    parents: Vec<Uuid>,
    body: ntm_field::record::Body,
) -> Version {
    Version {
        version_id: Uuid::now_v7(),
        entity_id,
        parents,
        village_id: None,
        commune_id: commune.commune.id.clone(),
        device_id: Uuid::nil(),
        device_seq: 0,
        author: None,
        server_seq: None,
        flags: Vec::new(),
        captured_at: now_local(),
        observed_on: None,
        location: None,
        photos: Vec::new(),
        deleted: false,
        body,
    }
}

/// The ids of a household registered from the dashboard, derived from its commune and code:
/// two imports of the same line (two officers, a double submit, two servers) write the same
/// version id, which the database stores once. The version id is a UUIDv7 (the core requires
/// one) of a fixed time, so it sorts before any edit made on a phone.
pub fn registration_ids(commune: &CommuneConfig, code: &str) -> (Uuid, Uuid) {
    let digest = Sha256::digest(
        format!("ntm-household\0{}\0{code}", commune.commune.id.as_str()).as_bytes(),
    );
    let mut entity = [0u8; 16];
    entity.copy_from_slice(&digest[..16]);
    let mut rest = [0u8; 10];
    rest.copy_from_slice(&digest[16..26]);
    // 2020-01-01T00:00:00Z.
    const FIXED_MS: u64 = 1_577_836_800_000;
    (
        uuid::Builder::from_custom_bytes(entity).into_uuid(),
        uuid::Builder::from_unix_timestamp_millis(FIXED_MS, &rest).into_uuid(),
    )
}

/// Validates `versions` with the core (as a push would) and stores them as `user`'s dashboard
/// device in the commune. Another write of the same device (a double submit, another server on
/// the same database) may take the next sequence numbers first: the storage then refuses the
/// push (a gap or a reused number) and it goes again after them. Blocking: call from
/// `spawn_blocking`.
pub fn store(
    storage: &dyn Storage,
    user: &User,
    commune: &CommuneConfig,
    mut versions: Vec<Version>,
) -> ApiResult<Vec<PushResult>> {
    const ATTEMPTS: usize = 8;
    let device = device_id(user, commune);
    let name = format!("dashboard: {}", user.username);
    storage.ensure_seed_device(device, &commune.commune.id, &name)?;
    let mut results = Vec::with_capacity(versions.len());
    let catalog = Catalog::builtin();
    for chunk in versions.chunks_mut(500) {
        let mut answered = None;
        for _ in 0..ATTEMPTS {
            let (high_water, _) = storage.device_status(device)?.ok_or_else(|| {
                ApiError::internal("the dashboard's writer is missing; try again")
            })?;
            let mut items = Vec::with_capacity(chunk.len());
            for (i, v) in chunk.iter_mut().enumerate() {
                v.device_id = device;
                v.device_seq = high_water + 1 + i as u64;
                let checked = v
                    .validate()
                    .and_then(|_| v.validate_in(&commune.commune, catalog));
                items.push(match checked {
                    Ok(()) => PushItem::Valid {
                        digest: digest(v),
                        version: Box::new(v.clone()),
                    },
                    Err(e) => PushItem::Invalid {
                        version_id: v.version_id.to_string(),
                        reason: e.to_string(),
                    },
                });
            }
            let batch = PushBatch {
                device_id: device,
                first_seq: high_water + 1,
                items,
                received_at: Utc::now(),
                check_clocks: false,
            };
            match storage.store_versions(&batch)? {
                PushOutcome::Done(response) => {
                    answered = Some(response.results);
                    break;
                }
                PushOutcome::Gap { .. } | PushOutcome::SequenceReused { .. } => {}
            }
        }
        let Some(answer) = answered else {
            return Err(ApiError::internal(
                "other writes of this account kept taking the same sequence numbers; try again",
            ));
        };
        results.extend(answer);
    }
    if let Some(bad) = results.iter().find(|r| r.status == PushStatus::Rejected) {
        tracing::warn!(version = %bad.version_id, reason = ?bad.reason, "a dashboard write was rejected");
    }
    Ok(results)
}
