//! The identity lifecycle of a phone against the real server, on SQLite and PostgreSQL: a phone
//! re-enrolled after revocation or into another commune, a phone restored from an old copy of
//! its database or copied to a second phone, a server restored from an old backup, a photo upload
//! begun under an earlier identity, and an enrollment whose answer was lost on the way. In every
//! case what the user saved ends on the server exactly once or waits visibly on the phone.

mod dashboard_common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use dashboard_common::Browser;
use ntm_field::protocol::{Role, WaitingBundle};
use ntm_field::record::Version;
use ntm_field::store::{HouseholdFilter, RecordState, Store, DB_FILE, MARKER_FILE, PHOTO_DIR};
use ntm_field::sync::SyncEngine;
use ntm_tests::on_both_backends;
use ntm_tests::phone::*;
use ntm_tests::proxy::{Fault, Proxy};
use ntm_tests::server::{Api, Backend, ServerBackup, TestServer, ADMIN_PASSWORD, ADMIN_USER};
use uuid::Uuid;

const COMMUNE: &str = "thien-ke";
/// A second commune, for enrollments elsewhere.
const OTHER: &str = "thien-ke-moi";

struct Env {
    server: TestServer,
    proxy: Proxy,
    admin: Api,
}

async fn env(backend: Backend) -> Env {
    let server = TestServer::start_on(backend);
    let proxy = Proxy::start(server.addr().parse().unwrap()).await;
    let admin = Api::admin(&server).await;
    create_demo_commune(&admin).await;
    let mut other = ntm_field::demo::thien_ke().unwrap().config.commune;
    other.id = ntm_field::ids::Slug::parse(OTHER).unwrap();
    other.name = "Xã Thiện Kế Mới".into();
    for v in &mut other.villages {
        v.id = ntm_field::ids::Slug::parse(&format!("moi-{}", v.id)).unwrap();
    }
    let r = admin
        .post("/api/v1/communes", &serde_json::to_value(&other).unwrap())
        .await;
    assert!(r.status == 201 || r.status == 200, "{:?}", r.body);
    Env {
        server,
        proxy,
        admin,
    }
}

impl Env {
    async fn code(&self, commune: &str) -> String {
        enrollment_code(&self.admin, commune, Role::Enumerator).await
    }

    async fn phone(&self) -> TestPhone {
        let code = self.code(COMMUNE).await;
        TestPhone::enroll(&self.proxy.url(), &code, test_options()).await
    }

    /// An enrolled phone that registered household TK03-001 and sent it.
    async fn phone_with_a_household(&self) -> (TestPhone, Version) {
        let a = self.phone().await;
        let h = a
            .store
            .create(household_draft("TK03-001", "thien-ke-03"))
            .unwrap();
        a.sync().await.unwrap();
        (a, h)
    }

