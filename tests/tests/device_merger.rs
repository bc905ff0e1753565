//! A phone of a commune that merges, against the real server on SQLite and PostgreSQL: from the
//! merger date its next sync moves it into the new commune without losing what waits in its
//! outbox; it then works for the new commune (its villages, its old commune's households, new
//! records), every record keeps the commune it was first kept under, and the new commune's
//! figures count each household once. A phone enrolled in the new commune sees the old
//! commune's households too.

use ntm_field::protocol::Role;
use ntm_field::store::HouseholdFilter;
use ntm_tests::on_both_backends;
use ntm_tests::phone::*;
use ntm_tests::server::{indicator, Api, Backend, TestServer};
use serde_json::json;

const OLD: &str = "thien-ke";
const NEW: &str = "son-thuy";
/// A village the new commune brings from another of its parts.
const OTHER_VILLAGE: &str = "ninh-lai-01";

/// Sơn Thủy: every village of Thiện Kế and one of Ninh Lai.
async fn create_new_commune(admin: &Api) {
    let mut commune = ntm_field::demo::thien_ke().unwrap().config.commune;
    commune.id = ntm_field::ids::Slug::parse(NEW).unwrap();
    commune.name = "Xã Sơn Thủy".into();
    commune.villages.push(ntm_field::admin::Village {
        id: ntm_field::ids::Slug::parse(OTHER_VILLAGE).unwrap(),
        name: "Thôn Ninh Lai".into(),
    });
    let r = admin
        .post("/api/v1/communes", &serde_json::to_value(&commune).unwrap())
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

async fn record_merger(admin: &Api) {
    let r = admin
        .post(
            "/api/v1/mergers",
            &json!({
                "date": "2025-07-01",
                "legal_basis": "Nghị quyết 1683/NQ-UBTVQH15 ngày 16/6/2025",
                "commune": NEW,
                "parts": [{"commune": OLD}]
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

async fn a_phone_of_a_merged_commune_moves_into_the_new_one_with_everything_it_saved(
    backend: Backend,
) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    create_demo_commune(&admin).await;
    create_new_commune(&admin).await;
    let a = TestPhone::enroll(
        &server.base,
        &enrollment_code(&admin, OLD, Role::Enumerator).await,
        test_options(),
    )
    .await;
    let h1 = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    a.sync().await.unwrap();
    // Saved offline, not sent yet when the merger is recorded.
    let check = a.store.create(check_draft(&h1, true)).unwrap();
    let h2 = a
        .store
        .create(household_draft("TK07-001", "thien-ke-07"))
        .unwrap();
    record_merger(&admin).await;

    a.sync().await.unwrap();
    assert!(a.store.outbox().unwrap().is_empty(), "nothing left to send");
    assert!(a.store.waiting().unwrap().is_empty(), "nothing waits");
    let enrollment = a.store.enrollment().unwrap().unwrap();
    assert_eq!(
        enrollment.commune.id.as_str(),
        NEW,
        "the phone works for Sơn Thủy"
    );
    assert!(
        enrollment
            .commune
            .villages
            .iter()
            .any(|v| v.id.as_str() == OTHER_VILLAGE),
        "with the new commune's villages"
    );
    let devices = admin.get(&format!("/api/v1/communes/{NEW}/devices")).await;
    assert!(
        devices
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["device_id"] == serde_json::to_value(enrollment.device_id).unwrap()),
        "the dashboard lists the phone under Sơn Thủy: {:?}",
        devices.body
    );
    let listed = a.store.households(&HouseholdFilter::default()).unwrap();
    assert_eq!(
        listed.len(),
        2,
        "the old commune's households are still listed"
    );

    // An edit keeps the household under Thiện Kế; a new household is Sơn Thủy's.
    let mut edit = ntm_field::store::Draft::from_version(&h1);
    if let ntm_field::record::Body::Household(h) = &mut edit.body {
        h.members = 6;
    }
    let edited = a.store.edit(h1.entity_id, edit).unwrap();
    assert_eq!(edited.commune_id.as_str(), OLD);
    let h3 = a
        .store
        .create(household_draft("NL01-001", OTHER_VILLAGE))
        .unwrap();
    assert_eq!(h3.commune_id.as_str(), NEW);
    a.sync().await.unwrap();

    let token = enrollment.token;
    let held = server_versions(&server.base, &token).await;
    for v in [&h1, &check, &h2, &edited, &h3] {
        let on_server = held
            .iter()
            .find(|s| s.version_id == v.version_id)
            .unwrap_or_else(|| panic!("{} is on the server", v.version_id));
        assert_eq!(on_server.commune_id, v.commune_id);
    }
    let card = admin
        .get(&format!("/api/v1/communes/{NEW}/scorecard"))
        .await;
    assert_eq!(card.status, 200, "{:?}", card.body);
    assert_eq!(
        indicator(&card.body, "17.6")["denominator"],
        3.0,
        "each household once: {}",
        indicator(&card.body, "17.6")
    );

    // The phone's offline figures count the same households.
    let today = ntm_field::time::local_date(&chrono::Utc::now().fixed_offset());
    let local = a.store.scorecard(today).unwrap().unwrap();
    let hygiene = local
        .criteria
        .iter()
        .flat_map(|c| &c.indicators)
        .find(|i| i.id == "17.6")
        .unwrap();
    assert_eq!(hygiene.denominator, Some(3.0));

    // A phone enrolled in Sơn Thủy sees Thiện Kế's households too.
    let b = TestPhone::enroll(
        &server.base,
        &enrollment_code(&admin, NEW, Role::Enumerator).await,
        test_options(),
    )
    .await;
    b.sync().await.unwrap();
    let codes: Vec<String> = b
        .store
        .households(&HouseholdFilter::default())
        .unwrap()
        .into_iter()
        .map(|h| h.code)
        .collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
}

on_both_backends!(a_phone_of_a_merged_commune_moves_into_the_new_one_with_everything_it_saved);
