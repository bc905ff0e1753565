//! The dashboard in a real browser: sets up the world (real server, demo commune, accounts,
//! field records), runs tests/e2e/dashboard.spec.mjs in headless Chromium with `node --test`,
//! then reads the XLSX report the browser downloaded with calamine. Screenshots of every page are
//! kept in artifacts/screenshots/dashboard/.
//!
//! Needs Debian's Chromium and tests/e2e/node_modules (playwright-core): `./dev test` installs
//! both before it runs the tests.

mod dashboard_common;

use std::path::PathBuf;
use std::process::Command;

use dashboard_common::{check_q1_2020_report, world, DISTRICT, OFFICER, PROVINCE, VIEWER};
use ntm_tests::server::{ADMIN_PASSWORD, ADMIN_USER};
use serde_json::json;

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("e2e")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_works_in_a_real_browser_and_its_report_reads_back() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists() && e2e_dir().join("node_modules/playwright-core").exists(),
        "the browser tests need {chromium} and tests/e2e/node_modules: run `./dev test` once (it installs both)"
    );
    let shots =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts/screenshots/dashboard");
    let _ = std::fs::remove_dir_all(&shots);
    let w = world().await;
    let downloads = tempfile::tempdir().unwrap();
    let users = json!({
        "officer": [OFFICER.0, OFFICER.1],
        "viewer": [VIEWER.0, VIEWER.1],
        "province": [PROVINCE.0, PROVINCE.1],
        "district": [DISTRICT.0, DISTRICT.1],
        "admin": [ADMIN_USER, ADMIN_PASSWORD],
    });
    let world_info = json!({
        "far_sign": w.far_sign.entity_id,
        "conflict_entity": w.conflict_entity,
        "spare_device": w.spare.device_id,
        "spare_token": w.spare.token,
        "spare_next_seq": w.spare.seq + 1,
    });
    let base = w.server.base.clone();
    let downloads_path = downloads.path().to_owned();
    let chromium_path = chromium.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-concurrency=1",
                "--test-reporter=spec",
                "dashboard.spec.mjs",
            ])
            .current_dir(e2e_dir())
            .env("NTM_BASE_URL", &base)
            .env("NTM_USERS", users.to_string())
            .env("NTM_WORLD", world_info.to_string())
            .env("NTM_DOWNLOADS", &downloads_path)
            .env("CHROMIUM", &chromium_path)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{log}");
    assert!(output.status.success(), "the browser spec failed:\n{log}");

    // The report the browser downloaded, cell by cell.
    let bytes = std::fs::read(downloads.path().join("report-2020-Q1.xlsx"))
        .expect("the browser saved the report");
    let card = w
        .admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2020-03-31")
        .await;
    // The browser resolved the sign's conflict.
    check_q1_2020_report(&bytes, card.body["criteria_met"].as_u64().unwrap(), 0);
    let geo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(downloads.path().join("thien-ke.geojson")).unwrap())
            .unwrap();
    assert_eq!(geo["type"], "FeatureCollection");

    let count = std::fs::read_dir(&shots).map(|d| d.count()).unwrap_or(0);
    assert!(
        count >= 32,
        "a screenshot of every page in {}: {count}",
        shots.display()
    );
}