    async fn revoke(&self, device_id: Uuid) {
        let r = self
            .admin
            .post(
                &format!("/api/v1/devices/{device_id}/revoke"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(r.status, 204, "{:?}", r.body);
    }

    /// Every version the server holds for the commune of `token`, each checked to be there once.
    async fn server_once(&self, token: &str) -> BTreeMap<Uuid, Version> {
        let mut out = BTreeMap::new();
        for v in server_versions(&self.server.base, token).await {
            let id = v.version_id;
            assert!(out.insert(id, v).is_none(), "{id} is stored twice");
        }
        out
    }
}

fn token(phone: &Store) -> String {
    phone.enrollment().unwrap().unwrap().token
}

fn own_ids(store: &Store) -> BTreeSet<Uuid> {
    store
        .own_version_states()
        .unwrap()
        .keys()
        .copied()
        .collect()
}

/// A copy of a phone's files as a backup holds them: the database (a consistent copy of the
/// live file), and the install marker when `with_marker` (a backup that restores it too).
fn copy_phone(from: &std::path::Path, with_marker: bool) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(from.join(DB_FILE)).unwrap();
    conn.execute(
        "VACUUM INTO ?1",
        [to.path().join(DB_FILE).to_str().unwrap()],
    )
    .unwrap();
    if with_marker {
        std::fs::copy(from.join(MARKER_FILE), to.path().join(MARKER_FILE)).unwrap();
    }
    std::fs::create_dir_all(to.path().join(PHOTO_DIR)).unwrap();
    to
}

async fn a_phone_reenrolled_after_revocation_still_sends_its_unsent_checks(backend: Backend) {
    let env = env(backend).await;
    let (a, h) = env.phone_with_a_household().await;
    let first = a.device_id();
    env.revoke(first).await;
    let unsent = a.store.create(check_draft(&h, true)).unwrap();
    assert!(a.sync().await.is_err(), "a revoked phone cannot send");
    // The officer gives the same person a new code for the same commune.
    let code = env.code(COMMUNE).await;
    SyncEngine::enroll(&a.store, &env.proxy.url(), &code, "máy chị Hà", "test")
        .await
        .unwrap();
    assert_ne!(a.device_id(), first);
    let after = a.store.create(check_draft(&h, false)).unwrap();
    a.sync()
        .await
        .expect("the old identity's refusal does not block the new one");
    assert!(a.store.outbox().unwrap().is_empty());
    assert!(a.store.waiting().unwrap().is_empty());
    let server = env.server_once(&token(&a.store)).await;
    assert!(server.contains_key(&unsent.version_id), "the unsent check");
    assert!(server.contains_key(&after.version_id));
    assert_eq!(server.len(), 3);
    for (id, state) in a.store.own_version_states().unwrap() {
        assert_eq!(state, "synced", "{id}");
    }
}

async fn records_saved_for_another_commune_wait_on_the_phone_with_their_commune(backend: Backend) {
    let env = env(backend).await;
    let (a, h) = env.phone_with_a_household().await;
    // Someone else's household comes down to this phone.
    let b = env.phone().await;
    b.store
        .create(household_draft("TK03-002", "thien-ke-03"))
        .unwrap();
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    assert_eq!(
        a.store
            .households(&HouseholdFilter::default())
            .unwrap()
            .len(),
        2
    );
    let first = a.device_id();
    env.revoke(first).await;
    let unsent = a.store.create(check_draft(&h, true)).unwrap();
    // The phone moves to another commune.
    let code = env.code(OTHER).await;
    SyncEngine::enroll(&a.store, &env.proxy.url(), &code, "máy chị Hà", "test")
        .await
        .unwrap();
    // A household of the new commune, from another phone of it.
    let c = TestPhone::enroll(&env.proxy.url(), &env.code(OTHER).await, test_options()).await;
    c.store
        .create(household_draft("TKM-001", "moi-thien-ke-01"))
        .unwrap();
    c.sync().await.unwrap();
    let mine = a
        .store
        .create(household_draft("TKM-002", "moi-thien-ke-01"))
        .unwrap();
    let report = a.sync().await.expect("the new commune syncs");
    assert_eq!(report.waiting_errors.len(), 1, "{report:?}");
    // Only the new commune shapes what the phone shows.
    let codes: BTreeSet<String> = a
        .store
        .households(&HouseholdFilter::default())
        .unwrap()
        .into_iter()
        .map(|h| h.code)
        .collect();
    assert_eq!(
        codes,
        BTreeSet::from(["TKM-001".to_owned(), "TKM-002".to_owned()])
    );
    let card = a.store.scorecard(chrono::NaiveDate::MAX).unwrap().unwrap();
    assert_eq!(card.commune_id.as_str(), OTHER);
    // The old commune's unsent check waits, named with its commune, and exports to a file.
    let waiting = a.store.waiting().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].version.version_id, unsent.version_id);
    assert_eq!(waiting[0].commune_id.as_str(), COMMUNE);
    let listed = a
        .store
        .my_records(100)
        .unwrap()
        .into_iter()
        .find(|r| r.version_id == unsent.version_id)
        .unwrap();
    assert_eq!(
        listed.state,
        RecordState::Waiting {
            commune_id: ntm_field::ids::Slug::parse(COMMUNE).unwrap()
        }
    );
    let bundle: WaitingBundle = serde_json::from_slice(&a.store.export_waiting().unwrap()).unwrap();
    assert_eq!(bundle.manifest.count, 1);
    assert_eq!(bundle.manifest.communes, vec![COMMUNE.to_owned()]);
    assert_eq!(bundle.versions[0], unsent);
    let other_server = env.server_once(&token(&a.store)).await;
    assert!(other_server.contains_key(&mine.version_id));
    assert_eq!(other_server.len(), 2);
    assert!(a
        .store
        .outbox()
        .unwrap()
        .iter()
        .all(|(d, _, _)| *d == first));
}

