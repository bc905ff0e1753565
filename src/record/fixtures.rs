//! Test builders for versions of every kind (used by the record and scorecard tests).

use chrono::{DateTime, FixedOffset};
use geographiclib_rs::{DirectGeodesic, Geodesic};
use uuid::Uuid;

use super::*;
use crate::geo::TrackPoint;
use crate::ids::Slug;

pub(crate) fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// A commune of Tuyên Quang (TDMNPB) with the villages named, for merger tests.
pub(crate) fn commune_with(id: &str, villages: &[&str]) -> crate::admin::Commune {
    crate::admin::Commune {
        id: slug(id),
        name: id.to_owned(),
        province: "Tuyên Quang".to_owned(),
        district: None,
        region: crate::ids::Region::Tdmnpb,
        villages: villages
            .iter()
            .map(|v| crate::admin::Village {
                id: slug(v),
                name: v.to_string(),
            })
            .collect(),
        code: None,
        valid_from: None,
        valid_until: None,
    }
}

pub(crate) fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

/// A check where everything passes (17.6 and 17.7 met).
pub(crate) fn passing_check(household_id: Uuid) -> HouseholdCheck {
    HouseholdCheck {
        household_id,
        toilet: Toilet {
            toilet_type: ToiletType::Septic,
            meets_standard: true,
            checklist: Default::default(),
        },
        bathroom_hygienic: true,
        water_tank_hygienic: true,
        three_cleans: ThreeCleans {
            house: true,
            kitchen: true,
            lane: true,
        },
        water: Water {
            hygienic: true,
            clean: true,
        },
        livestock: Livestock {
            raises: true,
            pen_hygienic: Some(true),
        },
        waste_handled: true,
        drainage_ok: true,
        health_insurance: HealthInsurance {
            members: 4,
            insured: 4,
        },
        children_under5: ChildrenUnder5 {
            measured: 1,
            stunted: 0,
        },
        note: String::new(),
    }
}

/// A straight, noise-free track of `metres` heading east from near Thiện Kế at a steady
/// 7–8 m/s, one fix a second (a motorbike).
pub(crate) fn straight_track(metres: f64, start: &str) -> Vec<TrackPoint> {
    let g = Geodesic::wgs84();
    let t0 = at(start);
    let n = (metres / 8.0).ceil().max(1.0) as usize;
    let step = metres / n as f64;
    (0..=n)
        .map(|i| {
            let s = i as f64 * step;
            let (lat, lon) = g.direct(21.78, 105.30, 90.0, s);
            TrackPoint {
                lat,
                lon,
                accuracy_m: 4.0,
                t: t0 + chrono::Duration::seconds(i as i64),
            }
        })
        .collect()
}

/// Writes versions as one phone would: its own device id and a dense sequence.
pub(crate) struct Phone {
    pub device_id: Uuid,
    pub commune: Slug,
    seq: u64,
}

impl Phone {
    pub fn new(commune: &str) -> Self {
        Phone {
            device_id: Uuid::now_v7(),
            commune: slug(commune),
            seq: 0,
        }
    }

    pub fn write(
        &mut self,
        entity_id: Uuid,
        parents: Vec<Uuid>,
        village: Option<&str>,
        captured_at: &str,
        body: Body,
    ) -> Version {
        self.seq += 1;
        let captured_at = at(captured_at);
        let location =
            matches!(body, Body::RoadSegment(_) | Body::TrashSign(_)).then_some(Location {
                lat: 21.78,
                lon: 105.33,
                accuracy_m: 4.5,
                altitude_m: None,
                fix_at: captured_at,
                source: LocationSource::Gps,
            });
        Version {
            version_id: Uuid::now_v7(),
            entity_id,
            parents,
            village_id: village.map(slug),
            commune_id: self.commune.clone(),
            device_id: self.device_id,
            device_seq: self.seq,
            author: None,
            server_seq: None,
            flags: Vec::new(),
            captured_at,
            observed_on: None,
            location,
            photos: Vec::new(),
            deleted: false,
            body,
        }
    }

    pub fn create(&mut self, village: Option<&str>, captured_at: &str, body: Body) -> Version {
        self.write(Uuid::now_v7(), Vec::new(), village, captured_at, body)
    }

    /// A new version of `prev` (an edit), with `change` applied to its body.
    pub fn edit(
        &mut self,
        prev: &Version,
        captured_at: &str,
        change: impl FnOnce(&mut Body),
    ) -> Version {
        let mut body = prev.body.clone();
        change(&mut body);
        let village = prev.village_id.as_ref().map(|s| s.as_str().to_owned());
        self.write(
            prev.entity_id,
            vec![prev.version_id],
            village.as_deref(),
            captured_at,
            body,
        )
    }

    /// An edit written at `captured_at` of what was observed when `prev` was, as the app writes
    /// a correction.
    pub fn correct(
        &mut self,
        prev: &Version,
        captured_at: &str,
        change: impl FnOnce(&mut Body),
    ) -> Version {
        let mut v = self.edit(prev, captured_at, change);
        v.set_observed_date(prev.observed_date());
        v
    }

    pub fn household(&mut self, village: &str, code: &str, members: u32) -> Version {
        let body = Body::Household(Household {
            code: code.to_owned(),
            head_name: format!("Chủ hộ {code}"),
            members,
            address: String::new(),
        });
        self.create(Some(village), "2020-01-05T08:00:00+07:00", body)
    }

    pub fn check(
        &mut self,
        household: &Version,
        captured_at: &str,
        change: impl FnOnce(&mut HouseholdCheck),
    ) -> Version {
        let mut check = passing_check(household.entity_id);
        change(&mut check);
        let village = household.village_id.as_ref().map(|s| s.as_str().to_owned());
        self.create(village.as_deref(), captured_at, Body::HouseholdCheck(check))
    }

    pub fn road(
        &mut self,
        village: &str,
        metres: f64,
        captured_at: &str,
        change: impl FnOnce(&mut RoadSegment),
    ) -> Version {
        let mut road = RoadSegment {
            name: "Đường nội đồng".to_owned(),
            road_class: RoadClass::FieldMain,
            surface: Surface::Concrete,
            width_m: 3.0,
            status: RoadStatus::Completed,
            works: Works::Upgrade,
            track: straight_track(metres, captured_at),
            manual_length_m: None,
            manual_reason: None,
            track_times: TrackTimes::Recorded,
        };
        change(&mut road);
        self.create(Some(village), captured_at, Body::RoadSegment(road))
    }
}
