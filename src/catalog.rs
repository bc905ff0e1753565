//! The criteria catalog: the 19 NTM criteria and their indicators, read from data
//! (`assets/criteria.toml`), with every threshold's source and confidence, and the rule that
//! resolves which threshold applies to a commune.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::ids::Region;
use crate::record::RoadClass;

/// The catalog shipped with the program.
const BUILTIN_FILE: &str = "assets/criteria.toml";
const BUILTIN: &str = include_str!("../assets/criteria.toml");

/// A problem in a catalog file, naming the file, the entry and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {entry}: {problem}")]
pub struct CatalogError {
    pub file: String,
    /// The criterion or indicator, e.g. `indicator 2.4`, or `catalog` for the whole file.
    pub entry: String,
    pub problem: String,
}

/// How an indicator is judged (ntm-criteria.md, "Indicator types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorType {
    /// Đạt / không đạt.
    Bool,
    /// A percentage that must reach the threshold.
    PctMin,
    /// A percentage that must not exceed the threshold.
    PctMax,
    /// An amount that must reach the threshold.
    ValueMin,
    /// A count that must be zero.
    None,
    /// A percentage with a nested share (hygienic water, and within it clean water).
    PctMinNested,
}

/// Where an indicator's figure comes from (product.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Computed from field records, starting from the latest baseline assessment.
    Field,
    /// The latest assessment is authoritative; the field survey's figure is shown as an estimate.
    Official,
    /// Only an officer's assessment says anything.
    Assessment,
}

/// Which computation over field records produces a field or official indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldRule {
    /// km of roads of this class meeting their surface rule / km of that class.
    Roads(RoadClass),
    /// 17.6: households passing the sanitation verdict / registered households.
    Sanitation,
    /// 17.7: households with a hygienic pen / households raising livestock.
    LivestockPens,
    /// 17.1: households with hygienic (and clean) water / registered households.
    Water,
    /// 15.1: insured people / people in registered households.
    HealthInsurance,
    /// 15.3: stunted children / children under 5 measured.
    Stunting,
}

impl FieldRule {
    const NAMES: [(&'static str, FieldRule); 9] = [
        ("roads.commune", FieldRule::Roads(RoadClass::Commune)),
        (
            "roads.village_axis",
            FieldRule::Roads(RoadClass::VillageAxis),
        ),
        ("roads.alley", FieldRule::Roads(RoadClass::Alley)),
        ("roads.field_main", FieldRule::Roads(RoadClass::FieldMain)),
        ("households.sanitation", FieldRule::Sanitation),
        ("households.livestock_pens", FieldRule::LivestockPens),
        ("households.water", FieldRule::Water),
        ("households.health_insurance", FieldRule::HealthInsurance),
        ("households.stunting", FieldRule::Stunting),
    ];

    fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, r)| *r)
    }

    /// The indicator type the computation produces.
    fn produces(self) -> IndicatorType {
        match self {
            FieldRule::Water => IndicatorType::PctMinNested,
            FieldRule::Stunting => IndicatorType::PctMax,
            _ => IndicatorType::PctMin,
        }
    }
}

/// Whether a number was read in a cited source or comes from memory / an older decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Confirmed,
    Unconfirmed,
}

/// One cell of the threshold table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdEntry {
    /// Absent for `bool` indicators, whose threshold is "Đạt".
    #[serde(default)]
    pub value: Option<f64>,
    /// The nested share of a `pct_min_nested` indicator (clean water within hygienic water).
    #[serde(default)]
    pub inner: Option<f64>,
    pub sources: Vec<String>,
    pub confidence: Confidence,
}

/// An indicator of a criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
    pub indicator_type: IndicatorType,
    pub unit: String,
    pub figure: Figure,
    pub rule: Option<FieldRule>,
    pub computation: String,
    /// 1980/QĐ-TTg lets the province set this threshold.
    pub set_by_province: bool,
    pub wording_confirmed: bool,
    pub note: String,
    pub national: Option<ThresholdEntry>,
    pub regions: BTreeMap<Region, ThresholdEntry>,
}

/// One of the 19 criteria.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub id: String,
    pub group: String,
    pub name_vi: String,
    pub name_en: String,
    pub indicators: Vec<Indicator>,
}

/// The whole catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub decision: String,
    pub period: String,
    /// Source id (`S1`) -> citation.
    pub sources: BTreeMap<String, String>,
    pub criteria: Vec<Criterion>,
    index: HashMap<String, (usize, usize)>,
}

/// A threshold set above the catalog, by the province or the commune, with its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetOverride {
    pub threshold: f64,
    /// For `pct_min_nested` indicators: the nested share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner: Option<f64>,
    pub source: String,
    #[serde(default = "confirmed")]
    pub confidence: Confidence,
}

