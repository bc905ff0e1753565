//! Security of the real server binary (quality.md "Bad input and security", issue 8): secrets at
//! rest, photo ids that try to leave the photo store, oversized headers and slow clients.
//!
//! The rest of the list is tested where the feature lives: rate-limited login and enrollment,
//! with the right password refused during the lockout
//! (`server_bad_input.rs`, `login_and_enrollment_attempts_are_limited_and_codes_are_single_use`);
//! photos served only inside their commune, both ways
//! (`server_bad_input.rs`, `communes_are_sealed_from_each_other_both_ways`); CSRF on every
//! dashboard form and session fixation (`dashboard_http.rs`,
//! `a_form_without_its_csrf_token_is_refused_and_changes_nothing`,
//! `wrong_passwords_are_refused_and_the_login_form_needs_its_token`,
//! `login_rotates_the_session_and_sets_strict_http_only_cookies`).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ntm_tests::server::{raw_http, Api, TestServer};
use ntm_tests::server_records::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn commune_with_a_phone(server: &TestServer) -> (Api, FieldDevice, String) {
    let admin = Api::admin(server).await;
    let r = admin
        .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let r = admin
        .post(
            "/api/v1/communes/thien-ke/enrollments",
            &json!({"role": "enumerator", "expires_in_hours": 24}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let code = r.body["code"].as_str().unwrap().to_owned();
    let phone = FieldDevice::enroll(&server.base, &code, "phone").await;
    (admin, phone, code)
}

/// Every byte the server keeps in its data directory (database, its WAL, photos).
fn everything_stored(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                all.extend_from_slice(&bytes);
            }
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Session tokens, device tokens and enrollment codes are stored only as their SHA-256, and a
/// token is found by that hash: the secret itself is never compared byte by byte, so response
/// times tell an attacker nothing about it. A stolen database gives no working token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_enrollment_codes_are_stored_only_as_hashes() {
    let server = TestServer::start();
    let (admin, phone, code) = commune_with_a_phone(&server).await;
    let session = admin.token.clone().unwrap();
    let unused_code = {
        let r = admin
            .post(
                "/api/v1/communes/thien-ke/enrollments",
                &json!({"role": "viewer", "expires_in_hours": 1}),
            )
            .await;
        r.body["code"].as_str().unwrap().to_owned()
    };
    let sha = |s: &str| hex::encode(Sha256::digest(s.as_bytes()));
    let stored = everything_stored(server.data.path());
    for secret in [&session, &phone.token] {
        assert!(!contains(&stored, secret), "{secret} is stored in clear");
        assert!(
            contains(&stored, &sha(secret)),
            "the hash of {secret} is stored"
        );
    }
    for code in [&code, &unused_code] {
        let typed = code.replace('-', "");
        assert!(
            !contains(&stored, code) && !contains(&stored, &typed),
            "{code} is stored in clear"
        );
        assert!(
            contains(&stored, &sha(&typed)),
            "the hash of {code} is stored"
        );
    }

    // What a stolen database holds does not authenticate.
    for leaked in [
        format!("ntmd_{}", sha(&phone.token)),
        sha(&phone.token),
        format!("ntmu_{}", sha(&session)),
    ] {
        let r = Api::new(&server.base)
            .with_token(&leaked)
            .get("/api/v1/communes/thien-ke")
            .await;
        assert_eq!(r.status, 401, "{leaked}: {:?}", r.body);
    }
    // The real ones do, and a token one character off does not.
    assert_eq!(phone.api.get("/api/v1/sync/status").await.status, 200);
    let mut off_by_one = phone.token.clone();
    let last = off_by_one.pop().unwrap();
    off_by_one.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        Api::new(&server.base)
            .with_token(&off_by_one)
            .get("/api/v1/sync/status")
            .await
            .status,
        401
    );
}

