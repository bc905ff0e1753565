//! Criteria editions over HTTP against the real server on SQLite and PostgreSQL: the scorecard
//! names the edition that applies on its date, a commune under 51/2025 without a group is
//! refused with what to set, and a province's set loads as TOML (a broken row reported by row
//! and field) and then gives that edition's threshold.

use ntm_tests::server::indicator;
use ntm_tests::server::{Api, Backend, TestServer};
use ntm_tests::server_records::*;
use serde_json::json;

const SET: &str = r#"
province = "Tuyên Quang"
edition = "ntm-2021"
version = 1
decision = "Quyết định 999/QĐ-UBND (minh họa)"
issued_on = "2022-09-15"
applies_from = "2022-10-01"

[[targets]]
indicator = "2.4"
threshold = 70.0
"#;

async fn a_scorecard_for_a_date_in_each_period_names_its_edition_and_refuses_without_a_group(
    backend: Backend,
) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let r = admin
        .post("/api/v1/communes", &commune_json("son-thuy", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);

    // Set up without edition settings: assessed under 1980 as before, and the card says why.
    let card = admin.get("/api/v1/communes/son-thuy/scorecard").await;
    assert_eq!(card.status, 200, "{:?}", card.body);
    assert_eq!(card.body["edition"]["decision"], "1980/QĐ-TTg");
    assert_eq!(card.body["edition"]["chosen"]["by"], "open_dossier");

    // Its dossier closed; its group for 51/2025 not yet decided.
    let r = admin
        .put(
            "/api/v1/communes/son-thuy/editions",
            &json!({"regions": [{"value": "TDMNPB", "from": "2016-01-01", "source": "tỉnh Tuyên Quang cũ"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let at = |d: &str| format!("/api/v1/communes/son-thuy/scorecard?as_of={d}");
    let c2020 = admin.get(&at("2020-06-30")).await.body;
    assert_eq!(
        (
            c2020["edition"]["key"].clone(),
            c2020["criteria_total"].clone()
        ),
        (json!("ntm-2016"), json!(19))
    );
    let c2024 = admin.get(&at("2024-06-30")).await.body;
    assert_eq!(
        (
            c2024["edition"]["key"].clone(),
            c2024["criteria_total"].clone()
        ),
        (json!("ntm-2021"), json!(19))
    );
    let refused = admin.get(&at("2026-06-30")).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "commune_group_missing");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hãy đặt nhóm xã"),
        "{:?}",
        refused.body
    );

    // With its group, 51/2025 scores N/10.
    let r = admin
        .put(
            "/api/v1/communes/son-thuy/editions",
            &json!({"groups": [{"value": "G3", "from": "2026-02-15", "source": "QĐ của UBND tỉnh (minh họa)"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let c2026 = admin.get(&at("2026-06-30")).await.body;
    assert_eq!(
        (
            c2026["edition"]["decision"].clone(),
            c2026["criteria_total"].clone()
        ),
        (json!("51/2025/QĐ-TTg"), json!(10))
    );
    assert_eq!(c2026["edition"]["column"], json!({"group": "G3"}));
}

async fn a_province_set_loads_from_toml_and_a_broken_row_is_reported_by_row_and_field(
    backend: Backend,
) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let r = admin
        .post("/api/v1/communes", &commune_json("son-thuy", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    // No open dossier: 2024 is scored under 318, the edition in force.
    let r = admin
        .put("/api/v1/communes/son-thuy/editions", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let path = "/api/v1/provinces/Tuy%C3%AAn%20Quang/sets";
    let broken = SET.replace("threshold = 70.0", "threshold = 170.0");
    let r = admin
        .post_raw(path, broken.into_bytes(), "application/toml", None)
        .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "threshold", "{:?}", r.body);
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("row 1, threshold"));

    let r = admin
        .post_raw(path, SET.as_bytes().to_vec(), "application/toml", None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["targets"], 1);
    let again = admin
        .post_raw(path, SET.as_bytes().to_vec(), "application/toml", None)
        .await;
    assert_eq!(again.status, 409, "a loaded version is never replaced");

    let card = admin
        .get("/api/v1/communes/son-thuy/scorecard?as_of=2024-06-30")
        .await
        .body;
    let roads = indicator(&card, "2.4");
    assert_eq!(
        (
            roads["threshold"].clone(),
            roads["threshold_source"].clone()
        ),
        (json!(70.0), json!("province"))
    );
}

ntm_tests::on_both_backends!(
    a_scorecard_for_a_date_in_each_period_names_its_edition_and_refuses_without_a_group,
    a_province_set_loads_from_toml_and_a_broken_row_is_reported_by_row_and_field,
);
