use std::collections::BTreeSet;

use super::*;

fn reference_indicator_ids() -> BTreeSet<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/ntm-criteria.md"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the reference table {path} must sit beside the project: {e}"));
    // Section 1's tables start every indicator row with `| <criterion> | <indicator id> |`.
    let section =
        &text[text.find("## 1.").expect("section 1")..text.find("### 1E").expect("section 1E")];
    let mut ids = BTreeSet::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 || !cells[1].chars().all(|c| c.is_ascii_digit()) || cells[1].is_empty() {
            continue;
        }
        let id = cells[2];
        if let Some((from, to)) = id.split_once('–') {
            // "8.1–8.4": one row for four indicators.
            let (prefix, first) = from.split_once('.').expect("range of sub-indicators");
            let last = to.split_once('.').expect("range end").1;
            for n in first.parse::<u32>().unwrap()..=last.parse::<u32>().unwrap() {
                ids.insert(format!("{prefix}.{n}"));
            }
        } else {
            ids.insert(id.to_owned());
        }
    }
    ids
}

#[test]
fn catalog_holds_every_indicator_of_the_reference_table() {
    let expected = reference_indicator_ids();
    assert!(expected.len() >= 45, "parsed only {expected:?}");
    let actual: BTreeSet<String> = Catalog::builtin()
        .indicators()
        .map(|(_, i)| i.id.clone())
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn catalog_has_19_criteria_with_names_in_both_languages() {
    let catalog = Catalog::builtin();
    assert_eq!(catalog.criteria.len(), 19);
    for (c, i) in catalog.indicators() {
        assert!(!c.name_vi.is_empty() && !c.name_en.is_empty());
        assert!(!i.name_vi.is_empty() && !i.name_en.is_empty(), "{}", i.id);
    }
    assert_eq!(
        catalog.indicator("17.6").map(|i| i.rule),
        Some(Some(FieldRule::Sanitation))
    );
}

#[test]
fn thresholds_carry_the_reference_numbers_and_their_confidence() {
    let catalog = Catalog::builtin();
    let cell = |id: &str, region: Option<Region>| {
        let ind = catalog.indicator(id).unwrap();
        match region {
            Some(r) => ind.regions.get(&r).cloned(),
            None => ind.national.clone(),
        }
    };
    let stunting = cell("15.3", Some(Region::Tdmnpb)).unwrap();
    assert_eq!(
        (stunting.value, stunting.confidence),
        (Some(26.7), Confidence::Confirmed)
    );
    assert_eq!(
        catalog.indicator("15.3").unwrap().indicator_type,
        IndicatorType::PctMax
    );
    assert_eq!(cell("10", Some(Region::Dnb)).unwrap().value, Some(59.0));
    assert_eq!(cell("15.1", None).unwrap().value, Some(85.0));
    let sanitation = cell("17.6", Some(Region::Tdmnpb)).unwrap();
    assert_eq!(
        (sanitation.value, sanitation.confidence),
        (Some(70.0), Confidence::Unconfirmed)
    );
    let water = cell("17.1", Some(Region::Tdmnpb)).unwrap();
    assert_eq!((water.value, water.inner), (Some(90.0), Some(50.0)));
    let field_roads = catalog.indicator("2.4").unwrap();
    assert!(field_roads.set_by_province && field_roads.national.is_none());
}

#[test]
fn threshold_resolves_commune_then_province_then_region_then_national() {
    let catalog = Catalog::builtin();
    let income = catalog.indicator("10").unwrap();
    let set = |threshold, source: &str| TargetOverride {
        threshold,
        inner: None,
        source: source.to_owned(),
        confidence: Confidence::Confirmed,
    };
    let province = set(40.0, "QĐ tỉnh");
    let commune = set(42.0, "NQ xã");

    let r = income
        .resolve_threshold(Region::Tdmnpb, Some(&province), Some(&commune))
        .unwrap();
    assert_eq!(
        (r.value, r.source, r.citation.as_str()),
        (Some(42.0), ThresholdSource::Commune, "NQ xã")
    );
    let r = income
        .resolve_threshold(Region::Tdmnpb, Some(&province), None)
        .unwrap();
    assert_eq!((r.value, r.source), (Some(40.0), ThresholdSource::Province));
    let r = income
        .resolve_threshold(Region::Tdmnpb, None, None)
        .unwrap();
    assert_eq!((r.value, r.source), (Some(36.0), ThresholdSource::Region));

    // A region with no column of its own falls back to the national column.
    let pens = catalog.indicator("17.7").unwrap();
    let r = pens.resolve_threshold(Region::Dbscl, None, None).unwrap();
    assert_eq!((r.value, r.source), (Some(80.0), ThresholdSource::National));

    // A province-set threshold the province has not entered resolves to nothing.
    assert_eq!(
        catalog
            .indicator("2.4")
            .unwrap()
            .resolve_threshold(Region::Tdmnpb, None, None),
        None
    );
}

#[test]
fn errors_name_the_file_the_entry_and_the_problem() {
    let broken = BUILTIN.replacen(
        "rule = \"households.stunting\"",
        "rule = \"households.sanitation\"",
        1,
    );
    let err = Catalog::from_toml(&broken, "custom.toml").unwrap_err();
    assert_eq!(err.file, "custom.toml");
    assert_eq!(err.entry, "indicator 15.3");
    assert!(
        err.to_string().starts_with("custom.toml: indicator "),
        "{err}"
    );

    let unknown_source = BUILTIN.replacen("sources = [\"S1\"", "sources = [\"S999\"", 1);
    let err = Catalog::from_toml(&unknown_source, "c.toml").unwrap_err();
    assert!(err.problem.contains("S999"), "{err}");

    let err = Catalog::from_toml("decision = 1", "bad.toml").unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.entry.as_str()),
        ("bad.toml", "catalog")
    );
}

#[test]
fn the_1980_cells_confirmed_since_carry_their_sources() {
    let catalog = Catalog::builtin();
    let national = |id: &str| catalog.indicator(id).unwrap().national.clone().unwrap();
    let water = national("17.1");
    assert_eq!(
        (water.value, water.inner, water.confidence),
        (Some(95.0), Some(60.0), Confidence::Confirmed)
    );
    assert_eq!(water.sources, ["S7"]);
    for id in ["16", "3.1", "4.1", "9.1"] {
        assert_eq!(national(id).confidence, Confidence::Confirmed, "{id}");
    }
    assert_eq!(national("16").value, Some(70.0));
    let schools_mekong = catalog.indicator("5").unwrap().regions[&Region::Dbscl].clone();
    assert_eq!(
        (schools_mekong.value, schools_mekong.confidence),
        (Some(70.0), Confidence::Confirmed)
    );
    assert!(catalog.indicator("3.1").unwrap().wording_confirmed);
}

#[test]
fn an_edition_by_groups_rejects_a_region_column_and_names_the_cell() {
    let e51 = include_str!("../../assets/criteria/51-2025.toml");
    let broken = e51.replacen("G2 = {", "TDMNPB = {", 1);
    let err = Catalog::from_toml(&broken, "51-2025.toml").unwrap_err();
    assert_eq!(
        (err.entry.as_str(), err.problem.as_str()),
        (
            "indicator 1, threshold TDMNPB",
            "is not a commune group (G1, G2 or G3)"
        )
    );
    let missing = e51.replacen("G3 = {", "# G3 = {", 1);
    let err = Catalog::from_toml(&missing, "51-2025.toml").unwrap_err();
    assert_eq!(err.entry, "indicator 1");
}
