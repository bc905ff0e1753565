//! A submission instance of one of the three forms, mapped to the versions it becomes: the
//! same bodies the app writes, checked by the core's `Version::validate` and `validate_in`.
//!
//! - Ids come from the instanceID (SHA-256 of it): the entity id, and a UUIDv7 whose time is
//!   the capture time, so a replay after a cut connection is a duplicate by construction.
//! - An edit (`meta/deprecatedID`) keeps the entity of the submission it replaces and names that
//!   submission's version as its parent; two edits of one submission are a conflict.
//! - `captured_at` is the form's `end` (else `start`) in Asia/Ho_Chi_Minh; the enumerator is the
//!   token's device (the server writes `author` from it).
//! - `geopoint` "lat lon alt acc" is the location; accuracy 0 (placed by hand, or a mock
//!   provider) is `source: manual`. `geotrace` points carry no time: they are spread over the
//!   form's start to end by the core (`geo::spread_times`) and the segment is marked
//!   `track_times: spread_evenly`; a hand-placed point (accuracy 0) is kept with an accuracy of
//!   10 km, so it is on the record but never passes the track's accuracy gate.

use chrono::{DateTime, FixedOffset};
use chrono_tz::Asia::Ho_Chi_Minh;
use ntm_field::admin::Commune;
use ntm_field::catalog::Catalog;
use ntm_field::geo::spread_times;
use ntm_field::ids::{PhotoId, Slug};
use ntm_field::record::*;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::forms::{self, Form};
use super::xml::Instance;
use crate::storage::odk::{Submission, SubmissionDraft};

/// The accuracy a hand-placed track point is kept with: the core's largest, far beyond any gate.
const HAND_PLACED_ACCURACY_M: f64 = 10_000.0;
/// Longest instanceID accepted (Collect's are `uuid:` and 36 characters).
const MAX_INSTANCE_ID: usize = 200;

/// Why a submission cannot become versions: the question (XML path) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    pub field: String,
    pub reason: String,
}

impl MapError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        MapError {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for MapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// What identifies a submission, read before anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub form: &'static Form,
    pub instance_id: String,
    pub deprecated_id: Option<String>,
}

pub fn header(instance: &Instance) -> Result<Header, MapError> {
    let form = forms::form(&instance.form_id).ok_or_else(|| {
        MapError::new(
            "id",
            format!("{:?} is not a form of this server", instance.form_id),
        )
    })?;
    let id = |path: &str| -> Result<Option<String>, MapError> {
        match instance.get(path) {
            None => Ok(None),
            Some(v) if v.chars().count() > MAX_INSTANCE_ID || v.chars().any(char::is_control) => {
                Err(MapError::new(path, "is not an instance id"))
            }
            Some(v) => Ok(Some(v.to_owned())),
        }
    };
    Ok(Header {
        form,
        instance_id: id("meta/instanceID")?
            .ok_or_else(|| MapError::new("meta/instanceID", "is missing"))?,
        deprecated_id: id("meta/deprecatedID")?,
    })
}

/// The file names the instance names (its photo questions), in order.
pub fn named_files(form: &Form, instance: &Instance) -> Vec<String> {
    photo_questions(form)
        .iter()
        .filter_map(|q| instance.get(q).map(str::to_owned))
        .collect()
}

fn photo_questions(form: &Form) -> &'static [&'static str] {
    match form.kind {
        Kind::HouseholdCheck => &["photo_toilet", "photo_other"],
        Kind::RoadSegment => &["photo_start", "photo_end"],
        _ => &["photo"],
    }
}

/// SHA-256 of the instanceID for one purpose: the seed of an id.
fn seed(instance_id: &str, purpose: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"ntm-field openrosa ")
        .chain_update(purpose.as_bytes())
        .chain_update([0])
        .chain_update(instance_id.as_bytes())
        .finalize()
        .into()
}

pub fn entity_id(instance_id: &str, purpose: &str) -> Uuid {
    let s = seed(instance_id, purpose);
    uuid::Builder::from_random_bytes(s[..16].try_into().expect("16 bytes")).into_uuid()
}

pub fn version_id(instance_id: &str, purpose: &str, at: DateTime<FixedOffset>) -> Uuid {
    let s = seed(instance_id, purpose);
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, s[16..26].try_into().expect("10 bytes"))
        .into_uuid()
}

