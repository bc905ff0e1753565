use proptest::prelude::*;
use serde_json::{json, Value};

use super::fixtures::*;
use super::*;
use crate::admin::{Commune, Village};
use crate::catalog::Catalog;
use crate::ids::Region;

/// The Appendix A example, completed with a real UUIDv7 and body.
fn appendix_check() -> Value {
    json!({
        "version_id": "0193a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b",
        "entity_id": "0193a1b2-c3d4-7e5f-8a6b-000000000001",
        "parents": [],
        "kind": "household_check",
        "commune_id": "thien-ke", "village_id": "thien-ke-03",
        "device_id": "0193a1b2-c3d4-7e5f-8a6b-0000000000d1", "device_seq": 17,
        "captured_at": "2020-03-05T09:30:00+07:00",
        "location": {"lat": 21.78, "lon": 105.33, "accuracy_m": 4.5, "altitude_m": null,
                     "fix_at": "2020-03-05T09:29:58+07:00", "source": "gps"},
        "photos": ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
        "deleted": false,
        "body": {
            "household_id": "0193a1b2-c3d4-7e5f-8a6b-0000000000aa",
            "toilet": {"type": "septic", "meets_standard": true, "checklist": {"tank_sealed": true}},
            "bathroom_hygienic": true, "water_tank_hygienic": true,
            "three_cleans": {"house": true, "kitchen": true, "lane": false},
            "water": {"hygienic": true, "clean": false},
            "livestock": {"raises": true, "pen_hygienic": false},
            "waste_handled": true, "drainage_ok": true,
            "health_insurance": {"members": 5, "insured": 4},
            "children_under5": {"measured": 1, "stunted": 0}, "note": ""
        }
    })
}

fn reasons(value: Value) -> Vec<(String, String)> {
    match Version::from_value(value) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.into_iter().map(|f| (f.path, f.reason)).collect(),
    }
}

fn paths(value: Value) -> Vec<String> {
    reasons(value).into_iter().map(|(p, _)| p).collect()
}

fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    *value
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = new;
    value
}

#[test]
fn appendix_example_reads_and_round_trips_with_its_wire_names() {
    let v = Version::from_value(appendix_check()).unwrap();
    assert_eq!(v.kind(), Kind::HouseholdCheck);
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["kind"], "household_check");
    assert_eq!(json["body"]["toilet"]["type"], "septic");
    assert_eq!(json["location"]["source"], "gps");
    assert_eq!(json["captured_at"], "2020-03-05T09:30:00+07:00");
    assert!(json.get("author").is_none() && json.get("server_seq").is_none());
    let back: Version = serde_json::from_value(json).unwrap();
    assert_eq!(back, v);
}

#[test]
fn every_kind_round_trips_through_json() {
    let mut phone = Phone::new("thien-ke");
    let household = phone.household("thien-ke-03", "TK03-001", 5);
    let check = phone.check(&household, "2020-03-05T09:30:00+07:00", |_| {});
    let road = phone.road("thien-ke-03", 120.0, "2020-03-06T07:00:00+07:00", |_| {});
    let sign = phone.create(
        Some("thien-ke-03"),
        "2020-03-07T07:00:00+07:00",
        Body::TrashSign(TrashSign {
            sign_type: SignType::NoDumping,
            condition: SignCondition::Good,
            responsible_household_id: Some(household.entity_id),
            note: "Đầu cầu".to_owned(),
        }),
    );
    let assessment = phone.create(
        None,
        "2020-02-15T08:00:00+07:00",
        Body::Assessment(Assessment {
            edition: None,
            indicator_id: "2.4".to_owned(),
            as_of: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            numerator: Some(6.4),
            denominator: Some(26.0),
            value: None,
            met: None,
            source: "Kế hoạch 2020".to_owned(),
            note: String::new(),
        }),
    );
    for v in [household, check, road, sign, assessment] {
        let json = serde_json::to_string(&v).unwrap();
        let back = Version::parse(&mut serde_json::Deserializer::from_str(&json)).unwrap();
        assert_eq!(back, v, "{json}");
        assert_eq!(back.content_digest(), v.content_digest());
        assert_eq!(Version::from_json(&json).as_ref(), Some(&v), "{json}");
        assert_eq!(Version::from_json(&reordered(&v)), Some(v.clone()));
    }
}

