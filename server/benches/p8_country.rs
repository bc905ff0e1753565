//! P8: the whole country after the 2025 reform, 34 provinces and 3,321 communes on PostgreSQL
//! (each commune with its villages, households, checks and road segments, region and commune
//! group set, so 2026 shows 318 and 51/2025 side by side). Through HTTP as an officer of one
//! province and as an administrator: the province's overview (bar p95 ≤ 100 ms) and the
//! national overview (bar p95 ≤ 500 ms), each request after a push to one of the communes it
//! shows, so every sample recomputes at least one commune; the first overview after start
//! (nothing cached) is printed beside them.
//!
//! `cargo bench -p ntm-server --bench p8_country [-- --communes N --samples N]` on the server at
//! `NTM_TEST_POSTGRES_URL` (`./dev bench` starts one). `cargo test --all-targets` runs a small
//! country on SQLite (and on PostgreSQL when the variable is set) and checks every commune is
//! listed.

mod common;

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use common::*;
use ntm_field::admin::{Commune, Village};
use ntm_field::catalog::edition::{Dated, EditionSettings};
use ntm_field::catalog::CommuneGroup;
use ntm_field::ids::{Region, Slug};
use ntm_field::protocol::{PushRequest, PushResponse, PushStatus, Role};
use ntm_field::record::*;
use ntm_server::auth::hash_password;
use ntm_server::storage::bulk;
use ntm_server::storage::postgres::{PostgresStorage, ScratchDatabase, TEST_SERVER_VAR};
use ntm_server::storage::sqlite::SqliteStorage;
use ntm_server::storage::{NewUser, Storage};
use ntm_server::DataDir;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const PROVINCES: usize = 34;
const VILLAGES: usize = 6;
const HOUSEHOLDS: usize = 30;
const ROADS: usize = 4;

fn province_name(p: usize) -> String {
    format!("Tỉnh {:02}", p + 1)
}

