//! What the sync engine reads and writes: outbox batches, the server's acknowledgements, pulled
//! pages with their cursor, photos and their tus upload state. Each method is one transaction.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::records::insert_version;
use super::{meta_get, meta_set, parse_uuid, parse_version, write_durably, Store, StoreError};
use crate::ids::PhotoId;
use crate::photo::ProcessedPhoto;
use crate::protocol::{PullResponse, PushResponse, PushStatus};

/// An identity whose records are to be pushed, with the credentials to push them.
#[derive(Debug, Clone, PartialEq)]
pub struct PushIdentity {
    pub device_id: Uuid,
    pub server_url: String,
    pub token: String,
    pub retired: bool,
    /// The last sequence number handed out under this identity.
    pub last_seq: u64,
}

/// A version to push, with its sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub device_seq: u64,
    pub version: crate::record::Version,
}

/// A photo still to upload, and how far its upload got.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoUpload {
    pub photo_id: PhotoId,
    pub path: PathBuf,
    pub bytes: u64,
    /// The tus upload URL, once created; kept across restarts.
    pub upload_url: Option<String>,
    /// The last offset the server confirmed.
    pub uploaded_bytes: u64,
    /// The identity that created the upload: a tus upload belongs to its creator.
    pub upload_device: Option<Uuid>,
}

/// What waits to be sent, for the home screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncCounts {
    pub pending_records: u64,
    pub pending_photos: u64,
    /// Bytes of photos still to upload (what the server has not confirmed).
    pub pending_photo_bytes: u64,
    pub needs_attention: u64,
    /// Of `pending_records`, those under an earlier identity ([`Store::waiting`]).
    pub waiting_records: u64,
    pub last_sync_at: Option<DateTime<FixedOffset>>,
}

/// What `sync/status` told the phone ([`Store::sync_apply_status`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusCheck {
    /// The database is a copy: the identity is retired and needs replacing.
    pub identity_retired: bool,
    /// The server was restored from a backup: it holds less than it acknowledged.
    pub server_behind: bool,
    /// Versions put back in the outbox for it.
    pub requeued: usize,
    /// Photos to upload again because the server lost some.
    pub photos_requeued: usize,
}

/// An unsent version that the current identity cannot send: saved for another commune, or
/// under an identity that needs a new enrollment. It stays on the phone until it is sent or
/// exported ([`Store::export_waiting`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingVersion {
    pub version: crate::record::Version,
    pub commune_id: crate::ids::Slug,
    /// Its identity's server.
    pub server_url: String,
}

/// What one push answer changed on the phone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AckSummary {
    /// Outbox entries removed.
    pub removed: usize,
    pub rejected: usize,
    /// The server acknowledged sequence numbers this store never handed out: the database was
    /// restored or copied, and its identity is now retired.
    pub identity_retired: bool,
}

