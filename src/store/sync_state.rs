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
}

/// What waits to be sent, for the home screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncCounts {
    pub pending_records: u64,
    pub pending_photos: u64,
    /// Bytes of photos still to upload (what the server has not confirmed).
    pub pending_photo_bytes: u64,
    pub needs_attention: u64,
    pub last_sync_at: Option<DateTime<FixedOffset>>,
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

    /// Takes in `sync/status`: retires the identity when the server holds sequence numbers this
    /// store never handed out. Returns whether it did.
    pub fn sync_apply_status(
        &self,
        device_id: Uuid,
        acked_through_seq: u64,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let tx = inner
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let retired = record_server_ack(
            &tx,
            &device_id.to_string(),
            acked_through_seq as i64,
            &self.now(),
        )?;
        tx.commit()?;
        Ok(retired)
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
        }
        meta_set(&tx, "pull_cursor", &page.next_cursor.to_string())?;
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
        let path = self.photo_path(&id);
        if !path.exists() {
            write_durably(&path, &photo.jpeg)?;
        }
        let thumb = self.thumbnail_path(&id);
        if !thumb.exists() {
            write_durably(&thumb, &photo.thumbnail)?;
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
        Ok(id)
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
            "SELECT photo_id, bytes, upload_url, uploaded_bytes FROM photos p
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
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, bytes, upload_url, uploaded_bytes) = row?;
            let photo_id = PhotoId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push(PhotoUpload {
                path: self.photo_path(&photo_id),
                photo_id,
                bytes: bytes as u64,
                upload_url,
                uploaded_bytes: uploaded_bytes as u64,
            });
        }
        Ok(out)
    }

    /// Keeps (or forgets, with `None`) a photo's tus upload URL.
    pub fn sync_set_upload_url(&self, id: &PhotoId, url: Option<&str>) -> Result<(), StoreError> {
        let inner = self.lock();
        inner.conn.execute(
            "UPDATE photos SET upload_url = ?2, uploaded_bytes = CASE WHEN ?2 IS NULL THEN 0 ELSE uploaded_bytes END
             WHERE photo_id = ?1",
            params![id.to_hex(), url],
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
        Ok(())
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
            last_sync_at,
        })
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
            retired_reason = 'restored: the server holds newer records of this device than this copy'
         WHERE device_id = ?1 AND retired_at IS NULL AND ?2 > last_seq",
        params![device_id, acked, now.to_rfc3339()],
    )?;
    Ok(n > 0)
}
