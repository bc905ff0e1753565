//! What storage keeps of OpenRosa submissions (ODK Collect, KoboCollect; `crate::odk`): one row
//! per `instanceID` with the SHA-256 of its exact XML bytes, the files it names and those that
//! arrived, and the versions it becomes. A submission becomes versions through the push path
//! ([`super::Storage::store_versions`] semantics, its own next `device_seq` numbers) only once
//! every file it names has arrived; replays, split POSTs and edits follow the reference's table
//! (`../shared/reference/odk-openrosa.md`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ntm_field::ids::{PhotoId, Slug};
use ntm_field::protocol::PushResult;
use ntm_field::record::Version;
use uuid::Uuid;

use super::{PushBatch, PushItem};

/// A version a submission becomes, before its files have all arrived: `photos` names the
/// files (in the XML's order) whose SHA-256 become the version's photos; the version's own
/// `photos` and `device_seq` are set when it is stored.
#[derive(Debug, Clone)]
pub struct SubmissionDraft {
    pub version: Version,
    pub photos: Vec<String>,
}

/// One POST of a submission (Collect repeats the identical XML in every POST of a split one).
#[derive(Debug, Clone)]
pub struct SubmissionPost {
    pub instance_id: String,
    pub device_id: Uuid,
    pub commune_id: Slug,
    pub form_id: String,
    /// SHA-256 of the exact bytes of `xml_submission_file`.
    pub xml_sha256: [u8; 32],
    /// Every file the XML names.
    pub expected: Vec<String>,
    /// The files of this POST, already in the photo store: name and SHA-256.
    pub files: Vec<(String, PhotoId)>,
    /// The versions it becomes (ids derived from the instanceID, so the same every time).
    pub drafts: Vec<SubmissionDraft>,
    pub received_at: DateTime<Utc>,
}

/// A recorded submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub instance_id: String,
    pub commune_id: Slug,
    pub device_id: Uuid,
    pub form_id: String,
    pub xml_sha256: [u8; 32],
    pub expected: Vec<String>,
    pub received: BTreeMap<String, PhotoId>,
    /// `(version_id, entity_id)` of each version it becomes, in order.
    pub planned: Vec<(Uuid, Uuid)>,
    /// The push answers of its versions, once stored.
    pub results: Option<Vec<PushResult>>,
}

impl Submission {
    /// Files named in the XML that have not arrived.
    pub fn missing(&self) -> Vec<String> {
        self.expected
            .iter()
            .filter(|f| !self.received.contains_key(*f))
            .cloned()
            .collect()
    }
}

/// What one POST did.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmissionOutcome {
    /// Recorded; these files are still to come.
    Waiting { missing: Vec<String> },
    /// Every file is in: the submission is these versions (now or from an earlier POST).
    Stored { results: Vec<PushResult> },
    /// The instanceID was received with other XML bytes: nothing changed.
    OtherXml,
    /// A file of that name was received with other bytes: nothing changed.
    OtherFile(String),
    /// The instanceID was received for another commune: nothing changed.
    OtherCommune,
}

/// Merges a POST into what was recorded (or starts the record): the first refusal that applies,
/// else the submission with this POST's files added. One rule for both backends.
pub fn merge_post(
    recorded: Option<Submission>,
    post: &SubmissionPost,
) -> Result<Submission, SubmissionOutcome> {
    let mut submission = match recorded {
        None => Submission {
            instance_id: post.instance_id.clone(),
            commune_id: post.commune_id.clone(),
            device_id: post.device_id,
            form_id: post.form_id.clone(),
            xml_sha256: post.xml_sha256,
            expected: post.expected.clone(),
            received: BTreeMap::new(),
            planned: post
                .drafts
                .iter()
                .map(|d| (d.version.version_id, d.version.entity_id))
                .collect(),
            results: None,
        },
        Some(s) if s.commune_id != post.commune_id => return Err(SubmissionOutcome::OtherCommune),
        Some(s) if s.xml_sha256 != post.xml_sha256 => return Err(SubmissionOutcome::OtherXml),
        Some(s) => s,
    };
    for (name, id) in &post.files {
        match submission.received.get(name) {
            Some(known) if known != id => return Err(SubmissionOutcome::OtherFile(name.clone())),
            Some(_) => {}
            None => {
                submission.received.insert(name.clone(), *id);
            }
        }
    }
    Ok(submission)
}

/// The push of a complete submission's versions from `first_seq` on: each draft with the
/// SHA-256 of its files (a file named twice, or two files with the same bytes, is one photo)
/// and its sequence number, checked again by the core now that its photos are known.
pub fn submission_batch(
    post: &SubmissionPost,
    received: &BTreeMap<String, PhotoId>,
    first_seq: u64,
) -> PushBatch {
    let items = post
        .drafts
        .iter()
        .enumerate()
        .map(|(i, draft)| {
            let mut version = draft.version.clone();
            version.device_seq = first_seq + i as u64;
            version.photos.clear();
            for name in &draft.photos {
                if let Some(id) = received.get(name) {
                    if !version.photos.contains(id) {
                        version.photos.push(*id);
                    }
                }
            }
            match version.validate() {
                Ok(()) => PushItem::Valid {
                    digest: crate::sync::digest(&version),
                    version: Box::new(version),
                },
                Err(errors) => PushItem::Invalid {
                    version_id: version.version_id.to_string(),
                    reason: errors.to_string(),
                },
            }
        })
        .collect();
    PushBatch {
        device_id: post.device_id,
        first_seq,
        items,
        received_at: post.received_at,
        check_clocks: true,
    }
}

/// Whether a push answer is the one of this submission's versions (and not of versions another
/// client of the same device pushed under those sequence numbers a moment before).
pub fn answers_drafts(results: &[PushResult], post: &SubmissionPost) -> bool {
    results.len() == post.drafts.len()
        && results
            .iter()
            .zip(&post.drafts)
            .all(|(r, d)| r.version_id == d.version.version_id.to_string())
}
