//! Saving records (create, edit, delete, resolve: each one transaction of version + outbox entry)
//! and the lists the app shows (households with their latest check, my records with their state,
//! conflicts, needs attention, the offline scorecard).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use uuid::Uuid;

use super::{commune_config, current_enrollment, parse_version, SaveError, Store, StoreError};
use crate::config::{CommuneConfig, MeasureId};
use crate::geo::TrackFilter;
use crate::heads::{entity_heads, EntityHeads};
use crate::ids::{PhotoId, Slug};
use crate::record::{Body, Kind, Location, Version};
use crate::scorecard::{
    applied_or_unread, scorecard_with, CommuneFacts, Scorecard, VillageMeasure, VillageScore,
};
use crate::text::search_key;

/// What the user entered in a form; the store adds ids, parents, device, sequence and time.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub body: Body,
    /// Required for every kind but a commune-wide assessment.
    pub village_id: Option<Slug>,
    /// Required for road segments (their start) and signs.
    pub location: Option<Location>,
    /// Photos already taken in with [`Store::add_photo`].
    pub photos: Vec<PhotoId>,
    /// The day the thing was observed, as the user set it. `None` keeps what it is: today for a
    /// new record, the observation day of the record an edit, a deletion or a resolution
    /// replaces (the head the totals use).
    pub observed_on: Option<NaiveDate>,
}

impl Draft {
    pub fn new(body: Body, village_id: Option<Slug>) -> Self {
        Draft {
            body,
            village_id,
            location: None,
            photos: Vec::new(),
            observed_on: None,
        }
    }

    /// The draft that re-saves `v`'s content, observed when `v` was (a starting point for an
    /// edit form, or the version a resolution keeps).
    pub fn from_version(v: &Version) -> Self {
        Draft {
            body: v.body.clone(),
            village_id: v.village_id.clone(),
            location: v.location,
            photos: v.photos.clone(),
            observed_on: Some(v.observed_date()),
        }
    }
}

/// The state of one of my records, as the "my records" screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RecordState {
    /// Saved on the phone, waiting to reach the server.
    Pending,
    /// The server has it.
    Synced,
    /// The server refused it; it is on the "needs attention" list.
    Rejected { reason: String },
    /// Its entity has more than one head; someone must resolve it.
    Conflict,
    /// Saved for another commune (or under an identity that needs a new enrollment): it waits
    /// on the phone and can be exported for the dashboard ([`Store::export_waiting`]).
    Waiting { commune_id: Slug },
}

/// One of the phone's own versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordSummary {
    pub version_id: Uuid,
    pub entity_id: Uuid,
    pub kind: Kind,
    pub village_id: Option<Slug>,
    /// The commune it was saved for.
    pub commune_id: Slug,
    pub captured_at: DateTime<FixedOffset>,
    pub deleted: bool,
    /// Whether this version is (one of) its entity's current head(s).
    pub is_head: bool,
    pub state: RecordState,
}

/// The latest check of a household, by the scorecard's own rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckStatus {
    /// The day of the visit.
    pub observed_on: NaiveDate,
    pub version_id: Uuid,
    /// 17.6 met by this household.
    pub sanitation: bool,
    /// 17.7: `None` when the household raises no livestock.
    pub pen_hygienic: Option<bool>,
}

/// A registered household and its latest check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdRow {
    pub entity_id: Uuid,
    pub code: String,
    pub head_name: String,
    pub members: u32,
    pub village_id: Slug,
    /// The household's registry entry or its latest check is in conflict.
    pub conflict: bool,
    pub latest_check: Option<CheckStatus>,
}

/// Filters of the household list.
#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    pub village_id: Option<Slug>,
    /// Matches the code or the head's name, case-insensitively.
    pub search: Option<String>,
    /// `Some(false)`: never checked; `Some(true)`: checked at least once.
    pub checked: Option<bool>,
}

/// An entity with more than one head.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictedEntity {
    pub entity_id: Uuid,
    pub kind: Kind,
    /// Every head, the one the totals use first.
    pub heads: Vec<Version>,
}

/// A version the server rejected, on the "needs attention" list.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedVersion {
    pub version: Version,
    pub reason: String,
}

