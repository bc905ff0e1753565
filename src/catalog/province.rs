//! A province's own set of thresholds for an edition (bộ tiêu chí cấp tỉnh): who issued it, from
//! when, its version, and one row per indicator; read from TOML or from the rows of the XLSX
//! template, and checked against the edition with errors by row and field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::edition::Editions;
use super::{Confidence, IndicatorType, TargetOverride};

/// A checked province set. Its targets take the place of province overrides for its edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvinceSet {
    pub province: String,
    /// The edition key, e.g. `ntm-2021`.
    pub edition: String,
    /// Raised by each reissue; the latest version in force on a date applies.
    pub version: u32,
    /// The provincial decision, e.g. "Quyết định 3429/QĐ-UBND ngày 15/9/2022".
    pub decision: String,
    pub issued_on: NaiveDate,
    pub applies_from: NaiveDate,
    /// Indicator id of the edition -> the province's threshold.
    pub targets: BTreeMap<String, TargetOverride>,
}

/// The set's header, as written in the file (every field a string or number).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub edition: String,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub issued_on: String,
    #[serde(default)]
    pub applies_from: String,
}

/// One row of the set before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRow {
    #[serde(default)]
    pub indicator: String,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub inner: Option<f64>,
    /// Defaults to the set's decision.
    #[serde(default)]
    pub source: String,
    /// `confirmed` (the default) or `unconfirmed`.
    #[serde(default)]
    pub confidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(flatten)]
    header: RawHeader,
    #[serde(default)]
    targets: Vec<RawRow>,
}

/// What is wrong with one row (0 for the header) and field of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.row {
            0 => write!(f, "{}: {}", self.field, self.problem),
            n => write!(f, "row {n}, {}: {}", self.field, self.problem),
        }
    }
}

/// Every problem found in a set, so that an official fixes them all at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct SetErrors(pub Vec<RowError>);

impl ProvinceSet {
    /// Reads a TOML set: the header keys, then `[[targets]]` rows (row 1 is the first).
    pub fn from_toml(text: &str, editions: &Editions) -> Result<ProvinceSet, SetErrors> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            SetErrors(vec![RowError {
                row: 0,
                field: "file".into(),
                problem: e.to_string(),
            }])
        })?;
        Self::check(raw.header, raw.targets, editions)
    }

    /// Checks a header and its rows against the edition they name.
    pub fn check(
        header: RawHeader,
        rows: Vec<RawRow>,
        editions: &Editions,
    ) -> Result<ProvinceSet, SetErrors> {
        let mut errors = Vec::new();
        let mut err = |row: usize, field: &str, problem: String| {
            errors.push(RowError {
                row,
                field: field.to_owned(),
                problem,
            })
        };
        let date = |field: &str, text: &str, err: &mut dyn FnMut(usize, &str, String)| {
            text.trim()
                .parse::<NaiveDate>()
                .map_err(|_| err(0, field, format!("{text:?} is not a date (YYYY-MM-DD)")))
                .ok()
        };
        if header.province.trim().is_empty() {
            err(0, "province", "is empty".into());
        }
        if header.decision.trim().is_empty() {
            err(0, "decision", "names no provincial decision".into());
        }
        let version = match header.version {
            Some(v) if v >= 1 && v <= i64::from(u32::MAX) => v as u32,
            _ => {
                err(0, "version", "must be a whole number from 1".into());
                0
            }
        };
        let issued_on = date("issued_on", &header.issued_on, &mut err);
        let applies_from = date("applies_from", &header.applies_from, &mut err);
        let edition = editions.get(header.edition.trim());
        if edition.is_none() {
            err(
                0,
                "edition",
                format!(
                    "{:?} is not an edition ({})",
                    header.edition,
                    editions
                        .all()
                        .iter()
                        .map(|e| e.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let mut targets = BTreeMap::new();
        for (n, row) in rows.into_iter().enumerate() {
            let n = n + 1;
            let Some(edition) = edition else { break };
            let id = row.indicator.trim();
            let Some(ind) = edition.indicator(id) else {
                err(
                    n,
                    "indicator",
                    format!("{id:?} is not an indicator of {}", edition.decision),
                );
                continue;
            };
            if targets.contains_key(id) {
                err(n, "indicator", format!("{id} appears twice"));
                continue;
            }
            let Some(threshold) = row.threshold else {
                err(n, "threshold", "is empty".into());
                continue;
            };
            let pct = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
            let fits = match ind.indicator_type {
                IndicatorType::Bool => {
                    err(
                        n,
                        "threshold",
                        format!("{id} is a yes/no indicator: it takes no number"),
                    );
                    continue;
                }
                IndicatorType::PctMin | IndicatorType::PctMax => {
                    pct(threshold) && row.inner.is_none()
                }
                IndicatorType::PctMinNested => {
                    pct(threshold) && row.inner.is_none_or(|i| pct(i) && i <= threshold)
                }
                IndicatorType::ValueMin => threshold.is_finite() && threshold > 0.0,
                IndicatorType::None => threshold == 0.0,
            };
            if !fits {
                err(
                    n,
                    "threshold",
                    format!(
                        "{threshold} does not fit {id} ({:?}, {})",
                        ind.indicator_type, ind.unit
                    ),
                );
                continue;
            }
            let confidence = match row.confidence.trim() {
                "" | "confirmed" => Confidence::Confirmed,
                "unconfirmed" => Confidence::Unconfirmed,
                other => {
                    err(
                        n,
                        "confidence",
                        format!("{other:?} is neither confirmed nor unconfirmed"),
                    );
                    continue;
                }
            };
            let source = match row.source.trim() {
                "" => header.decision.trim().to_owned(),
                s => s.to_owned(),
            };
            targets.insert(
                id.to_owned(),
                TargetOverride {
                    threshold,
                    inner: row.inner,
                    source,
                    confidence,
                },
            );
        }
        match (edition, issued_on, applies_from) {
            (Some(edition), Some(issued_on), Some(applies_from)) if errors.is_empty() => {
                Ok(ProvinceSet {
                    province: header.province.trim().to_owned(),
                    edition: edition.key.clone(),
                    version,
                    decision: header.decision.trim().to_owned(),
                    issued_on,
                    applies_from,
                    targets,
                })
            }
            _ => Err(SetErrors(errors)),
        }
    }
}

#[cfg(test)]
mod tests;
