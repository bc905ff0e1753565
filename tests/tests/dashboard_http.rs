//! The dashboard over plain HTTP against the real server: sessions and cookies, CSRF, roles and
//! commune scope, the plan's figures on the scorecard, household import and conflict merges.
//! Each runs on SQLite and on PostgreSQL. (The same pages in a real browser: `dashboard_browser.rs`.)

mod dashboard_common;

use dashboard_common::{
    commune_targets, world_on, Browser, DISTRICT, OFFICER, OTHER, PROVINCE, VIEWER,
};
use ntm_tests::server::{Backend, ADMIN_USER};
use serde_json::json;

async fn login_rotates_the_session_and_sets_strict_http_only_cookies(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::new(&w.server.base);
    // A session id planted by someone else never becomes a session.
    b.cookies
        .insert("ntm_session".into(), "ntmu_planted-by-an-attacker".into());
    let page = b.get("/dashboard/c/thien-ke").await;
    assert_eq!(page.status, 303, "not logged in: to the login page");
    assert!(page
        .location
        .as_deref()
        .unwrap()
        .starts_with("/dashboard/login?next="));
    let login = b.get("/dashboard/login").await;
    let csrf = login.csrf();
    let r = b
        .post(
            "/dashboard/login",
            &[
                ("username", OFFICER.0),
                ("password", OFFICER.1),
                ("csrf", &csrf),
                ("next", "/dashboard/c/thien-ke"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (303, Some("/dashboard/c/thien-ke"))
    );
    let session = r
        .set_cookies
        .iter()
        .find(|c| c.starts_with("ntm_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{session} has {attribute}");
    }
    let token = b.cookies["ntm_session"].clone();
    assert_ne!(token, "ntmu_planted-by-an-attacker");
    assert!(token.starts_with("ntmu_") && token.len() > 40);
    assert_eq!(b.get("/dashboard/c/thien-ke").await.status, 200);

    // Logging in again gives a new id and ends the previous session.
    let through = b.get("/dashboard/login?next=/dashboard/c/thien-ke").await;
    assert_eq!(through.status, 303, "already logged in: straight through");
    let mut fresh = Browser::new(&w.server.base);
    let form = fresh.get("/dashboard/login").await.csrf();
    fresh.cookies.insert("ntm_session".into(), token.clone());
    let r = fresh
        .post(
            "/dashboard/login",
            &[
                ("username", OFFICER.0),
                ("password", OFFICER.1),
                ("csrf", &form),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_ne!(
        fresh.cookies["ntm_session"], token,
        "a new session id at every login"
    );
    let mut old = Browser::new(&w.server.base);
    old.cookies.insert("ntm_session".into(), token);
    assert_eq!(
        old.get("/dashboard/c/thien-ke").await.status,
        303,
        "the session before the new login is over"
    );

    // Logout ends the session on the server, not only in the browser.
    let page = fresh.get("/dashboard/c/thien-ke").await;
    let kept = fresh.cookies["ntm_session"].clone();
    let out = fresh
        .post("/dashboard/logout", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(out.status, 303);
    let mut replay = Browser::new(&w.server.base);
    replay.cookies.insert("ntm_session".into(), kept);
    assert_eq!(replay.get("/dashboard/c/thien-ke").await.status, 303);
}

async fn wrong_passwords_are_refused_and_the_login_form_needs_its_token(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::new(&w.server.base);
    let csrf = b.get("/dashboard/login").await.csrf();
    let r = b
        .post(
            "/dashboard/login",
            &[
                ("username", OFFICER.0),
                ("password", "wrong"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.text().contains("Sai tên đăng nhập hoặc mật khẩu"));
    assert!(!b.cookies.contains_key("ntm_session"));
    let r = b
        .post(
            "/dashboard/login",
            &[("username", OFFICER.0), ("password", OFFICER.1)],
        )
        .await;
    assert_eq!(r.status, 403, "a login form without its token is refused");
    let mut other = Browser::new(&w.server.base);
    let r = other
        .post(
            "/dashboard/login",
            &[
                ("username", OFFICER.0),
                ("password", OFFICER.1),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(
        r.status, 403,
        "another browser's token does not fit this browser's cookie"
    );
}

async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let settings = b.get("/dashboard/c/thien-ke/settings").await;
    assert_eq!(settings.status, 200);
    let fields = [
        ("indicator", "2.4"),
        ("threshold", "20"),
        ("source", "QĐ thử"),
    ];
    let r = b
        .post("/dashboard/c/thien-ke/settings/target", &fields)
        .await;
    assert_eq!(r.status, 403, "no token");
    assert!(r.text().contains("Biểu mẫu đã hết hạn"));
    let mut forged = fields.to_vec();
    forged.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(
        b.post("/dashboard/c/thien-ke/settings/target", &forged)
            .await
            .status,
        403,
        "a wrong token"
    );
    let viewer = Browser::login(&w.server.base, VIEWER).await;
    let mut with_other_session = fields.to_vec();
    let other_token = viewer.cookies["ntm_session"].clone();
    let other_csrf = {
        let mut v = viewer;
        v.get("/dashboard/c/thien-ke").await.csrf()
    };
    assert_ne!(other_token, b.cookies["ntm_session"]);
    with_other_session.push(("csrf", &other_csrf));
    assert_eq!(
        b.post("/dashboard/c/thien-ke/settings/target", &with_other_session)
            .await
            .status,
        403,
        "another session's token"
    );
    assert_eq!(
        commune_targets(&w.admin, "thien-ke").await,
        json!({}),
        "nothing was stored"
    );
    // Logout too.
    assert_eq!(b.post("/dashboard/logout", &[]).await.status, 403);
    assert_eq!(
        b.get("/dashboard/c/thien-ke").await.status,
        200,
        "still logged in"
    );

    let token = settings.csrf();
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    let r = b
        .post("/dashboard/c/thien-ke/settings/target", &fields)
        .await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (303, Some("/dashboard/c/thien-ke/settings?ok=set.saved"))
    );
    assert_eq!(
        commune_targets(&w.admin, "thien-ke").await["2.4"]["threshold"],
        json!(20.0)
    );
}

async fn a_viewer_cannot_change_targets_quotas_or_devices(backend: Backend) {
    let w = world_on(backend).await;
    let mut v = Browser::login(&w.server.base, VIEWER).await;
    let settings = v.get("/dashboard/c/thien-ke/settings").await;
    assert_eq!(settings.status, 200, "a viewer reads the settings");
    assert!(
        !settings
            .body
            .contains("action=\"/dashboard/c/thien-ke/settings/target\""),
        "but gets no form to change them"
    );
    assert!(settings
        .text()
        .contains("Tài khoản xem không được thay đổi"));
    let csrf = settings.csrf();
    let r = v
        .post(
            "/dashboard/c/thien-ke/settings/target",
            &[
                ("indicator", "2.4"),
                ("threshold", "20"),
                ("source", "x"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = v
        .post(
            "/dashboard/c/thien-ke/settings/quota",
            &[
                ("measure", "signs_placed"),
                ("village", "thien-ke-01"),
                ("target", "9"),
                ("since", "2020-01-01"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(v.get("/dashboard/c/thien-ke/devices").await.status, 403);
    let path = format!("/dashboard/c/thien-ke/devices/{}/revoke", w.spare.device_id);
    assert_eq!(v.post(&path, &[("csrf", &csrf)]).await.status, 403);
    assert_eq!(commune_targets(&w.admin, "thien-ke").await, json!({}));
    assert!(
        !settings.body.contains("nav.devices")
            && !settings.body.contains("/dashboard/c/thien-ke/devices\""),
        "no devices link for a viewer"
    );
}

async fn another_communes_pages_answer_403_and_unknown_ones_404(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OTHER).await;
    for path in [
        "/dashboard/c/thien-ke",
        "/dashboard/c/thien-ke/villages",
        "/dashboard/c/thien-ke/map",
        "/dashboard/c/thien-ke/records",
        &format!("/dashboard/c/thien-ke/records/{}", w.road.entity_id),
        &format!("/dashboard/c/thien-ke/photos/{}", w.far_photo.to_hex()),
        "/dashboard/c/thien-ke/conflicts",
        "/dashboard/c/thien-ke/settings",
        "/dashboard/c/thien-ke/reports",
        "/dashboard/c/thien-ke/devices",
        "/dashboard/admin/users",
        "/api/v1/communes/thien-ke/export/xlsx?period=2020-Q1",
        "/api/v1/communes/thien-ke/export/geojson",
    ] {
        assert_eq!(b.get(path).await.status, 403, "{path}");
    }
    assert_eq!(
        b.get("/dashboard/c/lung-cu").await.status,
        200,
        "their own commune"
    );
    let csrf = b.get("/dashboard/c/lung-cu").await.csrf();
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/target",
            &[
                ("indicator", "2.4"),
                ("threshold", "1"),
                ("source", "x"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    let mut admin = Browser::login(
        &w.server.base,
        (ADMIN_USER, ntm_tests::server::ADMIN_PASSWORD),
    )
    .await;
    assert_eq!(admin.get("/dashboard/c/no-such-commune").await.status, 404);
    assert_eq!(
        admin
            .get(&format!(
                "/dashboard/c/thien-ke/records/{}",
                uuid::Uuid::now_v7()
            ))
            .await
            .status,
        404
    );
    // A province official sees the province's communes, not another province's.
    let mut p = Browser::login(&w.server.base, PROVINCE).await;
    assert_eq!(p.get("/dashboard/c/vinh-loi").await.status, 200);
    assert_eq!(p.get("/dashboard/c/lung-cu").await.status, 403);
}

async fn the_scorecard_shows_the_plans_figures_in_vietnamese_and_english(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let page = b.get("/dashboard/c/thien-ke?as_of=2020-02-15").await;
    assert_eq!(page.status, 200);
    let road = page.element_text("id=\"ind-2.4\"");
    for expected in [
        "24,62 %",
        "6,4 / 26 km",
        "≥ 50 %",
        "Chưa đạt",
        "6,6 km",
        "tỉnh",
        "Dương Đăng Lâm",
    ] {
        assert!(road.contains(expected), "2.4 shows {expected}: {road}");
    }
    let insurance = page.element_text("id=\"ind-15.1\"");
    assert!(
        insurance.contains("90,5 %") && insurance.contains("Đạt"),
        "{insurance}"
    );
    let stunting = page.element_text("id=\"ind-15.3\"");
    assert!(
        stunting.contains("12,8 %") && stunting.contains("≤ 26,7 %"),
        "{stunting}"
    );
    assert!(page.body.contains("<svg"), "the trend is drawn");
    assert!(page.text().contains("/19"));
    // After the 500 m road of 10/03/2020: 6.9 of 26 km.
    let later = b.get("/dashboard/c/thien-ke?as_of=2020-03-31").await;
    let road = later.element_text("id=\"ind-2.4\"");
    assert!(
        road.contains("26,54 %") && road.contains("6,1 km"),
        "{road}"
    );
    assert!(
        later.text().contains("hồ sơ đang có xung đột"),
        "the conflict is announced"
    );

    let switched = b
        .get("/dashboard/lang/en?back=/dashboard/c/thien-ke%3Fas_of%3D2020-02-15")
        .await;
    assert_eq!(switched.status, 303);
    let english = b.get("/dashboard/c/thien-ke?as_of=2020-02-15").await;
    let road = english.element_text("id=\"ind-2.4\"");
    assert!(
        road.contains("24.62 %") && road.contains("Not met") && road.contains("6.6 km"),
        "{road}"
    );
    assert!(english.body.contains("lang=\"en\""));
}

async fn household_csv_import_reports_errors_by_line_or_imports_every_line(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let page = b.get("/dashboard/c/thien-ke/households").await;
    assert!(page.element_text("id=\"registered\"").contains("140"));
    let csrf = page.csrf();
    let bad = "code,village_id,head_name,members,address\nTK20-001,thien-ke-02,Lò Văn A,4,Thôn 2\nTK20-002,thon-x,Lò Văn B,3,\nTK20-003,thien-ke-02,Lò Văn C,nhiều,\n";
    let r = b
        .post_multipart(
            "/dashboard/c/thien-ke/households",
            &[("csrf", &csrf)],
            ("hh.csv", bad.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 422);
    let errors = r.element_text("id=\"import-errors\"");
    assert!(
        errors.contains("3 Mã thôn không thuộc xã này: \"thon-x\""),
        "{errors}"
    );
    assert!(
        errors.contains("4 Số nhân khẩu phải là số nguyên: \"nhiều\""),
        "{errors}"
    );
    assert!(
        b.get("/dashboard/c/thien-ke/households")
            .await
            .element_text("id=\"registered\"")
            .contains("140"),
        "nothing imported"
    );
    let no_token = b
        .post_multipart(
            "/dashboard/c/thien-ke/households",
            &[],
            ("hh.csv", bad.as_bytes()),
        )
        .await;
    assert_eq!(no_token.status, 403);

    let good = "code,village_id,head_name,members,address\nTK20-001,thien-ke-02,Lò Văn A,4,Thôn 2\nTK20-002,thien-ke-14,Lò Văn B,3,\nTK01-001,thien-ke-01,Trùng mã,5,\n";
    let r = b
        .post_multipart(
            "/dashboard/c/thien-ke/households",
            &[("csrf", &csrf)],
            ("hh.csv", good.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let result = r.element_text("id=\"import-result\"");
    assert!(
        result.contains("2 hộ") && result.contains("1 bỏ qua"),
        "{result}"
    );
    assert!(r.element_text("id=\"registered\"").contains("142"));
    // The households are records like any other: the scorecard's registry grew, and they carry the officer as author.
    let records = w
        .admin
        .get("/api/v1/communes/thien-ke/records?kind=household&limit=1000")
        .await;
    let imported: Vec<_> = records.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["body"]["code"] == "TK20-001")
        .collect();
    assert_eq!(imported.len(), 1);
    assert_eq!(
        imported[0]["author"],
        json!(format!("dashboard: {}", OFFICER.0))
    );
    let recompute = w.server.cli(&["recompute"]);
    assert!(
        recompute.status.success(),
        "incremental totals equal a recompute: {}",
        String::from_utf8_lossy(&recompute.stdout)
    );
}

async fn resolving_a_conflict_writes_a_merge_version_whose_parents_are_all_heads(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let list = b.get("/dashboard/c/thien-ke/conflicts").await;
    assert!(list.body.contains(&w.conflict_entity.to_string()));
    let path = format!("/dashboard/c/thien-ke/records/{}", w.conflict_entity);
    let page = b.get(&path).await;
    assert!(
        page.text().contains("2 phiên bản hiện hành"),
        "{}",
        page.text()
    );
    let heads = w
        .conflict_heads
        .iter()
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let keep = w.conflict_heads[0].to_string();
    // A stale view (the officer saw only one head) does not merge.
    let r = b
        .post(
            &format!("{path}/resolve"),
            &[("csrf", &page.csrf()), ("keep", &keep), ("heads", &keep)],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{path}?ok=cf.stale").as_str())
    );
    let viewer_csrf = {
        let mut v = Browser::login(&w.server.base, VIEWER).await;
        let c = v.get(&path).await.csrf();
        (v, c)
    };
    let (mut v, vc) = viewer_csrf;
    assert_eq!(
        v.post(
            &format!("{path}/resolve"),
            &[("csrf", &vc), ("keep", &keep), ("heads", &heads)]
        )
        .await
        .status,
        403
    );

    let r = b
        .post(
            &format!("{path}/resolve"),
            &[("csrf", &page.csrf()), ("keep", &keep), ("heads", &heads)],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{path}?ok=cf.resolved").as_str())
    );
    let versions = w
        .admin
        .get("/api/v1/communes/thien-ke/records?kind=trash_sign&limit=1000")
        .await;
    let of_entity: Vec<_> = versions.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["entity_id"] == w.conflict_entity.to_string())
        .collect();
    assert_eq!(
        of_entity.len(),
        4,
        "the original, two edits and the merge: nothing dropped"
    );
    let merge = of_entity
        .iter()
        .find(|v| v["parents"].as_array().unwrap().len() == 2)
        .expect("a merge version");
    let mut parents: Vec<String> = merge["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    parents.sort();
    let mut expected: Vec<String> = w.conflict_heads.iter().map(|h| h.to_string()).collect();
    expected.sort();
    assert_eq!(parents, expected);
    assert_eq!(
        merge["body"]["condition"], "damaged",
        "the kept version's content"
    );
    // Resolved today, the sign stays where the kept version was seen: 20/03/2020.
    assert_eq!(merge["observed_on"], "2020-03-20");
    assert!(!merge["captured_at"].as_str().unwrap().starts_with("2020"));
    let in_march = w
        .admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2020-03-31")
        .await;
    assert_eq!(
        in_march.body["conflicts"],
        json!(0),
        "resolved as of March 2020 too"
    );
    let record = b.get(&path).await.text();
    assert!(record.contains("Ngày quan sát"), "{record}");
    assert!(b
        .get("/dashboard/c/thien-ke/conflicts")
        .await
        .text()
        .contains("Không có xung đột nào"));
    let card = w.admin.get("/api/v1/communes/thien-ke/scorecard").await;
    assert_eq!(
        card.body["conflicts"],
        json!(0),
        "the incremental totals know it"
    );
    let recompute = w.server.cli(&["recompute"]);
    assert!(
        recompute.status.success(),
        "{}",
        String::from_utf8_lossy(&recompute.stdout)
    );
}

async fn a_photo_taken_far_from_its_sign_is_flagged_on_the_record(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let far = b
        .get(&format!(
            "/dashboard/c/thien-ke/records/{}",
            w.far_sign.entity_id
        ))
        .await;
    assert!(
        far.text().contains("Cảnh báo: ảnh chụp xa vị trí hồ sơ"),
        "{}",
        far.text()
    );
    assert!(
        far.text().contains("12/03/2020 09:35"),
        "the EXIF time, in Vietnam time"
    );
    let near = b
        .get(&format!(
            "/dashboard/c/thien-ke/records/{}",
            w.near_sign.entity_id
        ))
        .await;
    assert!(
        !near.text().contains("Cảnh báo: ảnh chụp xa"),
        "{}",
        near.text()
    );
    let photo = b
        .get(&format!(
            "/dashboard/c/thien-ke/photos/{}",
            w.far_photo.to_hex()
        ))
        .await;
    assert_eq!(photo.status, 200);
    let thumb = b
        .get(&format!(
            "/dashboard/c/thien-ke/photos/{}?size=thumb",
            w.far_photo.to_hex()
        ))
        .await;
    assert_eq!(thumb.status, 200);
    let mut province = Browser::login(&w.server.base, PROVINCE).await;
    assert_eq!(
        province
            .get(&format!(
                "/dashboard/c/vinh-loi/photos/{}",
                w.far_photo.to_hex()
            ))
            .await
            .status,
        404,
        "not a photo of that commune"
    );
}

async fn a_province_official_sets_the_provinces_threshold_for_its_communes_only(backend: Backend) {
    let w = world_on(backend).await;
    let mut p = Browser::login(&w.server.base, PROVINCE).await;
    let overview = p.get("/dashboard/overview").await;
    assert_eq!(overview.status, 200);
    let rows = overview.element_text("id=\"overview\"");
    assert!(
        rows.contains("Thiện Kế")
            && rows.contains("Vĩnh Lợi")
            && rows.contains("Minh Quang")
            && !rows.contains("Lũng Cú"),
        "{rows}"
    );
    let csrf = overview.csrf();
    let r = p
        .post(
            "/dashboard/province-target",
            &[
                ("csrf", &csrf),
                ("province", "Tuyên Quang"),
                ("indicator", "2.4"),
                ("threshold", "40"),
                ("source", "QĐ UBND tỉnh Tuyên Quang (thử)"),
            ],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/dashboard/overview?ok=set.saved")
    );
    for commune in ["thien-ke", "vinh-loi"] {
        let card = w
            .admin
            .get(&format!("/api/v1/communes/{commune}/scorecard"))
            .await;
        let ind = card.body["criteria"][1]["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "2.4")
            .unwrap()
            .clone();
        assert_eq!(
            (ind["threshold"].as_f64(), ind["threshold_source"].as_str()),
            (Some(40.0), Some("province")),
            "{commune}"
        );
    }
    let r = p
        .post(
            "/dashboard/province-target",
            &[
                ("csrf", &csrf),
                ("province", "Hà Giang"),
                ("indicator", "2.4"),
                ("threshold", "1"),
                ("source", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "not their province");
    let r = p
        .post(
            "/dashboard/province-target",
            &[
                ("province", "Tuyên Quang"),
                ("indicator", "2.4"),
                ("threshold", "1"),
                ("source", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "no token");
    let mut officer = Browser::login(&w.server.base, OFFICER).await;
    let csrf = officer.get("/dashboard/c/thien-ke").await.csrf();
    let r = officer
        .post(
            "/dashboard/province-target",
            &[
                ("csrf", &csrf),
                ("province", "Tuyên Quang"),
                ("indicator", "2.4"),
                ("threshold", "1"),
                ("source", "x"),
            ],
        )
        .await;
    assert_eq!(
        r.status, 403,
        "a commune officer does not set the province's thresholds"
    );
}

async fn cookies_are_secure_behind_a_tls_proxy(backend: Backend) {
    let w = world_on(backend).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let plain = http
        .get(w.server.url("/dashboard/login"))
        .send()
        .await
        .unwrap();
    let cookie = plain.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("ntm_login=")
            && cookie.contains("HttpOnly")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let proxied = http
        .get(w.server.url("/dashboard/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let cookie = proxied.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("; Secure") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

/// A kilometre of main field road completed in village 8 on 25/03/2020, pushed by a phone.
async fn push_a_kilometre_of_field_road(w: &mut dashboard_common::World) {
    let road = w.spare.road(
        "thien-ke-08",
        1000.0,
        "2020-03-25T08:00:00+07:00",
        ntm_field::record::RoadStatus::Completed,
        ntm_field::record::Works::Upgrade,
    );
    w.spare.push_ok(&[road]).await;
}

/// The commune's own threshold for 2.4, set through the dashboard's settings form.
async fn set_the_communes_own_2_4_threshold_to_30(b: &mut Browser) {
    let csrf = b.get("/dashboard/c/thien-ke/settings").await.csrf();
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/target",
            &[
                ("csrf", &csrf),
                ("indicator", "2.4"),
                ("threshold", "30"),
                ("source", "NQ HĐND xã (thử)"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
}

async fn the_scorecard_follows_new_pushes_and_settings_at_once(backend: Backend) {
    let mut w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let page = b.get("/dashboard/c/thien-ke?as_of=2020-03-31").await;
    assert!(page.element_text("id=\"ind-2.4\"").contains("26,54 %"));
    // A kilometre more, pushed by a phone.
    push_a_kilometre_of_field_road(&mut w).await;
    let page = b.get("/dashboard/c/thien-ke?as_of=2020-03-31").await;
    let row = page.element_text("id=\"ind-2.4\"");
    assert!(
        row.contains("30,38 %") && row.contains("7,9 / 26 km"),
        "{row}"
    );
    // The commune's own threshold, set through the dashboard.
    set_the_communes_own_2_4_threshold_to_30(&mut b).await;
    let row = b
        .get("/dashboard/c/thien-ke?as_of=2020-03-31")
        .await
        .element_text("id=\"ind-2.4\"");
    assert!(
        row.contains("✔ Đạt") && row.contains("≥ 30 %") && row.contains("xã"),
        "{row}"
    );
    let villages = b
        .get("/dashboard/c/thien-ke/villages?as_of=2020-03-31")
        .await;
    assert!(villages
        .element_text("data-village=\"thien-ke-08\"")
        .contains("1 / 0,5"));
}

/// The overview keeps each commune's standing between requests (P8): a push and a setting
/// saved show on the next request all the same.
async fn the_overview_follows_new_pushes_and_settings_at_once(backend: Backend) {
    let mut w = world_on(backend).await;
    let mut p = Browser::login(&w.server.base, PROVINCE).await;
    let row = |page: &dashboard_common::Page| page.element_text("data-commune=\"thien-ke\"");
    let path = "/dashboard/overview?as_of=2020-03-31";
    let before = row(&p.get(path).await);
    assert!(before.contains("26,54 %"), "{before}");
    assert_eq!(row(&p.get(path).await), before, "the same standing again");
    push_a_kilometre_of_field_road(&mut w).await;
    let pushed = row(&p.get(path).await);
    assert!(pushed.contains("30,38 %"), "{pushed}");
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    set_the_communes_own_2_4_threshold_to_30(&mut b).await;
    let met = row(&p.get(path).await);
    assert!(
        !met.contains("30,38 %"),
        "2.4 is met under the commune's threshold: {met}"
    );
}

async fn an_officer_renames_and_adds_villages_and_removes_a_commune_threshold(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let csrf = b.get("/dashboard/c/thien-ke/settings").await.csrf();
    let saved = Some("/dashboard/c/thien-ke/settings?ok=set.saved");
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/village",
            &[
                ("csrf", &csrf),
                ("village_id", "thien-ke-03"),
                ("name", "Thôn Đồng Bèn"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), saved);
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/village",
            &[
                ("csrf", &csrf),
                ("village_id", "thien-ke-15"),
                ("name", "Thôn Mới"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), saved);
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/village",
            &[("csrf", &csrf), ("village_id", "Thôn 16"), ("name", "x")],
        )
        .await;
    assert!(
        r.location.as_deref().unwrap().contains("?err="),
        "a village id is a slug"
    );
    let commune = w.admin.get("/api/v1/communes/thien-ke").await;
    let villages: Vec<(String, String)> = commune.body["villages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_owned(),
                v["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(villages.len(), 15);
    assert_eq!(
        villages[2],
        ("thien-ke-03".to_owned(), "Thôn Đồng Bèn".to_owned()),
        "renamed in place"
    );
    assert_eq!(
        villages[14],
        ("thien-ke-15".to_owned(), "Thôn Mới".to_owned()),
        "added at the end"
    );
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/responsibility",
            &[
                ("csrf", &csrf),
                ("key", "17"),
                ("people", "đ/c Diệp Thanh Trường; Đoàn Thanh niên"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), saved);
    let card = w.admin.get("/api/v1/communes/thien-ke/scorecard").await;
    assert_eq!(
        card.body["criteria"][16]["responsible"],
        "đ/c Diệp Thanh Trường; Đoàn Thanh niên"
    );

    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/target",
            &[
                ("csrf", &csrf),
                ("indicator", "17.6"),
                ("threshold", "60"),
                ("source", "NQ xã"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), saved);
    assert_eq!(
        commune_targets(&w.admin, "thien-ke").await["17.6"]["threshold"],
        json!(60.0)
    );
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/target/remove",
            &[("csrf", &csrf), ("indicator", "17.6")],
        )
        .await;
    assert_eq!(r.location.as_deref(), saved);
    assert_eq!(commune_targets(&w.admin, "thien-ke").await, json!({}));
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/target",
            &[
                ("csrf", &csrf),
                ("indicator", "2.4"),
                ("threshold", "150"),
                ("source", "x"),
            ],
        )
        .await;
    assert!(
        r.location.as_deref().unwrap().contains("?err="),
        "a percentage above 100 is refused by the API's rule"
    );
}

async fn a_district_official_sees_the_districts_communes_and_no_other(backend: Backend) {
    let w = world_on(backend).await;
    let mut d = Browser::login(&w.server.base, DISTRICT).await;
    let home = d.get("/dashboard").await;
    assert_eq!(home.location.as_deref(), Some("/dashboard/overview"));
    let overview = d.get("/dashboard/overview?sort=met").await;
    assert_eq!(overview.status, 200);
    assert!(
        overview
            .element_text("id=\"scope\"")
            .contains("Huyện cũ Sơn Dương, Tỉnh Tuyên Quang"),
        "{}",
        overview.text()
    );
    let rows = overview.element_text("id=\"overview\"");
    assert!(
        rows.contains("Thiện Kế") && rows.contains("Vĩnh Lợi"),
        "both communes of the district: {rows}"
    );
    assert!(
        !rows.contains("Minh Quang") && !rows.contains("Lũng Cú"),
        "another district's and another province's communes are not shown: {rows}"
    );
    assert!(
        rows.contains("2.4 Đường trục chính nội đồng") && rows.contains("Còn thiếu 6,1 km"),
        "the indicators furthest from target: {rows}"
    );
    assert!(
        overview
            .body
            .contains("href=\"/dashboard/c/thien-ke?as_of=")
            && overview
                .body
                .contains("href=\"/dashboard/c/vinh-loi?as_of="),
        "each commune links to its scorecard"
    );
    assert!(
        !overview
            .body
            .contains("action=\"/dashboard/province-target\""),
        "a district official does not set the province's thresholds"
    );
    for commune in ["thien-ke", "vinh-loi"] {
        assert_eq!(d.get(&format!("/dashboard/c/{commune}")).await.status, 200);
    }
    for path in [
        "/dashboard/c/minh-quang",
        "/dashboard/c/minh-quang/map",
        "/dashboard/c/lung-cu",
        "/dashboard/c/no-such-commune",
        "/api/v1/communes/minh-quang/export/geojson",
    ] {
        assert_eq!(d.get(path).await.status, 403, "{path}");
    }
    // The API answers the same scope to the same session.
    let api = ntm_tests::server::Api::login(&w.server.base, DISTRICT.0, DISTRICT.1).await;
    let listed = api.get("/api/v1/communes").await;
    let mut ids: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["thien-ke", "vinh-loi"]);
    assert_eq!(
        api.get("/api/v1/communes/minh-quang/scorecard")
            .await
            .status,
        403
    );
    assert_eq!(
        api.get("/api/v1/communes/vinh-loi/scorecard").await.status,
        200
    );
}

async fn accounts_are_scoped_to_a_province_or_a_commune_and_a_former_districts_still_works(
    backend: Backend,
) {
    let w = world_on(backend).await;
    let mut admin = Browser::login(
        &w.server.base,
        (ADMIN_USER, ntm_tests::server::ADMIN_PASSWORD),
    )
    .await;
    let form = admin.get("/dashboard/admin/users").await;
    assert!(
        !form.body.contains("name=\"district\""),
        "no district is offered for a new account"
    );
    assert!(
        form.text().contains("Từ 01/7/2025 không còn cấp huyện"),
        "{}",
        form.text()
    );
    // The account of a former district is listed as such.
    assert!(
        form.text()
            .contains("huyen.sonduong cán bộ Huyện cũ Sơn Dương, Tỉnh Tuyên Quang"),
        "{}",
        form.text()
    );
    let csrf = form.csrf();
    let r = admin
        .post(
            "/dashboard/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "xem.tuyenquang"),
                ("password", "xem-tuyen-quang-pass"),
                ("role", "viewer"),
                ("commune_id", ""),
                ("province", "Tuyên Quang"),
            ],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/dashboard/admin/users?ok=usr.created")
    );
    let mut viewer =
        Browser::login(&w.server.base, ("xem.tuyenquang", "xem-tuyen-quang-pass")).await;
    assert_eq!(viewer.get("/dashboard/c/thien-ke").await.status, 200);
    assert_eq!(viewer.get("/dashboard/c/lung-cu").await.status, 403);
    // Through the API a district is refused and says what to do.
    let r = w
        .admin
        .post(
            "/api/v1/users",
            &serde_json::json!({"username": "huyen.chiemhoa", "password": "chiem-hoa-pass",
                "role": "viewer", "province": "Tuyên Quang", "district": "Chiêm Hóa"}),
        )
        .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "district");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("abolished on 01/7/2025"),
        "{:?}",
        r.body
    );
    assert_eq!(
        w.admin
            .get("/api/v1/users")
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["username"] == "huyen.chiemhoa")
            .count(),
        0
    );
}

async fn form_errors_are_shown_in_vietnamese_or_english_never_as_the_apis_text(backend: Backend) {
    let w = world_on(backend).await;
    let mut b = Browser::login(&w.server.base, OFFICER).await;
    let csrf = b.get("/dashboard/c/thien-ke/settings").await.csrf();
    // The API refuses a percentage above 100; the page says so in the user's language.
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/target",
            &[
                ("csrf", &csrf),
                ("indicator", "2.4"),
                ("threshold", "150"),
                ("source", "x"),
            ],
        )
        .await;
    let to = r.location.clone().unwrap();
    assert_eq!(to, "/dashboard/c/thien-ke/settings?err=error.threshold");
    let vi = b.get(&to).await.element_text("role=\"alert\"");
    assert!(vi.contains("Mức phải là một số từ 0 trở lên"), "{vi}");
    assert!(
        !vi.contains("threshold must be"),
        "not the API's English: {vi}"
    );
    b.get("/dashboard/lang/en?back=/dashboard/c/thien-ke/settings")
        .await;
    let en = b.get(&to).await.element_text("role=\"alert\"");
    assert!(en.contains("The threshold must be a number"), "{en}");
    // A quota for a village while the date is missing: the form's own check, same way.
    let r = b
        .post(
            "/dashboard/c/thien-ke/settings/quota",
            &[
                ("csrf", &csrf),
                ("measure", "signs_placed"),
                ("village", "thien-ke-01"),
                ("target", "3"),
                ("since", ""),
            ],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/dashboard/c/thien-ke/settings?err=error.quota")
    );
    // A link cannot put words of its own on the page.
    let forged = b
        .get("/dashboard/c/thien-ke/settings?err=Call%20this%20number%20now")
        .await;
    assert!(!forged.text().contains("Call this number"));
    assert!(forged.text().contains("A value is not valid"));
}

/// Item 13 of issue 12: the same household CSV submitted twice at once (a double click, or two
/// browsers of the same officer; on PostgreSQL, through two server processes on one database)
/// registers each household once.
async fn the_same_household_csv_imported_twice_at_once_registers_each_household_once(
    backend: Backend,
) {
    let w = world_on(backend).await;
    let second = (backend == Backend::Postgres)
        .then(|| ntm_tests::server::TestServer::start_sharing(&w.server));
    let other_base = second
        .as_ref()
        .map_or(w.server.base.clone(), |s| s.base.clone());
    let mut a = Browser::login(&w.server.base, OFFICER).await;
    let mut b = Browser::login(&other_base, OFFICER).await;
    let csrf_a = a.get("/dashboard/c/thien-ke/households").await.csrf();
    let csrf_b = b.get("/dashboard/c/thien-ke/households").await.csrf();
    let mut csv = String::from("code,village_id,head_name,members,address\n");
    for i in 0..60 {
        csv.push_str(&format!("TK30-{i:03},thien-ke-02,Lò Văn {i},4,\n"));
    }
    let (form_a, form_b) = ([("csrf", csrf_a.as_str())], [("csrf", csrf_b.as_str())]);
    let (ra, rb) = tokio::join!(
        a.post_multipart(
            "/dashboard/c/thien-ke/households",
            &form_a,
            ("hh.csv", csv.as_bytes()),
        ),
        b.post_multipart(
            "/dashboard/c/thien-ke/households",
            &form_b,
            ("hh.csv", csv.as_bytes()),
        )
    );
    assert_eq!(ra.status, 200, "{}", ra.text());
    assert_eq!(rb.status, 200, "{}", rb.text());
    let records = w
        .admin
        .get("/api/v1/communes/thien-ke/records?kind=household&limit=1000")
        .await;
    let mut codes: Vec<&str> = records.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["body"]["code"].as_str())
        .filter(|c| c.starts_with("TK30-"))
        .collect();
    codes.sort_unstable();
    let before = codes.len();
    codes.dedup();
    assert_eq!((before, codes.len()), (60, 60), "each household once");
    assert!(a
        .get("/dashboard/c/thien-ke/households")
        .await
        .element_text("id=\"registered\"")
        .contains("200"));
}

ntm_tests::on_both_backends!(
    the_same_household_csv_imported_twice_at_once_registers_each_household_once,
    a_district_official_sees_the_districts_communes_and_no_other,
    accounts_are_scoped_to_a_province_or_a_commune_and_a_former_districts_still_works,
    form_errors_are_shown_in_vietnamese_or_english_never_as_the_apis_text,
    an_officer_renames_and_adds_villages_and_removes_a_commune_threshold,
    login_rotates_the_session_and_sets_strict_http_only_cookies,
    wrong_passwords_are_refused_and_the_login_form_needs_its_token,
    a_form_without_its_csrf_token_is_refused_and_changes_nothing,
    a_viewer_cannot_change_targets_quotas_or_devices,
    another_communes_pages_answer_403_and_unknown_ones_404,
    the_scorecard_shows_the_plans_figures_in_vietnamese_and_english,
    household_csv_import_reports_errors_by_line_or_imports_every_line,
    resolving_a_conflict_writes_a_merge_version_whose_parents_are_all_heads,
    a_photo_taken_far_from_its_sign_is_flagged_on_the_record,
    a_province_official_sets_the_provinces_threshold_for_its_communes_only,
    cookies_are_secure_behind_a_tls_proxy,
    the_scorecard_follows_new_pushes_and_settings_at_once,
    the_overview_follows_new_pushes_and_settings_at_once,
);
