use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use uuid::Uuid;

use super::*;
use crate::demo;
use crate::ids::Slug;
use crate::protocol::{PullResponse, PushResponse, PushResult, PushStatus};
use crate::record::{
    ChildrenUnder5, HealthInsurance, Household, HouseholdCheck, Livestock, ThreeCleans, Toilet,
    ToiletType, Water,
};

/// A clock the test moves by hand.
pub(crate) struct TestClock(AtomicI64);

impl TestClock {
    pub(crate) fn at(s: &str) -> Arc<TestClock> {
        Arc::new(TestClock(AtomicI64::new(
            DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis(),
        )))
    }
    pub(crate) fn advance(&self, d: Duration) {
        self.0.fetch_add(d.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<FixedOffset> {
        DateTime::from_timestamp_millis(self.0.load(Ordering::SeqCst))
            .unwrap()
            .with_timezone(&vietnam_offset())
    }
}

fn enroll_response() -> EnrollResponse {
    EnrollResponse {
        device_id: Uuid::now_v7(),
        token: "token-1".into(),
        role: Role::Enumerator,
        commune: demo::thien_ke().unwrap().config.commune,
    }
}

fn enrolled(dir: &std::path::Path) -> (Store, Arc<TestClock>) {
    let clock = TestClock::at("2020-03-05T09:00:00+07:00");
    let store = Store::open(dir).unwrap().with_clock(clock.clone());
    store
        .enroll("http://127.0.0.1:1", &enroll_response())
        .unwrap();
    (store, clock)
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn household(code: &str) -> Draft {
    Draft::new(
        Body::Household(Household {
            code: code.into(),
            head_name: format!("Chủ hộ {code}"),
            members: 4,
            address: String::new(),
        }),
        Some(slug("thien-ke-03")),
    )
}

fn check(household_id: Uuid, passes: bool) -> Draft {
    Draft::new(
        Body::HouseholdCheck(HouseholdCheck {
            household_id,
            toilet: Toilet {
                toilet_type: ToiletType::Septic,
                meets_standard: passes,
                checklist: Default::default(),
            },
            bathroom_hygienic: true,
            water_tank_hygienic: true,
            three_cleans: ThreeCleans {
                house: true,
                kitchen: true,
                lane: true,
            },
            water: Water {
                hygienic: true,
                clean: true,
            },
            livestock: Livestock {
                raises: false,
                pen_hygienic: None,
            },
            waste_handled: true,
            drainage_ok: true,
            health_insurance: HealthInsurance {
                members: 4,
                insured: 3,
            },
            children_under5: ChildrenUnder5 {
                measured: 0,
                stunted: 0,
            },
            note: String::new(),
        }),
        Some(slug("thien-ke-03")),
    )
}

use crate::record::Body;

/// A version as another phone would have written it, delivered by a pull.
fn foreign_edit(
    of: &Version,
    seq: u64,
    server_seq: u64,
    change: impl FnOnce(&mut Body),
) -> Version {
    let mut v = of.clone();
    v.version_id = Uuid::now_v7();
    v.parents = vec![of.version_id];
    v.device_id = Uuid::from_u128(42);
    v.device_seq = seq;
    v.server_seq = Some(server_seq);
    v.captured_at = of.captured_at + Duration::minutes(5);
    change(&mut v.body);
    v
}

fn page(versions: Vec<Version>, next_cursor: u64) -> PullResponse {
    PullResponse {
        versions,
        next_cursor,
        up_to_date: true,
        config: None,
        config_etag: "e1".into(),
    }
}

#[test]
fn every_save_is_a_version_and_an_outbox_entry_with_a_dense_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = enrolled(dir.path());
    let h = store.create(household("TK03-001")).unwrap();
    clock.advance(Duration::minutes(1));
    let c = store.create(check(h.entity_id, true)).unwrap();
    let e = store.edit(c.entity_id, check(h.entity_id, false)).unwrap();
    assert_eq!((h.device_seq, c.device_seq, e.device_seq), (1, 2, 3));
    assert_eq!(e.parents, vec![c.version_id]);
    assert_eq!(e.entity_id, c.entity_id);
    assert_eq!(h.captured_at.to_rfc3339(), "2020-03-05T09:00:00+07:00");
    let outbox = store.outbox().unwrap();
    let seqs: Vec<u64> = outbox.iter().map(|o| o.1).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(outbox[2].2, e.version_id);
    assert_eq!(store.version(e.version_id).unwrap().unwrap(), e);
    assert_eq!(store.heads(c.entity_id).unwrap(), vec![e.clone()]);
    let records = store.my_records(10).unwrap();
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.state == RecordState::Pending));
    assert_eq!(records.iter().filter(|r| r.is_head).count(), 2);
}

