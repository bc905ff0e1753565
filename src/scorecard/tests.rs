use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::catalog::Catalog;
use crate::demo;
use crate::record::fixtures::*;
use crate::record::{Body, RoadClass, RoadStatus, Surface, Works};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The demo commune plus `extra` records, scored as of `as_of`.
fn thien_ke_with(
    extra: impl FnOnce(&mut Phone, &[crate::record::Version]) -> Vec<crate::record::Version>,
    as_of: &str,
) -> Scorecard {
    let demo = demo::thien_ke().unwrap();
    let mut phone = Phone::new("thien-ke");
    let mut versions = demo.versions.clone();
    let added = extra(&mut phone, &demo.versions);
    versions.extend(added);
    scorecard(Catalog::builtin(), &demo.config, &versions, date(as_of))
}

fn field_roads(card: &Scorecard) -> &IndicatorScore {
    card.indicator("2.4").unwrap()
}

#[test]
fn plan_reproduces_24_62_percent_of_field_roads_and_a_6_6_km_gap() {
    let card = thien_ke_with(|_, _| Vec::new(), "2020-06-30");
    let roads = field_roads(&card);
    assert_eq!(
        (roads.numerator, roads.denominator, roads.value),
        (Some(6.4), Some(26.0), Some(24.62))
    );
    assert_eq!(
        (roads.threshold, roads.threshold_source),
        (Some(50.0), Some(ThresholdSource::Province))
    );
    assert_eq!(roads.met, Some(false));
    assert_eq!((roads.gap, roads.gap_unit), (Some(6.6), Some(GapUnit::Km)));
    assert_eq!(roads.basis, Basis::Field);
    assert_eq!(
        roads.assessment.as_ref().map(|a| a.as_of),
        Some(date("2020-01-01"))
    );
    assert_eq!(
        roads.responsible.as_deref(),
        card.criterion("2").unwrap().responsible.as_deref()
    );
    assert!(roads
        .responsible
        .as_deref()
        .unwrap()
        .contains("Dương Đăng Lâm"));
}

#[test]
fn building_the_plans_6_9_km_passes_50_percent() {
    let card = thien_ke_with(
        |phone, _| {
            vec![
                phone.road("thien-ke-01", 2_500.0, "2020-03-10T08:00:00+07:00", |_| {}),
                phone.road("thien-ke-02", 2_400.0, "2020-04-10T08:00:00+07:00", |_| {}),
                phone.road("thien-ke-03", 2_000.0, "2020-05-10T08:00:00+07:00", |r| {
                    r.surface = Surface::CrushedStone
                }),
            ]
        },
        "2020-06-30",
    );
    let roads = field_roads(&card);
    assert_eq!(
        (roads.numerator, roads.denominator, roads.value),
        (Some(13.3), Some(26.0), Some(51.15))
    );
    assert_eq!((roads.met, roads.gap), (Some(true), Some(0.0)));
    assert_eq!(roads.records, 4, "the baseline and three segments");
    let village = |id: &str| {
        roads
            .villages
            .iter()
            .find(|v| v.village_id.as_str() == id)
            .unwrap()
    };
    assert_eq!(village("thien-ke-01").numerator, Some(2.5));
    assert_eq!(village("thien-ke-04").numerator, None);
    let built = card.measure(MeasureId::FieldRoadKm).unwrap();
    assert_eq!((built.value, built.quota), (6.9, Some(6.9)));
    let v1 = built
        .villages
        .iter()
        .find(|v| v.village_id.as_str() == "thien-ke-01")
        .unwrap();
    assert_eq!((v1.value, v1.quota), (2.5, Some(0.5)));
}

#[test]
fn a_new_road_grows_numerator_and_denominator() {
    let card = thien_ke_with(
        |phone, _| {
            vec![
                phone.road("thien-ke-05", 1_000.0, "2020-03-10T08:00:00+07:00", |r| {
                    r.works = Works::New
                }),
            ]
        },
        "2020-06-30",
    );
    let roads = field_roads(&card);
    assert_eq!(
        (roads.numerator, roads.denominator, roads.value),
        (Some(7.4), Some(27.0), Some(27.41))
    );
    assert_eq!(roads.gap, Some(6.1));
}

