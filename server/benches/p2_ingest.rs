//! P2: server ingest over loopback HTTP (batches of 500 household checks from 4 concurrent
//! devices) against inserting the same rows straight into the database in one transaction, in
//! the same run. Prints records/s for both and the ratio (bar: HTTP >= 50 % of direct), for
//! SQLite and for PostgreSQL.
//!
//! `cargo bench -p ntm-server --bench p2_ingest [-- --batches N] [--backend sqlite|postgres|both]`
//! (N batches per device, default 10: 20,000 records). PostgreSQL runs on a scratch database of
//! the server at `NTM_TEST_POSTGRES_URL` (`./dev bench` starts one); without it, `both` (the
//! default) runs SQLite only and says so.

mod common;

use std::time::Instant;

use chrono::Utc;
use common::*;
use ntm_field::protocol::{PushRequest, PushResponse, PushStatus};
use ntm_server::storage::bulk;
use ntm_server::storage::postgres::{PostgresStorage, ScratchDatabase, TEST_SERVER_VAR};
use ntm_server::storage::sqlite::SqliteStorage;
use ntm_server::storage::Storage;
use ntm_server::DataDir;
use uuid::Uuid;

const DEVICES: usize = 4;
const BATCH: usize = 500;

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let smoke = smoke();
    let batches = arg("--batches", if smoke { 1 } else { 10 });
    let postgres = std::env::var(TEST_SERVER_VAR).is_ok();
    let backends = match text_arg("--backend").as_deref() {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ if postgres => vec![Backend::Sqlite, Backend::Postgres],
        _ => {
            println!(
                "(PostgreSQL skipped: {TEST_SERVER_VAR} is not set; `./dev bench` starts a server)"
            );
            vec![Backend::Sqlite]
        }
    };
    for backend in backends {
        run(backend, batches);
    }
}

