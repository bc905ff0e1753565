//! Simulated phones for the device tests: a real device store in a temporary directory, the real
//! sync engine, and fakes only for phone hardware (the clock, the camera's pictures).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use image::{DynamicImage, Rgb, RgbImage};
use ntm_field::ids::Slug;
use ntm_field::protocol::{EnrollmentRequest, Role};
use ntm_field::record::{
    Body, ChildrenUnder5, HealthInsurance, Household, HouseholdCheck, Livestock, Location,
    LocationSource, RoadClass, RoadSegment, RoadStatus, SignCondition, SignType, Surface,
    ThreeCleans, Toilet, ToiletType, TrackTimes, TrashSign, Version, Water, Works,
};
use ntm_field::store::{Clock, Draft, Store};
use ntm_field::sync::{Client, SyncEngine, SyncError, SyncOptions, SyncReport};
use uuid::Uuid;

use crate::server::Api;

/// The phone's clock: the real time plus an offset the test sets (a year off, a step back).
pub struct SkewedClock {
    offset_ms: AtomicI64,
}

impl SkewedClock {
    pub fn new() -> Arc<Self> {
        Arc::new(SkewedClock {
            offset_ms: AtomicI64::new(0),
        })
    }

    /// Sets the clock `offset` away from the real time.
    pub fn set_offset(&self, offset: chrono::Duration) {
        self.offset_ms
            .store(offset.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for SkewedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        let t = Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst));
        t.with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap())
    }
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

/// A household registration form.
pub fn household_draft(code: &str, village: &str) -> Draft {
    Draft::new(
        Body::Household(Household {
            code: code.into(),
            head_name: format!("Chủ hộ {code}"),
            members: 4,
            address: String::new(),
        }),
        Some(slug(village)),
    )
}

/// A household check that passes 17.6 or not.
pub fn household_check_body(household_id: Uuid, passes: bool) -> HouseholdCheck {
    HouseholdCheck {
        household_id,
        toilet: Toilet {
            toilet_type: ToiletType::Septic,
            meets_standard: passes,
            checklist: Default::default(),
        },
        bathroom_hygienic: true,
        water_tank_hygienic: true,
        three_cleans: ThreeCleans {
            house: true,
            kitchen: true,
            lane: passes,
        },
        water: Water {
            hygienic: true,
            clean: passes,
        },
        livestock: Livestock {
            raises: true,
            pen_hygienic: Some(passes),
        },
        waste_handled: true,
        drainage_ok: true,
        health_insurance: HealthInsurance {
            members: 4,
            insured: if passes { 4 } else { 2 },
        },
        children_under5: ChildrenUnder5 {
            measured: 1,
            stunted: u32::from(!passes),
        },
        note: String::new(),
    }
}

pub fn check_draft(household: &Version, passes: bool) -> Draft {
    Draft::new(
        Body::HouseholdCheck(household_check_body(household.entity_id, passes)),
        household.village_id.clone(),
    )
}

fn location(at: DateTime<FixedOffset>) -> Location {
    Location {
        lat: 21.78,
        lon: 105.33,
        accuracy_m: 4.5,
        altitude_m: None,
        fix_at: at,
        source: LocationSource::Gps,
    }
}

/// A completed concrete field road of about `metres`, walked east at 1 fix a second.
pub fn road_draft(village: &str, metres: f64, at: DateTime<FixedOffset>) -> Draft {
    let n = (metres / 8.0).ceil().max(1.0) as usize;
    // About 111,320 m per degree of latitude; going east at 21.78 N, about 103,370 m per degree.
    let track = (0..=n)
        .map(|i| ntm_field::geo::TrackPoint {
            lat: 21.78,
            lon: 105.30 + (i as f64 * metres / n as f64) / 103_370.0,
            accuracy_m: 4.0,
            t: at + chrono::Duration::seconds(i as i64),
        })
        .collect();
    let mut d = Draft::new(
        Body::RoadSegment(RoadSegment {
            name: "Đường nội đồng".into(),
            road_class: RoadClass::FieldMain,
            surface: Surface::Concrete,
            width_m: 3.0,
            status: RoadStatus::Completed,
            works: Works::Upgrade,
            track,
            manual_length_m: None,
            manual_reason: None,
            track_times: TrackTimes::Recorded,
        }),
        Some(slug(village)),
    );
    d.location = Some(location(at));
    d
}

pub fn sign_draft(village: &str, at: DateTime<FixedOffset>) -> Draft {
    let mut d = Draft::new(
        Body::TrashSign(TrashSign {
            sign_type: SignType::NoDumping,
            condition: SignCondition::Good,
            responsible_household_id: None,
            note: String::new(),
        }),
        Some(slug(village)),
    );
    d.location = Some(location(at));
    d
}

/// A camera-like JPEG (gradient plus noise), different for each `seed`.
pub fn camera_jpeg(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        let n = ((x as u64).wrapping_mul(2_654_435_761)
            ^ (y as u64).wrapping_mul(40_503)
            ^ seed.wrapping_mul(97))
            >> 7;
        Rgb([
            (x * 255 / w) as u8 ^ (n as u8 & 0x0f),
            (y * 255 / h) as u8,
            (seed as u8).wrapping_add((n >> 8) as u8 & 0x3f),
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&DynamicImage::ImageRgb8(img))
        .unwrap();
    out
}

/// A simulated phone: its own store file and sync engine.
pub struct TestPhone {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub engine: Arc<SyncEngine>,
    pub clock: Arc<SkewedClock>,
}

/// Engine options for tests on loopback: short timeouts and backoff.
pub fn test_options() -> SyncOptions {
    SyncOptions {
        request_timeout: Duration::from_secs(10),
        backoff: ntm_field::sync::Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(400),
        },
        ..SyncOptions::default()
    }
}

