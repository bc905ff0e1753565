//! ODK Collect and KoboCollect against the real server (issue 13), each test on SQLite and on
//! PostgreSQL: a client that behaves as Collect does (`ntm_tests::collect`) lists, downloads
//! and submits; submissions become versions that move the scorecard as the same records from
//! the app do; split POSTs, replays, edits and conflicts follow OpenRosa (R8); hostile input is a
//! 4xx OpenRosaResponse that changes nothing; the token never reaches the log and revoking the
//! device closes its URL. (The submissions of real form engines: `odk_engines.rs`.)

mod dashboard_common;

use dashboard_common::Browser;
use ntm_field::ids::PhotoId;
use ntm_field::record::Version;
use ntm_tests::collect::Collect;
use ntm_tests::proxy::{Fault, Proxy};
use ntm_tests::server::indicator;
use ntm_tests::server::{Api, Backend, TestServer, ADMIN_PASSWORD, ADMIN_USER};
use ntm_tests::server_records::*;
use serde_json::{json, Value};
use uuid::Uuid;

async fn code(admin: &Api, commune: &str) -> String {
    let r = admin
        .post(
            &format!("/api/v1/communes/{commune}/enrollments"),
            &json!({"role": "enumerator", "expires_in_hours": 24, "holder": "Lò Thị Hoa"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["code"].as_str().unwrap().to_owned()
}

/// A commune with households registered by the app, and a phone with Collect enrolled into it
/// (its token: the path of its server URL).
struct Commune {
    app: FieldDevice,
    households: Vec<Version>,
    collect_url: String,
    token: String,
}

async fn commune(server: &TestServer, admin: &Api, id: &str) -> Commune {
    let r = admin
        .post("/api/v1/communes", &commune_json(id, "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut app = FieldDevice::enroll(&server.base, &code(admin, id).await, "app phone").await;
    let village = format!("{id}-01");
    let households: Vec<Version> = (0..3)
        .map(|i| app.household(&village, &format!("T1-{i:02}"), 4))
        .collect();
    app.push_ok(&households).await;
    let r = Api::new(&server.base)
        .post(
            "/api/v1/devices/enroll",
            &json!({"code": code(admin, id).await, "device_name": "Collect", "platform": "odk-collect"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    Commune {
        collect_url: format!("{}/odk/key/{token}", server.base),
        token,
        app,
        households,
    }
}

/// A household check as JavaRosa serialises it (times with milliseconds and the phone's
/// offset); `household` is an entity id of `households.csv`, or `None` to register `T1-99`.
fn check_xml(
    instance: &str,
    village: &str,
    household: Option<Uuid>,
    photos: &[&str],
    extra: &str,
) -> Vec<u8> {
    let (new, chosen, registration) = match household {
        Some(h) => ("no", h.to_string(), String::new()),
        None => (
            "yes",
            String::new(),
            "<registration><household_code>T1-99</household_code><head_name>Nguyễn Văn Mới</head_name><household_members>5</household_members><address/></registration>".to_owned(),
        ),
    };
    let photo = |i: usize| photos.get(i).map(|p| p.to_string()).unwrap_or_default();
    format!(
        r#"<?xml version='1.0' ?><data id="household_check" version="2026120101" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" xmlns:odk="http://www.opendatakit.org/xforms"><start>2026-03-05T08:55:00.123+07:00</start><end>2026-03-05T09:10:00.456+07:00</end><deviceid>collect:test0001</deviceid><village>{village}</village><new_household>{new}</new_household><household>{chosen}</household>{registration}<toilet_type>septic</toilet_type><checklist_septic>tank_sealed tank_vent water_seal_pan outflow_safe flush_water clean_no_smell</checklist_septic><toilet_meets_standard>yes</toilet_meets_standard><bathroom_hygienic>yes</bathroom_hygienic><water_tank_hygienic>yes</water_tank_hygienic><clean_house>yes</clean_house><clean_kitchen>yes</clean_kitchen><clean_lane>yes</clean_lane><water_hygienic>yes</water_hygienic><water_clean>yes</water_clean><raises_livestock>yes</raises_livestock><pen_hygienic>yes</pen_hygienic><waste_handled>yes</waste_handled><drainage_ok>yes</drainage_ok><insurance_members>4</insurance_members><insured>4</insured><children_measured>1</children_measured><children_stunted>0</children_stunted><photo_toilet>{}</photo_toilet><photo_other>{}</photo_other><note>{extra}</note><meta><instanceID>{instance}</instanceID>{}</meta></data>"#,
        photo(0),
        photo(1),
        match extra.strip_prefix("edit of ") {
            Some(replaced) => format!("<deprecatedID>{replaced}</deprecatedID>"),
            None => String::new(),
        }
    )
    .into_bytes()
}

async fn checks(admin: &Api, commune: &str) -> Vec<Value> {
    let r = admin
        .get(&format!(
            "/api/v1/communes/{commune}/records?kind=household_check&limit=500"
        ))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["records"].as_array().cloned().unwrap_or_default()
}

fn statuses(answers: &[ntm_tests::collect::Answer]) -> Vec<u16> {
    answers.iter().map(|a| a.status).collect()
}

async fn collect_lists_downloads_and_sends_checks_that_move_the_scorecard_as_the_app_would(
    backend: Backend,
) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let odk = commune(&server, &admin, "thien-ke").await;
    let mut native = commune(&server, &admin, "vinh-loi").await;

    let mut collect = Collect::new(&odk.collect_url);
    assert_eq!(collect.head().await, 204);
    assert_eq!(collect.accepted_size(), 10_000_000);
    let forms = collect.form_list().await;
    let ids: Vec<&str> = forms.iter().map(|f| f.form_id.as_str()).collect();
    assert_eq!(ids, ["household_check", "road_segment", "trash_sign"]);
    let form = collect.download(&forms[0]).await;
    assert_eq!(
        form.xml,
        std::fs::read("../assets/odk/household_check.xml").unwrap()
    );
    let households_csv = String::from_utf8(
        form.media
            .iter()
            .find(|(n, _)| n == "households.csv")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    for h in &odk.households {
        assert!(
            households_csv.contains(&h.entity_id.to_string()),
            "{households_csv}"
        );
    }

    // Through Collect: a check of a registered household with a photo, and a check that
    // registers a household. Through the app, the same in the other commune.
    let photo = fake_photo(1, 200_000);
    let answers = collect
        .submit(
            &check_xml(
                "uuid:11111111-1111-4111-8111-111111111111",
                "thien-ke-01",
                Some(odk.households[0].entity_id),
                &["1.jpg"],
                "",
            ),
            &[("1.jpg".to_owned(), photo.clone())],
            0,
        )
        .await;
    assert_eq!(statuses(&answers), [201], "{answers:?}");
    assert!(answers[0].body.contains("OpenRosaResponse"));
    let answers = collect
        .submit(
            &check_xml(
                "uuid:22222222-2222-4222-8222-222222222222",
                "thien-ke-01",
                None,
                &[],
                "",
            ),
            &[],
            0,
        )
        .await;
    assert_eq!(statuses(&answers), [201], "{answers:?}");

    let h0 = native.households[0].clone();
    let first = native.app.check(&h0, "2026-03-05T09:10:00+07:00", true);
    let registered = native.app.household("vinh-loi-01", "T1-99", 5);
    let mut second = native
        .app
        .check(&registered, "2026-03-05T09:10:00+07:00", true);
    if let ntm_field::record::Body::HouseholdCheck(c) = &mut second.body {
        c.health_insurance.members = 4;
    }
    native.app.push_ok(&[first, registered, second]).await;

    let card = |id: &'static str| {
        let admin = admin.clone();
        async move {
            admin
                .get(&format!("/api/v1/communes/{id}/scorecard?as_of=2026-03-31"))
                .await
                .body
        }
    };
    let (by_collect, by_app) = (card("thien-ke").await, card("vinh-loi").await);
    for ind in ["17.6", "17.7", "15.1", "15.3"] {
        for field in ["numerator", "denominator", "value", "coverage"] {
            assert_eq!(
                indicator(&by_collect, ind)[field],
                indicator(&by_app, ind)[field],
                "{ind} {field}"
            );
        }
    }
    assert_eq!(
        indicator(&by_collect, "17.6")["denominator"],
        4.0,
        "the registered household counts"
    );
    let stored = checks(&admin, "thien-ke").await;
    assert_eq!(stored.len(), 2);
    let with_photo = stored
        .iter()
        .find(|v| !v["photos"].as_array().unwrap().is_empty())
        .unwrap();
    assert_eq!(with_photo["photos"][0], PhotoId::of_bytes(&photo).to_hex());
    assert_eq!(
        with_photo["author"], "Lò Thị Hoa",
        "the enumerator of the token"
    );
    assert_eq!(with_photo["captured_at"], "2026-03-05T09:10:00.456+07:00");
    let r = admin
        .get(&format!(
            "/api/v1/blobs/{}",
            PhotoId::of_bytes(&photo).to_hex()
        ))
        .await;
    assert_eq!(
        r.status, 200,
        "the photo is in the same store as tus uploads"
    );
    // The media file now lists the household registered from the form.
    let again = collect.download(&collect.form_list().await[0]).await;
    let csv = String::from_utf8(
        again
            .media
            .iter()
            .find(|(n, _)| n == "households.csv")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(csv.contains("T1-99 – Nguyễn Văn Mới"), "{csv}");
    assert_ne!(again.listed.hash, "", "the form itself is unchanged");
    assert_eq!(again.xml, form.xml);
}

async fn split_posts_replays_and_edits_follow_openrosa(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let c = commune(&server, &admin, "thien-ke").await;
    let mut collect = Collect::new(&c.collect_url);
    let household = Some(c.households[0].entity_id);
    let original = "uuid:33333333-3333-4333-8333-333333333333";
    let xml = check_xml(original, "thien-ke-01", household, &["a.jpg", "b.jpg"], "");
    // Two 6 MB photos pass the 10 MB Collect may send at once: two POSTs.
    let files = vec![
        ("a.jpg".to_owned(), fake_photo(2, 6_000_000)),
        ("b.jpg".to_owned(), fake_photo(3, 6_000_000)),
    ];
    collect.head().await;
    let first = collect.post(&xml, &files[..1], true).await.unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(
        checks(&admin, "thien-ke").await.is_empty(),
        "not a version before every photo arrived"
    );
    let last = collect.post(&xml, &files[1..], false).await.unwrap();
    assert_eq!(last.status, 201, "{}", last.body);
    let stored = checks(&admin, "thien-ke").await;
    assert_eq!(stored.len(), 1);
    let ids: Vec<String> = files
        .iter()
        .map(|(_, b)| PhotoId::of_bytes(b).to_hex())
        .collect();
    assert_eq!(stored[0]["photos"], json!(ids));

    // The whole submission again, as Collect does after losing an answer: 201, nothing added.
    let replay = collect.submit(&xml, &files, 0).await;
    assert_eq!(statuses(&replay), [201, 201]);
    assert_eq!(checks(&admin, "thien-ke").await.len(), 1);
    // The same instanceID with other XML: 409, nothing added.
    let changed = check_xml(
        original,
        "thien-ke-01",
        household,
        &["a.jpg", "b.jpg"],
        "đã sửa",
    );
    let r = collect.post(&changed, &[], false).await.unwrap();
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("nature=\"error\""));

    // Two edits of the one submission: two versions with its version as parent, a conflict.
    let original_version = Uuid::parse_str(stored[0]["version_id"].as_str().unwrap()).unwrap();
    for (i, edit) in [
        "uuid:44444444-4444-4444-8444-444444444444",
        "uuid:55555555-5555-4555-8555-555555555555",
    ]
    .iter()
    .enumerate()
    {
        let xml = check_xml(
            edit,
            "thien-ke-01",
            household,
            &[],
            &format!("edit of {original}"),
        );
        let answers = collect.submit(&xml, &[], 0).await;
        assert_eq!(statuses(&answers), [201], "edit {i}: {answers:?}");
    }
    let stored = checks(&admin, "thien-ke").await;
    assert_eq!(stored.len(), 3);
    let entity = stored[0]["entity_id"].clone();
    assert!(
        stored.iter().all(|v| v["entity_id"] == entity),
        "one entity"
    );
    let children: Vec<&Value> = stored
        .iter()
        .filter(|v| v["parents"] == json!([original_version]))
        .collect();
    assert_eq!(children.len(), 2, "both edits replace the original");
    let card = admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2026-03-31")
        .await
        .body;
    assert_eq!(
        indicator(&card, "17.6")["conflicts"],
        1,
        "nothing dropped: a conflict to resolve"
    );
    // An edit of a submission the server never had: 404.
    let orphan = check_xml(
        "uuid:66666666-6666-4666-8666-666666666666",
        "thien-ke-01",
        household,
        &[],
        "edit of uuid:00000000-0000-4000-8000-000000000000",
    );
    assert_eq!(collect.post(&orphan, &[], false).await.unwrap().status, 404);
    // A last POST still missing a photo: refused with what is missing, the record waits.
    let waiting = check_xml(
        "uuid:77777777-7777-4777-8777-777777777777",
        "thien-ke-01",
        household,
        &["c.jpg"],
        "",
    );
    let r = collect.post(&waiting, &[], false).await.unwrap();
    assert_eq!(r.status, 400);
    assert!(r.body.contains("c.jpg"), "{}", r.body);
    assert_eq!(checks(&admin, "thien-ke").await.len(), 3);
}

async fn hostile_input_is_an_openrosa_4xx_that_changes_nothing(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let c = commune(&server, &admin, "thien-ke").await;
    let other = commune(&server, &admin, "vinh-loi").await;
    let mut collect = Collect::new(&c.collect_url);
    let household = Some(c.households[0].entity_id);
    let stored = "uuid:88888888-8888-4888-8888-888888888888";
    let answers = collect
        .submit(
            &check_xml(stored, "thien-ke-01", household, &[], ""),
            &[],
            0,
        )
        .await;
    assert_eq!(statuses(&answers), [201]);

    let refused = |status: u16, r: ntm_tests::collect::Answer, what: &str| {
        assert_eq!(r.status, status, "{what}: {}", r.body);
        assert!(
            r.body.contains("<OpenRosaResponse") && r.body.contains("nature=\"error\""),
            "{what}: {}",
            r.body
        );
    };
    let laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><data id="household_check"><note>&lol3;</note><meta><instanceID>uuid:x</instanceID></meta></data>"#;
    refused(
        400,
        collect.post(laughs, &[], false).await.unwrap(),
        "billion laughs",
    );
    let xxe = br#"<?xml version="1.0"?><!DOCTYPE data [<!ENTITY x SYSTEM "file:///etc/passwd">]><data id="household_check"><note>&x;</note><meta><instanceID>uuid:x</instanceID></meta></data>"#;
    refused(
        400,
        collect.post(xxe, &[], false).await.unwrap(),
        "external entity",
    );
    let mut huge = b"<data id=\"household_check\"><note>".to_vec();
    huge.resize(50 << 20, b'a');
    huge.extend_from_slice(b"</note></data>");
    match collect.post(&huge, &[], false).await {
        Ok(r) => refused(413, r, "a 50 MB XML"),
        // The server may answer and close before reading all 50 MB.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    let xml = check_xml(
        "uuid:99999999-9999-4999-8999-999999999999",
        "thien-ke-01",
        household,
        &["a.jpg"],
        "",
    );
    let stray = vec![
        ("a.jpg".to_owned(), fake_photo(4, 1000)),
        ("evil.jpg".to_owned(), fake_photo(5, 1000)),
    ];
    refused(
        400,
        collect.post(&xml, &stray, false).await.unwrap(),
        "a photo the XML does not name",
    );
    let r = reqwest::Client::new()
        .post(format!("{}/submission", c.collect_url))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "not multipart");

    // Another commune's phone: this commune's village is not its own, and this commune's
    // instanceID is not its to send.
    let stranger = Collect::new(&other.collect_url);
    let xml = check_xml(
        "uuid:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
        "thien-ke-01",
        household,
        &[],
        "",
    );
    refused(
        400,
        stranger.post(&xml, &[], false).await.unwrap(),
        "another commune's village",
    );
    let theirs = check_xml(
        stored,
        "vinh-loi-01",
        Some(other.households[0].entity_id),
        &[],
        "",
    );
    refused(
        403,
        stranger.post(&theirs, &[], false).await.unwrap(),
        "another commune's instanceID",
    );
    let r = reqwest::get(format!("{}/odk/key/ntmd_not-a-token/formList", server.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "an unknown token");

    assert_eq!(checks(&admin, "thien-ke").await.len(), 1);
    assert!(checks(&admin, "vinh-loi").await.is_empty());
}

async fn a_post_cut_mid_body_or_before_its_answer_is_stored_once_after_collect_retries(
    backend: Backend,
) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let c = commune(&server, &admin, "thien-ke").await;
    let proxy = Proxy::start(server.addr().parse().unwrap()).await;
    let url = c.collect_url.replace(&server.base, &proxy.url());
    let mut collect = Collect::new(&url);
    let household = Some(c.households[0].entity_id);
    let photo = vec![("p.jpg".to_owned(), fake_photo(6, 300_000))];

    proxy.arm(Fault::CutRequest {
        marker: "POST /odk/key/".into(),
        after: 100_000,
    });
    let xml = check_xml(
        "uuid:bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
        "thien-ke-01",
        household,
        &["p.jpg"],
        "",
    );
    let answers = collect.submit(&xml, &photo, 3).await;
    assert_eq!(proxy.fired(), 1, "the body was cut");
    assert_eq!(statuses(&answers), [201]);
    assert_eq!(checks(&admin, "thien-ke").await.len(), 1);

    // Stored and committed, but the answer never reaches the phone: Collect sends it again.
    proxy.arm(Fault::SwallowResponse {
        marker: "POST /odk/key/".into(),
    });
    let xml = check_xml(
        "uuid:cccccccc-cccc-4ccc-8ccc-cccccccccccc",
        "thien-ke-01",
        household,
        &["p.jpg"],
        "",
    );
    let answers = collect.submit(&xml, &photo, 3).await;
    assert_eq!(proxy.fired(), 2);
    assert_eq!(statuses(&answers), [201]);
    let stored = checks(&admin, "thien-ke").await;
    assert_eq!(stored.len(), 2, "each stored once");
}

async fn the_dashboard_enrolls_a_collect_phone_chooses_its_forms_and_revoking_closes_its_url(
    backend: Backend,
) {
    let server = TestServer::start_logging_on(backend, "debug");
    let admin = Api::admin(&server).await;
    let c = commune(&server, &admin, "thien-ke").await;
    let mut dash = Browser::login(&server.base, (ADMIN_USER, ADMIN_PASSWORD)).await;
    let page = dash.get("/dashboard/c/thien-ke/devices").await;
    let csrf = page.csrf();
    let page = dash
        .post(
            "/dashboard/c/thien-ke/enrollments",
            &[
                ("csrf", &csrf),
                ("role", "enumerator"),
                ("hours", "24"),
                ("holder", "Lò Văn Nam"),
                ("app", "odk"),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let at = page
        .body
        .find("id=\"collect-url\">")
        .expect("the URL to type")
        + "id=\"collect-url\">".len();
    let url = page.body[at..page.body[at..].find('<').unwrap() + at].to_owned();
    assert!(
        page.body.contains("id=\"collect-qr\" data-payload=\""),
        "the settings QR code"
    );
    assert!(
        url.starts_with(&format!("{}/odk/key/ntmd_", server.base)),
        "{url}"
    );
    let mut collect = Collect::new(&url);
    assert_eq!(collect.head().await, 204);
    assert_eq!(collect.form_list().await.len(), 3);

    // Only the household check stays on: the list shrinks; a road submission is refused.
    let csrf = dash.get("/dashboard/c/thien-ke/devices").await.csrf();
    let r = dash
        .post(
            "/dashboard/c/thien-ke/odk-forms",
            &[("csrf", &csrf), ("household_check", "on")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let forms = collect.form_list().await;
    assert_eq!(
        forms.iter().map(|f| f.form_id.as_str()).collect::<Vec<_>>(),
        ["household_check"]
    );
    let road = br#"<data id="road_segment"><meta><instanceID>uuid:dddddddd-dddd-4ddd-8ddd-dddddddddddd</instanceID></meta></data>"#;
    assert_eq!(collect.post(road, &[], false).await.unwrap().status, 404);
    let answers = collect
        .submit(
            &check_xml(
                "uuid:eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee",
                "thien-ke-01",
                Some(c.households[0].entity_id),
                &[],
                "",
            ),
            &[],
            0,
        )
        .await;
    assert_eq!(statuses(&answers), [201]);

    // Revoked: every path of the URL is closed.
    let devices = admin.get("/api/v1/communes/thien-ke/devices").await.body;
    let collect_device = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["holder"] == "Lò Văn Nam" && d["platform"] == "odk-collect")
        .unwrap()["device_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = admin
        .post(
            &format!("/api/v1/devices/{collect_device}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(collect.head().await, 403);
    let r = reqwest::get(format!("{url}/formList")).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("thu hồi"));
    let again = check_xml(
        "uuid:ffffffff-ffff-4fff-8fff-ffffffffffff",
        "thien-ke-01",
        Some(c.households[0].entity_id),
        &[],
        "",
    );
    assert_eq!(collect.post(&again, &[], false).await.unwrap().status, 403);

    // The log saw every request, and no token.
    let log = std::fs::read_to_string(server.log_path()).unwrap();
    assert!(
        log.contains("/odk/key/[token]/submission"),
        "requests are logged"
    );
    for token in [url.rsplit('/').next().unwrap(), c.token.as_str()] {
        assert!(!log.contains(token), "the token is in the log");
    }
}

/// A Collect phone of a commune that merged into another keeps its URL: it lists the new
/// commune's villages and its old commune's households, and a check it sends counts for the
/// new commune.
async fn a_collect_phone_of_a_merged_commune_works_for_the_new_one(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    let odk = commune(&server, &admin, "thien-ke").await;
    let mut new = commune_json("son-thuy", "Tuyên Quang");
    new["villages"] = commune_json("thien-ke", "Tuyên Quang")["villages"].clone();
    new["name"] = json!("Sơn Thủy");
    assert_eq!(admin.post("/api/v1/communes", &new).await.status, 201);
    let r = admin
        .post(
            "/api/v1/mergers",
            &json!({"date": "2025-07-01", "legal_basis": "Nghị quyết 1683/NQ-UBTVQH15 ngày 16/6/2025",
                    "commune": "son-thuy", "parts": [{"commune": "thien-ke"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);

    let mut collect = Collect::new(&odk.collect_url);
    let forms = collect.form_list().await;
    let form = collect.download(&forms[0]).await;
    let households_csv = String::from_utf8(
        form.media
            .iter()
            .find(|(n, _)| n == "households.csv")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    for h in &odk.households {
        assert!(
            households_csv.contains(&h.entity_id.to_string()),
            "{households_csv}"
        );
    }
    assert_eq!(collect.head().await, 204);
    let answers = collect
        .submit(
            &check_xml(
                "uuid:33333333-3333-4333-8333-333333333333",
                "thien-ke-01",
                Some(odk.households[0].entity_id),
                &[],
                "",
            ),
            &[],
            0,
        )
        .await;
    assert_eq!(statuses(&answers), [201], "{answers:?}");
    assert_eq!(checks(&admin, "son-thuy").await.len(), 1);
    let card = admin
        .get("/api/v1/communes/son-thuy/scorecard?as_of=2026-03-31")
        .await
        .body;
    let hygiene = indicator(&card, "17.6");
    assert_eq!(
        (&hygiene["numerator"], &hygiene["denominator"]),
        (&json!(1.0), &json!(3.0)),
        "{hygiene}"
    );
}

ntm_tests::on_both_backends!(
    a_collect_phone_of_a_merged_commune_works_for_the_new_one,
    collect_lists_downloads_and_sends_checks_that_move_the_scorecard_as_the_app_would,
    split_posts_replays_and_edits_follow_openrosa,
    hostile_input_is_an_openrosa_4xx_that_changes_nothing,
    a_post_cut_mid_body_or_before_its_answer_is_stored_once_after_collect_retries,
    the_dashboard_enrolls_a_collect_phone_chooses_its_forms_and_revoking_closes_its_url,
);