#[test]
fn an_invalid_record_is_refused_with_its_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let mut bad = check(Uuid::now_v7(), true);
    if let Body::HouseholdCheck(c) = &mut bad.body {
        c.toilet.toilet_type = ToiletType::None; // meets_standard true with no toilet
        c.health_insurance.insured = 9;
    }
    let err = store.create(bad).unwrap_err();
    let SaveError::Invalid(errors) = err else {
        panic!("{err}")
    };
    let paths: Vec<&str> = errors.0.iter().map(|e| e.path.as_str()).collect();
    assert!(paths.contains(&"body.toilet.meets_standard"), "{paths:?}");
    assert!(
        paths.contains(&"body.health_insurance.insured"),
        "{paths:?}"
    );
    // A village of another commune is refused by the commune check.
    let mut elsewhere = household("X-1");
    elsewhere.village_id = Some(slug("another-village"));
    let SaveError::Invalid(errors) = store.create(elsewhere).unwrap_err() else {
        panic!()
    };
    assert_eq!(errors.first_path(), Some("village_id"));
    assert!(store.outbox().unwrap().is_empty());
    // The refused saves used no sequence number.
    assert_eq!(store.create(household("TK03-002")).unwrap().device_seq, 1);
}

#[test]
fn saves_need_an_enrollment() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(matches!(
        store.create(household("A")),
        Err(SaveError::NotEnrolled)
    ));
    assert!(store.needs_enrollment().unwrap());
}

#[test]
fn delete_writes_a_tombstone_naming_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let h = store.create(household("TK03-001")).unwrap();
    let d = store.delete(h.entity_id).unwrap();
    assert!(d.deleted);
    assert_eq!(d.parents, vec![h.version_id]);
    assert!(store
        .households(&HouseholdFilter::default())
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.delete(Uuid::now_v7()),
        Err(SaveError::UnknownEntity(_))
    ));
}

#[test]
fn a_concurrent_edit_pulled_from_another_phone_is_a_conflict_resolved_by_a_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = enrolled(dir.path());
    let h = store.create(household("TK03-001")).unwrap();
    clock.advance(Duration::minutes(1));
    let mine = store.edit(h.entity_id, household("TK03-001a")).unwrap();
    let theirs = foreign_edit(&h, 1, 7, |b| {
        if let Body::Household(x) = b {
            x.members = 6;
        }
    });
    store
        .sync_apply_pull(&page(vec![h.clone(), theirs.clone()], 7))
        .unwrap();
    // The server and the phone find the same heads with the same core function.
    let all = store.versions().unwrap();
    let expected = crate::heads::entity_heads(all.iter());
    let conflicts = store.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].heads.len(), 2);
    assert_eq!(
        conflicts[0].heads[0].version_id,
        expected[&h.entity_id].head.version_id
    );
    assert!(store.households(&HouseholdFilter::default()).unwrap()[0].conflict);
    let mine_state = store
        .my_records(10)
        .unwrap()
        .into_iter()
        .find(|r| r.version_id == mine.version_id)
        .unwrap();
    assert_eq!(mine_state.state, RecordState::Conflict);
    assert!(matches!(
        store.resolve(Uuid::now_v7(), household("x")),
        Err(SaveError::UnknownEntity(_))
    ));
    let merged = store.resolve(h.entity_id, household("TK03-001")).unwrap();
    let mut parents = vec![mine.version_id, theirs.version_id];
    parents.sort();
    assert_eq!(merged.parents, parents);
    assert!(store.conflicts().unwrap().is_empty());
    assert!(matches!(
        store.resolve(h.entity_id, household("y")),
        Err(SaveError::NotInConflict(_))
    ));
    assert!(matches!(
        store.edit(h.entity_id, check(h.entity_id, true)),
        Err(SaveError::KindChanged { .. })
    ));
}

