//! P7: OpenRosa ingest (ODK Collect / KoboCollect submissions) over loopback HTTP from 4
//! concurrent clients, each sending household checks one after the other as Collect does
//! (one multipart POST per submission): without photos, and with one 200 KB photo. Beside it,
//! in the same run, the native push's records/s from the same 4 clients, one version per push
//! (the same one-record-per-request, one-COMMIT-per-record shape, against which the 20 % bar
//! is judged) and in batches of 500 JSON checks as P2 (printed beside it: one COMMIT per 500).
//! Bars: >= 200 submissions/s without photos, and >= 20 % of the native push's records/s.
//! Prints figures; asserts only that everything was stored once.
//!
//! `cargo bench -p ntm-server --bench p7_openrosa [-- --submissions N] [--backend sqlite|postgres|both]`
//! (N per client and kind, default 500). PostgreSQL runs on a scratch database of the server
//! at `NTM_TEST_POSTGRES_URL` (`./dev bench` starts one).

mod common;

use std::time::Instant;

use common::*;
use ntm_field::protocol::{PushRequest, PushResponse};
use ntm_server::storage::postgres::{ScratchDatabase, TEST_SERVER_VAR};
use ntm_server::DataDir;
use uuid::Uuid;

const CLIENTS: usize = 4;
const BATCH: usize = 500;
const PHOTO_BYTES: usize = 200_000;

/// A household check as Collect submits it, with an optional photo.
fn check_xml(instance: &str, household: Uuid, n: usize, photo: Option<&str>) -> Vec<u8> {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    format!(
        "<?xml version='1.0' ?><data id=\"household_check\" version=\"2026120101\" xmlns:orx=\"http://openrosa.org/xforms\"><start>2026-03-05T08:55:00.123+07:00</start><end>2026-03-05T09:10:00.456+07:00</end><deviceid>collect:bench</deviceid><village>thien-ke-01</village><new_household>no</new_household><household>{household}</household><toilet_type>septic</toilet_type><checklist_septic>tank_sealed tank_vent water_seal_pan outflow_safe flush_water clean_no_smell</checklist_septic><toilet_meets_standard>{}</toilet_meets_standard><bathroom_hygienic>{}</bathroom_hygienic><water_tank_hygienic>yes</water_tank_hygienic><clean_house>yes</clean_house><clean_kitchen>yes</clean_kitchen><clean_lane>yes</clean_lane><water_hygienic>yes</water_hygienic><water_clean>{}</water_clean><raises_livestock>no</raises_livestock><waste_handled>yes</waste_handled><drainage_ok>yes</drainage_ok><insurance_members>4</insurance_members><insured>{}</insured><children_measured>1</children_measured><children_stunted>0</children_stunted><photo_toilet>{}</photo_toilet><photo_other /><note /><meta><instanceID>{instance}</instanceID></meta></data>",
        yes_no(!n.is_multiple_of(3)),
        yes_no(!n.is_multiple_of(4)),
        yes_no(n.is_multiple_of(2)),
        n % 5,
        photo.unwrap_or("")
    )
    .into_bytes()
}

/// What one client sends: the XML of each submission and its photo, if any.
type Submissions = Vec<(Vec<u8>, Option<(String, Vec<u8>)>)>;

