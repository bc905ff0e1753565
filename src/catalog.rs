//! The criteria catalog of one edition (1980/QĐ-TTg, 318/QĐ-TTg, 51/2025/QĐ-TTg): its criteria
//! and indicators, read from data (`assets/criteria/*.toml`), with every threshold's source and
//! confidence, and the rule that resolves which threshold applies to a commune. `edition` holds
//! the shipped editions and chooses the one a scorecard uses.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::Region;
use crate::record::RoadClass;

pub mod edition;
pub mod province;

/// The 2016–2020 edition, which records and scorecards without an edition belong to.
const BUILTIN_FILE: &str = "assets/criteria/1980.toml";
#[cfg(test)]
const BUILTIN: &str = include_str!("../assets/criteria/1980.toml");

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

/// What an edition's thresholds are tabulated by: the 7 regions (1980, 318) or the 3 commune
/// groups (51/2025).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Regions,
    CommuneGroups,
}

/// The commune groups of 51/2025/QĐ-TTg: G1 near-urban, G3 ethnic-minority and mountainous
/// khu vực II/III, G2 the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CommuneGroup {
    G1,
    G2,
    G3,
}

impl CommuneGroup {
    pub const ALL: [CommuneGroup; 3] = [CommuneGroup::G1, CommuneGroup::G2, CommuneGroup::G3];

    pub fn code(self) -> &'static str {
        match self {
            CommuneGroup::G1 => "G1",
            CommuneGroup::G2 => "G2",
            CommuneGroup::G3 => "G3",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == s)
    }
}

/// The column of an edition's table that applies to a commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Region(Region),
    Group(CommuneGroup),
}

impl From<Region> for Column {
    fn from(r: Region) -> Self {
        Column::Region(r)
    }
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
    pub const NAMES: [(&'static str, FieldRule); 9] = [
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

    /// The rule's name in edition files, e.g. `households.sanitation`.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("", |(n, _)| n)
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
    /// The decision lets the province set this threshold.
    pub set_by_province: bool,
    pub wording_confirmed: bool,
    /// False where the id was inferred from the numbering pattern, not read in the decision.
    pub id_confirmed: bool,
    /// False where the edition's table was not reached (entirely, or for some columns): a
    /// missing cell is judged only once a province set (or the commune) gives the threshold.
    pub thresholds_found: bool,
    pub note: String,
    pub national: Option<ThresholdEntry>,
    pub regions: BTreeMap<Region, ThresholdEntry>,
    pub groups: BTreeMap<CommuneGroup, ThresholdEntry>,
}

/// One criterion of an edition.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub id: String,
    pub group: String,
    pub name_vi: String,
    pub name_en: String,
    pub indicators: Vec<Indicator>,
}

/// The whole catalog of one edition.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// `ntm-2016`, `ntm-2021`, `ntm-2026`: what records and assessments name.
    pub key: String,
    pub decision: String,
    pub period: String,
    pub legal_basis: String,
    pub signed: NaiveDate,
    pub in_force: NaiveDate,
    /// The years whose results the edition scores.
    pub first_year: i32,
    pub last_year: i32,
    pub dimension: Dimension,
    /// How many indicators the decision has; the file may hold fewer where the table was not read.
    pub indicator_count: usize,
    /// 318/QĐ-TTg: especially disadvantaged and safe-zone communes take the TDMNPB column.
    pub disadvantaged_take_tdmnpb: bool,
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
    /// Commune override > province override > the region's (or group's) column > the national
    /// column. `None` when nothing applies (a province-set threshold the province has not
    /// entered, or a cell of the decision not found).
    pub fn resolve_threshold(
        &self,
        column: impl Into<Column>,
        province: Option<&TargetOverride>,
        commune: Option<&TargetOverride>,
    ) -> Option<ResolvedThreshold> {
        self.resolve_in(Some(column.into()), province, commune)
    }

    /// As [`Indicator::resolve_threshold`]; with no column, only the overrides apply.
    pub fn resolve_in(
        &self,
        column: Option<Column>,
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
                match column? {
                    Column::Region(r) => self.regions.get(&r),
                    Column::Group(g) => self.groups.get(&g),
                }
                .map(|e| from_entry(e, ThresholdSource::Region))
            })
            .or_else(|| {
                column?;
                self.national
                    .as_ref()
                    .map(|e| from_entry(e, ThresholdSource::National))
            })
    }
}

