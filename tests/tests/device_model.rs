//! R6: a model-based property test. Three simulated phones (each its own store file and sync
//! engine) do random creates, edits, deletes, conflict resolutions, photos, syncs, syncs broken
//! by the fault-injecting proxy, and server restarts, against one real server. After everyone
//! syncs to the end:
//!
//! - the server holds exactly the union of the phones' versions, each once;
//! - every phone has the same heads, and they are the heads of the server's versions;
//! - every concurrent edit (two versions of an entity that no later version joins) is a
//!   flagged conflict on every phone and in the server's scorecard;
//! - the server's incremental totals equal a recompute (`ntm-server recompute`), and its
//!   scorecard equals the core's over the union (each phone's offline scorecard);
//! - every photo the server serves hashes to its id.
//!
//! The heads are checked against a model kept by this test (leaves of the parent graph), not
//! against the core's `heads` function that the store and server both use.
//!
//! R7 (the identity lifecycle) runs the same phones with more events: a phone re-enrolled (after
//! its revocation or not), a backup of a phone's files restored in its place (with its install
//! marker or without), a copy of a phone's database set up on another phone beside it, and the
//! server restored from an old copy of its data directory (and, on PostgreSQL, of its database:
//! R7 runs on both backends). Afterwards the server holds exactly
//! what every phone in use saved, once, plus everything a replaced phone had reported as sent
//! (unless a server restore took it away before that phone could send it again: then it is gone
//! with both copies); nothing on the server comes from elsewhere; no phone has anything waiting.
//! `NTM_R7_CASES` sets the number of cases per backend (default 4, about a minute each).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ntm_field::ids::PhotoId;
use ntm_field::protocol::Role;
use ntm_field::record::{Body, SignCondition, Version};
use ntm_field::store::{Draft, HouseholdFilter, SaveError, Store, DB_FILE, MARKER_FILE, PHOTO_DIR};
use ntm_field::sync::{FailureKind, SyncEngine};
use ntm_tests::phone::*;
use ntm_tests::proxy::{Fault, Proxy};
use ntm_tests::server::{copy_dir, Api, Backend, ServerBackup, TestServer};
use proptest::prelude::*;
use uuid::Uuid;

const PHONES: usize = 3;
const VILLAGES: [&str; 3] = ["thien-ke-01", "thien-ke-03", "thien-ke-07"];

#[derive(Debug, Clone)]
enum Op {
    /// 0: household, 1: check of a known household, 2: sign, 3: road.
    Create {
        phone: usize,
        kind: u8,
        village: usize,
        photo: bool,
    },
    Edit {
        phone: usize,
        pick: usize,
    },
    Delete {
        phone: usize,
        pick: usize,
    },
    Resolve {
        phone: usize,
        pick: usize,
    },
    Sync {
        phone: usize,
    },
    /// 0: cut a push mid-request, 1: lose a push's answer after COMMIT, 2: cut a photo chunk,
    /// 3: cut a pull's answer.
    SyncWithFault {
        phone: usize,
        fault: u8,
        after: usize,
    },
    RestartServer,
    /// R7: enroll the phone again with a new code of the same commune, revoking the old
    /// identity first or not.
    Reenroll {
        phone: usize,
        revoke: bool,
    },
    /// R7: a backup of the phone's files (database and install marker).
    BackupPhone {
        phone: usize,
    },
    /// R7: the phone's last backup restored in its place, with its install marker or without.
    RestorePhone {
        phone: usize,
        marker: bool,
    },
    /// R7: the phone's database copied onto one more phone (without the marker, as a copy of the
    /// app's backed-up files arrives on another phone); both go on.
    CopyPhone {
        phone: usize,
    },
    /// R7: a copy of the server's data directory (taken while it is stopped).
    BackupServer,
    /// R7: the server's last copy restored in place of its data.
    RestoreServer,
}