#[test]
fn each_appendix_rule_is_reported_at_its_field() {
    let base = appendix_check();
    let cases: Vec<(Value, &str)> = vec![
        (
            with(base.clone(), "/body/toilet/type", json!("none")),
            "body.toilet.meets_standard",
        ),
        (
            with(
                base.clone(),
                "/body/livestock",
                json!({"raises": false, "pen_hygienic": true}),
            ),
            "body.livestock.pen_hygienic",
        ),
        (
            with(
                base.clone(),
                "/body/health_insurance",
                json!({"members": 3, "insured": 4}),
            ),
            "body.health_insurance.insured",
        ),
        (
            with(
                base.clone(),
                "/body/children_under5",
                json!({"measured": 1, "stunted": 2}),
            ),
            "body.children_under5.stunted",
        ),
        (
            with(base.clone(), "/location/lat", json!(200.0)),
            "location.lat",
        ),
        (
            with(base.clone(), "/location/accuracy_m", json!(-1.0)),
            "location.accuracy_m",
        ),
        (
            with(base.clone(), "/photos", json!(["not-a-sha256"])),
            "photos[0]",
        ),
        (
            with(
                base.clone(),
                "/version_id",
                json!("0193a1b2-c3d4-4e5f-8a6b-1c2d3e4f5a6b"),
            ),
            "version_id",
        ),
        (
            with(base.clone(), "/version_id", json!("zzz")),
            "version_id",
        ),
        (with(base.clone(), "/device_seq", json!(0)), "device_seq"),
        (with(base.clone(), "/device_seq", json!(-3)), "device_seq"),
        (
            with(base.clone(), "/commune_id", json!("Thiện Kế")),
            "commune_id",
        ),
        (
            with(base.clone(), "/captured_at", json!("05/03/2020")),
            "captured_at",
        ),
        (
            with(base.clone(), "/captured_at", json!("1970-01-01T00:00:00Z")),
            "captured_at",
        ),
        (with(base.clone(), "/kind", json!("bridge")), "kind"),
        (
            with(base.clone(), "/body/toilet/type", json!("bucket")),
            "body.toilet.type",
        ),
        (
            with(base.clone(), "/body/bathroom_hygienic", json!("yes")),
            "body.bathroom_hygienic",
        ),
        (
            with(
                base.clone(),
                "/body/water",
                json!({"hygienic": false, "clean": true}),
            ),
            "body.water.clean",
        ),
        (
            with(
                base.clone(),
                "/body/toilet/checklist",
                json!({"vent_pipe": true}),
            ),
            "body.toilet.checklist.vent_pipe",
        ),
        (
            with(
                base.clone(),
                "/body/toilet/checklist",
                json!({"tank_sealed": false}),
            ),
            "body.toilet.checklist.tank_sealed",
        ),
        (with(base.clone(), "/deleted", json!(true)), "deleted"),
        (with(base.clone(), "/village_id", Value::Null), "village_id"),
    ];
    for (value, expected) in cases {
        let got = paths(value);
        assert!(
            got.iter().any(|p| p == expected),
            "expected an error at {expected}, got {got:?}"
        );
    }
    assert!(paths(base).is_empty());
}

fn road_json(track: Value) -> Value {
    let mut v = appendix_check();
    v["kind"] = json!("road_segment");
    v["body"] = json!({"name": "Trục nội đồng Thôn 3", "road_class": "field_main", "surface": "concrete",
        "width_m": 3.0, "status": "completed", "works": "upgrade", "track": track,
        "manual_length_m": null, "manual_reason": null});
    v
}

#[test]
fn road_segments_need_a_track_or_a_reasoned_manual_length() {
    let point =
        json!({"lat": 21.78, "lon": 105.33, "accuracy_m": 4.0, "t": "2020-03-05T09:30:00+07:00"});
    assert!(paths(road_json(json!([point, point]))).is_empty());
    assert!(paths(road_json(json!([point]))).contains(&"body.track".to_owned()));

    let manual = with(road_json(json!([])), "/body/manual_length_m", json!(850.0));
    assert!(paths(manual.clone()).contains(&"body.manual_reason".to_owned()));
    assert!(paths(with(manual, "/body/manual_reason", json!("GPS hỏng"))).is_empty());

    let mut bad_point = point.clone();
    bad_point["lon"] = json!(-200.0);
    assert!(paths(road_json(json!([point, bad_point]))).contains(&"body.track[1].lon".to_owned()));

    let no_location = with(road_json(json!([point, point])), "/location", Value::Null);
    assert!(paths(no_location).contains(&"location".to_owned()));
}