impl Store {
    /// Identities to push for: the current one and every retired one whose outbox is not empty.
    pub fn sync_identities(&self) -> Result<Vec<PushIdentity>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner.conn.prepare(
            "SELECT device_id, server_url, token, retired_at IS NOT NULL, last_seq FROM identities i
             WHERE retired_at IS NULL OR EXISTS (SELECT 1 FROM outbox o WHERE o.device_id = i.device_id)
             ORDER BY enrolled_at, rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (device_id, server_url, token, retired, last_seq) = row?;
            out.push(PushIdentity {
                device_id: parse_uuid(&device_id)?,
                server_url,
                token,
                retired,
                last_seq: last_seq as u64,
            });
        }
        Ok(out)
    }

    /// The lowest sequence number still in the outbox of `device_id`.
    pub fn sync_outbox_start(&self, device_id: Uuid) -> Result<Option<u64>, StoreError> {
        let inner = self.lock();
        let min: Option<i64> = inner.conn.query_row(
            "SELECT MIN(device_seq) FROM outbox WHERE device_id = ?1",
            [device_id.to_string()],
            |r| r.get(0),
        )?;
        Ok(min.map(|m| m as u64))
    }

    /// Up to `max` of this device's own versions from `from_seq` on, contiguous, in sequence
    /// order. Read from the versions (not only the outbox) so that a server that asks again
    /// for what it acknowledged before (`409 expected_seq`) can be given it.
    pub fn sync_batch(
        &self,
        device_id: Uuid,
        from_seq: u64,
        max: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner.conn.prepare(
            "SELECT device_seq, json FROM versions WHERE own = 1 AND device_id = ?1 AND device_seq >= ?2
             ORDER BY device_seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![device_id.to_string(), from_seq as i64, max as i64],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?;
        let mut out: Vec<OutboxEntry> = Vec::new();
        for row in rows {
            let (seq, json) = row?;
            let seq = seq as u64;
            if out
                .last()
                .map_or(seq != from_seq, |l| seq != l.device_seq + 1)
            {
                break; // never send a gap
            }
            out.push(OutboxEntry {
                device_seq: seq,
                version: parse_version(&json)?,
            });
        }
        Ok(out)
    }

    /// Applies a push answer: every result's state, then removes the outbox entries up to
    /// `acked_through_seq` (never more), in one transaction.
    pub fn sync_apply_push(
        &self,
        device_id: Uuid,
        response: &PushResponse,
    ) -> Result<AckSummary, StoreError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let tx = inner
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let dev = device_id.to_string();
        let acked = response.acked_through_seq as i64;
        let mut summary = AckSummary::default();
        let mut rejected_ids = Vec::new();
        for r in &response.results {
            let Ok(id) = r.version_id.parse::<Uuid>() else {
                continue;
            };
            // Only a result for a version this device sent and the server acknowledged counts.
            let seq: Option<i64> = tx
                .query_row(
                    "SELECT device_seq FROM versions WHERE version_id = ?1 AND own = 1 AND device_id = ?2",
                    params![id.to_string(), dev],
                    |row| row.get(0),
                )
                .optional()?;
            if seq.is_none_or(|s| s > acked) {
                continue;
            }
            match r.status {
                PushStatus::Stored | PushStatus::Duplicate => {
                    tx.execute(
                        "UPDATE versions SET state = 'synced' WHERE version_id = ?1 AND state = 'pending'",
                        [id.to_string()],
                    )?;
                }
                PushStatus::Rejected => {
                    let n = tx.execute(
                        "UPDATE versions SET state = 'rejected', reason = ?2, attention = 1
                         WHERE version_id = ?1 AND state <> 'rejected'",
                        params![id.to_string(), r.reason.clone().unwrap_or_default()],
                    )?;
                    if n > 0 {
                        summary.rejected += 1;
                        rejected_ids.push(id);
                    }
                }
            }
        }
        tx.execute(
            "UPDATE versions SET state = 'synced'
             WHERE own = 1 AND device_id = ?1 AND device_seq <= ?2 AND state = 'pending'",
            params![dev, acked],
        )?;
        summary.removed = tx.execute(
            "DELETE FROM outbox WHERE device_id = ?1 AND device_seq <= ?2",
            params![dev, acked],
        )?;
        summary.identity_retired = record_server_ack(&tx, &dev, acked, &self.now())?;
        tx.commit()?;
        if let Some(cache) = inner.cache.as_mut() {
            for id in &rejected_ids {
                cache.remove(id);
            }
        }
        Ok(summary)
    }

    /// Takes in `sync/status` of the current identity, checked before the round's first push:
    ///
    /// - the server holds sequence numbers this store never handed out: the database is a copy
    ///   (restored or cloned) and the identity is retired, to be replaced;
    /// - the server lacks the last photo it said it held (`photo_missing`): every photo goes up
    ///   again, each asking the server first, so one it still holds costs a request;
    /// - the server holds less than it acknowledged, its head is behind the pull cursor, or it
    ///   lacks one of the probed versions ([`Store::sync_status_probes`], in `missing`): it was
    ///   restored from a backup. What it lacks goes back into the outbox (this identity's
    ///   versions after its high-water mark; the versions of earlier identities of the commune
    ///   under this one, the server keeps what it already has once) and the pull goes on from the
    ///   server's head.
    pub fn sync_apply_status(
        &self,
        device_id: Uuid,
        acked_through_seq: u64,
        server_head: u64,
        missing: &[Uuid],
        photo_missing: bool,
    ) -> Result<StatusCheck, StoreError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let tx = inner
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let dev = device_id.to_string();
        let acked = acked_through_seq as i64;
        let known: Option<(i64, String)> = tx
            .query_row(
                "SELECT acked_seq, commune_id FROM identities WHERE device_id = ?1",
                [&dev],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((known_acked, commune)) = known else {
            return Ok(StatusCheck::default());
        };
        let cursor: i64 = meta_get(&tx, "pull_cursor")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        // The furthest the server ever said it was, kept across a pull started afresh.
        let known_head: i64 = meta_get(&tx, "known_head")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
            .max(cursor);
        let mut check = StatusCheck {
            identity_retired: record_server_ack(&tx, &dev, acked, &self.now())?,
            ..StatusCheck::default()
        };
        if !check.identity_retired
            && (acked < known_acked || (server_head as i64) < known_head || !missing.is_empty())
        {
            check.server_behind = true;
            tx.execute(
                "UPDATE identities SET acked_seq = ?2 WHERE device_id = ?1",
                params![dev, acked],
            )?;
            tx.execute(
                "UPDATE versions SET state = 'pending'
                 WHERE own = 1 AND device_id = ?1 AND device_seq > ?2 AND state = 'synced'",
                params![dev, acked],
            )?;
            check.requeued = tx.execute(
                "INSERT OR IGNORE INTO outbox (device_id, device_seq, version_id)
                 SELECT device_id, device_seq, version_id FROM versions
                 WHERE own = 1 AND device_id = ?1 AND device_seq > ?2",
                params![dev, acked],
            )?;
            check.requeued += move_unsent_to(&tx, device_id, &commune, true)?;
            // Their photos too: the upload asks the server first, and one it still holds is
            // done at once.
            tx.execute(
                "UPDATE photos SET uploaded = 0, upload_url = NULL, uploaded_bytes = 0
                 WHERE uploaded = 1 AND photo_id IN (
                    SELECT vp.photo_id FROM version_photos vp JOIN outbox o ON o.version_id = vp.version_id)",
                [],
            )?;
            if (server_head as i64) < cursor {
                meta_set(&tx, "pull_cursor", &server_head.to_string())?;
            }
            meta_set(&tx, "known_head", &server_head.to_string())?;
        }
        if !check.identity_retired && photo_missing {
            check.photos_requeued = tx.execute(
                "UPDATE photos SET uploaded = 0, upload_url = NULL, uploaded_bytes = 0 WHERE uploaded = 1",
                [],
            )?;
            tx.execute("DELETE FROM meta WHERE key = 'last_uploaded_photo'", [])?;
        }
        tx.commit()?;
        if check.requeued > 0 {
            inner.cache = None;
        }
        Ok(check)
    }

    /// The server moved this identity into `commune` (the commune its commune merged into):
    /// the phone works for it from now on. Nothing saved changes: what waits in the outbox is
    /// sent as it is (the new commune holds its old communes' records), and the pull starts
    /// again to bring the new commune's villages and records.
    pub fn sync_moved(
        &self,
        device_id: Uuid,
        commune: &crate::ids::Slug,
    ) -> Result<bool, StoreError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let tx = inner.conn.transaction()?;
        let n = tx.execute(
            "UPDATE identities SET commune_id = ?2 WHERE device_id = ?1 AND commune_id <> ?2",
            params![device_id.to_string(), commune.as_str()],
        )?;
        if n > 0 {
            tx.execute("DELETE FROM meta WHERE key = 'pull_cursor'", [])?;
            tx.execute("UPDATE commune SET config_etag = NULL WHERE id = 1", [])?;
        }
        tx.commit()?;
        if n > 0 {
            inner.cache = None;
        }
        Ok(n > 0)
    }

    /// The versions to ask `sync/status` about: for each identity of this phone on the same
    /// server and commune as `device_id`, the last version the server acknowledged. Sequences
    /// reach the server in order, so while it holds that one it holds all before it; an identity
    /// enrolled after the server's backup is unknown to it, and only this tells the phone that
    /// what it sent under that identity is gone.
    pub fn sync_status_probes(&self, device_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner.conn.prepare(
            "SELECT (SELECT v.version_id FROM versions v
                     WHERE v.own = 1 AND v.device_id = i.device_id AND v.state = 'synced'
                     ORDER BY v.device_seq DESC LIMIT 1)
             FROM identities i JOIN identities cur ON cur.device_id = ?1
             WHERE i.commune_id = cur.commune_id AND i.server_url = cur.server_url
             ORDER BY i.enrolled_at DESC, i.rowid DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![device_id.to_string(), crate::protocol::STATUS_PROBES as i64],
            |r| r.get::<_, Option<String>>(0),
        )?;
        let mut probes = Vec::new();
        for row in rows {
            if let Some(id) = row? {
                probes.push(parse_uuid(&id)?);
            }
        }
        Ok(probes)
    }

    /// Retires the current identity because the server found one of its sequence numbers used
    /// for another version (`409 sequence_reused`): another copy of this database writes under it.
    pub fn sync_sequence_reused(&self, device_id: Uuid) -> Result<(), StoreError> {
        let inner = self.lock();
        inner.conn.execute(
            "UPDATE identities SET retired_at = ?2,
                retired_reason = 'restored: another copy of this phone used the same sequence numbers',
                retired_kind = 'restored'
             WHERE device_id = ?1 AND retired_at IS NULL",
            params![device_id.to_string(), self.now().to_rfc3339()],
        )?;
        Ok(())
    }

    /// The identity to replace by itself (`POST /api/v1/devices/reidentify`): when no identity
    /// is current and the last one was retired because this database is a copy.
    pub fn sync_identity_to_replace(&self) -> Result<Option<PushIdentity>, StoreError> {
        let inner = self.lock();
        let row: Option<(String, String, String, i64, Option<String>)> = inner
            .conn
            .query_row(
                "SELECT device_id, server_url, token, last_seq, retired_kind FROM identities
                 ORDER BY retired_at IS NULL DESC, enrolled_at DESC, rowid DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        Ok(match row {
            Some((device_id, server_url, token, last_seq, Some(kind))) if kind == "restored" => {
                Some(PushIdentity {
                    device_id: parse_uuid(&device_id)?,
                    server_url,
                    token,
                    retired: true,
                    last_seq: last_seq as u64,
                })
            }
            _ => None,
        })
    }

    /// The pull cursor and the configuration etag to send with the next pull.
    pub fn sync_pull_state(&self) -> Result<(u64, Option<String>), StoreError> {
        let inner = self.lock();
        let cursor = meta_get(&inner.conn, "pull_cursor")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let etag: Option<String> = inner
            .conn
            .query_row("SELECT config_etag FROM commune WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        Ok((cursor, etag))
    }

    /// Stores a pulled page and its cursor in one transaction. Re-applying a page changes
    /// nothing. Returns how many versions were new to the phone.
    pub fn sync_apply_pull(&self, page: &PullResponse) -> Result<usize, StoreError> {
        let now = self.now();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let tx = inner
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let own_devices: Vec<String> = {
            let mut stmt = tx.prepare("SELECT device_id FROM identities")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut new = 0;
        for v in &page.versions {
            let own = own_devices.contains(&v.device_id.to_string());
            if insert_version(&tx, v, own, "synced", &now)? > 0 {
                new += 1;
            } else {
                // Known already: take the server's annotations (author, server_seq, flags) when
                // the content is the same; a different content under the same id is never
                // overwritten.
                let old: String = tx.query_row(
                    "SELECT json FROM versions WHERE version_id = ?1",
                    [v.version_id.to_string()],
                    |r| r.get(0),
                )?;
                if parse_version(&old)?.content_digest() == v.content_digest() {
                    tx.execute(
                        "UPDATE versions SET server_seq = ?2, json = ?3 WHERE version_id = ?1",
                        params![
                            v.version_id.to_string(),
                            v.server_seq.map(|s| s as i64),
                            serde_json::to_string(v).expect("a version serialises")
                        ],
                    )?;
                } else {
                    tracing::warn!(version_id = %v.version_id, "pulled version differs from the stored one; kept the stored one");
                }
            }
        }
        if let Some(config) = &page.config {
            tx.execute(
                "UPDATE commune SET config = ?1, config_etag = ?2 WHERE id = 1",
                params![
                    serde_json::to_string(config).expect("a config serialises"),
                    page.config_etag
                ],
            )?;
            // The commune the phone works for, as the server has it now (after a move into the
            // commune a merger made, the first time it is known with its villages).
            tx.execute(
                "UPDATE commune SET commune = ?1 WHERE id = 1 AND ?2 IN
                    (SELECT commune_id FROM identities WHERE retired_at IS NULL)",
                params![
                    serde_json::to_string(&config.commune).expect("a commune serialises"),
                    config.commune.id.as_str()
                ],
            )?;
            inner.cache = None;
        }
        meta_set(&tx, "pull_cursor", &page.next_cursor.to_string())?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('known_head', ?1)
             ON CONFLICT (key) DO UPDATE SET value = CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
            [page.next_cursor.to_string()],
        )?;
        tx.commit()?;
        if let Some(cache) = inner.cache.as_mut() {
            for v in &page.versions {
                cache.insert(v.clone());
            }
        }
        Ok(new)
    }

    /// Takes in a processed photo: its JPEG and thumbnail are written content-addressed (file
    /// first, durably, then the row), with its EXIF evidence. Taking the same photo twice
    /// stores it once.
    pub fn add_photo(&self, photo: &ProcessedPhoto) -> Result<PhotoId, StoreError> {
        let id = photo.id;
        // Files written by this call, removed again when a later step fails (a full disk).
        let mut written = Vec::new();
        let result = self.add_photo_files(photo, &mut written);
        if result.is_err() {
            for path in written {
                let _ = std::fs::remove_file(path);
            }
        }
        result.map(|()| id)
    }

    fn add_photo_files(
        &self,
        photo: &ProcessedPhoto,
        written: &mut Vec<PathBuf>,
    ) -> Result<(), StoreError> {
        let id = photo.id;
        for (path, bytes) in [
            (self.photo_path(&id), &photo.jpeg),
            (self.thumbnail_path(&id), &photo.thumbnail),
        ] {
            if !path.exists() {
                write_durably(&path, bytes)?;
                written.push(path);
            }
        }
        let inner = self.lock();
        inner.conn.execute(
            "INSERT OR IGNORE INTO photos (photo_id, bytes, width, height, exif_taken_at, exif_lat, exif_lon,
                exif_altitude_m, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id.to_hex(),
                photo.jpeg.len() as i64,
                photo.width,
                photo.height,
                photo.evidence.taken_at.map(|t| t.to_rfc3339()),
                photo.evidence.lat,
                photo.evidence.lon,
                photo.evidence.altitude_m,
                self.now().to_rfc3339(),
            ],
        )?;
        Ok(())
    }

    /// Removes photos taken for a draft the person discarded: each one no saved record uses
    /// goes, file, thumbnail and row. Returns how many went.
    pub fn discard_photos(&self, ids: &[PhotoId]) -> Result<usize, StoreError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let mut gone = Vec::new();
        for id in ids {
            let used: bool = inner.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM version_photos WHERE photo_id = ?1)",
                [id.to_hex()],
                |r| r.get(0),
            )?;
            if used || inner.cache()?.references_photo(id) {
                continue;
            }
            if inner
                .conn
                .execute("DELETE FROM photos WHERE photo_id = ?1", [id.to_hex()])?
                > 0
            {
                gone.push(*id);
            }
        }
        drop(guard);
        for id in &gone {
            for path in [self.photo_path(id), self.thumbnail_path(id)] {
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(gone.len())
    }

    /// The EXIF evidence kept for a photo.
    pub fn photo_evidence(
        &self,
        id: &PhotoId,
    ) -> Result<Option<crate::photo::ExifEvidence>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .conn
            .query_row(
                "SELECT exif_taken_at, exif_lat, exif_lon, exif_altitude_m FROM photos WHERE photo_id = ?1",
                [id.to_hex()],
                |r| {
                    Ok(crate::photo::ExifEvidence {
                        taken_at: r.get::<_, Option<String>>(0)?.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()),
                        lat: r.get(1)?,
                        lon: r.get(2)?,
                        altitude_m: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Photos of saved (not rejected) records that are not uploaded yet, oldest first.
    pub fn sync_photos_pending(&self) -> Result<Vec<PhotoUpload>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner.conn.prepare(
            "SELECT photo_id, bytes, upload_url, uploaded_bytes, upload_device FROM photos p
             WHERE uploaded = 0 AND EXISTS (
                SELECT 1 FROM version_photos vp JOIN versions v ON v.version_id = vp.version_id
                WHERE vp.photo_id = p.photo_id AND v.state <> 'rejected')
             ORDER BY added_at, photo_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, bytes, upload_url, uploaded_bytes, upload_device) = row?;
            let photo_id = PhotoId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push(PhotoUpload {
                path: self.photo_path(&photo_id),
                photo_id,
                bytes: bytes as u64,
                upload_url,
                uploaded_bytes: uploaded_bytes as u64,
                upload_device: upload_device.as_deref().map(parse_uuid).transpose()?,
            });
        }
        Ok(out)
    }

    /// Keeps a photo's tus upload URL with the identity that created it, or forgets it
    /// (`None`).
    pub fn sync_set_upload_url(
        &self,
        id: &PhotoId,
        upload: Option<(&str, Uuid)>,
    ) -> Result<(), StoreError> {
        let inner = self.lock();
        inner.conn.execute(
            "UPDATE photos SET upload_url = ?2, upload_device = ?3,
                uploaded_bytes = CASE WHEN ?2 IS NULL THEN 0 ELSE uploaded_bytes END
             WHERE photo_id = ?1",
            params![
                id.to_hex(),
                upload.map(|(url, _)| url),
                upload.map(|(_, device)| device.to_string())
            ],
        )?;
        Ok(())
    }

    /// Records the offset the server confirmed.
    pub fn sync_set_uploaded_bytes(&self, id: &PhotoId, offset: u64) -> Result<(), StoreError> {
        let inner = self.lock();
        inner.conn.execute(
            "UPDATE photos SET uploaded_bytes = ?2 WHERE photo_id = ?1",
            params![id.to_hex(), offset as i64],
        )?;
        Ok(())
    }

    /// Marks a photo as held by the server.
    pub fn sync_photo_done(&self, id: &PhotoId) -> Result<(), StoreError> {
        let inner = self.lock();
        inner.conn.execute(
            "UPDATE photos SET uploaded = 1, uploaded_bytes = bytes, upload_url = NULL WHERE photo_id = ?1",
            [id.to_hex()],
        )?;
        meta_set(&inner.conn, "last_uploaded_photo", &id.to_hex())
    }

    /// The photo to ask `sync/status` about: the last one the server said it holds. Photos go
    /// up one at a time, so a server restored from a backup that still holds it holds every
    /// earlier one.
    pub fn sync_status_photo_probe(&self) -> Result<Option<PhotoId>, StoreError> {
        let inner = self.lock();
        let Some(hex) = meta_get(&inner.conn, "last_uploaded_photo")? else {
            return Ok(None);
        };
        let uploaded: bool = inner
            .conn
            .query_row(
                "SELECT uploaded FROM photos WHERE photo_id = ?1",
                [&hex],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        uploaded
            .then(|| PhotoId::parse(&hex))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Records the end of a complete sync round.
    pub fn sync_finished(&self) -> Result<(), StoreError> {
        let inner = self.lock();
        meta_set(&inner.conn, "last_sync_at", &self.now().to_rfc3339())
    }

    /// What waits to be sent.
    pub fn sync_counts(&self) -> Result<SyncCounts, StoreError> {
        let pending_photos = self.sync_photos_pending()?;
        let inner = self.lock();
        let pending_records: i64 =
            inner
                .conn
                .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?;
        let needs_attention: i64 = inner.conn.query_row(
            "SELECT COUNT(*) FROM versions WHERE state = 'rejected' AND attention = 1",
            [],
            |r| r.get(0),
        )?;
        let waiting_records: i64 = inner.conn.query_row(
            "SELECT COUNT(*) FROM outbox o JOIN identities i ON i.device_id = o.device_id
             WHERE i.retired_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        let last_sync_at = meta_get(&inner.conn, "last_sync_at")?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok());
        Ok(SyncCounts {
            pending_records: pending_records as u64,
            pending_photos: pending_photos.len() as u64,
            pending_photo_bytes: pending_photos
                .iter()
                .map(|p| p.bytes - p.uploaded_bytes.min(p.bytes))
                .sum(),
            needs_attention: needs_attention as u64,
            waiting_records: waiting_records as u64,
            last_sync_at,
        })
    }

    /// Unsent versions under identities that are no longer current, oldest first: another
    /// commune's (after an enrollment elsewhere), or an identity's that waits for a new
    /// enrollment. The engine still sends them while their identity's server takes them.
    pub fn waiting(&self) -> Result<Vec<WaitingVersion>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner.conn.prepare(
            "SELECT v.json, i.commune_id, i.server_url FROM outbox o
             JOIN versions v ON v.version_id = o.version_id
             JOIN identities i ON i.device_id = o.device_id
             WHERE i.retired_at IS NOT NULL
             ORDER BY i.enrolled_at, i.rowid, o.device_seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (json, commune, server_url) = row?;
            out.push(WaitingVersion {
                version: parse_version(&json)?,
                commune_id: crate::ids::Slug::parse(&commune)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                server_url,
            });
        }
        Ok(out)
    }

    /// The waiting versions ([`Store::waiting`]) as a file an officer imports on the dashboard
    /// (JSON: a manifest and the versions as the phone would push them). Exporting sends
    /// nothing and removes nothing: the versions stay waiting until the server has them.
    pub fn export_waiting(&self) -> Result<Vec<u8>, StoreError> {
        let waiting = self.waiting()?;
        let mut communes: Vec<&str> = waiting.iter().map(|w| w.commune_id.as_str()).collect();
        communes.sort_unstable();
        communes.dedup();
        let bundle = crate::protocol::WaitingBundle {
            manifest: crate::protocol::WaitingManifest {
                format: crate::protocol::WAITING_BUNDLE_FORMAT.to_owned(),
                exported_at: self.now(),
                communes: communes.into_iter().map(str::to_owned).collect(),
                count: waiting.len() as u64,
            },
            versions: waiting.into_iter().map(|w| w.version).collect(),
        };
        serde_json::to_vec_pretty(&bundle).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Every outbox entry as (device_id, device_seq, version_id), for checks and tests.
    pub fn outbox(&self) -> Result<Vec<(Uuid, u64, Uuid)>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner.conn.prepare(
            "SELECT device_id, device_seq, version_id FROM outbox ORDER BY device_id, device_seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (d, s, v) = row?;
            out.push((parse_uuid(&d)?, s as u64, parse_uuid(&v)?));
        }
        Ok(out)
    }

    /// Own versions with their state (`pending`, `synced`, `rejected`), for checks and tests.
    pub fn own_version_states(&self) -> Result<HashMap<Uuid, String>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner
            .conn
            .prepare("SELECT version_id, state FROM versions WHERE own = 1")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (v, s) = row?;
            out.insert(parse_uuid(&v)?, s);
        }
        Ok(out)
    }
}

