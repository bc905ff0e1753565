//! Two `ntm-server` processes sharing one PostgreSQL database and one photo directory, as
//! several servers behind a load balancer run (README: "Several servers on one PostgreSQL"):
//! R1 replays sent to both at once get identical answers and store once; concurrent pushes of
//! several phones through either server are pulled from either, every version exactly once,
//! even by a phone that pulls while the pushes are still committing; a photo upload begun on
//! one server finishes on the other.

use std::collections::BTreeSet;

use ntm_field::ids::PhotoId;
use ntm_tests::server::{Api, Backend, TestServer};
use ntm_tests::server_records::*;
use serde_json::{json, Value};

async fn code(admin: &Api, role: &str) -> String {
    let r = admin
        .post(
            "/api/v1/communes/thien-ke/enrollments",
            &json!({"role": role, "expires_in_hours": 24}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["code"].as_str().unwrap().to_owned()
}

/// Both servers, and the administrator of each (one account, in the shared database).
async fn two_servers() -> (TestServer, TestServer, Api, Api) {
    let a = TestServer::start_on(Backend::Postgres);
    let b = TestServer::start_sharing(&a);
    let admin_a = Api::admin(&a).await;
    let admin_b = Api::admin(&b).await;
    assert_eq!(
        admin_a
            .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
            .await
            .status,
        201
    );
    // What one server wrote, the other serves.
    assert_eq!(admin_b.get("/api/v1/communes/thien-ke").await.status, 200);
    (a, b, admin_a, admin_b)
}

fn ids(versions: &[Value]) -> Vec<String> {
    versions
        .iter()
        .map(|v| v["version_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_replayed_to_two_servers_at_once_gets_identical_answers_and_is_stored_once() {
    let (a, b, admin_a, _) = two_servers().await;
    // Enrolled through A, pushing through both.
    let mut phone =
        FieldDevice::enroll(&a.base, &code(&admin_a, "enumerator").await, "phone").await;
    let households: Vec<_> = (0..40)
        .map(|i| phone.household("thien-ke-02", &format!("H{i}"), 3))
        .collect();
    let checks: Vec<_> = households
        .iter()
        .map(|h| phone.check(h, "2020-03-01T08:00:00+07:00", true))
        .collect();
    let mut batch = households.clone();
    batch.extend(checks);
    let body = phone.push_body(&batch);
    let via_a = phone.api.clone();
    let via_b = Api::new(&b.base).with_token(&phone.token);

    // Ten copies of a new push, five to each server, all at once: one stores, all answer alike.
    let sends: Vec<_> = (0..10)
        .map(|i| {
            let api = if i % 2 == 0 {
                via_a.clone()
            } else {
                via_b.clone()
            };
            let body = body.clone();
            tokio::spawn(async move { api.post("/api/v1/sync/push", &body).await })
        })
        .collect();
    let mut replies = Vec::new();
    for s in sends {
        replies.push(s.await.unwrap());
    }
    for r in &replies {
        assert_eq!(
            (r.status, &r.body),
            (200, &replies[0].body),
            "every copy, on either server, answers the same"
        );
    }
    let first = &replies[0].body;
    assert_eq!(first["acked_through_seq"], 80);
    assert_eq!(first["server_head"], 80);
    assert!(
        first["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "stored"),
        "{first:?}"
    );

    // Then ten serial replays, alternating servers.
    for i in 0..10 {
        let api = if i % 2 == 0 { &via_a } else { &via_b };
        let again = api.post("/api/v1/sync/push", &body).await;
        assert_eq!(
            (again.status, &again.body),
            (200, first),
            "serial replay {i}"
        );
    }

    // Stored once: either server returns the 80 versions, once each, in the order pushed.
    let expected: Vec<String> = batch.iter().map(|v| v.version_id.to_string()).collect();
    let reader = FieldDevice::enroll(&b.base, &code(&admin_a, "viewer").await, "reader").await;
    for base in [&a.base, &b.base] {
        let on_this_server = FieldDevice {
            device_id: reader.device_id,
            token: reader.token.clone(),
            commune: reader.commune.clone(),
            api: Api::new(base).with_token(&reader.token),
            seq: 0,
        };
        assert_eq!(ids(&on_this_server.pull_all(33).await), expected);
    }
    let status = via_b.get("/api/v1/sync/status").await;
    assert_eq!(
        (
            status.body["acked_through_seq"].as_u64(),
            status.body["server_head"].as_u64()
        ),
        (Some(80), Some(80))
    );
    // The incremental totals, written by both servers, equal a recompute.
    let out = b.cli(&["recompute"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_through_two_servers_are_pulled_from_either_exactly_once() {
    let (a, b, admin_a, admin_b) = two_servers().await;
    const PHONES: usize = 4;
    const PUSHES: usize = 6;
    const PER_PUSH: usize = 25;
    let mut phones = Vec::new();
    for p in 0..PHONES {
        // Half enroll through each server: the code is single-use across both.
        let (admin, base) = if p % 2 == 0 {
            (&admin_a, &a.base)
        } else {
            (&admin_b, &b.base)
        };
        phones.push(
            FieldDevice::enroll(
                base,
                &code(admin, "enumerator").await,
                &format!("phone {p}"),
            )
            .await,
        );
    }
    let mut batches: Vec<Vec<Vec<ntm_field::record::Version>>> = Vec::new();
    for (p, phone) in phones.iter_mut().enumerate() {
        batches.push(
            (0..PUSHES)
                .map(|k| {
                    (0..PER_PUSH)
                        .map(|i| phone.household("thien-ke-03", &format!("P{p}-{k}-{i}"), 2))
                        .collect()
                })
                .collect(),
        );
    }
    let all: BTreeSet<String> = batches
        .iter()
        .flatten()
        .flatten()
        .map(|v| v.version_id.to_string())
        .collect();
    let bases = [a.base.clone(), b.base.clone()];

    // A phone of the commune pulls from alternating servers the whole time the pushes commit,
    // moving its cursor as a phone does: it must never step past a version committed late.
    let reader = FieldDevice::enroll(&a.base, &code(&admin_a, "viewer").await, "reader").await;
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    let puller = {
        let token = reader.token.clone();
        let bases = bases.clone();
        tokio::spawn(async move {
            let mut cursor = 0u64;
            let mut seen: Vec<String> = Vec::new();
            let mut round = 0usize;
            loop {
                let finished = *done_rx.borrow_and_update();
                let api = Api::new(&bases[round % 2]).with_token(&token);
                round += 1;
                let r = api
                    .get(&format!("/api/v1/sync/pull?cursor={cursor}&limit=17"))
                    .await;
                assert_eq!(r.status, 200, "{:?}", r.body);
                let versions = r.body["versions"].as_array().unwrap();
                seen.extend(ids(versions));
                cursor = r.body["next_cursor"].as_u64().unwrap();
                if finished && r.body["up_to_date"].as_bool().unwrap() {
                    return (seen, round);
                }
            }
        })
    };

    // Every phone pushes its batches, alternating servers, all phones at once.
    let pushers: Vec<_> = phones
        .into_iter()
        .zip(batches)
        .enumerate()
        .map(|(p, (phone, batches))| {
            let bases = bases.clone();
            tokio::spawn(async move {
                for (k, batch) in batches.iter().enumerate() {
                    let api = Api::new(&bases[(p + k) % 2]).with_token(&phone.token);
                    let first_seq = batch[0].device_seq;
                    let body = json!({"device_id": phone.device_id, "first_seq": first_seq, "versions": batch});
                    let r = api.post("/api/v1/sync/push", &body).await;
                    assert_eq!(r.status, 200, "{:?}", r.body);
                    assert_eq!(r.body["acked_through_seq"].as_u64(), Some(first_seq + batch.len() as u64 - 1));
                    assert!(r.body["results"].as_array().unwrap().iter().all(|x| x["status"] == "stored"), "{:?}", r.body);
                }
            })
        })
        .collect();
    for p in pushers {
        p.await.unwrap();
    }
    done_tx.send(true).unwrap();
    let (seen, rounds) = puller.await.unwrap();
    assert!(rounds > 2, "the reader pulled while the pushes ran");
    assert_eq!(
        seen.len(),
        all.len(),
        "the reader got every version exactly once (no skip, no repeat)"
    );
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), all);

    // From either server afterwards: the same log, in strictly increasing server order.
    let mut logs = Vec::new();
    for base in &bases {
        let api = Api::new(base).with_token(&reader.token);
        let (mut cursor, mut log) = (0u64, Vec::new());
        loop {
            let r = api
                .get(&format!("/api/v1/sync/pull?cursor={cursor}&limit=100"))
                .await;
            let versions = r.body["versions"].as_array().unwrap();
            let seqs: Vec<u64> = versions
                .iter()
                .map(|v| v["server_seq"].as_u64().unwrap())
                .collect();
            assert!(
                seqs.windows(2).all(|w| w[0] < w[1]) && seqs.first().is_none_or(|s| *s > cursor)
            );
            log.extend(ids(versions));
            cursor = r.body["next_cursor"].as_u64().unwrap();
            if r.body["up_to_date"].as_bool().unwrap() {
                break;
            }
        }
        logs.push(log);
    }
    assert_eq!(logs[0], logs[1], "both servers serve one log");
    assert_eq!(logs[0].len(), all.len());
    let out = a.cli(&["recompute"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_photo_upload_begun_on_one_server_finishes_on_the_other() {
    let (a, b, admin_a, _) = two_servers().await;
    let phone = FieldDevice::enroll(&a.base, &code(&admin_a, "enumerator").await, "phone").await;
    let via_a = phone.api.clone();
    let via_b = Api::new(&b.base).with_token(&phone.token);
    let photo = fake_photo(7, 200_000);
    let id = PhotoId::of_bytes(&photo);
    let r = tus_create(&via_a, photo.len(), &id.to_hex()).await;
    assert_eq!(r.status, 201);
    let location = r.header("location").unwrap().to_owned();
    let r = tus_patch(&via_a, &location, 0, &photo[..90_000], true).await;
    assert_eq!((r.status, r.header("upload-offset")), (204, Some("90000")));
    // The other server knows the upload and its offset (state in the database, bytes in the
    // shared photo directory) and takes the rest.
    let head = Api::send(
        via_b
            .request(reqwest::Method::HEAD, &location)
            .header("Tus-Resumable", "1.0.0"),
    )
    .await;
    assert_eq!(
        (head.status, head.header("upload-offset")),
        (200, Some("90000"))
    );
    let r = tus_patch(&via_b, &location, 90_000, &photo[90_000..], true).await;
    assert_eq!(
        (r.status, r.header("upload-offset")),
        (204, Some("200000")),
        "{:?}",
        r.body
    );
    let mut phone = phone;
    let sign = phone.sign("thien-ke-01", "2020-03-01T08:00:00+07:00", vec![id]);
    phone.push_ok(&[sign]).await;
    for api in [&via_a, &via_b] {
        let got = api
            .request(reqwest::Method::GET, &format!("/api/v1/blobs/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(
            got.bytes().await.unwrap().as_ref(),
            &photo[..],
            "either server serves the photo, byte for byte"
        );
    }
}