#[test]
fn acks_remove_only_what_the_server_acknowledged_and_rejections_need_attention() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let device = store.enrollment().unwrap().unwrap().device_id;
    let v: Vec<Version> = (0..4)
        .map(|i| store.create(household(&format!("TK03-{i:03}"))).unwrap())
        .collect();
    let batch = store.sync_batch(device, 1, 10).unwrap();
    assert_eq!(
        batch.iter().map(|e| e.device_seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    let result = |v: &Version, status, reason: Option<&str>| PushResult {
        version_id: v.version_id.to_string(),
        status,
        reason: reason.map(str::to_owned),
    };
    // The server handled 1..=3 (2 rejected); 4 is not acknowledged even though a result names it.
    let response = PushResponse {
        acked_through_seq: 3,
        results: vec![
            result(&v[0], PushStatus::Stored, None),
            result(&v[1], PushStatus::Rejected, Some("bad")),
            result(&v[2], PushStatus::Duplicate, None),
            result(&v[3], PushStatus::Rejected, Some("not acked")),
        ],
        server_head: 9,
    };
    let ack = store.sync_apply_push(device, &response).unwrap();
    assert_eq!(
        (ack.removed, ack.rejected, ack.identity_retired),
        (3, 1, false)
    );
    assert_eq!(
        store
            .outbox()
            .unwrap()
            .iter()
            .map(|o| o.1)
            .collect::<Vec<_>>(),
        vec![4]
    );
    let attention = store.needs_attention().unwrap();
    assert_eq!(attention.len(), 1);
    assert_eq!(
        (
            attention[0].version.version_id,
            attention[0].reason.as_str()
        ),
        (v[1].version_id, "bad")
    );
    // A rejected version is not part of the shared history: no head, not counted.
    assert!(store.current(v[1].entity_id).unwrap().is_none());
    for kept in [&v[0], &v[2], &v[3]] {
        assert_eq!(store.current(kept.entity_id).unwrap().as_ref(), Some(kept));
    }
    assert_eq!(store.versions().unwrap().len(), 3);
    let states = store.own_version_states().unwrap();
    assert_eq!(states[&v[0].version_id], "synced");
    assert_eq!(states[&v[3].version_id], "pending");
    // Applying the same answer again changes nothing.
    assert_eq!(store.sync_apply_push(device, &response).unwrap().removed, 0);
    store.dismiss_attention(v[1].version_id).unwrap();
    assert!(store.needs_attention().unwrap().is_empty());
    assert_eq!(store.sync_counts().unwrap().pending_records, 1);
}

#[test]
fn a_pulled_page_is_stored_with_its_cursor_and_reapplying_it_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let demo = demo::thien_ke().unwrap();
    let mut versions = demo.versions.clone();
    for (i, v) in versions.iter_mut().enumerate() {
        v.server_seq = Some(i as u64 + 1);
    }
    let n = versions.len() as u64;
    let mut p = page(versions, n);
    p.config = Some(demo.config.clone());
    assert_eq!(store.sync_apply_pull(&p).unwrap(), n as usize);
    assert_eq!(store.sync_apply_pull(&p).unwrap(), 0);
    assert_eq!(store.sync_pull_state().unwrap(), (n, Some("e1".to_owned())));
    assert_eq!(store.versions().unwrap().len(), n as usize);
    assert_eq!(store.config().unwrap().unwrap(), demo.config);
    // Pulled versions are not ours: nothing to push.
    assert!(store.outbox().unwrap().is_empty());
    assert!(store.my_records(10).unwrap().is_empty());
}