impl TestPhone {
    /// A new phone enrolled with `code` at `server_url`.
    pub async fn enroll(server_url: &str, code: &str, options: SyncOptions) -> TestPhone {
        let dir = tempfile::tempdir().unwrap();
        let clock = SkewedClock::new();
        let store = Arc::new(Store::open(dir.path()).unwrap().with_clock(clock.clone()));
        SyncEngine::enroll(&store, server_url, code, "test phone", "test")
            .await
            .expect("enrollment");
        let engine = Arc::new(SyncEngine::new(store.clone(), options));
        TestPhone {
            dir,
            store,
            engine,
            clock,
        }
    }

    pub async fn sync(&self) -> Result<SyncReport, SyncError> {
        self.engine.sync_once().await
    }

    /// Syncs until a round succeeds, retrying transient failures (at most `tries` rounds).
    pub async fn sync_until_done(&self, tries: usize) -> SyncReport {
        let mut last = None;
        for _ in 0..tries {
            match self.sync().await {
                Ok(r) => return r,
                Err(e) if e.is_transient() => {
                    last = Some(e.to_string());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("sync failed for good: {e}"),
            }
        }
        panic!("sync did not complete in {tries} rounds: {last:?}");
    }

    pub fn device_id(&self) -> Uuid {
        self.store.enrollment().unwrap().unwrap().device_id
    }
}

/// Creates the Thiện Kế demo commune (its villages; no records) as the administrator.
pub async fn create_demo_commune(admin: &Api) {
    let commune = ntm_field::demo::thien_ke().unwrap().config.commune;
    let r = admin
        .post("/api/v1/communes", &serde_json::to_value(&commune).unwrap())
        .await;
    assert!(
        r.status == 201 || r.status == 200 || r.status == 409,
        "create commune: {} {:?}",
        r.status,
        r.body
    );
}

/// A one-time enrollment code for `commune`.
pub async fn enrollment_code(admin: &Api, commune: &str, role: Role) -> String {
    let request = EnrollmentRequest {
        role,
        expires_in_hours: 2,
        holder: Some("Cán bộ thôn".into()),
    };
    let r = admin
        .post(
            &format!("/api/v1/communes/{commune}/enrollments"),
            &serde_json::to_value(&request).unwrap(),
        )
        .await;
    assert!(
        r.status == 200 || r.status == 201,
        "enrollment: {} {:?}",
        r.status,
        r.body
    );
    r.body["code"].as_str().expect("a code").to_owned()
}

/// The server's scorecard as JSON.
pub async fn server_scorecard(admin: &Api, commune: &str, as_of: &str) -> serde_json::Value {
    let r = admin
        .get(&format!(
            "/api/v1/communes/{commune}/scorecard?as_of={as_of}"
        ))
        .await;
    assert_eq!(r.status, 200, "scorecard: {:?}", r.body);
    r.body
}

/// Asserts that a phone's offline scorecard has the server's figures, indicator by indicator
/// and measure by measure (the server's JSON may carry more fields).
pub fn assert_same_scorecard(local: &ntm_field::scorecard::Scorecard, remote: &serde_json::Value) {
    let local_json = serde_json::to_value(local).unwrap();
    assert_eq!(local_json["criteria_met"], remote["criteria_met"]);
    let list = |v: &serde_json::Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    assert_eq!(
        list(&local_json, "criteria").len(),
        list(remote, "criteria").len()
    );
    for (lc, rc) in list(&local_json, "criteria")
        .iter()
        .zip(list(remote, "criteria").iter())
    {
        for (li, ri) in list(lc, "indicators")
            .iter()
            .zip(list(rc, "indicators").iter())
        {
            for key in [
                "id",
                "numerator",
                "denominator",
                "value",
                "met",
                "gap",
                "coverage",
                "conflicts",
            ] {
                assert_eq!(li[key], ri[key], "indicator {} field {key}", li["id"]);
            }
        }
    }
    for (lm, rm) in list(&local_json, "measures")
        .iter()
        .zip(list(remote, "measures").iter())
    {
        assert_eq!(lm["value"], rm["value"], "measure {}", lm["id"]);
    }
}

/// Everything the server holds for a commune, as a device sees it: every pulled version, in
/// server order (duplicates, if the server ever stored one twice, included).
pub async fn server_versions(server_url: &str, token: &str) -> Vec<Version> {
    let client = Client::new(server_url, Some(token.to_owned()), Duration::from_secs(30)).unwrap();
    let mut cursor = 0;
    let mut out = Vec::new();
    loop {
        let page = client.pull(cursor, 1000, None, false).await.expect("pull");
        out.extend(page.versions);
        if page.up_to_date {
            return out;
        }
        assert!(page.next_cursor > cursor);
        cursor = page.next_cursor;
    }
}

/// The SHA-256 of every photo the server serves, checked against its id.
pub async fn server_photo_hashes_match(
    server_url: &str,
    token: &str,
    ids: &[ntm_field::ids::PhotoId],
) {
    use sha2::Digest;
    let http = reqwest::Client::new();
    for id in ids {
        let resp = http
            .get(format!("{server_url}/api/v1/blobs/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "photo {id}: {}", resp.status());
        let bytes = resp.bytes().await.unwrap();
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&bytes)),
            id.to_hex(),
            "photo {id} hashes to its id"
        );
    }
}