#[test]
fn a_million_track_points_is_one_error_not_a_million() {
    let point =
        json!({"lat": 21.78, "lon": 105.33, "accuracy_m": 4.0, "t": "2020-03-05T09:30:00+07:00"});
    let track = Value::Array(vec![point; MAX_TRACK_POINTS + 1]);
    assert_eq!(
        reasons(road_json(track)),
        vec![("body.track".to_owned(), "at most 20000 points".to_owned())]
    );
}

#[test]
fn assessments_must_name_a_catalog_indicator_and_fit_its_type() {
    let commune = Commune {
        id: slug("thien-ke"),
        name: "Thiện Kế".to_owned(),
        province: "Tuyên Quang".to_owned(),
        district: Some("Sơn Dương".to_owned()),
        region: Region::Tdmnpb,
        villages: vec![Village {
            id: slug("thien-ke-03"),
            name: "Thôn 3".to_owned(),
        }],
        code: None,
        valid_from: None,
        valid_until: None,
    };
    let mut phone = Phone::new("thien-ke");
    let assess = |phone: &mut Phone, id: &str, value: Option<f64>, met: Option<bool>| {
        phone.create(
            None,
            "2020-02-15T08:00:00+07:00",
            Body::Assessment(Assessment {
                edition: None,
                indicator_id: id.to_owned(),
                as_of: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                numerator: None,
                denominator: None,
                value,
                met,
                source: "Trạm y tế".to_owned(),
                note: String::new(),
            }),
        )
    };
    let catalog = Catalog::builtin();
    assert!(assess(&mut phone, "15.1", Some(90.5), None)
        .validate_in(&commune, catalog)
        .is_ok());
    let e = assess(&mut phone, "99.9", Some(1.0), None)
        .validate_in(&commune, catalog)
        .unwrap_err();
    assert_eq!(e.first_path(), Some("body.indicator_id"));
    let e = assess(&mut phone, "15.1", Some(190.5), None)
        .validate_in(&commune, catalog)
        .unwrap_err();
    assert_eq!(e.first_path(), Some("body.value"));
    let e = assess(&mut phone, "15.2", Some(1.0), None)
        .validate_in(&commune, catalog)
        .unwrap_err();
    assert_eq!(e.first_path(), Some("body.met"));
    let empty = assess(&mut phone, "15.2", None, None);
    assert_eq!(empty.validate().unwrap_err().first_path(), Some("body"));

    let mut other = Phone::new("son-nam");
    let household = other.household("thien-ke-03", "X-1", 3);
    assert_eq!(
        household
            .validate_in(&commune, catalog)
            .unwrap_err()
            .first_path(),
        Some("commune_id")
    );
    let mut stray = Phone::new("thien-ke");
    let household = stray.household("thien-ke-99", "X-2", 3);
    assert_eq!(
        household
            .validate_in(&commune, catalog)
            .unwrap_err()
            .first_path(),
        Some("village_id")
    );
}

#[test]
fn sanitation_verdict_needs_toilet_bathroom_tank_and_all_three_cleans() {
    let base = passing_check(uuid::Uuid::now_v7());
    assert!(base.meets_sanitation());
    type Change = Box<dyn Fn(&mut HouseholdCheck)>;
    let variants: Vec<Change> = vec![
        Box::new(|c| c.toilet.meets_standard = false),
        Box::new(|c| {
            c.toilet.toilet_type = ToiletType::None;
            c.toilet.meets_standard = false;
        }),
        Box::new(|c| c.toilet.toilet_type = ToiletType::Other),
        Box::new(|c| c.bathroom_hygienic = false),
        Box::new(|c| c.water_tank_hygienic = false),
        Box::new(|c| c.three_cleans.house = false),
        Box::new(|c| c.three_cleans.kitchen = false),
        Box::new(|c| c.three_cleans.lane = false),
    ];
    for change in variants {
        let mut c = base.clone();
        change(&mut c);
        assert!(!c.meets_sanitation(), "{c:?}");
    }
    for t in [
        ToiletType::DoubleVault,
        ToiletType::SingleVault,
        ToiletType::SunkenDry,
        ToiletType::PourFlush,
    ] {
        let mut c = base.clone();
        c.toilet.toilet_type = t;
        assert!(c.meets_sanitation());
    }
}