fn run(backend: Backend, batches: usize) {
    let demo = ntm_field::demo::thien_ke().unwrap();
    let commune = demo.config.commune.id.clone();
    let villages: Vec<_> = demo
        .config
        .commune
        .villages
        .iter()
        .map(|v| v.id.clone())
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    // The server, with the demo commune and four enrolled devices.
    let http_dir = tempfile::tempdir().unwrap();
    let http_db = (backend == Backend::Postgres).then(ScratchDatabase::for_tests);
    let data_dir = DataDir::create(http_dir.path())
        .unwrap()
        .with_database(http_db.as_ref().map(|d| d.url.clone()))
        .unwrap();
    let (base, storage) = start_server(&runtime, &data_dir);
    storage
        .create_commune(&demo.config.commune, &demo.config.responsibilities)
        .unwrap();
    let devices: Vec<(Uuid, String)> = (0..DEVICES)
        .map(|n| device(&*storage, &commune, n, "bench"))
        .collect();

    // Every device's batches, built and encoded before the clock starts.
    let mut all_versions = Vec::new();
    let mut bodies: Vec<Vec<Vec<u8>>> = Vec::new();
    for (d, (device_id, _)) in devices.iter().enumerate() {
        let mut per_device = Vec::new();
        for b in 0..batches {
            let first_seq = (b * BATCH + 1) as u64;
            let versions: Vec<_> = (0..BATCH)
                .map(|i| {
                    let n = (d * batches * BATCH + b * BATCH + i) as u64;
                    let captured =
                        at("2020-03-01T08:00:00+07:00") + chrono::Duration::seconds(n as i64);
                    version(
                        &commune,
                        Some(&villages[i % villages.len()]),
                        *device_id,
                        first_seq + i as u64,
                        captured,
                        check(Uuid::now_v7(), n),
                    )
                })
                .collect();
            per_device.push(
                serde_json::to_vec(&PushRequest {
                    device_id: *device_id,
                    first_seq,
                    versions: versions.clone(),
                })
                .unwrap(),
            );
            all_versions.extend(versions);
        }
        bodies.push(per_device);
    }
    let total = DEVICES * batches * BATCH;
    let wire_bytes: usize = bodies.iter().flatten().map(Vec::len).sum();

    let client = reqwest::Client::new();
    let started = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = devices
            .iter()
            .zip(bodies)
            .map(|((_, token), bodies)| {
                let client = client.clone();
                let url = format!("{base}/api/v1/sync/push");
                let token = token.clone();
                tokio::spawn(async move {
                    for body in bodies {
                        let resp = client
                            .post(&url)
                            .bearer_auth(&token)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(resp.status(), 200);
                        let answer: PushResponse = resp.json().await.unwrap();
                        assert!(
                            answer
                                .results
                                .iter()
                                .all(|r| r.status == PushStatus::Stored),
                            "every check stored"
                        );
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let http_secs = started.elapsed().as_secs_f64();
    assert_eq!(
        storage.commune_versions(&commune).unwrap().len(),
        total,
        "the server holds every record once"
    );
    drop(storage);
    drop(runtime);
    if backend == Backend::Postgres {
        return report_postgres(
            total,
            batches,
            wire_bytes,
            http_secs,
            &demo,
            &mut all_versions,
        );
    }

    // The same rows, straight into SQLite in one transaction: each version row with its push
    // outcome and its entity fact, serialised beforehand, as the server writes them.
    let direct_dir = tempfile::tempdir().unwrap();
    let direct = SqliteStorage::open(&direct_dir.path().join("ntm.sqlite3")).unwrap();
    direct
        .create_commune(&demo.config.commune, &demo.config.responsibilities)
        .unwrap();
    let rows = bulk::prepare_rows(&mut all_versions, 1, Utc::now());
    let started = Instant::now();
    direct
        .with_write_transaction(|tx| bulk::insert_rows(tx, &rows, true))
        .unwrap();
    let direct_secs = started.elapsed().as_secs_f64();
    // And the version rows alone.
    let versions_dir = tempfile::tempdir().unwrap();
    let versions_only = SqliteStorage::open(&versions_dir.path().join("ntm.sqlite3")).unwrap();
    let started = Instant::now();
    versions_only
        .with_write_transaction(|tx| bulk::insert_versions(tx, &rows.versions, false))
        .unwrap();
    let versions_secs = started.elapsed().as_secs_f64();

    let http_rate = total as f64 / http_secs;
    let direct_rate = total as f64 / direct_secs;
    let versions_rate = total as f64 / versions_secs;
    println!("P2 ingest: {total} household checks, {DEVICES} devices x {batches} batches of {BATCH}, JSON {:.0} B/record on the wire", wire_bytes as f64 / total as f64);
    println!("  over loopback HTTP (decode, validate, store, facts, COMMIT per batch): {http_rate:>9.0} records/s ({http_secs:.2} s)");
    println!("  straight into SQLite, one transaction (version + outcome + fact rows):  {direct_rate:>9.0} records/s ({direct_secs:.2} s)");
    println!("  straight into SQLite, one transaction (version rows only):             {versions_rate:>9.0} records/s ({versions_secs:.2} s)");
    println!("P2 ratio HTTP / direct (same rows): {:.0} % (bar >= 50 %); HTTP / version rows only: {:.0} %", 100.0 * http_rate / direct_rate, 100.0 * http_rate / versions_rate);
}

/// The PostgreSQL side: the same rows straight into a scratch database in one transaction, by
/// `COPY` (the fastest way in), against the HTTP rate measured on PostgreSQL.
fn report_postgres(
    total: usize,
    batches: usize,
    wire_bytes: usize,
    http_secs: f64,
    demo: &ntm_field::demo::DemoCommune,
    all_versions: &mut [ntm_field::record::Version],
) {
    let rows = bulk::prepare_rows(all_versions, 1, Utc::now());
    let direct_db = ScratchDatabase::for_tests();
    let direct = PostgresStorage::connect_with(&direct_db.url, 1).unwrap();
    direct
        .create_commune(&demo.config.commune, &demo.config.responsibilities)
        .unwrap();
    let started = Instant::now();
    direct.bulk_load(&rows, true, &[]).unwrap();
    let direct_secs = started.elapsed().as_secs_f64();
    let versions_db = ScratchDatabase::for_tests();
    let versions_only = PostgresStorage::connect_with(&versions_db.url, 1).unwrap();
    versions_only
        .create_commune(&demo.config.commune, &demo.config.responsibilities)
        .unwrap();
    let just_versions = bulk::Rows {
        versions: rows.versions,
        facts: Vec::new(),
        latest_capture: Default::default(),
    };
    let started = Instant::now();
    versions_only.bulk_load(&just_versions, false, &[]).unwrap();
    let versions_secs = started.elapsed().as_secs_f64();

    let http_rate = total as f64 / http_secs;
    let direct_rate = total as f64 / direct_secs;
    let versions_rate = total as f64 / versions_secs;
    println!("P2 ingest on PostgreSQL: {total} household checks, {DEVICES} devices x {batches} batches of {BATCH}, JSON {:.0} B/record on the wire", wire_bytes as f64 / total as f64);
    println!("  over loopback HTTP (decode, validate, store, facts, COMMIT per batch): {http_rate:>9.0} records/s ({http_secs:.2} s)");
    println!("  straight into PostgreSQL by COPY, one transaction (version + outcome + fact rows): {direct_rate:>9.0} records/s ({direct_secs:.2} s)");
    println!("  straight into PostgreSQL by COPY, one transaction (version rows only):             {versions_rate:>9.0} records/s ({versions_secs:.2} s)");
    println!("P2 ratio on PostgreSQL, HTTP / direct (same rows): {:.0} % (bar >= 50 %); HTTP / version rows only: {:.0} %", 100.0 * http_rate / direct_rate, 100.0 * http_rate / versions_rate);
}