/// The versions a submission becomes (their photos named by file, their `device_seq` 0),
/// checked by the core with placeholder photos. `replaces` is the recorded submission named by
/// `meta/deprecatedID`.
pub fn drafts(
    header: &Header,
    instance: &Instance,
    device_id: Uuid,
    commune: &Commune,
    replaces: Option<&Submission>,
) -> Result<Vec<SubmissionDraft>, MapError> {
    let r = Reader { instance };
    let captured_at = r.captured_at()?;
    let village = r.village(commune)?;
    let mut drafts = Vec::new();
    // The recorded versions the edit replaces: the main record is always the last one.
    let replaced_main = replaces.and_then(|s| s.planned.last().copied());
    let replaced_household = replaces
        .filter(|s| s.planned.len() > 1)
        .map(|s| s.planned[0]);
    let base = |entity_id: Uuid, version_id: Uuid, parents: Vec<Uuid>, body: Body| Version {
        version_id,
        entity_id,
        parents,
        village_id: Some(village.clone()),
        commune_id: commune.id.clone(),
        device_id,
        device_seq: 0,
        author: None,
        server_seq: None,
        flags: Vec::new(),
        captured_at,
        observed_on: None,
        location: None,
        photos: Vec::new(),
        deleted: false,
        body,
    };
    let (entity, parents) = match replaced_main {
        Some((v, e)) => (e, vec![v]),
        None => (entity_id(&header.instance_id, "record"), Vec::new()),
    };
    let main_id = version_id(&header.instance_id, "record", captured_at);
    let mut main = match header.form.kind {
        Kind::HouseholdCheck => {
            let household_id = if r.yes("new_household")? {
                let (h_entity, h_parents) = match replaced_household {
                    Some((v, e)) => (e, vec![v]),
                    None => (entity_id(&header.instance_id, "household"), Vec::new()),
                };
                let body = Body::Household(Household {
                    code: r.text("registration/household_code")?,
                    head_name: r.text("registration/head_name")?,
                    members: r.int("registration/household_members")?,
                    address: r.optional("registration/address"),
                });
                let id = version_id(&header.instance_id, "household", captured_at);
                drafts.push(SubmissionDraft {
                    version: base(h_entity, id, h_parents, body),
                    photos: Vec::new(),
                });
                h_entity
            } else {
                r.uuid("household")?
            };
            base(
                entity,
                main_id,
                parents,
                Body::HouseholdCheck(r.household_check(household_id)?),
            )
        }
        Kind::RoadSegment => {
            let (start, end) = r.start_end()?;
            let fixes = r.points("track")?;
            let first = *fixes
                .first()
                .ok_or_else(|| MapError::new("track", "has no point"))?;
            let track = spread_times(
                fixes.iter().map(|p| {
                    let accuracy = if p.accuracy_m == 0.0 {
                        HAND_PLACED_ACCURACY_M
                    } else {
                        p.accuracy_m
                    };
                    (p.lat, p.lon, accuracy)
                }),
                start,
                end,
            );
            let manual_length_m = r.optional_number("manual_length_m")?;
            let body = Body::RoadSegment(RoadSegment {
                name: r.text("name")?,
                road_class: r.choice("road_class")?,
                surface: r.choice("surface")?,
                width_m: r.number("width_m")?,
                status: r.choice("status")?,
                works: r.choice("works")?,
                track,
                manual_length_m,
                manual_reason: manual_length_m.map(|_| r.optional("manual_reason")),
                track_times: TrackTimes::SpreadEvenly,
            });
            let mut v = base(entity, main_id, parents, body);
            v.location = Some(first.location(start));
            v
        }
        Kind::TrashSign => {
            let point = r.point("location")?;
            let body = Body::TrashSign(TrashSign {
                sign_type: SignType::NoDumping,
                condition: r.choice("condition")?,
                responsible_household_id: r
                    .instance
                    .get("responsible_household")
                    .map(|_| r.uuid("responsible_household"))
                    .transpose()?,
                note: r.optional("note"),
            });
            let mut v = base(entity, main_id, parents, body);
            v.location = Some(point.location(captured_at));
            v
        }
        Kind::Household | Kind::Assessment => {
            return Err(MapError::new("id", "is not a form of this server"))
        }
    };
    main.photos.clear();
    drafts.push(SubmissionDraft {
        photos: named_files(header.form, instance),
        version: main,
    });
    check(&drafts, commune)?;
    Ok(drafts)
}