#[test]
fn planned_unhardened_or_pre_baseline_segments_change_nothing() {
    let card = thien_ke_with(
        |phone, _| {
            vec![
                phone.road("thien-ke-01", 900.0, "2020-03-10T08:00:00+07:00", |r| {
                    r.status = RoadStatus::Planned
                }),
                phone.road("thien-ke-01", 900.0, "2020-03-10T08:00:00+07:00", |r| {
                    r.status = RoadStatus::UnderConstruction
                }),
                phone.road("thien-ke-02", 900.0, "2020-03-10T08:00:00+07:00", |r| {
                    r.surface = Surface::Earth
                }),
                phone.road("thien-ke-02", 900.0, "2020-03-10T08:00:00+07:00", |r| {
                    r.surface = Surface::Gravel;
                    r.works = Works::New;
                }),
                phone.road("thien-ke-03", 900.0, "2019-12-20T08:00:00+07:00", |_| {}),
                phone.road("thien-ke-03", 900.0, "2020-03-10T08:00:00+07:00", |r| {
                    r.road_class = RoadClass::Alley
                }),
            ]
        },
        "2020-06-30",
    );
    let roads = field_roads(&card);
    assert_eq!(
        (roads.numerator, roads.denominator, roads.value),
        (Some(6.4), Some(26.0), Some(24.62))
    );
}

#[test]
fn a_manual_length_counts_only_without_a_usable_track_and_is_flagged() {
    let card = thien_ke_with(
        |phone, _| {
            vec![
                phone.road("thien-ke-01", 0.0, "2020-03-10T08:00:00+07:00", |r| {
                    r.track.clear();
                    r.manual_length_m = Some(600.0);
                    r.manual_reason = Some("Máy GPS hỏng".to_owned());
                }),
            ]
        },
        "2020-06-30",
    );
    let roads = field_roads(&card);
    assert_eq!((roads.numerator, roads.manual_lengths), (Some(7.0), 1));
}

#[test]
fn health_figures_of_the_plan_are_met() {
    let card = thien_ke_with(|_, _| Vec::new(), "2020-06-30");
    let insurance = card.indicator("15.1").unwrap();
    assert_eq!(
        (insurance.value, insurance.threshold, insurance.met),
        (Some(90.5), Some(85.0), Some(true))
    );
    assert_eq!(insurance.basis, Basis::Assessment);
    let stunting = card.indicator("15.3").unwrap();
    assert_eq!(
        (stunting.value, stunting.threshold, stunting.met),
        (Some(12.8), Some(26.7), Some(true))
    );
    assert_eq!(stunting.threshold_source, Some(ThresholdSource::Region));
    // Health is still not met as a whole: 15.2 waits for the health station to move.
    assert_eq!(card.criterion("15").unwrap().met, Some(false));
}

#[test]
fn demo_commune_meets_the_15_criteria_its_plan_lists_as_met() {
    let card = thien_ke_with(|_, _| Vec::new(), "2020-06-30");
    assert_eq!((card.criteria_met, card.criteria_total), (15, 19));
    for unmet in ["2", "13", "15"] {
        assert_eq!(
            card.criterion(unmet).unwrap().met,
            Some(false),
            "criterion {unmet}"
        );
    }
    // No household of the registry checked yet: 17.6 has no figure (never "0 % ✘"), so
    // criterion 17 is not judged; its coverage says what is missing.
    assert_eq!(card.criterion("17").unwrap().met, None);
    let sanitation = card.indicator("17.6").unwrap();
    assert_eq!(
        sanitation.coverage,
        Some(Coverage {
            checked: 0,
            registered: 140
        })
    );
    assert_eq!(
        (sanitation.value, sanitation.met, sanitation.gap),
        (None, None, None)
    );
    assert!(card.has_data());
}

