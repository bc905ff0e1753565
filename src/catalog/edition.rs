//! The shipped criteria editions, and the choice of the one a scorecard uses: the edition in
//! force on the date assessed, unless the commune is held to an earlier one for a dossier still
//! open; and the commune's region or group on that date, by which the edition's table is read.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Catalog, Column, CommuneGroup, Dimension};
use crate::ids::{Region, Slug};

/// The edition of records and assessments that name none: everything made before editions.
pub const DEFAULT_KEY: &str = "ntm-2016";

/// Edition files in the order they came into force.
const FILES: [(&str, &str); 3] = [
    (
        "assets/criteria/1980.toml",
        include_str!("../../assets/criteria/1980.toml"),
    ),
    (
        "assets/criteria/318.toml",
        include_str!("../../assets/criteria/318.toml"),
    ),
    (
        "assets/criteria/51-2025.toml",
        include_str!("../../assets/criteria/51-2025.toml"),
    ),
];

/// Every edition the program knows, oldest first.
#[derive(Debug)]
pub struct Editions {
    editions: Vec<Catalog>,
}

/// A value of a commune that holds from a date, with the decision or list it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dated<T> {
    pub value: T,
    pub from: NaiveDate,
    /// The first day it no longer holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    pub source: String,
}

impl<T> Dated<T> {
    fn holds_on(&self, date: NaiveDate) -> bool {
        self.from <= date && self.until.is_none_or(|u| date < u)
    }
}

/// A recognition dossier the commune is still assessed for under an earlier edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenDossier {
    /// The edition key, e.g. `ntm-2016`.
    pub edition: String,
    pub name: String,
    pub source: String,
    /// The day the dossier closed; from then on the edition in force applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<NaiveDate>,
}

/// What a commune sets about editions: an open dossier, and its dated region and group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EditionSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossier: Option<OpenDossier>,
    /// Its region for 1980 and 318; without one for the date, the commune's registered region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Dated<Region>>,
    /// Its group for 51/2025; never guessed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Dated<CommuneGroup>>,
    /// 318/QĐ-TTg: an especially disadvantaged or safe-zone commune takes the TDMNPB column,
    /// whatever its region; the flag names the list it was read in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub takes_tdmnpb: Vec<Dated<bool>>,
}

/// Why an edition applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Chosen {
    /// In force on the date assessed.
    InForce,
    /// An earlier edition, for the commune's dossier still open.
    OpenDossier { dossier: String },
    /// Named by the caller.
    Given,
}

/// The edition a scorecard is computed under, as shown beside it ("1980/QĐ-TTg: 15/19").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EditionRef {
    pub key: String,
    pub decision: String,
    pub period: String,
    pub criteria_total: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<Chosen>,
    /// The region or group column read, and where the commune's region or group comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<Column>,
    #[serde(default)]
    pub column_source: String,
    /// The date is past the last year of the edition's period and no later edition is in force
    /// (2021 to 07/3/2022): scored under the earlier edition, and said so.
    #[serde(default)]
    pub outside_its_period: bool,
}

/// An edition applied to one commune on one date.
#[derive(Debug, Clone)]
pub struct Applied<'a> {
    pub catalog: &'a Catalog,
    /// `None` only for a caller-given edition by groups for a commune with no group: no cell of
    /// the table is read, and only overrides judge.
    pub column: Option<Column>,
    pub reference: EditionRef,
}

/// Why no scorecard can be computed for a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditionError {
    #[error("no criteria edition is in force on {0}")]
    NoneInForce(NaiveDate),
    #[error(
        "commune {commune}: {decision} sets its thresholds by commune group and the commune has no \
         group on {as_of}; set its group (G1, G2 or G3) with the decision that assigns it"
    )]
    NoGroup {
        commune: Slug,
        decision: String,
        as_of: NaiveDate,
    },
    #[error("commune {commune}: its open dossier names edition {edition:?}, which is not known")]
    UnknownEdition { commune: Slug, edition: String },
}

