//! The five bodies with their exact wire names, and the per-record verdicts (17.6, 17.7, road
//! length and which indicator a segment counts for).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Kind, ValidationErrors};
use crate::geo::{self, TrackFilter, TrackPoint};

/// A kind-specific body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Body {
    Household(Household),
    HouseholdCheck(HouseholdCheck),
    RoadSegment(RoadSegment),
    TrashSign(TrashSign),
    Assessment(Assessment),
}

impl Body {
    pub fn kind(&self) -> Kind {
        match self {
            Body::Household(_) => Kind::Household,
            Body::HouseholdCheck(_) => Kind::HouseholdCheck,
            Body::RoadSegment(_) => Kind::RoadSegment,
            Body::TrashSign(_) => Kind::TrashSign,
            Body::Assessment(_) => Kind::Assessment,
        }
    }

    /// Reads the body of `kind`; errors carry paths under `body.`.
    pub(super) fn from_value(
        kind: Kind,
        value: serde_json::Value,
    ) -> Result<Body, ValidationErrors> {
        fn read<T: serde::de::DeserializeOwned>(
            v: serde_json::Value,
        ) -> Result<T, ValidationErrors> {
            serde_path_to_error::deserialize(v)
                .map_err(|e| ValidationErrors::from_serde(e).under("body"))
        }
        Ok(match kind {
            Kind::Household => Body::Household(read(value)?),
            Kind::HouseholdCheck => Body::HouseholdCheck(read(value)?),
            Kind::RoadSegment => Body::RoadSegment(read(value)?),
            Kind::TrashSign => Body::TrashSign(read(value)?),
            Kind::Assessment => Body::Assessment(read(value)?),
        })
    }
}

/// A registered household: the denominator of every household indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    pub code: String,
    pub head_name: String,
    pub members: u32,
    #[serde(default)]
    pub address: String,
}

/// One visit to one household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdCheck {
    /// `entity_id` of the household.
    pub household_id: Uuid,
    pub toilet: Toilet,
    pub bathroom_hygienic: bool,
    pub water_tank_hygienic: bool,
    pub three_cleans: ThreeCleans,
    pub water: Water,
    pub livestock: Livestock,
    pub waste_handled: bool,
    pub drainage_ok: bool,
    pub health_insurance: HealthInsurance,
    pub children_under5: ChildrenUnder5,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Toilet {
    #[serde(rename = "type")]
    pub toilet_type: ToiletType,
    /// Meets QCVN 01:2011/BYT, in the checker's judgement, item by item in `checklist`.
    pub meets_standard: bool,
    #[serde(default)]
    pub checklist: BTreeMap<String, bool>,
}

/// Latrine types; QCVN 01:2011/BYT accepts the first five when built and kept to the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToiletType {
    /// Tự hoại.
    Septic,
    /// Khô nổi hai ngăn.
    DoubleVault,
    /// Khô nổi một ngăn.
    SingleVault,
    /// Khô chìm.
    SunkenDry,
    /// Thấm dội nước.
    PourFlush,
    /// No latrine.
    None,
    /// An open pit, a latrine over a pond: never hygienic.
    Other,
}

impl ToiletType {
    pub const ALL: [ToiletType; 7] = [
        ToiletType::Septic,
        ToiletType::DoubleVault,
        ToiletType::SingleVault,
        ToiletType::SunkenDry,
        ToiletType::PourFlush,
        ToiletType::None,
        ToiletType::Other,
    ];

    /// Whether QCVN 01:2011/BYT recognises the type at all.
    pub fn can_meet_standard(self) -> bool {
        !matches!(self, ToiletType::None | ToiletType::Other)
    }