#[test]
fn household_search_ignores_accents_and_case_and_sees_a_new_check_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let demo = demo::thien_ke().unwrap();
    let mut p = page(demo.versions.clone(), 100);
    p.config = Some(demo.config.clone());
    store.sync_apply_pull(&p).unwrap();
    let search = |s: &str| {
        store
            .households(&HouseholdFilter {
                search: Some(s.to_owned()),
                ..Default::default()
            })
            .unwrap()
    };
    let tuan = search("tuan");
    assert!(
        tuan.iter().any(|h| h.head_name == "Vũ Hữu Tuấn"),
        "{tuan:?}"
    );
    assert!(tuan.iter().all(|h| h.head_name.contains("Tuấn")));
    // Every word, in any order, with đ typed as d.
    let nga = search("nga dang");
    assert_eq!(nga.len(), 1, "{nga:?}");
    assert_eq!(nga[0].code, "TK01-003");
    assert_eq!(search("tk01-003")[0].head_name, "Đặng Thị Nga");
    assert!(search("không có ai tên này").is_empty());
    // One household by id, as the check screen opens it; a save is seen by the next read.
    let one = store.household(nga[0].entity_id).unwrap().unwrap();
    assert_eq!(one, nga[0]);
    assert!(one.latest_check.is_none());
    store.create(check(one.entity_id, true)).unwrap();
    let after = store.household(one.entity_id).unwrap().unwrap();
    assert!(after.latest_check.as_ref().is_some_and(|c| c.sanitation));
    assert_eq!(search("NGA")[0].latest_check, after.latest_check);
    assert_eq!(store.household(Uuid::now_v7()).unwrap(), None);
}

#[test]
fn households_list_with_their_latest_check_and_the_offline_scorecard_equals_the_core() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = enrolled(dir.path());
    let demo = demo::thien_ke().unwrap();
    let mut p = page(demo.versions.clone(), 100);
    p.config = Some(demo.config.clone());
    store.sync_apply_pull(&p).unwrap();
    let hh = store
        .households(&HouseholdFilter {
            village_id: Some(slug("thien-ke-03")),
            ..Default::default()
        })
        .unwrap();
    assert!(hh.len() > 2);
    assert!(hh.iter().all(|h| h.latest_check.is_none()));
    let target = hh[0].entity_id;
    store.create(check(target, false)).unwrap();
    clock.advance(Duration::hours(2));
    let latest = store.create(check(target, true)).unwrap();
    let checked = store
        .households(&HouseholdFilter {
            checked: Some(true),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(checked.len(), 1);
    let status = checked[0].latest_check.as_ref().unwrap();
    assert_eq!(
        (status.version_id, status.sanitation),
        (latest.version_id, true)
    );
    let found = store
        .households(&HouseholdFilter {
            search: Some(hh[1].code.to_lowercase()),
            ..Default::default()
        })
        .unwrap();
    assert!(found.iter().any(|h| h.entity_id == hh[1].entity_id));

    let as_of = NaiveDate::from_ymd_opt(2020, 6, 30).unwrap();
    let offline = store.scorecard(as_of).unwrap().unwrap();
    let all = store.versions().unwrap();
    // The core's scorecard under the edition that applies on the day, as the server shows it.
    assert_eq!(
        offline,
        crate::scorecard::scorecard_as_of(
            crate::catalog::edition::Editions::builtin(),
            &demo.config,
            &all,
            as_of
        )
        .unwrap()
    );
    let sanitation = offline.indicator("17.6").unwrap();
    assert_eq!(sanitation.coverage.unwrap().checked, 1);
    let village = store
        .village_progress(&slug("thien-ke-03"), as_of)
        .unwrap()
        .unwrap();
    let (_, v176) = village
        .indicators
        .iter()
        .find(|(id, _)| id == "17.6")
        .unwrap();
    assert_eq!(v176.numerator, Some(1.0));
}

#[test]
fn a_restored_database_gets_a_new_identity_and_never_reuses_a_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let first = store.enrollment().unwrap().unwrap();
    store.create(household("TK03-001")).unwrap();
    store.create(household("TK03-002")).unwrap();
    drop(store);
    // The database arrives on a new install without its marker (a backup restored).
    std::fs::remove_file(dir.path().join(MARKER_FILE)).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(store.enrollment().unwrap().is_none());
    assert!(store
        .retired_reason()
        .unwrap()
        .unwrap()
        .contains("restored"));
    assert!(matches!(
        store.create(household("TK03-003")),
        Err(SaveError::IdentityRetired)
    ));
    // Its unsent records wait under the old identity.
    let ids = store.sync_identities().unwrap();
    assert_eq!(ids.len(), 1);
    assert!(ids[0].retired && ids[0].device_id == first.device_id);
    assert!(store.sync_identity_to_replace().unwrap().is_some());
    // A new identity (same commune) takes them over with fresh sequence numbers from 1; the
    // next save follows them.
    store
        .enroll("http://127.0.0.1:1", &enroll_response())
        .unwrap();
    let second = store.enrollment().unwrap().unwrap();
    assert_ne!(second.device_id, first.device_id);
    let moved: Vec<(Uuid, u64)> = store
        .outbox()
        .unwrap()
        .into_iter()
        .map(|(d, s, _)| (d, s))
        .collect();
    assert_eq!(moved, vec![(second.device_id, 1), (second.device_id, 2)]);
    let v = store.create(household("TK03-003")).unwrap();
    assert_eq!((v.device_id, v.device_seq), (second.device_id, 3));
    assert_eq!(store.sync_identities().unwrap().len(), 1);
    assert!(store.sync_identity_to_replace().unwrap().is_none());
}

