//! P5: phone-side speed (quality bar in design/quality.md): saving a record, the offline
//! scorecard over 3,000 households and 10,000 checks, and taking in a 12-megapixel photo.
//!
//! Run: `cargo bench --features device --bench p5_phone`. Prints figures and a PASS/FAIL word
//! per bar in its last lines; asserts nothing.
//!
//! - save: 1,000 household checks through `Store::create` (core validation, one SQLite
//!   transaction of version + outbox entry, WAL, `synchronous=FULL`) into a store that already
//!   holds the 13,000 records below; p50 and p99;
//! - scorecard: `Store::scorecard` over 3,000 households and 10,000 checks (pulled as a phone
//!   pulls them), the first call after opening (reads and parses every record) and then warm
//!   (p50, p99 of 20);
//! - household search: `Store::households` per keystroke of five searches typed without accents
//!   ("tuan" for "Tuấn"), with and without the village filter, a check saved before each; p50
//!   and p99;
//! - photo: a 4000 x 3000 camera-like JPEG (made here) through `photo::intake` to 1600 px, with
//!   thumbnail and hash; median of 5.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate};
use image::{DynamicImage, Rgb, RgbImage};
use ntm_field::protocol::{EnrollResponse, PullResponse, Role};
use ntm_field::record::{
    Body, ChildrenUnder5, HealthInsurance, Household, HouseholdCheck, Livestock, ThreeCleans,
    Toilet, ToiletType, Version, Water,
};
use ntm_field::store::{Draft, HouseholdFilter, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const HOUSEHOLDS: usize = 3_000;
const CHECKS: usize = 10_000;

fn check(rng: &mut StdRng, household_id: Uuid) -> HouseholdCheck {
    let raises = rng.random_bool(0.6);
    HouseholdCheck {
        household_id,
        toilet: Toilet {
            toilet_type: ToiletType::Septic,
            meets_standard: rng.random_bool(0.7),
            checklist: Default::default(),
        },
        bathroom_hygienic: rng.random_bool(0.8),
        water_tank_hygienic: rng.random_bool(0.8),
        three_cleans: ThreeCleans {
            house: true,
            kitchen: rng.random_bool(0.9),
            lane: true,
        },
        water: Water {
            hygienic: true,
            clean: rng.random_bool(0.6),
        },
        livestock: Livestock {
            raises,
            pen_hygienic: raises.then(|| rng.random_bool(0.5)),
        },
        waste_handled: true,
        drainage_ok: true,
        health_insurance: HealthInsurance {
            members: 4,
            insured: rng.random_range(0..=4),
        },
        children_under5: ChildrenUnder5 {
            measured: 1,
            stunted: rng.random_range(0..=1),
        },
        note: String::new(),
    }
}

/// A Vietnamese name for household `i`: ten family names, five middle and ten given names.
fn head_name(i: usize) -> String {
    const FAMILY: [&str; 10] = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hà",
    ];
    const MIDDLE: [&str; 5] = ["Văn", "Thị", "Hữu", "Quang", "Đức"];
    const GIVEN: [&str; 10] = [
        "Tuấn", "Nga", "Cường", "Hoa", "Thủy", "Minh", "Lan", "Hùng", "Dũng", "Hương",
    ];
    format!(
        "{} {} {}",
        FAMILY[i % 10],
        MIDDLE[(i / 10) % 5],
        GIVEN[(i / 50) % 10]
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let demo = ntm_field::demo::thien_ke().unwrap();
    let villages: Vec<_> = demo
        .config
        .commune
        .villages
        .iter()
        .map(|v| v.id.clone())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let device_id = Uuid::now_v7();
    let store = Store::open(dir.path()).unwrap();
    store
        .enroll(
            "https://ntm.example.vn",
            &EnrollResponse {
                device_id,
                token: "t".into(),
                role: Role::Enumerator,
                commune: demo.config.commune.clone(),
            },
        )
        .unwrap();

    // What other phones wrote, pulled in pages of 500.
    let mut rng = StdRng::seed_from_u64(5);
    let other = Uuid::now_v7();
    let t0 = DateTime::parse_from_rfc3339("2020-02-01T08:00:00+07:00").unwrap();
    let mut seq = 0;
    let mut version = |entity: Uuid, village: usize, at: DateTime<FixedOffset>, body: Body| {
        seq += 1;
        Version {
            version_id: Uuid::now_v7(),
            entity_id: entity,
            parents: vec![],
            village_id: Some(villages[village % villages.len()].clone()),
            commune_id: demo.config.commune.id.clone(),
            device_id: other,
            device_seq: seq,
            author: Some("cán bộ".into()),
            server_seq: Some(seq),
            flags: vec![],
            captured_at: at,
            observed_on: None,
            location: None,
            photos: vec![],
            deleted: false,
            body,
        }
    };
    let mut versions = demo.versions.clone();
    let mut household_ids = Vec::new();
    for i in 0..HOUSEHOLDS {
        let id = Uuid::now_v7();
        household_ids.push((id, i));
        let body = Body::Household(Household {
            code: format!("H{i:05}"),
            head_name: head_name(i),
            members: 4,
            address: String::new(),
        });
        versions.push(version(id, i, t0, body));
    }
    for j in 0..CHECKS {
        let (hh, village) = household_ids[rng.random_range(0..HOUSEHOLDS)];
        let at = t0 + chrono::Duration::minutes(j as i64 * 7);
        versions.push(version(
            Uuid::now_v7(),
            village,
            at,
            Body::HouseholdCheck(check(&mut rng, hh)),
        ));
    }
    let mut cursor = 0;
    for chunk in versions.chunks(500) {
        cursor += chunk.len() as u64;
        store
            .sync_apply_pull(&PullResponse {
                versions: chunk.to_vec(),
                next_cursor: cursor,
                up_to_date: false,
                config: Some(demo.config.clone()),
                config_etag: "1".into(),
            })
            .unwrap();
    }
    drop(store);

    // Scorecard: first call after opening, then warm.
    let as_of = NaiveDate::from_ymd_opt(2020, 12, 31).unwrap();
    let store = Store::open(dir.path()).unwrap();
    let start = Instant::now();
    let card = store.scorecard(as_of).unwrap().unwrap();
    let cold = start.elapsed();
    let coverage = card.indicator("17.6").unwrap().coverage.unwrap();
    let mut warm: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(store.scorecard(as_of).unwrap());
            start.elapsed()
        })
        .collect();
    warm.sort();

    // Saving a record.
    let mut saves: Vec<Duration> = (0..1000)
        .map(|i| {
            let (hh, village) = household_ids[i % HOUSEHOLDS];
            let draft = Draft::new(
                Body::HouseholdCheck(check(&mut rng, hh)),
                Some(villages[village % villages.len()].clone()),
            );
            let start = Instant::now();
            store.create(draft).unwrap();
            start.elapsed()
        })
        .collect();
    saves.sort();

    // Household search as it is typed, a keystroke at a time, without accents, with the list's
    // village filter or not; a check saved before each word, so that the first keystroke after
    // it also pays for rebuilding the list.
    let words = ["tuan", "nguyen van", "dang thi nga", "H0042", "hoang huu"];
    let mut searches: Vec<Duration> = Vec::new();
    let mut found = 0;
    for round in 0..20 {
        let (hh, village) = household_ids[round * 37 % HOUSEHOLDS];
        store
            .create(Draft::new(
                Body::HouseholdCheck(check(&mut rng, hh)),
                Some(villages[village % villages.len()].clone()),
            ))
            .unwrap();
        let word = words[round % words.len()];
        let village_filter = (round % 2 == 0).then(|| villages[round % villages.len()].clone());
        for end in 1..=word.len() {
            let filter = HouseholdFilter {
                village_id: village_filter.clone(),
                search: Some(word[..end].to_owned()),
                checked: None,
            };
            let start = Instant::now();
            let rows = store.households(&filter).unwrap();
            searches.push(start.elapsed());
            found += rows.len();
        }
    }
    searches.sort();

    // Baselines measured in the same run (the machine is shared and noisy): the same row and
    // outbox entry written straight into SQLite in one transaction with the store's pragmas,
    // and the core scorecard over the same versions already in memory.
    let raw_dir = tempfile::tempdir().unwrap();
    let raw = rusqlite::Connection::open(raw_dir.path().join("raw.sqlite3")).unwrap();
    raw.pragma_update(None, "journal_mode", "WAL").unwrap();
    raw.pragma_update(None, "synchronous", "FULL").unwrap();
    raw.execute_batch(
        "CREATE TABLE v (id TEXT PRIMARY KEY, json TEXT NOT NULL);
         CREATE TABLE o (seq INTEGER PRIMARY KEY, id TEXT NOT NULL);",
    )
    .unwrap();
    let sample = serde_json::to_string(&versions[versions.len() - 1]).unwrap();
    let mut raw_saves: Vec<Duration> = (0..1000)
        .map(|i| {
            let start = Instant::now();
            let tx = raw.unchecked_transaction().unwrap();
            tx.execute(
                "INSERT INTO v (id, json) VALUES (?1, ?2)",
                rusqlite::params![i.to_string(), sample],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO o (seq, id) VALUES (?1, ?2)",
                rusqlite::params![i, i.to_string()],
            )
            .unwrap();
            tx.commit().unwrap();
            start.elapsed()
        })
        .collect();
    raw_saves.sort();
    let all = store.versions().unwrap();
    let config = store.config().unwrap().unwrap();
    let mut core: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(ntm_field::scorecard::scorecard(
                ntm_field::catalog::Catalog::builtin(),
                &config,
                &all,
                as_of,
            ));
            start.elapsed()
        })
        .collect();
    core.sort();

    // A 12-megapixel camera picture: smooth shading plus sensor-like noise, JPEG quality 92.
    let (w, h) = (4000u32, 3000u32);
    let img = RgbImage::from_fn(w, h, |x, y| {
        let n = ((x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 13) as u8 & 0x1f;
        Rgb([
            ((x * 200 / w) as u8).wrapping_add(n),
            ((y * 180 / h) as u8).wrapping_add(n / 2),
            (((x + y) / 40) as u8).wrapping_add(n),
        ])
    });
    let mut original = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut original, 92)
        .encode_image(&DynamicImage::ImageRgb8(img))
        .unwrap();
    let mut photos: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let p =
                ntm_field::photo::intake(&original, ntm_field::photo::DEFAULT_LONG_EDGE).unwrap();
            let d = start.elapsed();
            assert_eq!(p.width, 1600);
            d
        })
        .collect();
    photos.sort();
    let stored = ntm_field::photo::intake(&original, 1600).unwrap();

    let pass = |ok: bool| if ok { "PASS" } else { "FAIL" };
    println!(
        "P5 phone-side ({HOUSEHOLDS} households, {CHECKS} checks in the store; {} checked)",
        coverage.checked
    );
    println!(
        "  save a record          p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (1000 saves)",
        ms(percentile(&saves, 0.5)),
        ms(percentile(&saves, 0.99)),
        ms(saves[saves.len() - 1])
    );
    println!(
        "  household search       p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} keystrokes, {found} rows found)",
        ms(percentile(&searches, 0.5)),
        ms(percentile(&searches, 0.99)),
        ms(searches[searches.len() - 1]),
        searches.len()
    );
    println!(
        "  offline scorecard      first after open {:.1} ms; warm p50 {:.1} ms  p99 {:.1} ms",
        ms(cold),
        ms(percentile(&warm, 0.5)),
        ms(percentile(&warm, 0.99))
    );
    println!(
        "  baselines (same run)   raw SQLite insert + outbox row p50 {:.2} ms p99 {:.2} ms; core scorecard in memory p50 {:.1} ms p99 {:.1} ms",
        ms(percentile(&raw_saves, 0.5)),
        ms(percentile(&raw_saves, 0.99)),
        ms(percentile(&core, 0.5)),
        ms(percentile(&core, 0.99))
    );
    println!(
        "  ratios                 save p99 / raw p99 {:.2}; store scorecard p50 / core p50 {:.2}",
        percentile(&saves, 0.99).as_secs_f64() / percentile(&raw_saves, 0.99).as_secs_f64(),
        percentile(&warm, 0.5).as_secs_f64() / percentile(&core, 0.5).as_secs_f64()
    );
    println!(
        "  12 MP photo -> 1600 px median {:.0} ms  max {:.0} ms  ({} KB in, {} KB stored, {} KB thumbnail)",
        ms(percentile(&photos, 0.5)),
        ms(photos[photos.len() - 1]),
        original.len() / 1024,
        stored.jpeg.len() / 1024,
        stored.thumbnail.len() / 1024
    );
    println!(
        "P5 bar save p99 <= 5 ms: {:.2} ms {}",
        ms(percentile(&saves, 0.99)),
        pass(percentile(&saves, 0.99) <= Duration::from_millis(5))
    );
    println!(
        "P5 bar household search <= 50 ms (p99 per keystroke): {:.2} ms {}",
        ms(percentile(&searches, 0.99)),
        pass(percentile(&searches, 0.99) <= Duration::from_millis(50))
    );
    println!(
        "P5 bar scorecard <= 50 ms (warm p99): {:.1} ms {}",
        ms(percentile(&warm, 0.99)),
        pass(percentile(&warm, 0.99) <= Duration::from_millis(50))
    );
    println!(
        "P5 (no bar) scorecard first call after opening the store, reading every record: {:.1} ms",
        ms(cold)
    );
    println!(
        "P5 bar 12 MP photo <= 1.5 s (median): {:.0} ms {}",
        ms(percentile(&photos, 0.5)),
        pass(percentile(&photos, 0.5) <= Duration::from_millis(1500))
    );
}
