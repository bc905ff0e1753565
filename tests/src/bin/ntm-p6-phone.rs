//! The phone of the P6 link test (`tests/tests/p6_link.rs`), run inside the phone's network
//! namespace: the real device store and sync engine, talking to the real server over the
//! emulated link. `ntm-p6-phone SERVER_URL CHECKS PHOTOS PHOTO_WIDTH` then, line by line with the test:
//!
//! 1. on the clean link it creates the demo commune, enrolls, registers CHECKS households and
//!    syncs them, then saves CHECKS household checks, PHOTOS of them with a photo, and prints
//!    `P6 ready {json}` (the push bodies' bytes, the photos' bytes);
//! 2. on `go` (the link now has its profile) it syncs until a round completes, retrying
//!    promptly after a failure as the app does when the network comes back; it prints
//!    `P6 records-done {}` when the records are pushed and pulled and `P6 synced {json}` (times, rounds, the client's view of photo restarts);
//! 3. on `verify` (the link clean again) it reads back what the server holds and prints
//!    `P6 verified {json}`.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ntm_field::protocol::Role;
use ntm_field::store::Store;
use ntm_field::sync::{client::encode_push, Phase, SyncEngine, SyncOptions};
use ntm_tests::phone::{
    camera_jpeg, check_draft, create_demo_commune, enrollment_code, household_draft,
    server_versions,
};
use ntm_tests::server::Api;
use serde_json::json;
use sha2::Digest;

/// The pause before the next round after a failed one: the app starts a round as soon as the
/// OS says the network is back, which a cut of a few seconds is.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