async fn a_phone_restored_from_an_old_copy_takes_a_new_identity_and_gets_back_what_it_sent_since(
    backend: Backend,
) {
    let env = env(backend).await;
    let (a, h) = env.phone_with_a_household().await;
    let unsent_in_backup = a.store.create(check_draft(&h, true)).unwrap();
    let backup = copy_phone(a.dir.path(), true);
    let sent_after: Vec<Version> = (0..2)
        .map(|_| a.store.create(check_draft(&h, false)).unwrap())
        .collect();
    a.sync().await.unwrap();
    let first = a.device_id();

    // The backup comes back (marker and all): the server is the witness.
    let restored = Arc::new(Store::open(backup.path()).unwrap());
    let engine = SyncEngine::new(restored.clone(), test_options());
    engine.sync_once().await.unwrap();
    let now = restored
        .enrollment()
        .unwrap()
        .expect("a new identity, taken by itself");
    assert_ne!(now.device_id, first);
    // What the original sent after the backup came back; the unsent check went up once.
    for v in &sent_after {
        assert!(restored.version(v.version_id).unwrap().is_some());
    }
    assert!(restored.outbox().unwrap().is_empty());
    let next = restored.create(check_draft(&h, true)).unwrap();
    assert_eq!((next.device_id, next.device_seq), (now.device_id, 2));
    engine.sync_once().await.unwrap();
    let server = env.server_once(&now.token).await;
    assert!(server.contains_key(&unsent_in_backup.version_id));
    assert!(server.contains_key(&next.version_id));
    assert_eq!(server.len(), 5);
    // The original goes on under its own identity.
    a.store.create(check_draft(&h, true)).unwrap();
    a.sync().await.unwrap();
    assert_eq!(a.device_id(), first);
    assert_eq!(env.server_once(&now.token).await.len(), 6);
}

async fn a_phone_copied_to_a_second_phone_never_reuses_a_sequence_number(backend: Backend) {
    let env = env(backend).await;
    let (a, h) = env.phone_with_a_household().await;
    // Copied without its install marker (a new phone set up from the old one's files) and with
    // it (a byte-for-byte clone): both take a new identity before they send.
    let bare = copy_phone(a.dir.path(), false);
    let clone = copy_phone(a.dir.path(), true);
    let original: Vec<Version> = (0..2)
        .map(|_| a.store.create(check_draft(&h, true)).unwrap())
        .collect();
    a.sync().await.unwrap();
    let mut saved = own_ids(&a.store);
    for dir in [&bare, &clone] {
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let v = store.create(check_draft(&h, false));
        let engine = SyncEngine::new(store.clone(), test_options());
        engine.sync_once().await.unwrap();
        let id = store.enrollment().unwrap().unwrap().device_id;
        assert_ne!(id, a.device_id());
        // A save refused before the new identity (the bare copy) is saved again after it.
        let v = match v {
            Ok(v) => v,
            Err(_) => store.create(check_draft(&h, false)).unwrap(),
        };
        engine.sync_once().await.unwrap();
        assert!(store.outbox().unwrap().is_empty());
        for o in &original {
            assert!(
                store.version(o.version_id).unwrap().is_some(),
                "pulled back"
            );
        }
        saved.insert(v.version_id);
    }
    let server = env.server_once(&token(&a.store)).await;
    assert_eq!(server.keys().copied().collect::<BTreeSet<_>>(), saved);
}

