//! The form screens' state as a record's draft: taken up when there is one, written back as the
//! user types once anything was entered (opening a form and leaving it leaves no draft), and
//! thrown away with the photos taken for it.

use std::collections::HashSet;

use dioxus::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use ntm_field::ids::{PhotoId, Slug};
use ntm_field::record::Kind;

use super::DraftInfo;
use crate::i18n::I18n;
use crate::services::{use_services, Services};

/// A form whose state can be a record's draft.
pub trait DraftForm: Serialize + DeserializeOwned + Clone + PartialEq + 'static {
    fn village_id(&self) -> Option<Slug>;
    fn photos(&self) -> Vec<PhotoId>;
    /// Whether the user entered anything since `initial` (what the phone fills in by itself,
    /// such as where a check is made, does not count).
    fn entered_since(&self, initial: &Self) -> bool;
}

/// Which record a form is opened for.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftOpen {
    pub kind: Kind,
    /// The draft to resume (from the drafts list), or the id a new record's draft takes.
    pub id: Option<Uuid>,
    /// The household a check is of.
    pub household_id: Option<Uuid>,
    /// The version an edit starts from.
    pub edit_of: Option<Uuid>,
}

/// A form's state and the id of its draft: the draft `open` names or [`super::Drafts::find`]
/// finds, else `initial()` under a new id. Every change is written back once the user entered
/// something.
pub fn use_record_draft<T: DraftForm>(
    open: DraftOpen,
    initial: impl FnOnce() -> T,
) -> (Signal<T>, Uuid) {
    let drafts = use_services().drafts.clone();
    let (info, start, blank) = use_hook({
        let drafts = drafts.clone();
        move || {
            let id = open
                .id
                .or_else(|| drafts.find(&open))
                .unwrap_or_else(Uuid::now_v7);
            let saved = drafts.record::<T>(id);
            let info = DraftInfo {
                id,
                kind: open.kind,
                household_id: open
                    .household_id
                    .or(saved.as_ref().and_then(|(i, _)| i.household_id)),
                edit_of: open.edit_of.or(saved.as_ref().and_then(|(i, _)| i.edit_of)),
                village_id: None,
                photos: Vec::new(),
                updated_at: crate::fmt::now_local(),
            };
            let blank = initial();
            let start = saved.map(|(_, form)| form).unwrap_or_else(|| blank.clone());
            (info, start, blank)
        }
    });
    let form = use_signal(|| start);
    let id = info.id;
    use_effect(move || {
        let form = form.read();
        if drafts.has_record(id) || form.entered_since(&blank) {
            let info = DraftInfo {
                village_id: form.village_id(),
                photos: form.photos(),
                updated_at: crate::fmt::now_local(),
                ..info.clone()
            };
            drafts.save_record(&info, &*form);
        }
    });
    (form, id)
}

/// Photos other drafts than `except` hold: a photo is a file named by its content, so two
/// drafts may hold the same one.
fn photos_of_other_drafts(services: &Services, except: Uuid) -> HashSet<PhotoId> {
    services
        .drafts
        .list()
        .into_iter()
        .filter(|d| d.id != except)
        .flat_map(|d| d.photos)
        .collect()
}

/// Throws a record's draft away, with the photos taken for it: those no saved record and no
/// other draft uses go from the phone's disk (a draft of an edit keeps the photos of the
/// version it edits).
pub fn discard_draft(services: &Services, id: Uuid, photos: &[PhotoId]) {
    let others = photos_of_other_drafts(services, id);
    services.drafts.remove(id);
    let unused: Vec<PhotoId> = photos
        .iter()
        .filter(|p| !others.contains(p))
        .copied()
        .collect();
    match services.store.discard_photos(&unused) {
        Ok(gone) => tracing::info!(%id, gone, "draft discarded"),
        Err(e) => tracing::warn!(%id, %e, "the discarded draft's photos stay on disk"),
    }
}

/// A photo retaken in draft `id`: the one it replaces goes from the disk, unless a saved record
/// or another draft uses it.
pub fn discard_replaced(
    services: &Services,
    id: Uuid,
    old: impl IntoIterator<Item = PhotoId>,
    new: PhotoId,
) {
    let others = photos_of_other_drafts(services, id);
    let replaced: Vec<PhotoId> = old
        .into_iter()
        .filter(|p| *p != new && !others.contains(p))
        .collect();
    if let Err(e) = services.store.discard_photos(&replaced) {
        tracing::warn!(%e, "a replaced photo stays on disk");
    }
}

/// What discarding a draft loses, said before it happens.
pub fn discard_question(t: &I18n, photos: usize) -> String {
    t.t_args("draft-discard-question", &[("photos", photos.into())])
}