#[test]
fn a_server_holding_more_than_this_copy_wrote_retires_the_identity() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let device = store.enrollment().unwrap().unwrap().device_id;
    store.create(household("TK03-001")).unwrap();
    assert!(
        !store
            .sync_apply_status(device, 1, 1, &[], false)
            .unwrap()
            .identity_retired
    );
    assert!(store.enrollment().unwrap().is_some());
    // The original phone went on to seq 5 after the backup this copy came from.
    assert!(
        store
            .sync_apply_status(device, 5, 5, &[], false)
            .unwrap()
            .identity_retired
    );
    assert!(matches!(
        store.create(household("TK03-002")),
        Err(SaveError::IdentityRetired)
    ));
}

#[test]
fn the_store_reopens_with_everything_and_passes_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let h = store.create(household("TK03-001")).unwrap();
    let mut s = store.settings().unwrap();
    s.photo_long_edge = 1280;
    store.set_settings(&s).unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.current(h.entity_id).unwrap().unwrap(), h);
    assert_eq!(store.settings().unwrap().photo_long_edge, 1280);
    assert!(
        store.enrollment().unwrap().is_some(),
        "the marker beside the database is the same"
    );
}

#[test]
fn photos_are_stored_by_hash_with_evidence_and_uploaded_only_once_saved_with_a_record() {
    use image::{DynamicImage, Rgb, RgbImage};
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(1000, 800, |x, y| {
        Rgb([x as u8, y as u8, 7])
    }));
    let mut jpeg = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let evidence = crate::photo::ExifEvidence {
        taken_at: Some(DateTime::parse_from_rfc3339("2020-03-05T08:59:00+07:00").unwrap()),
        lat: Some(21.78),
        lon: Some(105.33),
        altitude_m: None,
    };
    let photo = crate::photo::intake(&crate::photo::with_exif(&jpeg, &evidence), 1600).unwrap();
    let id = store.add_photo(&photo).unwrap();
    assert_eq!(store.add_photo(&photo).unwrap(), id);
    let stored = std::fs::read(store.photo_path(&id)).unwrap();
    assert_eq!(crate::ids::PhotoId::of_bytes(&stored), id);
    assert!(store.thumbnail_path(&id).exists());
    assert_eq!(
        store.photo_evidence(&id).unwrap().unwrap().taken_at,
        evidence.taken_at
    );
    assert!(
        store.sync_photos_pending().unwrap().is_empty(),
        "not attached to a saved record yet"
    );
    let mut draft = household("TK03-001");
    draft.photos = vec![id];
    store.create(draft).unwrap();
    let pending = store.sync_photos_pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].bytes, stored.len() as u64);
    let device = store.enrollment().unwrap().unwrap().device_id;
    store
        .sync_set_upload_url(&id, Some(("http://x/api/v1/blobs/1", device)))
        .unwrap();
    store.sync_set_uploaded_bytes(&id, 1000).unwrap();
    let p = &store.sync_photos_pending().unwrap()[0];
    assert_eq!(
        (p.upload_url.as_deref(), p.uploaded_bytes),
        (Some("http://x/api/v1/blobs/1"), 1000)
    );
    store.sync_photo_done(&id).unwrap();
    assert!(store.sync_photos_pending().unwrap().is_empty());
    // Another phone's record with a photo this phone never had: editing it keeps the photo.
    let theirs_photo = crate::ids::PhotoId::of_bytes(b"taken on another phone");
    let mut theirs = store.create(household("TK03-009")).unwrap();
    theirs.version_id = Uuid::now_v7();
    theirs.entity_id = Uuid::now_v7();
    theirs.device_id = Uuid::from_u128(42);
    theirs.photos = vec![theirs_photo];
    store
        .sync_apply_pull(&page(vec![theirs.clone()], 1))
        .unwrap();
    let mut edit = Draft::from_version(&theirs);
    if let Body::Household(h) = &mut edit.body {
        h.members = 5;
    }
    assert_eq!(
        store.edit(theirs.entity_id, edit).unwrap().photos,
        vec![theirs_photo]
    );
    assert!(
        store.sync_photos_pending().unwrap().is_empty(),
        "a photo the phone does not have is not uploaded"
    );
    let mut unknown = household("TK03-002");
    unknown.photos = vec![crate::ids::PhotoId::of_bytes(b"never taken")];
    assert!(matches!(
        store.create(unknown),
        Err(SaveError::UnknownPhoto(_))
    ));
}

