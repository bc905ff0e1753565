use super::*;
use crate::catalog::{Confidence, FieldRule, IndicatorType};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn slug() -> Slug {
    Slug::parse("son-thuy").unwrap()
}

fn dated<T>(value: T, from: &str, source: &str) -> Dated<T> {
    Dated {
        value,
        from: date(from),
        until: None,
        source: source.to_owned(),
    }
}

fn with_group(group: CommuneGroup) -> EditionSettings {
    EditionSettings {
        groups: vec![dated(group, "2026-02-15", "QĐ UBND tỉnh (minh họa)")],
        ..EditionSettings::default()
    }
}

#[test]
fn three_editions_ship_with_their_legal_basis_dates_and_dimension() {
    let editions = Editions::builtin();
    let keys: Vec<_> = editions.all().iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["ntm-2016", "ntm-2021", "ntm-2026"]);
    let shape: Vec<_> = editions
        .all()
        .iter()
        .map(|e| {
            (
                e.decision.as_str(),
                e.criteria.len(),
                e.indicator_count,
                e.dimension,
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("1980/QĐ-TTg", 19, 49, Dimension::Regions),
            ("318/QĐ-TTg", 19, 57, Dimension::Regions),
            ("51/2025/QĐ-TTg", 10, 47, Dimension::CommuneGroups),
        ]
    );
    let in_force: Vec<_> = editions.all().iter().map(|e| e.in_force).collect();
    assert_eq!(
        in_force,
        [date("2016-12-01"), date("2022-03-08"), date("2026-02-15")]
    );
    assert!(editions.all().iter().all(|e| !e.legal_basis.is_empty()));
    // 1980 is complete: every one of its 49 indicators is in the file.
    assert_eq!(editions.get("ntm-2016").unwrap().indicators().count(), 49);
}

#[test]
fn a_318_threshold_not_found_in_a_source_is_absent_and_says_so() {
    let e318 = Editions::builtin().get("ntm-2021").unwrap();
    let roads = e318.indicator("2.1").unwrap();
    assert!(!roads.thresholds_found && !roads.id_confirmed);
    assert_eq!(roads.resolve_threshold(Region::Tdmnpb, None, None), None);
    let stunting = e318.indicator("15.3").unwrap();
    let cell = stunting.regions.get(&Region::Tdmnpb).unwrap();
    assert_eq!(
        (cell.value, cell.confidence),
        (Some(24.0), Confidence::Confirmed)
    );
    assert_eq!(stunting.indicator_type, IndicatorType::PctMax);
    // Its Chung column was not found: a region without a cell resolves to nothing.
    let ehr = e318.indicator("15.4").unwrap();
    assert_eq!(ehr.resolve_threshold(Region::Tn, None, None), None);
    assert_eq!(
        ehr.resolve_threshold(Region::Dbsh, None, None)
            .and_then(|t| t.value),
        Some(70.0)
    );
    // A bool "Đạt" remembered but not read is shipped and shown as unconfirmed.
    let plan = e318.indicator("1.1").unwrap();
    assert_eq!(
        plan.resolve_threshold(Region::Tdmnpb, None, None)
            .map(|t| t.confidence),
        Some(Confidence::Unconfirmed)
    );
}

#[test]
fn the_51_2025_edition_reads_thresholds_by_group_and_claims_no_indicator_id() {
    let e51 = Editions::builtin().get("ntm-2026").unwrap();
    assert!(e51
        .indicators()
        .all(|(_, i)| !i.id_confirmed && i.rule.is_none()));
    let planning = e51.indicator("1").unwrap();
    assert!(planning.national.is_none() && planning.regions.is_empty());
    assert!(planning
        .resolve_threshold(Column::Group(CommuneGroup::G3), None, None)
        .is_some());
}

#[test]
fn the_same_field_rules_measure_1980_and_318_under_each_editions_own_ids() {
    let editions = Editions::builtin();
    let ids = |key: &str, rule: FieldRule| -> Vec<String> {
        editions
            .get(key)
            .unwrap()
            .indicators()
            .filter(|(_, i)| i.rule == Some(rule))
            .map(|(_, i)| i.id.clone())
            .collect()
    };
    assert_eq!(ids("ntm-2016", FieldRule::Sanitation), ["17.6"]);
    assert_eq!(ids("ntm-2021", FieldRule::Sanitation), ["17.8"]);
    assert_eq!(ids("ntm-2016", FieldRule::LivestockPens), ["17.7"]);
    assert_eq!(ids("ntm-2021", FieldRule::LivestockPens), ["17.9"]);
    assert_eq!(ids("ntm-2021", FieldRule::Stunting), ["15.3"]);
}

