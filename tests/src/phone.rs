//! Simulated phones for the device tests: a real device store in a temporary directory, the real
//! sync engine, and fakes only for phone hardware (the clock, the camera's pictures).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use image::{DynamicImage, Rgb, RgbImage};
use ntm_field::ids::Slug;
use ntm_field::protocol::{EnrollmentRequest, EnrollmentResponse, LoginRequest, LoginResponse, Role};
use ntm_field::record::{
    Body, ChildrenUnder5, HealthInsurance, Household, HouseholdCheck, Livestock, Location, LocationSource, RoadClass,
    RoadSegment, RoadStatus, SignCondition, SignType, Surface, ThreeCleans, Toilet, ToiletType, TrashSign, Version, Water,
    Works,
};
use ntm_field::store::{Clock, Draft, Store};
use ntm_field::sync::{Client, SyncEngine, SyncError, SyncOptions, SyncReport};
use uuid::Uuid;

/// The phone's clock: the real time plus an offset the test sets (a year off, a step back).
pub struct SkewedClock {
    offset_ms: AtomicI64,
}

impl SkewedClock {
    pub fn new() -> Arc<Self> {
        Arc::new(SkewedClock { offset_ms: AtomicI64::new(0) })
    }

    /// Sets the clock `offset` away from the real time.
    pub fn set_offset(&self, offset: chrono::Duration) {
        self.offset_ms.store(offset.num_milliseconds(), Ordering::SeqCst);
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
        Body::Household(Household { code: code.into(), head_name: format!("Chủ hộ {code}"), members: 4, address: String::new() }),
        Some(slug(village)),
    )
}

/// A household check that passes 17.6 or not.
pub fn household_check_body(household_id: Uuid, passes: bool) -> HouseholdCheck {
    HouseholdCheck {
        household_id,
        toilet: Toilet { toilet_type: ToiletType::Septic, meets_standard: passes, checklist: Default::default() },
        bathroom_hygienic: true,
        water_tank_hygienic: true,
        three_cleans: ThreeCleans { house: true, kitchen: true, lane: passes },
        water: Water { hygienic: true, clean: passes },
        livestock: Livestock { raises: true, pen_hygienic: Some(passes) },
        waste_handled: true,
        drainage_ok: true,
        health_insurance: HealthInsurance { members: 4, insured: if passes { 4 } else { 2 } },
        children_under5: ChildrenUnder5 { measured: 1, stunted: u32::from(!passes) },
        note: String::new(),
    }
}

pub fn check_draft(household: &Version, passes: bool) -> Draft {
    Draft::new(Body::HouseholdCheck(household_check_body(household.entity_id, passes)), household.village_id.clone())
}

fn location(at: DateTime<FixedOffset>) -> Location {
    Location { lat: 21.78, lon: 105.33, accuracy_m: 4.5, altitude_m: None, fix_at: at, source: LocationSource::Gps }
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
        let n = ((x as u64).wrapping_mul(2_654_435_761) ^ (y as u64).wrapping_mul(40_503) ^ seed.wrapping_mul(97)) >> 7;
        Rgb([(x * 255 / w) as u8 ^ (n as u8 & 0x0f), (y * 255 / h) as u8, (seed as u8).wrapping_add((n >> 8) as u8 & 0x3f)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&DynamicImage::ImageRgb8(img)).unwrap();
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
        backoff: ntm_field::sync::Backoff { base: Duration::from_millis(20), cap: Duration::from_millis(400) },
        ..SyncOptions::default()
    }
}

impl TestPhone {
    /// A new phone enrolled with `code` at `server_url`.
    pub async fn enroll(server_url: &str, code: &str, options: SyncOptions) -> TestPhone {
        let dir = tempfile::tempdir().unwrap();
        let clock = SkewedClock::new();
        let store = Arc::new(Store::open(dir.path()).unwrap().with_clock(clock.clone()));
        SyncEngine::enroll(&store, server_url, code, "test phone", "test").await.expect("enrollment");
        let engine = Arc::new(SyncEngine::new(store.clone(), options));
        TestPhone { dir, store, engine, clock }
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

/// The administrator's side of the server, over its HTTP API.
pub struct Admin {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Admin {
    pub async fn login(base: &str, username: &str, password: &str) -> Admin {
        let http = reqwest::Client::new();
        let resp = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&LoginRequest { username: username.into(), password: password.into() })
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "login: {}", resp.status());
        let token = resp.json::<LoginResponse>().await.unwrap().token;
        Admin { http, base: base.to_owned(), token }
    }

    /// Creates the Thiện Kế demo commune (its villages; no records).
    pub async fn create_demo_commune(&self) {
        let commune = ntm_field::demo::thien_ke().unwrap().config.commune;
        let resp = self
            .http
            .post(format!("{}/api/v1/communes", self.base))
            .bearer_auth(&self.token)
            .json(&commune)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success() || resp.status() == 409, "create commune: {}", resp.status());
    }