#[test]
fn livestock_verdict_only_for_households_that_raise_livestock() {
    let mut c = passing_check(uuid::Uuid::now_v7());
    assert_eq!(c.livestock_pen_verdict(), Some(true));
    c.livestock = Livestock {
        raises: true,
        pen_hygienic: Some(false),
    };
    assert_eq!(c.livestock_pen_verdict(), Some(false));
    c.livestock = Livestock {
        raises: false,
        pen_hygienic: None,
    };
    assert_eq!(c.livestock_pen_verdict(), None);
}

#[test]
fn content_digest_ignores_spelling_but_not_content() {
    let v = Version::from_value(appendix_check()).unwrap();
    let respelled = with(
        appendix_check(),
        "/captured_at",
        json!("2020-03-05T09:30:00.000+07:00"),
    );
    let respelled = with(respelled, "/location/lat", json!(21.780));
    assert_eq!(
        Version::from_value(respelled).unwrap().content_digest(),
        v.content_digest()
    );
    let changed = with(appendix_check(), "/body/note", json!("sửa"));
    assert_ne!(
        Version::from_value(changed).unwrap().content_digest(),
        v.content_digest()
    );
    let mut stored = v.clone();
    stored.author = Some("lam".to_owned());
    stored.server_seq = Some(9);
    assert_eq!(stored.content_digest(), v.content_digest());
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::from),
        Just(json!("household_check")),
        Just(json!("0193a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b")),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("kind".to_owned()),
                    Just("body".to_owned()),
                    Just("track".to_owned()),
                    Just("toilet".to_owned()),
                    "[a-z_]{1,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn validation_never_panics_on_arbitrary_json(value in arbitrary_json()) {
        assert_fast_read_agrees(&value.to_string());
        let _ = Version::from_value(value);
    }

    #[test]
    fn validation_never_panics_when_a_valid_version_is_mangled(
        pointer in prop::sample::select(vec![
            "/body", "/body/toilet", "/body/toilet/type", "/body/health_insurance/members",
            "/location", "/location/lat", "/captured_at", "/parents", "/photos", "/device_seq", "/kind",
        ]),
        replacement in arbitrary_json(),
    ) {
        let mangled = with(appendix_check(), pointer, replacement);
        assert_fast_read_agrees(&mangled.to_string());
        let _ = Version::from_value(mangled);
    }
}

/// What `Version::from_json` must agree with: the text read into a `Value`, and the version
/// read from that without validation.
fn via_value(text: &str) -> Option<Version> {
    let value: Value = serde_json::from_str(text).ok()?;
    serde_json::from_value(value).ok()
}

/// `Some` from the fast reader is always the `Value` reader's answer.
fn assert_fast_read_agrees(text: &str) {
    if let Some(fast) = Version::from_json(text) {
        assert_eq!(Some(fast), via_value(text), "{text}");
    }
}

/// The same version with `kind` written after `body`, pretty-printed.
fn reordered(v: &Version) -> String {
    let mut value = serde_json::to_value(v).unwrap();
    let fields = value.as_object_mut().unwrap();
    let kind = fields.remove("kind").unwrap();
    fields.insert("kind".into(), kind);
    serde_json::to_string_pretty(&value).unwrap()
}