/// A byte-for-byte clone that saved as many records as the original and sent first: the
/// server's status cannot tell them apart, so the original's first push meets the clone's
/// versions under its own sequence numbers (`409 sequence_reused`) and must not be taken as sent.
async fn a_phone_whose_clone_sent_first_sends_its_own_checks_again_under_a_new_identity(
    backend: Backend,
) {
    let env = env(backend).await;
    let (a, h) = env.phone_with_a_household().await;
    let first = a.device_id();
    let clone = copy_phone(a.dir.path(), true);
    let b = Arc::new(Store::open(clone.path()).unwrap());
    let theirs = b.create(check_draft(&h, false)).unwrap();
    SyncEngine::new(b.clone(), test_options())
        .sync_once()
        .await
        .unwrap();
    assert_eq!(b.enrollment().unwrap().unwrap().device_id, first);
    let mine = a.store.create(check_draft(&h, true)).unwrap();
    assert_eq!(
        mine.device_seq, theirs.device_seq,
        "the same number, another version"
    );
    a.sync().await.unwrap();
    assert_ne!(
        a.device_id(),
        first,
        "a new identity after 409 sequence_reused"
    );
    assert!(a.store.outbox().unwrap().is_empty());
    let server = env.server_once(&token(&a.store)).await;
    assert_eq!(
        server.get(&mine.version_id).map(|v| &v.body),
        Some(&mine.body)
    );
    assert_eq!(
        server.get(&theirs.version_id).map(|v| &v.body),
        Some(&theirs.body)
    );
    assert_eq!(server.len(), 3);
}

async fn an_enrollment_retried_after_its_answer_was_lost_gets_the_same_device(backend: Backend) {
    let env = env(backend).await;
    let code = env.code(COMMUNE).await;
    env.proxy.arm(Fault::SwallowResponse {
        marker: "POST /api/v1/devices/enroll".into(),
    });
    let a = TestPhone::enroll(&env.proxy.url(), &code, test_options()).await;
    assert_eq!(env.proxy.fired(), 1, "the first answer was lost");
    let devices = env
        .admin
        .get(&format!("/api/v1/communes/{COMMUNE}/devices"))
        .await;
    let listed = devices.body.as_array().unwrap();
    assert_eq!(listed.len(), 1, "one device: {listed:?}");
    assert_eq!(listed[0]["device_id"], a.device_id().to_string());
    a.store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    a.sync().await.expect("the token of the retry works");
    // Without the attempt (an older app, or another phone), the code stays used.
    let again = Api::new(&env.server.base)
        .post(
            "/api/v1/devices/enroll",
            &serde_json::json!({"code": code, "device_name": "khác", "platform": "test"}),
        )
        .await;
    assert_eq!(again.status, 400, "{:?}", again.body);
}

async fn a_photo_begun_under_an_earlier_identity_is_uploaded_under_the_new_one(backend: Backend) {
    let env = env(backend).await;
    let a = env.phone().await;
    let h = a
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    let mut check = check_draft(&h, true);
    let p = ntm_field::photo::intake(&camera_jpeg(2400, 1800, 3), 1600).unwrap();
    let id = a.store.add_photo(&p).unwrap();
    check.photos.push(id);
    a.store.create(check).unwrap();
    env.proxy.arm_after(
        Fault::CutRequest {
            marker: "PATCH /api/v1/blobs".into(),
            after: 10_000,
        },
        1,
    );
    assert!(a.sync().await.is_err(), "the upload is cut");
    assert!(a.store.sync_photos_pending().unwrap()[0]
        .upload_url
        .is_some());
    env.revoke(a.device_id()).await;
    let code = env.code(COMMUNE).await;
    SyncEngine::enroll(&a.store, &env.proxy.url(), &code, "máy chị Hà", "test")
        .await
        .unwrap();
    let report = a.sync().await.expect("never stuck on the old upload's 403");
    assert_eq!(report.photos_uploaded, 1);
    assert!(a.store.sync_photos_pending().unwrap().is_empty());
    server_photo_hashes_match(&env.server.base, &token(&a.store), &[id]).await;
}

