//! An edit, a deletion or a resolution keeps the day the thing was observed unless the user
//! changes it; the version's own time is the phone's clock.

use chrono::Datelike;

use super::*;
use crate::record::{SignCondition, SignType, TrashSign};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn sign() -> Draft {
    let mut d = Draft::new(
        Body::TrashSign(TrashSign {
            sign_type: SignType::NoDumping,
            condition: SignCondition::Good,
            responsible_household_id: None,
            note: String::new(),
        }),
        Some(slug("thien-ke-03")),
    );
    d.location = Some(crate::record::Location {
        lat: 21.78,
        lon: 105.33,
        accuracy_m: 4.0,
        altitude_m: None,
        fix_at: DateTime::parse_from_rfc3339("2020-03-21T09:00:00+07:00").unwrap(),
        source: crate::record::LocationSource::Gps,
    });
    d
}

fn with_note(mut d: Draft, note: &str) -> Draft {
    if let Body::TrashSign(s) = &mut d.body {
        s.note = note.to_owned();
    }
    d
}

/// A store whose clock reads 21/03/2020, and the clock.
fn on_21_march_2020(dir: &std::path::Path) -> (Store, Arc<TestClock>) {
    let (store, clock) = enrolled(dir);
    clock.advance(Duration::days(16));
    assert_eq!(store.now().date_naive(), day("2020-03-21"));
    (store, clock)
}

fn signs_placed(store: &Store, as_of: &str) -> f64 {
    store
        .scorecard(day(as_of))
        .unwrap()
        .unwrap()
        .measure(crate::config::MeasureId::SignsPlaced)
        .unwrap()
        .value
}

#[test]
fn a_sign_corrected_in_2026_stays_observed_on_21_march_2020() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = on_21_march_2020(dir.path());
    let seen = store.create(sign()).unwrap();
    assert_eq!(seen.observed_on, None, "observed the day it was captured");
    clock.advance(Duration::days(6 * 365 + 50));
    let from_form = with_note(Draft::from_version(&seen), "sơn lại");
    let corrected = store.edit(seen.entity_id, from_form).unwrap();
    assert_eq!(corrected.captured_at.date_naive().year(), 2026);
    assert_eq!(corrected.observed_on, Some(day("2020-03-21")));
    // A draft that says nothing of the day keeps it too.
    let again = store
        .edit(seen.entity_id, with_note(sign(), "sơn lại lần nữa"))
        .unwrap();
    assert_eq!(again.observed_date(), day("2020-03-21"));
    let gone = store.delete(seen.entity_id).unwrap();
    assert_eq!(gone.observed_date(), day("2020-03-21"));
    assert_eq!(signs_placed(&store, "2020-03-20"), 0.0);
}

#[test]
fn the_day_is_the_users_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = on_21_march_2020(dir.path());
    let mut old = sign();
    old.observed_on = Some(day("2020-03-02"));
    let recorded_late = store.create(old).unwrap();
    assert_eq!(recorded_late.observed_on, Some(day("2020-03-02")));
    assert_eq!(signs_placed(&store, "2020-03-10"), 1.0);

    // A month later the sign is gone: the user dates that visit, and the sign stood until it.
    clock.advance(Duration::days(30));
    let mut visit = Draft::from_version(&recorded_late);
    if let Body::TrashSign(s) = &mut visit.body {
        s.condition = SignCondition::Missing;
    }
    visit.observed_on = Some(day("2020-04-18"));
    let edited = store.edit(recorded_late.entity_id, visit).unwrap();
    assert_eq!(edited.observed_on, Some(day("2020-04-18")));
    assert_eq!(signs_placed(&store, "2020-04-17"), 1.0);
    assert_eq!(signs_placed(&store, "2020-04-18"), 0.0);
}

#[test]
fn an_edit_on_a_phone_whose_clock_is_behind_keeps_the_day_another_phone_saw() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = on_21_march_2020(dir.path());
    let seen = store.create(sign()).unwrap();
    // The version arrives from a phone whose clock read a year ahead.
    let mut ahead = foreign_edit(&seen, 1, 7, |_| {});
    ahead.captured_at += Duration::days(365);
    store
        .sync_apply_pull(&page(vec![ahead.clone()], 7))
        .unwrap();
    clock.advance(Duration::days(1));
    let edited = store
        .edit(seen.entity_id, with_note(sign(), "sửa trên máy chậm giờ"))
        .unwrap();
    assert_eq!(
        edited.observed_date(),
        ahead.observed_date(),
        "kept, not refused"
    );
    assert!(edited.observed_date() > edited.captured_at.date_naive());
}

#[test]
fn a_conflict_resolved_in_2026_keeps_the_day_of_the_version_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = on_21_march_2020(dir.path());
    let seen = store.create(sign()).unwrap();
    clock.advance(Duration::minutes(1));
    store
        .edit(
            seen.entity_id,
            with_note(Draft::from_version(&seen), "của tôi"),
        )
        .unwrap();
    let theirs = foreign_edit(&seen, 1, 7, |b| {
        if let Body::TrashSign(s) = b {
            s.note = "của họ".to_owned();
        }
    });
    store
        .sync_apply_pull(&page(vec![seen.clone(), theirs.clone()], 7))
        .unwrap();
    assert_eq!(store.conflicts().unwrap().len(), 1);
    clock.advance(Duration::days(6 * 365 + 50));
    let merged = store
        .resolve(seen.entity_id, Draft::from_version(&theirs))
        .unwrap();
    assert_eq!(merged.captured_at.date_naive().year(), 2026);
    assert_eq!(merged.observed_on, Some(day("2020-03-21")));
    assert_eq!(signs_placed(&store, "2020-03-31"), 1.0);
    assert_eq!(
        store
            .scorecard(day("2020-03-31"))
            .unwrap()
            .unwrap()
            .conflicts,
        0
    );
}
