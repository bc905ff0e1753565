//! P2: server ingest over loopback HTTP (batches of 500 household checks from 4 concurrent
//! devices) against inserting the same rows straight into SQLite in one transaction, in the
//! same run. Prints records/s for both and the ratio (bar: HTTP >= 50 % of direct).
//!
//! `cargo bench -p ntm-server --bench p2_ingest [-- --batches N]` (N batches per device,
//! default 10: 20,000 records).

mod common;

use std::time::Instant;

use chrono::Utc;
use common::*;
use ntm_field::protocol::{PushRequest, PushResponse, PushStatus, Role};
use ntm_server::auth::{new_token, token_hash, DEVICE_TOKEN_PREFIX};
use ntm_server::storage::bulk;
use ntm_server::storage::sqlite::SqliteStorage;
use ntm_server::storage::{NewDevice, NewEnrollment, Storage};
use ntm_server::DataDir;
use uuid::Uuid;

const DEVICES: usize = 4;
const BATCH: usize = 500;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Enrolls a device straight through the storage; returns its id and token.
fn device(storage: &dyn Storage, commune: &ntm_field::ids::Slug, n: usize) -> (Uuid, String) {
    let code = format!("bench-code-{n}-{}", Uuid::now_v7());
    storage
        .create_enrollment(&NewEnrollment {
            code_hash: token_hash(&code),
            commune_id: commune.clone(),
            role: Role::Enumerator,
            holder: None,
            expires_at: Utc::now() + chrono::Duration::hours(1),
            created_by: "bench".into(),
        })
        .unwrap();
    let token = new_token(DEVICE_TOKEN_PREFIX);
    let d = NewDevice { device_id: Uuid::now_v7(), token_hash: token_hash(&token), name: format!("bench {n}"), platform: "bench".into() };
    let device = storage.redeem_enrollment(&token_hash(&code), Utc::now(), &d).unwrap().unwrap();
    (device.device_id, token)
}

fn main() {
    let batches = arg("--batches", 10);
    let demo = ntm_field::demo::thien_ke().unwrap();
    let commune = demo.config.commune.id.clone();
    let villages: Vec<_> = demo.config.commune.villages.iter().map(|v| v.id.clone()).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    // The server, with the demo commune and four enrolled devices.
    let http_dir = tempfile::tempdir().unwrap();
    let (base, storage) = start_server(&runtime, &DataDir::create(http_dir.path()).unwrap());
    storage.create_commune(&demo.config.commune, &demo.config.responsibilities).unwrap();
    let devices: Vec<(Uuid, String)> = (0..DEVICES).map(|n| device(&*storage, &commune, n)).collect();

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
                    let captured = at("2020-03-01T08:00:00+07:00") + chrono::Duration::seconds(n as i64);
                    version(&commune, Some(&villages[i % villages.len()]), *device_id, first_seq + i as u64, captured, check(Uuid::now_v7(), n))
                })
                .collect();
            per_device.push(serde_json::to_vec(&PushRequest { device_id: *device_id, first_seq, versions: versions.clone() }).unwrap());
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
                        assert!(answer.results.iter().all(|r| r.status == PushStatus::Stored), "every check stored");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let http_secs = started.elapsed().as_secs_f64();
    let stored = storage.server_head(&commune).unwrap();
    assert_eq!(stored as usize, total, "the server holds every record once");

    // The same rows, straight into SQLite in one transaction: each version row with its push
    // outcome and its entity fact, serialised beforehand, as the server writes them.
    let direct_dir = tempfile::tempdir().unwrap();
    let direct = SqliteStorage::open(&direct_dir.path().join("ntm.sqlite3")).unwrap();
    direct.create_commune(&demo.config.commune, &demo.config.responsibilities).unwrap();
    let rows = bulk::prepare_rows(&mut all_versions, 1, Utc::now());
    let started = Instant::now();
    direct.with_write_transaction(|tx| bulk::insert_rows(tx, &rows, true)).unwrap();
    let direct_secs = started.elapsed().as_secs_f64();
    // And the version rows alone.
    let versions_dir = tempfile::tempdir().unwrap();
    let versions_only = SqliteStorage::open(&versions_dir.path().join("ntm.sqlite3")).unwrap();
    let started = Instant::now();
    versions_only.with_write_transaction(|tx| bulk::insert_versions(tx, &rows.versions, false)).unwrap();
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
