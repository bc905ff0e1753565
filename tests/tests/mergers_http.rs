//! Communes that merge over HTTP against the real server on SQLite and PostgreSQL: an
//! administrator records the merger of two communes into a new one (what is wrong with a
//! broken one is said by field); a part's scorecard before the merger is unchanged, and after it
//! says where the commune went; the new commune's figure for a pre-merger date is the sum of its
//! parts' numerators and denominators (on the API, the dashboard card and the overview); its
//! yes/no criteria need a new assessment.

mod dashboard_common;

use dashboard_common::Browser;
use ntm_field::record::{Assessment, Body};
use ntm_tests::server::indicator;
use ntm_tests::server::{Api, Backend, TestServer};
use ntm_tests::server_records::*;
use serde_json::{json, Value};
use uuid::Uuid;

fn ratio(card: &Value, id: &str) -> (f64, f64) {
    let i = indicator(card, id);
    (
        i["numerator"].as_f64().unwrap(),
        i["denominator"].as_f64().unwrap(),
    )
}

/// The text of a commune's row of the overview.
fn overview_row(body: &str, commune: &str) -> String {
    let start = body
        .find(&format!("<tr data-commune=\"{commune}\""))
        .unwrap_or_else(|| panic!("no row for {commune}"));
    let end = body[start..]
        .find("</tr>")
        .map_or(body.len(), |e| start + e);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn officer(server: &TestServer, admin: &Api, commune: &str) -> FieldDevice {
    let r = admin
        .post(
            &format!("/api/v1/communes/{commune}/enrollments"),
            &json!({"role": "officer", "expires_in_hours": 24}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    FieldDevice::enroll(
        &server.url(""),
        r.body["code"].as_str().unwrap(),
        &format!("{commune} officer"),
    )
    .await
}

fn verdict(
    phone: &mut FieldDevice,
    indicator: &str,
    met: bool,
    as_of: &str,
) -> ntm_field::record::Version {
    let body = Body::Assessment(Assessment {
        edition: None,
        indicator_id: indicator.into(),
        as_of: as_of.parse().unwrap(),
        numerator: None,
        denominator: None,
        value: None,
        met: Some(met),
        source: "Biên bản đánh giá (minh họa)".into(),
        note: String::new(),
    });
    phone.write(
        Uuid::now_v7(),
        vec![],
        None,
        &format!("{as_of}T08:00:00+07:00"),
        body,
    )
}

/// `households` of the commune's first village, the first `passing` of them passing 17.6, a
/// baseline of field roads, and (with `irrigated`) a verdict on 3.1.
async fn record(
    phone: &mut FieldDevice,
    households: usize,
    passing: usize,
    roads: (f64, f64),
    irrigated: Option<bool>,
) -> Vec<ntm_field::record::Version> {
    let village = format!("{}-01", phone.commune);
    let mut versions = Vec::new();
    for i in 0..households {
        let h = phone.household(&village, &format!("H{i}"), 4);
        let c = phone.check(&h, "2024-05-01T08:00:00+07:00", i < passing);
        versions.extend([h, c]);
    }
    versions.push(phone.assessment(
        "2.4",
        "2023-01-10",
        (Some(roads.0), Some(roads.1), None),
        "2023-01-10T08:00:00+07:00",
    ));
    if let Some(met) = irrigated {
        versions.push(verdict(phone, "3.1", met, "2024-01-10"));
    }
    phone.push_ok(&versions).await;
    versions
}

async fn a_merged_commune_before_its_merger_is_the_sum_of_its_parts_and_asks_for_new_verdicts(
    backend: Backend,
) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    for id in ["xa-a", "xa-b"] {
        let r = admin
            .post("/api/v1/communes", &commune_json(id, "Tuyên Quang"))
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    // The new commune, with every village of both.
    let mut new = commune_json("son-thuy", "Tuyên Quang");
    let villages: Vec<Value> = ["xa-a", "xa-b"]
        .iter()
        .flat_map(|id| {
            commune_json(id, "Tuyên Quang")["villages"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    new["villages"] = json!(villages);
    new["name"] = json!("Sơn Thủy");
    new["code"] = json!("09001");
    let r = admin.post("/api/v1/communes", &new).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["code"], "09001");

    let mut a = officer(&server, &admin, "xa-a").await;
    record(&mut a, 3, 2, (10.0, 20.0), Some(true)).await;
    let mut b = officer(&server, &admin, "xa-b").await;
    let b_records = record(&mut b, 1, 0, (5.0, 10.0), None).await;

    let card = |id: &str, date: &str| format!("/api/v1/communes/{id}/scorecard?as_of={date}");
    let a_before = admin.get(&card("xa-a", "2025-06-30")).await;
    assert_eq!(a_before.status, 200, "{:?}", a_before.body);
    let b_before = admin.get(&card("xa-b", "2025-06-30")).await.body;

    let merger = json!({
        "date": "2025-07-01",
        "legal_basis": "Nghị quyết 1683/NQ-UBTVQH15 ngày 16/6/2025 (minh họa)",
        "commune": "son-thuy",
        "parts": [{"commune": "xa-a"}, {"commune": "xa-b"}]
    });
    // Only an administrator records a merger; a broken one says what to fix.
    let r = a.api.post("/api/v1/mergers", &merger).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    let mut broken = merger.clone();
    broken["parts"][1] = json!({"commune": "xa-a", "villages": ["xa-a-01"]});
    let r = admin.post("/api/v1/mergers", &broken).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "parts[1].commune", "{:?}", r.body);
    let mut broken = merger.clone();
    broken["parts"][1] = json!({"commune": "xa-b", "villages": ["xa-a-01"]});
    let r = admin.post("/api/v1/mergers", &broken).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "parts[1].villages");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("xa-a-01 is not a village of xa-b"),
        "{:?}",
        r.body
    );
    let r = admin.post("/api/v1/mergers", &merger).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let r = admin.post("/api/v1/mergers", &merger).await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    let listed = admin.get("/api/v1/mergers").await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    let old = admin.get("/api/v1/communes/xa-a").await.body;
    assert_eq!(old["valid_until"], "2025-07-01");

    // A part before the merger: as it was.
    let a_again = admin.get(&card("xa-a", "2025-06-30")).await.body;
    assert_eq!(a_again, a_before.body);
    assert_eq!(indicator(&a_again, "3.1")["met"], true);

    // The new commune for a date before the merger: the sum of its parts.
    let sum = admin.get(&card("son-thuy", "2025-06-30")).await;
    assert_eq!(sum.status, 200, "{:?}", sum.body);
    let sum = sum.body;
    for id in ["17.6", "2.4"] {
        let (an, ad) = ratio(&a_before.body, id);
        let (bn, bd) = ratio(&b_before, id);
        assert_eq!(ratio(&sum, id), (an + bn, ad + bd), "{id}");
    }
    // 2 of 3 and 0 of 1: 2 of 4, 50 %, not the mean of 66.67 % and 0 %.
    assert_eq!(ratio(&sum, "17.6"), (2.0, 4.0));
    assert_eq!(indicator(&sum, "17.6")["value"], 50.0);
    assert_eq!(sum["lineage"]["kind"], "merged_from");
    assert_eq!(sum["lineage"]["sum_of_parts"], true);

    // After the merger: the parts' verdicts are not carried over.
    let after = admin.get(&card("son-thuy", "2025-09-30")).await.body;
    assert_eq!(after["lineage"]["sum_of_parts"], false);
    let irrigation = indicator(&after, "3.1");
    assert_eq!(irrigation["needs_new_assessment"], true, "{irrigation}");
    assert_eq!(irrigation["met"], Value::Null);
    assert_eq!(ratio(&after, "17.6"), (2.0, 4.0));
    // A phone of the new commune checks xa-b's household again, and it now passes: the
    // household is the same entity, its later check decides.
    let mut new_phone = officer(&server, &admin, "son-thuy").await;
    let check = new_phone.check(&b_records[0], "2025-08-01T08:00:00+07:00", true);
    new_phone.push_ok(&[check]).await;
    let rechecked = admin.get(&card("son-thuy", "2025-09-30")).await.body;
    assert_eq!(ratio(&rechecked, "17.6"), (3.0, 4.0));
    let before_check = admin.get(&card("son-thuy", "2025-07-15")).await.body;
    assert_eq!(ratio(&before_check, "17.6"), (2.0, 4.0));

    // The old commune after the merger says where it went, with its last figures.
    let gone = admin.get(&card("xa-a", "2025-12-31")).await.body;
    assert_eq!(gone["lineage"]["kind"], "merged_into");
    assert_eq!(gone["lineage"]["commune"], "son-thuy");
    assert_eq!(gone["as_of"], "2025-06-30");
    assert_eq!(ratio(&gone, "17.6"), ratio(&a_before.body, "17.6"));

    // The dashboard says the same.
    let mut browser = Browser::login(
        &server.base,
        (
            ntm_tests::server::ADMIN_USER,
            ntm_tests::server::ADMIN_PASSWORD,
        ),
    )
    .await;
    let page = browser.get("/dashboard/c/son-thuy?as_of=2025-06-30").await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(
        text.contains("Xã hình thành do sắp xếp từ xa-a, xa-b"),
        "{text}"
    );
    assert!(text.contains("tổng tử số và mẫu số"), "{text}");
    assert!(
        page.body.contains("new-assessment"),
        "3.1 needs a new assessment"
    );
    let overview = browser.get("/dashboard/overview?as_of=2025-06-30").await;
    let row = overview_row(&overview.body, "son-thuy");
    // The overview counts it the same way: 17.6 at 50 %, the furthest from its 70 %.
    assert!(row.contains("17.6") && row.contains("50 %"), "{row}");
    let page = browser.get("/dashboard/c/xa-a?as_of=2025-12-31").await;
    assert!(
        page.text().contains("Xã đã sáp nhập vào son-thuy"),
        "{}",
        page.text()
    );
}

ntm_tests::on_both_backends!(
    a_merged_commune_before_its_merger_is_the_sum_of_its_parts_and_asks_for_new_verdicts,
);
