//! OpenRosa submissions on SQLite (`storage::odk`). SQLite's one writer cannot hold a
//! transaction across `store_versions` (which takes the writer itself), so a submission runs
//! under the storage's own submission lock: record the POST and read the device's next
//! sequence number (one transaction), store the versions through `store_versions`, then record
//! their answers (another). A crash between the two leaves a complete submission without
//! answers: the next POST (Collect retries until it gets a 201) stores the same versions again,
//! which the push path answers as duplicates, since their ids come from the instanceID.

use std::collections::{BTreeMap, BTreeSet};

use ntm_field::ids::{PhotoId, Slug};
use ntm_field::protocol::PushResult;
use rusqlite::{params, Connection, OptionalExtension};

use super::super::odk::{
    answers_drafts, merge_post, submission_batch, Submission, SubmissionOutcome, SubmissionPost,
};
use super::{lock, parse_slug, parse_uuid, ts, PushOutcome, SqliteStorage, Storage};
use super::{StoreError, StoreResult};

/// How often the versions are pushed again when another client of the same device took the
/// sequence numbers first.
const ATTEMPTS: usize = 5;

fn sha(hex_text: &str) -> StoreResult<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out)
        .map_err(|e| StoreError::Backend(format!("stored XML digest: {e}")))?;
    Ok(out)
}

pub(super) fn submission(c: &Connection, instance_id: &str) -> StoreResult<Option<Submission>> {
    let row = c
        .prepare_cached(
            "SELECT commune_id, device_id, form_id, xml_sha256, expected, received, planned, results
             FROM odk_submissions WHERE instance_id = ?1",
        )?
        .query_row(params![instance_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })
        .optional()?;
    let Some((commune, device, form_id, xml, expected, received, planned, results)) = row else {
        return Ok(None);
    };
    let received: BTreeMap<String, String> = serde_json::from_str(&received)?;
    Ok(Some(Submission {
        instance_id: instance_id.to_owned(),
        commune_id: parse_slug(&commune)?,
        device_id: parse_uuid(&device)?,
        form_id,
        xml_sha256: sha(&xml)?,
        expected: serde_json::from_str(&expected)?,
        received: received
            .into_iter()
            .map(|(name, id)| {
                PhotoId::parse(&id)
                    .map(|id| (name, id))
                    .map_err(|e| StoreError::Backend(e.to_string()))
            })
            .collect::<StoreResult<_>>()?,
        planned: serde_json::from_str(&planned)?,
        results: results.as_deref().map(serde_json::from_str).transpose()?,
    }))
}

fn save(tx: &rusqlite::Transaction, s: &Submission, post: &SubmissionPost) -> StoreResult<()> {
    let received: BTreeMap<&str, String> = s
        .received
        .iter()
        .map(|(name, id)| (name.as_str(), id.to_hex()))
        .collect();
    tx.prepare_cached(
        "INSERT INTO odk_submissions (instance_id, commune_id, device_id, form_id, xml_sha256, expected, received, planned, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (instance_id) DO UPDATE SET received = excluded.received",
    )?
    .execute(params![
        s.instance_id,
        s.commune_id.as_str(),
        s.device_id.to_string(),
        s.form_id,
        hex::encode(s.xml_sha256),
        serde_json::to_string(&s.expected)?,
        serde_json::to_string(&received)?,
        serde_json::to_string(&s.planned)?,
        ts(post.received_at),
    ])?;
    Ok(())
}

pub(super) fn forms_off(c: &Connection, commune: &Slug) -> StoreResult<BTreeSet<String>> {
    c.prepare_cached("SELECT form_id FROM odk_forms_off WHERE commune_id = ?1")?
        .query_map(params![commune.as_str()], |r| r.get::<_, String>(0))?
        .map(|r| Ok(r?))
        .collect()
}

pub(super) fn set_form(
    tx: &rusqlite::Transaction,
    commune: &Slug,
    form_id: &str,
    on: bool,
) -> StoreResult<()> {
    if on {
        tx.execute(
            "DELETE FROM odk_forms_off WHERE commune_id = ?1 AND form_id = ?2",
            params![commune.as_str(), form_id],
        )?;
    } else {
        tx.execute(
            "INSERT INTO odk_forms_off (commune_id, form_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![commune.as_str(), form_id],
        )?;
    }
    Ok(())
}

impl SqliteStorage {
    pub(super) fn receive_submission(
        &self,
        post: &SubmissionPost,
    ) -> StoreResult<SubmissionOutcome> {
        let _one_at_a_time = lock(&self.odk_submissions);
        let recorded = self.write(|tx| {
            let merged = match merge_post(submission(tx, &post.instance_id)?, post) {
                Ok(s) => s,
                Err(refused) => return Ok(Err(refused)),
            };
            save(tx, &merged, post)?;
            Ok(Ok(merged))
        })?;
        let submission = match recorded {
            Ok(s) => s,
            Err(refused) => return Ok(refused),
        };
        if let Some(results) = submission.results {
            return Ok(SubmissionOutcome::Stored { results });
        }
        let missing = submission.missing();
        if !missing.is_empty() {
            return Ok(SubmissionOutcome::Waiting { missing });
        }
        let results = self.push_submission(post, &submission.received)?;
        self.write(|tx| {
            tx.execute(
                "UPDATE odk_submissions SET results = ?1, stored_at = ?2 WHERE instance_id = ?3",
                params![
                    serde_json::to_string(&results)?,
                    ts(post.received_at),
                    post.instance_id
                ],
            )?;
            Ok(())
        })?;
        Ok(SubmissionOutcome::Stored { results })
    }

    /// The versions as a push from the device's next sequence number on.
    fn push_submission(
        &self,
        post: &SubmissionPost,
        received: &BTreeMap<String, PhotoId>,
    ) -> StoreResult<Vec<PushResult>> {
        for _ in 0..ATTEMPTS {
            let (high_water, _) = self
                .device_status(post.device_id)?
                .ok_or_else(|| StoreError::NotFound(format!("device {}", post.device_id)))?;
            let batch = submission_batch(post, received, high_water + 1);
            // Any other answer (a gap, or another version under that number) means another
            // client of this device pushed meanwhile: take the numbers after its.
            if let PushOutcome::Done(answer) = self.store_versions(&batch)? {
                if answers_drafts(&answer.results, post) {
                    return Ok(answer.results);
                }
            }
        }
        Err(StoreError::Backend(format!(
            "device {} kept pushing under the submission's sequence numbers; try again",
            post.device_id
        )))
    }
}
