//! The storage against the protocol's rules, without HTTP: every test runs on SQLite and on
//! PostgreSQL (a scratch database on the server of `NTM_TEST_POSTGRES_URL`, which `./dev test`
//! starts), through the same `Storage` trait.

use chrono::{Duration, Utc};
use ntm_field::demo::thien_ke;
use ntm_field::geo::TrackFilter;
use ntm_field::ids::Slug;
use ntm_field::protocol::{PushStatus, Role};
use ntm_field::record::{Body, Household, Version};
use ntm_field::scorecard::CommuneFacts;
use uuid::Uuid;

use super::postgres::{PostgresStorage, ScratchDatabase};
use super::sqlite::SqliteStorage;
use super::*;
use crate::sync::digest;

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// One storage of either kind, used through the trait.
enum AnyStorage {
    Sqlite(SqliteStorage, #[allow(dead_code)] tempfile::TempDir),
    // The database is dropped after the storage's connections (field order).
    Postgres(PostgresStorage, #[allow(dead_code)] ScratchDatabase),
}

impl std::ops::Deref for AnyStorage {
    type Target = dyn Storage;
    fn deref(&self) -> &(dyn Storage + 'static) {
        match self {
            AnyStorage::Sqlite(s, _) => s,
            AnyStorage::Postgres(s, _) => s,
        }
    }
}

impl AnyStorage {
    /// Runs one SQL statement behind the trait's back (to make the stored facts drift).
    fn execute_raw(&self, sql: &'static str) {
        match self {
            AnyStorage::Sqlite(s, _) => s
                .with_write_transaction(|tx| Ok(tx.execute(sql, [])?))
                .map(drop)
                .unwrap(),
            AnyStorage::Postgres(s, _) => s
                .with_write_transaction(|tx| tx.execute(sql, &[]))
                .map(drop)
                .unwrap(),
        }
    }
}

struct Fixture {
    storage: AnyStorage,
    commune: Slug,
}

fn fixture(backend: Backend) -> Fixture {
    let storage = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            AnyStorage::Sqlite(
                SqliteStorage::open(&dir.path().join("ntm.sqlite3")).unwrap(),
                dir,
            )
        }
        Backend::Postgres => {
            let db = ScratchDatabase::for_tests();
            AnyStorage::Postgres(PostgresStorage::connect_with(&db.url, 2).unwrap(), db)
        }
    };
    let demo = thien_ke().unwrap();
    storage
        .create_commune(&demo.config.commune, &demo.config.responsibilities)
        .unwrap();
    Fixture {
        storage,
        commune: demo.config.commune.id,
    }
}

fn enroll(f: &Fixture, role: Role) -> Device {
    f.storage
        .create_enrollment(&NewEnrollment {
            code_hash: format!("code-{}", Uuid::now_v7()),
            commune_id: f.commune.clone(),
            role,
            holder: Some("Nguyễn Văn A".into()),
            expires_at: Utc::now() + Duration::hours(1),
            created_by: "test".into(),
        })
        .unwrap();
    f.storage
        .ensure_seed_device(Uuid::now_v7(), &f.commune, "phone")
        .unwrap()
}

fn household(
    f: &Fixture,
    device: &Device,
    seq: u64,
    entity: Uuid,
    parents: Vec<Uuid>,
    members: u32,
    at: &str,
) -> Version {
    Version {
        version_id: Uuid::now_v7(),
        entity_id: entity,
        parents,
        village_id: Some(Slug::parse("thien-ke-01").unwrap()),
        commune_id: f.commune.clone(),
        device_id: device.device_id,
        device_seq: seq,
        author: None,
        server_seq: None,
        flags: Vec::new(),
        captured_at: chrono::DateTime::parse_from_rfc3339(at).unwrap(),
        observed_on: None,
        location: None,
        photos: Vec::new(),
        deleted: false,
        body: Body::Household(Household {
            code: "H1".into(),
            head_name: "Chủ hộ".into(),
            members,
            address: String::new(),
        }),
    }
}