/// Submissions/s of `CLIENTS` clients sending theirs one at a time.
fn submit_all(runtime: &tokio::runtime::Runtime, urls: &[String], work: Vec<Submissions>) -> f64 {
    let total: usize = work.iter().map(Vec::len).sum();
    let client = reqwest::Client::new();
    let started = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = urls
            .iter()
            .zip(work)
            .map(|(url, submissions)| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    for (xml, photo) in submissions {
                        let mut form = reqwest::multipart::Form::new().part(
                            "xml_submission_file",
                            reqwest::multipart::Part::bytes(xml)
                                .file_name("submission.xml")
                                .mime_str("text/xml")
                                .unwrap(),
                        );
                        if let Some((name, bytes)) = photo {
                            form = form.part(
                                name.clone(),
                                reqwest::multipart::Part::bytes(bytes)
                                    .file_name(name)
                                    .mime_str("image/jpeg")
                                    .unwrap(),
                            );
                        }
                        let r = client
                            .post(&url)
                            .header("X-OpenRosa-Version", "1.0")
                            .multipart(form)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    total as f64 / started.elapsed().as_secs_f64()
}

/// Each device's pushes one after the other, the devices at once.
fn push_all(
    runtime: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    base: &str,
    pushers: &[(Uuid, String)],
    bodies: Vec<Vec<Vec<u8>>>,
) {
    runtime.block_on(async {
        let tasks: Vec<_> = pushers
            .iter()
            .zip(bodies)
            .map(|((_, token), bodies)| {
                let (client, token) = (client.clone(), token.clone());
                let url = format!("{base}/api/v1/sync/push");
                tokio::spawn(async move {
                    for body in bodies {
                        let r = client
                            .post(&url)
                            .bearer_auth(&token)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(r.status(), 200);
                        let _: PushResponse = r.json().await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let smoke = smoke();
    let per_client: usize = text_arg("--submissions")
        .and_then(|n| n.parse().ok())
        .unwrap_or(if smoke { 5 } else { 500 });
    let postgres = std::env::var(TEST_SERVER_VAR).is_ok();
    let backends: Vec<bool> = match text_arg("--backend").as_deref() {
        Some("sqlite") => vec![false],
        Some("postgres") => vec![true],
        _ if postgres => vec![false, true],
        _ => {
            println!(
                "(PostgreSQL skipped: {TEST_SERVER_VAR} is not set; `./dev bench` starts a server)"
            );
            vec![false]
        }
    };
    for on_postgres in backends {
        run(on_postgres, per_client, smoke);
    }
}

fn run(on_postgres: bool, per_client: usize, smoke: bool) {
    let backend = if on_postgres { "PostgreSQL" } else { "SQLite" };
    let demo = ntm_field::demo::thien_ke().unwrap();
    let commune = demo.config.commune.id.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = on_postgres.then(ScratchDatabase::for_tests);
    let data_dir = DataDir::create(dir.path())
        .unwrap()
        .with_database(db.as_ref().map(|d| d.url.clone()))
        .unwrap();
    let (base, storage) = start_server(&runtime, &data_dir);
    storage
        .create_commune(&demo.config.commune, &demo.config.responsibilities)
        .unwrap();
    let household = Uuid::now_v7();
    let collectors: Vec<String> = (0..CLIENTS)
        .map(|n| {
            let (_, token) = device(&*storage, &commune, n, "odk-collect");
            format!("{base}/odk/key/{token}/submission")
        })
        .collect();
    let build = |with_photo: bool| -> Vec<Submissions> {
        (0..CLIENTS)
            .map(|c| {
                (0..per_client)
                    .map(|i| {
                        let n = c * per_client + i;
                        let instance = format!("uuid:{}", Uuid::now_v7());
                        let photo = with_photo.then(|| {
                            let mut bytes = vec![0u8; PHOTO_BYTES];
                            bytes[..8].copy_from_slice(&(n as u64).to_le_bytes());
                            bytes[8] = 1;
                            (format!("{n}.jpg"), bytes)
                        });
                        let name = photo.as_ref().map(|(name, _)| name.as_str());
                        (check_xml(&instance, household, n, name), photo.clone())
                    })
                    .collect()
            })
            .collect()
    };
    let plain = submit_all(&runtime, &collectors, build(false));
    let with_photo = submit_all(&runtime, &collectors, build(true));
    let submitted = 2 * CLIENTS * per_client;
    assert_eq!(
        storage.commune_versions(&commune).unwrap().len(),
        submitted,
        "each submission stored once"
    );

    // The native push in the same run: 4 devices, batches of 500 JSON checks.
    let batches = if smoke { 1 } else { 4 };
    let pushers: Vec<(Uuid, String)> = (0..CLIENTS)
        .map(|n| device(&*storage, &commune, 100 + n, "bench"))
        .collect();
    let village = demo.config.commune.villages[0].id.clone();
    let bodies: Vec<Vec<Vec<u8>>> = pushers
        .iter()
        .map(|(device_id, _)| {
            (0..batches)
                .map(|b| {
                    let first_seq = (b * BATCH + 1) as u64;
                    let versions: Vec<_> = (0..BATCH)
                        .map(|i| {
                            version(
                                &commune,
                                Some(&village),
                                *device_id,
                                first_seq + i as u64,
                                at("2026-03-05T09:00:00+07:00"),
                                check(household, i as u64),
                            )
                        })
                        .collect();
                    serde_json::to_vec(&PushRequest {
                        device_id: *device_id,
                        first_seq,
                        versions,
                    })
                    .unwrap()
                })
                .collect()
        })
        .collect();
    let client = reqwest::Client::new();
    let started = Instant::now();
    push_all(&runtime, &client, &base, &pushers, bodies);
    let native = (CLIENTS * batches * BATCH) as f64 / started.elapsed().as_secs_f64();

    // And one version per push, as Collect sends one submission per POST.
    let singles = if smoke { 5 } else { per_client };
    let single_bodies: Vec<Vec<Vec<u8>>> = pushers
        .iter()
        .map(|(device_id, _)| {
            let first = (batches * BATCH) as u64;
            (1..=singles as u64)
                .map(|i| {
                    let v = version(
                        &commune,
                        Some(&village),
                        *device_id,
                        first + i,
                        at("2026-03-05T09:00:00+07:00"),
                        check(household, i),
                    );
                    serde_json::to_vec(&PushRequest {
                        device_id: *device_id,
                        first_seq: first + i,
                        versions: vec![v],
                    })
                    .unwrap()
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    push_all(&runtime, &client, &base, &pushers, single_bodies);
    let native_single = (CLIENTS * singles) as f64 / started.elapsed().as_secs_f64();
    drop(storage);
    drop(runtime);

    let verdict = |pass: bool| if pass { "PASS" } else { "FAIL" };
    println!("P7 OpenRosa ingest on {backend}: {CLIENTS} clients x {per_client} household checks each, one multipart POST per submission, over loopback");
    println!("  without photos:            {plain:>8.1} submissions/s");
    println!(
        "  with one {} KB photo:     {with_photo:>8.1} submissions/s",
        PHOTO_BYTES / 1000
    );
    println!("  native push, one version per push: {native_single:>8.1} records/s");
    println!("  native push, batches of {BATCH}:     {native:>8.0} records/s");
    println!(
        "P7 bar >= 200 submissions/s without photos ({backend}): {plain:.1} submissions/s {}",
        verdict(plain >= 200.0)
    );
    println!(
        "P7 bar >= 20 % of the native push's records/s, one record per request ({backend}): {:.0} % ({plain:.1} of {native_single:.1}) {}",
        100.0 * plain / native_single,
        verdict(plain >= 0.2 * native_single)
    );
    println!(
        "P7 against the native push in batches of {BATCH} ({backend}): {:.1} % ({plain:.1} of {native:.0}) INFO",
        100.0 * plain / native
    );
    println!("P7 with one 200 KB photo, no bar ({backend}): {with_photo:.1} submissions/s INFO");
}