fn op() -> impl Strategy<Value = Op> {
    let phone = 0..PHONES;
    prop_oneof![
        6 => (phone.clone(), 0u8..4, 0..VILLAGES.len(), prop::bool::weighted(0.25))
            .prop_map(|(phone, kind, village, photo)| Op::Create { phone, kind, village, photo }),
        4 => (phone.clone(), any::<usize>()).prop_map(|(phone, pick)| Op::Edit { phone, pick }),
        1 => (phone.clone(), any::<usize>()).prop_map(|(phone, pick)| Op::Delete { phone, pick }),
        1 => (phone.clone(), any::<usize>()).prop_map(|(phone, pick)| Op::Resolve { phone, pick }),
        4 => phone.clone().prop_map(|phone| Op::Sync { phone }),
        2 => (phone, 0u8..4, 0usize..3000).prop_map(|(phone, fault, after)| Op::SyncWithFault { phone, fault, after }),
        1 => Just(Op::RestartServer),
    ]
}

/// R7's events beside R6's.
fn lifecycle_op() -> impl Strategy<Value = Op> {
    let phone = 0..PHONES;
    prop_oneof![
        8 => op(),
        1 => (phone.clone(), any::<bool>()).prop_map(|(phone, revoke)| Op::Reenroll { phone, revoke }),
        1 => phone.clone().prop_map(|phone| Op::BackupPhone { phone }),
        1 => (phone.clone(), any::<bool>()).prop_map(|(phone, marker)| Op::RestorePhone { phone, marker }),
        1 => phone.prop_map(|phone| Op::CopyPhone { phone }),
        1 => Just(Op::BackupServer),
        1 => Just(Op::RestoreServer),
    ]
}

struct World {
    server: TestServer,
    proxy: Proxy,
    phones: Vec<TestPhone>,
    photo_seed: u64,
    /// Phones replaced by a restored backup.
    replaced: Vec<TestPhone>,
    /// What the replaced phones reported as sent and the server still owes: a server restore
    /// removes what the restored copy lacks, as nothing can bring it back.
    owed: BTreeSet<Uuid>,
    /// Per phone in use, whether the server was restored since its last complete sync.
    restored_since_sync: Vec<bool>,
    /// The token of a device enrolled before any backup (so known to every restored server)
    /// that only reads.
    observer: String,
    phone_backups: HashMap<usize, tempfile::TempDir>,
    server_backup: Option<ServerBackup>,
}

/// A save refused because the phone's identity was retired (a copy that has not synced yet) is
/// what the person sees too; anything else is a failure.
fn saved<T>(r: Result<T, SaveError>) {
    match r {
        Ok(_) | Err(SaveError::IdentityRetired) => {}
        Err(e) => panic!("save failed: {e}"),
    }
}

/// A consistent copy of a phone's files: its database and, with `marker`, its install marker.
fn copy_phone(from: &std::path::Path, marker: bool) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(from.join(DB_FILE)).unwrap();
    conn.execute(
        "VACUUM INTO ?1",
        [to.path().join(DB_FILE).to_str().unwrap()],
    )
    .unwrap();
    if marker {
        std::fs::copy(from.join(MARKER_FILE), to.path().join(MARKER_FILE)).unwrap();
    }
    copy_dir(&from.join(PHOTO_DIR), &to.path().join(PHOTO_DIR));
    to
}

/// A phone on the files of `dir`.
fn phone_on(dir: tempfile::TempDir) -> TestPhone {
    let clock = SkewedClock::new();
    let store = Arc::new(Store::open(dir.path()).unwrap().with_clock(clock.clone()));
    let engine = Arc::new(SyncEngine::new(store.clone(), test_options()));
    TestPhone {
        dir,
        store,
        engine,
        clock,
    }
}

impl World {
    async fn new() -> World {
        World::new_on(Backend::Sqlite).await
    }

    async fn new_on(backend: Backend) -> World {
        let server = TestServer::start_on(backend);
        let proxy = Proxy::start(server.addr().parse().unwrap()).await;
        let admin = Api::admin(&server).await;
        create_demo_commune(&admin).await;
        let mut phones = Vec::new();
        for _ in 0..PHONES {
            let code = enrollment_code(&admin, "thien-ke", Role::Enumerator).await;
            phones.push(TestPhone::enroll(&proxy.url(), &code, test_options()).await);
        }
        let code = enrollment_code(&admin, "thien-ke", Role::Enumerator).await;
        let observer = TestPhone::enroll(&server.base, &code, test_options())
            .await
            .store
            .enrollment()
            .unwrap()
            .unwrap()
            .token;
        World {
            server,
            proxy,
            phones,
            photo_seed: 0,
            replaced: Vec::new(),
            owed: BTreeSet::new(),
            restored_since_sync: vec![false; PHONES],
            observer,
            phone_backups: HashMap::new(),
            server_backup: None,
        }
    }

