//! A phone of a commune that merges, against the real server on SQLite and PostgreSQL: from the
//! merger date its next sync moves it into the new commune without losing what waits in its
//! outbox; it then works for the new commune (its villages, its old commune's households, new
//! records), every record keeps the commune it was first kept under, and the new commune's
//! figures (the scorecard, the period report, the phone's offline card) count each household
//! once. A phone enrolled in the new commune sees the old commune's households too.

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

/// Sơn Thủy (or `id`): every village of Thiện Kế and one of Ninh Lai.
async fn create_new_commune(admin: &Api, id: &str) {
    let mut commune = ntm_field::demo::thien_ke().unwrap().config.commune;
    commune.id = ntm_field::ids::Slug::parse(id).unwrap();
    commune.name = format!("Xã {id}");
    commune.villages.push(ntm_field::admin::Village {
        id: ntm_field::ids::Slug::parse(OTHER_VILLAGE).unwrap(),
        name: "Thôn Ninh Lai".into(),
    });
    let r = admin
        .post("/api/v1/communes", &serde_json::to_value(&commune).unwrap())
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

async fn record_merger(admin: &Api, date: &str, from: &str, into: &str) {
    let r = admin
        .post(
            "/api/v1/mergers",
            &json!({
                "date": date,
                "legal_basis": "Nghị quyết 1683/NQ-UBTVQH15 ngày 16/6/2025",
                "commune": into,
                "parts": [{"commune": from}]
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
    create_new_commune(&admin, NEW).await;
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
    record_merger(&admin, "2025-07-01", OLD, NEW).await;

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
    // A new check of an old household is Sơn Thủy's, and counts for that household.
    let second_check = a.store.create(check_draft(&h2, true)).unwrap();
    assert_eq!(second_check.commune_id.as_str(), NEW);
    a.sync().await.unwrap();

    let token = enrollment.token;
    let held = server_versions(&server.base, &token).await;
    for v in [&h1, &check, &h2, &edited, &h3, &second_check] {
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
    let hygiene = indicator(&card.body, "17.6");
    assert_eq!(
        (&hygiene["numerator"], &hygiene["denominator"]),
        (&json!(2.0), &json!(3.0)),
        "each household once, each with its latest check: {hygiene}"
    );

    // The period report lists them all, old records included.
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/communes/{NEW}/export/csv?kind=household",
            server.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    for code in ["TK03-001", "TK07-001", "NL01-001"] {
        assert!(csv.contains(code), "{code} in the report: {csv}");
    }

    // The phone's offline figures count the same households.
    let today = ntm_field::time::local_date(&chrono::Utc::now().fixed_offset());
    let local = a.store.scorecard(today).unwrap().unwrap();
    let hygiene = local
        .criteria
        .iter()
        .flat_map(|c| &c.indicators)
        .find(|i| i.id == "17.6")
        .unwrap();
    assert_eq!(
        (hygiene.numerator, hygiene.denominator),
        (Some(2.0), Some(3.0))
    );

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

/// Thiện Kế into Sơn Thủy, then Sơn Thủy into a larger commune: a phone of Thiện Kế that never
/// synced in between ends in the last, with its records.
async fn a_phone_moves_through_two_mergers_at_once(backend: Backend) {
    const LAST: &str = "xa-lon";
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    create_demo_commune(&admin).await;
    create_new_commune(&admin, NEW).await;
    create_new_commune(&admin, LAST).await;
    let a = TestPhone::enroll(
        &server.base,
        &enrollment_code(&admin, OLD, Role::Enumerator).await,
        test_options(),
    )
    .await;
    let h = a
        .store
        .create(household_draft("TK01-001", "thien-ke-01"))
        .unwrap();
    record_merger(&admin, "2025-07-01", OLD, NEW).await;
    record_merger(&admin, "2026-01-01", NEW, LAST).await;
    a.sync().await.unwrap();
    assert_eq!(
        a.store.enrollment().unwrap().unwrap().commune.id.as_str(),
        LAST
    );
    assert!(a.store.outbox().unwrap().is_empty());
    let b = TestPhone::enroll(
        &server.base,
        &enrollment_code(&admin, LAST, Role::Enumerator).await,
        test_options(),
    )
    .await;
    b.sync().await.unwrap();
    assert!(
        b.store.version(h.version_id).unwrap().is_some(),
        "a phone of the last commune gets Thiện Kế's household"
    );
}

on_both_backends!(
    a_phone_of_a_merged_commune_moves_into_the_new_one_with_everything_it_saved,
    a_phone_moves_through_two_mergers_at_once,
);