impl Catalog {
    /// The 2016–2020 edition shipped in `assets/criteria/1980.toml` (checked by this module's
    /// tests); [`edition::Editions::builtin`] holds every edition.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: LazyLock<&'static Catalog> = LazyLock::new(|| {
            edition::Editions::builtin()
                .get(edition::DEFAULT_KEY)
                .unwrap_or_else(|| panic!("{BUILTIN_FILE} is not edition {}", edition::DEFAULT_KEY))
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
        key: String,
        decision: String,
        period: String,
        legal_basis: String,
        signed: String,
        in_force: String,
        first_year: i32,
        last_year: i32,
        dimension: Dimension,
        criteria_count: usize,
        indicator_count: usize,
        #[serde(default)]
        disadvantaged_take_tdmnpb: bool,
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
        #[serde(default = "yes")]
        id_confirmed: bool,
        #[serde(default = "yes")]
        thresholds_found: bool,
        #[serde(default)]
        note: String,
        #[serde(default)]
        thresholds: BTreeMap<String, ThresholdEntry>,
    }

    fn yes() -> bool {
        true
    }

    struct Checker<'a> {
        file: &'a str,
        sources: &'a BTreeMap<String, String>,
        dimension: Dimension,
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
            let mut groups = BTreeMap::new();
            for (key, cell) in i.thresholds {
                let cell_entry = format!("{entry}, threshold {key}");
                self.threshold(&cell_entry, i.indicator_type, &cell)?;
                match self.dimension {
                    _ if key == "national" => national = Some(cell),
                    Dimension::Regions => {
                        let region = key
                            .parse::<Region>()
                            .map_err(|e| self.err(&cell_entry, e.to_string()))?;
                        regions.insert(region, cell);
                    }
                    Dimension::CommuneGroups => {
                        let group = CommuneGroup::parse(&key).ok_or_else(|| {
                            self.err(&cell_entry, "is not a commune group (G1, G2 or G3)")
                        })?;
                        groups.insert(group, cell);
                    }
                }
            }
            let complete = match self.dimension {
                Dimension::Regions => national.is_some() || regions.len() == Region::ALL.len(),
                Dimension::CommuneGroups => groups.len() == CommuneGroup::ALL.len(),
            };
            if !complete && !i.set_by_province && i.thresholds_found {
                return Err(self.err(
                    &entry,
                    match self.dimension {
                        Dimension::Regions => "needs a national threshold unless set_by_province or thresholds_found = false",
                        Dimension::CommuneGroups => "needs a threshold for G1, G2 and G3 unless set_by_province or thresholds_found = false",
                    },
                ));
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
                id_confirmed: i.id_confirmed,
                thresholds_found: i.thresholds_found,
                note: i.note,
                national,
                regions,
                groups,
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
                dimension: self.dimension,
            };
            let date = |name: &str, text: &str| {
                text.parse::<NaiveDate>()
                    .map_err(|e| checker.err("catalog", format!("{name} {text:?}: {e}")))
            };
            let signed = date("signed", &self.signed)?;
            let in_force = date("in_force", &self.in_force)?;
            if in_force < signed || self.last_year < self.first_year {
                return Err(checker.err(
                    "catalog",
                    "in force before it was signed, or its years run backwards",
                ));
            }
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
            for n in 1..=self.criteria_count {
                if !criteria.iter().any(|c| c.id == n.to_string()) {
                    return Err(checker.err("catalog", format!("criterion {n} is missing")));
                }
            }
            if criteria.len() != self.criteria_count {
                return Err(checker.err(
                    "catalog",
                    format!(
                        "has {} criteria; {} has {}",
                        criteria.len(),
                        self.decision,
                        self.criteria_count
                    ),
                ));
            }
            if index.len() > self.indicator_count {
                return Err(checker.err(
                    "catalog",
                    format!(
                        "has {} indicators; {} has {}",
                        index.len(),
                        self.decision,
                        self.indicator_count
                    ),
                ));
            }
            Ok(super::Catalog {
                key: self.key,
                decision: self.decision,
                period: self.period,
                legal_basis: self.legal_basis,
                signed,
                in_force,
                first_year: self.first_year,
                last_year: self.last_year,
                dimension: self.dimension,
                indicator_count: self.indicator_count,
                disadvantaged_take_tdmnpb: self.disadvantaged_take_tdmnpb,
                sources: self.sources,
                criteria,
                index,
            })
        }
    }
}

#[cfg(test)]
mod tests;
