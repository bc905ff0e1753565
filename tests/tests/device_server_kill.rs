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

/// Item 9 of issue 12: the server dies (abort, as a power cut) at each step of finishing a photo
/// upload: after the whole file was checked, after it reached the photo store, after it was
/// recorded. Restarted, it never reports the full offset for a photo it cannot serve, and the
/// phone's retry from the offset it reports ends with the photo served, hashing to its id.
async fn a_server_dying_while_finishing_a_photo_never_reports_it_uploaded_before_serving_it(
    backend: ntm_tests::server::Backend,
) {
    use ntm_tests::server_records::{commune_json, fake_photo, tus_create, tus_patch, FieldDevice};
    for (round, point) in ["photo-verified", "photo-in-store", "photo-recorded"]
        .into_iter()
        .enumerate()
    {
        let mut server = TestServer::start_on(backend);
        let admin = Api::admin(&server).await;
        let r = admin
            .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let code = enrollment_code(&admin, "thien-ke", Role::Enumerator).await;
        let mut phone = FieldDevice::enroll(&server.base, &code, "phone").await;
        let data = fake_photo(round as u64, 300_000);
        let photo = ntm_field::ids::PhotoId::of_bytes(&data);
        let sign = phone.sign("thien-ke-01", "2020-03-01T09:00:00+07:00", vec![photo]);
        phone.push_ok(&[sign]).await;

        server.restart_failing_at(Some(point));
        let api = Api::new(&server.base).with_token(&phone.token);
        let r = tus_create(&api, data.len(), &photo.to_hex()).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let location = r.header("location").unwrap().to_owned();
        let half = data.len() / 2;
        let r = tus_patch(&api, &location, 0, &data[..half], true).await;
        assert_eq!(r.status, 204, "{point}: {:?}", r.body);
        // The last chunk reaches the failpoint: no answer comes.
        let last = api
            .request(reqwest::Method::PATCH, &location)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", half.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(data[half..].to_vec())
            .send()
            .await;
        assert!(
            last.is_err() || last.is_ok_and(|r| r.status().is_server_error()),
            "{point}: the server answered the finishing PATCH"
        );
        tokio::time::timeout(Duration::from_secs(10), async {
            while !server.has_exited() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{point}: the server did not stop at its failpoint"));

        server.restart_failing_at(None);
        let api = Api::new(&server.base).with_token(&phone.token);
        let head = || async {
            let r = Api::send(
                api.request(reqwest::Method::HEAD, &location)
                    .header("Tus-Resumable", "1.0.0"),
            )
            .await;
            assert_eq!(r.status, 200, "{point}: HEAD {:?}", r.headers);
            r.header("upload-offset").unwrap().parse::<usize>().unwrap()
        };
        let blob = format!("/api/v1/blobs/{}", photo.to_hex());
        let offset = head().await;
        if offset < data.len() {
            assert_eq!(api.get(&blob).await.status, 404, "{point}");
            let r = tus_patch(&api, &location, offset as u64, &data[offset..], true).await;
            assert_eq!(r.status, 204, "{point}: {:?}", r.body);
            assert_eq!(
                r.header("upload-offset"),
                Some(data.len().to_string().as_str())
            );
            assert_eq!(head().await, data.len(), "{point}");
        }
        let served = api
            .request(reqwest::Method::GET, &blob)
            .send()
            .await
            .unwrap();
        assert_eq!(
            served.status(),
            200,
            "{point}: reported uploaded, not served"
        );
        let bytes = served.bytes().await.unwrap();
        assert_eq!(
            ntm_field::ids::PhotoId::of_bytes(&bytes),
            photo,
            "{point}: the served photo hashes to its id"
        );
    }
}

ntm_tests::on_both_backends!(
    a_server_dying_while_finishing_a_photo_never_reports_it_uploaded_before_serving_it
);