/// A photo id is 64 lowercase hex characters or nothing: paths, encoded dots, absolute paths,
/// other characters and other lengths are refused with a 4xx (the API's JSON error; the
/// dashboard's error page), and no file outside the photo store is ever read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_ids_cannot_leave_the_photo_store() {
    let server = TestServer::start();
    let (admin, mut phone, _) = commune_with_a_phone(&server).await;
    // The dashboard's session cookie holds the same kind of session token as the API's bearer.
    let session = admin.token.clone().unwrap();
    let photo = fake_photo(3, 20_000);
    let id = tus_upload(&phone.api, &photo, 8 << 10).await;
    let sign = phone.sign("thien-ke-01", "2020-03-01T08:00:00+07:00", vec![id]);
    phone.push_ok(&[sign]).await;
    // A file beside the photo store, and its name as a photo id would be split (`ab/cdef…`).
    let secret = "the server's own secret, never to be served";
    std::fs::write(server.data.path().join("secret.txt"), secret).unwrap();
    let hex = id.to_hex();

    let attempts = [
        "../secret.txt".to_owned(),
        "..%2Fsecret.txt".to_owned(),
        "%2e%2e%2fsecret.txt".to_owned(),
        "%2E%2E%2F%2E%2E%2Fsecret.txt".to_owned(),
        "..%5csecret.txt".to_owned(),
        format!("{}/../../secret.txt", &hex[..2]),
        format!("{}%2F..%2F..%2Fsecret.txt", &hex[..2]),
        "%2Fetc%2Fpasswd".to_owned(),
        "/etc/passwd".to_owned(),
        "%00".to_owned(),
        "g".repeat(64),
        hex.to_uppercase(),
        format!("{hex}0"),
        hex[..63].to_owned(),
        "a".repeat(10_000),
        format!("{hex}%00"),
    ];
    for attempt in &attempts {
        let request = format!(
            "GET /api/v1/blobs/{attempt} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            phone.token
        );
        let (status, body) = raw_http(&server.addr(), request.as_bytes());
        assert!((400..500).contains(&status), "{attempt}: {status} {body}");
        assert!(!body.contains(secret), "{attempt} read the secret");
        let error: Value = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{attempt}: a JSON error, got {body:?}"));
        assert!(error["error"]["code"].is_string(), "{attempt}: {body}");

        let request = format!(
            "GET /dashboard/c/thien-ke/photos/{attempt} HTTP/1.1\r\nHost: x\r\nCookie: ntm_session={session}\r\nConnection: close\r\n\r\n"
        );
        let (status, body) = raw_http(&server.addr(), request.as_bytes());
        assert!(
            (400..500).contains(&status),
            "dashboard {attempt}: {status} {body}"
        );
        assert!(
            !body.contains(secret),
            "dashboard {attempt} read the secret"
        );
    }
    // The same store serves the real id, on both routes.
    let request = format!(
        "GET /api/v1/blobs/{hex} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        phone.token
    );
    assert_eq!(raw_http(&server.addr(), request.as_bytes()).0, 200);
    let request = format!(
        "GET /dashboard/c/thien-ke/photos/{hex}?size=original HTTP/1.1\r\nHost: x\r\nCookie: ntm_session={session}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw_http(&server.addr(), request.as_bytes()).0, 200);
}

/// A header block over the server's 32 KiB limit gets 431 with the API's JSON error; one under
/// it is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_get_431_with_a_json_error() {
    let server = TestServer::start();
    let request = |junk: usize| {
        format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(junk)
        )
    };
    let (status, body) = raw_http(&server.addr(), request(100_000).as_bytes());
    assert_eq!(status, 431, "{body}");
    let error: Value = serde_json::from_str(&body).expect("a JSON error body");
    assert_eq!(error["error"]["code"], "headers_too_large", "{body}");
    assert_eq!(raw_http(&server.addr(), request(20_000).as_bytes()).0, 200);
}

/// A client that sends its headers one byte a second (slowloris) is disconnected once the
/// server's header timeout (20 s) passes, instead of holding a connection forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_headers_one_byte_a_second_is_cut_off() {
    let server = TestServer::start();
    let addr = server.addr();
    let closed_after = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .unwrap();
        let started = Instant::now();
        // Generous: four times the server's header timeout.
        while started.elapsed() < Duration::from_secs(80) {
            if s.write_all(b"a").is_err() {
                return Some(started.elapsed());
            }
            let mut buf = [0u8; 1024];
            match s.read(&mut buf) {
                Ok(0) => return Some(started.elapsed()),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return Some(started.elapsed()),
            }
        }
        None
    })
    .await
    .unwrap();
    let closed_after = closed_after.expect("the server closed the connection");
    assert!(
        closed_after >= Duration::from_secs(5),
        "closed for its slowness, not at once: {closed_after:?}"
    );
    // The server still serves everyone else.
    assert_eq!(Api::new(&server.base).get("/healthz").await.status, 200);
}