fn confirmed() -> Confidence {
    Confidence::Confirmed
}

/// Which level a threshold came from; the order of precedence, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdSource {
    Commune,
    Province,
    Region,
    National,
}

/// The threshold that applies to one commune, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedThreshold {
    /// `None` for `bool` indicators ("Đạt").
    pub value: Option<f64>,
    pub inner: Option<f64>,
    pub source: ThresholdSource,
    /// The citation: the override's source text, or the catalog's source ids.
    pub citation: String,
    pub confidence: Confidence,
}

impl Indicator {
    /// Commune override > province override > the region's column > the national column.
    /// `None` when nothing applies (a province-set threshold the province has not entered).
    pub fn resolve_threshold(
        &self,
        region: Region,
        province: Option<&TargetOverride>,
        commune: Option<&TargetOverride>,
    ) -> Option<ResolvedThreshold> {
        let from_override = |o: &TargetOverride, source| ResolvedThreshold {
            value: Some(o.threshold),
            inner: o.inner,
            source,
            citation: o.source.clone(),
            confidence: o.confidence,
        };
        let from_entry = |e: &ThresholdEntry, source| ResolvedThreshold {
            value: e.value,
            inner: e.inner,
            source,
            citation: e.sources.join(", "),
            confidence: e.confidence,
        };
        commune
            .map(|o| from_override(o, ThresholdSource::Commune))
            .or_else(|| province.map(|o| from_override(o, ThresholdSource::Province)))
            .or_else(|| {
                self.regions
                    .get(&region)
                    .map(|e| from_entry(e, ThresholdSource::Region))
            })
            .or_else(|| {
                self.national
                    .as_ref()
                    .map(|e| from_entry(e, ThresholdSource::National))
            })
    }
}

impl Catalog {
    /// The catalog shipped in `assets/criteria.toml` (checked by this module's tests).
    pub fn builtin() -> &'static Catalog {
        static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
            Catalog::from_toml(BUILTIN, BUILTIN_FILE)
                .unwrap_or_else(|e| panic!("shipped catalog is invalid: {e}"))
        });
        &CATALOG
    }

    /// Reads and checks a catalog; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Catalog, CatalogError> {
        let raw: raw::Catalog = toml::from_str(text).map_err(|e| CatalogError {
            file: file.to_owned(),
            entry: "catalog".to_owned(),
            problem: e.to_string(),
        })?;
        raw.check(file)
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.index
            .get(id)
            .map(|&(c, i)| &self.criteria[c].indicators[i])
    }

    /// Every indicator, in catalog order, with its criterion.
    pub fn indicators(&self) -> impl Iterator<Item = (&Criterion, &Indicator)> {
        self.criteria
            .iter()
            .flat_map(|c| c.indicators.iter().map(move |i| (c, i)))
    }
}

/// The file's shape, before it is checked.
mod raw {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Catalog {
        decision: String,
        period: String,
        sources: BTreeMap<String, String>,
        criteria: Vec<Criterion>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Criterion {
        id: String,
        group: String,
        name_vi: String,
        name_en: String,
        indicators: Vec<Indicator>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Indicator {
        id: String,
        name_vi: String,
        name_en: String,
        #[serde(rename = "type")]
        indicator_type: IndicatorType,
        unit: String,
        figure: Figure,
        #[serde(default)]
        rule: Option<String>,
        computation: String,
        set_by_province: bool,
        wording_confirmed: bool,
        #[serde(default)]
        note: String,
        thresholds: BTreeMap<String, ThresholdEntry>,
    }

    struct Checker<'a> {
        file: &'a str,
        sources: &'a BTreeMap<String, String>,
    }

    impl Checker<'_> {
        fn err(&self, entry: impl fmt::Display, problem: impl Into<String>) -> CatalogError {
            CatalogError {
                file: self.file.to_owned(),
                entry: entry.to_string(),
                problem: problem.into(),
            }
        }

