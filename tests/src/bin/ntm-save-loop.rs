//! A phone that saves records as fast as it can, for the R4 crash test (`device_crash.rs`):
//! `ntm-save-loop DIR` opens (or creates and enrolls) the device store in DIR and saves forever,
//! printing `SEQ VERSION_ID` after each save returns, as the app would tell the user "saved".
//! Every tenth record carries a photo taken in just before. The test kills it with SIGKILL.

use std::io::Write;

use ntm_field::protocol::{EnrollResponse, Role};
use ntm_field::record::Body;
use ntm_field::store::{Draft, Store};
use ntm_tests::phone::{camera_jpeg, household_check_body, household_draft};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: ntm-save-loop DIR");
    let store = Store::open(&dir).expect("open the store");
    if store.enrollment().unwrap().is_none() {
        let commune = ntm_field::demo::thien_ke().unwrap().config.commune;
        let response = EnrollResponse {
            device_id: uuid::Uuid::now_v7(),
            token: "t".into(),
            role: Role::Enumerator,
            commune,
        };
        store.enroll("http://127.0.0.1:9", &response).unwrap();
    }
    let household = store
        .create(household_draft("TK03-LOOP", "thien-ke-03"))
        .unwrap();
    let stdout = std::io::stdout();
    for i in 0u64.. {
        let mut draft = Draft::new(
            Body::HouseholdCheck(household_check_body(household.entity_id, i % 3 == 0)),
            household.village_id.clone(),
        );
        if i % 10 == 0 {
            let photo = ntm_field::photo::intake(&camera_jpeg(320, 240, i), 256).unwrap();
            draft.photos.push(store.add_photo(&photo).unwrap());
        }
        let v = store.create(draft).unwrap();
        let mut out = stdout.lock();
        writeln!(out, "{} {}", v.device_seq, v.version_id).unwrap();
        out.flush().unwrap();
    }
}
