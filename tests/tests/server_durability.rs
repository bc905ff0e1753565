//! Nothing acknowledged is lost across a restart; pulling page by page returns every version
//! once; photo uploads by tus resume from the server's offset after a cut, and a photo only
//! exists once its whole-file SHA-256 matched.

use std::io::Write;

use ntm_field::ids::PhotoId;
use ntm_tests::server::{Api, Backend, TestServer};
use ntm_tests::server_records::*;
use serde_json::json;

async fn setup(server: &TestServer) -> (Api, FieldDevice) {
    let admin = Api::admin(server).await;
    assert_eq!(
        admin
            .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
            .await
            .status,
        201
    );
    let r = admin
        .post(
            "/api/v1/communes/thien-ke/enrollments",
            &json!({"role": "enumerator", "expires_in_hours": 24}),
        )
        .await;
    let phone = FieldDevice::enroll(&server.base, r.body["code"].as_str().unwrap(), "phone").await;
    (admin, phone)
}

fn reconnect(phone: &mut FieldDevice, server: &TestServer) {
    phone.api = Api::new(&server.base).with_token(&phone.token);
}

async fn a_killed_server_keeps_everything_it_acknowledged(backend: Backend) {
    let mut server = TestServer::start_on(backend);
    let (_, mut phone) = setup(&server).await;
    let mut sent = Vec::new();
    for round in 0..4 {
        let batch: Vec<_> = (0..50)
            .map(|i| phone.household("thien-ke-03", &format!("R{round}-{i}"), 3))
            .collect();
        let r = phone.push_ok(&batch).await;
        assert_eq!(r.body["acked_through_seq"].as_u64(), Some(phone.seq));
        sent.extend(batch);
        // SIGKILL right after the answer: the acknowledged batch must survive.
        server.restart();
        reconnect(&mut phone, &server);
    }
    let status = phone.api.get("/api/v1/sync/status").await;
    assert_eq!(status.body["acked_through_seq"].as_u64(), Some(200));
    let stored = phone.pull_all(64).await;
    let ids: Vec<String> = stored
        .iter()
        .map(|v| v["version_id"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = sent.iter().map(|v| v.version_id.to_string()).collect();
    assert_eq!(ids, expected, "every acknowledged version, once, in order");
    // The device goes on from where the server is.
    let next = vec![phone.household("thien-ke-03", "after", 3)];
    assert_eq!(phone.push_ok(&next).await.body["acked_through_seq"], 201);
    let out = server.cli(&["recompute"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

async fn pulling_page_by_page_returns_every_version_exactly_once(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (admin, mut a) = setup(&server).await;
    let r = admin
        .post(
            "/api/v1/communes/thien-ke/enrollments",
            &json!({"role": "officer", "expires_in_hours": 24}),
        )
        .await;
    let mut b = FieldDevice::enroll(&server.base, r.body["code"].as_str().unwrap(), "b").await;
    let mut expected = Vec::new();
    let mut expected_b = Vec::new();
    for round in 0..5 {
        let from_a: Vec<_> = (0..13)
            .map(|i| a.household("thien-ke-01", &format!("A{round}-{i}"), 2))
            .collect();
        let from_b: Vec<_> = (0..8)
            .map(|i| b.household("thien-ke-02", &format!("B{round}-{i}"), 2))
            .collect();
        a.push_ok(&from_a).await;
        b.push_ok(&from_b).await;
        expected_b.extend(from_b.iter().map(|v| v.version_id.to_string()));
        expected.extend(
            from_a
                .iter()
                .chain(&from_b)
                .map(|v| v.version_id.to_string()),
        );
    }
    let mut cursor = 0u64;
    let mut seen: Vec<String> = Vec::new();
    let mut etag: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/api/v1/sync/pull?cursor={cursor}&limit=7");
        if let Some(e) = &etag {
            path.push_str(&format!("&config_etag={e}"));
        }
        let r = a.api.get(&path).await;
        assert_eq!(r.status, 200);
        pages += 1;
        // The configuration comes with the first page only: then the client has its tag.
        assert_eq!(
            r.body.get("config").is_some(),
            etag.is_none(),
            "page {pages}"
        );
        etag = Some(r.body["config_etag"].as_str().unwrap().to_owned());
        let versions = r.body["versions"].as_array().unwrap();
        assert!(versions.len() <= 7);
        let seqs: Vec<u64> = versions
            .iter()
            .map(|v| v["server_seq"].as_u64().unwrap())
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]) && seqs.first().is_none_or(|s| *s > cursor));
        seen.extend(
            versions
                .iter()
                .map(|v| v["version_id"].as_str().unwrap().to_owned()),
        );
        cursor = r.body["next_cursor"].as_u64().unwrap();
        if r.body["up_to_date"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seen, expected, "every version once, in server order");
    assert_eq!(pages, 15);
    let r = a
        .api
        .get(&format!("/api/v1/sync/pull?cursor={cursor}"))
        .await;
    assert_eq!(
        (
            r.body["versions"].as_array().unwrap().len(),
            r.body["up_to_date"].as_bool()
        ),
        (0, Some(true))
    );
    assert_eq!(a.api.get("/api/v1/sync/pull?limit=0").await.status, 400);
    assert_eq!(a.api.get("/api/v1/sync/pull?cursor=-1").await.status, 400);
    // A phone that skips its own versions gets the others' ones, the cursor still advancing
    // past pages that held only its own.
    let mut cursor = 0u64;
    let mut others: Vec<String> = Vec::new();
    loop {
        let r = a
            .api
            .get(&format!(
                "/api/v1/sync/pull?cursor={cursor}&limit=7&skip_own=true"
            ))
            .await;
        assert_eq!(r.status, 200);
        let next = r.body["next_cursor"].as_u64().unwrap();
        assert!(next > cursor || r.body["up_to_date"].as_bool() == Some(true));
        cursor = next;
        others.extend(
            r.body["versions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["version_id"].as_str().unwrap().to_owned()),
        );
        if r.body["up_to_date"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(
        others, expected_b,
        "only the other phone's versions, in server order"
    );
    // The record listing pages the same way, with filters.
    let r = admin
        .get("/api/v1/communes/thien-ke/records?village_id=thien-ke-02&limit=30")
        .await;
    assert_eq!(r.body["records"].as_array().unwrap().len(), 30);
    let next = r.body["next_cursor"].as_u64().unwrap();
    let r = admin
        .get(&format!(
            "/api/v1/communes/thien-ke/records?village_id=thien-ke-02&limit=30&cursor={next}"
        ))
        .await;
    assert_eq!(r.body["records"].as_array().unwrap().len(), 10);
    assert!(r.body.get("next_cursor").is_none());
    assert_eq!(
        admin
            .get("/api/v1/communes/thien-ke/records?kind=toilet")
            .await
            .status,
        400
    );
}

/// Sends the headers of a PATCH and only `sent` bytes of its body, then drops the connection.
fn cut_patch(addr: &str, token: &str, location: &str, offset: u64, total: usize, sent: &[u8]) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {total}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(sent).unwrap();
    s.flush().unwrap();
    drop(s);
}

async fn head_offset(api: &Api, location: &str) -> (u16, Option<u64>) {
    let r = Api::send(
        api.request(reqwest::Method::HEAD, location)
            .header("Tus-Resumable", "1.0.0"),
    )
    .await;
    (
        r.status,
        r.header("upload-offset").and_then(|v| v.parse().ok()),
    )
}

async fn a_photo_upload_cut_mid_patch_resumes_from_the_servers_offset(backend: Backend) {
    let mut server = TestServer::start_on(backend);
    let (_, mut phone) = setup(&server).await;
    let options = Api::send(phone.api.request(reqwest::Method::OPTIONS, "/api/v1/blobs")).await;
    assert_eq!(options.header("tus-version"), Some("1.0.0"));
    assert_eq!(
        options.header("tus-extension"),
        Some("creation,checksum,termination,expiration")
    );
    assert_eq!(
        options.header("tus-checksum-algorithm"),
        Some("sha1,sha256")
    );

    let photo = fake_photo(3, 300_000);
    let id = PhotoId::of_bytes(&photo);
    let r = tus_create(&phone.api, photo.len(), &id.to_hex()).await;
    assert_eq!((r.status, r.header("upload-offset")), (201, Some("0")));
    assert!(r.header("upload-expires").is_some());
    let location = r.header("location").unwrap().to_owned();

    // The connection drops after 120,000 of 300,000 bytes: the server keeps them.
    cut_patch(
        &server.addr(),
        &phone.token,
        &location,
        0,
        photo.len(),
        &photo[..120_000],
    );
    // The server may read the cut request after this client's next one arrives: ask until it
    // has (a tus client does the same after a 409), a bounded number of times.
    let mut offset = head_offset(&phone.api, &location).await;
    for _ in 0..200 {
        if offset.1 != Some(0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        offset = head_offset(&phone.api, &location).await;
    }
    assert_eq!(offset, (200, Some(120_000)));
    // Survives a SIGKILL too.
    server.restart();
    reconnect(&mut phone, &server);
    assert_eq!(
        head_offset(&phone.api, &location).await,
        (200, Some(120_000))
    );
    // A PATCH at the wrong offset is refused with the right one.
    let r = tus_patch(&phone.api, &location, 0, &photo[..1000], false).await;
    assert_eq!(
        (r.status, r.code(), r.header("upload-offset")),
        (409, "offset_mismatch", Some("120000"))
    );
    // A chunk whose checksum does not match is discarded.
    let mut damaged = photo[120_000..200_000].to_vec();
    let r = {
        let good_sum =
            sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&damaged));
        damaged[5] ^= 0xff;
        Api::send(
            phone
                .api
                .request(reqwest::Method::PATCH, &location)
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", "120000")
                .header("Content-Type", "application/offset+octet-stream")
                .header(
                    "Upload-Checksum",
                    format!(
                        "sha256 {}",
                        base64::Engine::encode(
                            &base64::engine::general_purpose::STANDARD,
                            good_sum
                        )
                    ),
                )
                .body(damaged),
        )
        .await
    };
    assert_eq!((r.status, r.code()), (460, "checksum_mismatch"));
    assert_eq!(
        head_offset(&phone.api, &location).await,
        (200, Some(120_000))
    );
    // Resume from the server's offset, with sha1 and sha256 checksums.
    let r = tus_patch(
        &phone.api,
        &location,
        120_000,
        &photo[120_000..250_000],
        true,
    )
    .await;
    assert_eq!((r.status, r.header("upload-offset")), (204, Some("250000")));
    let rest = &photo[250_000..];
    let sha1 = sha1_b64(rest);
    let r = Api::send(
        phone
            .api
            .request(reqwest::Method::PATCH, &location)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "250000")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Checksum", format!("sha1 {sha1}"))
            .body(rest.to_vec()),
    )
    .await;
    assert_eq!(
        (r.status, r.header("upload-offset")),
        (204, Some("300000")),
        "{:?}",
        r.body
    );

    // The photo exists, byte for byte, once a record references it.
    let sign = phone.sign("thien-ke-01", "2020-03-01T08:00:00+07:00", vec![id]);
    phone.push_ok(&[sign]).await;
    let got = phone
        .api
        .request(reqwest::Method::GET, &format!("/api/v1/blobs/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(got.bytes().await.unwrap().as_ref(), &photo[..]);
    let on_disk = std::fs::read(
        server
            .data
            .path()
            .join("photos")
            .join(&id.to_hex()[..2])
            .join(&id.to_hex()[2..]),
    )
    .unwrap();
    assert_eq!(
        PhotoId::of_bytes(&on_disk),
        id,
        "the store is content-addressed"
    );

    // Uploading it again completes at once.
    let r = tus_create(&phone.api, photo.len(), &id.to_hex()).await;
    assert_eq!((r.status, r.header("upload-offset")), (201, Some("300000")));
    assert_eq!(
        head_offset(&phone.api, r.header("location").unwrap()).await,
        (200, Some(300_000))
    );
}

fn sha1_b64(data: &[u8]) -> String {
    base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sha1_digest(data),
    )
}

/// SHA-1 (FIPS 180-4), only to send a `sha1` tus checksum.
fn sha1_digest(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64) * 8;
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[test]
fn the_test_sha1_is_sha1() {
    assert_eq!(
        hex::encode(sha1_digest(b"abc")),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}

async fn a_photo_whose_whole_file_hash_differs_is_refused_and_discarded(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (_, phone) = setup(&server).await;
    let photo = fake_photo(4, 50_000);
    let claimed = PhotoId::of_bytes(b"some other photo");
    let r = tus_create(&phone.api, photo.len(), &claimed.to_hex()).await;
    let location = r.header("location").unwrap().to_owned();
    let r = tus_patch(&phone.api, &location, 0, &photo[..30_000], true).await;
    assert_eq!(r.status, 204, "chunks are fine on their own");
    let r = tus_patch(&phone.api, &location, 30_000, &photo[30_000..], true).await;
    assert_eq!((r.status, r.code()), (460, "checksum_mismatch"));
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&PhotoId::of_bytes(&photo).to_hex()));
    assert_eq!(
        head_offset(&phone.api, &location).await.0,
        404,
        "the upload is gone"
    );
    let photos: Vec<_> = walk(&server.data.path().join("photos"));
    assert!(photos.is_empty(), "no photo was stored: {photos:?}");
    assert!(
        walk(&server.data.path().join("uploads")).is_empty(),
        "nor a partial file kept"
    );

    // Bad creations and terminations.
    assert_eq!(
        tus_create(&phone.api, 21 << 20, &claimed.to_hex())
            .await
            .status,
        413
    );
    let r = Api::send(
        phone
            .api
            .request(reqwest::Method::POST, "/api/v1/blobs")
            .header("Upload-Length", "10"),
    )
    .await;
    assert_eq!(r.status, 412, "no Tus-Resumable");
    let r = tus_create(&phone.api, 10, &claimed.to_hex()).await;
    let location = r.header("location").unwrap().to_owned();
    let r = tus_patch(&phone.api, &location, 0, &[0u8; 11], false).await;
    assert_eq!(r.status, 413, "more than Upload-Length");
    assert_eq!(head_offset(&phone.api, &location).await, (200, Some(0)));
    let r = Api::send(
        phone
            .api
            .request(reqwest::Method::DELETE, &location)
            .header("Tus-Resumable", "1.0.0"),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(head_offset(&phone.api, &location).await.0, 404);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

ntm_tests::on_both_backends!(
    a_killed_server_keeps_everything_it_acknowledged,
    pulling_page_by_page_returns_every_version_exactly_once,
    a_photo_upload_cut_mid_patch_resumes_from_the_servers_offset,
    a_photo_whose_whole_file_hash_differs_is_refused_and_discarded,
);
