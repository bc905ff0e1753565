//! R5: phones whose clocks are a year off, or step backwards mid-session. Nothing is lost,
//! conflicts still come from parents (not clocks), every phone ends with the same heads, and the
//! server flags the suspicious capture times.

use std::collections::BTreeSet;

use chrono::Duration;
use ntm_field::protocol::Role;
use ntm_field::record::{Body, VersionFlag};
use ntm_field::store::Draft;
use ntm_tests::phone::*;
use ntm_tests::server::{Api, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_a_year_off_or_stepping_back_lose_nothing_and_are_flagged() {
    let server = TestServer::start();
    let admin = Api::admin(&server).await;
    create_demo_commune(&admin).await;
    let mut phones = Vec::new();
    for _ in 0..3 {
        let code = enrollment_code(&admin, "thien-ke", Role::Enumerator).await;
        phones.push(TestPhone::enroll(&server.base, &code, test_options()).await);
    }
    let (ahead, behind, stepping) = (&phones[0], &phones[1], &phones[2]);
    ahead.clock.set_offset(Duration::days(366));
    behind.clock.set_offset(-Duration::days(400));

    let h_ahead = ahead
        .store
        .create(household_draft("TK03-001", "thien-ke-03"))
        .unwrap();
    let h_behind = behind
        .store
        .create(household_draft("TK03-002", "thien-ke-03"))
        .unwrap();
    let first = stepping
        .store
        .create(household_draft("TK03-003", "thien-ke-03"))
        .unwrap();
    // The stepping phone's clock jumps two days back mid-session (a dead battery, a bad NTP).
    stepping.clock.set_offset(-Duration::days(2));
    let after_step = stepping
        .store
        .create(household_draft("TK03-004", "thien-ke-03"))
        .unwrap();
    assert!(after_step.captured_at < first.captured_at);
    for p in &phones {
        p.sync_until_done(3).await;
    }
    for p in &phones {
        p.sync_until_done(3).await;
    }

    // The phone whose clock is behind edits what the phone ahead wrote "a year later": the edit
    // replaces it (its parent), whatever the clocks say: no conflict, no loss.
    let mut edit = Draft::from_version(&behind.store.current(h_ahead.entity_id).unwrap().unwrap());
    if let Body::Household(h) = &mut edit.body {
        h.members = 7;
    }
    let edited = behind.store.edit(h_ahead.entity_id, edit).unwrap();
    assert!(edited.captured_at < h_ahead.captured_at);
    // ...while the phone ahead edits the same household without having seen that edit: a
    // conflict, found from the parents alone.
    let mut concurrent = Draft::from_version(&h_ahead);
    if let Body::Household(h) = &mut concurrent.body {
        h.members = 5;
    }
    ahead.store.edit(h_ahead.entity_id, concurrent).unwrap();
    for _ in 0..2 {
        for p in &phones {
            p.sync_until_done(3).await;
        }
    }

    let heads = phones[0].store.all_heads().unwrap();
    for p in &phones {
        assert_eq!(
            p.store.all_heads().unwrap(),
            heads,
            "every phone has the same heads"
        );
        let conflicts: BTreeSet<_> = p
            .store
            .conflicts()
            .unwrap()
            .into_iter()
            .map(|c| c.entity_id)
            .collect();
        assert_eq!(conflicts, BTreeSet::from([h_ahead.entity_id]));
    }
    let token = ahead.store.enrollment().unwrap().unwrap().token;
    let on_server = server_versions(&server.base, &token).await;
    let ids: BTreeSet<_> = on_server.iter().map(|v| v.version_id).collect();
    assert_eq!(ids.len(), on_server.len(), "each version once");
    let mut own = BTreeSet::new();
    for p in &phones {
        own.extend(p.store.own_version_states().unwrap().keys().copied());
    }
    assert_eq!(ids, own, "nothing lost");

    let flags_of = |id| {
        on_server
            .iter()
            .find(|v| v.version_id == id)
            .unwrap()
            .flags
            .clone()
    };
    assert!(flags_of(h_ahead.version_id).contains(&VersionFlag::ClockAhead));
    assert!(flags_of(h_behind.version_id).contains(&VersionFlag::ClockFarBehind));
    assert!(flags_of(after_step.version_id).contains(&VersionFlag::ClockWentBack));
    assert!(flags_of(first.version_id).is_empty());
    // The phones see the flags too, on what they pulled.
    let pulled = phones[1]
        .store
        .version(h_ahead.version_id)
        .unwrap()
        .unwrap();
    assert!(pulled.flags.contains(&VersionFlag::ClockAhead));
}
