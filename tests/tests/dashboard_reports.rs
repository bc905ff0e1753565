//! The period report (XLSX, read back with calamine), CSV per kind and GeoJSON, downloaded from
//! the real server's API with a bearer token or a dashboard session, on SQLite and on PostgreSQL.

mod dashboard_common;

use dashboard_common::{check_q1_2020_report, read_xlsx, world_on, Browser, OFFICER, OTHER};
use ntm_tests::server::{Api, Backend};
use serde_json::Value;

async fn download(api: &Api, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = api
        .request(reqwest::Method::GET, path)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

async fn quarterly_xlsx_report_is_in_vietnamese_with_the_change_over_the_period(backend: Backend) {
    let w = world_on(backend).await;
    let (status, headers, bytes) = download(
        &w.admin,
        "/api/v1/communes/thien-ke/export/xlsx?period=2020-Q1",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"bao-cao-ntm-thien-ke-2020-Q1.xlsx\""
    );
    let card = w
        .admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2020-03-31")
        .await;
    // The sign's conflict is open.
    check_q1_2020_report(&bytes, card.body["criteria_met"].as_u64().unwrap(), 1);

    // A month: February has the baseline and nothing of March.
    let (status, _, bytes) = download(
        &w.admin,
        "/api/v1/communes/thien-ke/export/xlsx?period=2020-02",
    )
    .await;
    assert_eq!(status, 200);
    let sheets = read_xlsx(&bytes);
    let ind = &sheets[1].1;
    let road = ind.row_where(0, "2.4");
    assert_eq!(
        dashboard_common::number(&road[ind.column(0, "Giá trị đầu kỳ")]),
        24.62
    );
    assert_eq!(
        dashboard_common::number(&road[ind.column(0, "Giá trị cuối kỳ")]),
        24.62
    );
    assert_eq!(
        dashboard_common::number(&road[ind.column(0, "Thay đổi trong kỳ")]),
        0.0
    );
    let roads = &sheets[3].1;
    assert_eq!(
        roads.rows.len(),
        5,
        "at the end of February only the demo's four planned roads, none of the phones'"
    );
    let status = roads.column(0, "Tình trạng");
    assert!(
        roads.rows[1..]
            .iter()
            .all(|r| dashboard_common::text_is(&r[status], "kế hoạch")),
        "{:?}",
        roads.rows
    );
    for bad in ["2020-13", "2020-Q5", "Q1", "2020-1"] {
        assert_eq!(
            w.admin
                .get(&format!(
                    "/api/v1/communes/thien-ke/export/xlsx?period={bad}"
                ))
                .await
                .status,
            400,
            "{bad}"
        );
    }
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

async fn csv_per_kind_lists_the_current_records(backend: Backend) {
    let w = world_on(backend).await;
    let get = |kind: &'static str| {
        let api = w.admin.clone();
        async move {
            let (status, headers, bytes) = download(
                &api,
                &format!("/api/v1/communes/thien-ke/export/csv?kind={kind}&as_of=2020-03-31"),
            )
            .await;
            assert_eq!(status, 200, "{kind}");
            assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
            csv_rows(&bytes)
        }
    };
    let (header, roads) = get("road_segment").await;
    assert_eq!(
        roads.len(),
        6,
        "the phones' two segments and the demo's four planned ones"
    );
    let class = header.iter().position(|h| h == "road_class").unwrap();
    let length = header.iter().position(|h| h == "length_m").unwrap();
    let status = header.iter().position(|h| h == "status").unwrap();
    let field = roads
        .iter()
        .find(|r| r[class] == "field_main" && r[status] == "completed")
        .unwrap();
    assert!((field[length].parse::<f64>().unwrap() - 500.0).abs() < 5.0);
    assert_eq!(get("trash_sign").await.1.len(), 10);
    assert_eq!(get("household_check").await.1.len(), 1);
    assert_eq!(get("household").await.1.len(), 140);
    let (header, indicators) = get("indicators").await;
    let id = header.iter().position(|h| h == "indicator_id").unwrap();
    let value = header.iter().position(|h| h == "value").unwrap();
    assert_eq!(
        indicators.iter().find(|r| r[id] == "2.4").unwrap()[value],
        "26.54"
    );
    assert_eq!(get("villages").await.1.len(), 14);
    // Before the phones recorded theirs: only the demo's planned roads (15/02/2020).
    let (code, _, bytes) = download(
        &w.admin,
        "/api/v1/communes/thien-ke/export/csv?kind=road_segment&as_of=2020-02-29",
    )
    .await;
    let (_, before) = csv_rows(&bytes);
    assert_eq!((code, before.len()), (200, 4));
    assert!(before.iter().all(|r| r[status] == "planned"), "{before:?}");
    assert_eq!(
        w.admin
            .get("/api/v1/communes/thien-ke/export/csv?kind=photos")
            .await
            .status,
        400
    );
}

async fn geojson_has_tracks_as_linestrings_and_signs_as_points_in_lon_lat_order(backend: Backend) {
    let w = world_on(backend).await;
    let (status, headers, bytes) =
        download(&w.admin, "/api/v1/communes/thien-ke/export/geojson").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/geo+json");
    let fc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    let lines: Vec<&Value> = features
        .iter()
        .filter(|f| f["geometry"]["type"] == "LineString")
        .collect();
    let points: Vec<&Value> = features
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .collect();
    assert_eq!(
        (lines.len(), points.len()),
        (6, 10),
        "the phones' roads and signs and the demo's"
    );
    let road = lines
        .iter()
        .find(|f| f["properties"]["entity_id"] == w.road.entity_id.to_string())
        .unwrap();
    assert_eq!(road["properties"]["hardened"], true, "completed, concrete");
    let planned: Vec<_> = lines
        .iter()
        .filter(|f| f["properties"]["status"] == "planned")
        .collect();
    assert_eq!(
        planned.len(),
        5,
        "the demo's four and the phone's earth road"
    );
    assert!(
        planned.iter().all(|f| f["properties"]["hardened"] == false),
        "a planned concrete road is not hardened yet"
    );
    let first = &road["geometry"]["coordinates"][0];
    assert!(
        (first[0].as_f64().unwrap() - 105.30).abs() < 1e-6,
        "longitude first: {first}"
    );
    assert!(
        (first[1].as_f64().unwrap() - 21.78).abs() < 1e-6,
        "then latitude: {first}"
    );
    let p = &road["properties"];
    assert_eq!(
        (
            p["class"].as_str(),
            p["surface"].as_str(),
            p["status"].as_str(),
            p["village"].as_str()
        ),
        (
            Some("field_main"),
            Some("concrete"),
            Some("completed"),
            Some("thien-ke-03")
        )
    );
    assert!((p["length_m"].as_f64().unwrap() - 500.0).abs() < 5.0);
    let sign = points
        .iter()
        .find(|f| f["properties"]["entity_id"] == w.far_sign.entity_id.to_string())
        .unwrap();
    assert_eq!(
        sign["geometry"]["coordinates"],
        serde_json::json!([105.33, 21.78])
    );
    assert_eq!(sign["properties"]["photos"], 1);
}

async fn exports_need_a_token_or_a_session_and_stay_in_scope(backend: Backend) {
    let w = world_on(backend).await;
    let anonymous = Api::new(&w.server.base);
    assert_eq!(
        anonymous
            .get("/api/v1/communes/thien-ke/export/geojson")
            .await
            .status,
        401
    );
    let other = Api::login(&w.server.base, OTHER.0, OTHER.1).await;
    assert_eq!(
        other
            .get("/api/v1/communes/thien-ke/export/geojson")
            .await
            .status,
        403
    );
    assert_eq!(
        other
            .get("/api/v1/communes/thien-ke/export/csv?kind=household")
            .await
            .status,
        403
    );
    let device = w.spare.api.clone();
    let (status, _, _) = download(
        &device,
        "/api/v1/communes/thien-ke/export/csv?kind=household",
    )
    .await;
    assert_eq!(status, 200, "a device of the commune reads its data");
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let page = b
        .get("/api/v1/communes/thien-ke/export/xlsx?period=2020-Q1")
        .await;
    assert_eq!(page.status, 200, "a dashboard session downloads too");
    let forged = Api::new(&w.server.base).with_token("ntmu_not-a-session");
    assert_eq!(
        forged
            .get("/api/v1/communes/thien-ke/export/geojson")
            .await
            .status,
        401
    );
}

/// Issue 12 item 15 through HTTP: a household whose head's name a phone typed as a formula
/// exports as text, so a spreadsheet opening the CSV runs nothing.
async fn a_formula_typed_on_a_phone_exports_as_text_not_as_a_formula(backend: Backend) {
    let mut w = world_on(backend).await;
    let mut household = w.spare.household("thien-ke-02", "TK02-777", 3);
    if let ntm_field::record::Body::Household(h) = &mut household.body {
        h.head_name = "=HYPERLINK(\"http://x.example\",\"bấm\")".into();
        h.address = "+84 912 345 678".into();
    }
    w.spare.push_ok(&[household]).await;
    let (status, _, bytes) = download(
        &w.admin,
        "/api/v1/communes/thien-ke/export/csv?kind=household",
    )
    .await;
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).unwrap();
    let row = text.lines().find(|l| l.contains("TK02-777")).unwrap();
    assert!(row.contains("'=HYPERLINK("), "{row}");
    assert!(row.contains("'+84 912 345 678"), "{row}");
    assert!(
        !row.contains(",=HYPERLINK") && !row.contains("\"=HYPERLINK"),
        "{row}"
    );
}

