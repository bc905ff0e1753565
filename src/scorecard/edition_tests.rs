//! The scorecard under each edition: the same records counted under each edition's own ids,
//! assessments counted only under the edition they name, and the edition named on the card.

use chrono::NaiveDate;

use super::*;
use crate::catalog::edition::{Chosen, Dated, EditionSettings};
use crate::catalog::{Column, CommuneGroup};
use crate::demo;
use crate::record::fixtures::*;
use crate::record::{Assessment, Body};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn editions() -> &'static Editions {
    Editions::builtin()
}

fn under(key: &str, config: &CommuneConfig, versions: &[Version], as_of: &str) -> Scorecard {
    let catalog = editions().get(key).unwrap();
    scorecard(catalog, config, versions, date(as_of))
}

/// Three households: one passing everything, one failing its bathroom, one with a dirty pen.
fn three_checked_households() -> (CommuneConfig, Phone, Vec<Version>) {
    let demo = demo::thien_ke().unwrap();
    let mut phone = Phone::new("thien-ke");
    let households: Vec<Version> = (0..3)
        .map(|i| phone.household("thien-ke-01", &format!("H{i}"), 4))
        .collect();
    let mut versions = households.clone();
    versions.push(phone.check(&households[0], "2023-03-01T08:00:00+07:00", |_| {}));
    versions.push(
        phone.check(&households[1], "2023-03-01T09:00:00+07:00", |c| {
            c.bathroom_hygienic = false
        }),
    );
    versions.push(
        phone.check(&households[2], "2023-03-01T10:00:00+07:00", |c| {
            c.livestock = crate::record::Livestock {
                raises: true,
                pen_hygienic: Some(false),
            }
        }),
    );
    (demo.config, phone, versions)
}

#[test]
fn one_household_check_counts_as_17_6_under_1980_and_as_17_8_under_318() {
    let (config, _, versions) = three_checked_households();
    let old = under("ntm-2016", &config, &versions, "2023-06-30");
    let new = under("ntm-2021", &config, &versions, "2023-06-30");
    let figure = |i: &IndicatorScore| (i.numerator, i.denominator, i.value);
    assert_eq!(
        figure(old.indicator("17.6").unwrap()),
        figure(new.indicator("17.8").unwrap())
    );
    assert_eq!(
        figure(new.indicator("17.8").unwrap()),
        (Some(2.0), Some(3.0), Some(66.67))
    );
    assert_eq!(
        figure(old.indicator("17.7").unwrap()),
        figure(new.indicator("17.9").unwrap())
    );
    // 318's 17.6 is a different indicator (waste collected), assessed, not counted from checks.
    assert_eq!(new.indicator("17.6").unwrap().basis, Basis::None);
    // 318's sanitation threshold was not found: the figure is shown, and not judged.
    let sanitation = new.indicator("17.8").unwrap();
    assert_eq!((sanitation.threshold, sanitation.met), (None, None));
}

#[test]
fn an_assessment_counts_only_under_the_edition_it_names() {
    let (config, mut phone, mut versions) = three_checked_households();
    let assess = |edition: Option<&str>, met| {
        Body::Assessment(Assessment {
            edition: edition.map(str::to_owned),
            indicator_id: "3.1".into(),
            as_of: date("2023-01-10"),
            numerator: None,
            denominator: None,
            value: None,
            met: Some(met),
            source: "Biên bản đánh giá (minh họa)".into(),
            note: String::new(),
        })
    };
    versions.push(phone.create(None, "2023-01-10T08:00:00+07:00", assess(None, false)));
    versions.push(phone.create(
        None,
        "2023-01-10T09:00:00+07:00",
        assess(Some("ntm-2021"), true),
    ));
    let old = under("ntm-2016", &config, &versions, "2023-06-30");
    let new = under("ntm-2021", &config, &versions, "2023-06-30");
    assert_eq!(old.indicator("3.1").unwrap().met, Some(false));
    assert_eq!(new.indicator("3.1").unwrap().met, Some(true));
}

