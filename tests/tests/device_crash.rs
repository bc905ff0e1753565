//! R4: the app killed during a save. A child process saves records (some with photos) in a loop
//! on a real device store; it is killed with SIGKILL at random moments, five times on the same
//! database. After each kill the database passes `PRAGMA integrity_check`, every save the child
//! reported is there, every version has its outbox entry (nothing was pushed) and every outbox
//! entry its version, sequence numbers are dense, and every photo file hashes to its id.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use ntm_field::ids::PhotoId;
use ntm_field::store::Store;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

#[test]
fn a_save_killed_midway_is_either_complete_with_its_outbox_entry_or_absent() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let mut reported: HashSet<Uuid> = HashSet::new();
    for round in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ntm-save-loop"))
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the saving phone");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let wanted = rng.random_range(30..150);
        for _ in 0..wanted {
            let line = lines.next().expect("the child stopped early").unwrap();
            let id = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            reported.insert(id);
        }
        // Kill it at a random point of a later save.
        std::thread::sleep(Duration::from_micros(rng.random_range(0..3000)));
        child.kill().unwrap();
        child.wait().unwrap();
        // Lines written before the kill but not read yet are saves that returned too.
        for line in lines.map_while(Result::ok) {
            if let Some(id) = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
                reported.insert(id);
            }
        }

        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        let states = store.own_version_states().unwrap();
        for id in &reported {
            assert!(
                states.contains_key(id),
                "round {round}: a save reported to the user is missing"
            );
        }
        let outbox = store.outbox().unwrap();
        let in_outbox: HashSet<Uuid> = outbox.iter().map(|o| o.2).collect();
        let own: HashSet<Uuid> = states.keys().copied().collect();
        assert_eq!(
            in_outbox, own,
            "round {round}: every version has its outbox entry and no entry lacks its version"
        );
        let seqs: Vec<u64> = outbox.iter().map(|o| o.1).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "round {round}: dense sequence numbers"
        );
        let versions = store.versions().unwrap();
        let photos: HashSet<PhotoId> = versions
            .iter()
            .flat_map(|v| v.photos.iter().copied())
            .collect();
        assert!(!photos.is_empty() || versions.len() < 10);
        for p in photos {
            let bytes =
                std::fs::read(store.photo_path(&p)).expect("a saved record's photo file exists");
            assert_eq!(
                PhotoId::of_bytes(&bytes),
                p,
                "round {round}: photo file hashes to its id"
            );
        }
        assert!(
            store.enrollment().unwrap().is_some(),
            "the same install keeps its identity"
        );
    }
    assert!(reported.len() >= 150);
}
