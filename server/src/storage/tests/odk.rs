//! OpenRosa submissions against the storage (R8 without HTTP), on both backends.

use std::collections::BTreeSet;
use std::sync::Arc;

use ntm_field::ids::PhotoId;
use sha2::Digest;

use super::super::odk::{SubmissionDraft, SubmissionOutcome, SubmissionPost};
use super::*;

fn post(f: &Fixture, device: &Device, instance: &str, files: &[(&str, &[u8])]) -> SubmissionPost {
    // Ids from the instanceID, as the OpenRosa mapping derives them: the same at every POST.
    let digest = sha2::Sha256::digest(instance.as_bytes());
    let entity = uuid::Builder::from_random_bytes(digest[..16].try_into().unwrap()).into_uuid();
    let mut version = household(f, device, 0, entity, vec![], 4, "2020-03-05T09:00:00+07:00");
    version.version_id = uuid::Builder::from_unix_timestamp_millis(
        1_583_373_600_000,
        &digest[16..26].try_into().unwrap(),
    )
    .into_uuid();
    SubmissionPost {
        instance_id: instance.to_owned(),
        device_id: device.device_id,
        commune_id: f.commune.clone(),
        form_id: "household".into(),
        xml_sha256: [7; 32],
        expected: vec!["a.jpg".into(), "b.jpg".into()],
        files: files
            .iter()
            .map(|(name, bytes)| (name.to_string(), PhotoId::of_bytes(bytes)))
            .collect(),
        drafts: vec![SubmissionDraft {
            version,
            photos: vec!["a.jpg".into(), "b.jpg".into()],
        }],
        received_at: Utc::now(),
    }
}

fn stored(outcome: SubmissionOutcome) -> Vec<ntm_field::protocol::PushResult> {
    match outcome {
        SubmissionOutcome::Stored { results } => results,
        other => panic!("not stored: {other:?}"),
    }
}

fn a_submission_split_over_posts_becomes_one_version_once_every_photo_arrived(backend: Backend) {
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    let first = post(&f, &d, "uuid:split-1", &[("a.jpg", b"photo a")]);
    assert_eq!(
        f.storage.receive_odk_submission(&first).unwrap(),
        SubmissionOutcome::Waiting {
            missing: vec!["b.jpg".into()]
        }
    );
    assert!(f.storage.commune_versions(&f.commune).unwrap().is_empty());
    let last = post(&f, &d, "uuid:split-1", &[("b.jpg", b"photo b")]);
    let results = stored(f.storage.receive_odk_submission(&last).unwrap());
    assert_eq!(results[0].status, PushStatus::Stored);
    let versions = f.storage.commune_versions(&f.commune).unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0].photos,
        vec![PhotoId::of_bytes(b"photo a"), PhotoId::of_bytes(b"photo b")]
    );
    assert_eq!(versions[0].device_seq, 1);
    // A byte-identical replay (Collect after a cut connection) adds nothing.
    let replay = post(
        &f,
        &d,
        "uuid:split-1",
        &[("a.jpg", b"photo a"), ("b.jpg", b"photo b")],
    );
    assert_eq!(
        stored(f.storage.receive_odk_submission(&replay).unwrap()),
        results
    );
    assert_eq!(f.storage.commune_versions(&f.commune).unwrap().len(), 1);
    assert_eq!(f.storage.device_status(d.device_id).unwrap().unwrap().0, 1);
    let recorded = f.storage.odk_submission("uuid:split-1").unwrap().unwrap();
    assert!(recorded.missing().is_empty());
    assert_eq!(recorded.results, Some(results));
}

fn a_replay_with_other_xml_or_other_photo_bytes_is_refused_and_changes_nothing(backend: Backend) {
    let f = fixture(backend);
    let d = enroll(&f, Role::Enumerator);
    let first = post(&f, &d, "uuid:once", &[("a.jpg", b"photo a")]);
    f.storage.receive_odk_submission(&first).unwrap();
    let mut other_xml = post(&f, &d, "uuid:once", &[("b.jpg", b"photo b")]);
    other_xml.xml_sha256 = [8; 32];
    assert_eq!(
        f.storage.receive_odk_submission(&other_xml).unwrap(),
        SubmissionOutcome::OtherXml
    );
    let other_bytes = post(
        &f,
        &d,
        "uuid:once",
        &[("b.jpg", b"photo b"), ("a.jpg", b"other a")],
    );
    assert_eq!(
        f.storage.receive_odk_submission(&other_bytes).unwrap(),
        SubmissionOutcome::OtherFile("a.jpg".into())
    );
    let recorded = f.storage.odk_submission("uuid:once").unwrap().unwrap();
    assert_eq!(
        recorded.missing(),
        vec!["b.jpg".to_owned()],
        "b.jpg was not kept"
    );
    let demo = thien_ke().unwrap();
    let mut elsewhere = demo.config.commune.clone();
    elsewhere.id = Slug::parse("vinh-loi").unwrap();
    f.storage
        .create_commune(&elsewhere, &Default::default())
        .unwrap();
    let stranger = f
        .storage
        .ensure_seed_device(Uuid::now_v7(), &elsewhere.id, "phone")
        .unwrap();
    let mut from_elsewhere = post(&f, &stranger, "uuid:once", &[("b.jpg", b"photo b")]);
    from_elsewhere.commune_id = elsewhere.id.clone();
    assert_eq!(
        f.storage.receive_odk_submission(&from_elsewhere).unwrap(),
        SubmissionOutcome::OtherCommune
    );
    assert!(f.storage.commune_versions(&f.commune).unwrap().is_empty());
}

