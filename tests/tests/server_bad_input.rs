//! Every malformed, oversized or hostile input of quality.md gets a clear 4xx JSON error and
//! changes nothing; a device or user reads and writes only its own commune, both ways; no token
//! or a revoked one is refused; login and enrollment attempts are rate-limited.

use std::io::Write;

use ntm_field::ids::PhotoId;
use ntm_field::record::{Body, RoadStatus, Works};
use ntm_tests::server::{raw_http, Api, Backend, Reply, TestServer};
use ntm_tests::server_records::*;
use serde_json::{json, Value};

async fn code(admin: &Api, commune: &str, role: &str) -> String {
    let r = admin
        .post(
            &format!("/api/v1/communes/{commune}/enrollments"),
            &json!({"role": role, "expires_in_hours": 24}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["code"].as_str().unwrap().to_owned()
}

/// What "nothing changed" compares: every version, the device's status, the scorecard.
async fn snapshot(phone: &FieldDevice, admin: &Api) -> (Vec<Value>, Value, Value) {
    let versions = phone.pull_all(1000).await;
    let status = phone.api.get("/api/v1/sync/status").await.body;
    let card = admin.get("/api/v1/communes/thien-ke/scorecard").await.body;
    (versions, status, card)
}

fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    assert_eq!(r.code(), code, "{:?}", r.body);
    assert!(
        !r.body["error"]["message"].as_str().unwrap_or("").is_empty(),
        "a message says what to do: {:?}",
        r.body
    );
}

async fn bad_pushes_get_4xx_and_change_nothing(backend: Backend) {
    let server = TestServer::start_with_on(backend, &["--request-timeout-secs", "2"]);
    let admin = Api::admin(&server).await;
    assert_eq!(
        admin
            .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
            .await
            .status,
        201
    );
    assert_eq!(
        admin
            .post("/api/v1/communes", &commune_json("ha-giang", "Hà Giang"))
            .await
            .status,
        201
    );
    let mut phone = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator").await,
        "phone",
    )
    .await;
    let households: Vec<_> = (0..3)
        .map(|i| phone.household("thien-ke-01", &format!("H{i}"), 4))
        .collect();
    phone.push_ok(&households).await;
    let before = snapshot(&phone, &admin).await;
    let push = "/api/v1/sync/push";

    // Bad JSON, bad CBOR, wrong types, unknown encodings and types: (body, content type,
    // encoding, status, code, field at fault).
    type Unreadable = (
        Vec<u8>,
        &'static str,
        Option<&'static str>,
        u16,
        &'static str,
        Option<&'static str>,
    );
    let json_of = |v: Value| serde_json::to_vec(&v).unwrap();
    let unreadable: [Unreadable; 7] = [
        (
            b"{\"device_id\": ".to_vec(),
            "application/json",
            None,
            400,
            "invalid_body",
            None,
        ),
        (
            vec![0xbf, 0x61, 0x61],
            "application/cbor",
            None,
            400,
            "invalid_body",
            None,
        ),
        (
            json_of(json!({"device_id": phone.device_id, "first_seq": "four", "versions": []})),
            "application/json",
            None,
            400,
            "invalid_body",
            Some("first_seq"),
        ),
        (
            json_of(json!({"device_id": phone.device_id, "first_seq": 4, "versions": {}})),
            "application/json",
            None,
            400,
            "invalid_body",
            None,
        ),
        (
            b"{}".to_vec(),
            "text/xml",
            None,
            415,
            "unsupported_media_type",
            None,
        ),
        (
            b"{}".to_vec(),
            "application/json",
            Some("br"),
            415,
            "unsupported_media_type",
            None,
        ),
        (
            b"not gzip".to_vec(),
            "application/json",
            Some("gzip"),
            400,
            "bad_encoding",
            None,
        ),
    ];
    for (body, content_type, encoding, status, code, field) in unreadable {
        let r = phone.api.post_raw(push, body, content_type, encoding).await;
        assert_error(&r, status, code);
        if let Some(field) = field {
            assert_eq!(r.body["error"]["field"], field);
        }
    }

    // A gzip bomb and a zstd bomb: small on the wire, 64 MiB inside.
    let inner = {
        let mut v = serde_json::to_vec(
            &json!({"device_id": phone.device_id, "first_seq": 4, "versions": [], "pad": ""}),
        )
        .unwrap();
        v.truncate(v.len() - 2);
        v.extend(std::iter::repeat_n(b' ', 64 << 20));
        v.extend_from_slice(b"\"}");
        v
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&inner).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() < 1 << 20);
    let zs = zstd::encode_all(&inner[..], 19).unwrap();
    assert!(zs.len() < 1 << 20);
    for (bomb, encoding) in [(gz, "gzip"), (zs, "zstd")] {
        assert_error(
            &phone
                .api
                .post_raw(push, bomb, "application/json", Some(encoding))
                .await,
            413,
            "too_large",
        );
    }

    // A road of 1,000,000 track points (compressed to fit the body limit): refused by size.
    let mut road = phone.road(
        "thien-ke-01",
        100.0,
        "2020-03-01T08:00:00+07:00",
        RoadStatus::Completed,
        Works::Upgrade,
    );
    phone.seq -= 1;
    if let Body::RoadSegment(r) = &mut road.body {
        let p = r.track[0];
        r.track = vec![p; 1_000_000];
    }
    let body = serde_json::to_vec(&phone.push_body(std::slice::from_ref(&road))).unwrap();
    assert!(body.len() > 32 << 20);
    let zs = zstd::encode_all(&body[..], 3).unwrap();
    assert_error(
        &phone
            .api
            .post_raw(push, zs, "application/json", Some("zstd"))
            .await,
        413,
        "too_large",
    );

    // A 2 GB body announced by Content-Length: refused before it is read.
    let head = format!(
        "POST {push} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n{{\"device_id\"",
        phone.token
    );
    let (status, body) = raw_http(&server.addr(), head.as_bytes());
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["code"],
        "too_large"
    );
    // A slow client that never finishes its body: cut by the request timeout.
    let head = format!(
        "POST {push} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"device_id\"",
        phone.token
    );
    let (status, body) = raw_http(&server.addr(), head.as_bytes());
    assert_eq!(status, 408, "{body}");

    // Too many versions in one push.
    let many: Vec<_> = (0..1001)
        .map(|i| phone.household("thien-ke-01", &format!("M{i}"), 2))
        .collect();
    phone.seq -= 1001;
    assert_error(
        &phone.api.post(push, &phone.push_body(&many)).await,
        413,
        "too_many_versions",
    );

    // A gap in device_seq: 409 with the expected number.
    let mut later = phone.household("thien-ke-01", "G1", 2);
    phone.seq -= 1;
    later.device_seq = 9;
    let r = phone
        .api
        .post(
            push,
            &json!({"device_id": phone.device_id, "first_seq": 9, "versions": [later]}),
        )
        .await;
    assert_error(&r, 409, "sequence_gap");
    assert_eq!(r.body["expected_seq"], 4);
    // Sequence numbers that are not dense within the push.
    let a = phone.household("thien-ke-01", "D1", 2);
    let mut b = phone.household("thien-ke-01", "D2", 2);
    phone.seq -= 2;
    b.device_seq += 1;
    let r = phone.api.post(push, &phone.push_body(&[a, b])).await;
    assert_error(&r, 400, "bad_sequence");
    assert_eq!(r.body["error"]["field"], "versions[1].device_seq");

    // A version for another commune, or with another device's id: the whole push is refused.
    let good = phone.household("thien-ke-01", "OK1", 2);
    let mut foreign = phone.household("thien-ke-01", "X1", 2);
    phone.seq -= 2;
    foreign.commune_id = ntm_field::ids::Slug::parse("ha-giang").unwrap();
    foreign.village_id = Some(ntm_field::ids::Slug::parse("ha-giang-01").unwrap());
    let r = phone.push(&[good.clone(), foreign]).await;
    assert_error(&r, 403, "forbidden");
    assert_eq!(r.body["error"]["field"], "versions[1].commune_id");
    let mut stolen = phone.household("thien-ke-01", "X2", 2);
    phone.seq -= 1;
    stolen.device_id = uuid::Uuid::now_v7();
    stolen.device_seq = 5;
    assert_error(&phone.push(&[good.clone(), stolen]).await, 403, "forbidden");
    let r = phone
        .api
        .post(
            push,
            &json!({"device_id": uuid::Uuid::now_v7(), "first_seq": 4, "versions": []}),
        )
        .await;
    assert_error(&r, 403, "forbidden");

    assert_eq!(snapshot(&phone, &admin).await, before, "nothing changed");
}

