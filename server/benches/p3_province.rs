//! P3: a province's worth of records (200 communes, 600k households, 1.2M household checks,
//! 100k road segments), generated with a fixed seed and written straight into the storage in
//! one transaction; then one commune's scorecard through HTTP (p50/p95; bar p95 <= 20 ms) and a
//! full recompute of one commune from its versions with the core (bar <= 200 ms).
//!
//! `cargo bench -p ntm-server --bench p3_province [-- --communes N] [--backend sqlite|postgres|both]`
//! (default 200; each commune always has 3,000 households, 6,000 checks and 500 road segments,
//! so a smaller N keeps the per-commune figures comparable). PostgreSQL runs on a scratch
//! database of the server at `NTM_TEST_POSTGRES_URL` (`./dev bench` starts one); without it,
//! `both` (the default) runs SQLite only and says so.

mod common;

use std::time::Instant;

use chrono::Utc;
use common::*;
use geographiclib_rs::{DirectGeodesic, Geodesic};
use ntm_field::admin::{Commune, Village};
use ntm_field::geo::TrackPoint;
use ntm_field::ids::{Region, Slug};
use ntm_field::record::*;
use ntm_server::auth::hash_password;
use ntm_server::storage::bulk;
use ntm_server::storage::postgres::{PostgresStorage, ScratchDatabase, TEST_SERVER_VAR};
use ntm_server::storage::sqlite::SqliteStorage;
use ntm_server::storage::{NewUser, Storage};
use ntm_server::DataDir;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const HOUSEHOLDS: usize = 3_000;
const CHECKS_PER_HOUSEHOLD: usize = 2;
const ROADS: usize = 500;
const TRACK_POINTS: usize = 20;
const VILLAGES: usize = 14;

fn commune(i: usize) -> Commune {
    let id = format!("xa-{i:03}");
    Commune {
        id: slug(&id),
        name: format!("Xã {i}"),
        province: "Tuyên Quang".into(),
        district: None,
        region: Region::Tdmnpb,
        villages: (1..=VILLAGES)
            .map(|v| Village {
                id: slug(&format!("{id}-{v:02}")),
                name: format!("Thôn {v}"),
            })
            .collect(),
        code: None,
        valid_from: None,
        valid_until: None,
    }
}

/// One commune's records, from a seeded generator.
fn commune_versions(
    c: &Commune,
    device: Uuid,
    rng: &mut rand::rngs::StdRng,
    geod: &Geodesic,
) -> Vec<Version> {
    let mut out = Vec::with_capacity(HOUSEHOLDS * (1 + CHECKS_PER_HOUSEHOLD) + ROADS + 2);
    let mut seq = 0u64;
    let mut next = |out: &mut Vec<Version>, village: Option<&Slug>, captured, body| {
        seq += 1;
        out.push(version(&c.id, village, device, seq, captured, body));
    };
    let registered = at("2020-01-05T08:00:00+07:00");
    next(
        &mut out,
        None,
        at("2020-02-15T08:00:00+07:00"),
        Body::Assessment(Assessment {
            edition: None,
            indicator_id: "2.4".into(),
            as_of: "2020-01-01".parse().unwrap(),
            numerator: Some(40.0),
            denominator: Some(120.0),
            value: None,
            met: None,
            source: "baseline".into(),
            note: String::new(),
        }),
    );
    let mut households = Vec::with_capacity(HOUSEHOLDS);
    for h in 0..HOUSEHOLDS {
        let village = &c.villages[h % VILLAGES].id;
        let body = Body::Household(Household {
            code: format!("H{h:05}"),
            head_name: format!("Chủ hộ {h}"),
            members: rng.random_range(1..8),
            address: String::new(),
        });
        next(&mut out, Some(village), registered, body);
        households.push((out.last().unwrap().entity_id, village.clone()));
    }
    for round in 0..CHECKS_PER_HOUSEHOLD {
        for (h, (household, village)) in households.iter().enumerate() {
            let captured = at("2020-03-01T08:00:00+07:00")
                + chrono::Duration::days(60 * round as i64)
                + chrono::Duration::minutes(h as i64);
            next(
                &mut out,
                Some(village),
                captured,
                check(*household, rng.random()),
            );
        }
    }
    for r in 0..ROADS {
        let captured = at("2020-04-01T08:00:00+07:00") + chrono::Duration::hours(r as i64);
        let (lat0, lon0) = (
            21.7 + rng.random::<f64>() * 0.1,
            105.3 + rng.random::<f64>() * 0.1,
        );
        let track: Vec<TrackPoint> = (0..TRACK_POINTS)
            .map(|i| {
                let (lat, lon) = geod.direct(lat0, lon0, 45.0, i as f64 * 10.0);
                TrackPoint {
                    lat,
                    lon,
                    accuracy_m: 4.0,
                    t: captured + chrono::Duration::seconds(2 * i as i64),
                }
            })
            .collect();
        let body = Body::RoadSegment(RoadSegment {
            name: format!("Đường {r}"),
            road_class: [
                RoadClass::FieldMain,
                RoadClass::Alley,
                RoadClass::VillageAxis,
            ][r % 3],
            surface: Surface::Concrete,
            width_m: 3.0,
            status: if r % 5 == 0 {
                RoadStatus::Planned
            } else {
                RoadStatus::Completed
            },
            works: Works::Upgrade,
            track,
            manual_length_m: None,
            manual_reason: None,
            track_times: TrackTimes::Recorded,
        });
        next(&mut out, Some(&c.villages[r % VILLAGES].id), captured, body);
    }
    out
}

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let smoke = smoke();
    let communes = arg("--communes", if smoke { 1 } else { 200 });
    let samples = arg("--samples", if smoke { 10 } else { 200 });
    let args: Vec<String> = std::env::args().collect();
    let choice = args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let backends = match choice.as_deref() {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ if std::env::var(TEST_SERVER_VAR).is_ok() => vec![Backend::Sqlite, Backend::Postgres],
        _ => {
            println!(
                "(PostgreSQL skipped: {TEST_SERVER_VAR} is not set; `./dev bench` starts a server)"
            );
            vec![Backend::Sqlite]
        }
    };
    for backend in backends {
        run(backend, communes, samples);
    }
}

