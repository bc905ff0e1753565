//! The Thiện Kế plan over HTTP against the real server: a commune is created, an officer's and
//! an enumerator's phones enroll and send what the plan describes, and the scorecard shows the
//! plan's numbers and moves as the roads are built. Also R1: a replayed push is stored once.

use ntm_field::record::{RoadStatus, Works};
use ntm_tests::server::indicator;
use ntm_tests::server::{Api, Backend, TestServer};
use ntm_tests::server_records::*;
use serde_json::{json, Value};

async fn code(admin: &Api, commune: &str, role: &str, holder: Option<&str>) -> String {
    let mut body = json!({"role": role, "expires_in_hours": 24});
    if let Some(h) = holder {
        body["holder"] = json!(h);
    }
    let r = admin
        .post(&format!("/api/v1/communes/{commune}/enrollments"), &body)
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["code"].as_str().unwrap().to_owned()
}

fn measure<'a>(card: &'a Value, id: &str) -> &'a Value {
    card["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap()
}

async fn thien_ke_plan_over_http_shows_24_62_percent_then_51_15_percent_of_field_roads(
    backend: Backend,
) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;

    // The commune, its province's 50 % target for 2.4, a village quota.
    let r = admin
        .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["villages"].as_array().unwrap().len(), 14);
    let r = admin
        .put(
            "/api/v1/provinces/Tuy%C3%AAn%20Quang/targets/2.4",
            &json!({"threshold": 50.0, "source": "UBND tỉnh Tuyên Quang"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = admin
        .put(
            "/api/v1/communes/thien-ke/quotas/thien-ke-01/field_road_km",
            &json!({"target": 0.5, "since": "2020-01-01"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let detail = admin.get("/api/v1/communes/thien-ke").await;
    assert_eq!(detail.body["province_targets"]["2.4"]["threshold"], 50.0);
    assert_eq!(detail.body["quotas"][0]["measure"], "field_road_km");

    // An officer's phone and an enumerator's phone.
    let mut officer = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "officer", Some("Dương Đăng Lâm")).await,
        "officer phone",
    )
    .await;
    let mut enumerator = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator", None).await,
        "thôn 1 phone",
    )
    .await;

    // The plan's baselines.
    let baselines = vec![
        officer.assessment(
            "2.4",
            "2020-01-01",
            (Some(6.4), Some(26.0), None),
            "2020-02-15T08:00:00+07:00",
        ),
        officer.assessment(
            "15.1",
            "2020-01-01",
            (None, None, Some(90.5)),
            "2020-02-15T08:00:00+07:00",
        ),
        officer.assessment(
            "15.3",
            "2020-01-01",
            (None, None, Some(12.8)),
            "2020-02-15T08:00:00+07:00",
        ),
    ];
    let r = officer.push_ok(&baselines).await;
    assert_eq!(r.body["acked_through_seq"], 3);

    // Households of thôn 1, checked; a sign with its photo; roads planned and under way.
    let households: Vec<_> = (0..10)
        .map(|i| enumerator.household("thien-ke-01", &format!("T1-{i:02}"), 4))
        .collect();
    enumerator.push_ok(&households).await;
    let checks: Vec<_> = households
        .iter()
        .enumerate()
        .map(|(i, h)| enumerator.check(h, &format!("2020-03-0{}T09:00:00+07:00", 1 + i % 5), i < 7))
        .collect();
    enumerator.push_ok(&checks).await;
    let photo = fake_photo(1, 150_000);
    let photo_id = tus_upload(&enumerator.api, &photo, 64 << 10).await;
    let sign = enumerator.sign("thien-ke-01", "2020-03-05T10:00:00+07:00", vec![photo_id]);
    let planned = officer.road(
        "thien-ke-02",
        1200.0,
        "2020-03-06T08:00:00+07:00",
        RoadStatus::Planned,
        Works::Upgrade,
    );
    let underway = officer.road(
        "thien-ke-03",
        800.0,
        "2020-03-07T08:00:00+07:00",
        RoadStatus::UnderConstruction,
        Works::Upgrade,
    );
    enumerator.push_ok(&[sign]).await;
    officer.push_ok(&[planned, underway]).await;

    // The plan's figures: 6.4 of 26.0 km = 24.62 %, 6.6 km short of the province's 50 %.
    let card = admin.get("/api/v1/communes/thien-ke/scorecard").await;
    assert_eq!(card.status, 200);
    assert_eq!(card.header("x-scorecard-source"), Some("incremental"));
    let roads = indicator(&card.body, "2.4");
    assert_eq!(
        (
            roads["numerator"].as_f64(),
            roads["denominator"].as_f64(),
            roads["value"].as_f64()
        ),
        (Some(6.4), Some(26.0), Some(24.62))
    );
    assert_eq!(
        (
            roads["threshold"].as_f64(),
            roads["threshold_source"].as_str()
        ),
        (Some(50.0), Some("province"))
    );
    assert_eq!(
        (
            roads["met"].as_bool(),
            roads["gap"].as_f64(),
            roads["gap_unit"].as_str()
        ),
        (Some(false), Some(6.6), Some("km"))
    );
    assert_eq!(indicator(&card.body, "15.1")["value"].as_f64(), Some(90.5));
    assert_eq!(indicator(&card.body, "15.3")["value"].as_f64(), Some(12.8));
    let sanitation = indicator(&card.body, "17.6");
    assert_eq!(
        (
            sanitation["numerator"].as_f64(),
            sanitation["denominator"].as_f64()
        ),
        (Some(7.0), Some(10.0))
    );
    assert_eq!(
        measure(&card.body, "signs_placed")["value"].as_f64(),
        Some(1.0)
    );

    // The officer records the 6.9 km the plan builds, completed upgrades of field roads.
    let built = vec![
        officer.road(
            "thien-ke-01",
            2500.0,
            "2020-04-10T08:00:00+07:00",
            RoadStatus::Completed,
            Works::Upgrade,
        ),
        officer.road(
            "thien-ke-02",
            2400.0,
            "2020-05-10T08:00:00+07:00",
            RoadStatus::Completed,
            Works::Upgrade,
        ),
        officer.road(
            "thien-ke-03",
            2000.0,
            "2020-06-10T08:00:00+07:00",
            RoadStatus::Completed,
            Works::Upgrade,
        ),
    ];
    officer.push_ok(&built).await;
    let card = admin.get("/api/v1/communes/thien-ke/scorecard").await;
    let roads = indicator(&card.body, "2.4");
    assert_eq!(
        (roads["numerator"].as_f64(), roads["value"].as_f64()),
        (Some(13.3), Some(51.15))
    );
    assert_eq!(
        (roads["met"].as_bool(), roads["gap"].as_f64()),
        (Some(true), Some(0.0))
    );
    let field_km = measure(&card.body, "field_road_km");
    let v1 = field_km["villages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["village_id"] == "thien-ke-01")
        .unwrap();
    assert_eq!(
        (v1["value"].as_f64(), v1["quota"].as_f64()),
        (Some(2.5), Some(0.5))
    );

    // As of a past date the server recomputes from the records: only the first road by then.
    let past = admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2020-04-30")
        .await;
    assert_eq!(past.header("x-scorecard-source"), Some("recompute"));
    assert_eq!(
        indicator(&past.body, "2.4")["numerator"].as_f64(),
        Some(8.9)
    );
    // Today's date and the latest capture date give the same card, from facts and recomputed.
    let june = admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2020-06-10")
        .await;
    let today = admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2020-06-09")
        .await;
    assert_eq!(june.header("x-scorecard-source"), Some("incremental"));
    assert_eq!(today.header("x-scorecard-source"), Some("recompute"));
    assert_eq!(
        indicator(&june.body, "2.4")["numerator"].as_f64(),
        Some(13.3)
    );

    // Authors come from the enrollment; the photo is served to the commune.
    let records = admin
        .get("/api/v1/communes/thien-ke/records?kind=road_segment&village_id=thien-ke-01")
        .await;
    assert_eq!(records.status, 200);
    let roads_t1 = records.body["records"].as_array().unwrap();
    assert_eq!(roads_t1.len(), 1);
    assert_eq!(roads_t1[0]["author"], "Dương Đăng Lâm");
    let got = officer
        .api
        .request(reqwest::Method::GET, &format!("/api/v1/blobs/{photo_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), &photo[..]);

    // The incremental totals equal a full recompute by the core.
    let out = server.cli(&["recompute", "--commune", "thien-ke"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "recompute: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("incremental totals agree"), "{text}");
}

async fn replayed_push_gets_identical_answers_and_is_stored_once(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    assert_eq!(
        admin
            .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
            .await
            .status,
        201
    );
    let mut phone = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator", None).await,
        "phone",
    )
    .await;
    let households: Vec<_> = (0..5)
        .map(|i| phone.household("thien-ke-02", &format!("H{i}"), 3))
        .collect();
    let checks: Vec<_> = households
        .iter()
        .map(|h| phone.check(h, "2020-03-01T08:00:00+07:00", true))
        .collect();
    let mut batch = households.clone();
    batch.extend(checks);
    let body = phone.push_body(&batch);

    let first = phone.api.post("/api/v1/sync/push", &body).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["acked_through_seq"], 10);
    for _ in 0..10 {
        let again = phone.api.post("/api/v1/sync/push", &body).await;
        assert_eq!(
            (again.status, &again.body),
            (200, &first.body),
            "a serial replay answers the same"
        );
    }
    let concurrent: Vec<_> = (0..10)
        .map(|_| {
            let api = phone.api.clone();
            let body = body.clone();
            tokio::spawn(async move { api.post("/api/v1/sync/push", &body).await })
        })
        .collect();
    for h in concurrent {
        let r = h.await.unwrap();
        assert_eq!(
            (r.status, &r.body),
            (200, &first.body),
            "a concurrent replay answers the same"
        );
    }

    // Ten replays concurrently of a *new* batch: one stores, all answer the same.
    let more: Vec<_> = (5..8)
        .map(|i| phone.household("thien-ke-02", &format!("H{i}"), 3))
        .collect();
    let body = phone.push_body(&more);
    let answers: Vec<_> = (0..10)
        .map(|_| {
            let api = phone.api.clone();
            let body = body.clone();
            tokio::spawn(async move { api.post("/api/v1/sync/push", &body).await })
        })
        .collect();
    let mut replies = Vec::new();
    for h in answers {
        replies.push(h.await.unwrap());
    }
    for r in &replies {
        assert_eq!(
            (r.status, &r.body["results"]),
            (200, &replies[0].body["results"])
        );
        assert_eq!(r.body["acked_through_seq"], 13);
    }
    assert!(replies[0].body["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "stored"));

    let stored = phone.pull_all(500).await;
    assert_eq!(stored.len(), 13, "every version once");
    let mut ids: Vec<_> = stored
        .iter()
        .map(|v| v["version_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 13);
    let status = phone.api.get("/api/v1/sync/status").await;
    assert_eq!(
        (
            status.body["acked_through_seq"].as_u64(),
            status.body["server_head"].as_u64()
        ),
        (Some(13), Some(13))
    );
}

async fn cbor_and_zstd_pushes_store_the_same_as_json(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    assert_eq!(
        admin
            .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
            .await
            .status,
        201
    );
    let mut phone = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator", None).await,
        "phone",
    )
    .await;
    let households: Vec<_> = (0..3)
        .map(|i| phone.household("thien-ke-02", &format!("H{i}"), 3))
        .collect();
    let mut cbor = Vec::new();
    ciborium::into_writer(&phone.push_body(&households[..2]), &mut cbor).unwrap();
    let r = phone
        .api
        .post_raw(
            "/api/v1/sync/push",
            zstd::encode_all(&cbor[..], 3).unwrap(),
            "application/cbor",
            Some("zstd"),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["acked_through_seq"], 2);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        serde_json::to_vec(&phone.push_body(&households[2..]))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let r = phone
        .api
        .post_raw(
            "/api/v1/sync/push",
            gz.finish().unwrap(),
            "application/json",
            Some("gzip"),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let stored = phone.pull_all(2).await;
    assert_eq!(stored.len(), 3);
    for (sent, got) in households.iter().zip(&stored) {
        assert_eq!(got["version_id"], sent.version_id.to_string());
        assert_eq!(got["body"], serde_json::to_value(&sent.body).unwrap());
    }
}

/// Item 8 of issue 12: a copy of a phone (a restored backup, a cloned handset) that saved
/// another version under a sequence number the original already sent is told so with a 409,
/// never acknowledged for a version the server does not hold.
async fn a_copied_phone_reusing_a_sequence_is_told_to_enroll_again_not_acked(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let r = admin
        .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut original = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator", None).await,
        "phone",
    )
    .await;
    let sent = original.household("thien-ke-01", "TK01-001", 4);
    original.push_ok(std::slice::from_ref(&sent)).await;
    let mut copy = FieldDevice {
        device_id: original.device_id,
        token: original.token.clone(),
        commune: original.commune.clone(),
        api: Api::new(&server.base).with_token(&original.token),
        seq: 0,
    };
    let other = copy.household("thien-ke-01", "TK01-002", 5);
    let next = copy.household("thien-ke-01", "TK01-003", 6);
    let r = copy.push(&[other, next]).await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(r.code(), "sequence_reused", "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "versions[0].device_seq");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("device_seq 1") && message.contains("enroll"),
        "{message}"
    );
    let held = original.pull_all(100).await;
    assert_eq!(held.len(), 1, "nothing of the copy's push was stored");
    assert_eq!(held[0]["version_id"], sent.version_id.to_string());
    let status = original.api.get("/api/v1/sync/status").await;
    assert_eq!(status.body["acked_through_seq"], 1, "{:?}", status.body);
    // The original's own retry still gets its recorded answer.
    original.push_ok(&[sent]).await;
}

/// Item 10 of issue 12: a phone whose clock is years ahead is flagged, and the commune's
/// scorecard for today still comes from the incremental facts, not a recompute of everything.
async fn a_phone_clock_years_ahead_is_flagged_and_leaves_todays_scorecard_incremental(
    backend: Backend,
) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let r = admin
        .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut phone = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator", None).await,
        "phone",
    )
    .await;
    let today = phone.household("thien-ke-01", "TK01-001", 4);
    let body = ntm_field::record::Body::Household(ntm_field::record::Household {
        code: "TK01-002".into(),
        head_name: "Chủ hộ".into(),
        members: 3,
        address: String::new(),
    });
    let ahead = phone.write(
        uuid::Uuid::now_v7(),
        vec![],
        Some("thien-ke-01"),
        "2099-06-01T08:00:00+07:00",
        body,
    );
    phone.push_ok(&[today, ahead.clone()]).await;
    let held = phone.pull_all(100).await;
    let stored = held
        .iter()
        .find(|v| v["version_id"] == ahead.version_id.to_string())
        .unwrap();
    assert_eq!(stored["flags"], json!(["clock_ahead"]), "{stored}");
    let r = admin.get("/api/v1/communes/thien-ke/scorecard").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("x-scorecard-source"), Some("incremental"));
    // A past date still recomputes, as before.
    let r = admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2020-01-04")
        .await;
    assert_eq!(r.header("x-scorecard-source"), Some("recompute"));
}

/// Item 12 of issue 12: a commune of long roads (17,500 points each, 1.6 MB stored) comes back
/// in pages of a few megabytes however large a `limit` the phone or the dashboard asks for, and
/// the pages together hold every version once.
async fn long_tracks_come_back_in_pages_of_a_few_megabytes_and_none_is_missed(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let r = admin
        .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut phone = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator", None).await,
        "phone",
    )
    .await;
    let mut sent = Vec::new();
    for day in 1..=6 {
        let road = phone.road(
            "thien-ke-01",
            140_000.0,
            &format!("2020-03-{day:02}T06:00:00+07:00"),
            RoadStatus::Completed,
            Works::Upgrade,
        );
        phone.push_ok(std::slice::from_ref(&road)).await;
        sent.push(road.version_id.to_string());
    }
    let mut pulled = Vec::new();
    let mut pages = 0;
    let mut cursor = 0u64;
    loop {
        let r = phone
            .api
            .get(&format!("/api/v1/sync/pull?cursor={cursor}&limit=1000"))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body["error"]);
        let versions = r.body["versions"].as_array().unwrap();
        assert!(
            !versions.is_empty() && versions.len() <= 3,
            "a page of {} roads",
            versions.len()
        );
        pulled.extend(
            versions
                .iter()
                .map(|v| v["version_id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        cursor = r.body["next_cursor"].as_u64().unwrap();
        if r.body["up_to_date"].as_bool().unwrap() {
            break;
        }
    }
    assert!(pages >= 2, "{pages} pages");
    assert_eq!(pulled, sent, "every version once, in server order");

    let mut listed = Vec::new();
    let mut path = "/api/v1/communes/thien-ke/records?kind=road_segment&limit=1000".to_owned();
    loop {
        let r = admin.get(&path).await;
        assert_eq!(r.status, 200, "{:?}", r.body["error"]);
        let records = r.body["records"].as_array().unwrap();
        assert!(!records.is_empty() && records.len() <= 3);
        listed.extend(
            records
                .iter()
                .map(|v| v["version_id"].as_str().unwrap().to_owned()),
        );
        match r.body["next_cursor"].as_u64() {
            Some(next) => {
                path = format!(
                    "/api/v1/communes/thien-ke/records?kind=road_segment&limit=1000&cursor={next}"
                )
            }
            None => break,
        }
    }
    assert_eq!(listed, sent);
}

ntm_tests::on_both_backends!(
    long_tracks_come_back_in_pages_of_a_few_megabytes_and_none_is_missed,
    a_copied_phone_reusing_a_sequence_is_told_to_enroll_again_not_acked,
    a_phone_clock_years_ahead_is_flagged_and_leaves_todays_scorecard_incremental,
    thien_ke_plan_over_http_shows_24_62_percent_then_51_15_percent_of_field_roads,
    replayed_push_gets_identical_answers_and_is_stored_once,
    cbor_and_zstd_pushes_store_the_same_as_json,
);
