//! The pull order of the PostgreSQL storage under contention: several writers (as several
//! servers would) commit pushes of one commune while readers page through its log with a
//! cursor, as phones do. Numbers drawn from a sequence can commit out of order; a reader must
//! never move its cursor past a version that commits later (see storage/postgres.rs).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use chrono::Utc;
use ntm_field::demo::thien_ke;
use ntm_field::ids::Slug;
use ntm_field::record::{Body, Household, Version};
use ntm_server::storage::postgres::{PostgresStorage, ScratchDatabase};
use ntm_server::storage::{PushBatch, PushItem, PushOutcome, Storage};
use ntm_server::sync::digest;
use uuid::Uuid;

const WRITERS: usize = 6;
const PUSHES: usize = 40;
const PER_PUSH: usize = 3;

fn household(commune: &Slug, device: Uuid, seq: u64) -> Version {
    Version {
        version_id: Uuid::now_v7(),
        entity_id: Uuid::now_v7(),
        parents: vec![],
        village_id: Some(Slug::parse("thien-ke-01").unwrap()),
        commune_id: commune.clone(),
        device_id: device,
        device_seq: seq,
        author: None,
        server_seq: None,
        flags: Vec::new(),
        captured_at: chrono::DateTime::parse_from_rfc3339("2020-01-05T08:00:00+07:00").unwrap(),
        observed_on: None,
        location: None,
        photos: Vec::new(),
        deleted: false,
        body: Body::Household(Household {
            code: format!("H{seq}"),
            head_name: "Chủ hộ".into(),
            members: 3,
            address: String::new(),
        }),
    }
}

/// Pages through the commune's log from `cursor` until up to date; returns the new cursor.
fn pull(storage: &PostgresStorage, commune: &Slug, cursor: &mut u64, seen: &mut Vec<Uuid>) {
    loop {
        let page = storage
            .versions_after(std::slice::from_ref(commune), *cursor, 7)
            .unwrap();
        seen.extend(page.versions.iter().map(|v| v.version_id));
        *cursor = page.next_cursor;
        if page.up_to_date {
            return;
        }
    }
}

#[test]
fn readers_paging_during_concurrent_pushes_never_skip_a_version_committed_late() {
    let db = ScratchDatabase::for_tests();
    let commune = {
        let setup = PostgresStorage::connect_with(&db.url, 1).unwrap();
        let demo = thien_ke().unwrap();
        setup
            .create_commune(&demo.config.commune, &demo.config.responsibilities)
            .unwrap();
        demo.config.commune.id
    };
    // Each writer and reader has its own pool, as separate server processes would.
    let start = Arc::new(Barrier::new(WRITERS + 2));
    let writing = Arc::new(AtomicBool::new(true));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (url, commune, start) = (db.url.clone(), commune.clone(), start.clone());
            std::thread::spawn(move || {
                let storage = PostgresStorage::connect_with(&url, 1).unwrap();
                let device = Uuid::now_v7();
                storage
                    .ensure_seed_device(device, &commune, &format!("writer {w}"))
                    .unwrap();
                start.wait();
                let mut stored = Vec::new();
                for k in 0..PUSHES {
                    let first_seq = (k * PER_PUSH) as u64 + 1;
                    let versions: Vec<Version> = (0..PER_PUSH as u64)
                        .map(|i| household(&commune, device, first_seq + i))
                        .collect();
                    let batch = PushBatch {
                        device_id: device,
                        first_seq,
                        items: versions
                            .iter()
                            .map(|v| PushItem::Valid {
                                digest: digest(v),
                                version: Box::new(v.clone()),
                            })
                            .collect(),
                        received_at: Utc::now(),
                        check_clocks: false,
                    };
                    match storage.store_versions(&batch).unwrap() {
                        PushOutcome::Done(r) => {
                            assert_eq!(r.acked_through_seq, first_seq + PER_PUSH as u64 - 1)
                        }
                        PushOutcome::Gap { expected_seq } => panic!("gap, expected {expected_seq}"),
                        PushOutcome::SequenceReused { seq } => panic!("seq {seq} reused"),
                    }
                    stored.extend(versions.iter().map(|v| v.version_id));
                }
                stored
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (url, commune, start, writing) = (
                db.url.clone(),
                commune.clone(),
                start.clone(),
                writing.clone(),
            );
            std::thread::spawn(move || {
                let storage = PostgresStorage::connect_with(&url, 1).unwrap();
                let (mut cursor, mut seen, mut polls) = (0u64, Vec::new(), 0usize);
                start.wait();
                while writing.load(Ordering::SeqCst) {
                    pull(&storage, &commune, &mut cursor, &mut seen);
                    polls += 1;
                }
                pull(&storage, &commune, &mut cursor, &mut seen);
                (seen, polls)
            })
        })
        .collect();
    let mut all = BTreeSet::new();
    for w in writers {
        all.extend(w.join().unwrap());
    }
    writing.store(false, Ordering::SeqCst);
    assert_eq!(all.len(), WRITERS * PUSHES * PER_PUSH);
    for r in readers {
        let (seen, polls) = r.join().unwrap();
        assert!(
            polls > 10,
            "the reader paged while the writers ran ({polls} polls)"
        );
        let distinct: BTreeSet<Uuid> = seen.iter().copied().collect();
        assert_eq!(distinct.len(), seen.len(), "no version twice");
        let missed = all.difference(&distinct).count();
        assert_eq!(
            missed, 0,
            "a reader skipped {missed} versions that committed after its cursor moved past them"
        );
    }
}