/// Generates the province on PostgreSQL: the same records, loaded commune by commune by COPY.
fn generate_postgres(storage: &PostgresStorage, communes: usize) -> (usize, usize, usize) {
    let all: Vec<Commune> = (0..communes).map(commune).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2020);
    let geod = Geodesic::wgs84();
    let (mut households, mut checks, mut roads) = (0usize, 0usize, 0usize);
    let mut next_seq = storage.next_server_seq().unwrap();
    for c in &all {
        storage.create_commune(c, &Default::default()).unwrap();
        let device = storage
            .ensure_seed_device(Uuid::now_v7(), &c.id, "generator")
            .unwrap()
            .device_id;
        let mut versions = commune_versions(c, device, &mut rng, &geod);
        for v in &versions {
            match v.kind() {
                Kind::Household => households += 1,
                Kind::HouseholdCheck => checks += 1,
                Kind::RoadSegment => roads += 1,
                _ => {}
            }
        }
        let rows = bulk::prepare_rows(&mut versions, next_seq, Utc::now());
        next_seq += versions.len() as i64;
        storage
            .bulk_load(&rows, false, &[(device, versions.len() as u64)])
            .unwrap();
    }
    (households, checks, roads)
}

fn run(backend: Backend, communes: usize, samples: usize) {
    let dir = tempfile::tempdir().unwrap();
    let scratch = (backend == Backend::Postgres).then(ScratchDatabase::for_tests);
    let data = DataDir::create(dir.path())
        .unwrap()
        .with_database(scratch.as_ref().map(|d| d.url.clone()))
        .unwrap();

    // Generate and load, straight into the storage: one transaction, prepared statements.
    let started = Instant::now();
    if let Some(db) = &scratch {
        let storage = PostgresStorage::connect_with(&db.url, 1).unwrap();
        let (households, checks, roads) = generate_postgres(&storage, communes);
        storage
            .create_user(&NewUser {
                username: "admin".into(),
                password_hash: hash_password("bench-password").unwrap(),
                role: ntm_field::protocol::Role::Admin,
                commune_id: None,
                province: None,
                district: None,
            })
            .unwrap();
        // Fresh statistics, as autovacuum would have them on a database that grew over months.
        storage
            .with_write_transaction(|tx| tx.batch_execute("ANALYZE"))
            .unwrap();
        println!(
            "P3 on PostgreSQL, generated {communes} communes: {households} households, {checks} checks, {roads} road segments in {:.1} s ({} MiB on disk)",
            started.elapsed().as_secs_f64(),
            storage.database_size().unwrap() >> 20
        );
    } else {
        let storage = SqliteStorage::open(&data.database()).unwrap();
        let all: Vec<Commune> = (0..communes).map(commune).collect();
        let mut devices = Vec::new();
        for c in &all {
            storage.create_commune(c, &Default::default()).unwrap();
            devices.push(
                storage
                    .ensure_seed_device(Uuid::now_v7(), &c.id, "generator")
                    .unwrap()
                    .device_id,
            );
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(2020);
        let geod = Geodesic::wgs84();
        let (mut households, mut checks, mut roads) = (0usize, 0usize, 0usize);
        storage
            .with_write_transaction(|tx| {
                let mut next_seq = bulk::next_server_seq(tx)?;
                for (c, device) in all.iter().zip(&devices) {
                    let mut versions = commune_versions(c, *device, &mut rng, &geod);
                    for v in &versions {
                        match v.kind() {
                            Kind::Household => households += 1,
                            Kind::HouseholdCheck => checks += 1,
                            Kind::RoadSegment => roads += 1,
                            _ => {}
                        }
                    }
                    let rows = bulk::prepare_rows(&mut versions, next_seq, Utc::now());
                    next_seq += versions.len() as i64;
                    bulk::insert_rows(tx, &rows, false)?;
                    bulk::set_high_water(tx, *device, versions.len() as u64)?;
                }
                Ok(())
            })
            .unwrap();
        storage
            .create_user(&NewUser {
                username: "admin".into(),
                password_hash: hash_password("bench-password").unwrap(),
                role: ntm_field::protocol::Role::Admin,
                commune_id: None,
                province: None,
                district: None,
            })
            .unwrap();
        let size = std::fs::metadata(data.database())
            .map(|m| m.len())
            .unwrap_or(0)
            + std::fs::metadata(dir.path().join("ntm.sqlite3-wal"))
                .map(|m| m.len())
                .unwrap_or(0);
        println!(
            "P3 generated {communes} communes: {households} households, {checks} checks, {roads} road segments in {:.1} s ({} MiB on disk)",
            started.elapsed().as_secs_f64(),
            size >> 20
        );
    }
    let label = if backend == Backend::Postgres {
        "P3 on PostgreSQL"
    } else {
        "P3"
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (base, storage) = start_server(&runtime, &data);
    let client = reqwest::Client::new();
    let target = format!("xa-{:03}", communes / 2);
    let (timings, card_ok) = runtime.block_on(async {
        let login = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "admin", "password": "bench-password"}))
            .send()
            .await
            .unwrap();
        let token = login.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let get = |path: String| {
            let client = client.clone();
            let token = token.clone();
            let base = base.clone();
            async move {
                let started = Instant::now();
                let resp = client
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                let source = resp
                    .headers()
                    .get("x-scorecard-source")
                    .map(|v| v.to_str().unwrap().to_owned());
                let body = resp.bytes().await.unwrap();
                (started.elapsed().as_secs_f64() * 1000.0, source, body)
            }
        };
        // The first request of each of a few communes (nothing warmed by earlier requests).
        let mut first = Vec::new();
        for i in 0..communes.min(10) {
            first.push(get(format!("/api/v1/communes/xa-{i:03}/scorecard")).await.0);
        }
        let mut ms = Vec::new();
        let mut ok = true;
        for _ in 0..samples {
            let (t, source, body) = get(format!("/api/v1/communes/{target}/scorecard")).await;
            ok &= source.as_deref() == Some("incremental") && body.len() > 1000;
            ms.push(t);
        }
        let mut past = Vec::new();
        for _ in 0..5 {
            let (t, source, _) = get(format!(
                "/api/v1/communes/{target}/scorecard?as_of=2020-04-15"
            ))
            .await;
            ok &= source.as_deref() == Some("recompute");
            past.push(t);
        }
        ((first, ms, past), ok)
    });
    assert!(
        card_ok,
        "the scorecards came from the incremental facts (and, for a past date, a recompute)"
    );
    let (mut first, mut ms, mut past) = timings;
    for v in [&mut first, &mut ms, &mut past] {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    }

    let mut recompute = Vec::new();
    for i in 0..5 {
        let c = slug(&format!("xa-{:03}", (communes / 2 + i) % communes));
        let started = Instant::now();
        let report = storage.recompute(&c).unwrap();
        recompute.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(report.agreed, "incremental facts equal a recompute for {c}");
    }
    recompute.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "  first scorecard of 10 communes through HTTP: p50 {:.1} ms, max {:.1} ms",
        percentile(&first, 0.5),
        percentile(&first, 1.0)
    );
    println!(
        "  scorecard as of a past date (recomputed from versions) through HTTP: p50 {:.0} ms",
        percentile(&past, 0.5)
    );
    println!("  recompute of one commune (load its versions, heads, facts, compare): p50 {:.0} ms, max {:.0} ms (bar <= 200 ms)", percentile(&recompute, 0.5), percentile(&recompute, 1.0));
    println!(
        "{label} scorecard of {target} through HTTP, {samples} requests: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (bar p95 <= 20 ms)",
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        percentile(&ms, 1.0)
    );
}