async fn invalid_versions_are_rejected_with_their_reason_and_the_rest_is_stored(backend: Backend) {
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
        &code(&admin, "thien-ke", "enumerator").await,
        "phone",
    )
    .await;
    let card_before = admin.get("/api/v1/communes/thien-ke/scorecard").await.body;

    let household = phone.household("thien-ke-01", "H1", 4);
    let mut unknown_kind = serde_json::to_value(phone.household("thien-ke-01", "H2", 4)).unwrap();
    unknown_kind["kind"] = json!("toilet_selfie");
    let mut far_away = phone.sign("thien-ke-01", "2020-03-01T08:00:00+07:00", vec![]);
    far_away.location.as_mut().unwrap().lat = 200.0;
    let mut long_road = phone.road(
        "thien-ke-01",
        100.0,
        "2020-03-01T08:00:00+07:00",
        RoadStatus::Completed,
        Works::Upgrade,
    );
    if let Body::RoadSegment(r) = &mut long_road.body {
        let p = r.track[0];
        r.track = (0..25_000)
            .map(|i| ntm_field::geo::TrackPoint {
                t: p.t + chrono::Duration::seconds(i),
                ..p
            })
            .collect();
    }
    let mut bad_photo =
        serde_json::to_value(phone.sign("thien-ke-01", "2020-03-01T08:00:00+07:00", vec![]))
            .unwrap();
    bad_photo["photos"] = json!(["not-a-sha256"]);
    let mut wrong_type = serde_json::to_value(phone.household("thien-ke-01", "H3", 4)).unwrap();
    wrong_type["body"]["members"] = json!("four");
    let other_village = {
        let mut v = phone.household("thien-ke-01", "H4", 4);
        v.village_id = Some(ntm_field::ids::Slug::parse("ha-giang-01").unwrap());
        v
    };
    let last = phone.household("thien-ke-01", "H5", 4);
    let versions = vec![
        serde_json::to_value(&household).unwrap(),
        unknown_kind,
        serde_json::to_value(&far_away).unwrap(),
        serde_json::to_value(&long_road).unwrap(),
        bad_photo,
        wrong_type,
        serde_json::to_value(&other_village).unwrap(),
        serde_json::to_value(&last).unwrap(),
    ];
    let r = phone
        .api
        .post(
            "/api/v1/sync/push",
            &json!({"device_id": phone.device_id, "first_seq": 1, "versions": versions}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["acked_through_seq"], 8,
        "rejected versions are answered too, so the queue moves on"
    );
    let results = r.body["results"].as_array().unwrap();
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "stored", "rejected", "rejected", "rejected", "rejected", "rejected", "rejected",
            "stored"
        ]
    );
    let reason = |i: usize| results[i]["reason"].as_str().unwrap().to_owned();
    assert!(reason(1).starts_with("kind:"), "{}", reason(1));
    assert!(
        reason(2).contains("location.lat") && reason(2).contains("-90 and 90"),
        "{}",
        reason(2)
    );
    assert!(
        reason(3).contains("body.track") && reason(3).contains("20000"),
        "{}",
        reason(3)
    );
    assert!(reason(4).starts_with("photos[0]"), "{}", reason(4));
    assert!(reason(5).starts_with("body.members"), "{}", reason(5));
    assert!(reason(6).starts_with("village_id"), "{}", reason(6));

    // The engine's short answer (`Prefer: return=minimal`) to the same push, replayed: only the
    // rejections, with the same reasons, under the same acknowledgement.
    let short = Api::send(
        phone
            .api
            .request(reqwest::Method::POST, "/api/v1/sync/push")
            .header("Prefer", "return=minimal")
            .json(&json!({"device_id": phone.device_id, "first_seq": 1, "versions": versions})),
    )
    .await;
    assert_eq!(short.status, 200, "{:?}", short.body);
    assert_eq!(short.headers["preference-applied"], "return=minimal");
    assert_eq!(short.body["acked_through_seq"], 8);
    let rejected: Vec<&Value> = results
        .iter()
        .filter(|r| r["status"] == "rejected")
        .collect();
    let short_results: Vec<&Value> = short.body["results"].as_array().unwrap().iter().collect();
    assert_eq!(short_results, rejected);

    let stored = phone.pull_all(100).await;
    let ids: Vec<&str> = stored
        .iter()
        .map(|v| v["version_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            household.version_id.to_string(),
            last.version_id.to_string()
        ]
    );
    let card_after = admin.get("/api/v1/communes/thien-ke/scorecard").await.body;
    let coverage = |c: &Value| {
        let i = c["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["indicators"].as_array().unwrap())
            .find(|i| i["id"] == "17.6")
            .unwrap();
        i["coverage"]["registered"].as_u64()
    };
    let signs = |c: &Value| {
        c["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "signs_placed")
            .unwrap()["value"]
            .as_f64()
    };
    assert_eq!(
        (coverage(&card_before), coverage(&card_after)),
        (Some(0), Some(2)),
        "only the two valid households count"
    );
    assert_eq!(
        signs(&card_after),
        Some(0.0),
        "the sign at latitude 200 does not"
    );

    // A known version_id with different content is corrupt; the same content under a new
    // sequence number is a duplicate.
    let mut altered = household.clone();
    altered.device_seq = 9;
    if let Body::Household(h) = &mut altered.body {
        h.members = 9;
    }
    let mut resent = household.clone();
    resent.device_seq = 10;
    let r = phone
        .api
        .post(
            "/api/v1/sync/push",
            &json!({"device_id": phone.device_id, "first_seq": 9, "versions": [altered, resent]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["results"][0]["status"], "rejected");
    assert!(r.body["results"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("corrupt"));
    assert_eq!(r.body["results"][1]["status"], "duplicate");
    let stored = phone.pull_all(100).await;
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0]["body"]["members"], 4, "the first content stays");
}

async fn communes_are_sealed_from_each_other_both_ways(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    assert_eq!(
        admin
            .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
            .await
            .status,
        201
    );
    assert_eq!(
        admin
            .post("/api/v1/communes", &commune_json("ha-giang", "Hà Giang"))
            .await
            .status,
        201
    );
    let mut phone_a = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator").await,
        "a",
    )
    .await;
    let mut phone_b = FieldDevice::enroll(
        &server.base,
        &code(&admin, "ha-giang", "enumerator").await,
        "b",
    )
    .await;
    let user = |name: &str, role: &str, scope: Value| {
        let mut body = json!({"username": name, "password": "password-123", "role": role});
        body.as_object_mut()
            .unwrap()
            .extend(scope.as_object().unwrap().clone());
        body
    };
    for body in [
        user("officer-b", "officer", json!({"commune_id": "ha-giang"})),
        user("viewer-a", "viewer", json!({"commune_id": "thien-ke"})),
        user("province-tq", "officer", json!({"province": "Tuyên Quang"})),
    ] {
        let r = admin.post("/api/v1/users", &body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let officer_b = Api::login(&server.base, "officer-b", "password-123").await;
    let viewer_a = Api::login(&server.base, "viewer-a", "password-123").await;
    let province = Api::login(&server.base, "province-tq", "password-123").await;

    // A photo of commune A, referenced by A's sign.
    let photo = fake_photo(7, 40_000);
    let photo_id = tus_upload(&phone_a.api, &photo, 16 << 10).await;
    let sign = phone_a.sign("thien-ke-01", "2020-03-01T08:00:00+07:00", vec![photo_id]);
    phone_a.push_ok(&[sign]).await;
    let b1 = phone_b.household("ha-giang-01", "B1", 3);
    phone_b.push_ok(&[b1]).await;

    for path in [
        "/api/v1/communes/ha-giang",
        "/api/v1/communes/ha-giang/scorecard",
        "/api/v1/communes/ha-giang/records",
    ] {
        assert_error(&phone_a.api.get(path).await, 403, "forbidden");
        assert_error(&viewer_a.get(path).await, 403, "forbidden");
        assert_error(&province.get(path).await, 403, "forbidden");
        assert_eq!(officer_b.get(path).await.status, 200, "{path}");
    }
    for path in [
        "/api/v1/communes/thien-ke",
        "/api/v1/communes/thien-ke/scorecard",
        "/api/v1/communes/thien-ke/records",
    ] {
        assert_error(&phone_b.api.get(path).await, 403, "forbidden");
        assert_error(&officer_b.get(path).await, 403, "forbidden");
        assert_eq!(province.get(path).await.status, 200, "{path}");
        assert_eq!(viewer_a.get(path).await.status, 200, "{path}");
    }
    let target = json!({"threshold": 60.0, "source": "x"});
    assert_error(
        &officer_b
            .put("/api/v1/communes/thien-ke/targets/2.4", &target)
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &viewer_a
            .put("/api/v1/communes/thien-ke/targets/2.4", &target)
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &phone_a
            .api
            .put("/api/v1/communes/thien-ke/targets/2.4", &target)
            .await,
        403,
        "forbidden",
    );
    assert_eq!(
        officer_b
            .put("/api/v1/communes/ha-giang/targets/2.4", &target)
            .await
            .status,
        200
    );
    assert_error(
        &officer_b
            .post(
                "/api/v1/communes/thien-ke/enrollments",
                &json!({"role": "officer", "expires_in_hours": 1}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &officer_b
            .put("/api/v1/provinces/Tuy%C3%AAn%20Quang/targets/2.4", &target)
            .await,
        403,
        "forbidden",
    );
    assert_eq!(
        province
            .put("/api/v1/provinces/Tuy%C3%AAn%20Quang/targets/2.4", &target)
            .await
            .status,
        200
    );
    let list = province.get("/api/v1/communes").await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);

    // B's phone cannot write into A, and cannot see A's photo; A's can.
    let mut into_a = phone_b.household("ha-giang-01", "B2", 3);
    into_a.commune_id = ntm_field::ids::Slug::parse("thien-ke").unwrap();
    assert_error(&phone_b.push(&[into_a]).await, 403, "forbidden");
    phone_b.seq -= 1;
    let blob = format!("/api/v1/blobs/{photo_id}");
    assert_error(&phone_b.api.get(&blob).await, 403, "forbidden");
    assert_error(&officer_b.get(&blob).await, 403, "forbidden");
    assert_eq!(
        viewer_a
            .request(reqwest::Method::GET, &blob)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        phone_a
            .api
            .request(reqwest::Method::GET, &blob)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        &photo[..]
    );
    assert_error(
        &phone_a.api.get("/api/v1/blobs/not-hex").await,
        400,
        "bad_photo_id",
    );
    assert_error(
        &phone_a
            .api
            .get(&format!("/api/v1/blobs/{}", PhotoId::of_bytes(b"none")))
            .await,
        404,
        "not_found",
    );
    let r = tus_create(&phone_a.api, 10, "ABC").await;
    assert_error(&r, 400, "bad_photo_id");
    // A viewer cannot push (it has no device) nor upload.
    assert_error(
        &viewer_a.post("/api/v1/sync/push", &json!({})).await,
        403,
        "forbidden",
    );
    assert_error(
        &tus_create(&viewer_a, 10, &PhotoId::of_bytes(b"x").to_hex()).await,
        403,
        "forbidden",
    );
    // Only an administrator creates communes and accounts.
    assert_error(
        &officer_b
            .post("/api/v1/communes", &commune_json("x", "Hà Giang"))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &officer_b
            .post(
                "/api/v1/users",
                &user("z", "viewer", json!({"commune_id": "ha-giang"})),
            )
            .await,
        403,
        "forbidden",
    );
}

async fn no_token_or_a_revoked_one_is_refused(backend: Backend) {
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
        &code(&admin, "thien-ke", "enumerator").await,
        "phone",
    )
    .await;
    let anonymous = Api::new(&server.base);
    for path in [
        "/api/v1/communes/thien-ke",
        "/api/v1/communes/thien-ke/scorecard",
        "/api/v1/sync/pull",
        "/api/v1/sync/status",
        "/api/v1/users",
    ] {
        assert_error(&anonymous.get(path).await, 401, "unauthorized");
        assert_error(
            &anonymous.with_token("ntmd_forged").get(path).await,
            401,
            "unauthorized",
        );
    }
    assert_error(
        &anonymous.post("/api/v1/sync/push", &json!({})).await,
        401,
        "unauthorized",
    );
    assert_error(
        &anonymous
            .post("/api/v1/communes", &commune_json("x", "y"))
            .await,
        401,
        "unauthorized",
    );
    assert_eq!(anonymous.get("/healthz").await.status, 200);
    assert_eq!(
        anonymous.get("/api/openapi.json").await.body["openapi"]
            .as_str()
            .map(|v| v.starts_with('3')),
        Some(true)
    );

    let households = vec![phone.household("thien-ke-01", "H1", 2)];
    phone.push_ok(&households).await;
    let r = admin
        .post(
            &format!("/api/v1/devices/{}/revoke", phone.device_id),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let next = vec![phone.household("thien-ke-01", "H2", 2)];
    assert_error(&phone.push(&next).await, 401, "device_revoked");
    assert_error(
        &phone.api.get("/api/v1/sync/pull").await,
        401,
        "device_revoked",
    );
    assert_error(
        &tus_create(&phone.api, 10, &PhotoId::of_bytes(b"x").to_hex()).await,
        401,
        "device_revoked",
    );
    let records = admin.get("/api/v1/communes/thien-ke/records").await;
    assert_eq!(
        records.body["records"].as_array().unwrap().len(),
        1,
        "what it sent before stays"
    );
}

async fn login_and_enrollment_attempts_are_limited_and_codes_are_single_use(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    assert_eq!(
        admin
            .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
            .await
            .status,
        201
    );
    let anonymous = Api::new(&server.base);

    let good = code(&admin, "thien-ke", "enumerator").await;
    let enroll = |code: &str| json!({"code": code, "device_name": "p", "platform": "android"});
    assert_eq!(
        anonymous
            .post("/api/v1/devices/enroll", &enroll(&good.to_lowercase()))
            .await
            .status,
        201,
        "codes are typed in any case"
    );
    assert_error(
        &anonymous
            .post("/api/v1/devices/enroll", &enroll(&good))
            .await,
        400,
        "invalid_code",
    );
    for _ in 0..9 {
        assert_error(
            &anonymous
                .post("/api/v1/devices/enroll", &enroll("AAAA-BBBB-CCCC"))
                .await,
            400,
            "invalid_code",
        );
    }
    let fresh = code(&admin, "thien-ke", "enumerator").await;
    let r = anonymous
        .post("/api/v1/devices/enroll", &enroll(&fresh))
        .await;
    assert_error(&r, 429, "too_many_attempts");
    assert!(r.header("retry-after").is_some());

    let login = |password: &str| json!({"username": "admin", "password": password});
    for _ in 0..5 {
        assert_error(
            &anonymous.post("/api/v1/auth/login", &login("guess")).await,
            401,
            "bad_credentials",
        );
    }
    let r = anonymous
        .post(
            "/api/v1/auth/login",
            &login(ntm_tests::server::ADMIN_PASSWORD),
        )
        .await;
    assert_error(&r, 429, "too_many_attempts");
    // The sessions already open still work.
    assert_eq!(admin.get("/api/v1/communes/thien-ke").await.status, 200);
}

/// A path segment that is not UTF-8 once decoded, or a query parameter given twice, is refused
/// with the API's JSON error on every route, exports included (schemathesis checks the content
/// type of every answer against the OpenAPI document, which declares JSON errors).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_paths_and_queries_get_the_json_error() {
    let server = TestServer::start();
    let admin = Api::admin(&server).await;
    let r = admin
        .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let token = admin.token.clone().unwrap();
    let cases = [
        ("GET", "/api/v1/communes/%FF", "invalid_path"),
        ("GET", "/api/v1/communes/%FF/scorecard", "invalid_path"),
        ("GET", "/api/v1/communes/%C3%28/records", "invalid_path"),
        ("GET", "/api/v1/communes/%FF/devices", "invalid_path"),
        (
            "PUT",
            "/api/v1/communes/thien-ke/targets/%FF",
            "invalid_path",
        ),
        ("PUT", "/api/v1/provinces/%FF/targets/2.4", "invalid_path"),
        ("POST", "/api/v1/devices/%FF/revoke", "invalid_path"),
        ("GET", "/api/v1/blobs/%FF", "invalid_path"),
        (
            "GET",
            "/api/v1/communes/%FF/export/csv?kind=road_segment",
            "invalid_path",
        ),
        (
            "GET",
            "/api/v1/communes/thien-ke/export/csv?kind=road_segment&kind=x",
            "invalid_query",
        ),
        (
            "GET",
            "/api/v1/communes/thien-ke/export/geojson?as_of=2020-01-01&as_of=2020-01-02",
            "invalid_query",
        ),
        (
            "GET",
            "/api/v1/communes/thien-ke/export/xlsx?period=2020-01&period=2020-02",
            "invalid_query",
        ),
        (
            "GET",
            "/api/v1/communes/thien-ke/scorecard?as_of=a&as_of=b",
            "invalid_query",
        ),
    ];
    for (method, path, code) in cases {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        );
        let (status, body) = raw_http(&server.addr(), request.as_bytes());
        assert_eq!(status, 400, "{method} {path}: {body}");
        let error: Value = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{method} {path}: a JSON error, got {body:?}"));
        assert_eq!(error["error"]["code"], code, "{method} {path}: {body}");
    }
}

/// Dates outside 2000 to 2100 and cursors past any sequence number, in every query that takes
/// one, are a 400 JSON error naming the parameter, never a 500 or a dropped connection; the
/// range's own ends are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_and_cursors_out_of_range_get_a_400_naming_the_parameter_not_a_500() {
    let server = TestServer::start();
    let admin = Api::admin(&server).await;
    let r = admin
        .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let phone = FieldDevice::enroll(
        &server.base,
        &code(&admin, "thien-ke", "enumerator").await,
        "phone",
    )
    .await;
    // The two of the issue first.
    let r = admin
        .get("/api/v1/communes/thien-ke/export/csv?kind=road_segment&as_of=1999-12-31")
        .await;
    assert_error(&r, 400, "invalid_query");
    assert_eq!(r.body["error"]["field"], "as_of", "{:?}", r.body);
    let r = admin
        .get("/api/v1/communes/thien-ke/records?until=-262143-01-01")
        .await;
    assert_error(&r, 400, "invalid_query");
    assert_eq!(r.body["error"]["field"], "until", "{:?}", r.body);

    let dated = [
        ("/api/v1/communes/thien-ke/scorecard?as_of=", "as_of"),
        (
            "/api/v1/communes/thien-ke/export/csv?kind=indicators&as_of=",
            "as_of",
        ),
        (
            "/api/v1/communes/thien-ke/export/csv?kind=household&as_of=",
            "as_of",
        ),
        ("/api/v1/communes/thien-ke/export/geojson?as_of=", "as_of"),
        ("/api/v1/communes/thien-ke/records?since=", "since"),
        ("/api/v1/communes/thien-ke/records?until=", "until"),
    ];
    let refused = [
        "1999-12-31",
        "2101-01-01",
        "0000-01-01",
        "-262143-01-01",
        "%2B262142-12-31",
        "2021-02-29",
        "2020-13-01",
        "1969-12-31T23:59:59Z",
        "9999-12-31T23:59:59Z",
        "-262143-01-01T00:00:00Z",
    ];
    for (path, field) in dated {
        for value in refused {
            let r = admin.get(&format!("{path}{value}")).await;
            // RFC 3339 times are only for since/until: for as_of they are simply not a date.
            assert_error(&r, 400, "invalid_query");
            assert_eq!(
                r.body["error"]["field"], field,
                "{path}{value}: {:?}",
                r.body
            );
        }
        for value in ["2000-01-01", "2100-12-31"] {
            let r = admin.get(&format!("{path}{value}")).await;
            // The date reads; a day no criteria edition covers (2000, before 1980/QĐ-TTg's
            // period) is the scorecard's own clear refusal, not a parameter error.
            let no_edition = r.status == 409 && r.body["error"]["code"] == "no_edition";
            assert!(
                r.status == 200 || no_edition,
                "{path}{value}: {} {:?}",
                r.status,
                r.body
            );
        }
    }
    for (api, path) in [
        (&admin, "/api/v1/communes/thien-ke/records?cursor="),
        (&phone.api, "/api/v1/sync/pull?cursor="),
    ] {
        let r = api.get(&format!("{path}{}", u64::MAX)).await;
        assert_error(&r, 400, "invalid_query");
        assert_eq!(r.body["error"]["field"], "cursor", "{path}: {:?}", r.body);
        let r = api.get(&format!("{path}{}", i64::MAX)).await;
        assert_eq!(r.status, 200, "{path}: {:?}", r.body);
    }
}

ntm_tests::on_both_backends!(
    bad_pushes_get_4xx_and_change_nothing,
    invalid_versions_are_rejected_with_their_reason_and_the_rest_is_stored,
    communes_are_sealed_from_each_other_both_ways,
    no_token_or_a_revoked_one_is_refused,
    login_and_enrollment_attempts_are_limited_and_codes_are_single_use,
);