async fn an_officer_imports_the_checks_a_phone_moved_to_another_commune_exported_once(
    backend: Backend,
) {
    let env = env(backend).await;
    let (a, h) = env.phone_with_a_household().await;
    env.revoke(a.device_id()).await;
    let unsent = [
        a.store.create(check_draft(&h, true)).unwrap(),
        a.store.create(check_draft(&h, false)).unwrap(),
    ];
    let code = env.code(OTHER).await;
    SyncEngine::enroll(&a.store, &env.proxy.url(), &code, "máy chị Hà", "test")
        .await
        .unwrap();
    a.sync().await.expect("the new commune syncs");
    assert_eq!(a.store.waiting().unwrap().len(), 2);
    let file = a.store.export_waiting().unwrap();

    let mut officer = Browser::login(&env.server.base, (ADMIN_USER, ADMIN_PASSWORD)).await;
    let page = officer.get("/dashboard/c/thien-ke/import-waiting").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = page.csrf();
    let path = "/dashboard/c/thien-ke/import-waiting";
    let no_token = officer
        .post_multipart(path, &[], ("waiting.json", &file))
        .await;
    assert_eq!(no_token.status, 403);
    let first = officer
        .post_multipart(path, &[("csrf", &csrf)], ("waiting.json", &file))
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let result = first.element_text("id=\"import-result\"");
    assert!(
        result.contains("Đã lưu: 2") && result.contains("Đã có trên máy chủ: 0"),
        "{result}"
    );
    let again = officer
        .post_multipart(path, &[("csrf", &csrf)], ("waiting.json", &file))
        .await;
    let result = again.element_text("id=\"import-result\"");
    assert!(
        result.contains("Đã lưu: 0") && result.contains("Đã có trên máy chủ: 2"),
        "importing twice stores nothing new: {result}"
    );
    let not_a_bundle = officer
        .post_multipart(path, &[("csrf", &csrf)], ("waiting.json", b"{}"))
        .await;
    assert_eq!(not_a_bundle.status, 422);
    assert!(not_a_bundle.text().contains("Không đọc được tệp"));

    let b = env.phone().await;
    let server = env.server_once(&token(&b.store)).await;
    for v in &unsent {
        let stored = server.get(&v.version_id).expect("the imported check");
        assert_eq!(stored.body, v.body);
    }
    assert_eq!(server.len(), 3);
}

on_both_backends!(
    a_phone_reenrolled_after_revocation_still_sends_its_unsent_checks,
    an_officer_imports_the_checks_a_phone_moved_to_another_commune_exported_once,
    records_saved_for_another_commune_wait_on_the_phone_with_their_commune,
    a_phone_restored_from_an_old_copy_takes_a_new_identity_and_gets_back_what_it_sent_since,
    a_phone_copied_to_a_second_phone_never_reuses_a_sequence_number,
    a_phone_whose_clone_sent_first_sends_its_own_checks_again_under_a_new_identity,
    an_enrollment_retried_after_its_answer_was_lost_gets_the_same_device,
    a_photo_begun_under_an_earlier_identity_is_uploaded_under_the_new_one,
    a_server_restored_from_an_old_backup_gets_back_what_it_lost_even_from_an_idle_phone,
    a_phone_enrolled_after_the_backup_sends_its_records_again_once_enrolled_anew,
    a_server_restored_from_before_a_photo_arrived_gets_the_photo_again,
);

/// Takes a backup of everything the server keeps (see [`TestServer::backup`]); the server goes
/// on, at a new address.
async fn back_up_server(env: &mut Env) -> ServerBackup {
    let backup = env.server.backup();
    env.proxy.set_target(env.server.addr().parse().unwrap());
    env.admin = Api::admin(&env.server).await;
    backup
}

/// Puts the backup back in place of everything the server keeps, and starts it again.
async fn restore_server(env: &mut Env, backup: &ServerBackup) {
    env.server.restore(backup);
    env.proxy.set_target(env.server.addr().parse().unwrap());
    env.admin = Api::admin(&env.server).await;
}

