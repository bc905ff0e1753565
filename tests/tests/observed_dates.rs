//! A record keeps its field date: a sign seen on 21/03/2020 and corrected, or its conflict
//! resolved, on a phone whose clock reads 2026 stays in March 2020 in the server's scorecard and
//! period report, and the incremental totals still equal a recompute. Real server, real phones,
//! on SQLite and on PostgreSQL. (The dashboard's resolution: `dashboard_http`.)

mod dashboard_common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use dashboard_common::{read_xlsx, text_is, Sheet};
use ntm_field::protocol::Role;
use ntm_field::record::{Body, Version};
use ntm_field::store::{Clock, Draft};
use ntm_tests::phone::*;
use ntm_tests::server::{Api, Backend, TestServer};

/// How far back a phone's clock must go to read 21/03/2020 at 09:00 in Vietnam.
fn back_to_21_march_2020() -> Duration {
    let seen = DateTime::parse_from_rfc3339("2020-03-21T09:00:00+07:00").unwrap();
    seen.with_timezone(&Utc) - Utc::now()
}

fn noted(v: &Version, note: &str) -> Draft {
    let mut d = Draft::from_version(v);
    if let Body::TrashSign(s) = &mut d.body {
        s.note = note.to_owned();
    }
    d
}

async fn signs_placed(admin: &Api, as_of: &str) -> (f64, u64) {
    let card = server_scorecard(admin, "thien-ke", as_of).await;
    let measure = card["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "signs_placed")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    (measure, card["conflicts"].as_u64().unwrap())
}

/// The report of `period`: its "Biển báo" sheet and the summary's "signs placed / households
/// checked in the period".
async fn period_report(admin: &Api, period: &str) -> (Sheet, String) {
    let resp = admin
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/communes/thien-ke/export/xlsx?period={period}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut sheets = read_xlsx(&resp.bytes().await.unwrap());
    let in_period = sheets[0]
        .1
        .row_where(0, "Biển báo cắm trong kỳ / Hộ được kiểm tra trong kỳ")[1]
        .to_string();
    let at = sheets.iter().position(|(n, _)| n == "Biển báo").unwrap();
    (sheets.swap_remove(at).1, in_period)
}

/// Where the sign stands in the reports: in March 2020 (observed 21/03/2020), in no later
/// period, and in the scorecard from 21/03/2020 on.
async fn assert_counted_in_march_2020(server: &TestServer, admin: &Api, sign: &Version) {
    let (signs, in_period) = period_report(admin, "2020-03").await;
    assert_eq!(in_period, "1 / 0");
    let row = signs.row_where(signs.column(0, "Mã hồ sơ"), &sign.entity_id.to_string());
    assert_eq!(
        row[signs.column(0, "Ngày quan sát")].to_string(),
        "21/03/2020"
    );
    assert!(text_is(&row[signs.column(0, "Quan sát trong kỳ")], "Có"));
    let this_month = Utc::now().format("%Y-%m").to_string();
    let (signs_now, in_period_now) = period_report(admin, &this_month).await;
    assert_eq!(in_period_now, "0 / 0", "not placed again in {this_month}");
    let row = signs_now.row_where(signs_now.column(0, "Mã hồ sơ"), &sign.entity_id.to_string());
    assert!(text_is(
        &row[signs_now.column(0, "Quan sát trong kỳ")],
        "Không"
    ));

    assert_eq!(signs_placed(admin, "2020-03-20").await, (0.0, 0));
    assert_eq!(signs_placed(admin, "2020-03-31").await, (1.0, 0));
    assert_eq!(signs_placed(admin, "2020-12-31").await, (1.0, 0));
    let recompute = server.cli(&["recompute"]);
    assert!(
        recompute.status.success(),
        "incremental totals equal a recompute: {}",
        String::from_utf8_lossy(&recompute.stdout)
    );
}

async fn phone(server: &TestServer, admin: &Api) -> TestPhone {
    let code = enrollment_code(admin, "thien-ke", Role::Enumerator).await;
    TestPhone::enroll(&server.base, &code, test_options()).await
}

async fn a_sign_seen_in_march_2020_and_corrected_in_2026_stays_in_march_2020(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    create_demo_commune(&admin).await;
    let p = phone(&server, &admin).await;
    p.clock.set_offset(back_to_21_march_2020());
    let seen = p
        .store
        .create(sign_draft("thien-ke-03", p.clock.now()))
        .unwrap();
    p.sync_until_done(3).await;

    p.clock.set_offset(Duration::zero());
    let corrected = p
        .store
        .edit(seen.entity_id, noted(&seen, "sơn lại chữ"))
        .unwrap();
    assert_eq!(
        corrected.observed_on,
        Some(NaiveDate::from_ymd_opt(2020, 3, 21).unwrap())
    );
    p.sync_until_done(3).await;
    assert_counted_in_march_2020(&server, &admin, &corrected).await;
}

async fn a_conflict_resolved_on_a_phone_in_2026_stays_in_march_2020(backend: Backend) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    create_demo_commune(&admin).await;
    let (a, b) = (phone(&server, &admin).await, phone(&server, &admin).await);
    a.clock.set_offset(back_to_21_march_2020());
    let seen = a
        .store
        .create(sign_draft("thien-ke-03", a.clock.now()))
        .unwrap();
    a.sync_until_done(3).await;
    b.sync_until_done(3).await;
    // Both phones correct the sign without seeing each other's correction.
    a.store.edit(seen.entity_id, noted(&seen, "máy A")).unwrap();
    b.store.edit(seen.entity_id, noted(&seen, "máy B")).unwrap();
    b.sync_until_done(3).await;
    a.sync_until_done(3).await;
    assert_eq!(signs_placed(&admin, "2020-03-31").await, (1.0, 1));

    a.clock.set_offset(Duration::zero());
    let heads = a.store.heads(seen.entity_id).unwrap();
    assert_eq!(heads.len(), 2);
    let merged = a
        .store
        .resolve(seen.entity_id, Draft::from_version(&heads[1]))
        .unwrap();
    assert_eq!(merged.observed_date(), seen.observed_date());
    a.sync_until_done(3).await;
    assert_counted_in_march_2020(&server, &admin, &merged).await;
}

ntm_tests::on_both_backends!(
    a_sign_seen_in_march_2020_and_corrected_in_2026_stays_in_march_2020,
    a_conflict_resolved_on_a_phone_in_2026_stays_in_march_2020,
);