/// Commune `i` of `n`, spread over the provinces as evenly as the numbers allow.
fn commune(i: usize) -> Commune {
    let id = format!("xa-{i:04}");
    let region = [Region::Tdmnpb, Region::Dbsh, Region::Btb, Region::Dbscl][i % 4];
    Commune {
        id: slug(&id),
        name: format!("Xã {i}"),
        province: province_name(i % PROVINCES),
        district: None,
        region,
        villages: (1..=VILLAGES)
            .map(|v| Village {
                id: slug(&format!("{id}-{v}")),
                name: format!("Thôn {v}"),
            })
            .collect(),
        code: Some(format!("{:05}", 10_000 + i)),
        valid_from: Some(date("2025-07-01")),
        valid_until: None,
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Its region since 2021 and its commune group under 51/2025, as a province would set them.
fn settings(c: &Commune, i: usize) -> EditionSettings {
    EditionSettings {
        dossier: None,
        regions: vec![Dated {
            value: c.region,
            from: date("2021-01-01"),
            until: None,
            source: "bench".into(),
        }],
        groups: vec![Dated {
            value: CommuneGroup::ALL[i % 3],
            from: date("2026-02-15"),
            until: None,
            source: "bench".into(),
        }],
        takes_tdmnpb: Vec::new(),
    }
}

/// One commune's records, from a seeded generator.
fn commune_versions(c: &Commune, device: Uuid, rng: &mut rand::rngs::StdRng) -> Vec<Version> {
    let mut out = Vec::new();
    let mut seq = 0u64;
    let mut next = |out: &mut Vec<Version>, village: &Slug, captured, body| {
        seq += 1;
        out.push(version(&c.id, Some(village), device, seq, captured, body));
    };
    let mut households = Vec::new();
    for h in 0..HOUSEHOLDS {
        let village = &c.villages[h % VILLAGES].id;
        let body = Body::Household(Household {
            code: format!("H{h:04}"),
            head_name: format!("Chủ hộ {h}"),
            members: rng.random_range(1..8),
            address: String::new(),
        });
        next(&mut out, village, at("2025-08-01T08:00:00+07:00"), body);
        households.push((out.last().unwrap().entity_id, village.clone()));
    }
    for (h, (household, village)) in households.iter().enumerate() {
        let captured = at("2026-03-01T08:00:00+07:00") + chrono::Duration::minutes(h as i64);
        next(&mut out, village, captured, check(*household, rng.random()));
    }
    for r in 0..ROADS {
        let captured = at("2026-04-01T08:00:00+07:00") + chrono::Duration::hours(r as i64);
        let track = (0..10)
            .map(|k| ntm_field::geo::TrackPoint {
                lat: 21.7 + k as f64 * 0.0001,
                lon: 105.3 + r as f64 * 0.001,
                accuracy_m: 4.0,
                t: captured + chrono::Duration::seconds(2 * k),
            })
            .collect();
        let body = Body::RoadSegment(RoadSegment {
            name: format!("Đường {r}"),
            road_class: [RoadClass::VillageAxis, RoadClass::Alley][r % 2],
            surface: Surface::Concrete,
            width_m: 3.0,
            status: RoadStatus::Completed,
            works: Works::Upgrade,
            track,
            manual_length_m: None,
            manual_reason: None,
            track_times: TrackTimes::Recorded,
        });
        next(&mut out, &c.villages[r % VILLAGES].id, captured, body);
    }
    out
}

fn user(username: &str, role: Role, province: Option<String>) -> NewUser {
    NewUser {
        username: username.into(),
        password_hash: hash_password("bench-password").unwrap(),
        role,
        commune_id: None,
        province,
        district: None,
    }
}

/// Creates the communes and their settings, loads their records; returns the versions loaded.
fn generate(storage: &dyn Storage, all: &[Commune], load: &mut dyn FnMut(Uuid, Vec<Version>)) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2025);
    for (i, c) in all.iter().enumerate() {
        storage.create_commune(c, &Default::default()).unwrap();
        storage
            .put_edition_settings(&c.id, &settings(c, i))
            .unwrap();
        let device = storage
            .ensure_seed_device(Uuid::now_v7(), &c.id, "generator")
            .unwrap()
            .device_id;
        load(device, commune_versions(c, device, &mut rng));
    }
    storage
        .create_user(&user("admin", Role::Admin, None))
        .unwrap();
    storage
        .create_user(&user(
            "officer",
            Role::Officer,
            Some(province_name(PROVINCES / 2)),
        ))
        .unwrap();
}

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small country then.
    let smoke = smoke();
    let communes = arg("--communes", if smoke { 2 * PROVINCES } else { 3_321 });
    let samples = arg("--samples", if smoke { 4 } else { 60 });
    let has_postgres = std::env::var(TEST_SERVER_VAR).is_ok();
    let backends = match (smoke, has_postgres) {
        (true, true) => vec![Backend::Sqlite, Backend::Postgres],
        (true, false) => vec![Backend::Sqlite],
        (false, true) => vec![Backend::Postgres],
        (false, false) => {
            println!("P8 skipped: it runs on PostgreSQL and {TEST_SERVER_VAR} is not set; `./dev bench` starts a server");
            return;
        }
    };
    for backend in backends {
        run(backend, communes, samples, smoke);
    }
}