    /// Live entities a phone can edit (households, checks, signs, roads), in a stable order.
    fn live(&self, phone: usize) -> Vec<Version> {
        let store = &self.phones[phone].store;
        let mut heads: Vec<Version> = store
            .all_heads()
            .unwrap()
            .keys()
            .filter_map(|e| store.current(*e).unwrap())
            .filter(|v| !v.deleted)
            .collect();
        heads.sort_by_key(|v| v.entity_id);
        heads
    }

    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::Create {
                phone,
                kind,
                village,
                photo,
            } => {
                let p = &self.phones[phone];
                let now = p.clock.as_ref();
                let at = ntm_field::store::Clock::now(now);
                let mut draft = match kind {
                    1 => {
                        let households = p.store.households(&HouseholdFilter::default()).unwrap();
                        match households.first() {
                            Some(h) => {
                                let hh = p.store.current(h.entity_id).unwrap().unwrap();
                                check_draft(&hh, village % 2 == 0)
                            }
                            None => {
                                household_draft(&format!("H{}", self.photo_seed), VILLAGES[village])
                            }
                        }
                    }
                    2 => sign_draft(VILLAGES[village], at),
                    3 => road_draft(VILLAGES[village], 120.0 + 40.0 * village as f64, at),
                    _ => household_draft(
                        &format!("TK-{}-{}", phone, self.photo_seed),
                        VILLAGES[village],
                    ),
                };
                self.photo_seed += 1;
                if photo {
                    let picture =
                        ntm_field::photo::intake(&camera_jpeg(160, 120, self.photo_seed), 1600)
                            .unwrap();
                    draft.photos.push(p.store.add_photo(&picture).unwrap());
                }
                saved(p.store.create(draft));
            }
            Op::Edit { phone, pick } => {
                let live = self.live(phone);
                if live.is_empty() {
                    return;
                }
                let head = &live[pick % live.len()];
                let mut draft = Draft::from_version(head);
                match &mut draft.body {
                    Body::Household(h) => h.members = h.members % 9 + 1,
                    Body::HouseholdCheck(c) => c.bathroom_hygienic = !c.bathroom_hygienic,
                    Body::TrashSign(s) => {
                        s.condition = if s.condition == SignCondition::Good {
                            SignCondition::Damaged
                        } else {
                            SignCondition::Good
                        }
                    }
                    Body::RoadSegment(r) => r.width_m = if r.width_m > 3.0 { 3.0 } else { 3.5 },
                    Body::Assessment(a) => a.note.push('.'),
                }
                saved(self.phones[phone].store.edit(head.entity_id, draft));
            }
            Op::Delete { phone, pick } => {
                let live = self.live(phone);
                if !live.is_empty() {
                    saved(
                        self.phones[phone]
                            .store
                            .delete(live[pick % live.len()].entity_id),
                    );
                }
            }
            Op::Resolve { phone, pick } => {
                let store = &self.phones[phone].store;
                let conflicts = store.conflicts().unwrap();
                if !conflicts.is_empty() {
                    let c = &conflicts[pick % conflicts.len()];
                    let chosen = &c.heads[pick % c.heads.len()];
                    saved(store.resolve(c.entity_id, Draft::from_version(chosen)));
                }
            }
            Op::Sync { phone } => {
                // May fail only if a restart is in progress; the final sync must not.
                if self.phones[phone].sync().await.is_ok() {
                    self.restored_since_sync[phone] = false;
                }
            }
            Op::SyncWithFault {
                phone,
                fault,
                after,
            } => {
                let f = match fault {
                    0 => Fault::CutRequest {
                        marker: "POST /api/v1/sync/push".into(),
                        after,
                    },
                    1 => Fault::SwallowResponse {
                        marker: "POST /api/v1/sync/push".into(),
                    },
                    2 => Fault::CutRequest {
                        marker: "PATCH /api/v1/blobs".into(),
                        after: after * 4,
                    },
                    _ => Fault::CutResponse {
                        marker: "GET /api/v1/sync/pull".into(),
                        after: after / 4,
                    },
                };
                self.proxy.arm(f);
                if self.phones[phone].sync().await.is_ok() {
                    self.restored_since_sync[phone] = false;
                }
                self.proxy.disarm();
            }
            Op::RestartServer => {
                self.server.restart();
                self.proxy.set_target(self.server.addr().parse().unwrap());
            }
            Op::Reenroll { phone, revoke } => {
                let admin = Api::admin(&self.server).await;
                let store = self.phones[phone].store.clone();
                if let (true, Some(e)) = (revoke, store.enrollment().unwrap()) {
                    admin
                        .post(
                            &format!("/api/v1/devices/{}/revoke", e.device_id),
                            &serde_json::json!({}),
                        )
                        .await;
                }
                self.reenroll(phone).await;
            }
            Op::BackupPhone { phone } => {
                let copy = copy_phone(self.phones[phone].dir.path(), true);
                self.phone_backups.insert(phone, copy);
            }
            Op::RestorePhone { phone, marker } => {
                if let Some(backup) = self.phone_backups.get(&phone) {
                    let copy = copy_phone(backup.path(), marker);
                    let old = std::mem::replace(&mut self.phones[phone], phone_on(copy));
                    let sent: BTreeSet<Uuid> = old
                        .store
                        .own_version_states()
                        .unwrap()
                        .into_iter()
                        .filter(|(_, state)| state == "synced")
                        .map(|(id, _)| id)
                        .collect();
                    if std::mem::replace(&mut self.restored_since_sync[phone], true) {
                        // Sent before a restore it never synced after: the server owes only
                        // what it still holds.
                        let held = self.held().await;
                        self.owed.extend(sent.intersection(&held));
                    } else {
                        self.owed.extend(sent);
                    }
                    self.replaced.push(old);
                }
            }
            Op::CopyPhone { phone } => {
                let copy = copy_phone(self.phones[phone].dir.path(), false);
                self.phones.push(phone_on(copy));
                self.restored_since_sync
                    .push(self.restored_since_sync[phone]);
            }
            Op::BackupServer => {
                self.server_backup = Some(self.server.backup());
                self.proxy.set_target(self.server.addr().parse().unwrap());
            }
            Op::RestoreServer => {
                if let Some(backup) = &self.server_backup {
                    self.server.restore(backup);
                    self.proxy.set_target(self.server.addr().parse().unwrap());
                    self.restored_since_sync.fill(true);
                    let held = self.held().await;
                    self.owed.retain(|id| held.contains(id));
                }
            }
        }
    }

    /// The version ids the server holds now.
    async fn held(&self) -> BTreeSet<Uuid> {
        server_versions(&self.server.base, &self.observer)
            .await
            .into_iter()
            .map(|v| v.version_id)
            .collect()
    }

    /// Enrolls a phone again with a new code of the same commune.
    async fn reenroll(&self, phone: usize) {
        let admin = Api::admin(&self.server).await;
        let code = enrollment_code(&admin, "thien-ke", Role::Enumerator).await;
        SyncEngine::enroll(
            &self.phones[phone].store,
            &self.proxy.url(),
            &code,
            "phone",
            "test",
        )
        .await
        .expect("enrollment");
    }

    /// R7's end: every phone syncs to the end; one the server refuses (revoked, or unknown to
    /// a restored server) is enrolled again, as its message says.
    async fn check_lifecycle(&self) {
        for _ in 0..2 {
            for i in 0..self.phones.len() {
                let mut done = false;
                for _ in 0..10 {
                    match self.phones[i].sync().await {
                        Ok(_) => {
                            done = true;
                            break;
                        }
                        Err(e)
                            if e.kind() == FailureKind::Refused
                                || e.kind() == FailureKind::NotEnrolled =>
                        {
                            self.reenroll(i).await
                        }
                        Err(e) if e.is_transient() => {
                            tokio::time::sleep(Duration::from_millis(50)).await
                        }
                        Err(e) => panic!("phone {i}: sync failed for good: {e}"),
                    }
                }
                assert!(done, "phone {i} syncs to the end");
            }
        }
        let token = self.phones[0].store.enrollment().unwrap().unwrap().token;
        let mut on_server: BTreeMap<Uuid, Version> = BTreeMap::new();
        for v in server_versions(&self.server.base, &token).await {
            assert!(
                on_server.insert(v.version_id, v.clone()).is_none(),
                "{} stored twice",
                v.version_id
            );
        }
        let held: BTreeSet<Uuid> = on_server.keys().copied().collect();
        let mut expected = BTreeSet::new();
        for (i, p) in self.phones.iter().enumerate() {
            assert!(
                p.store.outbox().unwrap().is_empty(),
                "phone {i}: nothing left to send"
            );
            assert!(
                p.store.waiting().unwrap().is_empty(),
                "phone {i}: nothing waits"
            );
            assert!(
                p.store.needs_attention().unwrap().is_empty(),
                "phone {i}: nothing refused"
            );
            expected.extend(p.store.own_version_states().unwrap().keys().copied());
        }
        // A replaced phone's unsent records went with it; what it reported as sent did not.
        let mut anywhere = expected.clone();
        for p in &self.replaced {
            anywhere.extend(p.store.own_version_states().unwrap().into_keys());
        }
        assert!(
            self.owed.is_subset(&held),
            "what replaced phones reported as sent is on the server: missing {:?}",
            self.owed.difference(&held).collect::<Vec<_>>()
        );
        assert!(
            expected.is_subset(&held),
            "the server holds every phone's records: missing {:?}",
            expected.difference(&held).collect::<Vec<_>>()
        );
        assert!(
            held.is_subset(&anywhere),
            "nothing on the server comes from elsewhere"
        );
        for (i, p) in self.phones.iter().enumerate() {
            assert!(
                p.store.sync_photos_pending().unwrap().is_empty(),
                "phone {i}: photos sent"
            );
        }
        // Every photo of a record on the server that a phone in use took (holds the file of) is
        // on the server too; one only a replaced phone held went with it.
        let photos: BTreeSet<PhotoId> = self
            .phones
            .iter()
            .flat_map(|p| {
                let store = &p.store;
                store
                    .versions()
                    .unwrap()
                    .into_iter()
                    .filter(|v| held.contains(&v.version_id))
                    .flat_map(|v| v.photos)
                    .filter(|id| store.photo_path(id).exists())
                    .collect::<Vec<_>>()
            })
            .collect();
        server_photo_hashes_match(
            &self.server.base,
            &token,
            &photos.into_iter().collect::<Vec<_>>(),
        )
        .await;
        eprintln!(
            "R7 case: {} versions on the server, {} phones in use, {} replaced",
            on_server.len(),
            self.phones.len(),
            self.replaced.len()
        );
    }

    async fn check_invariants(&self) {
        // Everyone syncs to the end, twice, so every phone pulls what the others pushed last.
        for _ in 0..2 {
            for p in &self.phones {
                p.sync_until_done(10).await;
            }
        }
        let token = self.phones[0].store.enrollment().unwrap().unwrap().token;
        let server = server_versions(&self.server.base, &token).await;

        // The server holds exactly the union, once.
        let mut on_server: BTreeMap<Uuid, Version> = BTreeMap::new();
        for v in &server {
            assert!(
                on_server.insert(v.version_id, v.clone()).is_none(),
                "{} stored twice",
                v.version_id
            );
        }
        let mut union = BTreeSet::new();
        for p in &self.phones {
            assert!(p.store.outbox().unwrap().is_empty());
            assert!(
                p.store.needs_attention().unwrap().is_empty(),
                "valid records are never rejected"
            );
            union.extend(p.store.own_version_states().unwrap().keys().copied());
        }
        assert_eq!(
            on_server.keys().copied().collect::<BTreeSet<_>>(),
            union,
            "the server holds the union"
        );

        // The model's heads: versions of an entity no version of it names as a parent.
        let mut parents_of: HashMap<Uuid, BTreeSet<Uuid>> = HashMap::new();
        for v in on_server.values() {
            parents_of
                .entry(v.entity_id)
                .or_default()
                .extend(v.parents.iter().copied());
        }
        let mut model_heads: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
        for v in on_server.values() {
            if !parents_of[&v.entity_id].contains(&v.version_id) {
                model_heads
                    .entry(v.entity_id)
                    .or_default()
                    .insert(v.version_id);
            }
        }
        let expected_conflicts: BTreeSet<Uuid> = model_heads
            .iter()
            .filter(|(_, h)| h.len() > 1)
            .map(|(e, _)| *e)
            .collect();
        for (i, p) in self.phones.iter().enumerate() {
            assert_eq!(
                p.store.all_heads().unwrap(),
                model_heads,
                "phone {i} has the model's heads"
            );
            let conflicts: BTreeSet<Uuid> = p
                .store
                .conflicts()
                .unwrap()
                .into_iter()
                .map(|c| c.entity_id)
                .collect();
            assert_eq!(
                conflicts, expected_conflicts,
                "phone {i}: every concurrent edit is a conflict"
            );
        }

        // Incremental totals equal a recompute; the server's scorecard equals the core's.
        let out = self.server.cli(&["recompute"]);
        assert!(
            out.status.success(),
            "recompute found differences: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let admin = Api::admin(&self.server).await;
        let as_of = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
        let remote = server_scorecard(&admin, "thien-ke", &as_of.to_string()).await;
        let local = self.phones[0].store.scorecard(as_of).unwrap().unwrap();
        assert_same_scorecard(&local, &remote);
        assert_eq!(local.conflicts, expected_conflicts.len());

        eprintln!(
            "case: {} versions, {} entities, {} in conflict, {} photos, {} faults fired",
            on_server.len(),
            model_heads.len(),
            expected_conflicts.len(),
            on_server.values().map(|v| v.photos.len()).sum::<usize>(),
            self.proxy.fired()
        );
        // Every photo hashes to its id.
        let photos: BTreeSet<PhotoId> = on_server
            .values()
            .flat_map(|v| v.photos.iter().copied())
            .collect();
        server_photo_hashes_match(
            &self.server.base,
            &token,
            &photos.into_iter().collect::<Vec<_>>(),
        )
        .await;
        for p in &self.phones {
            assert!(p.store.sync_photos_pending().unwrap().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, max_shrink_iters: 20, ..ProptestConfig::default() })]

    #[test]
    fn phones_converge_on_the_union_with_every_concurrent_edit_a_conflict(ops in prop::collection::vec(op(), 10..60)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let mut world = World::new().await;
            for op in &ops {
                world.apply(op).await;
            }
            tokio::time::timeout(Duration::from_secs(120), world.check_invariants()).await.expect("invariants checked in time");
        });
    }
}

fn r7_cases() -> u32 {
    std::env::var("NTM_R7_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: r7_cases(), max_shrink_iters: 10, ..ProptestConfig::default() })]

    #[test]
    fn after_reenrollment_copies_and_restores_the_server_holds_every_saved_record_once(ops in prop::collection::vec(lifecycle_op(), 10..40)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let mut world = World::new().await;
            for op in &ops {
                world.apply(op).await;
            }
            tokio::time::timeout(Duration::from_secs(150), world.check_lifecycle()).await.expect("invariants checked in time");
        });
    }

    /// The same on PostgreSQL: a server backup there is a copy of the database as well.
    #[test]
    fn on_postgresql_after_reenrollment_copies_and_restores_the_server_holds_every_saved_record_once(ops in prop::collection::vec(lifecycle_op(), 10..40)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let mut world = World::new_on(Backend::Postgres).await;
            for op in &ops {
                world.apply(op).await;
            }
            tokio::time::timeout(Duration::from_secs(150), world.check_lifecycle()).await.expect("invariants checked in time");
        });
    }
}