#[test]
fn a_server_restored_from_a_backup_gets_its_lost_records_again_and_the_pull_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let device = store.enrollment().unwrap().unwrap().device_id;
    for code in ["TK03-001", "TK03-002", "TK03-003"] {
        store.create(household(code)).unwrap();
    }
    let ack = PushResponse {
        acked_through_seq: 3,
        results: Vec::new(),
        server_head: 3,
    };
    store.sync_apply_push(device, &ack).unwrap();
    store.sync_apply_pull(&page(Vec::new(), 9)).unwrap();
    assert!(store.outbox().unwrap().is_empty());
    // The server came back from a copy holding the first record only, its head at 4.
    let check = store.sync_apply_status(device, 1, 4, &[], false).unwrap();
    assert!(check.server_behind && !check.identity_retired);
    let seqs: Vec<u64> = store.outbox().unwrap().iter().map(|e| e.1).collect();
    assert_eq!(seqs, vec![2, 3]);
    assert_eq!(store.sync_pull_state().unwrap().0, 4);
    // Told again, nothing more changes.
    let again = store.sync_apply_status(device, 1, 4, &[], false).unwrap();
    assert_eq!(again.requeued, 0);
}

#[test]
fn the_status_asks_about_the_last_record_each_identity_sent_and_one_missing_sends_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let first = store.enrollment().unwrap().unwrap().device_id;
    let sent: Vec<Version> = ["TK03-001", "TK03-002"]
        .iter()
        .map(|code| store.create(household(code)).unwrap())
        .collect();
    let unsent = store.create(household("TK03-003")).unwrap();
    let ack = PushResponse {
        acked_through_seq: 2,
        results: Vec::new(),
        server_head: 2,
    };
    store.sync_apply_push(first, &ack).unwrap();
    store
        .enroll("http://127.0.0.1:1", &enroll_response())
        .unwrap();
    let second = store.enrollment().unwrap().unwrap().device_id;
    // The unsent record moved to the new identity; nothing of it was acknowledged yet.
    assert_eq!(
        store.sync_status_probes(second).unwrap(),
        vec![sent[1].version_id]
    );
    // A server restored from before the first identity holds neither record: both go again,
    // under the new identity, after the one that was waiting.
    let check = store
        .sync_apply_status(second, 0, 0, &[sent[1].version_id], false)
        .unwrap();
    assert!(check.server_behind && check.requeued == 2);
    let queued: Vec<Uuid> = store.outbox().unwrap().into_iter().map(|e| e.2).collect();
    assert_eq!(
        queued,
        vec![unsent.version_id, sent[0].version_id, sent[1].version_id]
    );
    // Held by the server, nothing changes.
    store
        .sync_apply_push(
            second,
            &PushResponse {
                acked_through_seq: 3,
                results: Vec::new(),
                server_head: 3,
            },
        )
        .unwrap();
    let again = store.sync_apply_status(second, 3, 3, &[], false).unwrap();
    assert!(!again.server_behind && store.outbox().unwrap().is_empty());
}

