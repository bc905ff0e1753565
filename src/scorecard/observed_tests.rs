//! Records are dated by when the thing was observed, not by when a version was written: a
//! correction or a resolution made years later leaves the record in the period it was seen.

use chrono::NaiveDate;

use super::*;
use crate::catalog::Catalog;
use crate::demo;
use crate::heads::entity_heads_as_of;
use crate::record::fixtures::*;
use crate::record::{Body, SignCondition, SignType, TrashSign};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn sign(phone: &mut Phone, village: &str, captured_at: &str) -> crate::record::Version {
    phone.create(
        Some(village),
        captured_at,
        Body::TrashSign(TrashSign {
            sign_type: SignType::NoDumping,
            condition: SignCondition::Good,
            responsible_household_id: None,
            note: String::new(),
        }),
    )
}

fn note(text: &str) -> impl FnOnce(&mut Body) + '_ {
    move |b| {
        if let Body::TrashSign(s) = b {
            s.note = text.to_owned();
        }
    }
}

fn signs_placed(versions: &[crate::record::Version], as_of: &str) -> f64 {
    let config = demo::thien_ke().unwrap().config;
    scorecard(Catalog::builtin(), &config, versions, date(as_of))
        .measure(MeasureId::SignsPlaced)
        .unwrap()
        .value
}

#[test]
fn a_sign_corrected_years_later_stays_in_the_month_it_was_seen() {
    let mut phone = Phone::new("thien-ke");
    let seen = sign(&mut phone, "thien-ke-01", "2020-03-21T09:00:00+07:00");
    let corrected = phone.correct(&seen, "2026-05-10T10:00:00+07:00", note("biển mới sơn lại"));
    assert_eq!(corrected.observed_date(), date("2020-03-21"));
    assert!(
        corrected.captured_at > seen.captured_at,
        "the version keeps its own time"
    );
    let versions = vec![seen, corrected.clone()];

    assert_eq!(signs_placed(&versions, "2020-03-20"), 0.0);
    assert_eq!(signs_placed(&versions, "2020-03-31"), 1.0);
    let facts = CommuneFacts::from_versions(
        &corrected.commune_id,
        &versions,
        date("2026-12-31"),
        &Default::default(),
    );
    assert_eq!(facts.signs.len(), 1);
    assert_eq!(facts.signs[0].date, date("2020-03-21"), "not 2026");
    // As of 2020 the card already counts the corrected record: what is now known of the sign.
    let heads = entity_heads_as_of(&versions, date("2020-03-31"));
    assert_eq!(
        heads[&corrected.entity_id].head.version_id,
        corrected.version_id
    );
}

#[test]
fn a_resolution_written_later_keeps_the_day_of_the_version_kept() {
    let mut phone = Phone::new("thien-ke");
    let mut other = Phone::new("thien-ke");
    let seen = sign(&mut phone, "thien-ke-01", "2020-03-21T09:00:00+07:00");
    let mine = phone.correct(&seen, "2020-04-02T08:00:00+07:00", note("của tôi"));
    let theirs = other.correct(&seen, "2020-04-03T08:00:00+07:00", note("của họ"));
    let mut merge = phone.write(
        seen.entity_id,
        vec![mine.version_id, theirs.version_id],
        Some("thien-ke-01"),
        "2026-05-10T10:00:00+07:00",
        theirs.body.clone(),
    );
    merge.set_observed_date(theirs.observed_date());
    let versions = vec![seen, mine, theirs, merge.clone()];

    let config = demo::thien_ke().unwrap().config;
    let card = scorecard(Catalog::builtin(), &config, &versions, date("2020-03-31"));
    assert_eq!(card.conflicts, 0, "the resolution counts as of 2020 too");
    assert_eq!(card.measure(MeasureId::SignsPlaced).unwrap().value, 1.0);
}

#[test]
fn a_date_moved_forward_then_back_leaves_one_head_at_every_date() {
    let mut phone = Phone::new("thien-ke");
    let first = sign(&mut phone, "thien-ke-01", "2020-03-01T09:00:00+07:00");
    let mut forward = phone.edit(&first, "2024-02-01T09:00:00+07:00", note("hỏng"));
    forward.set_observed_date(date("2024-01-01"));
    let mut back = phone.edit(&forward, "2024-02-02T09:00:00+07:00", note("hỏng từ 2023"));
    back.set_observed_date(date("2023-01-01"));
    let versions = vec![first.clone(), forward, back.clone()];
    let head_on = |day: &str| {
        let heads = entity_heads_as_of(&versions, date(day));
        let h = &heads[&first.entity_id];
        assert_eq!(h.heads.len(), 1, "no false conflict on {day}");
        h.head.version_id
    };
    assert_eq!(head_on("2021-06-30"), first.version_id);
    assert_eq!(head_on("2023-06-30"), back.version_id);
    assert_eq!(head_on("2025-06-30"), back.version_id);
    assert!(entity_heads_as_of(&versions, date("2020-02-29")).is_empty());
}

#[test]
fn a_later_visit_decides_over_an_earlier_one_corrected_afterwards() {
    let demo = demo::thien_ke().unwrap();
    let mut phone = Phone::new("thien-ke");
    let household = phone.household("thien-ke-01", "H0", 4);
    let first_visit = phone.check(&household, "2020-03-05T08:00:00+07:00", |c| {
        c.bathroom_hygienic = false
    });
    let second_visit = phone.check(&household, "2021-05-01T08:00:00+07:00", |_| {});
    let corrected = phone.correct(&first_visit, "2026-05-10T10:00:00+07:00", |b| {
        if let Body::HouseholdCheck(c) = b {
            c.note = "sửa ghi chú".to_owned();
        }
    });
    let versions = vec![household, first_visit, second_visit.clone(), corrected];
    let facts = CommuneFacts::from_versions(
        &demo.config.commune.id,
        &versions,
        date("2026-12-31"),
        &Default::default(),
    );
    let latest = facts.households[0].latest.as_ref().unwrap();
    assert_eq!(latest.recency.version_id, second_visit.version_id);
    assert!(latest.sanitation);
    let in_2020 = CommuneFacts::from_versions(
        &demo.config.commune.id,
        &versions,
        date("2020-12-31"),
        &Default::default(),
    );
    let latest = in_2020.households[0].latest.as_ref().unwrap();
    assert!(
        !latest.sanitation,
        "in 2020 the first visit, as corrected, decides"
    );
    assert_eq!(latest.date, date("2020-03-05"));
}