fn batch(device: &Device, first_seq: u64, versions: &[Version]) -> PushBatch {
    PushBatch {
        device_id: device.device_id,
        first_seq,
        items: versions
            .iter()
            .map(|v| PushItem::Valid {
                digest: digest(v),
                version: Box::new(v.clone()),
            })
            .collect(),
        received_at: Utc::now(),
        check_clocks: true,
    }
}

fn done(outcome: PushOutcome) -> ntm_field::protocol::PushResponse {
    match outcome {
        PushOutcome::Done(r) => r,
        PushOutcome::Gap { expected_seq } => panic!("unexpected gap, expected {expected_seq}"),
        PushOutcome::SequenceReused { seq } => panic!("unexpected reuse of seq {seq}"),
    }
}

fn a_replayed_push_gets_the_recorded_answer_and_stores_nothing_twice(backend: Backend) {
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    let vs: Vec<_> = (1..=3)
        .map(|s| {
            household(
                &f,
                &d,
                s,
                Uuid::now_v7(),
                vec![],
                4,
                "2020-01-05T08:00:00+07:00",
            )
        })
        .collect();
    let mut items = batch(&d, 1, &vs);
    items.items[1] = PushItem::Invalid {
        version_id: vs[1].version_id.to_string(),
        reason: "body.members: must be between 1 and 100".into(),
    };
    let first = done(f.storage.store_versions(&items).unwrap());
    assert_eq!(first.acked_through_seq, 3);
    assert_eq!(
        first.results.iter().map(|r| r.status).collect::<Vec<_>>(),
        [PushStatus::Stored, PushStatus::Rejected, PushStatus::Stored]
    );
    // The replay carries a valid version at seq 2 this time: the recorded answer still wins.
    let again = done(f.storage.store_versions(&batch(&d, 1, &vs)).unwrap());
    assert_eq!(again, first);
    assert_eq!(f.storage.server_head(&f.commune).unwrap(), 2);
    let stored = f.storage.commune_versions(&f.commune).unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].author.as_deref(), Some("phone"));
    assert_eq!(stored[0].server_seq, Some(1));
}

fn a_cloned_phone_reusing_a_sequence_for_another_version_is_refused_not_acked(backend: Backend) {
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    let at = "2020-01-05T08:00:00+07:00";
    let original = household(&f, &d, 1, Uuid::now_v7(), vec![], 4, at);
    done(
        f.storage
            .store_versions(&batch(&d, 1, std::slice::from_ref(&original)))
            .unwrap(),
    );
    // The copy of the phone saved another version under the same identity and number, and
    // sends it with a new one after it: nothing of that push may be stored or acknowledged.
    let other = household(&f, &d, 1, Uuid::now_v7(), vec![], 5, at);
    let next = household(&f, &d, 2, Uuid::now_v7(), vec![], 6, at);
    assert_eq!(
        f.storage
            .store_versions(&batch(&d, 1, &[other, next]))
            .unwrap(),
        PushOutcome::SequenceReused { seq: 1 }
    );
    // The same version id with other content under that number is another version too.
    let mut altered = original.clone();
    altered.body = Body::Household(Household {
        code: "H1".into(),
        head_name: "Chủ hộ".into(),
        members: 9,
        address: String::new(),
    });
    assert_eq!(
        f.storage.store_versions(&batch(&d, 1, &[altered])).unwrap(),
        PushOutcome::SequenceReused { seq: 1 }
    );
    assert_eq!(f.storage.server_head(&f.commune).unwrap(), 1);
    assert_eq!(f.storage.device_status(d.device_id).unwrap(), Some((1, 1)));
    // The phone that did send it still gets its recorded answer.
    let replay = done(
        f.storage
            .store_versions(&batch(&d, 1, std::slice::from_ref(&original)))
            .unwrap(),
    );
    assert_eq!(
        replay.results[0].version_id,
        original.version_id.to_string()
    );
    assert_eq!(replay.results[0].status, PushStatus::Stored);
}

