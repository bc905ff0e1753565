//! Shared by the server benchmarks: an in-process server on a loopback port, and version
//! builders.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::Utc;
use chrono::{DateTime, FixedOffset};
use ntm_field::ids::Slug;
use ntm_field::protocol::Role;
use ntm_field::record::*;
use ntm_server::auth::{new_token, token_hash, DEVICE_TOKEN_PREFIX};
use ntm_server::limits::Limits;
use ntm_server::storage::Storage;
use ntm_server::storage::{NewDevice, NewEnrollment};
use ntm_server::{AppState, DataDir};
use uuid::Uuid;

/// Starts the real router and accept loop on 127.0.0.1 (a free port) on `runtime`; returns the
/// base URL.
pub fn start_server(
    runtime: &tokio::runtime::Runtime,
    dir: &DataDir,
) -> (String, Arc<dyn Storage>) {
    let (storage, photos) = dir.open().expect("open the data directory");
    let state = Arc::new(AppState::new(storage.clone(), photos, Limits::default()));
    let app = ntm_server::router::router(state);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let limits = Limits::default();
        ntm_server::serve::serve(listener, app, &limits, std::future::pending())
            .await
            .unwrap();
    });
    (format!("http://{addr}"), storage)
}

pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

pub fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

pub fn version(
    commune: &Slug,
    village: Option<&Slug>,
    device: Uuid,
    seq: u64,
    captured: DateTime<FixedOffset>,
    body: Body,
) -> Version {
    let location = matches!(body, Body::RoadSegment(_) | Body::TrashSign(_)).then_some(Location {
        lat: 21.78,
        lon: 105.33,
        accuracy_m: 4.5,
        altitude_m: None,
        fix_at: captured,
        source: LocationSource::Gps,
    });
    Version {
        version_id: Uuid::now_v7(),
        entity_id: Uuid::now_v7(),
        parents: Vec::new(),
        village_id: village.cloned(),
        commune_id: commune.clone(),
        device_id: device,
        device_seq: seq,
        author: None,
        server_seq: None,
        flags: Vec::new(),
        captured_at: captured,
        observed_on: None,
        location,
        photos: Vec::new(),
        deleted: false,
        body,
    }
}

/// A household check; `n` varies its answers.
pub fn check(household_id: Uuid, n: u64) -> Body {
    Body::HouseholdCheck(HouseholdCheck {
        household_id,
        toilet: Toilet {
            toilet_type: ToiletType::Septic,
            meets_standard: !n.is_multiple_of(3),
            checklist: Default::default(),
        },
        bathroom_hygienic: !n.is_multiple_of(4),
        water_tank_hygienic: true,
        three_cleans: ThreeCleans {
            house: true,
            kitchen: !n.is_multiple_of(5),
            lane: true,
        },
        water: Water {
            hygienic: true,
            clean: n.is_multiple_of(2),
        },
        livestock: Livestock {
            raises: n.is_multiple_of(2),
            pen_hygienic: n.is_multiple_of(2).then_some(!n.is_multiple_of(6)),
        },
        waste_handled: true,
        drainage_ok: true,
        health_insurance: HealthInsurance {
            members: 4,
            insured: (n % 5) as u32 % 5,
        },
        children_under5: ChildrenUnder5 {
            measured: (n % 3) as u32,
            stunted: 0,
        },
        note: String::new(),
    })
}

/// The database a benchmark runs on.
#[derive(Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether this is `cargo test --all-targets` running the benchmark without `--bench`: a
/// small smoke run then, which checks behaviour and prints no figures to rely on.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// The value after `name` on the command line (`cargo bench ... -- --communes 50`).
pub fn text_arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// The number after `name` on the command line, or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    text_arg(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    let i = ((sorted_ms.len() as f64 - 1.0) * p).round() as usize;
    sorted_ms[i]
}

/// Enrolls a device straight through the storage; returns its id and token.
pub fn device(
    storage: &dyn Storage,
    commune: &ntm_field::ids::Slug,
    n: usize,
    platform: &str,
) -> (Uuid, String) {
    let code = format!("bench-code-{n}-{}", Uuid::now_v7());
    storage
        .create_enrollment(&NewEnrollment {
            code_hash: token_hash(&code),
            commune_id: commune.clone(),
            role: Role::Enumerator,
            holder: None,
            expires_at: Utc::now() + chrono::Duration::hours(1),
            created_by: "bench".into(),
        })
        .unwrap();
    let token = new_token(DEVICE_TOKEN_PREFIX);
    let d = NewDevice {
        device_id: Uuid::now_v7(),
        token_hash: token_hash(&token),
        name: format!("bench {n}"),
        platform: platform.into(),
        attempt_id: None,
    };
    let device = storage
        .redeem_enrollment(&token_hash(&code), Utc::now(), &d)
        .unwrap()
        .unwrap();
    (device.device_id, token)
}
