//! The phone's store and sync engine against the real `ntm-server` binary on loopback, through
//! the fault-injecting proxy: the full round trip, R2 (connections dropped mid-request and after
//! the server's COMMIT), resumable photo uploads, sequence-gap recovery, a restored phone, the
//! background task.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ntm_field::protocol::Role;
use ntm_field::record::Version;
use ntm_field::store::{HouseholdFilter, Store};
use ntm_field::sync::{FailureKind, Phase, SyncEngine};
use ntm_tests::phone::*;
use ntm_tests::proxy::{Fault, Proxy};
use ntm_tests::server::{Api, TestServer};
use uuid::Uuid;

const COMMUNE: &str = "thien-ke";
const PUSH: &str = "POST /api/v1/sync/push";
const PATCH: &str = "PATCH /api/v1/blobs";

struct Env {
    server: TestServer,
    proxy: Proxy,
    admin: Api,
}

async fn env() -> Env {
    let server = TestServer::start();
    let proxy = Proxy::start(server.addr().parse().unwrap()).await;
    let admin = Api::admin(&server).await;
    create_demo_commune(&admin).await;
    Env {
        server,
        proxy,
        admin,
    }
}

impl Env {
    async fn phone(&self) -> TestPhone {
        let code = enrollment_code(&self.admin, COMMUNE, Role::Enumerator).await;
        TestPhone::enroll(&self.proxy.url(), &code, test_options()).await
    }

    /// Kills the server (SIGKILL), starts it again on its data and points the proxy at it.
    async fn restart_server(&mut self) {
        self.server.restart();
        self.proxy.set_target(self.server.addr().parse().unwrap());
        self.admin = Api::admin(&self.server).await;
    }

    /// Every version the server holds, checked to be there once each.
    async fn server_versions_once(&self, phone: &TestPhone) -> BTreeMap<Uuid, Version> {
        let token = phone.store.enrollment().unwrap().unwrap().token;
        let all = server_versions(&self.server.base, &token).await;
        let mut out = BTreeMap::new();
        for v in all {
            let id = v.version_id;
            assert!(
                out.insert(id, v).is_none(),
                "version {id} is stored twice on the server"
            );
        }
        out
    }
}

fn own_ids(phone: &TestPhone) -> BTreeSet<Uuid> {
    phone
        .store
        .own_version_states()
        .unwrap()
        .keys()
        .copied()
        .collect()
}

fn all_synced(phone: &TestPhone) {
    assert!(phone.store.outbox().unwrap().is_empty(), "outbox drained");
    for (id, state) in phone.store.own_version_states().unwrap() {
        assert_eq!(state, "synced", "{id}");
    }
}