#[test]
fn a_date_in_each_period_chooses_the_edition_in_force_then() {
    let editions = Editions::builtin();
    let settings = with_group(CommuneGroup::G2);
    let key = |d: &str| {
        let applied = editions
            .choose(&slug(), Region::Tdmnpb, &settings, date(d))
            .unwrap();
        (
            applied.reference.key.clone(),
            applied.reference.criteria_total,
            applied.reference.outside_its_period,
        )
    };
    assert_eq!(key("2020-06-30"), ("ntm-2016".into(), 19, false));
    // 2021 until 318 came into force: still 1980, and said so.
    assert_eq!(key("2021-09-01"), ("ntm-2016".into(), 19, true));
    assert_eq!(key("2022-03-08"), ("ntm-2021".into(), 19, false));
    assert_eq!(key("2025-12-31"), ("ntm-2021".into(), 19, false));
    assert_eq!(key("2026-02-14"), ("ntm-2021".into(), 19, true));
    assert_eq!(key("2026-02-15"), ("ntm-2026".into(), 10, false));
    assert_eq!(
        editions
            .choose(&slug(), Region::Tdmnpb, &settings, date("2015-01-01"))
            .map(|a| a.reference.key),
        Err(EditionError::NoneInForce(date("2015-01-01")))
    );
}

#[test]
fn an_open_dossier_keeps_an_earlier_edition_until_it_closes() {
    let editions = Editions::builtin();
    let mut settings = with_group(CommuneGroup::G1);
    settings.dossier = Some(OpenDossier {
        edition: "ntm-2021".into(),
        name: "Hồ sơ công nhận 2025".into(),
        source: "Tờ trình của UBND xã (minh họa)".into(),
        closed_on: Some(date("2026-06-30")),
    });
    let choose = |d: &str| {
        editions
            .choose(&slug(), Region::Tdmnpb, &settings, date(d))
            .unwrap()
            .reference
    };
    let open = choose("2026-03-01");
    assert_eq!(open.key, "ntm-2021");
    assert_eq!(
        open.chosen,
        Some(Chosen::OpenDossier {
            dossier: "Hồ sơ công nhận 2025".into()
        })
    );
    assert_eq!(choose("2026-06-30").key, "ntm-2026");
    // A dossier never moves a date to a later edition than the one in force.
    assert_eq!(choose("2021-05-01").key, "ntm-2016");
}

#[test]
fn under_51_2025_a_commune_without_a_group_is_refused_with_what_to_set() {
    let err = Editions::builtin()
        .choose(
            &slug(),
            Region::Tdmnpb,
            &EditionSettings::default(),
            date("2026-03-01"),
        )
        .unwrap_err();
    assert!(matches!(err, EditionError::NoGroup { .. }));
    assert!(
        err.to_string().contains("set its group (G1, G2 or G3)"),
        "{err}"
    );
}

#[test]
fn region_and_group_are_read_on_the_date_with_their_source() {
    let editions = Editions::builtin();
    let mut settings = EditionSettings {
        regions: vec![Dated {
            value: Region::Dnb,
            from: date("2016-01-01"),
            until: Some(date("2025-07-01")),
            source: "tỉnh Tây Ninh cũ".into(),
        }],
        groups: vec![
            dated(CommuneGroup::G2, "2026-02-15", "QĐ 1 (minh họa)"),
            dated(CommuneGroup::G3, "2027-01-01", "QĐ 2 (minh họa)"),
        ],
        ..EditionSettings::default()
    };
    let at = |s: &EditionSettings, d: &str| {
        let r = editions
            .choose(&slug(), Region::Dbscl, s, date(d))
            .unwrap()
            .reference;
        (r.column, r.column_source)
    };
    assert_eq!(
        at(&settings, "2024-01-01"),
        (Some(Column::Region(Region::Dnb)), "tỉnh Tây Ninh cũ".into())
    );
    assert_eq!(
        at(&settings, "2026-03-01"),
        (
            Some(Column::Group(CommuneGroup::G2)),
            "QĐ 1 (minh họa)".into()
        )
    );
    assert_eq!(
        at(&settings, "2027-03-01"),
        (
            Some(Column::Group(CommuneGroup::G3)),
            "QĐ 2 (minh họa)".into()
        )
    );
    // 318's rule: an especially disadvantaged commune takes the TDMNPB column; 1980 has no such rule.
    settings.takes_tdmnpb = vec![dated(true, "2022-03-08", "QĐ 861/QĐ-TTg")];
    assert_eq!(
        at(&settings, "2024-01-01").0,
        Some(Column::Region(Region::Tdmnpb))
    );
    assert_eq!(
        at(&settings, "2020-01-01").0,
        Some(Column::Region(Region::Dnb))
    );
}

#[test]
fn a_transition_year_shows_both_editions_side_by_side() {
    let editions = Editions::builtin();
    let keys = |d: &str| -> Vec<String> {
        editions
            .side_by_side(date(d))
            .iter()
            .map(|e| e.key.clone())
            .collect()
    };
    assert_eq!(keys("2026-06-01"), ["ntm-2021", "ntm-2026"]);
    assert_eq!(keys("2022-06-01"), ["ntm-2016", "ntm-2021"]);
    assert_eq!(keys("2024-06-01"), ["ntm-2021"]);
    assert_eq!(keys("2020-06-01"), ["ntm-2016"]);
}
