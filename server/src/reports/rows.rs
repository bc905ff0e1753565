//! What the reports list: each entity's current head as of a date, flattened into rows that the
//! XLSX sheets, the CSV files and the GeoJSON share, so the three never disagree.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use ntm_field::config::CommuneConfig;
use ntm_field::geo::TrackFilter;
use ntm_field::heads::entity_heads_as_of;
use ntm_field::ids::Slug;
use ntm_field::record::{
    Body, RoadClass, RoadStatus, SignCondition, Surface, ToiletType, Version, Works,
};
use uuid::Uuid;

/// Fields every row has.
#[derive(Debug, Clone)]
pub struct Common {
    pub entity_id: Uuid,
    pub version_id: Uuid,
    pub village_id: Option<Slug>,
    pub village_name: String,
    /// The day the thing was observed (what the period counts by).
    pub observed_on: NaiveDate,
    /// When this version was written.
    pub captured_at: DateTime<FixedOffset>,
    pub author: String,
    pub photos: usize,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// The entity has more than one head; this row shows the one the totals use.
    pub conflict: bool,
    /// Observed within the report's period.
    pub in_period: bool,
}

#[derive(Debug, Clone)]
pub struct RoadRow {
    pub common: Common,
    pub name: String,
    pub road_class: RoadClass,
    pub surface: &'static str,
    pub width_m: f64,
    pub status: &'static str,
    pub works: &'static str,
    pub length_m: f64,
    pub manual: bool,
    /// Completed with a surface that meets its class's indicator.
    pub counts: bool,
    /// `(lon, lat)` of each track point, in GeoJSON order.
    pub track: Vec<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct SignRow {
    pub common: Common,
    pub condition: &'static str,
    pub responsible: String,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct CheckRow {
    pub common: Common,
    pub household_code: String,
    pub head_name: String,
    pub toilet_type: &'static str,
    pub toilet_meets_standard: bool,
    pub sanitation_17_6: bool,
    pub bathroom_hygienic: bool,
    pub water_tank_hygienic: bool,
    pub three_cleans: bool,
    pub water_hygienic: bool,
    pub water_clean: bool,
    pub raises_livestock: bool,
    pub pen_hygienic_17_7: Option<bool>,
    pub waste_handled: bool,
    pub drainage_ok: bool,
    pub members: u32,
    pub insured: u32,
    pub children_measured: u32,
    pub children_stunted: u32,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct HouseholdRow {
    pub common: Common,
    pub code: String,
    pub head_name: String,
    pub members: u32,
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct AssessmentRow {
    pub common: Common,
    pub indicator_id: String,
    pub as_of: NaiveDate,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub met: Option<bool>,
    pub source: String,
}

/// Every live entity of a commune as of a date, by kind.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub roads: Vec<RoadRow>,
    pub signs: Vec<SignRow>,
    pub checks: Vec<CheckRow>,
    pub households: Vec<HouseholdRow>,
    pub assessments: Vec<AssessmentRow>,
}

/// Wire names of the body enums (the same strings as in the JSON), for sheets and files.
pub fn surface_str(s: Surface) -> &'static str {
    match s {
        Surface::Asphalt => "asphalt",
        Surface::Concrete => "concrete",
        Surface::CrushedStone => "crushed_stone",
        Surface::Brick => "brick",
        Surface::Gravel => "gravel",
        Surface::Earth => "earth",
    }
}

pub fn status_str(s: RoadStatus) -> &'static str {
    match s {
        RoadStatus::Planned => "planned",
        RoadStatus::UnderConstruction => "under_construction",
        RoadStatus::Completed => "completed",
    }
}

pub fn works_str(w: Works) -> &'static str {
    match w {
        Works::Upgrade => "upgrade",
        Works::New => "new",
    }
}

pub fn condition_str(c: SignCondition) -> &'static str {
    match c {
        SignCondition::Good => "good",
        SignCondition::Damaged => "damaged",
        SignCondition::Missing => "missing",
    }
}

pub fn toilet_str(t: ToiletType) -> &'static str {
    match t {
        ToiletType::Septic => "septic",
        ToiletType::DoubleVault => "double_vault",
        ToiletType::SingleVault => "single_vault",
        ToiletType::SunkenDry => "sunken_dry",
        ToiletType::PourFlush => "pour_flush",
        ToiletType::None => "none",
        ToiletType::Other => "other",
    }
}