impl Editions {
    pub fn builtin() -> &'static Editions {
        static EDITIONS: LazyLock<Editions> = LazyLock::new(|| {
            Editions::from_files(&FILES)
                .unwrap_or_else(|e| panic!("shipped criteria edition is invalid: {e}"))
        });
        &EDITIONS
    }

    /// Reads and checks `(file name, text)` pairs; the editions are kept in order of entry
    /// into force.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Editions, super::CatalogError> {
        let mut editions = files
            .iter()
            .map(|(name, text)| Catalog::from_toml(text, name))
            .collect::<Result<Vec<_>, _>>()?;
        editions.sort_by_key(|e| e.in_force);
        Ok(Editions { editions })
    }

    pub fn all(&self) -> &[Catalog] {
        &self.editions
    }

    pub fn get(&self, key: &str) -> Option<&Catalog> {
        self.editions.iter().find(|e| e.key == key)
    }

    /// The edition in force on a date: the latest to have come into force by then.
    pub fn in_force_on(&self, date: NaiveDate) -> Option<&Catalog> {
        self.editions.iter().rev().find(|e| e.in_force <= date)
    }

    /// The editions a dashboard shows for a date: in the year an edition comes into force, the
    /// one that closes the previous period beside it (earlier first); otherwise the one in force.
    pub fn side_by_side(&self, date: NaiveDate) -> Vec<&Catalog> {
        let Some(now) = self.in_force_on(date) else {
            return Vec::new();
        };
        let earlier = self
            .editions
            .iter()
            .rev()
            .find(|e| e.in_force < now.in_force)
            .filter(|_| now.in_force.year() == date.year());
        earlier.into_iter().chain([now]).collect()
    }

    /// The edition a commune's scorecard for `as_of` uses, and the column it reads.
    pub fn choose<'a>(
        &'a self,
        commune: &Slug,
        region: Region,
        settings: &EditionSettings,
        as_of: NaiveDate,
    ) -> Result<Applied<'a>, EditionError> {
        let in_force = self
            .in_force_on(as_of)
            .ok_or(EditionError::NoneInForce(as_of))?;
        let open = settings
            .dossier
            .as_ref()
            .filter(|d| d.closed_on.is_none_or(|c| as_of < c));
        let (catalog, chosen) = match open {
            Some(d) => {
                let held = self
                    .get(&d.edition)
                    .ok_or_else(|| EditionError::UnknownEdition {
                        commune: commune.clone(),
                        edition: d.edition.clone(),
                    })?;
                if held.in_force <= in_force.in_force {
                    let chosen = Chosen::OpenDossier {
                        dossier: d.name.clone(),
                    };
                    (held, chosen)
                } else {
                    (in_force, Chosen::InForce)
                }
            }
            None => (in_force, Chosen::InForce),
        };
        let mut applied = Applied::given(catalog, commune, region, settings, as_of)?;
        applied.reference.chosen = Some(chosen);
        applied.reference.outside_its_period = chosen_outside(catalog, self, as_of);
        Ok(applied)
    }
}

/// A date past the edition's last year while no later edition is yet in force.
fn chosen_outside(catalog: &Catalog, editions: &Editions, as_of: NaiveDate) -> bool {
    as_of.year() > catalog.last_year
        && editions
            .in_force_on(as_of)
            .is_some_and(|e| e.key == catalog.key)
}

impl<'a> Applied<'a> {
    /// `catalog` for a commune on a date: the column its region or group gives. A group
    /// edition for a commune with no group is refused.
    pub fn given(
        catalog: &'a Catalog,
        commune: &Slug,
        region: Region,
        settings: &EditionSettings,
        as_of: NaiveDate,
    ) -> Result<Applied<'a>, EditionError> {
        let (column, column_source) = match catalog.dimension {
            Dimension::Regions => {
                let tdmnpb = settings
                    .takes_tdmnpb
                    .iter()
                    .rev()
                    .find(|d| d.holds_on(as_of) && d.value)
                    .filter(|_| catalog.disadvantaged_take_tdmnpb);
                match (
                    tdmnpb,
                    settings.regions.iter().rev().find(|d| d.holds_on(as_of)),
                ) {
                    (Some(flag), _) => (Column::Region(Region::Tdmnpb), flag.source.clone()),
                    (None, Some(d)) => (Column::Region(d.value), d.source.clone()),
                    (None, None) => (Column::Region(region), String::new()),
                }
            }
            Dimension::CommuneGroups => {
                let group = settings
                    .groups
                    .iter()
                    .rev()
                    .find(|d| d.holds_on(as_of))
                    .ok_or_else(|| EditionError::NoGroup {
                        commune: commune.clone(),
                        decision: catalog.decision.clone(),
                        as_of,
                    })?;
                (Column::Group(group.value), group.source.clone())
            }
        };
        Ok(Applied {
            catalog,
            column: Some(column),
            reference: EditionRef {
                key: catalog.key.clone(),
                decision: catalog.decision.clone(),
                period: catalog.period.clone(),
                criteria_total: catalog.criteria.len(),
                chosen: Some(Chosen::Given),
                column: Some(column),
                column_source,
                outside_its_period: false,
            },
        })
    }

    /// As [`Applied::given`], but a commune with no group gets a scorecard with no table cell
    /// read (only its overrides judge) rather than a refusal.
    pub fn given_or_unread(
        catalog: &'a Catalog,
        commune: &Slug,
        region: Region,
        settings: &EditionSettings,
        as_of: NaiveDate,
    ) -> Applied<'a> {
        Applied::given(catalog, commune, region, settings, as_of).unwrap_or_else(|_| Applied {
            catalog,
            column: None,
            reference: EditionRef {
                key: catalog.key.clone(),
                decision: catalog.decision.clone(),
                period: catalog.period.clone(),
                criteria_total: catalog.criteria.len(),
                chosen: Some(Chosen::Given),
                column: None,
                column_source: String::new(),
                outside_its_period: false,
            },
        })
    }
}

#[cfg(test)]
mod tests;
