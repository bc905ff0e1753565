//! Half-filled forms survive the app being closed: each is written to the drafts folder of the
//! files directory as the user types (atomically: a temporary file then a rename, so a kill
//! mid-write leaves the previous draft), and removed once saved or discarded.
//!
//! A draft belongs to one record: a new record's draft has an id of its own, an edit's draft
//! names the version it starts from, a check's its household. The home screen lists them
//! ([`Drafts::list`]) to resume or discard; a new sign or road starts empty. `form.rs` holds the
//! hook the form screens keep their state with.

mod form;

pub use form::{
    discard_draft, discard_question, discard_replaced, use_record_draft, DraftForm, DraftOpen,
};

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use ntm_field::ids::{PhotoId, Slug};
use ntm_field::record::Kind;

/// The drafts folder of one files directory.
#[derive(Debug, Clone)]
pub struct Drafts {
    dir: PathBuf,
}

/// What a record's draft is of, as the drafts list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftInfo {
    pub id: Uuid,
    pub kind: Kind,
    /// The household a check is of.
    pub household_id: Option<Uuid>,
    /// The version an edit starts from; `None` for a new record.
    pub edit_of: Option<Uuid>,
    pub village_id: Option<Slug>,
    /// The photos in the form (those no saved record uses go with the draft).
    pub photos: Vec<PhotoId>,
    pub updated_at: DateTime<FixedOffset>,
}

/// A record's draft file: what it is of (a [`DraftInfo`], borrowed when written), and the form
/// as typed.
#[derive(Serialize, Deserialize)]
struct RecordDraft<I, T> {
    info: I,
    form: T,
}

/// A record's draft file read for the list, its form skipped.
#[derive(Deserialize)]
struct InfoOnly {
    info: DraftInfo,
}

/// File names of record drafts start so; other files of the folder (the road recording) are
/// not drafts of a record.
const RECORD_PREFIX: &str = "record-";