#[test]
fn official_indicators_show_the_field_estimate_beside_the_assessment() {
    let card = thien_ke_with(
        |phone, demo| {
            let households: Vec<_> = demo
                .iter()
                .filter(|v| matches!(v.body, Body::Household(_)))
                .take(2)
                .collect();
            vec![
                phone.check(households[0], "2020-03-01T08:00:00+07:00", |c| {
                    c.health_insurance.members = 5;
                    c.health_insurance.insured = 4;
                    c.children_under5 = crate::record::ChildrenUnder5 {
                        measured: 2,
                        stunted: 1,
                    };
                }),
                phone.check(households[1], "2020-03-01T09:00:00+07:00", |c| {
                    c.health_insurance.members = 5;
                    c.health_insurance.insured = 5;
                    c.children_under5 = crate::record::ChildrenUnder5 {
                        measured: 2,
                        stunted: 0,
                    };
                }),
            ]
        },
        "2020-06-30",
    );
    let insurance = card.indicator("15.1").unwrap();
    assert_eq!(insurance.value, Some(90.5));
    let estimate = insurance.estimate.as_ref().unwrap();
    assert_eq!(
        estimate.coverage,
        Coverage {
            checked: 2,
            registered: 140
        }
    );
    assert_eq!(estimate.numerator, 9.0);
    let stunting = card.indicator("15.3").unwrap().estimate.as_ref().unwrap();
    assert_eq!(
        (stunting.numerator, stunting.denominator, stunting.value),
        (1.0, 4.0, Some(25.0))
    );
}

/// A small commune of one village with `n` registered households.
fn small_commune(
    n: usize,
) -> (
    crate::config::CommuneConfig,
    Phone,
    Vec<crate::record::Version>,
) {
    let demo = demo::thien_ke().unwrap();
    let mut phone = Phone::new("thien-ke");
    let households = (0..n)
        .map(|i| phone.household("thien-ke-01", &format!("H{i}"), 4))
        .collect();
    (demo.config, phone, households)
}

#[test]
fn latest_check_wins_whatever_order_checks_arrive_in() {
    let (config, mut phone, households) = small_commune(1);
    let failing = phone.check(&households[0], "2020-03-01T08:00:00+07:00", |c| {
        c.bathroom_hygienic = false
    });
    let passing = phone.check(&households[0], "2020-04-01T08:00:00+07:00", |_| {});
    for order in [
        vec![failing.clone(), passing.clone()],
        vec![passing.clone(), failing.clone()],
    ] {
        let mut versions = households.clone();
        versions.extend(order);
        let card = scorecard(Catalog::builtin(), &config, &versions, date("2020-06-30"));
        assert_eq!(card.indicator("17.6").unwrap().value, Some(100.0));
    }
    // As of a date between the two checks, the earlier one decides.
    let mut versions = households.clone();
    versions.extend([passing, failing]);
    let card = scorecard(Catalog::builtin(), &config, &versions, date("2020-03-15"));
    assert_eq!(card.indicator("17.6").unwrap().value, Some(0.0));
}

#[test]
fn unchecked_households_count_as_not_meeting() {
    let (config, mut phone, households) = small_commune(4);
    let mut versions = households.clone();
    versions.push(phone.check(&households[0], "2020-03-01T08:00:00+07:00", |_| {}));
    let card = scorecard(Catalog::builtin(), &config, &versions, date("2020-06-30"));
    let sanitation = card.indicator("17.6").unwrap();
    assert_eq!(
        (
            sanitation.numerator,
            sanitation.denominator,
            sanitation.value
        ),
        (Some(1.0), Some(4.0), Some(25.0))
    );
    assert_eq!(
        sanitation.coverage,
        Some(Coverage {
            checked: 1,
            registered: 4
        })
    );
    // TDMNPB's 70 % of 4 households is 2.8: two more households must pass.
    assert_eq!((sanitation.met, sanitation.gap), (Some(false), Some(2.0)));
}