/// One village's part of the offline scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VillageProgress {
    pub village_id: Slug,
    /// Indicator id -> the village's figure.
    pub indicators: Vec<(String, VillageScore)>,
    pub measures: Vec<(MeasureId, VillageMeasure)>,
}

/// The versions that count (not rejected), parsed once, in one vector so the scorecard can
/// read them without copying.
#[derive(Default)]
pub(super) struct Cache {
    versions: Vec<Version>,
    /// version_id -> position in `versions`.
    index: HashMap<Uuid, usize>,
    by_entity: HashMap<Uuid, Vec<Uuid>>,
    /// The household list with each row's search key, built on first use after a change:
    /// a search per keystroke filters these rows instead of going over every version again.
    households: Option<Vec<(HouseholdRow, String)>>,
}

impl Cache {
    pub(super) fn insert(&mut self, v: Version) {
        self.households = None;
        if let Some(&i) = self.index.get(&v.version_id) {
            // The same version again (a pull of our own): keep the server's annotations.
            let old = &mut self.versions[i];
            old.author = v.author.or(old.author.take());
            old.server_seq = v.server_seq.or(old.server_seq);
            if !v.flags.is_empty() {
                old.flags = v.flags;
            }
            return;
        }
        self.by_entity
            .entry(v.entity_id)
            .or_default()
            .push(v.version_id);
        self.index.insert(v.version_id, self.versions.len());
        self.versions.push(v);
    }

    pub(super) fn remove(&mut self, version_id: &Uuid) {
        self.households = None;
        let Some(i) = self.index.remove(version_id) else {
            return;
        };
        let v = self.versions.swap_remove(i);
        if let Some(moved) = self.versions.get(i) {
            self.index.insert(moved.version_id, i);
        }
        if let Some(ids) = self.by_entity.get_mut(&v.entity_id) {
            ids.retain(|id| id != version_id);
        }
    }

    fn entity(&self, entity_id: &Uuid) -> impl Iterator<Item = &Version> {
        self.by_entity
            .get(entity_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.index.get(id).map(|&i| &self.versions[i]))
    }

    fn heads_of(&self, entity_id: &Uuid) -> Option<EntityHeads<'_>> {
        entity_heads(self.entity(entity_id)).remove(entity_id)
    }

    pub(super) fn references_photo(&self, photo: &PhotoId) -> bool {
        self.versions.iter().any(|v| v.photos.contains(photo))
    }

    fn all(&self) -> impl Iterator<Item = &Version> {
        self.versions.iter()
    }

    /// The household list of the commune (with those of the communes a merger made it from)
    /// with search keys, sorted by village and code.
    fn household_index(&mut self, config: &CommuneConfig) -> &[(HouseholdRow, String)] {
        if self.households.is_none() {
            self.households = Some(self.household_rows(config));
        }
        self.households.as_deref().unwrap_or_default()
    }

    fn household_rows(&self, config: &CommuneConfig) -> Vec<(HouseholdRow, String)> {
        let relevant: Vec<Version> = self
            .all()
            .filter(|v| matches!(v.kind(), Kind::Household | Kind::HouseholdCheck))
            .cloned()
            .collect();
        // The scorecard's facts decide which check is a household's latest: one rule for both.
        let facts =
            CommuneFacts::held_by(config, &relevant, NaiveDate::MAX, &TrackFilter::default());
        let heads = entity_heads(relevant.iter());
        let mut rows: Vec<(HouseholdRow, String)> = facts
            .households
            .iter()
            .filter_map(|h| {
                let head = heads.get(&h.entity_id)?.head;
                let Body::Household(body) = &head.body else {
                    return None;
                };
                let latest_check = h.latest.as_ref().map(|c| CheckStatus {
                    observed_on: c.date,
                    version_id: c.recency.version_id,
                    sanitation: c.sanitation,
                    pen_hygienic: c.pen_hygienic,
                });
                let key = search_key(&format!("{} {}", body.code, body.head_name));
                let row = HouseholdRow {
                    entity_id: h.entity_id,
                    code: body.code.clone(),
                    head_name: body.head_name.clone(),
                    members: body.members,
                    village_id: h.village.clone(),
                    conflict: h.in_conflict(),
                    latest_check,
                };
                Some((row, key))
            })
            .collect();
        rows.sort_by(|(a, _), (b, _)| a.village_id.cmp(&b.village_id).then(a.code.cmp(&b.code)));
        rows
    }
}