impl Drafts {
    pub fn new(files_dir: &Path) -> Self {
        Drafts {
            dir: files_dir.join("drafts"),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        let safe: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{safe}.json"))
    }

    fn record_key(id: Uuid) -> String {
        format!("{RECORD_PREFIX}{id}")
    }

    /// The draft saved under `key`, if any and if it still reads (a draft from an older app
    /// version that no longer fits is dropped rather than crashing the form).
    pub fn load<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(key, %e, "dropping a draft that no longer reads");
                None
            }
        }
    }

    /// Saves `value` under `key`. Failures are logged, not shown: the form still works, it just
    /// would not survive a restart.
    pub fn save<T: Serialize>(&self, key: &str, value: &T) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let path = self.path(key);
            let tmp = path.with_extension("json.tmp");
            std::fs::write(
                &tmp,
                serde_json::to_vec(value).map_err(std::io::Error::other)?,
            )?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!(key, %e, "could not save a draft");
        }
    }

    /// Forgets the draft under `key`.
    pub fn clear(&self, key: &str) {
        let _ = std::fs::remove_file(self.path(key));
    }

    /// A record's draft: what it is of and its form, if it still reads as `T`.
    pub fn record<T: DeserializeOwned>(&self, id: Uuid) -> Option<(DraftInfo, T)> {
        self.load::<RecordDraft<DraftInfo, T>>(&Self::record_key(id))
            .map(|d| (d.info, d.form))
    }

    /// Saves a record's draft under its id.
    pub fn save_record<T: Serialize>(&self, info: &DraftInfo, form: &T) {
        self.save(&Self::record_key(info.id), &RecordDraft { info, form });
    }

    /// What a record's draft is of, if it is on disk.
    pub fn info(&self, id: Uuid) -> Option<DraftInfo> {
        self.load::<InfoOnly>(&Self::record_key(id)).map(|d| d.info)
    }

    /// Whether a record's draft is on disk.
    pub fn has_record(&self, id: Uuid) -> bool {
        self.path(&Self::record_key(id)).exists()
    }

    /// Forgets a record's draft (after the record is saved, or the user discards it).
    pub fn remove(&self, id: Uuid) {
        self.clear(&Self::record_key(id));
    }

    /// Every record's draft, the one touched last first.
    pub fn list(&self) -> Vec<DraftInfo> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<DraftInfo> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let key = name.strip_suffix(".json")?;
                key.strip_prefix(RECORD_PREFIX)?;
                self.load::<InfoOnly>(key).map(|d| d.info)
            })
            .collect();
        out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        out
    }

    /// The draft a form opened without a draft id takes up: the one of an edit of the same
    /// version, or a household's unfinished new check. A new sign or road never takes up an
    /// earlier one by itself: the user resumes it from the list.
    pub fn find(&self, open: &DraftOpen) -> Option<Uuid> {
        let matches = |d: &DraftInfo| match open.edit_of {
            Some(version) => d.edit_of == Some(version),
            None => {
                open.kind == Kind::HouseholdCheck
                    && d.kind == Kind::HouseholdCheck
                    && d.edit_of.is_none()
                    && open.household_id.is_some()
                    && d.household_id == open.household_id
            }
        };
        self.list().into_iter().find(matches).map(|d| d.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(kind: Kind, household_id: Option<Uuid>, edit_of: Option<Uuid>, at: &str) -> DraftInfo {
        DraftInfo {
            id: Uuid::now_v7(),
            kind,
            household_id,
            edit_of,
            village_id: None,
            photos: Vec::new(),
            updated_at: DateTime::parse_from_rfc3339(at).unwrap(),
        }
    }

    #[test]
    fn a_draft_survives_reopening_and_is_gone_once_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::new(dir.path());
        drafts.save("road-recording", &vec![1, 2, 3]);
        let reopened = Drafts::new(dir.path());
        assert_eq!(
            reopened.load::<Vec<i32>>("road-recording"),
            Some(vec![1, 2, 3])
        );
        assert_eq!(
            reopened.load::<String>("road-recording"),
            None,
            "a draft of another shape is dropped"
        );
        assert!(
            reopened.list().is_empty(),
            "the recording is no record's draft"
        );
        reopened.clear("road-recording");
        assert_eq!(reopened.load::<Vec<i32>>("road-recording"), None);
    }

    #[test]
    fn each_record_has_its_own_draft_listed_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::new(dir.path());
        let household = Uuid::now_v7();
        let version = Uuid::now_v7();
        let first_sign = info(Kind::TrashSign, None, None, "2026-12-01T08:00:00+07:00");
        let second_sign = info(Kind::TrashSign, None, None, "2026-12-02T08:00:00+07:00");
        let check = info(
            Kind::HouseholdCheck,
            Some(household),
            None,
            "2026-12-03T08:00:00+07:00",
        );
        let edit = info(
            Kind::TrashSign,
            None,
            Some(version),
            "2026-11-30T08:00:00+07:00",
        );
        for (d, note) in [
            (&first_sign, "a"),
            (&second_sign, "b"),
            (&check, "c"),
            (&edit, "d"),
        ] {
            drafts.save_record(d, &note.to_owned());
        }
        let listed: Vec<Uuid> = drafts.list().iter().map(|d| d.id).collect();
        assert_eq!(listed, [check.id, second_sign.id, first_sign.id, edit.id]);
        assert_eq!(
            drafts.record::<String>(first_sign.id).map(|(_, f)| f),
            Some("a".to_owned())
        );

        let open = |kind, household_id, edit_of| DraftOpen {
            kind,
            id: None,
            household_id,
            edit_of,
        };
        assert_eq!(
            drafts.find(&open(Kind::TrashSign, None, None)),
            None,
            "a new sign starts empty"
        );
        assert_eq!(
            drafts.find(&open(Kind::TrashSign, None, Some(version))),
            Some(edit.id)
        );
        assert_eq!(
            drafts.find(&open(Kind::HouseholdCheck, Some(household), None)),
            Some(check.id)
        );
        assert_eq!(
            drafts.find(&open(Kind::HouseholdCheck, Some(Uuid::now_v7()), None)),
            None
        );

        drafts.remove(second_sign.id);
        assert!(!drafts.has_record(second_sign.id));
        assert_eq!(drafts.list().len(), 3);
    }
}