async fn the_exports_are_described_in_the_openapi_document(backend: Backend) {
    let w = world_on(backend).await;
    let doc = Api::new(&w.server.base).get("/api/openapi.json").await;
    assert_eq!(doc.status, 200);
    for path in [
        "/api/v1/communes/{id}/export/xlsx",
        "/api/v1/communes/{id}/export/csv",
        "/api/v1/communes/{id}/export/geojson",
    ] {
        assert!(
            doc.body["paths"][path]["get"].is_object(),
            "{path} is described"
        );
    }
}

async fn a_commune_of_more_entities_than_a_page_exports_and_lists_every_household_once(
    backend: Backend,
) {
    let mut w = world_on(backend).await;
    // 300 more households than the demo's 140: the server reads a commune in pages of 256
    // entities, so these span several pages.
    let added: Vec<_> = (1..=300)
        .map(|n| w.spare.household("thien-ke-02", &format!("X{n:03}"), 3))
        .collect();
    for chunk in added.chunks(100) {
        w.spare.push_ok(chunk).await;
    }
    let last = added.last().unwrap().clone();
    let check = w.spare.check(&last, "2020-03-20T09:00:00+07:00", true);
    w.spare.push_ok(&[check]).await;

    let (status, _, bytes) = download(
        &w.admin,
        "/api/v1/communes/thien-ke/export/csv?kind=household&as_of=2020-03-31",
    )
    .await;
    assert_eq!(status, 200);
    let (header, rows) = csv_rows(&bytes);
    assert_eq!(rows.len(), 140 + 300);
    let code = header.iter().position(|h| h == "code").unwrap();
    let mut codes: Vec<&str> = rows.iter().map(|r| r[code].as_str()).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 440, "every household once");

    let mut b = Browser::login(&w.server.base, OFFICER).await;
    // The check's household is named from wherever it sits in the commune's pages.
    let checks = b
        .get("/dashboard/c/thien-ke/records?kind=household_check")
        .await;
    assert!(
        checks.text().contains("X300 – Chủ hộ X300"),
        "{}",
        checks.text()
    );
    let conflicts = b.get("/dashboard/c/thien-ke/conflicts").await;
    assert_eq!(
        conflicts
            .body
            .matches(&format!("data-entity=\"{}\"", w.conflict_entity))
            .count(),
        1
    );
}

ntm_tests::on_both_backends!(
    quarterly_xlsx_report_is_in_vietnamese_with_the_change_over_the_period,
    csv_per_kind_lists_the_current_records,
    geojson_has_tracks_as_linestrings_and_signs_as_points_in_lon_lat_order,
    exports_need_a_token_or_a_session_and_stay_in_scope,
    the_exports_are_described_in_the_openapi_document,
    a_commune_of_more_entities_than_a_page_exports_and_lists_every_household_once,
    a_formula_typed_on_a_phone_exports_as_text_not_as_a_formula,
);