impl super::Inner {
    pub(super) fn cache(&mut self) -> Result<&mut Cache, StoreError> {
        if self.cache.is_none() {
            let mut cache = Cache::default();
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT json FROM versions WHERE state <> 'rejected'
                     AND commune_id IN (SELECT json_extract(commune, '$.id') FROM commune WHERE id = 1
                        UNION SELECT value FROM commune, json_each(commune.config, '$.merged_from')
                        WHERE commune.id = 1)",
                )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for json in rows {
                cache.insert(parse_version(&json?)?);
            }
            drop(stmt);
            self.cache = Some(cache);
        }
        Ok(self.cache.as_mut().expect("just loaded"))
    }
}

/// A UUIDv7 made from the phone's clock, as a phone makes it.
fn version_id_at(t: &DateTime<FixedOffset>) -> Uuid {
    let secs = u64::try_from(t.timestamp()).unwrap_or(0);
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        secs,
        t.timestamp_subsec_nanos(),
    ))
}

impl Store {
    /// Saves a new entity. Returns the version written.
    pub fn create(&self, draft: Draft) -> Result<Version, SaveError> {
        let entity_id = version_id_at(&self.now());
        self.save(entity_id, draft, false, Parents::New)
    }

    /// Saves an edit: a new version of `entity_id` whose parents are its current heads (an edit
    /// of an entity in conflict therefore also resolves it).
    pub fn edit(&self, entity_id: Uuid, draft: Draft) -> Result<Version, SaveError> {
        self.save(
            entity_id,
            draft,
            false,
            Parents::Heads {
                must_conflict: false,
            },
        )
    }

    /// Deletes an entity: a tombstone version naming its current heads.
    pub fn delete(&self, entity_id: Uuid) -> Result<Version, SaveError> {
        let head = self
            .current(entity_id)?
            .ok_or(SaveError::UnknownEntity(entity_id))?;
        let mut draft = Draft::from_version(&head);
        draft.photos.clear();
        self.save(
            entity_id,
            draft,
            true,
            Parents::Heads {
                must_conflict: false,
            },
        )
    }

    /// Resolves a conflict with a merge version whose parents are all the entity's heads; the
    /// draft holds the content the person chose.
    pub fn resolve(&self, entity_id: Uuid, draft: Draft) -> Result<Version, SaveError> {
        self.save(
            entity_id,
            draft,
            false,
            Parents::Heads {
                must_conflict: true,
            },
        )
    }

