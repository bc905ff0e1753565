//! Each entity's heads as of given dates, read a page of entities at a time
//! ([`Storage::for_each_entity`]): what the scorecards, the dashboard pages and the exports need
//! of a commune, without holding every version of its history at once.

use chrono::NaiveDate;
use ntm_field::geo::TrackFilter;
use ntm_field::heads::{entity_heads_as_of, EntityHeads};
use ntm_field::ids::Slug;
use ntm_field::record::Version;
use ntm_field::scorecard::{CommuneFacts, EntityFact};
use uuid::Uuid;

use super::{Storage, StoreResult, ENTITY_PAGE};

/// The heads of a page's entities of `commune` as of `as_of`: the same rule as the core's
/// scorecard and the reports' rows (records by the day they were observed, assessments by their
/// own date).
fn heads_on<'a>(
    page: &'a [Version],
    commune: &Slug,
    as_of: NaiveDate,
) -> std::collections::HashMap<Uuid, EntityHeads<'a>> {
    entity_heads_as_of(page.iter().filter(|v| &v.commune_id == commune), as_of)
}

/// For each date of `dates`, every head of every entity of the commune as of that date. Given to
/// the core's functions on versions (`scorecard_with`, `Rows::of`, ...) for the same date, a list
/// of heads gives what the whole history gives: no head names another head of its entity.
pub fn heads_as_of(
    storage: &dyn Storage,
    commune: &Slug,
    dates: &[NaiveDate],
) -> StoreResult<Vec<Vec<Version>>> {
    heads_in_pages(storage, commune, dates, ENTITY_PAGE)
}

/// [`heads_as_of`] with pages of `entities` entities.
pub fn heads_in_pages(
    storage: &dyn Storage,
    commune: &Slug,
    dates: &[NaiveDate],
    entities: usize,
) -> StoreResult<Vec<Vec<Version>>> {
    let mut out = vec![Vec::new(); dates.len()];
    storage.for_each_entity(commune, entities, &mut |page| {
        for (heads, &as_of) in out.iter_mut().zip(dates) {
            let found = heads_on(page, commune, as_of);
            heads.extend(
                found
                    .values()
                    .flat_map(|h| h.heads.iter().map(|v| (*v).clone())),
            );
        }
        Ok(())
    })?;
    Ok(out)
}

/// For each date of `dates`, the commune's facts as of that date, as
/// `CommuneFacts::from_versions` finds them from the whole history, keeping only each page's
/// small per-entity facts (no tracks, no earlier versions).
pub fn facts_as_of(
    storage: &dyn Storage,
    commune: &Slug,
    dates: &[NaiveDate],
) -> StoreResult<Vec<CommuneFacts>> {
    let mut found: Vec<(Vec<EntityFact>, usize)> = vec![(Vec::new(), 0); dates.len()];
    let filter = TrackFilter::default();
    storage.for_each_entity(commune, ENTITY_PAGE, &mut |page| {
        for ((facts, conflicts), &as_of) in found.iter_mut().zip(dates) {
            let heads = heads_on(page, commune, as_of);
            *conflicts += heads.values().filter(|h| h.in_conflict()).count();
            facts.extend(
                heads
                    .iter()
                    .filter_map(|(id, h)| EntityFact::of(*id, h, &filter)),
            );
        }
        Ok(())
    })?;
    Ok(found
        .into_iter()
        .map(|(facts, conflicts)| {
            let mut out = CommuneFacts::from_entity_facts(facts);
            out.conflicts = conflicts;
            out
        })
        .collect())
}

/// Every head of every entity of the commune, whatever its date.
pub fn current_heads(storage: &dyn Storage, commune: &Slug) -> StoreResult<Vec<Version>> {
    Ok(heads_as_of(storage, commune, &[NaiveDate::MAX])?
        .pop()
        .unwrap_or_default())
}