    /// The checklist items of ntm-criteria.md §2.1 for this type (keys of `toilet.checklist`).
    /// Dry types use the verbatim construction rules of QCVN 01:2011 §II.1.1.1 plus the use and
    /// maintenance checks; flush types use the (unconfirmed) §II.2 list.
    pub fn checklist_items(self) -> &'static [&'static str] {
        const DRY: &[&str] = &[
            "not_flood_prone",
            "water_source_10m",
            "pit_raised_20cm",
            "no_rainwater_inflow",
            "floor_smooth",
            "hole_lids",
            "roof_walls_door",
            "vent_pipe",
            "clean_no_smell",
            "no_flies",
            "cover_material",
        ];
        const SEPTIC: &[&str] = &[
            "tank_sealed",
            "tank_vent",
            "water_seal_pan",
            "outflow_safe",
            "flush_water",
            "clean_no_smell",
        ];
        const POUR_FLUSH: &[&str] = &[
            "tank_sealed",
            "water_seal_pan",
            "outflow_safe",
            "flush_water",
            "water_source_10m",
            "clean_no_smell",
        ];
        match self {
            ToiletType::SunkenDry | ToiletType::SingleVault | ToiletType::DoubleVault => DRY,
            ToiletType::Septic => SEPTIC,
            ToiletType::PourFlush => POUR_FLUSH,
            ToiletType::None | ToiletType::Other => &[],
        }
    }
}

/// "3 sạch": clean house, clean kitchen, clean lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreeCleans {
    pub house: bool,
    pub kitchen: bool,
    pub lane: bool,
}

impl ThreeCleans {
    pub fn all(self) -> bool {
        self.house && self.kitchen && self.lane
    }
}