fn wait_for(line: &str) -> anyhow::Result<()> {
    let mut got = String::new();
    std::io::stdin().lock().read_line(&mut got)?;
    if got.trim() != line {
        bail!("expected {line:?} from the test, got {got:?}");
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, server, checks, photos, photo_width] = &args[..] else {
        bail!("usage: ntm-p6-phone SERVER_URL CHECKS PHOTOS PHOTO_WIDTH");
    };
    // The camera picture is 4:3.
    let photo_width: u32 = photo_width.parse().context("PHOTO_WIDTH")?;
    let checks: usize = checks.parse().context("CHECKS")?;
    let photos: usize = photos.parse().context("PHOTOS")?;

    // 1. Set up on the clean link.
    let admin = Api::login(
        server,
        ntm_tests::server::ADMIN_USER,
        ntm_tests::server::ADMIN_PASSWORD,
    )
    .await;
    create_demo_commune(&admin).await;
    let code = enrollment_code(&admin, "thien-ke", Role::Enumerator).await;
    let dir = tempfile::tempdir()?;
    let store = Arc::new(Store::open(dir.path())?);
    SyncEngine::enroll(&store, server, &code, "P6 phone", "test").await?;
    // The engine's defaults, as the app runs it.
    let options = SyncOptions::default();
    let engine = Arc::new(SyncEngine::new(store.clone(), options.clone()));
    let villages = ntm_field::demo::thien_ke()?.config.commune.villages;
    let mut households = Vec::with_capacity(checks);
    for i in 0..checks {
        let village = &villages[i % villages.len()];
        let draft = household_draft(&format!("P6-{i:05}"), village.id.as_str());
        households.push(store.create(draft)?);
    }
    engine.sync_once().await?;

    let every = checks.checked_div(photos).map_or(usize::MAX, |e| e.max(1));
    let mut check_ids = Vec::with_capacity(checks);
    let mut photo_ids = Vec::new();
    for (i, household) in households.iter().enumerate() {
        let mut draft = check_draft(household, i % 3 != 0);
        if i % every == 0 && photo_ids.len() < photos {
            let picture = ntm_field::photo::intake(
                &camera_jpeg(photo_width, photo_width * 3 / 4, i as u64 + 1),
                1600,
            )?;
            let id = store.add_photo(&picture)?;
            draft.photos.push(id);
            photo_ids.push(id);
        }
        check_ids.push(store.create(draft)?.version_id);
    }
    // The bodies the engine will push, encoded as it encodes them: the payload the link must
    // carry at the least.
    let device_id = store.enrollment()?.context("enrolled")?.device_id;
    let mut push_body_bytes = 0u64;
    let mut from = store.sync_outbox_start(device_id)?;
    while let Some(first_seq) = from {
        let batch = store.sync_batch(device_id, first_seq, options.batch.size())?;
        let Some(last) = batch.last().map(|e| e.device_seq) else {
            break;
        };
        let request = ntm_field::protocol::PushRequest {
            device_id,
            first_seq,
            versions: batch.into_iter().map(|e| e.version).collect(),
        };
        push_body_bytes += encode_push(&request, options.format).0.len() as u64;
        from = Some(last + 1).filter(|_| request.versions.len() == options.batch.size());
    }
    let photo_bytes: Vec<u64> = store
        .sync_photos_pending()?
        .iter()
        .map(|p| p.bytes)
        .collect();
    println!(
        "P6 ready {}",
        json!({"records": checks, "push_body_bytes": push_body_bytes, "photo_bytes": photo_bytes})
    );
    wait_for("go")?;

    // 2. Sync over the profiled link.
    let start = Instant::now();
    let records_done_at: Arc<Mutex<Option<Duration>>> = Arc::default();
    let mut progress = engine.progress();
    let watcher = {
        let records_done_at = records_done_at.clone();
        tokio::spawn(async move {
            while progress.changed().await.is_ok() {
                if progress.borrow().phase == Phase::Photos {
                    let mut done = records_done_at.lock().unwrap_or_else(|p| p.into_inner());
                    if done.is_none() {
                        *done = Some(start.elapsed());
                        println!("P6 records-done {{}}");
                    }
                }
            }
        })
    };
    // The client's witness of a restart: a photo's confirmed bytes going down, or its upload
    // URL changing after the server had confirmed some of it.
    let restarts = Arc::new(Mutex::new(Vec::<String>::new()));
    let photo_watch = {
        let store = store.clone();
        let restarts = restarts.clone();
        tokio::spawn(async move {
            let mut seen: HashMap<String, (Option<String>, u64)> = HashMap::new();
            loop {
                if let Ok(pending) = store.sync_photos_pending() {
                    for p in pending {
                        let id = p.photo_id.to_hex();
                        if let Some((url, bytes)) = seen.get(&id) {
                            if *bytes > 0 && (p.uploaded_bytes < *bytes || p.upload_url != *url) {
                                restarts
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push(format!("{id}: {bytes} -> {}", p.uploaded_bytes));
                            }
                        }
                        seen.insert(id, (p.upload_url, p.uploaded_bytes));
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let mut failed_rounds = 0u64;
    let mut errors: HashMap<String, u64> = HashMap::new();
    loop {
        match engine.sync_once().await {
            Ok(_) => break,
            Err(e) if e.is_transient() => {
                failed_rounds += 1;
                *errors.entry(e.to_string()).or_default() += 1;
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(e) => bail!("sync failed for good after {failed_rounds} failed rounds: {e}"),
        }
    }
    let total = start.elapsed();
    watcher.abort();
    photo_watch.abort();
    let records_secs = {
        let mut done = records_done_at.lock().unwrap_or_else(|p| p.into_inner());
        if done.is_none() {
            // The watch channel keeps only the latest state: a photo phase too short to be
            // seen ends the records with the round.
            *done = Some(total);
            println!("P6 records-done {{}}");
        }
        done.unwrap_or(total).as_secs_f64()
    };
    let restarts = restarts.lock().unwrap_or_else(|p| p.into_inner()).clone();
    println!(
        "P6 synced {}",
        json!({
            "records_secs": records_secs,
            "photos_secs": total.as_secs_f64() - records_secs,
            "total_secs": total.as_secs_f64(),
            "failed_rounds": failed_rounds,
            "errors": errors,
            "client_restarts": restarts,
            "chunk_size_end": engine.chunk_size(),
        })
    );
    wait_for("verify")?;

    // 3. What the server holds, read back on the clean link.
    let token = store.enrollment()?.context("enrolled")?.token;
    let held = server_versions(server, &token).await;
    let mut copies: HashMap<uuid::Uuid, usize> = HashMap::new();
    for v in &held {
        *copies.entry(v.version_id).or_default() += 1;
    }
    let missing = check_ids
        .iter()
        .filter(|id| !copies.contains_key(id))
        .count();
    let duplicated = copies.values().filter(|&&n| n > 1).count();
    let http = reqwest::Client::new();
    let mut photos_intact = 0;
    for id in &photo_ids {
        let resp = http
            .get(format!("{server}/api/v1/blobs/{id}"))
            .bearer_auth(&token)
            .send()
            .await?;
        if resp.status().is_success() {
            let bytes = resp.bytes().await?;
            if hex::encode(sha2::Sha256::digest(&bytes)) == id.to_hex() {
                photos_intact += 1;
            }
        }
    }
    let counts = store.sync_counts()?;
    println!(
        "P6 verified {}",
        json!({
            "checks_missing": missing,
            "versions_duplicated": duplicated,
            "photos": photo_ids.len(),
            "photos_intact": photos_intact,
            "records_pending": counts.pending_records,
            "photos_pending": counts.pending_photos,
        })
    );
    Ok(())
}