/// Keeps the highest acknowledgement; retires the identity when the server acknowledged more
/// than this store ever numbered.
fn record_server_ack(
    tx: &rusqlite::Transaction<'_>,
    device_id: &str,
    acked: i64,
    now: &DateTime<FixedOffset>,
) -> Result<bool, StoreError> {
    tx.execute(
        "UPDATE identities SET acked_seq = MAX(acked_seq, ?2) WHERE device_id = ?1",
        params![device_id, acked],
    )?;
    let n = tx.execute(
        "UPDATE identities SET retired_at = ?3,
            retired_reason = 'restored: the server holds newer records of this device than this copy',
            retired_kind = 'restored'
         WHERE device_id = ?1 AND retired_at IS NULL AND ?2 > last_seq",
        params![device_id, acked, now.to_rfc3339()],
    )?;
    Ok(n > 0)
}

/// Moves own versions of `commune` held under other identities to `device_id`, oldest first,
/// each with the next sequence number of `device_id` and into its outbox. The version id and
/// content stay: the server stores the same version once whatever device carries it. Unsent
/// versions always move; `also_synced` takes the acknowledged ones too (a restored server may
/// have lost them). Returns how many moved.
pub(super) fn move_unsent_to(
    tx: &rusqlite::Transaction<'_>,
    device_id: Uuid,
    commune: &str,
    also_synced: bool,
) -> Result<usize, StoreError> {
    let dev = device_id.to_string();
    let rows: Vec<(String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT v.version_id, v.json FROM versions v JOIN identities i ON i.device_id = v.device_id
             WHERE v.own = 1 AND v.device_id <> ?1 AND v.state <> 'rejected'
               AND (v.commune_id = ?2 OR v.commune_id IN (
                    SELECT value FROM commune, json_each(commune.config, '$.merged_from')
                    WHERE commune.id = 1 AND json_extract(commune.config, '$.commune.id') = ?2))
               AND (EXISTS (SELECT 1 FROM outbox o WHERE o.version_id = v.version_id)
                    OR (?3 AND v.state = 'synced'))
             ORDER BY i.enrolled_at, i.rowid, v.device_seq",
        )?;
        let rows = stmt.query_map(params![dev, commune, also_synced], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut seq: i64 = tx.query_row(
        "SELECT last_seq FROM identities WHERE device_id = ?1",
        [&dev],
        |r| r.get(0),
    )?;
    for (version_id, json) in &rows {
        let mut v = parse_version(json)?;
        seq += 1;
        v.device_id = device_id;
        v.device_seq = seq as u64;
        // The server's annotations of the old delivery are not part of what is sent.
        v.author = None;
        v.server_seq = None;
        v.flags.clear();
        tx.execute("DELETE FROM outbox WHERE version_id = ?1", [version_id])?;
        tx.execute(
            "UPDATE versions SET device_id = ?2, device_seq = ?3, json = ?4, state = 'pending', server_seq = NULL
             WHERE version_id = ?1",
            params![
                version_id,
                dev,
                seq,
                serde_json::to_string(&v).expect("a version serialises")
            ],
        )?;
        tx.execute(
            "INSERT INTO outbox (device_id, device_seq, version_id) VALUES (?1, ?2, ?3)",
            params![dev, seq, version_id],
        )?;
    }
    tx.execute(
        "UPDATE identities SET last_seq = ?2 WHERE device_id = ?1",
        params![dev, seq],
    )?;
    Ok(rows.len())
}