/// 17.1: hygienic water, and within it clean water (QCVN 02:2009/BYT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Water {
    pub hygienic: bool,
    pub clean: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Livestock {
    pub raises: bool,
    /// Required when `raises`; must be null otherwise.
    #[serde(default)]
    pub pen_hygienic: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthInsurance {
    pub members: u32,
    pub insured: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildrenUnder5 {
    pub measured: u32,
    pub stunted: u32,
}

impl HouseholdCheck {
    /// Indicator 17.6 for this household: a hygienic toilet (a recognised type that meets the
    /// standard) **and** a hygienic bathroom **and** water tank **and** all three cleans.
    pub fn meets_sanitation(&self) -> bool {
        self.toilet.toilet_type.can_meet_standard()
            && self.toilet.meets_standard
            && self.bathroom_hygienic
            && self.water_tank_hygienic
            && self.three_cleans.all()
    }

    /// Indicator 17.7 for this household: `None` when it raises no livestock (it is then outside
    /// the indicator's denominator), else whether its pen is hygienic.
    pub fn livestock_pen_verdict(&self) -> Option<bool> {
        self.livestock
            .raises
            .then(|| self.livestock.pen_hygienic == Some(true))
    }
}

/// Road classes and the indicator each feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadClass {
    /// Đường trục xã: 2.1.
    Commune,
    /// Đường trục thôn, liên thôn: 2.2.
    VillageAxis,
    /// Đường ngõ xóm: 2.3.
    Alley,
    /// Đường trục chính nội đồng: 2.4.
    FieldMain,
}

impl RoadClass {
    pub const ALL: [RoadClass; 4] = [
        RoadClass::Commune,
        RoadClass::VillageAxis,
        RoadClass::Alley,
        RoadClass::FieldMain,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Commune => "commune",
            RoadClass::VillageAxis => "village_axis",
            RoadClass::Alley => "alley",
            RoadClass::FieldMain => "field_main",
        }
    }

    /// Whether a road of this class with `surface` meets its indicator: 2.1 needs asphalt or
    /// concrete; the others need a hardened (cứng hóa) surface.
    pub fn surface_counts(self, surface: Surface) -> bool {
        match self {
            RoadClass::Commune => matches!(surface, Surface::Asphalt | Surface::Concrete),
            _ => surface.is_hardened(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    Asphalt,
    Concrete,
    CrushedStone,
    Brick,
    Gravel,
    Earth,
}

impl Surface {
    pub const ALL: [Surface; 6] = [
        Surface::Asphalt,
        Surface::Concrete,
        Surface::CrushedStone,
        Surface::Brick,
        Surface::Gravel,
        Surface::Earth,
    ];

    /// Cứng hóa: crushed stone, brick, concrete or asphalt (TT 32/2014/TT-BGTVT).
    pub fn is_hardened(self) -> bool {
        matches!(
            self,
            Surface::Asphalt | Surface::Concrete | Surface::CrushedStone | Surface::Brick
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadStatus {
    Planned,
    UnderConstruction,
    Completed,
}

/// The works rule: an `upgrade` hardens a road already in the network (numerator grows); a
/// `new` road grows numerator and denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Works {
    Upgrade,
    New,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadSegment {
    pub name: String,
    pub road_class: RoadClass,
    pub surface: Surface,
    pub width_m: f64,
    pub status: RoadStatus,
    pub works: Works,
    #[serde(default)]
    pub track: Vec<TrackPoint>,
    #[serde(default)]
    pub manual_length_m: Option<f64>,
    #[serde(default)]
    pub manual_reason: Option<String>,
    /// Where the track's times come from; left out of the wire shape when the phone recorded
    /// them (`recorded`), so records written before the field existed keep their digests.
    #[serde(default, skip_serializing_if = "TrackTimes::is_recorded")]
    pub track_times: TrackTimes,
}

/// Where the times of a road track's fixes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackTimes {
    /// Each fix's own time, as the phone recorded it.
    #[default]
    Recorded,
    /// The fixes carried no time (an ODK Collect `geotrace`) and were spread evenly over the
    /// recording by [`geo::spread_times`]; the dashboard says so beside the length.
    SpreadEvenly,
}

impl TrackTimes {
    pub fn is_recorded(&self) -> bool {
        *self == TrackTimes::Recorded
    }
}

/// A segment's length and whether it came from a typed-in figure instead of the track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentLength {
    pub metres: f64,
    pub manual: bool,
}

impl RoadSegment {
    /// Length from the track (the core's geodesic, noise-filtered measure); the manual length is
    /// used only when the track has fewer than 2 usable points, and is then flagged.
    pub fn length(&self, filter: &TrackFilter) -> SegmentLength {
        let measured = geo::track_length(&self.track, filter);
        match self.manual_length_m {
            Some(m) if measured.points_used < 2 => SegmentLength {
                metres: m,
                manual: true,
            },
            _ => SegmentLength {
                metres: measured.length_m,
                manual: false,
            },
        }
    }

    /// Whether this segment adds to its class's indicator at all: completed and of a surface
    /// that meets it.
    pub fn counts(&self) -> bool {
        self.status == RoadStatus::Completed && self.road_class.surface_counts(self.surface)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignType {
    NoDumping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignCondition {
    Good,
    Damaged,
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashSign {
    pub sign_type: SignType,
    pub condition: SignCondition,
    #[serde(default)]
    pub responsible_household_id: Option<Uuid>,
    #[serde(default)]
    pub note: String,
}

/// An officer's dated figure or verdict for one indicator: the plan's baselines, the official
/// health figures, and every indicator no field record measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The criteria edition whose indicator this is (`ntm-2021`); none for 1980's (`ntm-2016`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    pub indicator_id: String,
    pub as_of: NaiveDate,
    /// With `denominator`: a ratio (road indicators in km, others in their own counts).
    #[serde(default)]
    pub numerator: Option<f64>,
    #[serde(default)]
    pub denominator: Option<f64>,
    /// A percentage (0–100) or an amount in the indicator's unit.
    #[serde(default)]
    pub value: Option<f64>,
    /// A verdict, for `bool` indicators or where only the verdict is known.
    #[serde(default)]
    pub met: Option<bool>,
    pub source: String,
    #[serde(default)]
    pub note: String,
}
