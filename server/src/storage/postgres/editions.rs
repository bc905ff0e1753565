//! Criteria editions on PostgreSQL (`20261208090000_editions.sql`): a commune's edition
//! settings and the provinces' own sets.

use ::postgres::{GenericClient, Transaction};
use chrono::Utc;
use ntm_field::catalog::edition::EditionSettings;
use ntm_field::catalog::province::ProvinceSet;
use ntm_field::ids::Slug;

use super::{Fallible, StoreError};

pub(super) fn settings(c: &mut impl GenericClient, commune: &Slug) -> Fallible<EditionSettings> {
    let row = c.query_one(
        "SELECT editions FROM communes WHERE id = $1",
        &[&commune.as_str()],
    )?;
    Ok(serde_json::from_str(row.get(0))?)
}

pub(super) fn put_settings(
    tx: &mut Transaction<'_>,
    commune: &Slug,
    settings: &EditionSettings,
) -> Fallible<()> {
    let n = tx.execute(
        "UPDATE communes SET editions = $1 WHERE id = $2",
        &[&serde_json::to_string(settings)?, &commune.as_str()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("commune {commune}")).into());
    }
    Ok(())
}

pub(super) fn sets(c: &mut impl GenericClient, province: &str) -> Fallible<Vec<ProvinceSet>> {
    c.query(
        "SELECT body FROM province_sets WHERE province = $1 ORDER BY edition, version",
        &[&province],
    )?
    .iter()
    .map(|r| Ok(serde_json::from_str(r.get(0))?))
    .collect()
}

/// A version once loaded is never replaced: a reissue is loaded as the next version.
pub(super) fn put_set(
    tx: &mut Transaction<'_>,
    set: &ProvinceSet,
    loaded_by: &str,
) -> Fallible<()> {
    let version = i32::try_from(set.version).map_err(|_| StoreError::Invalid {
        field: "version".into(),
        message: "is too large".into(),
    })?;
    let n = tx.execute(
        "INSERT INTO province_sets (province, edition, version, applies_from, body, loaded_by, loaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        &[
            &set.province,
            &set.edition,
            &version,
            &set.applies_from,
            &serde_json::to_string(set)?,
            &loaded_by,
            &Utc::now(),
        ],
    )?;
    if n == 0 {
        return Err(StoreError::AlreadyExists(format!(
            "version {} of {}'s set for {}",
            set.version, set.province, set.edition
        ))
        .into());
    }
    Ok(())
}