#[test]
fn the_scorecard_names_its_edition_and_counts_n_of_19_or_n_of_10() {
    let (mut config, _, versions) = three_checked_households();
    config.editions = EditionSettings {
        groups: vec![Dated {
            value: CommuneGroup::G3,
            from: date("2026-02-15"),
            until: None,
            source: "QĐ của UBND tỉnh (minh họa)".into(),
        }],
        ..EditionSettings::default()
    };
    let card = scorecard_as_of(editions(), &config, &versions, date("2026-06-30")).unwrap();
    assert_eq!(
        (
            card.edition.decision.as_str(),
            card.criteria_total,
            card.edition.criteria_total,
            card.edition.column
        ),
        (
            "51/2025/QĐ-TTg",
            10,
            10,
            Some(Column::Group(CommuneGroup::G3))
        )
    );
    assert_eq!(card.edition.chosen, Some(Chosen::InForce));
    let card = scorecard_as_of(editions(), &config, &versions, date("2024-06-30")).unwrap();
    assert_eq!(
        (card.edition.key.as_str(), card.criteria_total),
        ("ntm-2021", 19)
    );
    // Without its group, 51/2025 refuses to guess.
    config.editions.groups.clear();
    assert!(matches!(
        scorecard_as_of(editions(), &config, &versions, date("2026-06-30")),
        Err(EditionError::NoGroup { .. })
    ));
}

#[test]
fn the_demo_stays_under_1980_today_for_its_open_2020_dossier_with_every_figure_of_the_plan() {
    let demo = demo::thien_ke().unwrap();
    let today = date("2026-12-03");
    let card = scorecard_as_of(editions(), &demo.config, &demo.versions, today).unwrap();
    assert_eq!(card.edition.key, "ntm-2016");
    assert!(matches!(
        card.edition.chosen,
        Some(Chosen::OpenDossier { .. })
    ));
    let plain = scorecard(Catalog::builtin(), &demo.config, &demo.versions, today);
    assert_eq!(card.criteria, plain.criteria);
    assert_eq!(card.criteria_met, plain.criteria_met);
}

#[test]
fn overrides_set_before_editions_apply_only_to_1980s_indicators() {
    let demo = demo::thien_ke().unwrap();
    // The demo's province sets 1980's 2.4 at 50 %; 318's 2.4 is another indicator.
    let old = under("ntm-2016", &demo.config, &demo.versions, "2023-06-30");
    let new = under("ntm-2021", &demo.config, &demo.versions, "2023-06-30");
    assert_eq!(old.indicator("2.4").unwrap().threshold, Some(50.0));
    assert_eq!(new.indicator("2.4").unwrap().threshold, None);
}

#[test]
fn a_province_set_gives_its_editions_thresholds_from_the_date_it_applies() {
    let demo = demo::thien_ke().unwrap();
    let mut config = demo.config.clone();
    let set = |version, applies_from: &str, threshold| {
        crate::catalog::province::ProvinceSet::from_toml(
            &format!(
                "province = \"Tuyên Quang\"\nedition = \"ntm-2021\"\nversion = {version}\n\
                 decision = \"QĐ {version}/QĐ-UBND (minh họa)\"\nissued_on = \"{applies_from}\"\n\
                 applies_from = \"{applies_from}\"\n[[targets]]\nindicator = \"2.4\"\nthreshold = {threshold}\n"
            ),
            editions(),
        )
        .unwrap()
    };
    config.province_sets = vec![set(1, "2022-09-01", 60.0), set(2, "2024-01-01", 70.0)];
    let at = |d: &str| {
        let card = under("ntm-2021", &config, &demo.versions, d);
        let roads = card.indicator("2.4").unwrap().clone();
        (
            roads.threshold,
            roads.threshold_source,
            roads.threshold_citation,
        )
    };
    assert_eq!(
        at("2023-06-30"),
        (
            Some(60.0),
            Some(crate::catalog::ThresholdSource::Province),
            Some("QĐ 1/QĐ-UBND (minh họa)".into())
        )
    );
    assert_eq!(at("2024-06-30").0, Some(70.0));
    assert_eq!(at("2022-06-30").0, None);
    // 1980's 2.4 keeps the demo's own province override.
    let old = under("ntm-2016", &config, &demo.versions, "2023-06-30");
    assert_eq!(old.indicator("2.4").unwrap().threshold, Some(50.0));
}