    fn save(
        &self,
        entity_id: Uuid,
        draft: Draft,
        deleted: bool,
        parents: Parents,
    ) -> Result<Version, SaveError> {
        let now = self.now();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let (parents, replaced_day) = match parents {
            Parents::New => (Vec::new(), None),
            Parents::Heads { must_conflict } => {
                let cache = inner.cache()?;
                let heads = cache
                    .heads_of(&entity_id)
                    .ok_or(SaveError::UnknownEntity(entity_id))?;
                if heads.head.kind() != draft.body.kind() {
                    return Err(SaveError::KindChanged {
                        existing: heads.head.kind().as_str(),
                        given: draft.body.kind().as_str(),
                    });
                }
                if must_conflict && !heads.in_conflict() {
                    return Err(SaveError::NotInConflict(entity_id));
                }
                let mut ids: Vec<Uuid> = heads.heads.iter().map(|v| v.version_id).collect();
                ids.sort();
                (ids, Some(heads.head.observed_date()))
            }
        };
        // The thing was observed when the record it replaces says, unless the user changed the
        // day: an edit made years later stays in its period.
        let observed_on = draft
            .observed_on
            .or(replaced_day)
            .unwrap_or_else(|| crate::time::local_date(&now));
        // A photo is either taken on this phone (in `photos`) or already part of a record the
        // phone holds (an edit of another phone's record keeps its photos).
        let pulled_photos: HashSet<PhotoId> = {
            let cache = inner.cache()?;
            draft
                .photos
                .iter()
                .filter(|p| cache.references_photo(p))
                .copied()
                .collect()
        };
        let tx = inner
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(enrollment) = current_enrollment(&tx)? else {
            let any: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM identities)", [], |r| r.get(0))?;
            return Err(if any {
                SaveError::IdentityRetired
            } else {
                SaveError::NotEnrolled
            });
        };
        let last_seq: i64 = tx.query_row(
            "SELECT last_seq FROM identities WHERE device_id = ?1",
            [enrollment.device_id.to_string()],
            |r| r.get(0),
        )?;
        // A record keeps the commune it was first kept under: after a merger, an old commune's
        // household stays that commune's (its figures before the merger date are as they were)
        // and is counted once by the new commune through it.
        let merged_from = commune_config(&tx)?
            .filter(|c| c.commune.id == enrollment.commune.id)
            .map(|c| c.merged_from)
            .unwrap_or_default();
        let kept_under: Option<String> = match parents.first() {
            Some(parent) => tx
                .query_row(
                    "SELECT commune_id FROM versions WHERE version_id = ?1",
                    [parent.to_string()],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        let commune_id = kept_under
            .and_then(|c| Slug::parse(&c).ok())
            .filter(|c| merged_from.contains(c))
            .unwrap_or_else(|| enrollment.commune.id.clone());
        let mut version = Version {
            version_id: version_id_at(&now),
            entity_id,
            parents,
            village_id: draft.village_id,
            commune_id,
            device_id: enrollment.device_id,
            device_seq: last_seq as u64 + 1,
            author: None,
            server_seq: None,
            flags: Vec::new(),
            captured_at: now,
            observed_on: None,
            location: draft.location,
            photos: draft.photos,
            deleted,
            body: draft.body,
        };
        version.set_observed_date(observed_on);
        version.validate().map_err(SaveError::Invalid)?;
        version
            .validate_in_merged(&enrollment.commune, &merged_from, self.catalog)
            .map_err(SaveError::Invalid)?;
        for p in &version.photos {
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM photos WHERE photo_id = ?1)",
                [p.to_hex()],
                |r| r.get(0),
            )?;
            if !known && !pulled_photos.contains(p) {
                return Err(SaveError::UnknownPhoto(p.to_hex()));
            }
        }
        tx.execute(
            "UPDATE identities SET last_seq = ?1 WHERE device_id = ?2",
            params![version.device_seq as i64, version.device_id.to_string()],
        )?;
        insert_version(&tx, &version, true, "pending", &now)?;
        tx.execute(
            "INSERT INTO outbox (device_id, device_seq, version_id) VALUES (?1, ?2, ?3)",
            params![
                version.device_id.to_string(),
                version.device_seq as i64,
                version.version_id.to_string()
            ],
        )?;
        for p in &version.photos {
            tx.execute(
                "INSERT OR IGNORE INTO version_photos (version_id, photo_id) VALUES (?1, ?2)",
                params![version.version_id.to_string(), p.to_hex()],
            )?;
        }
        tx.commit()?;
        inner.cache()?.insert(version.clone());
        Ok(version)
    }

    /// A version by id (any state).
    pub fn version(&self, version_id: Uuid) -> Result<Option<Version>, StoreError> {
        let inner = self.lock();
        let json: Option<String> = inner
            .conn
            .query_row(
                "SELECT json FROM versions WHERE version_id = ?1",
                [version_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| parse_version(&j)).transpose()
    }

    /// The head the totals use for an entity (it may be a tombstone), or `None` if unknown.
    pub fn current(&self, entity_id: Uuid) -> Result<Option<Version>, StoreError> {
        let mut inner = self.lock();
        Ok(inner.cache()?.heads_of(&entity_id).map(|h| h.head.clone()))
    }

    /// Every head of an entity, the one the totals use first.
    pub fn heads(&self, entity_id: Uuid) -> Result<Vec<Version>, StoreError> {
        let mut inner = self.lock();
        Ok(inner
            .cache()?
            .heads_of(&entity_id)
            .map(|h| h.heads.into_iter().cloned().collect())
            .unwrap_or_default())
    }

    /// Every entity's head version ids (for comparing phones with each other and the server).
    pub fn all_heads(&self) -> Result<BTreeMap<Uuid, BTreeSet<Uuid>>, StoreError> {
        let mut inner = self.lock();
        let cache = inner.cache()?;
        Ok(entity_heads(cache.all())
            .into_iter()
            .map(|(e, h)| (e, h.heads.iter().map(|v| v.version_id).collect()))
            .collect())
    }

    /// Every version that counts (not rejected), in no particular order.
    pub fn versions(&self) -> Result<Vec<Version>, StoreError> {
        let mut inner = self.lock();
        Ok(inner.cache()?.all().cloned().collect())
    }

    /// Entities with more than one head.
    pub fn conflicts(&self) -> Result<Vec<ConflictedEntity>, StoreError> {
        let mut inner = self.lock();
        let cache = inner.cache()?;
        let mut out: Vec<ConflictedEntity> = entity_heads(cache.all())
            .into_iter()
            .filter(|(_, h)| h.in_conflict())
            .map(|(entity_id, h)| ConflictedEntity {
                entity_id,
                kind: h.head.kind(),
                heads: h.heads.into_iter().cloned().collect(),
            })
            .collect();
        out.sort_by_key(|c| c.entity_id);
        Ok(out)
    }

    /// Registered households (live) with their latest check, by village and code. The search
    /// matches the code or the head's name whatever the case and the accents ("tuan" finds
    /// "Tuấn"), every word of it somewhere in the two.
    pub fn households(&self, filter: &HouseholdFilter) -> Result<Vec<HouseholdRow>, StoreError> {
        let mut inner = self.lock();
        let Some(commune) = commune_config(&inner.conn)? else {
            return Ok(Vec::new());
        };
        let words: Vec<String> = filter
            .search
            .as_deref()
            .map(search_key)
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(inner
            .cache()?
            .household_index(&commune)
            .iter()
            .filter(|(r, _)| {
                filter
                    .village_id
                    .as_ref()
                    .is_none_or(|v| &r.village_id == v)
            })
            .filter(|(r, _)| filter.checked.is_none_or(|c| r.latest_check.is_some() == c))
            .filter(|(_, key)| words.iter().all(|w| key.contains(w.as_str())))
            .map(|(r, _)| r.clone())
            .collect())
    }

    /// One registered household (live) with its latest check.
    pub fn household(&self, entity_id: Uuid) -> Result<Option<HouseholdRow>, StoreError> {
        let mut inner = self.lock();
        let Some(commune) = commune_config(&inner.conn)? else {
            return Ok(None);
        };
        Ok(inner
            .cache()?
            .household_index(&commune)
            .iter()
            .find(|(r, _)| r.entity_id == entity_id)
            .map(|(r, _)| r.clone()))
    }

    /// The phone's own versions, newest first, with their state.
    pub fn my_records(&self, limit: usize) -> Result<Vec<RecordSummary>, StoreError> {
        let mut inner = self.lock();
        let rows: Vec<(String, String, Option<String>, bool)> = {
            let mut stmt = inner.conn.prepare(
                "SELECT v.json, v.state, v.reason, EXISTS (
                    SELECT 1 FROM outbox o JOIN identities i ON i.device_id = o.device_id
                    WHERE o.version_id = v.version_id AND i.retired_at IS NOT NULL)
                 FROM versions v WHERE v.own = 1
                 ORDER BY v.saved_at DESC, v.device_seq DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let cache = inner.cache()?;
        let mut out = Vec::with_capacity(rows.len());
        for (json, state, reason, waiting) in rows {
            let v = parse_version(&json)?;
            let heads = cache.heads_of(&v.entity_id);
            let is_head = heads
                .as_ref()
                .is_some_and(|h| h.heads.iter().any(|x| x.version_id == v.version_id));
            let conflict = is_head && heads.as_ref().is_some_and(|h| h.in_conflict());
            let state = match state.as_str() {
                "rejected" => RecordState::Rejected {
                    reason: reason.unwrap_or_default(),
                },
                _ if waiting => RecordState::Waiting {
                    commune_id: v.commune_id.clone(),
                },
                _ if conflict => RecordState::Conflict,
                "pending" => RecordState::Pending,
                _ => RecordState::Synced,
            };
            out.push(RecordSummary {
                version_id: v.version_id,
                entity_id: v.entity_id,
                kind: v.kind(),
                village_id: v.village_id.clone(),
                commune_id: v.commune_id.clone(),
                captured_at: v.captured_at,
                deleted: v.deleted,
                is_head,
                state,
            });
        }
        Ok(out)
    }

    /// Versions the server rejected that the user has not dismissed yet.
    pub fn needs_attention(&self) -> Result<Vec<RejectedVersion>, StoreError> {
        let inner = self.lock();
        let mut stmt = inner.conn.prepare(
            "SELECT json, reason FROM versions WHERE state = 'rejected' AND attention = 1 ORDER BY device_id, device_seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (json, reason) = row?;
            out.push(RejectedVersion {
                version: parse_version(&json)?,
                reason: reason.unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Takes a rejected version off the "needs attention" list (it stays in the store).
    pub fn dismiss_attention(&self, version_id: Uuid) -> Result<(), StoreError> {
        let inner = self.lock();
        inner.conn.execute(
            "UPDATE versions SET attention = 0 WHERE version_id = ?1 AND state = 'rejected'",
            [version_id.to_string()],
        )?;
        Ok(())
    }

    /// The offline scorecard of the commune over everything the phone holds, as of `as_of`;
    /// `None` before enrollment.
    pub fn scorecard(&self, as_of: NaiveDate) -> Result<Option<Scorecard>, StoreError> {
        let mut inner = self.lock();
        let Some(config) = commune_config(&inner.conn)? else {
            return Ok(None);
        };
        let cache = inner.cache()?;
        // The edition that applies on the day, as on the server (a missing commune group shows
        // figures without verdicts).
        let (applied, _) =
            applied_or_unread(crate::catalog::edition::Editions::builtin(), &config, as_of);
        Ok(Some(scorecard_with(
            &applied,
            &config,
            &cache.versions,
            as_of,
        )))
    }

    /// One village's figures from the offline scorecard.
    pub fn village_progress(
        &self,
        village_id: &Slug,
        as_of: NaiveDate,
    ) -> Result<Option<VillageProgress>, StoreError> {
        let Some(card) = self.scorecard(as_of)? else {
            return Ok(None);
        };
        Ok(Some(village_progress(&card, village_id)))
    }
}

/// A village's rows of a commune scorecard.
pub fn village_progress(card: &Scorecard, village_id: &Slug) -> VillageProgress {
    let indicators = card
        .criteria
        .iter()
        .flat_map(|c| &c.indicators)
        .filter_map(|i| {
            i.villages
                .iter()
                .find(|v| &v.village_id == village_id)
                .map(|v| (i.id.clone(), v.clone()))
        })
        .collect();
    let measures = card
        .measures
        .iter()
        .filter_map(|m| {
            m.villages
                .iter()
                .find(|v| &v.village_id == village_id)
                .map(|v| (m.id, v.clone()))
        })
        .collect();
    VillageProgress {
        village_id: village_id.clone(),
        indicators,
        measures,
    }
}

enum Parents {
    New,
    Heads { must_conflict: bool },
}

/// Inserts a version row (the caller handles the outbox and the cache).
pub(super) fn insert_version(
    tx: &rusqlite::Transaction<'_>,
    v: &Version,
    own: bool,
    state: &str,
    saved_at: &DateTime<FixedOffset>,
) -> Result<usize, rusqlite::Error> {
    let json = serde_json::to_string(v).expect("a version always serialises to JSON");
    tx.execute(
        "INSERT OR IGNORE INTO versions (version_id, entity_id, kind, village_id, device_id, device_seq, captured_at,
            deleted, own, state, server_seq, saved_at, json, commune_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            v.version_id.to_string(),
            v.entity_id.to_string(),
            v.kind().as_str(),
            v.village_id.as_ref().map(|s| s.as_str().to_owned()),
            v.device_id.to_string(),
            v.device_seq as i64,
            v.captured_at.to_rfc3339(),
            v.deleted,
            own,
            state,
            v.server_seq.map(|s| s as i64),
            saved_at.to_rfc3339(),
            json,
            v.commune_id.as_str(),
        ],
    )
}