/// The core's checks, with a distinct placeholder for each photo (the files may not all have
/// arrived yet; their real SHA-256 are set when they have).
fn check(drafts: &[SubmissionDraft], commune: &Commune) -> Result<(), MapError> {
    for d in drafts {
        let mut v = d.version.clone();
        v.device_seq = 1;
        v.photos = d
            .photos
            .iter()
            .map(|n| PhotoId::of_bytes(n.as_bytes()))
            .collect();
        v.validate()
            .and_then(|_| v.validate_in(commune, Catalog::builtin()))
            .map_err(|e| MapError::new(e.first_path().unwrap_or(""), e.to_string()))?;
    }
    Ok(())
}

/// A position of a `geopoint` or `geotrace`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    lat: f64,
    lon: f64,
    altitude_m: Option<f64>,
    accuracy_m: f64,
}

impl Point {
    fn location(self, fix_at: DateTime<FixedOffset>) -> Location {
        Location {
            lat: self.lat,
            lon: self.lon,
            accuracy_m: self.accuracy_m,
            altitude_m: self.altitude_m.filter(|a| (-500.0..=9_000.0).contains(a)),
            fix_at,
            source: if self.accuracy_m == 0.0 {
                LocationSource::Manual
            } else {
                LocationSource::Gps
            },
        }
    }
}

/// `"lat lon [alt [acc]]"`; numbers as JavaRosa writes them (`10.0`, `1.0E-4`).
fn parse_point(text: &str) -> Option<Point> {
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().ok());
    let lat = parts.next()??;
    let lon = parts.next()??;
    let altitude_m = parts.next().flatten();
    let accuracy_m = parts.next().flatten().unwrap_or(0.0);
    if parts.next().is_some() || ![lat, lon, accuracy_m].iter().all(|x| x.is_finite()) {
        return None;
    }
    Some(Point {
        lat,
        lon,
        altitude_m,
        accuracy_m,
    })
}

struct Reader<'a> {
    instance: &'a Instance,
}

