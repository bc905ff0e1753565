//! OpenRosa submissions on PostgreSQL (`storage::odk`): one transaction per POST. It locks the
//! device's row first (`FOR UPDATE`, the lock order of a push), so two POSTs of one device, even
//! through two servers, take turns; records the POST; and once every file is in, stores the
//! versions with `store_in` (the push path, inside this same transaction) from the device's next
//! sequence number, and their answers beside the submission, all committed together.

use std::collections::{BTreeMap, BTreeSet};

use ::postgres::{GenericClient, Transaction};
use ntm_field::ids::{PhotoId, Slug};

use super::super::odk::{
    answers_drafts, merge_post, submission_batch, Submission, SubmissionOutcome, SubmissionPost,
};
use super::{parse_photo, parse_slug, Fail, Fallible, PostgresStorage, PushOutcome, StoreError};

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Fallible<T> {
    Ok(serde_json::from_str(text)?)
}

pub(super) fn submission(
    c: &mut impl GenericClient,
    instance_id: &str,
) -> Fallible<Option<Submission>> {
    let Some(r) = c.query_opt(
        "SELECT commune_id, device_id, form_id, xml_sha256, expected, received, planned, results
         FROM odk_submissions WHERE instance_id = $1",
        &[&instance_id],
    )?
    else {
        return Ok(None);
    };
    let mut xml_sha256 = [0u8; 32];
    hex::decode_to_slice(r.get::<_, &str>(3), &mut xml_sha256)
        .map_err(|e| StoreError::Backend(format!("stored XML digest: {e}")))?;
    let received: BTreeMap<String, String> = json(r.get(5))?;
    Ok(Some(Submission {
        instance_id: instance_id.to_owned(),
        commune_id: parse_slug(r.get(0))?,
        device_id: r.get(1),
        form_id: r.get(2),
        xml_sha256,
        expected: json(r.get(4))?,
        received: received
            .into_iter()
            .map(|(name, id)| Ok((name, parse_photo(&id)?)))
            .collect::<Result<_, StoreError>>()?,
        planned: json(r.get(6))?,
        results: r.get::<_, Option<&str>>(7).map(json).transpose()?,
    }))
}

pub(super) fn forms_off(c: &mut impl GenericClient, commune: &Slug) -> Fallible<BTreeSet<String>> {
    Ok(c.query(
        "SELECT form_id FROM odk_forms_off WHERE commune_id = $1",
        &[&commune.as_str()],
    )?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

pub(super) fn set_form(
    tx: &mut Transaction<'_>,
    commune: &Slug,
    form_id: &str,
    on: bool,
) -> Fallible<()> {
    if on {
        tx.execute(
            "DELETE FROM odk_forms_off WHERE commune_id = $1 AND form_id = $2",
            &[&commune.as_str(), &form_id],
        )?;
    } else {
        tx.execute(
            "INSERT INTO odk_forms_off (commune_id, form_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&commune.as_str(), &form_id],
        )?;
    }
    Ok(())
}

impl PostgresStorage {
    pub(super) fn receive_submission_in(
        &self,
        tx: &mut Transaction<'_>,
        post: &SubmissionPost,
    ) -> Fallible<SubmissionOutcome> {
        let Some(device) = tx.query_opt(
            "SELECT high_water FROM devices WHERE device_id = $1 FOR UPDATE",
            &[&post.device_id],
        )?
        else {
            return Err(StoreError::NotFound(format!("device {}", post.device_id)).into());
        };
        let high_water = device.get::<_, i64>(0) as u64;
        let recorded = submission(tx, &post.instance_id)?;
        let is_new = recorded.is_none();
        let merged = match merge_post(recorded, post) {
            Ok(s) => s,
            Err(refused) => return Ok(refused),
        };
        let received: BTreeMap<&str, String> = merged
            .received
            .iter()
            .map(|(name, id)| (name.as_str(), id.to_hex()))
            .collect();
        let received = serde_json::to_string(&received)?;
        if is_new {
            let inserted = tx.execute(
                "INSERT INTO odk_submissions (instance_id, commune_id, device_id, form_id, xml_sha256, expected, received, planned, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (instance_id) DO NOTHING",
                &[
                    &merged.instance_id,
                    &merged.commune_id.as_str(),
                    &merged.device_id,
                    &merged.form_id,
                    &hex::encode(merged.xml_sha256),
                    &serde_json::to_string(&merged.expected)?,
                    &received,
                    &serde_json::to_string(&merged.planned)?,
                    &post.received_at,
                ],
            )?;
            if inserted == 0 {
                // The same instanceID from another device at this very moment: decide again
                // against the row it wrote.
                return Err(Fail::Retry(
                    "a submission of the same instanceID arrived at once",
                ));
            }
        } else {
            tx.execute(
                "UPDATE odk_submissions SET received = $2 WHERE instance_id = $1",
                &[&merged.instance_id, &received],
            )?;
        }
        if let Some(results) = merged.results {
            return Ok(SubmissionOutcome::Stored { results });
        }
        let missing = merged.missing();
        if !missing.is_empty() {
            return Ok(SubmissionOutcome::Waiting { missing });
        }
        let received: BTreeMap<String, PhotoId> = merged.received;
        let batch = submission_batch(post, &received, high_water + 1);
        let results = match self.store_in(tx, &batch)? {
            PushOutcome::Done(answer) if answers_drafts(&answer.results, post) => answer.results,
            _ => {
                return Err(StoreError::Backend(format!(
                    "the push of submission {} was not answered for its own versions",
                    post.instance_id
                ))
                .into())
            }
        };
        tx.execute(
            "UPDATE odk_submissions SET results = $2, stored_at = $3 WHERE instance_id = $1",
            &[
                &post.instance_id,
                &serde_json::to_string(&results)?,
                &post.received_at,
            ],
        )?;
        Ok(SubmissionOutcome::Stored { results })
    }
}