fn a_gap_is_refused_with_the_expected_sequence_and_stores_nothing(backend: Backend) {
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    let v = household(
        &f,
        &d,
        2,
        Uuid::now_v7(),
        vec![],
        4,
        "2020-01-05T08:00:00+07:00",
    );
    assert_eq!(
        f.storage.store_versions(&batch(&d, 2, &[v])).unwrap(),
        PushOutcome::Gap { expected_seq: 1 }
    );
    assert_eq!(f.storage.server_head(&f.commune).unwrap(), 0);
    assert_eq!(f.storage.device_status(d.device_id).unwrap(), Some((0, 0)));
}

fn the_same_version_id_is_a_duplicate_with_the_same_content_and_corrupt_with_another(
    backend: Backend,
) {
    let f = fixture(backend);
    let a = enroll(&f, Role::Enumerator);
    let b = enroll(&f, Role::Enumerator);
    let v = household(
        &f,
        &a,
        1,
        Uuid::now_v7(),
        vec![],
        4,
        "2020-01-05T08:00:00+07:00",
    );
    done(
        f.storage
            .store_versions(&batch(&a, 1, std::slice::from_ref(&v)))
            .unwrap(),
    );
    // A restored phone re-sends it under its new device id and sequence.
    let mut resent = v.clone();
    resent.device_id = b.device_id;
    let mut changed = v.clone();
    changed.device_id = b.device_id;
    changed.device_seq = 2;
    if let Body::Household(h) = &mut changed.body {
        h.members = 5;
    }
    let r = done(
        f.storage
            .store_versions(&batch(&b, 1, &[resent, changed]))
            .unwrap(),
    );
    assert_eq!(r.results[0].status, PushStatus::Duplicate);
    assert_eq!(r.results[1].status, PushStatus::Rejected);
    assert!(r.results[1]
        .reason
        .as_deref()
        .unwrap()
        .starts_with("corrupt"));
    assert_eq!(f.storage.commune_versions(&f.commune).unwrap().len(), 1);
}

fn incremental_facts_follow_edits_conflicts_and_deletes_and_equal_a_recompute(backend: Backend) {
    let f = fixture(backend);
    let a = enroll(&f, Role::Enumerator);
    let b = enroll(&f, Role::Officer);
    let e1 = Uuid::now_v7();
    let e2 = Uuid::now_v7();
    let base1 = household(&f, &a, 1, e1, vec![], 4, "2020-01-05T08:00:00+07:00");
    let base2 = household(&f, &a, 2, e2, vec![], 3, "2020-01-05T08:00:00+07:00");
    done(
        f.storage
            .store_versions(&batch(&a, 1, &[base1.clone(), base2.clone()]))
            .unwrap(),
    );
    // Two phones edit household 1 concurrently; household 2 is deleted.
    let edit_a = household(
        &f,
        &a,
        3,
        e1,
        vec![base1.version_id],
        5,
        "2020-02-01T08:00:00+07:00",
    );
    let mut gone = household(
        &f,
        &a,
        4,
        e2,
        vec![base2.version_id],
        3,
        "2020-02-02T08:00:00+07:00",
    );
    gone.deleted = true;
    let edit_b = household(
        &f,
        &b,
        1,
        e1,
        vec![base1.version_id],
        6,
        "2020-02-03T08:00:00+07:00",
    );
    done(
        f.storage
            .store_versions(&batch(&a, 3, &[edit_a, gone]))
            .unwrap(),
    );
    done(f.storage.store_versions(&batch(&b, 1, &[edit_b])).unwrap());

    let snap = f.storage.commune_facts(&f.commune).unwrap();
    assert_eq!(snap.facts.conflicts, 1);
    assert_eq!(
        snap.facts.households.len(),
        1,
        "the deleted household left the registry"
    );
    assert_eq!(
        snap.facts.households[0].members, 6,
        "the later head decides"
    );
    assert_eq!(snap.latest_capture, Some("2020-02-03".parse().unwrap()));
    let versions = f.storage.commune_versions(&f.commune).unwrap();
    let far = "9999-12-31".parse().unwrap();
    assert_eq!(
        snap.facts,
        CommuneFacts::from_versions(&f.commune, &versions, far, &TrackFilter::default())
    );
    let report = f.storage.recompute(&f.commune).unwrap();
    assert!(report.agreed && report.differences == 0, "{report:?}");
    assert_eq!((report.versions, report.entities), (5, 2));
}