impl Reader<'_> {
    fn required(&self, path: &str) -> Result<&str, MapError> {
        self.instance
            .get(path)
            .ok_or_else(|| MapError::new(path, "is missing; answer it in the form"))
    }

    fn text(&self, path: &str) -> Result<String, MapError> {
        self.required(path).map(str::to_owned)
    }

    fn optional(&self, path: &str) -> String {
        self.instance.get(path).unwrap_or("").to_owned()
    }

    fn yes(&self, path: &str) -> Result<bool, MapError> {
        match self.required(path)? {
            "yes" => Ok(true),
            "no" => Ok(false),
            other => Err(MapError::new(path, format!("{other:?} is not yes or no"))),
        }
    }

    /// A yes/no question that may be left out (not relevant): `None` then.
    fn yes_if_asked(&self, path: &str) -> Result<Option<bool>, MapError> {
        self.instance.get(path).map(|_| self.yes(path)).transpose()
    }

    fn int(&self, path: &str) -> Result<u32, MapError> {
        self.required(path)?
            .parse()
            .map_err(|_| MapError::new(path, "is not a whole number from 0"))
    }

    fn number(&self, path: &str) -> Result<f64, MapError> {
        self.required(path)?
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| MapError::new(path, "is not a number"))
    }

    fn optional_number(&self, path: &str) -> Result<Option<f64>, MapError> {
        self.instance
            .get(path)
            .map(|_| self.number(path))
            .transpose()
    }

    fn uuid(&self, path: &str) -> Result<Uuid, MapError> {
        Uuid::parse_str(self.required(path)?).map_err(|_| {
            MapError::new(
                path,
                "is not a household of the list; update the form's media",
            )
        })
    }

    /// A choice whose names are the core's wire names (`septic`, `field_main`, ...).
    fn choice<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, MapError> {
        let v = self.required(path)?;
        serde_json::from_value(serde_json::Value::String(v.to_owned()))
            .map_err(|_| MapError::new(path, format!("{v:?} is not one of the form's choices")))
    }

    fn time(&self, path: &str) -> Result<Option<DateTime<FixedOffset>>, MapError> {
        self.instance
            .get(path)
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&Ho_Chi_Minh).fixed_offset())
                    .map_err(|_| MapError::new(path, "is not a date and time"))
            })
            .transpose()
    }

    fn start_end(&self) -> Result<(DateTime<FixedOffset>, DateTime<FixedOffset>), MapError> {
        let start = self.time("start")?;
        let end = self.time("end")?;
        match (start, end) {
            (Some(s), Some(e)) => Ok((s, e)),
            (Some(t), None) | (None, Some(t)) => Ok((t, t)),
            (None, None) => Err(MapError::new(
                "end",
                "is missing (the form's start and end times)",
            )),
        }
    }

    fn captured_at(&self) -> Result<DateTime<FixedOffset>, MapError> {
        self.start_end().map(|(_, end)| end)
    }

    fn village(&self, commune: &Commune) -> Result<Slug, MapError> {
        let v = self.required("village")?;
        Slug::parse(v)
            .ok()
            .filter(|s| commune.village(s).is_some())
            .ok_or_else(|| {
                MapError::new(
                    "village",
                    format!("{v:?} is not a village of commune {}", commune.id),
                )
            })
    }

    fn point(&self, path: &str) -> Result<Point, MapError> {
        parse_point(self.required(path)?)
            .ok_or_else(|| MapError::new(path, "is not a position \"lat lon alt accuracy\""))
    }

    /// A geotrace: points separated by `;` (JavaRosa writes `"; "`, xforms-engine `";"`).
    fn points(&self, path: &str) -> Result<Vec<Point>, MapError> {
        let text = self.required(path)?;
        let points: Vec<Point> = text
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                parse_point(p).ok_or_else(|| {
                    MapError::new(path, "has a point that is not \"lat lon alt accuracy\"")
                })
            })
            .collect::<Result<_, _>>()?;
        if points.len() > MAX_TRACK_POINTS {
            return Err(MapError::new(
                path,
                format!("has more than {MAX_TRACK_POINTS} points"),
            ));
        }
        Ok(points)
    }

    fn household_check(&self, household_id: Uuid) -> Result<HouseholdCheck, MapError> {
        let toilet_type: ToiletType = self.choice("toilet_type")?;
        let list = match toilet_type {
            ToiletType::Septic => Some("checklist_septic"),
            ToiletType::PourFlush => Some("checklist_pour_flush"),
            ToiletType::DoubleVault | ToiletType::SingleVault | ToiletType::SunkenDry => {
                Some("checklist_dry")
            }
            ToiletType::None | ToiletType::Other => None,
        };
        let ticked: Vec<&str> = list
            .and_then(|l| self.instance.get(l))
            .map(|v| v.split_whitespace().collect())
            .unwrap_or_default();
        let checklist = match list {
            Some(_) => toilet_type
                .checklist_items()
                .iter()
                .map(|item| ((*item).to_owned(), ticked.contains(item)))
                .collect(),
            None => Default::default(),
        };
        let raises = self.yes("raises_livestock")?;
        Ok(HouseholdCheck {
            household_id,
            toilet: Toilet {
                toilet_type,
                meets_standard: self.yes_if_asked("toilet_meets_standard")?.unwrap_or(false),
                checklist,
            },
            bathroom_hygienic: self.yes("bathroom_hygienic")?,
            water_tank_hygienic: self.yes("water_tank_hygienic")?,
            three_cleans: ThreeCleans {
                house: self.yes("clean_house")?,
                kitchen: self.yes("clean_kitchen")?,
                lane: self.yes("clean_lane")?,
            },
            water: Water {
                hygienic: self.yes("water_hygienic")?,
                clean: self.yes("water_clean")?,
            },
            livestock: Livestock {
                raises,
                pen_hygienic: if raises {
                    Some(self.yes("pen_hygienic")?)
                } else {
                    None
                },
            },
            waste_handled: self.yes("waste_handled")?,
            drainage_ok: self.yes("drainage_ok")?,
            health_insurance: HealthInsurance {
                members: self.int("insurance_members")?,
                insured: self.int("insured")?,
            },
            children_under5: ChildrenUnder5 {
                measured: self.int("children_measured")?,
                stunted: self.int("children_stunted")?,
            },
            note: self.optional("note"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::xml::parse_instance;
    use super::*;

    fn commune() -> Commune {
        ntm_field::demo::thien_ke().unwrap().config.commune
    }

    fn check_xml(instance: &str, extra: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0"?><data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="household_check" version="2026120101"><start>2026-03-05T08:55:00.000+07:00</start><end>2026-03-05T09:10:00.000+07:00</end><deviceid>collect:abc</deviceid><village>thien-ke-01</village><new_household>yes</new_household><registration><household_code>T1-99</household_code><head_name>Nguyễn Văn Mới</head_name><household_members>5</household_members><address/></registration><toilet_type>septic</toilet_type><checklist_septic>tank_sealed tank_vent water_seal_pan outflow_safe flush_water clean_no_smell</checklist_septic><toilet_meets_standard>yes</toilet_meets_standard><bathroom_hygienic>yes</bathroom_hygienic><water_tank_hygienic>yes</water_tank_hygienic><clean_house>yes</clean_house><clean_kitchen>yes</clean_kitchen><clean_lane>yes</clean_lane><water_hygienic>yes</water_hygienic><water_clean>no</water_clean><raises_livestock>no</raises_livestock><waste_handled>yes</waste_handled><drainage_ok>yes</drainage_ok><insurance_members>5</insurance_members><insured>4</insured><children_measured>1</children_measured><children_stunted>0</children_stunted><photo_toilet>1741140000000.jpg</photo_toilet><photo_other/><note/>{extra}<meta><instanceID>{instance}</instanceID></meta></data>"#
        )
        .into_bytes()
    }

    #[test]
    fn a_check_that_registers_a_household_becomes_a_household_and_a_check_that_refers_to_it() {
        let c = commune();
        let i = parse_instance(&check_xml("uuid:a1", "")).unwrap();
        let h = header(&i).unwrap();
        assert_eq!(
            (
                h.form.id,
                h.instance_id.as_str(),
                h.deprecated_id.as_deref()
            ),
            ("household_check", "uuid:a1", None)
        );
        let device = Uuid::now_v7();
        let drafts = drafts(&h, &i, device, &c, None).unwrap();
        assert_eq!(drafts.len(), 2);
        let (household, check) = (&drafts[0].version, &drafts[1].version);
        assert_eq!(household.kind(), Kind::Household);
        let Body::HouseholdCheck(body) = &check.body else {
            panic!()
        };
        assert_eq!(body.household_id, household.entity_id);
        assert!(body.meets_sanitation());
        assert_eq!(body.toilet.checklist.len(), 6);
        assert_eq!(body.livestock.pen_hygienic, None);
        assert_eq!(check.captured_at.to_rfc3339(), "2026-03-05T09:10:00+07:00");
        assert_eq!(drafts[1].photos, vec!["1741140000000.jpg".to_owned()]);
        assert_eq!(check.version_id.get_version_num(), 7);
        // The same instance always gives the same ids; another instance other ids.
        let again = super::drafts(&h, &i, device, &c, None).unwrap();
        assert_eq!(again[1].version.version_id, check.version_id);
        assert_eq!(again[0].version.entity_id, household.entity_id);
        let other = parse_instance(&check_xml("uuid:a2", "")).unwrap();
        let other = super::drafts(&header(&other).unwrap(), &other, device, &c, None).unwrap();
        assert_ne!(other[1].version.entity_id, check.entity_id);
    }

    #[test]
    fn an_edit_keeps_the_entity_and_names_the_replaced_version_as_its_parent() {
        let c = commune();
        let device = Uuid::now_v7();
        let first = parse_instance(&check_xml("uuid:b1", "")).unwrap();
        let planned: Vec<_> = drafts(&header(&first).unwrap(), &first, device, &c, None)
            .unwrap()
            .iter()
            .map(|d| (d.version.version_id, d.version.entity_id))
            .collect();
        let recorded = Submission {
            instance_id: "uuid:b1".into(),
            commune_id: c.id.clone(),
            device_id: device,
            form_id: "household_check".into(),
            xml_sha256: [0; 32],
            expected: vec![],
            received: Default::default(),
            planned: planned.clone(),
            results: None,
        };
        let edit = parse_instance(&check_xml("uuid:b2", "")).unwrap();
        let mut edit = edit;
        edit.leaves
            .insert("meta/deprecatedID".into(), "uuid:b1".into());
        let h = header(&edit).unwrap();
        assert_eq!(h.deprecated_id.as_deref(), Some("uuid:b1"));
        let d = drafts(&h, &edit, device, &c, Some(&recorded)).unwrap();
        assert_eq!(d[1].version.entity_id, planned[1].1);
        assert_eq!(d[1].version.parents, vec![planned[1].0]);
        assert_eq!(d[0].version.entity_id, planned[0].1);
        assert_eq!(d[0].version.parents, vec![planned[0].0]);
    }

    #[test]
    fn the_cores_rules_refuse_what_the_form_should_have_stopped() {
        let c = commune();
        let bad = String::from_utf8(check_xml("uuid:c1", ""))
            .unwrap()
            .replace("<insured>4</insured>", "<insured>9</insured>");
        let i = parse_instance(bad.as_bytes()).unwrap();
        let e = drafts(&header(&i).unwrap(), &i, Uuid::now_v7(), &c, None).unwrap_err();
        assert_eq!(e.field, "body.health_insurance.insured");
        let elsewhere = String::from_utf8(check_xml("uuid:c2", ""))
            .unwrap()
            .replace("thien-ke-01", "vinh-loi-01");
        let i = parse_instance(elsewhere.as_bytes()).unwrap();
        let e = drafts(&header(&i).unwrap(), &i, Uuid::now_v7(), &c, None).unwrap_err();
        assert_eq!(e.field, "village");
        let i = parse_instance(b"<data id=\"household_check\"><meta/></data>").unwrap();
        assert_eq!(header(&i).unwrap_err().field, "meta/instanceID");
        let i = parse_instance(
            b"<data id=\"other\"><meta><instanceID>uuid:x</instanceID></meta></data>",
        )
        .unwrap();
        assert_eq!(header(&i).unwrap_err().field, "id");
    }

    #[test]
    fn a_geotrace_becomes_a_track_spread_over_the_form_and_marked_so() {
        let xml = r#"<data id="road_segment" version="2026120101"><start>2026-03-05T08:00:00+07:00</start><end>2026-03-05T08:10:00+07:00</end><village>thien-ke-02</village><name>Đường nội đồng</name><road_class>field_main</road_class><surface>concrete</surface><width_m>3.0</width_m><works>upgrade</works><status>completed</status><track>21.78 105.33 10.0 5.0; 21.7809 105.33 12 4.5;21.7818 105.33 0 0.0</track><photo_start>a.jpg</photo_start><meta><instanceID>uuid:r1</instanceID></meta></data>"#;
        let i = parse_instance(xml.as_bytes()).unwrap();
        let d = drafts(&header(&i).unwrap(), &i, Uuid::now_v7(), &commune(), None).unwrap();
        let v = &d[0].version;
        let Body::RoadSegment(r) = &v.body else {
            panic!()
        };
        assert_eq!(r.track_times, TrackTimes::SpreadEvenly);
        assert_eq!(r.track.len(), 3);
        assert_eq!(r.track[1].t.to_rfc3339(), "2026-03-05T08:05:00+07:00");
        assert_eq!(
            r.track[2].accuracy_m, HAND_PLACED_ACCURACY_M,
            "a tapped point never passes the gate"
        );
        let loc = v.location.unwrap();
        assert_eq!(
            (loc.lat, loc.accuracy_m, loc.source),
            (21.78, 5.0, LocationSource::Gps)
        );
        assert_eq!(d[0].photos, vec!["a.jpg".to_owned()]);
    }

    #[test]
    fn a_geopoint_placed_by_hand_is_a_manual_location() {
        let xml = r#"<data id="trash_sign"><end>2026-03-05T08:10:00+07:00</end><village>thien-ke-02</village><location>21.78 105.33 0 0</location><condition>good</condition><photo>s.jpg</photo><meta><instanceID>uuid:s1</instanceID></meta></data>"#;
        let i = parse_instance(xml.as_bytes()).unwrap();
        let d = drafts(&header(&i).unwrap(), &i, Uuid::now_v7(), &commune(), None).unwrap();
        let loc = d[0].version.location.unwrap();
        assert_eq!((loc.accuracy_m, loc.source), (0.0, LocationSource::Manual));
        assert_eq!(
            parse_point("21.5 105.1 1.0E-4 1.0E-4").unwrap().accuracy_m,
            1.0e-4
        );
        assert!(parse_point("21.5").is_none() && parse_point("a b").is_none());
    }
}