#[test]
fn no_household_checked_is_no_data_in_the_commune_and_in_each_village_never_zero() {
    let (config, mut phone, mut versions) = small_commune(2);
    versions.push(phone.household("thien-ke-02", "H9", 4));
    let on = date("2020-06-30");
    let nothing = scorecard(Catalog::builtin(), &config, &[], on);
    assert!(
        !nothing.has_data(),
        "nothing recorded reads no data, not 0/19"
    );
    let card = scorecard(Catalog::builtin(), &config, &versions, on);
    let s = card.indicator("17.6").unwrap();
    assert_eq!((s.value, s.met, s.gap), (None, None, None));
    assert_eq!(s.coverage.map(|c| (c.checked, c.registered)), Some((0, 3)));
    assert!(s.villages.iter().all(|v| (v.value, v.met) == (None, None)));

    let first = versions[0].clone();
    versions.push(phone.check(&first, "2020-03-01T08:00:00+07:00", |_| {}));
    let card = scorecard(Catalog::builtin(), &config, &versions, on);
    let s = card.indicator("17.6").unwrap();
    // Once one is checked, the registry counts: the unchecked ones do not meet.
    assert_eq!((s.value, s.met), (Some(33.33), Some(false)));
    let village = |id: &str| {
        s.villages
            .iter()
            .find(|v| v.village_id.as_str() == id)
            .unwrap()
    };
    assert_eq!(village("thien-ke-01").value, Some(50.0));
    assert_eq!(
        (village("thien-ke-02").value, village("thien-ke-02").met),
        (None, None),
        "a village with no household checked has no figure"
    );
}

#[test]
fn livestock_pens_count_only_households_that_raise_livestock() {
    let (config, mut phone, households) = small_commune(3);
    let mut versions = households.clone();
    versions.push(phone.check(&households[0], "2020-03-01T08:00:00+07:00", |_| {}));
    versions.push(
        phone.check(&households[1], "2020-03-01T08:00:00+07:00", |c| {
            c.livestock = crate::record::Livestock {
                raises: false,
                pen_hygienic: None,
            }
        }),
    );
    versions.push(
        phone.check(&households[2], "2020-03-01T08:00:00+07:00", |c| {
            c.livestock = crate::record::Livestock {
                raises: true,
                pen_hygienic: Some(false),
            }
        }),
    );
    let card = scorecard(Catalog::builtin(), &config, &versions, date("2020-06-30"));
    let pens = card.indicator("17.7").unwrap();
    assert_eq!(
        (pens.numerator, pens.denominator, pens.value),
        (Some(1.0), Some(2.0), Some(50.0))
    );
}

#[test]
fn a_conflict_is_reported_and_counted_once() {
    let (config, mut phone, households) = small_commune(2);
    let mut other = Phone::new("thien-ke");
    let check = phone.check(&households[0], "2020-03-01T08:00:00+07:00", |_| {});
    // Two phones edit the same check without seeing each other's edit.
    let edit_a = phone.edit(&check, "2020-03-02T08:00:00+07:00", |_| {});
    let edit_b = other.edit(&check, "2020-03-03T08:00:00+07:00", |b| {
        if let Body::HouseholdCheck(c) = b {
            c.bathroom_hygienic = false;
        }
    });
    let mut versions = households.clone();
    versions.extend([check, edit_a, edit_b]);
    let card = scorecard(Catalog::builtin(), &config, &versions, date("2020-06-30"));
    let sanitation = card.indicator("17.6").unwrap();
    assert_eq!(
        (sanitation.numerator, sanitation.denominator),
        (Some(0.0), Some(2.0)),
        "the later head decides"
    );
    assert_eq!((sanitation.conflicts, card.conflicts), (1, 1));
    assert_eq!(
        sanitation.coverage,
        Some(Coverage {
            checked: 1,
            registered: 2
        })
    );
}

#[test]
fn a_deleted_household_leaves_the_registry() {
    let (config, mut phone, households) = small_commune(2);
    let mut gone = phone.edit(&households[1], "2020-02-01T08:00:00+07:00", |_| {});
    gone.deleted = true;
    let mut versions = households.clone();
    versions.push(gone);
    let card = scorecard(Catalog::builtin(), &config, &versions, date("2020-06-30"));
    assert_eq!(card.indicator("17.6").unwrap().denominator, Some(1.0));
}

