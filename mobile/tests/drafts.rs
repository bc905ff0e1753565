//! Drafts are per record, not per screen: an abandoned sign waits in the home screen's drafts
//! list instead of coming back inside the next sign; each draft resumes or goes (after saying
//! what is lost); households with an unsaved check are marked in their list.

mod support;

use support::{fix, Harness};

fn dom_id(path: &str) -> String {
    ntm_mobile::components::field_dom_id(path)
}

/// The ids of the drafts the home screen lists, in its order.
fn listed_drafts(h: &Harness) -> Vec<String> {
    let html = h.html();
    html.split("id=\"draft-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| id.len() == 36)
        .map(str::to_owned)
        .collect()
}

/// Starts a sign with its condition, a note and a photo, then leaves it unsaved.
fn abandon_a_sign(h: &mut Harness, note: &str) {
    h.click("go-sign");
    h.click(&format!("{}-damaged", dom_id("body.condition")));
    h.type_in(&dom_id("body.note"), note);
    h.click(&format!("{}-button", dom_id("photos")));
    h.settle();
    h.click("back");
    assert_eq!(h.screen(), "home");
}

#[test]
fn an_abandoned_sign_waits_in_the_list_and_the_next_sign_starts_empty() {
    let mut h = Harness::enrolled();
    assert!(!h.has("home-drafts"), "no drafts, no list");
    abandon_a_sign(&mut h, "biển ở ngã ba");
    let drafts = listed_drafts(&h);
    assert_eq!(drafts.len(), 1);
    assert!(h.text_of("home-drafts").contains("Biển cấm đổ rác"));

    h.click("go-sign");
    assert_eq!(h.photo_in("photos"), None, "no old photo");
    assert!(!h.html().contains("biển ở ngã ba"), "no old note");
    assert!(!h.html().contains(&format!(
        "id=\"{}-damaged\" aria-pressed=\"true\"",
        dom_id("body.condition")
    )));
    h.click("back");
    assert_eq!(
        listed_drafts(&h),
        drafts,
        "a form left untouched leaves no draft"
    );

    // The app closed and opened again: the draft is still there and resumes whole.
    let mut h = h.restart();
    assert_eq!(listed_drafts(&h), drafts);
    h.click(&format!("draft-{}-resume", drafts[0]));
    assert_eq!(h.screen(), "sign");
    assert!(h.html().contains("biển ở ngã ba"));
    let (photo, on_disk) = h.photo_in("photos").expect("its photo");
    assert!(on_disk);
    h.click("back");

    h.click(&format!("draft-{}-discard", drafts[0]));
    assert_eq!(
        h.text_of(&format!("draft-{}-discard-panel", drafts[0])),
        "Xoá bản nháp “Biển cấm đổ rác” (chưa chọn thôn) và 1 ảnh đã chụp cho nó? Không lấy lại được. Giữ lại Xoá bản nháp"
    );
    h.click(&format!("draft-{}-discard-keep", drafts[0]));
    assert_eq!(listed_drafts(&h), drafts, "keeping it changes nothing");
    h.click(&format!("draft-{}-discard", drafts[0]));
    h.click(&format!("draft-{}-discard-confirm", drafts[0]));
    assert!(!h.has("home-drafts"));
    assert!(
        !h.store.photo_path(&photo).exists(),
        "its photo went with it"
    );
    assert!(h.store.my_records(10).unwrap().is_empty());
}

#[test]
fn two_signs_in_progress_are_two_drafts_and_one_discarded_keeps_the_others_photo() {
    let mut h = Harness::enrolled();
    abandon_a_sign(&mut h, "biển thứ nhất");
    abandon_a_sign(&mut h, "biển thứ hai");
    let drafts = listed_drafts(&h);
    assert_eq!(drafts.len(), 2);
    // The fake camera gives the same picture twice: both drafts hold the same photo file.
    h.click(&format!("draft-{}-discard", drafts[0]));
    h.click(&format!("draft-{}-discard-confirm", drafts[0]));
    assert_eq!(listed_drafts(&h), &drafts[1..]);
    h.click(&format!("draft-{}-resume", drafts[1]));
    assert!(
        h.html().contains("biển thứ nhất"),
        "the older draft, untouched"
    );
    let (_, on_disk) = h.photo_in("photos").expect("its photo");
    assert!(on_disk, "the other draft's photo stays on disk");

    // Saved, the draft leaves the list.
    h.click("sign-take-position");
    h.settle();
    for i in 0..10 {
        h.fake.emit(fix(21.74 + i as f64 * 1e-6, 105.32, 5.0, i));
    }
    h.settle();
    h.select(&dom_id("village_id"), "thien-ke-02");
    h.click("sign-save");
    assert_eq!(h.screen(), "home", "{}", h.html());
    assert!(!h.has("home-drafts"));
    assert_eq!(h.store.my_records(10).unwrap().len(), 1);
}

#[test]
fn a_household_with_an_unsaved_check_is_marked_and_its_draft_resumes() {
    let mut h = Harness::enrolled();
    h.click("go-households");
    h.click("household-TK01-002");
    h.settle();
    h.click("back");
    assert!(!h.has("household-TK01-002-draft"), "looking is not a draft");

    h.click("household-TK01-001");
    h.click(&format!("{}-sunken_dry", dom_id("body.toilet.type")));
    h.type_in(&dom_id("body.note"), "Chủ hộ đi vắng");
    h.settle();
    h.click("back");
    assert!(h.has("household-TK01-001-draft"));
    assert_eq!(h.text_of("household-TK01-001-draft"), "Có bản nháp");
    assert!(!h.has("household-TK01-002-draft"));

    h.click("back");
    let drafts = listed_drafts(&h);
    assert_eq!(drafts.len(), 1);
    let place = h.text_of(&format!("draft-{}-where", drafts[0]));
    assert!(place.starts_with("TK01-001 · "), "{place}");
    h.click(&format!("draft-{}-resume", drafts[0]));
    assert_eq!(h.screen(), "check");
    assert!(h.html().contains("Chủ hộ đi vắng"));
    h.click("back");

    // From the list the household opens its draft too, and saving clears the mark.
    h.click("go-households");
    h.click("household-TK01-001");
    assert!(h.html().contains("Chủ hộ đi vắng"));
    h.click(&format!("{}-septic", dom_id("body.toilet.type")));
    for item in ntm_field::record::ToiletType::Septic.checklist_items() {
        h.click(&dom_id(&format!("body.toilet.checklist.{item}")));
    }
    for q in ntm_mobile::forms::CHECK_QUESTIONS {
        h.click(&format!("{}-yes", dom_id(q)));
    }
    h.type_in(&dom_id("body.health_insurance.insured"), "4");
    h.click("check-save");
    assert_eq!(h.screen(), "households", "{}", h.html());
    assert!(!h.has("household-TK01-001-draft"));
}

#[test]
fn discarding_a_new_roads_draft_from_the_list_says_how_much_track_goes_with_it() {
    let mut h = Harness::enrolled();
    h.click("go-road");
    h.click("road-start");
    h.settle();
    for i in 0..20 {
        h.fake.emit(fix(21.74 + i as f64 * 1e-5, 105.32, 3.0, i));
    }
    h.settle();
    h.click("road-stop");
    assert_eq!(h.screen(), "road-details");
    h.type_in(&dom_id("body.name"), "Đường ra đồng");
    h.settle();
    h.click("back");
    h.click("back");
    let drafts = listed_drafts(&h);
    assert_eq!(drafts.len(), 1);
    assert!(h.has("home-recording"));
    h.click(&format!("draft-{}-resume", drafts[0]));
    assert_eq!(h.screen(), "road-details");
    assert!(h.html().contains("Đường ra đồng"));
    assert!(h.text_of("road-details-length").ends_with(" m"));
    h.click("back");
    h.click("back");

    h.click(&format!("draft-{}-discard", drafts[0]));
    let question = h.text_of(&format!("draft-{}-discard-panel", drafts[0]));
    assert!(
        question.contains("Tuyến đường")
            && question.contains("Tuyến đã ghi (")
            && question.contains(", 20 điểm)"),
        "{question}"
    );
    h.click(&format!("draft-{}-discard-confirm", drafts[0]));
    assert!(!h.has("home-drafts"));
    assert!(!h.has("home-recording"), "the track went too");
    h.click("go-road");
    assert!(h.html().contains("data-state=\"Idle\""));
}