fn concurrent_submissions_of_one_device_take_distinct_sequence_numbers(backend: Backend) {
    let f = Arc::new(fixture(backend));
    let d = enroll(&f, Role::Enumerator);
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (f, d) = (f.clone(), d.clone());
            std::thread::spawn(move || {
                let files: &[(&str, &[u8])] = &[("a.jpg", b"photo a"), ("b.jpg", b"photo b")];
                let p = post(&f, &d, &format!("uuid:concurrent-{i}"), files);
                stored(f.storage.receive_odk_submission(&p).unwrap())
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap()[0].status, PushStatus::Stored);
    }
    let mut seqs: Vec<u64> = f
        .storage
        .commune_versions(&f.commune)
        .unwrap()
        .iter()
        .map(|v| v.device_seq)
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>());
    assert_eq!(f.storage.device_status(d.device_id).unwrap().unwrap().0, 6);
}

fn many_phones_of_one_commune_submitting_at_once_are_all_stored_once_and_one_failing_fails_no_other(
    backend: Backend,
) {
    // On PostgreSQL these are written in groups, one COMMIT each (`group_commit`).
    const SUBMISSIONS: usize = 24;
    let on_postgres = matches!(backend, Backend::Postgres);
    let f = Arc::new(fixture(backend));
    let phones: Vec<Device> = (0..4).map(|_| enroll(&f, Role::Enumerator)).collect();
    let unknown_phone = Device {
        device_id: Uuid::now_v7(),
        ..phones[0].clone()
    };
    let start = Arc::new(std::sync::Barrier::new(SUBMISSIONS));
    let handles: Vec<_> = (0..SUBMISSIONS)
        .map(|i| {
            let (f, start) = (f.clone(), start.clone());
            let phone = match i {
                7 => unknown_phone.clone(),
                _ => phones[i % phones.len()].clone(),
            };
            std::thread::spawn(move || {
                let files: &[(&str, &[u8])] = &[("a.jpg", b"photo a"), ("b.jpg", b"photo b")];
                let mut p = post(&f, &phone, &format!("uuid:together-{i}"), files);
                if i == 13 && on_postgres {
                    // Its versions name a commune that does not exist: PostgreSQL fails it once
                    // its submission row is written (locking that commune's counter), inside
                    // the group's transaction. SQLite has no such counter and stores it.
                    p.drafts[0].version.commune_id = Slug::parse("nowhere").unwrap();
                }
                start.wait();
                f.storage.receive_odk_submission(&p)
            })
        })
        .collect();
    let answers: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (i, answer) in answers.into_iter().enumerate() {
        match i {
            7 => assert!(answer.is_err(), "{i}: {answer:?}"),
            13 if on_postgres => assert!(answer.is_err(), "{i}: {answer:?}"),
            _ => assert_eq!(stored(answer.unwrap())[0].status, PushStatus::Stored, "{i}"),
        }
    }
    let failed: &[&str] = match on_postgres {
        true => &["uuid:together-7", "uuid:together-13"],
        false => &["uuid:together-7"],
    };
    for instance in failed {
        assert_eq!(
            f.storage.odk_submission(instance).unwrap(),
            None,
            "{instance}"
        );
    }
    let versions = f.storage.commune_versions(&f.commune).unwrap();
    let ids: BTreeSet<Uuid> = versions.iter().map(|v| v.version_id).collect();
    let stored_n = SUBMISSIONS - failed.len();
    assert_eq!((versions.len(), ids.len()), (stored_n, stored_n));
    for phone in &phones {
        let mut seqs: Vec<u64> = versions
            .iter()
            .filter(|v| v.device_id == phone.device_id)
            .map(|v| v.device_seq)
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
        let acked = f.storage.device_status(phone.device_id).unwrap().unwrap().0;
        assert_eq!(acked, seqs.len() as u64);
    }
}

fn a_commune_turns_its_forms_off_and_on(backend: Backend) {
    let f = fixture(backend);
    assert!(f.storage.odk_forms_off(&f.commune).unwrap().is_empty());
    f.storage
        .set_odk_form(&f.commune, "road_segment", false)
        .unwrap();
    f.storage
        .set_odk_form(&f.commune, "road_segment", false)
        .unwrap();
    assert_eq!(
        f.storage
            .odk_forms_off(&f.commune)
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["road_segment".to_owned()]
    );
    f.storage
        .set_odk_form(&f.commune, "road_segment", true)
        .unwrap();
    assert!(f.storage.odk_forms_off(&f.commune).unwrap().is_empty());
}

on_both_backends!(
    a_submission_split_over_posts_becomes_one_version_once_every_photo_arrived,
    a_replay_with_other_xml_or_other_photo_bytes_is_refused_and_changes_nothing,
    concurrent_submissions_of_one_device_take_distinct_sequence_numbers,
    many_phones_of_one_commune_submitting_at_once_are_all_stored_once_and_one_failing_fails_no_other,
    a_commune_turns_its_forms_off_and_on,
);
