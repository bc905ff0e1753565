//! Scorecards of communes that merge or split: the new commune's figure is the sum of its
//! parts' numerators and denominators, the parts are unchanged before the merger date, and
//! verdicts are not carried over.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::*;
use crate::admin::Commune;
use crate::config::CommuneConfig;
use crate::merger::{counting, Merger, MergerPart};
use crate::record::fixtures::*;
use crate::record::{Assessment, Body};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn commune(id: &str, villages: &[&str]) -> CommuneConfig {
    CommuneConfig {
        commune: commune_with(id, villages),
        province_targets: Default::default(),
        commune_targets: Default::default(),
        quotas: Vec::new(),
        responsibilities: Default::default(),
        editions: Default::default(),
        province_sets: Vec::new(),
        merged_from: Vec::new(),
    }
}

fn configs() -> Vec<CommuneConfig> {
    let mut new = commune("son-thuy", &["a-1", "b-1", "c-2"]);
    new.commune.valid_from = Some(date("2025-07-01"));
    vec![
        commune("a", &["a-1"]),
        commune("b", &["b-1"]),
        commune("c", &["c-1", "c-2"]),
        new,
    ]
}

fn merger() -> Merger {
    let whole = |c: &str| MergerPart {
        commune: slug(c),
        villages: None,
    };
    Merger {
        date: date("2025-07-01"),
        legal_basis: "Nghị quyết 1683/NQ-UBTVQH15 (minh họa)".to_owned(),
        commune: slug("son-thuy"),
        parts: vec![
            whole("a"),
            whole("b"),
            MergerPart {
                commune: slug("c"),
                villages: Some(vec![slug("c-2")]),
            },
        ],
    }
}

fn assessment(indicator: &str, as_of: &str, ratio: Option<(f64, f64)>, met: Option<bool>) -> Body {
    Body::Assessment(Assessment {
        edition: None,
        indicator_id: indicator.to_owned(),
        as_of: date(as_of),
        numerator: ratio.map(|r| r.0),
        denominator: ratio.map(|r| r.1),
        value: None,
        met,
        source: "Báo cáo của xã (minh họa)".to_owned(),
        note: String::new(),
    })
}

/// Households of `village` recorded by `phone`, `passing` of them meeting 17.6.
fn households(phone: &mut Phone, village: &str, total: usize, passing: usize) -> Vec<Version> {
    let mut out = Vec::new();
    for i in 0..total {
        let h = phone.household(village, &format!("{village}-{i}"), 4);
        let check = phone.check(&h, "2024-05-01T08:00:00+07:00", |c| {
            if i >= passing {
                c.bathroom_hygienic = false;
            }
        });
        out.extend([h, check]);
    }
    out
}

/// a: 2 of 3 households pass, a roads baseline of 10 of 20 km and 1 km upgraded since, a
/// verdict on 3.1; b: 1 of 1 passes, a baseline of 5 of 10 km; c: 1 of 2 in c-1, 2 of 2 in c-2.
fn versions() -> Vec<Version> {
    let mut out = Vec::new();
    let mut a = Phone::new("a");
    out.extend(households(&mut a, "a-1", 3, 2));
    out.push(a.create(
        None,
        "2023-01-10T08:00:00+07:00",
        assessment("2.4", "2023-01-10", Some((10.0, 20.0)), None),
    ));
    out.push(a.road("a-1", 1000.0, "2024-03-01T08:00:00+07:00", |_| {}));
    out.push(a.create(
        None,
        "2024-01-10T08:00:00+07:00",
        assessment("3.1", "2024-01-10", None, Some(true)),
    ));
    let mut b = Phone::new("b");
    out.extend(households(&mut b, "b-1", 1, 1));
    out.push(b.create(
        None,
        "2023-01-10T08:00:00+07:00",
        assessment("2.4", "2023-01-10", Some((5.0, 10.0)), None),
    ));
    let mut c = Phone::new("c");
    out.extend(households(&mut c, "c-1", 2, 1));
    out.extend(households(&mut c, "c-2", 2, 2));
    out
}

