//! Communes that merge or split on PostgreSQL (`20261210090000_mergers.sql`): a commune's
//! official code and validity dates, and the mergers recorded.

use ::postgres::{GenericClient, Transaction};
use chrono::Utc;
use ntm_field::admin::Commune;
use ntm_field::ids::Slug;
use ntm_field::merger::Merger;

use super::{Fallible, StoreError};

/// Fills in the commune's official code and validity dates.
pub(super) fn identity(c: &mut impl GenericClient, commune: &mut Commune) -> Fallible<()> {
    let row = c.query_one(
        "SELECT code, valid_from, valid_until FROM communes WHERE id = $1",
        &[&commune.id.as_str()],
    )?;
    commune.code = row.get(0);
    commune.valid_from = row.get(1);
    commune.valid_until = row.get(2);
    Ok(())
}

pub(super) fn put_identity(tx: &mut Transaction<'_>, commune: &Commune) -> Fallible<()> {
    tx.execute(
        "UPDATE communes SET code = $1, valid_from = $2, valid_until = $3 WHERE id = $4",
        &[
            &commune.code,
            &commune.valid_from,
            &commune.valid_until,
            &commune.id.as_str(),
        ],
    )?;
    Ok(())
}

/// The old communes of the merger that made `commune`, and of the mergers that made those
/// (none when no merger did).
pub(super) fn merged_from(c: &mut impl GenericClient, commune: &Slug) -> Fallible<Vec<Slug>> {
    let mut out: Vec<Slug> = Vec::new();
    let mut next = vec![commune.clone()];
    while let Some(id) = next.pop() {
        if let Some(row) = c.query_opt(
            "SELECT body FROM mergers WHERE commune_id = $1",
            &[&id.as_str()],
        )? {
            for part in serde_json::from_str::<Merger>(row.get(0))?.parts {
                if part.commune != *commune && !out.contains(&part.commune) {
                    out.push(part.commune.clone());
                    next.push(part.commune);
                }
            }
        }
    }
    Ok(out)
}

pub(super) fn mergers(c: &mut impl GenericClient) -> Fallible<Vec<Merger>> {
    c.query(
        "SELECT body FROM mergers ORDER BY merger_date, commune_id",
        &[],
    )?
    .iter()
    .map(|r| Ok(serde_json::from_str(r.get(0))?))
    .collect()
}

/// Records a merger (checked by the caller with the core) and dates the communes it concerns:
/// the new one exists from its date, an old one that goes in whole until then.
pub(super) fn record(tx: &mut Transaction<'_>, merger: &Merger, recorded_by: &str) -> Fallible<()> {
    let n = tx.execute(
        "INSERT INTO mergers (commune_id, merger_date, legal_basis, body, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        &[
            &merger.commune.as_str(),
            &merger.date,
            &merger.legal_basis,
            &serde_json::to_string(merger)?,
            &recorded_by,
            &Utc::now(),
        ],
    )?;
    if n == 0 {
        return Err(
            StoreError::AlreadyExists(format!("the merger into {}", merger.commune)).into(),
        );
    }
    tx.execute(
        "UPDATE communes SET valid_from = $1 WHERE id = $2",
        &[&merger.date, &merger.commune.as_str()],
    )?;
    for part in merger.parts.iter().filter(|p| p.whole()) {
        tx.execute(
            "UPDATE communes SET valid_until = $1 WHERE id = $2",
            &[&merger.date, &part.commune.as_str()],
        )?;
    }
    Ok(())
}
