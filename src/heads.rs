//! Heads and conflicts: which versions of an entity are current. The phone and the server both
//! call this, so they always agree on what is in conflict and which head the totals use.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use uuid::Uuid;

use crate::record::Version;

/// The current state of one entity.
#[derive(Debug, Clone)]
pub struct EntityHeads<'a> {
    /// The head the totals use: the latest `captured_at`, then the greatest `version_id`.
    pub head: &'a Version,
    /// Every head; more than one is a conflict to be resolved by a person.
    pub heads: Vec<&'a Version>,
}

impl EntityHeads<'_> {
    pub fn in_conflict(&self) -> bool {
        self.heads.len() > 1
    }

    /// Whether the entity still exists (its chosen head is not a tombstone).
    pub fn is_live(&self) -> bool {
        !self.head.deleted
    }
}

/// The deterministic order of heads: later `captured_at` wins, then the greater `version_id`.
pub fn head_order(a: &Version, b: &Version) -> Ordering {
    a.captured_at
        .cmp(&b.captured_at)
        .then(a.version_id.cmp(&b.version_id))
}

/// Groups versions by entity and finds each entity's heads: the versions no other version names
/// as a parent. The same `version_id` given twice counts once.
pub fn entity_heads<'a, I>(versions: I) -> HashMap<Uuid, EntityHeads<'a>>
where
    I: IntoIterator<Item = &'a Version>,
{
    heads_among(versions, |_| true)
}

/// Each entity's heads as of the end of `as_of`: among the versions that count then
/// ([`Version::counts_on`]), those no later one replaces. A version observed by then is replaced
/// by a later edit that also is, even through an edit between them dated after it (a date moved
/// forward, then back), so moving a date never splits an entity into a false conflict.
pub fn entity_heads_as_of<'a, I>(versions: I, as_of: NaiveDate) -> HashMap<Uuid, EntityHeads<'a>>
where
    I: IntoIterator<Item = &'a Version>,
{
    heads_among(versions, |v| v.counts_on(as_of))
}

/// The heads of the versions that `count`; the others only link a counted version to the
/// versions it replaces.
fn heads_among<'a, I>(
    versions: I,
    count: impl Fn(&Version) -> bool,
) -> HashMap<Uuid, EntityHeads<'a>>
where
    I: IntoIterator<Item = &'a Version>,
{
    let mut seen = HashSet::new();
    // (entity, version): a parent only replaces a version of the same entity.
    let mut known: HashMap<(Uuid, Uuid), &'a Version> = HashMap::new();
    let mut by_entity: HashMap<Uuid, Vec<&'a Version>> = HashMap::new();
    for v in versions {
        if seen.insert(v.version_id) {
            known.insert((v.entity_id, v.version_id), v);
            by_entity.entry(v.entity_id).or_default().push(v);
        }
    }
    let mut replaced: HashSet<(Uuid, Uuid)> = HashSet::new();
    for v in known.values().filter(|v| count(v)) {
        let mut ancestors: Vec<(Uuid, Uuid)> =
            v.parents.iter().map(|p| (v.entity_id, *p)).collect();
        while let Some(key) = ancestors.pop() {
            // A version that counts replaces its own parents when its turn comes; one that does
            // not is looked through. Each is expanded once.
            if replaced.insert(key) {
                if let Some(p) = known.get(&key).filter(|p| !count(p)) {
                    ancestors.extend(p.parents.iter().map(|g| (key.0, *g)));
                }
            }
        }
    }
    by_entity
        .into_iter()
        .filter_map(|(entity, versions)| {
            let mut heads: Vec<&Version> = versions
                .into_iter()
                .filter(|v| count(v) && !replaced.contains(&(entity, v.version_id)))
                .collect();
            heads.sort_by(|a, b| head_order(b, a));
            // Every version replaced by another of the same entity cannot happen without a cycle,
            // which valid data never has; such an entity has no head and is left out.
            let head = *heads.first()?;
            Some((entity, EntityHeads { head, heads }))
        })
        .collect()
}