fn card(id: &str, versions: &[Version], as_of: &str) -> Scorecard {
    let configs = configs();
    let communes: Vec<Commune> = configs.iter().map(|c| c.commune.clone()).collect();
    let config = configs
        .iter()
        .find(|c| c.commune.id.as_str() == id)
        .unwrap();
    let how = counting(&config.commune.id, date(as_of), &[merger()], &communes);
    let figures_as_of = how.figures_as_of(date(as_of));
    let facts: BTreeMap<Slug, CommuneFacts> = how
        .communes(&config.commune.id)
        .into_iter()
        .map(|c| {
            let f = CommuneFacts::from_versions(&c, versions, figures_as_of, &Default::default());
            (c, f)
        })
        .collect();
    let catalog = Catalog::builtin();
    let c = &config.commune;
    let applied =
        Applied::given_or_unread(catalog, &c.id, c.region, &config.editions, figures_as_of);
    scorecard_counted(&applied, config, &how, &facts, figures_as_of)
}

fn ratio(card: &Scorecard, id: &str) -> (Option<f64>, Option<f64>, Option<f64>) {
    let i = card.indicator(id).unwrap();
    (i.numerator, i.denominator, i.value)
}

#[test]
fn a_merged_commune_before_its_merger_is_the_sum_of_its_parts_never_an_average() {
    let v = versions();
    let new = card("son-thuy", &v, "2025-06-30");
    // 2/3 + 1/1 + 2/2 (c-2 only): 5 of 6, 83.33 %, not the mean of 66.67, 100 and 100.
    assert_eq!(ratio(&new, "17.6"), (Some(5.0), Some(6.0), Some(83.33)));
    let parts: f64 = ["a", "b"]
        .iter()
        .map(|p| {
            card(p, &v, "2025-06-30")
                .indicator("17.6")
                .unwrap()
                .numerator
                .unwrap()
        })
        .sum();
    assert_eq!(parts + 2.0, 5.0);
    // Roads: each part's baseline and what it built since: (10 + 1) + 5 of 20 + 10 km.
    assert_eq!(ratio(&new, "2.4"), (Some(16.0), Some(30.0), Some(53.33)));
    assert_eq!(
        new.indicator("17.6").unwrap().coverage,
        Some(Coverage {
            checked: 6,
            registered: 6
        })
    );
    match &new.lineage {
        Some(Lineage::MergedFrom {
            sum_of_parts,
            parts,
            ..
        }) => {
            assert!(*sum_of_parts);
            assert_eq!(parts.len(), 3);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_part_before_the_merger_is_scored_as_it_was() {
    let v = versions();
    for (id, as_of) in [
        ("a", "2025-06-30"),
        ("c", "2025-06-30"),
        ("a", "2024-12-31"),
    ] {
        let config = configs()
            .into_iter()
            .find(|c| c.commune.id.as_str() == id)
            .unwrap();
        let plain = scorecard(Catalog::builtin(), &config, &v, date(as_of));
        assert_eq!(card(id, &v, as_of), plain, "{id} on {as_of}");
    }
    assert_eq!(
        card("a", &v, "2025-06-30").indicator("3.1").unwrap().met,
        Some(true)
    );
}

#[test]
fn yes_no_criteria_of_the_parts_are_not_carried_over_and_need_a_new_assessment() {
    let mut v = versions();
    let new = card("son-thuy", &v, "2025-09-30");
    let irrigation = new.indicator("3.1").unwrap();
    assert_eq!(
        (irrigation.met, irrigation.needs_new_assessment),
        (None, true)
    );
    assert!(!new.indicator("17.6").unwrap().needs_new_assessment);
    // The new commune's own assessment settles it.
    let mut phone = Phone::new("son-thuy");
    v.push(phone.create(
        None,
        "2025-09-01T08:00:00+07:00",
        assessment("3.1", "2025-09-01", None, Some(false)),
    ));
    let assessed = card("son-thuy", &v, "2025-09-30");
    let irrigation = assessed.indicator("3.1").unwrap();
    assert_eq!(
        (irrigation.met, irrigation.needs_new_assessment),
        (Some(false), false)
    );
}

#[test]
fn a_part_figure_that_is_no_ratio_is_not_added() {
    let mut v = versions();
    let mut b = Phone::new("b");
    // b's baseline of roads is a bare percentage: it cannot be added to a's km.
    v.push(b.create(
        None,
        "2024-01-10T08:00:00+07:00",
        Body::Assessment(Assessment {
            value: Some(50.0),
            ..match assessment("2.4", "2024-01-10", None, None) {
                Body::Assessment(a) => a,
                _ => unreachable!(),
            }
        }),
    ));
    let new = card("son-thuy", &v, "2025-06-30");
    let roads = new.indicator("2.4").unwrap();
    assert_eq!(
        (roads.value, roads.met, roads.needs_new_assessment),
        (None, None, true)
    );
}

#[test]
fn after_the_merger_the_new_commune_counts_its_own_records_in_the_villages_the_parts_brought() {
    let mut v = versions();
    let mut phone = Phone::new("son-thuy");
    // 2 km upgraded in a-1, recorded under the new commune: added to a's baseline.
    v.push(phone.road("a-1", 2000.0, "2025-08-01T08:00:00+07:00", |_| {}));
    let new = card("son-thuy", &v, "2025-09-30");
    assert_eq!(ratio(&new, "2.4"), (Some(18.0), Some(30.0), Some(60.0)));
    match &new.lineage {
        Some(Lineage::MergedFrom { sum_of_parts, .. }) => assert!(!*sum_of_parts),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_old_commune_after_the_merger_says_it_was_merged_and_keeps_its_last_figures() {
    let v = versions();
    let after = card("a", &v, "2025-12-31");
    assert_eq!(after.as_of, date("2025-06-30"));
    assert_eq!(
        after.lineage,
        Some(Lineage::MergedInto {
            commune: slug("son-thuy"),
            date: date("2025-07-01"),
            legal_basis: merger().legal_basis,
        })
    );
    assert_eq!(
        ratio(&after, "17.6"),
        ratio(&card("a", &v, "2025-06-30"), "17.6")
    );
}

#[test]
fn a_split_commune_continues_with_its_remaining_villages() {
    let v = versions();
    let before = card("c", &v, "2025-06-30");
    assert_eq!(ratio(&before, "17.6"), (Some(3.0), Some(4.0), Some(75.0)));
    let after = card("c", &v, "2025-07-01");
    assert_eq!(ratio(&after, "17.6"), (Some(1.0), Some(2.0), Some(50.0)));
    assert_eq!(after.as_of, date("2025-07-01"));
    match &after.lineage {
        Some(Lineage::GaveAway { gave_away }) => {
            assert_eq!(gave_away[0].villages, vec![slug("c-2")])
        }
        other => panic!("{other:?}"),
    }
    let villages: Vec<&str> = after
        .indicator("17.6")
        .unwrap()
        .villages
        .iter()
        .map(|v| v.village_id.as_str())
        .collect();
    assert_eq!(villages, ["c-1"]);
}

#[test]
fn after_the_merger_a_check_recorded_in_the_new_commune_updates_a_household_of_an_old_one() {
    let mut v = versions();
    let household = v
        .iter()
        .find(|x| x.commune_id.as_str() == "a" && matches!(x.body, Body::Household(_)))
        .cloned()
        .unwrap();
    assert_eq!(
        ratio(&card("son-thuy", &v, "2025-09-30"), "17.6").0,
        Some(5.0)
    );
    let mut phone = Phone::new("son-thuy");
    v.push(phone.check(&household, "2025-08-01T08:00:00+07:00", |c| {
        c.bathroom_hygienic = false
    }));
    // The household registered in a, checked again in son-thuy: the later check decides.
    let after = card("son-thuy", &v, "2025-09-30");
    assert_eq!(ratio(&after, "17.6"), (Some(4.0), Some(6.0), Some(66.67)));
    // Before that check, it still passes.
    assert_eq!(
        ratio(&card("son-thuy", &v, "2025-07-15"), "17.6").0,
        Some(5.0)
    );
}