fn a_capture_years_ahead_counts_from_its_receipt_for_the_scorecard_path(backend: Backend) {
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    let past = household(
        &f,
        &d,
        1,
        Uuid::now_v7(),
        vec![],
        4,
        "2020-01-05T08:00:00+07:00",
    );
    let ahead = household(
        &f,
        &d,
        2,
        Uuid::now_v7(),
        vec![],
        4,
        "2031-06-01T08:00:00+07:00",
    );
    let received = chrono::DateTime::parse_from_rfc3339("2026-12-03T01:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut push = batch(&d, 1, &[past, ahead]);
    push.received_at = received;
    done(f.storage.store_versions(&push).unwrap());
    let day_received = "2026-12-03".parse().unwrap();
    assert_eq!(
        f.storage.commune_facts(&f.commune).unwrap().latest_capture,
        Some(day_received)
    );
    let stored = f.storage.commune_versions(&f.commune).unwrap();
    assert_eq!(
        stored[1].flags,
        [ntm_field::record::VersionFlag::ClockAhead]
    );
    // A recompute reads the same date back from the stored receipt times.
    f.storage.recompute(&f.commune).unwrap();
    assert_eq!(
        f.storage.commune_facts(&f.commune).unwrap().latest_capture,
        Some(day_received)
    );
}

fn a_correction_years_later_counts_from_the_day_observed_and_a_recompute_agrees(backend: Backend) {
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    let seen = household(
        &f,
        &d,
        1,
        Uuid::now_v7(),
        vec![],
        4,
        "2020-01-05T08:00:00+07:00",
    );
    let mut corrected = household(
        &f,
        &d,
        2,
        seen.entity_id,
        vec![seen.version_id],
        5,
        "2026-12-03T08:00:00+07:00",
    );
    corrected.set_observed_date("2020-01-05".parse().unwrap());
    let mut recorded_late = household(
        &f,
        &d,
        3,
        Uuid::now_v7(),
        vec![],
        3,
        "2026-12-03T08:05:00+07:00",
    );
    recorded_late.set_observed_date("2020-02-10".parse().unwrap());
    let mut push = batch(&d, 1, &[seen, corrected, recorded_late]);
    push.received_at = chrono::DateTime::parse_from_rfc3339("2026-12-03T02:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    done(f.storage.store_versions(&push).unwrap());

    let snap = f.storage.commune_facts(&f.commune).unwrap();
    assert_eq!(
        snap.latest_capture,
        Some("2020-02-10".parse().unwrap()),
        "the facts serve every scorecard from the last day observed, not from 2026"
    );
    let versions = f.storage.commune_versions(&f.commune).unwrap();
    let far = "9999-12-31".parse().unwrap();
    assert_eq!(
        snap.facts,
        CommuneFacts::from_versions(&f.commune, &versions, far, &TrackFilter::default())
    );
    let report = f.storage.recompute(&f.commune).unwrap();
    assert!(report.agreed, "{report:?}");
    assert_eq!(
        f.storage.commune_facts(&f.commune).unwrap().latest_capture,
        Some("2020-02-10".parse().unwrap())
    );
}

fn recompute_notices_and_repairs_facts_that_drifted(backend: Backend) {
    let f = fixture(backend);
    let a = enroll(&f, Role::Enumerator);
    let v = household(
        &f,
        &a,
        1,
        Uuid::now_v7(),
        vec![],
        4,
        "2020-01-05T08:00:00+07:00",
    );
    done(f.storage.store_versions(&batch(&a, 1, &[v])).unwrap());
    f.storage.execute_raw("UPDATE entity_facts SET fact = NULL");
    let report = f.storage.recompute(&f.commune).unwrap();
    assert!(!report.agreed);
    assert_eq!(report.differences, 1);
    assert!(f.storage.recompute(&f.commune).unwrap().agreed, "rewritten");
    assert_eq!(
        f.storage
            .commune_facts(&f.commune)
            .unwrap()
            .facts
            .households
            .len(),
        1
    );
}

fn an_enrollment_code_is_used_once_and_expires(backend: Backend) {
    let f = fixture(backend);
    let new_device = || NewDevice {
        device_id: Uuid::now_v7(),
        token_hash: format!("t{}", Uuid::now_v7()),
        name: "p".into(),
        platform: "android".into(),
        attempt_id: None,
    };
    let code = |hours: i64| {
        let hash = format!("c{}", Uuid::now_v7());
        f.storage
            .create_enrollment(&NewEnrollment {
                code_hash: hash.clone(),
                commune_id: f.commune.clone(),
                role: Role::Enumerator,
                holder: None,
                expires_at: Utc::now() + Duration::hours(hours),
                created_by: "t".into(),
            })
            .unwrap();
        hash
    };
    let c = code(1);
    let d = f
        .storage
        .redeem_enrollment(&c, Utc::now(), &new_device())
        .unwrap()
        .unwrap();
    assert_eq!((d.role, d.high_water), (Role::Enumerator, 0));
    assert_eq!(
        f.storage
            .redeem_enrollment(&c, Utc::now(), &new_device())
            .unwrap(),
        Err(RedeemRefusal::AlreadyUsed)
    );
    let old = code(1);
    assert_eq!(
        f.storage
            .redeem_enrollment(&old, Utc::now() + Duration::hours(2), &new_device())
            .unwrap(),
        Err(RedeemRefusal::Expired)
    );
    assert_eq!(
        f.storage
            .redeem_enrollment("nope", Utc::now(), &new_device())
            .unwrap(),
        Err(RedeemRefusal::Unknown)
    );
    assert_eq!(f.storage.list_devices(&f.commune).unwrap().len(), 1);
}

fn an_export_of_more_entities_than_a_page_holds_every_row_once_as_the_whole_history_does(
    backend: Backend,
) {
    use crate::reports::{rows::Rows, tables, Period, Report};
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    // Seven households edited once each, and one edited on two phones (two heads).
    let mut versions = Vec::new();
    for i in 0..8u32 {
        let entity = Uuid::now_v7();
        let first = household(&f, &d, 0, entity, vec![], 2, "2020-01-05T08:00:00+07:00");
        let edit = household(
            &f,
            &d,
            0,
            entity,
            vec![first.version_id],
            3 + i,
            "2020-01-10T08:00:00+07:00",
        );
        if i == 7 {
            let other = household(
                &f,
                &d,
                0,
                entity,
                vec![first.version_id],
                20,
                "2020-01-11T08:00:00+07:00",
            );
            versions.extend([first, edit, other]);
        } else {
            versions.extend([first, edit]);
        }
    }
    for (n, v) in versions.iter_mut().enumerate() {
        v.device_seq = n as u64 + 1;
    }
    done(f.storage.store_versions(&batch(&d, 1, &versions)).unwrap());

    let mut seen = Vec::new();
    let mut pages = 0;
    f.storage
        .for_each_entity(&f.commune, 3, &mut |page| {
            pages += 1;
            seen.extend(page.iter().map(|v| (v.entity_id, v.version_id)));
            Ok(())
        })
        .unwrap();
    assert_eq!(pages, 3, "8 entities in pages of 3");
    let mut ids: Vec<_> = seen.iter().map(|(_, v)| *v).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), versions.len(), "every version once");
    assert_eq!(seen.len(), versions.len());
    // Every version of an entity comes in the same page, in entity order.
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));

    let all = f.storage.commune_versions(&f.commune).unwrap();
    let config = f.storage.commune_config(&f.commune).unwrap().unwrap();
    let period = Period::parse("2020-01").unwrap();
    let before = period.start.pred_opt().unwrap();
    for as_of in [before, "2020-01-07".parse().unwrap(), period.end] {
        let paged = heads::heads_in_pages(&*f.storage, &f.commune, &[before, as_of], 3).unwrap();
        let csv = |at_start: &[Version], at_end: &[Version]| {
            let mut report = Report::build(
                config.clone(),
                at_start,
                at_end,
                Period {
                    end: as_of,
                    ..period.clone()
                },
                Utc::now(),
            );
            report.rows = Rows::of(&report.config, at_end, as_of, None);
            String::from_utf8(tables::to_csv(
                &tables::by_kind(&report, "household").unwrap(),
            ))
            .unwrap()
        };
        let from_pages = csv(&paged[0], &paged[1]);
        assert_eq!(from_pages, csv(&all, &all), "as of {as_of}");
        let lines = from_pages.lines().count();
        assert_eq!(
            lines,
            if as_of < period.start { 1 } else { 1 + 8 },
            "as of {as_of}"
        );
    }
}

