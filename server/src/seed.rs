//! Loading the Thiện Kế demo commune into a data directory, idempotently: the commune, its
//! province's targets, quotas and responsibilities, and the plan's records written by the
//! demo's own seeding device through the same `store_versions` as any push.

use chrono::Utc;
use ntm_field::demo::{thien_ke, DEMO_DEVICE_ID};
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
    storage.ensure_seed_device(DEMO_DEVICE_ID, id, "demo")?;
    let items = demo
        .versions
        .iter()
        .map(|v| PushItem::Valid {
            digest: digest(v),
            version: Box::new(v.clone()),
        })
        .collect();
    let batch = PushBatch {
        device_id: DEMO_DEVICE_ID,
        first_seq: 1,
        items,
        received_at: Utc::now(),
        check_clocks: false,
    };
    let response = match storage.store_versions(&batch)? {
        PushOutcome::Done(r) => r,
        PushOutcome::Gap { expected_seq } => anyhow::bail!(
            "the demo device expects seq {expected_seq}; the data directory is inconsistent"
        ),
        PushOutcome::SequenceReused { seq } => anyhow::bail!(
            "the demo device's seq {seq} holds another version; the data directory is inconsistent"
        ),
    };
    if let Some(bad) = response
        .results
        .iter()
        .find(|r| r.status == PushStatus::Rejected)
    {
        anyhow::bail!("a demo record was refused: {:?}", bad.reason);
    }
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