fn photo(phone: &TestPhone, w: u32, h: u32, seed: u64) -> ntm_field::ids::PhotoId {
    let p = ntm_field::photo::intake(&camera_jpeg(w, h, seed), 1600).unwrap();
    phone.store.add_photo(&p).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_and_photos_go_up_and_come_down_to_another_phone_with_the_same_scorecard() {
    let env = env().await;
    let a = env.phone().await;
    let b = env.phone().await;
    let h = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    let mut check = check_draft(&h, true);
    check.photos.push(photo(&a, 900, 700, 1));
    let c = a.store.create(check).unwrap();
    let at = a.store.version(c.version_id).unwrap().unwrap().captured_at;
    let mut road = road_draft("thien-ke-03", 400.0, at);
    road.photos.push(photo(&a, 1200, 900, 2));
    a.store.create(road).unwrap();
    a.store.create(sign_draft("thien-ke-05", at)).unwrap();
    let report = a.sync().await.unwrap();
    assert_eq!(
        (report.pushed, report.rejected, report.photos_uploaded),
        (4, 0, 2)
    );
    all_synced(&a);
    assert!(a.store.sync_photos_pending().unwrap().is_empty());
    assert!(a.store.last_sync_at().unwrap().is_some());
    let progress = a.engine.progress().borrow().clone();
    assert_eq!(
        (
            progress.records_done,
            progress.records_total,
            progress.photos_done,
            progress.photos_total
        ),
        (4, 4, 2, 2)
    );
    assert_eq!(progress.bytes_done, progress.bytes_total);
    assert_eq!(progress.phase, Phase::Idle);

    b.sync().await.unwrap();
    assert_eq!(b.store.all_heads().unwrap(), a.store.all_heads().unwrap());
    let households = b.store.households(&HouseholdFilter::default()).unwrap();
    assert_eq!(households.len(), 1);
    assert_eq!(
        households[0].latest_check.as_ref().unwrap().version_id,
        c.version_id
    );
    // Pulled versions carry the server's annotations.
    let pulled = b.store.version(c.version_id).unwrap().unwrap();
    assert!(pulled.server_seq.is_some() && pulled.author.is_some());

    let server = env.server_versions_once(&a).await;
    assert_eq!(server.keys().copied().collect::<BTreeSet<_>>(), own_ids(&a));
    let photos: Vec<_> = server
        .values()
        .flat_map(|v| v.photos.iter().copied())
        .collect();
    assert_eq!(photos.len(), 2);
    let token = a.store.enrollment().unwrap().unwrap().token;
    server_photo_hashes_match(&env.server.base, &token, &photos).await;

    // The offline scorecard equals the server's, figure by figure.
    let today = ntm_field::time::local_date(&chrono::Utc::now().fixed_offset());
    let local = b.store.scorecard(today).unwrap().unwrap();
    let remote = server_scorecard(&env.admin, COMMUNE, &today.to_string()).await;
    assert_same_scorecard(&local, &remote);
    assert!(local.indicator("17.6").unwrap().coverage.unwrap().checked == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_cut_mid_request_or_answered_after_commit_but_lost_is_stored_once_on_retry() {
    let env = env().await;
    let a = env.phone().await;
    let h = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    let mut expected = 1;
    // Cut inside the request line, the headers, and the body.
    for (i, fault) in [
        Fault::CutRequest {
            marker: PUSH.into(),
            after: 10,
        },
        Fault::CutRequest {
            marker: PUSH.into(),
            after: 200,
        },
        Fault::CutRequest {
            marker: PUSH.into(),
            after: 400,
        },
        Fault::SwallowResponse {
            marker: PUSH.into(),
        },
        Fault::CutResponse {
            marker: PUSH.into(),
            after: 30,
        },
        Fault::SwallowResponse {
            marker: PUSH.into(),
        },
    ]
    .into_iter()
    .enumerate()
    {
        for _ in 0..(i + 2) {
            a.store.create(check_draft(&h, i % 2 == 0)).unwrap();
            expected += 1;
        }
        env.proxy.arm(fault.clone());
        let fired_before = env.proxy.fired();
        let full_batch = a.engine.batch_size();
        let err = a.sync().await.expect_err("the cut round fails");
        assert!(err.is_transient(), "{fault:?}: {err}");
        assert_eq!(env.proxy.fired(), fired_before + 1, "{fault:?} fired");
        if matches!(fault, Fault::CutRequest { .. }) {
            assert_eq!(
                a.engine.batch_size(),
                (full_batch / 2).max(50),
                "{fault:?}: a push cut off makes the next one smaller"
            );
        }
        assert!(
            !a.store.outbox().unwrap().is_empty(),
            "{fault:?}: nothing is dropped without an ack"
        );
        a.sync().await.unwrap();
        all_synced(&a);
        let server = env.server_versions_once(&a).await;
        assert_eq!(server.len(), expected, "{fault:?}");
        assert_eq!(
            server.keys().copied().collect::<BTreeSet<_>>(),
            own_ids(&a),
            "{fault:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_upload_cut_midway_resumes_from_the_servers_offset_even_after_an_app_restart() {
    let env = env().await;
    let a = env.phone().await;
    let h = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    let mut check = check_draft(&h, true);
    // A large, noisy picture: a few hundred KB after intake.
    let id = photo(&a, 2400, 1800, 9);
    check.photos.push(id);
    a.store.create(check).unwrap();
    let size = a.store.sync_photos_pending().unwrap()[0].bytes;
    assert!(size > 200_000, "photo of {size} bytes");
    let chunk_before = a.engine.chunk_size();

    // The third chunk is cut 20 KB in.
    env.proxy.arm_after(
        Fault::CutRequest {
            marker: PATCH.into(),
            after: 20_000,
        },
        2,
    );
    let err = a.sync().await.expect_err("the upload is cut");
    assert_eq!(env.proxy.fired(), 1);
    assert!(err.is_transient(), "{err}");
    let pending = a.store.sync_photos_pending().unwrap();
    assert_eq!(pending.len(), 1);
    let url = pending[0]
        .upload_url
        .clone()
        .expect("the upload URL is kept");
    assert!(
        pending[0].uploaded_bytes > 0,
        "chunks before the cut were confirmed"
    );
    assert!(
        a.engine.chunk_size() < chunk_before,
        "the chunk halves after a failure"
    );

    // The app is killed and started again: a new store handle and engine on the same files.
    let dir = a.dir.path().to_path_buf();
    let offset_before = pending[0].uploaded_bytes;
    let TestPhone {
        dir: tmp,
        store,
        engine,
        clock,
    } = a;
    drop(engine);
    drop(store);
    let store = std::sync::Arc::new(Store::open(&dir).unwrap().with_clock(clock.clone()));
    let engine = std::sync::Arc::new(SyncEngine::new(store.clone(), test_options()));
    let a = TestPhone {
        dir: tmp,
        store,
        engine,
        clock,
    };
    let resumed = a.store.sync_photos_pending().unwrap();
    assert_eq!(resumed[0].upload_url.as_deref(), Some(url.as_str()));
    let (up_before, _) = env.proxy.bytes();
    let report = a.sync().await.unwrap();
    assert_eq!(report.photos_uploaded, 1);
    let (up_after, _) = env.proxy.bytes();
    // Only the rest went up (plus request headers), never the whole photo again.
    assert!(
        up_after - up_before < size - offset_before + 16 * 1024,
        "resumed upload sent {} bytes for the remaining {}",
        up_after - up_before,
        size - offset_before
    );
    let token = a.store.enrollment().unwrap().unwrap().token;
    server_photo_hashes_match(&env.server.base, &token, &[id]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restored_from_a_backup_asks_for_the_missing_sequence_and_gets_it() {
    let mut env = env().await;
    let a = env.phone().await;
    let h = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    for _ in 0..3 {
        a.store.create(check_draft(&h, true)).unwrap();
    }
    a.sync().await.unwrap();
    // The server's data is backed up (while stopped), more is pushed, then the backup returns.
    let backup = env.server.backup();
    env.restart_server().await;
    for _ in 0..3 {
        a.store.create(check_draft(&h, false)).unwrap();
    }
    a.sync().await.unwrap();
    env.server.restore(&backup);
    env.restart_server().await;
    // New records: the server expects 5 (it lost 5..7), the phone resends from its versions.
    for _ in 0..2 {
        a.store.create(check_draft(&h, true)).unwrap();
    }
    a.sync().await.unwrap();
    all_synced(&a);
    let server = env.server_versions_once(&a).await;
    assert_eq!(server.keys().copied().collect::<BTreeSet<_>>(), own_ids(&a));
    assert_eq!(server.len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_restored_from_a_backup_takes_a_new_identity_and_delivers_its_outbox_once() {
    let env = env().await;
    let a = env.phone().await;
    let h = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    a.sync().await.unwrap();
    let pending_in_backup = a.store.create(check_draft(&h, true)).unwrap();
    // A backup of the phone's files (database and marker alike), taken with one record unsent.
    let backup = tempfile::tempdir().unwrap();
    {
        // A consistent copy: SQLite's own backup of the live database, plus the marker.
        rusqlite_backup(
            &a.dir.path().join(ntm_field::store::DB_FILE),
            &backup.path().join(ntm_field::store::DB_FILE),
        )
        .unwrap();
        std::fs::copy(
            a.dir.path().join(ntm_field::store::MARKER_FILE),
            backup.path().join(ntm_field::store::MARKER_FILE),
        )
        .unwrap();
        std::fs::create_dir_all(backup.path().join(ntm_field::store::PHOTO_DIR)).unwrap();
    }
    // The phone goes on: two more records, all sent.
    a.store.create(check_draft(&h, false)).unwrap();
    a.store.create(check_draft(&h, true)).unwrap();
    a.sync().await.unwrap();
    let first_device = a.device_id();

    // The backup is restored on a phone: the marker came along, so the server is the witness.
    let restored = std::sync::Arc::new(Store::open(backup.path()).unwrap());
    assert!(restored.enrollment().unwrap().is_some());
    let engine = SyncEngine::new(restored.clone(), test_options());
    engine.sync_once().await.unwrap();
    // The old identity is retired and a new one taken by itself; the unsent record went up
    // under it, once (the original sent it too).
    let now = restored.enrollment().unwrap().expect("a new identity");
    assert_ne!(now.device_id, first_device);
    assert!(restored.outbox().unwrap().is_empty());
    let server = env.server_versions_once(&a).await;
    assert!(server.contains_key(&pending_in_backup.version_id));
    assert_eq!(server.len(), 4);
    // Its sequence goes on after the record it took over.
    let v = restored.create(check_draft(&h, false)).unwrap();
    assert_eq!((v.device_id, v.device_seq), (now.device_id, 2));
    engine.sync_once().await.unwrap();
    assert!(restored.outbox().unwrap().is_empty());
    assert_eq!(env.server_versions_once(&a).await.len(), 5);
}

/// A consistent copy of a live WAL database (`VACUUM INTO`).
fn rusqlite_backup(from: &std::path::Path, to: &std::path::Path) -> rusqlite::Result<()> {
    let conn = rusqlite::Connection::open(from)?;
    conn.execute("VACUUM INTO ?1", [to.to_str().unwrap()])?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_engine_syncs_when_the_network_returns_and_backs_off_while_it_fails() {
    let env = env().await;
    let a = env.phone().await;
    let h = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    env.proxy.set_offline(true);
    let handle = a.engine.clone().spawn();
    let mut progress = handle.progress();
    // It fails (the proxy closes connections) and waits with backoff, retrying by itself.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            progress.changed().await.unwrap();
            let p = progress.borrow().clone();
            if p.phase == Phase::Waiting && p.last_error.is_some() {
                assert_eq!(
                    p.last_failure,
                    Some(FailureKind::Offline),
                    "a dropped connection reads as offline, not as a refusal"
                );
                return;
            }
        }
    })
    .await
    .expect("a failed round waits to retry");
    handle.connectivity_changed(false);
    a.store.create(check_draft(&h, true)).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.store.outbox().unwrap().len(), 2);
    // The network returns: the engine syncs without being asked.
    env.proxy.set_offline(false);
    handle.connectivity_changed(true);
    tokio::time::timeout(Duration::from_secs(20), async {
        while !a.store.outbox().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the outbox drains once the network is back");
    // On demand.
    a.store.create(check_draft(&h, false)).unwrap();
    handle.sync_now();
    tokio::time::timeout(Duration::from_secs(20), async {
        while !a.store.outbox().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("sync_now sends the new record");
    handle.shutdown().await;
    assert_eq!(env.server_versions_once(&a).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_phone_is_told_to_enroll_again_and_keeps_what_it_saved() {
    let env = env().await;
    let a = env.phone().await;
    let h = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    a.engine.sync_once().await.unwrap();
    let revoked = env
        .admin
        .post(
            &format!("/api/v1/devices/{}/revoke", a.device_id()),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(revoked.status, 204, "{:?}", revoked.body);
    a.store.create(check_draft(&h, true)).unwrap();
    let err = a.engine.sync_once().await.unwrap_err();
    assert_eq!(err.kind(), FailureKind::Refused, "{err}");
    let p = a.engine.progress().borrow().clone();
    assert_eq!(p.last_failure, Some(FailureKind::Refused));
    assert_eq!(
        a.store.outbox().unwrap().len(),
        1,
        "the check waits on the phone"
    );
}