        fn indicator(
            &self,
            criterion: &str,
            i: Indicator,
        ) -> Result<super::Indicator, CatalogError> {
            let entry = format!("indicator {}", i.id);
            let belongs = i.id == criterion
                || i.id.strip_prefix(criterion).is_some_and(|rest| {
                    rest.strip_prefix('.')
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                });
            if !belongs {
                return Err(self.err(
                    &entry,
                    format!("id does not belong to criterion {criterion}"),
                ));
            }
            if i.name_vi.trim().is_empty() || i.name_en.trim().is_empty() {
                return Err(self.err(&entry, "needs a Vietnamese and an English name"));
            }
            let rule = match (&i.figure, &i.rule) {
                (Figure::Assessment, None) => None,
                (Figure::Assessment, Some(_)) => {
                    return Err(self.err(&entry, "an assessed indicator takes no field rule"))
                }
                (_, None) => {
                    return Err(self.err(&entry, "a field or official indicator needs a rule"))
                }
                (_, Some(name)) => {
                    let rule = FieldRule::parse(name)
                        .ok_or_else(|| self.err(&entry, format!("unknown rule {name:?}")))?;
                    if rule.produces() != i.indicator_type {
                        return Err(self.err(
                            &entry,
                            format!(
                                "rule {name:?} does not produce a {:?} figure",
                                i.indicator_type
                            ),
                        ));
                    }
                    Some(rule)
                }
            };
            let mut national = None;
            let mut regions = BTreeMap::new();
            for (key, cell) in i.thresholds {
                let cell_entry = format!("{entry}, threshold {key}");
                self.threshold(&cell_entry, i.indicator_type, &cell)?;
                if key == "national" {
                    national = Some(cell);
                } else {
                    let region = key
                        .parse::<Region>()
                        .map_err(|e| self.err(&cell_entry, e.to_string()))?;
                    regions.insert(region, cell);
                }
            }
            if national.is_none() && !i.set_by_province {
                return Err(self.err(&entry, "needs a national threshold unless set_by_province"));
            }
            Ok(super::Indicator {
                id: i.id,
                name_vi: i.name_vi,
                name_en: i.name_en,
                indicator_type: i.indicator_type,
                unit: i.unit,
                figure: i.figure,
                rule,
                computation: i.computation,
                set_by_province: i.set_by_province,
                wording_confirmed: i.wording_confirmed,
                note: i.note,
                national,
                regions,
            })
        }

        fn threshold(
            &self,
            entry: &str,
            t: IndicatorType,
            cell: &ThresholdEntry,
        ) -> Result<(), CatalogError> {
            for s in &cell.sources {
                if !self.sources.contains_key(s) {
                    return Err(self.err(entry, format!("cites {s}, which is not in [sources]")));
                }
            }
            let pct = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
            let ok = match (t, cell.value, cell.inner) {
                (IndicatorType::Bool, None, None) => true,
                (IndicatorType::PctMin | IndicatorType::PctMax, Some(v), None) => pct(v),
                (IndicatorType::PctMinNested, Some(v), Some(inner)) => {
                    pct(v) && pct(inner) && inner <= v
                }
                (IndicatorType::ValueMin, Some(v), None) => v.is_finite() && v > 0.0,
                (IndicatorType::None, Some(v), None) => v == 0.0,
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(self.err(
                    entry,
                    format!(
                        "value {:?} / inner {:?} does not fit a {t:?} indicator",
                        cell.value, cell.inner
                    ),
                ))
            }
        }
    }

    impl Catalog {
        pub fn check(self, file: &str) -> Result<super::Catalog, CatalogError> {
            let checker = Checker {
                file,
                sources: &self.sources,
            };
            let mut criteria = Vec::with_capacity(self.criteria.len());
            let mut index = HashMap::new();
            for (ci, c) in self.criteria.into_iter().enumerate() {
                let entry = format!("criterion {}", c.id);
                if criteria.iter().any(|k: &super::Criterion| k.id == c.id) {
                    return Err(checker.err(&entry, "appears twice"));
                }
                if c.name_vi.trim().is_empty() || c.name_en.trim().is_empty() {
                    return Err(checker.err(&entry, "needs a Vietnamese and an English name"));
                }
                if c.indicators.is_empty() {
                    return Err(checker.err(&entry, "has no indicators"));
                }
                let mut indicators = Vec::with_capacity(c.indicators.len());
                for (ii, i) in c.indicators.into_iter().enumerate() {
                    if index.insert(i.id.clone(), (ci, ii)).is_some() {
                        return Err(checker.err(format!("indicator {}", i.id), "appears twice"));
                    }
                    indicators.push(checker.indicator(&c.id, i)?);
                }
                criteria.push(super::Criterion {
                    id: c.id,
                    group: c.group,
                    name_vi: c.name_vi,
                    name_en: c.name_en,
                    indicators,
                });
            }
            for n in 1..=19 {
                if !criteria.iter().any(|c| c.id == n.to_string()) {
                    return Err(checker.err("catalog", format!("criterion {n} is missing")));
                }
            }
            if criteria.len() != 19 {
                return Err(checker.err(
                    "catalog",
                    format!("has {} criteria; 1980/QĐ-TTg has 19", criteria.len()),
                ));
            }
            Ok(super::Catalog {
                decision: self.decision,
                period: self.period,
                sources: self.sources,
                criteria,
                index,
            })
        }
    }
}

#[cfg(test)]
mod tests;