fn run(backend: Backend, communes: usize, samples: usize, smoke: bool) {
    let dir = tempfile::tempdir().unwrap();
    let scratch = (backend == Backend::Postgres).then(ScratchDatabase::for_tests);
    let data = DataDir::create(dir.path())
        .unwrap()
        .with_database(scratch.as_ref().map(|d| d.url.clone()))
        .unwrap();
    let all: Vec<Commune> = (0..communes).map(commune).collect();
    let started = Instant::now();
    let mut versions = 0usize;
    if let Some(db) = &scratch {
        let storage = PostgresStorage::connect_with(&db.url, 1).unwrap();
        let mut next_seq = storage.next_server_seq().unwrap();
        generate(&storage, &all, &mut |device, mut vs| {
            let rows = bulk::prepare_rows(&mut vs, next_seq, Utc::now());
            next_seq += vs.len() as i64;
            versions += vs.len();
            storage
                .bulk_load(&rows, false, &[(device, vs.len() as u64)])
                .unwrap();
        });
        storage
            .with_write_transaction(|tx| tx.batch_execute("ANALYZE"))
            .unwrap();
    } else {
        let storage = SqliteStorage::open(&data.database()).unwrap();
        generate(&storage, &all, &mut |device, mut vs| {
            versions += vs.len();
            storage
                .with_write_transaction(|tx| {
                    let rows = bulk::prepare_rows(&mut vs, bulk::next_server_seq(tx)?, Utc::now());
                    bulk::insert_rows(tx, &rows, false)?;
                    bulk::set_high_water(tx, device, vs.len() as u64)
                })
                .unwrap();
        });
    }
    let label = match backend {
        Backend::Postgres => "P8 on PostgreSQL",
        Backend::Sqlite => "P8 on SQLite",
    };
    println!(
        "{label}: generated {communes} communes in {PROVINCES} provinces, {versions} versions, in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (base, storage) = start_server(&runtime, &data);
    let officer_province = province_name(PROVINCES / 2);
    let in_province: Vec<&Commune> = all
        .iter()
        .filter(|c| c.province == officer_province)
        .collect();
    // Phones in a few communes of the officer's province, to push between samples.
    let phones: Vec<(Slug, Slug, Uuid, String)> = in_province
        .iter()
        .take(8)
        .enumerate()
        .map(|(n, c)| {
            let (id, token) = device(&*storage, &c.id, n, "android");
            (c.id.clone(), c.villages[0].id.clone(), id, token)
        })
        .collect();
    let client = reqwest::Client::new();
    let (cold, province, national) = runtime.block_on(async {
        let session = |username: &'static str| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let login = client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&serde_json::json!({"username": username, "password": "bench-password"}))
                    .send()
                    .await
                    .unwrap();
                let token = login.json::<serde_json::Value>().await.unwrap()["token"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                format!("ntm_session={token}")
            }
        };
        let admin = session("admin").await;
        let officer = session("officer").await;
        let overview = |cookie: String| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let started = Instant::now();
                let resp = client
                    .get(format!("{base}/dashboard/overview"))
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                let page = resp.text().await.unwrap();
                (started.elapsed().as_secs_f64() * 1000.0, page)
            }
        };
        // Push `n` goes to phone `n % phones`, as that phone's push number `n / phones + 1`.
        let push = |n: usize| {
            let (commune, village, device_id, token) = &phones[n % phones.len()];
            let v = version(
                commune,
                Some(village),
                *device_id,
                (n / phones.len()) as u64 + 1,
                at("2026-11-20T08:00:00+07:00") + chrono::Duration::minutes(n as i64),
                check(Uuid::now_v7(), n as u64),
            );
            let body = PushRequest {
                device_id: *device_id,
                first_seq: v.device_seq,
                versions: vec![v],
            };
            let client = client.clone();
            let url = format!("{base}/api/v1/sync/push");
            let token = token.clone();
            async move {
                let resp = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                let answer: PushResponse = resp.json().await.unwrap();
                assert_eq!(answer.results[0].status, PushStatus::Stored);
            }
        };
        let rows = |page: &str| page.matches("<tr data-commune=").count();

        let (cold, page) = overview(admin.clone()).await;
        assert_eq!(
            rows(&page),
            communes,
            "the national overview lists every commune"
        );
        let mut province = Vec::new();
        for n in 0..samples {
            push(n).await;
            let (ms, page) = overview(officer.clone()).await;
            assert_eq!(rows(&page), in_province.len(), "the province's communes");
            province.push(ms);
        }
        let mut national = Vec::new();
        for n in 0..samples.div_ceil(2) {
            push(samples + n).await;
            let (ms, page) = overview(admin.clone()).await;
            assert_eq!(rows(&page), communes);
            national.push(ms);
        }
        (cold, province, national)
    });
    if smoke {
        return;
    }
    let mut province = province;
    let mut national = national;
    province.sort_by(f64::total_cmp);
    national.sort_by(f64::total_cmp);
    println!(
        "  first national overview after start (every scorecard computed): {:.0} ms",
        cold
    );
    println!(
        "{label} province overview ({} communes), {} requests each after a push: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (bar p95 <= 100 ms)",
        in_province.len(),
        province.len(),
        percentile(&province, 0.5),
        percentile(&province, 0.95),
        percentile(&province, 1.0)
    );
    println!(
        "{label} national overview ({communes} communes), {} requests each after a push: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms (bar p95 <= 500 ms)",
        national.len(),
        percentile(&national, 0.5),
        percentile(&national, 0.95),
        percentile(&national, 1.0)
    );
}