fn a_page_of_entities_stops_at_its_byte_budget_and_still_holds_whole_entities(backend: Backend) {
    use ntm_field::geo::TrackPoint;
    use ntm_field::record::{RoadClass, RoadSegment, RoadStatus, Surface, TrackTimes, Works};
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    // Twelve roads of about half a megabyte each: more than `PAGE_BYTES` together.
    let roads: Vec<Version> = (0..12u64)
        .map(|n| {
            let mut v = household(
                &f,
                &d,
                n + 1,
                Uuid::now_v7(),
                vec![],
                2,
                "2020-03-05T08:00:00+07:00",
            );
            let t = v.captured_at;
            v.body = Body::RoadSegment(RoadSegment {
                name: "Đường nội đồng".into(),
                road_class: RoadClass::FieldMain,
                surface: Surface::Concrete,
                width_m: 3.0,
                status: RoadStatus::Completed,
                works: Works::New,
                track: (0..6000)
                    .map(|i| TrackPoint {
                        lat: 21.78 + i as f64 * 1e-5,
                        lon: 105.3,
                        accuracy_m: 4.0,
                        t: t + Duration::seconds(i),
                    })
                    .collect(),
                manual_length_m: None,
                manual_reason: None,
                track_times: TrackTimes::Recorded,
            });
            v
        })
        .collect();
    let stored = PushBatch {
        check_clocks: false,
        ..batch(&d, 1, &roads)
    };
    done(f.storage.store_versions(&stored).unwrap());
    let mut pages = Vec::new();
    f.storage
        .for_each_entity(&f.commune, ENTITY_PAGE, &mut |page| {
            pages.push(page.iter().map(|v| v.version_id).collect::<Vec<_>>());
            Ok(())
        })
        .unwrap();
    assert!(pages.len() > 1, "{} pages", pages.len());
    let mut seen: Vec<Uuid> = pages.concat();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), roads.len(), "every road once");
}

