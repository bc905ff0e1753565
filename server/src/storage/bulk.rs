//! Bulk loading into the SQLite schema, for generators, benchmarks and imports into an empty
//! store: the same rows `store_versions` writes (versions, their push outcomes, entity facts),
//! prepared first and then inserted with prepared statements in the caller's transaction.
//! Unlike `store_versions` it checks nothing: the caller vouches that the versions are valid,
//! new, and that each entity's versions are all in the same call.

use chrono::{DateTime, Utc};
use ntm_field::geo::TrackFilter;
use ntm_field::heads::entity_heads;
use ntm_field::record::{Kind, Version};
use ntm_field::scorecard::EntityFact;
use rusqlite::params;

use super::sqlite::ts;
use super::StoreResult;

/// One `versions` row, ready to insert.
pub struct VersionRow {
    pub server_seq: i64,
    pub version_id: String,
    pub entity_id: String,
    pub commune_id: String,
    pub village_id: Option<String>,
    pub kind: &'static str,
    pub device_id: String,
    pub device_seq: i64,
    pub captured_utc: String,
    pub digest: String,
    pub content: String,
    pub received_at: String,
}

/// One `entity_facts` row.
pub struct FactRow {
    pub commune_id: String,
    pub entity_id: String,
    pub in_conflict: bool,
    pub fact: Option<String>,
}

/// The rows of a set of versions (numbered from `first_server_seq`), with their facts.
pub struct Rows {
    pub versions: Vec<VersionRow>,
    pub facts: Vec<FactRow>,
    /// The latest local capture date per commune (non-assessment versions).
    pub latest_capture: std::collections::HashMap<String, chrono::NaiveDate>,
}

/// Serialises versions into rows (author and server_seq set as a push would) and computes each
/// entity's fact with the core.
pub fn prepare_rows(
    versions: &mut [Version],
    first_server_seq: i64,
    received_at: DateTime<Utc>,
) -> Rows {
    let received = ts(received_at);
    let mut rows = Vec::with_capacity(versions.len());
    let mut latest = std::collections::HashMap::new();
    for (i, v) in versions.iter_mut().enumerate() {
        v.server_seq = Some((first_server_seq + i as i64) as u64);
        if v.author.is_none() {
            v.author = Some("import".to_owned());
        }
        if v.kind() != Kind::Assessment {
            let d = super::counted_date(v, received_at);
            let e = latest.entry(v.commune_id.to_string()).or_insert(d);
            *e = (*e).max(d);
        }
        rows.push(VersionRow {
            server_seq: first_server_seq + i as i64,
            version_id: v.version_id.to_string(),
            entity_id: v.entity_id.to_string(),
            commune_id: v.commune_id.to_string(),
            village_id: v.village_id.as_ref().map(|s| s.to_string()),
            kind: v.kind().as_str(),
            device_id: v.device_id.to_string(),
            device_seq: v.device_seq as i64,
            captured_utc: ts(v.captured_at.with_timezone(&Utc)),
            digest: hex::encode(crate::sync::digest(v)),
            content: serde_json::to_string(&*v).expect("a version serialises"),
            received_at: received.clone(),
        });
    }
    let filter = TrackFilter::default();
    let mut facts = Vec::new();
    let mut by_commune: std::collections::BTreeMap<String, Vec<&Version>> = Default::default();
    for v in versions.iter() {
        by_commune
            .entry(v.commune_id.to_string())
            .or_default()
            .push(v);
    }
    for (commune, vs) in by_commune {
        for (entity, heads) in entity_heads(vs) {
            facts.push(FactRow {
                commune_id: commune.clone(),
                entity_id: entity.to_string(),
                in_conflict: heads.in_conflict(),
                fact: EntityFact::of(entity, &heads, &filter)
                    .map(|f| serde_json::to_string(&f).expect("a fact serialises")),
            });
        }
    }
    Rows {
        versions: rows,
        facts,
        latest_capture: latest,
    }
}

/// Inserts version rows (and, when `outcomes` is true, a `stored` push outcome for each).
pub fn insert_versions(
    tx: &rusqlite::Transaction,
    rows: &[VersionRow],
    outcomes: bool,
) -> StoreResult<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO versions (server_seq, version_id, entity_id, commune_id, village_id, kind, device_id,
             device_seq, captured_utc, digest, content, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut outcome = tx.prepare_cached(
        "INSERT INTO push_outcomes (device_id, device_seq, version_id, status, reason) VALUES (?1, ?2, ?3, 'stored', NULL)",
    )?;
    for r in rows {
        insert.execute(params![
            r.server_seq,
            r.version_id,
            r.entity_id,
            r.commune_id,
            r.village_id,
            r.kind,
            r.device_id,
            r.device_seq,
            r.captured_utc,
            r.digest,
            r.content,
            r.received_at
        ])?;
        if outcomes {
            outcome.execute(params![r.device_id, r.device_seq, r.version_id])?;
        }
    }
    Ok(())
}

/// Inserts fact rows (entities must not have one yet).
pub fn insert_facts(tx: &rusqlite::Transaction, rows: &[FactRow]) -> StoreResult<()> {
    let mut insert =
        tx.prepare_cached("INSERT INTO entity_facts (commune_id, entity_id, in_conflict, fact) VALUES (?1, ?2, ?3, ?4)")?;
    for r in rows {
        insert.execute(params![
            r.commune_id,
            r.entity_id,
            r.in_conflict as i64,
            r.fact
        ])?;
    }
    Ok(())
}

/// Inserts everything of `rows` and moves each commune's latest capture date.
pub fn insert_rows(tx: &rusqlite::Transaction, rows: &Rows, outcomes: bool) -> StoreResult<()> {
    insert_versions(tx, &rows.versions, outcomes)?;
    insert_facts(tx, &rows.facts)?;
    let mut update = tx.prepare_cached(
        "UPDATE communes SET latest_capture_date = ?1 WHERE id = ?2 AND (latest_capture_date IS NULL OR latest_capture_date < ?1)",
    )?;
    for (commune, date) in &rows.latest_capture {
        update.execute(params![date.to_string(), commune])?;
    }
    Ok(())
}

/// The next free `server_seq`.
pub fn next_server_seq(tx: &rusqlite::Transaction) -> StoreResult<i64> {
    Ok(tx.query_row(
        "SELECT COALESCE(MAX(server_seq), 0) + 1 FROM versions",
        [],
        |r| r.get(0),
    )?)
}

/// Sets a device's high-water mark after its versions were bulk-loaded.
pub fn set_high_water(
    tx: &rusqlite::Transaction,
    device_id: uuid::Uuid,
    high_water: u64,
) -> StoreResult<()> {
    tx.execute(
        "UPDATE devices SET high_water = ?1 WHERE device_id = ?2",
        params![high_water as i64, device_id.to_string()],
    )?;
    Ok(())
}
