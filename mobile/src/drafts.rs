//! Half-filled forms survive the app being closed: each form's state is written to
//! `drafts/<key>.json` in the files directory as the user types (atomically: a temporary file
//! then a rename, so a kill mid-write leaves the previous draft), and removed once saved.

use std::path::{Path, PathBuf};

use dioxus::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use ntm_field::ids::PhotoId;

use crate::i18n::I18n;
use crate::services::{use_services, Services};

/// The drafts folder of one files directory.
#[derive(Debug, Clone)]
pub struct Drafts {
    dir: PathBuf,
}

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

    /// Forgets the draft under `key` (after the record is saved, or the user discards it).
    pub fn clear(&self, key: &str) {
        let _ = std::fs::remove_file(self.path(key));
    }

    /// Whether a draft exists under `key`.
    pub fn exists(&self, key: &str) -> bool {
        self.path(key).exists()
    }
}

/// Throws a form's draft away, with the photos taken for it: those no saved record uses go from
/// the phone's disk (a draft of an edit keeps the photos of the version it edits).
pub fn discard_draft(services: &Services, key: &str, photos: &[PhotoId]) {
    services.drafts.clear(key);
    match services.store.discard_photos(photos) {
        Ok(gone) => tracing::info!(key, gone, "draft discarded"),
        Err(e) => tracing::warn!(key, %e, "the discarded draft's photos stay on disk"),
    }
}

/// A photo retaken in a draft: the one it replaces goes from the disk, unless a saved record
/// uses it.
pub fn discard_replaced(services: &Services, old: impl IntoIterator<Item = PhotoId>, new: PhotoId) {
    let replaced: Vec<PhotoId> = old.into_iter().filter(|p| *p != new).collect();
    if let Err(e) = services.store.discard_photos(&replaced) {
        tracing::warn!(%e, "a replaced photo stays on disk");
    }
}

/// What discarding a draft loses, said before it happens.
pub fn discard_question(t: &I18n, photos: usize) -> String {
    t.t_args("draft-discard-question", &[("photos", photos.into())])
}

/// A form's state kept as a draft: what was saved under `key` when the form was last left,
/// else `initial()`; every change is written back as the user types.
pub fn use_draft<T>(key: &str, initial: impl FnOnce() -> T) -> Signal<T>
where
    T: Serialize + DeserializeOwned + 'static,
{
    let drafts = use_services().drafts.clone();
    let form = use_signal({
        let (drafts, key) = (drafts.clone(), key.to_owned());
        move || drafts.load(&key).unwrap_or_else(initial)
    });
    use_effect({
        let key = key.to_owned();
        move || drafts.save(&key, &*form.read())
    });
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_survives_reopening_and_is_gone_once_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::new(dir.path());
        drafts.save("household-check/1", &vec![1, 2, 3]);
        let reopened = Drafts::new(dir.path());
        assert_eq!(
            reopened.load::<Vec<i32>>("household-check/1"),
            Some(vec![1, 2, 3])
        );
        assert_eq!(
            reopened.load::<String>("household-check/1"),
            None,
            "a draft of another shape is dropped"
        );
        reopened.clear("household-check/1");
        assert!(!reopened.exists("household-check/1"));
    }
}