fn a_merger_is_stored_once_and_dates_the_communes_it_concerns(backend: Backend) {
    use ntm_field::merger::{Merger, MergerPart};
    let f = fixture(backend);
    let mut new = thien_ke().unwrap().config.commune;
    new.id = Slug::parse("son-thuy").unwrap();
    new.name = "Sơn Thủy".into();
    new.code = Some("09001".into());
    f.storage.create_commune(&new, &Default::default()).unwrap();
    let stored = f.storage.commune_config(&new.id).unwrap().unwrap().commune;
    assert_eq!(
        (stored.code.as_deref(), stored.valid_from),
        (Some("09001"), None)
    );
    let merger = Merger {
        date: "2025-07-01".parse().unwrap(),
        legal_basis: "Nghị quyết 1683/NQ-UBTVQH15 (minh họa)".into(),
        commune: new.id.clone(),
        parts: vec![MergerPart {
            commune: f.commune.clone(),
            villages: None,
        }],
    };
    f.storage.record_merger(&merger, "admin").unwrap();
    assert!(matches!(
        f.storage.record_merger(&merger, "admin"),
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(f.storage.mergers().unwrap(), vec![merger.clone()]);
    let old = f
        .storage
        .commune_config(&f.commune)
        .unwrap()
        .unwrap()
        .commune;
    assert_eq!(old.valid_until, Some(merger.date));
    let made = f.storage.commune_config(&new.id).unwrap().unwrap().commune;
    assert_eq!(made.valid_from, Some(merger.date));
}

/// The overview's cache key: a push moves the commune's head, a recompute its facts generation,
/// and every setting that shapes a scorecard the configuration generation.
fn figures_stamps_move_with_pushes_recomputes_and_every_setting(backend: Backend) {
    let f = fixture(backend);
    let first = f.storage.figures_stamps().unwrap();
    assert_eq!(
        first.of([&f.commune]),
        vec![(0, first.of([&f.commune])[0].1)]
    );
    let device = enroll(&f, Role::Enumerator);
    let v = household(
        &f,
        &device,
        1,
        Uuid::now_v7(),
        vec![],
        4,
        "2020-03-01T08:00:00+07:00",
    );
    f.storage.store_versions(&batch(&device, 1, &[v])).unwrap();
    let pushed = f.storage.figures_stamps().unwrap();
    assert!(pushed.of([&f.commune])[0].0 > 0, "the head moved");
    assert_eq!(pushed.config, first.config, "a push is no setting");
    f.storage.recompute(&f.commune).unwrap();
    let recomputed = f.storage.figures_stamps().unwrap();
    assert_ne!(recomputed.of([&f.commune]), pushed.of([&f.commune]));

    let target = ntm_field::catalog::TargetOverride {
        threshold: 30.0,
        inner: None,
        source: "test".into(),
        confidence: ntm_field::catalog::Confidence::Confirmed,
    };
    let mut config = recomputed.config;
    let mut moved = |what: &str| {
        let now = f.storage.figures_stamps().unwrap().config;
        assert!(now > config, "{what} moves the configuration generation");
        config = now;
    };
    f.storage
        .put_commune_target(&f.commune, "2.4", &target)
        .unwrap();
    moved("a commune threshold");
    f.storage.delete_commune_target(&f.commune, "2.4").unwrap();
    moved("a commune threshold removed");
    f.storage
        .put_province_target("Tuyên Quang", "2.4", &target)
        .unwrap();
    moved("a province threshold");
    f.storage
        .put_responsibility(&f.commune, "2", "Cán bộ giao thông")
        .unwrap();
    moved("a responsibility");
    let village = ntm_field::admin::Village {
        id: Slug::parse("thien-ke-99").unwrap(),
        name: "Thôn mới".into(),
    };
    f.storage.put_village(&f.commune, &village).unwrap();
    moved("a village");
    let settings = ntm_field::catalog::edition::EditionSettings::default();
    f.storage
        .put_edition_settings(&f.commune, &settings)
        .unwrap();
    moved("the edition settings");
    let mut other = thien_ke().unwrap().config.commune;
    other.id = Slug::parse("xa-khac").unwrap();
    other.villages.clear();
    f.storage
        .create_commune(&other, &Default::default())
        .unwrap();
    moved("a commune added");
}

/// Each test above, once per backend: `sqlite::<name>` and `postgres::<name>`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(super::Backend::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(super::Backend::Postgres) })*
        }
    };
}

on_both_backends!(
    a_replayed_push_gets_the_recorded_answer_and_stores_nothing_twice,
    a_cloned_phone_reusing_a_sequence_for_another_version_is_refused_not_acked,
    a_gap_is_refused_with_the_expected_sequence_and_stores_nothing,
    the_same_version_id_is_a_duplicate_with_the_same_content_and_corrupt_with_another,
    incremental_facts_follow_edits_conflicts_and_deletes_and_equal_a_recompute,
    recompute_notices_and_repairs_facts_that_drifted,
    a_capture_years_ahead_counts_from_its_receipt_for_the_scorecard_path,
    a_correction_years_later_counts_from_the_day_observed_and_a_recompute_agrees,
    an_enrollment_code_is_used_once_and_expires,
    an_export_of_more_entities_than_a_page_holds_every_row_once_as_the_whole_history_does,
    a_page_of_entities_stops_at_its_byte_budget_and_still_holds_whole_entities,
    a_merger_is_stored_once_and_dates_the_communes_it_concerns,
    figures_stamps_move_with_pushes_recomputes_and_every_setting,
);

mod odk;
