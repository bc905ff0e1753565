//! Heads and conflicts: which versions of an entity are current. The phone and the server both
//! call this, so they always agree on what is in conflict and which head the totals use.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

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
    let mut seen = HashSet::new();
    let mut by_entity: HashMap<Uuid, Vec<&'a Version>> = HashMap::new();
    // (entity, parent): a parent only replaces a version of the same entity.
    let mut replaced: HashSet<(Uuid, Uuid)> = HashSet::new();
    for v in versions {
        if seen.insert(v.version_id) {
            replaced.extend(v.parents.iter().map(|p| (v.entity_id, *p)));
            by_entity.entry(v.entity_id).or_default().push(v);
        }
    }
    by_entity
        .into_iter()
        .filter_map(|(entity, versions)| {
            let mut heads: Vec<&Version> = versions
                .into_iter()
                .filter(|v| !replaced.contains(&(entity, v.version_id)))
                .collect();
            heads.sort_by(|a, b| head_order(b, a));
            // Every version replaced by another of the same entity cannot happen without a cycle,
            // which valid data never has; such an entity has no head and is left out.
            let head = *heads.first()?;
            Some((entity, EntityHeads { head, heads }))
        })
        .collect()
}