impl Rows {
    /// The heads of `config`'s commune among `versions`, counting what was observed up to the
    /// end of `as_of` (assessments whatever their dates), the same cut as the scorecard's.
    /// `period_start` marks rows observed on or after it.
    pub fn of(
        config: &CommuneConfig,
        versions: &[Version],
        as_of: NaiveDate,
        period_start: Option<NaiveDate>,
    ) -> Rows {
        let commune = &config.commune;
        // Its own records, and those in its villages of the communes a merger made it from.
        let held = |v: &Version| {
            v.commune_id == commune.id
                || (config.merged_from.contains(&v.commune_id)
                    && v.village_id
                        .as_ref()
                        .is_some_and(|id| commune.village(id).is_some()))
        };
        let heads = entity_heads_as_of(versions.iter().filter(|v| held(v)), as_of);
        let households: HashMap<Uuid, (String, String)> = heads
            .iter()
            .filter_map(|(id, h)| match &h.head.body {
                Body::Household(b) if h.is_live() => {
                    Some((*id, (b.code.clone(), b.head_name.clone())))
                }
                _ => None,
            })
            .collect();
        let filter = TrackFilter::default();
        let mut rows = Rows::default();
        let mut entities: Vec<_> = heads.iter().filter(|(_, h)| h.is_live()).collect();
        entities.sort_by_key(|(id, h)| (h.head.observed_date(), h.head.captured_at, **id));
        for (id, h) in entities {
            let v = h.head;
            let common = Common {
                entity_id: *id,
                version_id: v.version_id,
                village_id: v.village_id.clone(),
                village_name: v
                    .village_id
                    .as_ref()
                    .and_then(|s| commune.village(s))
                    .map(|vil| vil.name.clone())
                    .unwrap_or_default(),
                observed_on: v.observed_date(),
                captured_at: v.captured_at,
                author: v.author.clone().unwrap_or_default(),
                photos: v.photos.len(),
                lat: v.location.map(|l| l.lat),
                lon: v.location.map(|l| l.lon),
                accuracy_m: v.location.map(|l| l.accuracy_m),
                conflict: h.in_conflict(),
                in_period: period_start.is_some_and(|s| v.observed_date() >= s),
            };
            match &v.body {
                Body::RoadSegment(r) => {
                    let length = r.length(&filter);
                    rows.roads.push(RoadRow {
                        common,
                        name: r.name.clone(),
                        road_class: r.road_class,
                        surface: surface_str(r.surface),
                        width_m: r.width_m,
                        status: status_str(r.status),
                        works: works_str(r.works),
                        length_m: (length.metres * 10.0).round() / 10.0,
                        manual: length.manual,
                        counts: r.counts(),
                        track: r.track.iter().map(|p| (p.lon, p.lat)).collect(),
                    })
                }
                Body::TrashSign(s) => {
                    let responsible = s
                        .responsible_household_id
                        .map(|hid| match households.get(&hid) {
                            Some((code, name)) => format!("{code} – {name}"),
                            None => hid.to_string(),
                        })
                        .unwrap_or_default();
                    rows.signs.push(SignRow {
                        common,
                        condition: condition_str(s.condition),
                        responsible,
                        note: s.note.clone(),
                    })
                }
                Body::HouseholdCheck(c) => {
                    let (code, name) = households.get(&c.household_id).cloned().unwrap_or_default();
                    rows.checks.push(CheckRow {
                        common,
                        household_code: code,
                        head_name: name,
                        toilet_type: toilet_str(c.toilet.toilet_type),
                        toilet_meets_standard: c.toilet.meets_standard,
                        sanitation_17_6: c.meets_sanitation(),
                        bathroom_hygienic: c.bathroom_hygienic,
                        water_tank_hygienic: c.water_tank_hygienic,
                        three_cleans: c.three_cleans.all(),
                        water_hygienic: c.water.hygienic,
                        water_clean: c.water.clean,
                        raises_livestock: c.livestock.raises,
                        pen_hygienic_17_7: c.livestock_pen_verdict(),
                        waste_handled: c.waste_handled,
                        drainage_ok: c.drainage_ok,
                        members: c.health_insurance.members,
                        insured: c.health_insurance.insured,
                        children_measured: c.children_under5.measured,
                        children_stunted: c.children_under5.stunted,
                        note: c.note.clone(),
                    })
                }
                Body::Household(b) => rows.households.push(HouseholdRow {
                    common,
                    code: b.code.clone(),
                    head_name: b.head_name.clone(),
                    members: b.members,
                    address: b.address.clone(),
                }),
                Body::Assessment(a) => rows.assessments.push(AssessmentRow {
                    common,
                    indicator_id: a.indicator_id.clone(),
                    as_of: a.as_of,
                    numerator: a.numerator,
                    denominator: a.denominator,
                    value: a.value,
                    met: a.met,
                    source: a.source.clone(),
                }),
            }
        }
        rows.households.sort_by(|a, b| a.code.cmp(&b.code));
        rows
    }
}