/// A server restored from last night's copy of its data directory and, on PostgreSQL, of its
/// database.
async fn a_server_restored_from_an_old_backup_gets_back_what_it_lost_even_from_an_idle_phone(
    backend: Backend,
) {
    let mut env = env(backend).await;
    let (a, h) = env.phone_with_a_household().await;
    // A phone re-enrolled before the backup: its earlier identity's records count too.
    env.revoke(a.device_id()).await;
    a.store.create(check_draft(&h, true)).unwrap();
    let code = env.code(COMMUNE).await;
    SyncEngine::enroll(&a.store, &env.proxy.url(), &code, "máy chị Hà", "test")
        .await
        .unwrap();
    a.sync().await.unwrap();
    let backup = back_up_server(&mut env).await;
    // After the backup: records of this phone and of another one.
    for _ in 0..3 {
        a.store.create(check_draft(&h, false)).unwrap();
    }
    a.sync().await.unwrap();
    let b = env.phone().await;
    b.store
        .create(household_draft("TK03-002", "thien-ke-03"))
        .unwrap();
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    assert!(a.store.outbox().unwrap().is_empty(), "nothing left to send");
    restore_server(&mut env, &backup).await;
    // Phone a has nothing to send, yet the server lacks three of its checks.
    a.sync().await.unwrap();
    let server = env.server_once(&token(&a.store)).await;
    let held: BTreeSet<Uuid> = server.keys().copied().collect();
    assert!(
        own_ids(&a.store).is_subset(&held),
        "every record of phone a is back"
    );
    // Phone b's device is unknown to the restored server: its records wait on b. A record
    // stored after the restore reaches phone a: its pull goes on from the server's head.
    let c = env.phone().await;
    let late = c
        .store
        .create(household_draft("TK03-003", "thien-ke-03"))
        .unwrap();
    c.sync().await.unwrap();
    a.sync().await.unwrap();
    assert!(a.store.version(late.version_id).unwrap().is_some());
    assert_eq!(server.len(), own_ids(&a.store).len());
}

/// A phone enrolled after the server's backup is unknown to the restored server: enrolled anew,
/// it sends again what it had sent, even when other phones have since pushed the server's head
/// past the furthest the phone ever saw.
async fn a_phone_enrolled_after_the_backup_sends_its_records_again_once_enrolled_anew(
    backend: Backend,
) {
    let mut env = env(backend).await;
    let (b, _) = env.phone_with_a_household().await;
    let backup = back_up_server(&mut env).await;
    let a = env.phone().await;
    a.store
        .create(household_draft("TK07-001", "thien-ke-07"))
        .unwrap();
    a.sync().await.unwrap();
    restore_server(&mut env, &backup).await;
    for i in 0..4 {
        b.store
            .create(household_draft(&format!("TK01-10{i}"), "thien-ke-01"))
            .unwrap();
    }
    b.sync().await.unwrap();
    assert!(
        a.sync().await.is_err(),
        "the restored server does not know phone a"
    );
    let code = env.code(COMMUNE).await;
    SyncEngine::enroll(&a.store, &env.proxy.url(), &code, "máy anh Tùng", "test")
        .await
        .unwrap();
    a.sync().await.unwrap();
    let held: BTreeSet<Uuid> = env
        .server_once(&token(&a.store))
        .await
        .keys()
        .copied()
        .collect();
    assert!(
        own_ids(&a.store).is_subset(&held),
        "phone a's household is back on the server"
    );
}

/// A photo uploaded after the server's backup, of a record the backup holds: restored, the
/// server lacks the photo alone, and the phone uploads it again.
async fn a_server_restored_from_before_a_photo_arrived_gets_the_photo_again(backend: Backend) {
    let mut env = env(backend).await;
    let a = env.phone().await;
    let picture = ntm_field::photo::intake(&camera_jpeg(160, 120, 7), 1600).unwrap();
    let mut draft = household_draft("TK07-002", "thien-ke-07");
    draft.photos.push(a.store.add_photo(&picture).unwrap());
    let photo = draft.photos[0];
    a.store.create(draft).unwrap();
    // The push arrives; the answer of the pull is cut, so the photo waits.
    env.proxy.arm(Fault::CutResponse {
        marker: "GET /api/v1/sync/pull".into(),
        after: 0,
    });
    assert!(a.sync().await.is_err());
    env.proxy.disarm();
    let backup = back_up_server(&mut env).await;
    a.sync().await.unwrap();
    assert!(a.store.sync_photos_pending().unwrap().is_empty());
    restore_server(&mut env, &backup).await;
    a.sync().await.unwrap();
    server_photo_hashes_match(&env.server.base, &token(&a.store), &[photo]).await;
}
