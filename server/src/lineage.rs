//! Scorecards of communes that merge or split, over the facts of every commune whose records
//! they count ([`ntm_field::merger::counting`]): the scorecard endpoint and the dashboard read
//! them through here, so both count a merged commune the same way.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ntm_field::admin::Commune;
use ntm_field::ids::Slug;
use ntm_field::merger::{Counting, Merger};
use ntm_field::scorecard::CommuneFacts;

use crate::storage::{Storage, StoreResult};

/// The mergers recorded, and the communes when one of them made `commune` (for the villages
/// of its parts): what [`Lineage::counting`] needs, read once per request.
pub struct Lineage {
    mergers: Vec<Merger>,
    communes: Vec<Commune>,
}

impl Lineage {
    pub fn load(storage: &dyn Storage, commune: &Slug) -> StoreResult<Self> {
        let mergers = storage.mergers()?;
        let communes = if mergers.iter().any(|m| &m.commune == commune) {
            storage.list_communes()?
        } else {
            Vec::new()
        };
        Ok(Lineage { mergers, communes })
    }

    /// The mergers and every commune, for many communes at once (an overview).
    pub fn from_parts(mergers: Vec<Merger>, communes: Vec<Commune>) -> Self {
        Lineage { mergers, communes }
    }

    /// Whose records `commune`'s figures count on `date`.
    pub fn counting(&self, commune: &Slug, date: NaiveDate) -> Counting {
        ntm_field::merger::counting(commune, date, &self.mergers, &self.communes)
    }
}

/// The commune `commune` went into whole by a merger in force on `today`, if any: its phones
/// now work for that commune.
pub fn merged_into(mergers: &[Merger], commune: &Slug, today: NaiveDate) -> Option<Slug> {
    // Not `counting`: a commune a merger made and that merged again counts as made.
    mergers
        .iter()
        .find(|m| m.date <= today && m.parts.iter().any(|p| &p.commune == commune && p.whole()))
        .map(|m| m.commune.clone())
}

/// A commune no merger or split concerns on that date: its own facts, as before mergers.
pub fn is_plain(counting: &Counting) -> bool {
    matches!(counting, Counting::Own { gave_away } if gave_away.is_empty())
}

/// The facts of every commune `counting` names, as of `as_of`: the incremental facts where they
/// serve that date, else recomputed from the versions. The flag says whether all were
/// incremental.
pub fn facts(
    storage: &dyn Storage,
    commune: &Slug,
    counting: &Counting,
    as_of: NaiveDate,
) -> StoreResult<(BTreeMap<Slug, CommuneFacts>, bool)> {
    let mut out = BTreeMap::new();
    let mut incremental = true;
    for id in counting.communes(commune) {
        let snapshot = storage.commune_facts(&id)?;
        let facts = if snapshot.latest_capture.is_none_or(|latest| as_of >= latest) {
            snapshot.facts
        } else {
            incremental = false;
            crate::storage::heads::facts_as_of(storage, &id, &[as_of])?
                .pop()
                .unwrap_or_default()
        };
        out.insert(id, facts);
    }
    Ok((out, incremental))
}

/// The facts of every commune `counting` names, as of each of `dates`, from the versions.
pub fn facts_on_dates(
    storage: &dyn Storage,
    commune: &Slug,
    counting: &Counting,
    dates: &[NaiveDate],
) -> StoreResult<Vec<BTreeMap<Slug, CommuneFacts>>> {
    let mut out = vec![BTreeMap::new(); dates.len()];
    for id in counting.communes(commune) {
        let per_date = crate::storage::heads::facts_as_of(storage, &id, dates)?;
        for (slot, facts) in out.iter_mut().zip(per_date) {
            slot.insert(id.clone(), facts);
        }
    }
    Ok(out)
}