#[test]
fn json_text_the_fast_reader_cannot_vouch_for_goes_through_a_value() {
    let text = serde_json::to_string(&appendix_check()).unwrap();
    assert!(Version::from_json(&text).is_some());
    let cases = [
        // A number out of range, or a lone surrogate, in a field nobody reads: a `Value`
        // refuses the text, so the fast reader must not accept it.
        text.replacen('{', r#"{"extra": 1e400, "#, 1),
        text.replacen('{', r#"{"extra": "\ud800", "#, 1),
        text.replacen(r#""note":"""#, r#""note":"", "x": [1e999]"#, 1),
        // A field twice: a `Value` keeps the last, typed reading refuses.
        text.replacen(r#""deleted":false"#, r#""deleted":true,"deleted":false"#, 1),
        text.replacen(
            r#""kind":"household_check""#,
            r#""kind":"household","kind":"household_check""#,
            1,
        ),
        text.replacen(r#""clean":false"#, r#""clean":true,"clean":false"#, 1),
        // Not a version at all.
        "[1, 2]".to_owned(),
        r#"{"kind": "household_check"}"#.to_owned(),
        r#"{"kind": "castle", "body": {}}"#.to_owned(),
    ];
    for case in &cases {
        assert_ne!(case, &text);
        assert_eq!(Version::from_json(case), None, "{case}");
    }
    // The duplicates are versions through a `Value`: the caller gets them there.
    assert!(via_value(&cases[3]).is_some());
}

#[test]
fn digests_and_stored_text_are_those_of_the_whole_version() {
    let v = Version::from_value(appendix_check()).unwrap();
    let sha = |v: &Version| -> [u8; 32] { Sha256::digest(serde_json::to_vec(v).unwrap()).into() };
    assert_eq!(v.content_digest(), sha(&v));
    let mut nil = v.clone();
    nil.device_id = Uuid::nil();
    nil.device_seq = 0;
    assert_eq!(v.content_digest_without_envelope(), sha(&nil));
    let mut stored = v.clone();
    stored.flags = vec![VersionFlag::ClockAhead];
    stored.server_seq = Some(4);
    let mut expected = v.clone();
    expected.author = Some("Lò Văn Lâm".to_owned());
    assert_eq!(
        stored.stored_json("Lò Văn Lâm"),
        serde_json::to_string(&expected).unwrap()
    );
}

#[test]
fn a_version_observed_the_day_it_was_captured_keeps_its_bytes_and_digest() {
    let text = serde_json::to_string(&appendix_check()).unwrap();
    let mut v = Version::from_json(&text).unwrap();
    let (json_before, digest_before) = (serde_json::to_string(&v).unwrap(), v.content_digest());
    assert_eq!(
        v.observed_date(),
        chrono::NaiveDate::from_ymd_opt(2020, 3, 5).unwrap()
    );
    v.set_observed_date(v.observed_date());
    assert_eq!(v.observed_on, None);
    assert_eq!(serde_json::to_string(&v).unwrap(), json_before);
    assert_eq!(v.content_digest(), digest_before);
    assert!(!json_before.contains("observed_on"));

    // A correction written later says the day the thing was observed, beside its own time.
    let mut later = v.clone();
    later.captured_at = at("2026-05-10T10:00:00+07:00");
    later.set_observed_date(v.observed_date());
    let json = serde_json::to_value(&later).unwrap();
    assert_eq!(json["observed_on"], "2020-03-05");
    assert_eq!(json["captured_at"], "2026-05-10T10:00:00+07:00");
    assert_ne!(later.content_digest(), v.content_digest());
    assert_eq!(Version::from_value(json.clone()).unwrap(), later);
    assert_eq!(Version::from_json(&json.to_string()), Some(later));
}

#[test]
fn an_observation_day_is_a_day_of_this_century_even_past_the_capture() {
    let base = appendix_check();
    assert!(reasons(with_field(base.clone(), "observed_on", json!("2020-03-01"))).is_empty());
    // Kept from a record a phone with its clock ahead wrote: not refused.
    assert!(reasons(with_field(base.clone(), "observed_on", json!("2021-03-06"))).is_empty());
    assert_eq!(
        reasons(with_field(base.clone(), "observed_on", json!("1999-12-31"))),
        vec![(
            "observed_on".to_owned(),
            "must be a date between the years 2000 and 2100".to_owned()
        )]
    );
    assert_eq!(
        paths(with_field(base, "observed_on", json!("05/03/2020"))),
        vec!["observed_on"]
    );
}

fn with_field(mut value: Value, key: &str, new: Value) -> Value {
    value[key] = new;
    value
}

#[test]
fn clock_flags_catch_phones_a_year_off_or_stepping_back() {
    let received = at("2020-06-01T10:00:00+07:00").with_timezone(&chrono::Utc);
    let flags = |captured: &str, previous: Option<&str>| {
        VersionFlag::clock_flags(at(captured), received, previous.map(at))
    };
    assert!(flags("2020-06-01T09:55:00+07:00", None).is_empty());
    assert!(
        flags("2020-05-20T09:00:00+07:00", None).is_empty(),
        "a phone offline for days is normal"
    );
    assert_eq!(
        flags("2021-06-01T10:00:00+07:00", None),
        vec![VersionFlag::ClockAhead]
    );
    assert_eq!(
        flags("2019-05-01T10:00:00+07:00", None),
        vec![VersionFlag::ClockFarBehind]
    );
    assert_eq!(
        flags(
            "2020-06-01T07:00:00+07:00",
            Some("2020-06-01T09:00:00+07:00")
        ),
        vec![VersionFlag::ClockWentBack]
    );
}
