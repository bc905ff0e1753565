//! Criteria editions on SQLite (`0009_editions.sql`): a commune's edition settings and the
//! provinces' own sets.

use chrono::Utc;
use ntm_field::catalog::edition::EditionSettings;
use ntm_field::catalog::province::ProvinceSet;
use ntm_field::ids::Slug;
use rusqlite::{params, Connection, OptionalExtension};

use super::{ts, StoreError, StoreResult};

pub(super) fn settings(conn: &Connection, commune: &Slug) -> StoreResult<EditionSettings> {
    let text: String = conn
        .prepare_cached("SELECT editions FROM communes WHERE id = ?1")?
        .query_row(params![commune.as_str()], |r| r.get(0))?;
    Ok(serde_json::from_str(&text)?)
}

pub(super) fn put_settings(
    tx: &rusqlite::Transaction,
    commune: &Slug,
    settings: &EditionSettings,
) -> StoreResult<()> {
    let n = tx.execute(
        "UPDATE communes SET editions = ?1 WHERE id = ?2",
        params![serde_json::to_string(settings)?, commune.as_str()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("commune {commune}")));
    }
    Ok(())
}

pub(super) fn sets(conn: &Connection, province: &str) -> StoreResult<Vec<ProvinceSet>> {
    conn.prepare_cached(
        "SELECT body FROM province_sets WHERE province = ?1 ORDER BY edition, version",
    )?
    .query_map(params![province], |r| r.get::<_, String>(0))?
    .map(|body| Ok(serde_json::from_str(&body?)?))
    .collect()
}

/// A version once loaded is never replaced: a reissue is loaded as the next version.
pub(super) fn put_set(
    tx: &rusqlite::Transaction,
    set: &ProvinceSet,
    loaded_by: &str,
) -> StoreResult<()> {
    let exists = tx
        .query_row(
            "SELECT 1 FROM province_sets WHERE province = ?1 AND edition = ?2 AND version = ?3",
            params![set.province, set.edition, set.version],
            |_| Ok(()),
        )
        .optional()?;
    if exists.is_some() {
        return Err(StoreError::AlreadyExists(format!(
            "version {} of {}'s set for {}",
            set.version, set.province, set.edition
        )));
    }
    tx.execute(
        "INSERT INTO province_sets (province, edition, version, applies_from, body, loaded_by, loaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            set.province,
            set.edition,
            set.version,
            set.applies_from.to_string(),
            serde_json::to_string(set)?,
            loaded_by,
            ts(Utc::now())
        ],
    )?;
    Ok(())
}