    /// A one-time enrollment code for `commune`.
    pub async fn enrollment_code(&self, commune: &str, role: Role) -> String {
        let resp = self
            .http
            .post(format!("{}/api/v1/communes/{commune}/enrollments", self.base))
            .bearer_auth(&self.token)
            .json(&EnrollmentRequest { role, expires_in_hours: 2, holder: Some("Cán bộ thôn".into()) })
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "enrollment: {} {}", resp.status(), resp.text().await.unwrap_or_default());
        resp.json::<EnrollmentResponse>().await.unwrap().code
    }

    /// The server's scorecard as JSON.
    pub async fn scorecard(&self, commune: &str, as_of: &str) -> serde_json::Value {
        let resp = self
            .http
            .get(format!("{}/api/v1/communes/{commune}/scorecard?as_of={as_of}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "scorecard: {}", resp.status());
        resp.json().await.unwrap()
    }
}

/// Everything the server holds for a commune, as a device sees it: every pulled version, in
/// server order (duplicates, if the server ever stored one twice, included).
pub async fn server_versions(server_url: &str, token: &str) -> Vec<Version> {
    let client = Client::new(server_url, Some(token.to_owned()), Duration::from_secs(30)).unwrap();
    let mut cursor = 0;
    let mut out = Vec::new();
    loop {
        let page = client.pull(cursor, 1000, None).await.expect("pull");
        out.extend(page.versions);
        if page.up_to_date {
            return out;
        }
        assert!(page.next_cursor > cursor);
        cursor = page.next_cursor;
    }
}

/// The SHA-256 of every photo the server serves, checked against its id.
pub async fn server_photo_hashes_match(server_url: &str, token: &str, ids: &[ntm_field::ids::PhotoId]) {
    use sha2::Digest;
    let http = reqwest::Client::new();
    for id in ids {
        let resp = http.get(format!("{server_url}/api/v1/blobs/{id}")).bearer_auth(token).send().await.unwrap();
        assert!(resp.status().is_success(), "photo {id}: {}", resp.status());
        let bytes = resp.bytes().await.unwrap();
        assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), id.to_hex(), "photo {id} hashes to its id");
    }
}

/// A running `ntm-server serve` process on a free loopback port with its own data directory;
/// it can be killed with SIGKILL and restarted on the same data.
pub struct ServerProcess {
    pub data: std::path::PathBuf,
    child: Option<std::process::Child>,
    pub addr: SocketAddr,
}

pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "mật-khẩu-thử-nghiệm";

impl ServerProcess {
    pub fn start(data: &std::path::Path) -> ServerProcess {
        let (child, addr) = spawn_server(data);
        ServerProcess { data: data.to_path_buf(), child: Some(child), addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no graceful shutdown, no flush.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same data directory (on a new port).
    pub fn restart(&mut self) {
        self.kill();
        let (child, addr) = spawn_server(&self.data);
        self.child = Some(child);
        self.addr = addr;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `ntm-server` binary of this workspace, built if needed.
pub fn server_binary() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            // target/<profile>/deps/this-test -> target/<profile>/ntm-server
            let exe = std::env::current_exe().unwrap();
            let profile_dir = exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf();
            let bin = profile_dir.join("ntm-server");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
            let mut cmd = std::process::Command::new(cargo);
            cmd.args(["build", "--quiet", "-p", "ntm-server", "--bin", "ntm-server", "--manifest-path", manifest]);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                cmd.arg("--release");
            }
            let status = cmd.status().expect("run cargo build");
            assert!(status.success(), "cargo build -p ntm-server failed");
            assert!(bin.exists(), "{} missing after the build", bin.display());
            bin
        })
        .clone()
}

fn spawn_server(data: &std::path::Path) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(server_binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("NTM_ADMIN_USER", ADMIN_USER)
        .env("NTM_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start ntm-server");
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("ntm-server exited before listening").unwrap();
        if let Some(rest) = line.strip_prefix("listening on http://") {
            break rest.trim().parse().expect("a socket address");
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}