#[test]
fn signs_placed_are_counted_per_village_against_quota() {
    let card = thien_ke_with(
        |phone, _| {
            let sign = |phone: &mut Phone, village: &str, condition| {
                phone.create(
                    Some(village),
                    "2020-03-01T08:00:00+07:00",
                    Body::TrashSign(crate::record::TrashSign {
                        sign_type: crate::record::SignType::NoDumping,
                        condition,
                        responsible_household_id: None,
                        note: String::new(),
                    }),
                )
            };
            use crate::record::SignCondition::*;
            vec![
                sign(phone, "thien-ke-01", Good),
                sign(phone, "thien-ke-01", Damaged),
                sign(phone, "thien-ke-01", Missing),
                sign(phone, "thien-ke-02", Good),
            ]
        },
        "2020-06-30",
    );
    let signs = card.measure(MeasureId::SignsPlaced).unwrap();
    assert_eq!((signs.value, signs.quota), (3.0, Some(42.0)));
    assert_eq!(signs.villages[0].value, 2.0);
}

/// A random mix of households, checks (some edited concurrently) and roads.
fn random_records(
    seed_checks: Vec<(usize, bool, u8)>,
    roads: Vec<(u16, bool)>,
) -> (crate::config::CommuneConfig, Vec<crate::record::Version>) {
    let (config, mut phone, households) = small_commune(5);
    let mut other = Phone::new("thien-ke");
    let mut versions = households.clone();
    for (i, (h, pass, day)) in seed_checks.into_iter().enumerate() {
        let at = format!("2020-03-{:02}T08:{:02}:00+07:00", 1 + day % 28, i % 60);
        let check = phone.check(&households[h % households.len()], &at, |c| {
            c.bathroom_hygienic = pass
        });
        if i % 3 == 0 {
            versions.push(other.edit(&check, &at, |_| {}));
        }
        versions.push(check);
    }
    for (metres, new) in roads {
        versions.push(phone.road(
            "thien-ke-01",
            50.0 + metres as f64,
            "2020-04-01T08:00:00+07:00",
            |r| r.works = if new { Works::New } else { Works::Upgrade },
        ));
    }
    (config, versions)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn scorecard_does_not_depend_on_record_order(
        checks in prop::collection::vec((0usize..5, any::<bool>(), any::<u8>()), 0..12),
        roads in prop::collection::vec((0u16..400, any::<bool>()), 0..4),
        shuffle in any::<u64>(),
    ) {
        let (config, versions) = random_records(checks, roads);
        let expected = scorecard(Catalog::builtin(), &config, &versions, date("2020-06-30"));
        let mut shuffled = versions.clone();
        // A deterministic Fisher–Yates driven by the generated seed.
        let mut state = shuffle | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(scorecard(Catalog::builtin(), &config, &shuffled, date("2020-06-30")), expected);
    }
}

/// An assessment of `indicator` for `village` (None: the whole commune).
fn assessed(
    phone: &mut Phone,
    indicator: &str,
    village: Option<&str>,
    numerator: f64,
    denominator: f64,
) -> crate::record::Version {
    phone.create(
        village,
        "2020-01-02T08:00:00+07:00",
        Body::Assessment(crate::record::Assessment {
            indicator_id: indicator.into(),
            as_of: date("2020-01-01"),
            numerator: Some(numerator),
            denominator: Some(denominator),
            value: None,
            met: None,
            source: "Báo cáo thôn".into(),
            note: String::new(),
            edition: None,
        }),
    )
}

