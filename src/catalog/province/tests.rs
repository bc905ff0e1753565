use super::*;

const SET: &str = r#"
province = "Tuyên Quang"
edition = "ntm-2021"
version = 2
decision = "Quyết định 999/QĐ-UBND (minh họa)"
issued_on = "2022-09-15"
applies_from = "2022-10-01"

[[targets]]
indicator = "2.4"
threshold = 70.0

[[targets]]
indicator = "17.1"
threshold = 95.0
inner = 20.0
source = "Phụ lục kèm Quyết định 999/QĐ-UBND"
confidence = "unconfirmed"
"#;

#[test]
fn a_province_set_from_toml_is_checked_against_its_edition() {
    let set = ProvinceSet::from_toml(SET, Editions::builtin()).unwrap();
    assert_eq!(
        (set.edition.as_str(), set.version, set.applies_from),
        ("ntm-2021", 2, "2022-10-01".parse().unwrap())
    );
    let roads = &set.targets["2.4"];
    assert_eq!(
        (roads.threshold, roads.source.as_str(), roads.confidence),
        (
            70.0,
            "Quyết định 999/QĐ-UBND (minh họa)",
            Confidence::Confirmed
        )
    );
    assert_eq!(set.targets["17.1"].inner, Some(20.0));
}

#[test]
fn a_broken_row_is_reported_by_row_and_field_with_every_other_problem() {
    let broken = SET
        .replace("threshold = 70.0", "threshold = 170.0")
        .replace("indicator = \"17.1\"", "indicator = \"17.99\"")
        .replace("issued_on = \"2022-09-15\"", "issued_on = \"15/9/2022\"");
    let SetErrors(errors) = ProvinceSet::from_toml(&broken, Editions::builtin()).unwrap_err();
    let at: Vec<_> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
    assert_eq!(at, [(0, "issued_on"), (1, "threshold"), (2, "indicator")]);
    assert!(errors[1].problem.contains("170"), "{}", errors[1].problem);
    assert_eq!(
        errors[2].to_string(),
        "row 2, indicator: \"17.99\" is not an indicator of 318/QĐ-TTg"
    );
}

#[test]
fn a_yes_no_indicator_or_an_unknown_edition_is_refused() {
    let bool_row = SET.replacen("indicator = \"2.4\"", "indicator = \"3.1\"", 1);
    let SetErrors(errors) = ProvinceSet::from_toml(&bool_row, Editions::builtin()).unwrap_err();
    assert_eq!((errors[0].row, errors[0].field.as_str()), (1, "threshold"));
    let unknown = SET.replace("ntm-2021", "ntm-2099");
    let SetErrors(errors) = ProvinceSet::from_toml(&unknown, Editions::builtin()).unwrap_err();
    assert_eq!((errors[0].row, errors[0].field.as_str()), (0, "edition"));
}
