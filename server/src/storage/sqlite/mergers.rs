//! Communes that merge or split on SQLite (`0010_mergers.sql`): a commune's official code and
//! validity dates, and the mergers recorded.

use chrono::{NaiveDate, Utc};
use ntm_field::admin::Commune;
use ntm_field::ids::Slug;
use ntm_field::merger::Merger;
use rusqlite::{params, Connection, OptionalExtension};

use super::{ts, StoreError, StoreResult};

pub(super) fn date(text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.map(|t| {
        t.parse()
            .map_err(|e| StoreError::Backend(format!("stored date: {e}")))
    })
    .transpose()
}

/// Fills in the commune's official code and validity dates.
pub(super) fn identity(conn: &Connection, commune: &mut Commune) -> StoreResult<()> {
    let (code, from, until): (Option<String>, Option<String>, Option<String>) = conn
        .prepare_cached("SELECT code, valid_from, valid_until FROM communes WHERE id = ?1")?
        .query_row(params![commune.id.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    commune.code = code;
    commune.valid_from = date(from)?;
    commune.valid_until = date(until)?;
    Ok(())
}

pub(super) fn put_identity(tx: &rusqlite::Transaction, commune: &Commune) -> StoreResult<()> {
    tx.execute(
        "UPDATE communes SET code = ?1, valid_from = ?2, valid_until = ?3 WHERE id = ?4",
        params![
            commune.code,
            commune.valid_from.map(|d| d.to_string()),
            commune.valid_until.map(|d| d.to_string()),
            commune.id.as_str()
        ],
    )?;
    Ok(())
}

/// The old communes of the merger that made `commune`, and of the mergers that made those
/// (none when no merger did).
pub(super) fn merged_from(conn: &Connection, commune: &Slug) -> StoreResult<Vec<Slug>> {
    let mut out: Vec<Slug> = Vec::new();
    let mut next = vec![commune.clone()];
    while let Some(c) = next.pop() {
        let body: Option<String> = conn
            .prepare_cached("SELECT body FROM mergers WHERE commune_id = ?1")?
            .query_row(params![c.as_str()], |r| r.get(0))
            .optional()?;
        if let Some(body) = body {
            for part in serde_json::from_str::<Merger>(&body)?.parts {
                if part.commune != *commune && !out.contains(&part.commune) {
                    out.push(part.commune.clone());
                    next.push(part.commune);
                }
            }
        }
    }
    Ok(out)
}

pub(super) fn mergers(conn: &Connection) -> StoreResult<Vec<Merger>> {
    conn.prepare_cached("SELECT body FROM mergers ORDER BY merger_date, commune_id")?
        .query_map([], |r| r.get::<_, String>(0))?
        .map(|body| Ok(serde_json::from_str(&body?)?))
        .collect()
}

/// Records a merger (checked by the caller with the core) and dates the communes it concerns:
/// the new one exists from its date, an old one that goes in whole until then.
pub(super) fn record(
    tx: &rusqlite::Transaction,
    merger: &Merger,
    recorded_by: &str,
) -> StoreResult<()> {
    let exists = tx
        .query_row(
            "SELECT 1 FROM mergers WHERE commune_id = ?1",
            params![merger.commune.as_str()],
            |_| Ok(()),
        )
        .optional()?;
    if exists.is_some() {
        return Err(StoreError::AlreadyExists(format!(
            "the merger into {}",
            merger.commune
        )));
    }
    tx.execute(
        "INSERT INTO mergers (commune_id, merger_date, legal_basis, body, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            merger.commune.as_str(),
            merger.date.to_string(),
            merger.legal_basis,
            serde_json::to_string(merger)?,
            recorded_by,
            ts(Utc::now())
        ],
    )?;
    let date = merger.date.to_string();
    tx.execute(
        "UPDATE communes SET valid_from = ?1 WHERE id = ?2",
        params![date, merger.commune.as_str()],
    )?;
    for part in merger.parts.iter().filter(|p| p.whole()) {
        tx.execute(
            "UPDATE communes SET valid_until = ?1 WHERE id = ?2",
            params![date, part.commune.as_str()],
        )?;
    }
    Ok(())
}