#[test]
fn enrolling_into_another_commune_forgets_its_pulled_records_and_lists_the_unsent_ones_as_waiting()
{
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let mine = store.create(household("TK03-001")).unwrap();
    let mut theirs = mine.clone();
    theirs.version_id = Uuid::now_v7();
    theirs.entity_id = Uuid::now_v7();
    theirs.device_id = Uuid::from_u128(42);
    store
        .sync_apply_pull(&page(vec![theirs.clone()], 7))
        .unwrap();
    assert_eq!(
        store.households(&HouseholdFilter::default()).unwrap().len(),
        2
    );
    let mut other = enroll_response();
    other.commune.id = slug("xa-khac");
    store.enroll("http://127.0.0.1:1", &other).unwrap();
    assert!(store
        .households(&HouseholdFilter::default())
        .unwrap()
        .is_empty());
    assert!(store.version(theirs.version_id).unwrap().is_none());
    assert_eq!(store.sync_pull_state().unwrap(), (0, None));
    let waiting = store.waiting().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].version, mine);
    assert_eq!(waiting[0].commune_id.as_str(), "thien-ke");
    assert_eq!(store.sync_counts().unwrap().waiting_records, 1);
}

#[test]
fn a_full_disk_is_a_clear_error_and_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    store.create(household("TK03-001")).unwrap();
    {
        // The database may not grow by one page more: SQLite answers SQLITE_FULL.
        let inner = store.lock();
        let pages: i64 = inner
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        inner
            .conn
            .pragma_update(None, "max_page_count", pages)
            .unwrap();
    }
    // Saves go on while free pages last, then one is refused.
    let mut ok = 0;
    let err = loop {
        let mut draft = household(&format!("TK03-{ok:03}"));
        if let Body::Household(h) = &mut draft.body {
            h.address = "x".repeat(500);
        }
        match store.create(draft) {
            Ok(_) => ok += 1,
            Err(e) => break e,
        }
        assert!(ok < 1000, "the database never filled");
    };
    assert!(
        matches!(err, SaveError::Store(StoreError::DiskFull)),
        "{err:?}"
    );
    assert!(err.to_string().contains("storage is full"));
    assert_eq!(store.outbox().unwrap().len(), ok + 1, "nothing half-saved");
    assert_eq!(store.versions().unwrap().len(), ok + 1);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn a_failed_durable_write_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // The rename onto a non-empty directory fails after the temporary file was written.
    let target = dir.path().join("photo.jpg");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), b"x").unwrap();
    assert!(write_durably(&target, b"bytes").is_err());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("photo.jpg")]);
}

#[test]
fn photos_of_a_discarded_draft_are_removed_and_those_of_a_saved_record_stay() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = enrolled(dir.path());
    let jpeg = |seed: u8| {
        use image::{DynamicImage, Rgb, RgbImage};
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(64, 48, |x, y| {
            Rgb([x as u8, y as u8, seed])
        }));
        let mut out = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
        crate::photo::intake(&out, 1600).unwrap()
    };
    let kept = store.add_photo(&jpeg(1)).unwrap();
    let dropped = store.add_photo(&jpeg(2)).unwrap();
    let mut draft = household("TK03-001");
    draft.photos = vec![kept];
    store.create(draft).unwrap();
    assert_eq!(store.discard_photos(&[kept, dropped]).unwrap(), 1);
    assert!(store.photo_path(&kept).exists());
    assert!(!store.photo_path(&dropped).exists());
    assert!(!store.thumbnail_path(&dropped).exists());
    assert!(store.photo_evidence(&dropped).unwrap().is_none());
}

mod observed;
