//! What the fuzz targets share: the demo commune versions are validated in, the device that
//! pushes them, and the rule every refusal must follow (a 4xx, never a 5xx).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use ntm_field::admin::Commune;
use ntm_field::config::CommuneConfig;
use ntm_field::protocol::Role;
use ntm_server::error::ApiError;
use ntm_server::storage::Device;
use uuid::Uuid;

/// The pushing device of the seed corpus (`tests/fuzz/corpus/push`).
pub const DEVICE_ID: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_f022);

static DEMO: LazyLock<CommuneConfig> = LazyLock::new(|| match ntm_field::demo::thien_ke() {
    Ok(demo) => demo.config,
    Err(e) => panic!("the embedded demo commune does not load: {e}"),
});

/// Thiện Kế, the demo commune: the seeds' versions belong to it and its villages.
pub fn demo_commune() -> &'static Commune {
    &DEMO.commune
}

/// Thiện Kế's configuration, as a push is checked against it.
pub fn demo_config() -> &'static CommuneConfig {
    &DEMO
}

/// An enumerator's phone enrolled in the demo commune.
pub fn demo_device() -> Device {
    Device {
        device_id: DEVICE_ID,
        commune_id: demo_commune().id.clone(),
        role: Role::Enumerator,
        name: "fuzz".into(),
        platform: "android".into(),
        holder: None,
        enrolled_at: received_at(),
        revoked_at: None,
        high_water: 0,
    }
}

/// A fixed arrival time, so that a finding reproduces whatever day it is replayed.
pub fn received_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_593_475_200, 0).expect("2020-06-30 is a valid time")
}

/// Bad input must be answered with a 4xx JSON error: a 5xx on any input is a bug
/// (product.md §4).
pub fn assert_client_error(e: &ApiError, what: &str) {
    assert!(
        e.status.is_client_error(),
        "{what} answered {} ({}: {}) to bad input; bad input is a 4xx",
        e.status,
        e.code,
        e.message
    );
}
