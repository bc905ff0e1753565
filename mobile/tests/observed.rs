//! The day a thing was observed, on the phone's forms: shown as Vietnamese forms write it, kept
//! by an edit and by a resolution made years later, changed only by the user.

mod support;

use chrono::NaiveDate;
use ntm_field::config::MeasureId;
use ntm_field::record::{Body, Version};
use ntm_mobile::screens::Screen;
use support::{fix, Harness};

fn dom_id(path: &str) -> String {
    ntm_mobile::components::field_dom_id(path)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Places a sign from the home screen, seen on `seen` (`yyyy-mm-dd`) when given.
fn place_sign(h: &mut Harness, seen: Option<&str>) -> Version {
    h.click("go-sign");
    h.click("sign-take-position");
    h.settle();
    for i in 0..10 {
        h.fake.emit(fix(21.74 + i as f64 * 1e-6, 105.32, 5.0, i));
    }
    h.settle();
    h.click(&format!("{}-good", dom_id("body.condition")));
    h.select(&dom_id("village_id"), "thien-ke-02");
    if let Some(seen) = seen {
        h.select(&dom_id("observed_on"), seen);
    }
    h.click(&format!("{}-button", dom_id("photos")));
    h.settle();
    h.click("sign-save");
    assert_eq!(h.screen(), "home", "{}", h.html());
    newest(h)
}

fn newest(h: &Harness) -> Version {
    let id = h.store.my_records(1).unwrap()[0].version_id;
    h.store.version(id).unwrap().unwrap()
}

fn signs_placed(h: &Harness, as_of: &str) -> f64 {
    h.store
        .scorecard(day(as_of))
        .unwrap()
        .unwrap()
        .measure(MeasureId::SignsPlaced)
        .unwrap()
        .value
}

#[test]
fn a_new_sign_is_seen_today_unless_the_user_picks_another_day() {
    let mut h = Harness::enrolled();
    h.click("go-sign");
    let today = ntm_mobile::fmt::today();
    assert_eq!(
        h.text_of(&format!("{}-shown", dom_id("observed_on"))),
        ntm_mobile::fmt::date(today)
    );
    assert!(h.html().contains(&format!("max=\"{today}\"")));
    h.click("back");

    let sign = place_sign(&mut h, Some("2020-03-21"));
    assert_eq!(sign.observed_date(), day("2020-03-21"));
    assert_eq!(
        sign.captured_at.date_naive(),
        today,
        "the version's own time"
    );
    assert_eq!(signs_placed(&h, "2020-03-20"), 0.0);
    assert_eq!(signs_placed(&h, "2020-03-31"), 1.0);
}

#[test]
fn an_edit_shows_the_day_the_sign_was_seen_and_keeps_it() {
    let mut h = Harness::enrolled();
    let sign = place_sign(&mut h, Some("2020-03-21"));
    h.go(Screen::Sign {
        edit: Some(sign.version_id),
        draft: None,
    });
    assert_eq!(
        h.text_of(&format!("{}-shown", dom_id("observed_on"))),
        "21/03/2020"
    );
    h.type_in(&dom_id("body.note"), "Sơn lại chữ");
    h.click("sign-save");
    let corrected = newest(&h);
    assert_eq!(corrected.parents, vec![sign.version_id]);
    assert_eq!(corrected.observed_on, Some(day("2020-03-21")));
    assert_eq!(
        signs_placed(&h, "2020-03-31"),
        1.0,
        "still placed in March 2020"
    );

    // The user may move the day, but not past today.
    h.go(Screen::Sign {
        edit: Some(corrected.version_id),
        draft: None,
    });
    let tomorrow = ntm_mobile::fmt::today().succ_opt().unwrap();
    h.select(&dom_id("observed_on"), &tomorrow.to_string());
    h.click("sign-save");
    assert_eq!(h.screen(), "sign");
    assert_eq!(
        h.text_of(&format!("{}-error", dom_id("observed_on"))),
        "Chọn một ngày từ năm 2000 đến hôm nay."
    );
    h.select(&dom_id("observed_on"), "2020-04-02");
    h.click("sign-save");
    assert_eq!(newest(&h).observed_on, Some(day("2020-04-02")));
}

#[test]
fn a_conflict_resolved_today_stays_on_the_day_the_sign_was_seen() {
    let mut h = Harness::enrolled();
    let sign = place_sign(&mut h, Some("2020-03-21"));
    // Another phone corrected the sign (keeping its day) while this one did too.
    let mut theirs = sign.clone();
    theirs.version_id = uuid::Uuid::now_v7();
    theirs.device_id = uuid::Uuid::now_v7();
    theirs.device_seq = 1;
    theirs.parents = vec![sign.version_id];
    theirs.server_seq = Some(10_000);
    theirs.author = Some("chi-ha".into());
    let Body::TrashSign(s) = &mut theirs.body else {
        panic!()
    };
    s.note = "Sửa trên máy khác".into();
    h.go(Screen::Sign {
        edit: Some(sign.version_id),
        draft: None,
    });
    h.type_in(&dom_id("body.note"), "Sửa trên máy này");
    h.click("sign-save");
    h.store
        .sync_apply_pull(&ntm_field::protocol::PullResponse {
            versions: vec![theirs],
            next_cursor: 10_000,
            up_to_date: true,
            config: None,
            config_etag: "demo".into(),
        })
        .unwrap();
    h.store_changed();

    h.go(Screen::Resolve {
        entity_id: sign.entity_id,
    });
    for i in 0..2 {
        assert!(h
            .text_of(&format!("head-{i}-observed"))
            .contains("21/03/2020"));
    }
    h.click("keep-1");
    h.click("keep-1-confirm");
    let heads = h.store.heads(sign.entity_id).unwrap();
    assert_eq!((heads.len(), heads[0].parents.len()), (1, 2));
    assert_eq!(heads[0].observed_date(), day("2020-03-21"));
    assert_eq!(heads[0].captured_at.date_naive(), ntm_mobile::fmt::today());
    let card = h.store.scorecard(day("2020-03-31")).unwrap().unwrap();
    assert_eq!(
        (
            card.conflicts,
            card.measure(MeasureId::SignsPlaced).unwrap().value
        ),
        (0, 1.0)
    );
}
