//! R3: the server process killed with SIGKILL during ingest and during a photo upload, then
//! restarted on the same data directory. Everything the phone saw acknowledged is on the server,
//! once; after retrying, everything is; every stored photo hashes to its id; the upload resumes
//! from what the server kept.

use std::collections::BTreeSet;
use std::time::Duration;

use ntm_field::protocol::Role;
use ntm_tests::phone::*;
use ntm_tests::proxy::{Fault, Proxy};
use ntm_tests::server::{Api, TestServer};
use rand::{Rng, SeedableRng};
use uuid::Uuid;

async fn setup() -> (TestServer, Proxy, TestPhone) {
    let server = TestServer::start();
    let proxy = Proxy::start(server.addr().parse().unwrap()).await;
    let admin = Api::admin(&server).await;
    create_demo_commune(&admin).await;
    let code = enrollment_code(&admin, "thien-ke", Role::Enumerator).await;
    let phone = TestPhone::enroll(&proxy.url(), &code, test_options()).await;
    (server, proxy, phone)
}

fn restart(server: &mut TestServer, proxy: &Proxy) {
    server.restart();
    proxy.set_target(server.addr().parse().unwrap());
}

async fn on_server(server: &TestServer, phone: &TestPhone) -> BTreeSet<Uuid> {
    let token = phone.store.enrollment().unwrap().unwrap().token;
    let versions = server_versions(&server.base, &token).await;
    let ids: BTreeSet<Uuid> = versions.iter().map(|v| v.version_id).collect();
    assert_eq!(ids.len(), versions.len(), "no version is stored twice");
    ids
}

fn acknowledged(phone: &TestPhone) -> BTreeSet<Uuid> {
    phone
        .store
        .own_version_states()
        .unwrap()
        .into_iter()
        .filter(|(_, s)| s == "synced")
        .map(|(id, _)| id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_ingest_keeps_everything_it_acknowledged_once() {
    let (mut server, proxy, phone) = setup().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let h = phone
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    let mut kills_mid_sync = 0;
    for round in 0..4 {
        for i in 0..600 {
            phone
                .store
                .create(check_draft(&h, (i + round) % 3 == 0))
                .unwrap();
        }
        let engine = phone.engine.clone();
        let sync = tokio::spawn(async move { engine.sync_once().await });
        tokio::time::sleep(Duration::from_millis(rng.random_range(5..120))).await;
        server.kill();
        let result = sync.await.unwrap();
        if result.is_err() {
            kills_mid_sync += 1;
        }
        // What the phone saw acknowledged survived the kill.
        restart(&mut server, &proxy);
        let held = on_server(&server, &phone).await;
        let acked = acknowledged(&phone);
        assert!(
            acked.is_subset(&held),
            "round {round}: {} acknowledged versions missing",
            acked.difference(&held).count()
        );
        // Retrying delivers the rest, once.
        phone.sync_until_done(5).await;
        assert!(phone.store.outbox().unwrap().is_empty());
        let own: BTreeSet<Uuid> = phone
            .store
            .own_version_states()
            .unwrap()
            .keys()
            .copied()
            .collect();
        assert_eq!(on_server(&server, &phone).await, own, "round {round}");
    }
    assert!(
        kills_mid_sync >= 2,
        "the server died mid-sync in {kills_mid_sync} of 4 rounds"
    );
    let out = server.cli(&["recompute"]);
    assert!(
        out.status.success(),
        "incremental totals equal a recompute: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_a_photo_upload_resumes_it_and_serves_the_photo_hashing_to_its_id() {
    let (mut server, proxy, phone) = setup().await;
    let h = phone
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    let mut check = check_draft(&h, true);
    let picture = ntm_field::photo::intake(&camera_jpeg(2400, 1800, 11), 1600).unwrap();
    let size = picture.jpeg.len() as u64;
    check.photos.push(phone.store.add_photo(&picture).unwrap());
    phone.store.create(check).unwrap();

    // The second chunk stalls 10 KB in; the server dies while it waits for the rest.
    proxy.arm_after(
        Fault::Stall {
            marker: "PATCH /api/v1/blobs".into(),
            after: 10_000,
        },
        1,
    );
    let engine = phone.engine.clone();
    let sync = tokio::spawn(async move { engine.sync_once().await });
    tokio::time::timeout(Duration::from_secs(20), async {
        while proxy.fired() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the upload reached the stalled chunk");
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.kill();
    proxy.release_stalled();
    assert!(
        sync.await.unwrap().is_err(),
        "the round fails with the server gone"
    );
    let pending = phone.store.sync_photos_pending().unwrap();
    let confirmed = pending[0].uploaded_bytes;
    assert!(
        confirmed > 0,
        "the first chunk was confirmed before the kill"
    );
    let url = pending[0]
        .upload_url
        .clone()
        .expect("the upload URL is kept");

    restart(&mut server, &proxy);
    // The server's offset after the restart is what it made durable: at least what it
    // confirmed, never more than what it received.
    let token = phone.store.enrollment().unwrap().unwrap().token;
    let client =
        ntm_field::sync::Client::new(&proxy.url(), Some(token.clone()), Duration::from_secs(10))
            .unwrap();
    let offset = client
        .tus_offset(&url)
        .await
        .unwrap()
        .expect("the upload survived the restart");
    assert!(
        offset >= confirmed && offset < size,
        "offset {offset}, confirmed {confirmed}, size {size}"
    );

    let (up_before, _) = proxy.bytes();
    let report = phone.sync_until_done(5).await;
    assert_eq!(report.photos_uploaded, 1);
    let (up_after, _) = proxy.bytes();
    assert!(
        up_after - up_before < size - offset + 16 * 1024,
        "resumed from {offset}, not from byte 0"
    );
    server_photo_hashes_match(&server.base, &token, &[picture.id]).await;
    assert!(phone.store.sync_photos_pending().unwrap().is_empty());
}
