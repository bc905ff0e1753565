//! Loading the Thiện Kế demo commune into a data directory, idempotently: the commune, its
//! province's targets, quotas and responsibilities, and the plan's records written by the
//! demo's own seeding device through the same `store_versions` as any push. On request
//! ([`load_demo_merger`], `ntm-server demo --with-merger`), its merger into Sơn Thủy on
//! 01/7/2025 with Ninh Lai and Sơn Nam (illustrative data): the two other old communes and the
//! new one, their records, and the merger. It is not loaded by default because from that date
//! Thiện Kế is historical, while the quick start collects in it today.

use chrono::Utc;
use ntm_field::demo::{son_thuy, thien_ke, DemoCommune};
use ntm_field::protocol::PushStatus;

use crate::storage::{PushBatch, PushItem, PushOutcome, Storage};
use crate::sync::digest;

/// What loading the demo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLoaded {
    pub commune_id: String,
    pub created: bool,
    pub versions_stored: usize,
    pub versions_total: usize,
}

pub fn load_demo(storage: &dyn Storage) -> anyhow::Result<DemoLoaded> {
    let demo = thien_ke()?;
    let config = &demo.config;
    let id = &config.commune.id;
    let existing = storage.commune_config(id)?;
    let created = existing.is_none();
    if created {
        storage.create_commune(&config.commune, &config.responsibilities)?;
        storage.put_edition_settings(id, &config.editions)?;
    }
    let current = storage
        .commune_config(id)?
        .ok_or_else(|| anyhow::anyhow!("commune {id} vanished"))?;
    for (indicator, target) in &config.province_targets {
        if !current.province_targets.contains_key(indicator) {
            storage.put_province_target(&config.commune.province, indicator, target)?;
        }
    }
    for quota in &config.quotas {
        let known = current
            .quotas
            .iter()
            .any(|q| q.measure == quota.measure && q.village_id == quota.village_id);
        if !known {
            storage.put_quota(id, quota)?;
        }
    }
    let response = store(storage, &demo)?;
    let stored_now = if created {
        response
            .results
            .iter()
            .filter(|r| r.status == PushStatus::Stored)
            .count()
    } else {
        0
    };
    Ok(DemoLoaded {
        commune_id: id.to_string(),
        created,
        versions_stored: stored_now,
        versions_total: demo.versions.len(),
    })
}

/// Writes a demo commune's records through its seeding device; refused records are an error.
fn store(
    storage: &dyn Storage,
    demo: &DemoCommune,
) -> anyhow::Result<ntm_field::protocol::PushResponse> {
    let id = &demo.config.commune.id;
    storage.ensure_seed_device(demo.device_id, id, "demo")?;
    let items = demo
        .versions
        .iter()
        .map(|v| PushItem::Valid {
            digest: digest(v),
            version: Box::new(v.clone()),
        })
        .collect();
    let batch = PushBatch {
        device_id: demo.device_id,
        first_seq: 1,
        items,
        received_at: Utc::now(),
        check_clocks: false,
    };
    let response = match storage.store_versions(&batch)? {
        PushOutcome::Done(r) => r,
        PushOutcome::Gap { expected_seq } => anyhow::bail!(
            "the demo device of {id} expects seq {expected_seq}; the data directory is inconsistent"
        ),
        PushOutcome::SequenceReused { seq } => anyhow::bail!(
            "the demo device of {id}'s seq {seq} holds another version; the data directory is inconsistent"
        ),
    };
    if let Some(bad) = response
        .results
        .iter()
        .find(|r| r.status == PushStatus::Rejected)
    {
        anyhow::bail!("a demo record of {id} was refused: {:?}", bad.reason);
    }
    Ok(response)
}

/// The merger into Sơn Thủy, once (after [`load_demo`]): its communes (created if missing, with
/// their edition settings), their records, and the merger itself.
pub fn load_demo_merger(storage: &dyn Storage) -> anyhow::Result<()> {
    let demo = son_thuy()?;
    for commune in &demo.communes {
        let id = &commune.config.commune.id;
        if storage.commune_config(id)?.is_none() {
            storage.create_commune(&commune.config.commune, &commune.config.responsibilities)?;
            storage.put_edition_settings(id, &commune.config.editions)?;
        }
        store(storage, commune)?;
    }
    let recorded = storage.mergers()?;
    if !recorded.iter().any(|m| m.commune == demo.merger.commune) {
        demo.merger.validate(&storage.list_communes()?, &recorded)?;
        storage.record_merger(&demo.merger, "demo")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::SqliteStorage;

    #[test]
    fn loading_the_demo_twice_records_thien_kes_merger_into_son_thuy_once() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("ntm.sqlite3")).unwrap();
        let first = load_demo(&storage).unwrap();
        assert!(storage.mergers().unwrap().is_empty(), "not unless asked");
        load_demo_merger(&storage).unwrap();
        let again = load_demo(&storage).unwrap();
        load_demo_merger(&storage).unwrap();
        assert!(first.created && !again.created);
        let mergers = storage.mergers().unwrap();
        assert_eq!(mergers.len(), 1);
        assert_eq!(mergers[0].commune.as_str(), "son-thuy");
        let communes: Vec<String> = storage
            .list_communes()
            .unwrap()
            .into_iter()
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(communes, ["ninh-lai", "son-nam", "son-thuy", "thien-ke"]);
        let thien_ke = storage
            .commune_config(&ntm_field::ids::Slug::parse("thien-ke").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            thien_ke.commune.valid_until,
            Some(mergers[0].date),
            "Thiện Kế ends on the merger date"
        );
        let ninh_lai = storage
            .commune_facts(&ntm_field::ids::Slug::parse("ninh-lai").unwrap())
            .unwrap();
        assert_eq!(ninh_lai.facts.assessments.len(), 2);
    }
}