#[test]
fn a_commune_assessed_only_by_village_shows_the_sum_of_its_villages_not_their_average() {
    let demo = demo::thien_ke().unwrap();
    let mut phone = Phone::new("thien-ke");
    let mut versions = vec![
        assessed(&mut phone, "4.2", Some("thien-ke-01"), 9.0, 10.0),
        assessed(&mut phone, "4.2", Some("thien-ke-02"), 10.0, 100.0),
    ];
    let card = scorecard(
        Catalog::builtin(),
        &demo.config,
        &versions,
        date("2020-06-30"),
    );
    let i = card.indicator("4.2").unwrap();
    // 19 of 110, not the 50 % an average of 90 % and 10 % would say.
    assert_eq!(
        (i.numerator, i.denominator, i.value),
        (Some(19.0), Some(110.0), Some(17.27))
    );
    assert_eq!(i.basis, Basis::Assessment);
    let v1 = i
        .villages
        .iter()
        .find(|v| v.village_id.as_str() == "thien-ke-01")
        .unwrap();
    assert_eq!(v1.value, Some(90.0));
    // The commune's own assessment, once there is one, is the commune's figure.
    versions.push(assessed(&mut phone, "4.2", None, 60.0, 120.0));
    let card = scorecard(
        Catalog::builtin(),
        &demo.config,
        &versions,
        date("2020-06-30"),
    );
    assert_eq!(card.indicator("4.2").unwrap().value, Some(50.0));
}

#[test]
fn roads_on_village_baselines_sum_to_the_commune_and_an_upgrade_without_one_needs_a_baseline() {
    let demo = demo::thien_ke().unwrap();
    let mut phone = Phone::new("thien-ke");
    let mut versions = vec![
        assessed(&mut phone, "2.4", Some("thien-ke-01"), 2.0, 10.0),
        assessed(&mut phone, "2.4", Some("thien-ke-02"), 1.0, 6.0),
        phone.road("thien-ke-01", 1_000.0, "2020-03-10T08:00:00+07:00", |_| {}),
    ];
    let card = scorecard(
        Catalog::builtin(),
        &demo.config,
        &versions,
        date("2020-06-30"),
    );
    let roads = field_roads(&card);
    assert_eq!(
        (roads.numerator, roads.denominator, roads.value),
        (Some(4.0), Some(16.0), Some(25.0))
    );
    assert!(!roads.needs_baseline);
    let v1 = roads
        .villages
        .iter()
        .find(|v| v.village_id.as_str() == "thien-ke-01")
        .unwrap();
    assert_eq!((v1.numerator, v1.denominator), (Some(3.0), Some(10.0)));

    // 2 km upgraded in a village with no baseline: no network length is known under them.
    versions.push(phone.road("thien-ke-03", 2_000.0, "2020-04-10T08:00:00+07:00", |_| {}));
    let card = scorecard(
        Catalog::builtin(),
        &demo.config,
        &versions,
        date("2020-06-30"),
    );
    let roads = field_roads(&card);
    assert!(roads.needs_baseline);
    assert_eq!((roads.value, roads.met, roads.gap), (None, None, None));
    let v3 = roads
        .villages
        .iter()
        .find(|v| v.village_id.as_str() == "thien-ke-03")
        .unwrap();
    assert!(v3.needs_baseline && v3.value.is_none());
}

#[test]
fn upgrades_alone_never_make_a_share_above_100_percent() {
    let demo = demo::thien_ke().unwrap();
    let mut phone = Phone::new("thien-ke");
    for (network, upgraded) in [(None, 1_500.0), (Some(1.0), 1_500.0), (Some(0.0), 10.0)] {
        let mut versions =
            vec![phone.road("thien-ke-01", upgraded, "2020-03-10T08:00:00+07:00", |_| {})];
        if let Some(km) = network {
            versions.push(assessed(&mut phone, "2.4", None, 0.0, km));
        }
        let card = scorecard(
            Catalog::builtin(),
            &demo.config,
            &versions,
            date("2020-06-30"),
        );
        let roads = field_roads(&card);
        assert!(roads.needs_baseline, "{network:?}");
        assert_eq!(roads.value, None, "{network:?}");
        assert!(
            roads
                .villages
                .iter()
                .all(|v| v.value.is_none_or(|x| x <= 100.0)),
            "{network:?}"
        );
    }
}
