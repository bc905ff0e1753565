//! The world the dashboard tests look at: the real server (`ntm-server serve` on loopback) with
//! the Thiện Kế demo commune loaded, accounts of every role (commune, district and province
//! officials), a second commune of the same district (Sơn Dương), one of another district of the
//! same province and one of another province, and field records pushed by enrolled devices over HTTP: roads,
//! signs with photos (one taken far from its sign), a household check and a conflict.
//!
//! [`Browser`] is a plain HTTP client with a cookie jar, for the tests that read pages and post
//! forms without a real browser (the Playwright spec drives Chromium for the others).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value as ExifValue};
use ntm_field::ids::PhotoId;
use ntm_field::protocol::Role;
use ntm_field::record::*;
use ntm_tests::phone::{camera_jpeg, enrollment_code};
use ntm_tests::server::{Api, Backend, TestServer};
use ntm_tests::server_records::{commune_json, tus_upload, FieldDevice};
use serde_json::{json, Value};
use uuid::Uuid;

pub const OFFICER: (&str, &str) = ("canbo.thienke", "officer-pass-1");
pub const VIEWER: (&str, &str) = ("xem.thienke", "viewer-pass-1");
pub const PROVINCE: (&str, &str) = ("tinh.tuyenquang", "province-pass-1");
pub const OTHER: (&str, &str) = ("canbo.lungcu", "other-pass-1");
/// An officer of huyện Sơn Dương (Tuyên Quang): Thiện Kế and Vĩnh Lợi, not Minh Quang.
pub const DISTRICT: (&str, &str) = ("huyen.sonduong", "district-pass-1");

/// Everything a dashboard test needs to find.
pub struct World {
    pub server: TestServer,
    pub admin: Api,
    /// The completed 500 m field road (thien-ke-03, 10/03/2020).
    pub road: Version,
    /// A sign whose photo was taken about 1.1 km away.
    pub far_sign: Version,
    pub far_photo: PhotoId,
    /// A sign with a photo taken where it stands.
    pub near_sign: Version,
    /// A sign edited on two phones from the same version: two heads.
    pub conflict_entity: Uuid,
    pub conflict_heads: Vec<Uuid>,
    /// An enrolled device that has pushed once, to be revoked.
    pub spare: FieldDevice,
}

/// A JPEG with EXIF `DateTimeOriginal` and a GPS position, as a phone camera writes it.
pub fn jpeg_with_exif(seed: u64, taken: &str, lat: f64, lon: f64) -> Vec<u8> {
    let jpeg = camera_jpeg(64, 48, seed);
    let dms = |x: f64| {
        let x = x.abs();
        let d = x.floor();
        let m = ((x - d) * 60.0).floor();
        let s = ((x - d) * 60.0 - m) * 60.0;
        vec![
            Rational {
                num: d as u32,
                denom: 1,
            },
            Rational {
                num: m as u32,
                denom: 1,
            },
            Rational {
                num: (s * 1000.0).round() as u32,
                denom: 1000,
            },
        ]
    };
    let fields = [
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: ExifValue::Ascii(vec![taken.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: ExifValue::Ascii(vec![if lat >= 0.0 {
                b"N".to_vec()
            } else {
                b"S".to_vec()
            }]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: ExifValue::Rational(dms(lat)),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: ExifValue::Ascii(vec![if lon >= 0.0 {
                b"E".to_vec()
            } else {
                b"W".to_vec()
            }]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: ExifValue::Rational(dms(lon)),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("EXIF serialises");
    let tiff = tiff.into_inner();
    // APP1 "Exif\0\0" + TIFF, right after the JPEG's SOI marker.
    let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn sign_body(condition: SignCondition) -> Body {
    Body::TrashSign(TrashSign {
        sign_type: SignType::NoDumping,
        condition,
        responsible_household_id: None,
        note: String::new(),
    })
}

/// Loads the Thiện Kế demo commune through the API, as an administrator would, so that it works
/// on either storage backend: the commune, its province's threshold, its quotas, the
/// responsibilities (through the dashboard's own form) and the plan's records (pushed by an
/// enrolled device, re-numbered as that device's).
async fn load_demo(server: &TestServer, admin: &Api) {
    let demo = ntm_field::demo::thien_ke().expect("the demo loads");
    let config = &demo.config;
    let id = config.commune.id.as_str();
    let r = admin
        .post(
            "/api/v1/communes",
            &serde_json::to_value(&config.commune).unwrap(),
        )
        .await;
    assert_eq!(r.status, 201, "create the demo commune: {:?}", r.body);
    for (indicator, target) in &config.province_targets {
        let province = urlencode(&config.commune.province);
        let r = admin
            .put(
                &format!("/api/v1/provinces/{province}/targets/{indicator}"),
                &json!({"threshold": target.threshold, "source": target.source}),
            )
            .await;
        assert_eq!(r.status, 200, "province target: {:?}", r.body);
    }
    for q in &config.quotas {
        let path = format!(
            "/api/v1/communes/{id}/quotas/{}/{}",
            q.village_id.as_str(),
            q.measure.as_str()
        );
        let r = admin
            .put(&path, &json!({"target": q.target, "since": q.since}))
            .await;
        assert_eq!(r.status, 200, "quota: {:?}", r.body);
    }
    let mut b = Browser::login(
        &server.base,
        (
            ntm_tests::server::ADMIN_USER,
            ntm_tests::server::ADMIN_PASSWORD,
        ),
    )
    .await;
    let csrf = b.get(&format!("/dashboard/c/{id}/settings")).await.csrf();
    for (key, people) in &config.responsibilities {
        let r = b
            .post(
                &format!("/dashboard/c/{id}/settings/responsibility"),
                &[("csrf", &csrf), ("key", key), ("people", people)],
            )
            .await;
        assert_eq!(
            r.location.as_deref(),
            Some(format!("/dashboard/c/{id}/settings?ok=set.saved").as_str())
        );
    }
    let mut loader = FieldDevice::enroll(
        &server.base,
        &enrollment_code(admin, id, Role::Officer).await,
        "demo",
    )
    .await;
    let versions: Vec<Version> = demo
        .versions
        .into_iter()
        .map(|mut v| {
            loader.seq += 1;
            v.device_id = loader.device_id;
            v.device_seq = loader.seq;
            v.author = None;
            v
        })
        .collect();
    loader.push_ok(&versions).await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Where an account works: a commune or a province.
enum UserScope<'a> {
    Commune(&'a str),
    Province(&'a str),
}

/// An officer account of a former district, as one made before districts were abolished on
/// 01/7/2025: only the command line restores one.
pub fn former_district_account(
    server: &TestServer,
    (username, password): (&str, &str),
    province: &str,
    district: &str,
) {
    let args = [
        "user",
        "add",
        "--username",
        username,
        "--role",
        "officer",
        "--province",
        province,
        "--district",
        district,
    ];
    let out = server.cli_with(&args, &[("NTM_PASSWORD", password)]);
    assert!(
        out.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn create_user(
    admin: &Api,
    (username, password): (&str, &str),
    role: &str,
    scope: UserScope<'_>,
) {
    let mut body = json!({"username": username, "password": password, "role": role});
    match scope {
        UserScope::Commune(c) => body["commune_id"] = json!(c),
        UserScope::Province(p) => body["province"] = json!(p),
    }
    let r = admin.post("/api/v1/users", &body).await;
    assert_eq!(r.status, 201, "create user {username}: {:?}", r.body);
}

/// The world on SQLite.
pub async fn world() -> World {
    world_on(Backend::Sqlite).await
}

pub async fn world_on(backend: Backend) -> World {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    load_demo(&server, &admin).await;
    let mut vinh_loi = commune_json("vinh-loi", "Tuyên Quang");
    vinh_loi["name"] = json!("Vĩnh Lợi");
    assert_eq!(admin.post("/api/v1/communes", &vinh_loi).await.status, 201);
    let mut minh_quang = commune_json("minh-quang", "Tuyên Quang");
    minh_quang["name"] = json!("Minh Quang");
    minh_quang["district"] = json!("Chiêm Hóa");
    assert_eq!(
        admin.post("/api/v1/communes", &minh_quang).await.status,
        201
    );
    let mut lung_cu = commune_json("lung-cu", "Hà Giang");
    lung_cu["name"] = json!("Lũng Cú");
    lung_cu["district"] = json!("Đồng Văn");
    assert_eq!(admin.post("/api/v1/communes", &lung_cu).await.status, 201);
    create_user(&admin, OFFICER, "officer", UserScope::Commune("thien-ke")).await;
    create_user(&admin, VIEWER, "viewer", UserScope::Commune("thien-ke")).await;
    create_user(
        &admin,
        PROVINCE,
        "officer",
        UserScope::Province("Tuyên Quang"),
    )
    .await;
    former_district_account(&server, DISTRICT, "Tuyên Quang", "Sơn Dương");
    create_user(&admin, OTHER, "officer", UserScope::Commune("lung-cu")).await;

    let mut a = FieldDevice::enroll(
        &server.base,
        &enrollment_code(&admin, "thien-ke", Role::Enumerator).await,
        "Điện thoại A",
    )
    .await;
    let mut b = FieldDevice::enroll(
        &server.base,
        &enrollment_code(&admin, "thien-ke", Role::Enumerator).await,
        "Điện thoại B",
    )
    .await;
    let mut spare = FieldDevice::enroll(
        &server.base,
        &enrollment_code(&admin, "thien-ke", Role::Enumerator).await,
        "Điện thoại dự phòng",
    )
    .await;

    // Photos: one taken at its sign (21.78 N, 105.33 E), one about 1.1 km north of it.
    let near_photo = tus_upload(
        &a.api,
        &jpeg_with_exif(1, "2020:03:12 09:31:00", 21.7801, 105.3301),
        1 << 20,
    )
    .await;
    let far_photo = tus_upload(
        &a.api,
        &jpeg_with_exif(2, "2020:03:12 09:35:00", 21.79, 105.33),
        1 << 20,
    )
    .await;

    let road = a.road(
        "thien-ke-03",
        500.0,
        "2020-03-10T08:00:00+07:00",
        RoadStatus::Completed,
        Works::Upgrade,
    );
    let mut earth = a.road(
        "thien-ke-05",
        300.0,
        "2020-03-11T08:00:00+07:00",
        RoadStatus::Planned,
        Works::New,
    );
    if let Body::RoadSegment(r) = &mut earth.body {
        r.surface = Surface::Earth;
        r.road_class = RoadClass::VillageAxis;
        r.name = "Đường trục thôn 5".into();
    }
    let near_sign = a.sign("thien-ke-03", "2020-03-12T09:30:00+07:00", vec![near_photo]);
    let far_sign = a.sign("thien-ke-04", "2020-03-12T09:34:00+07:00", vec![far_photo]);
    let conflicted = a.write(
        Uuid::now_v7(),
        vec![],
        Some("thien-ke-06"),
        "2020-03-13T09:00:00+07:00",
        sign_body(SignCondition::Good),
    );
    a.push_ok(&[
        road.clone(),
        earth,
        near_sign.clone(),
        far_sign.clone(),
        conflicted.clone(),
    ])
    .await;

    // The same sign edited on two phones from the same version.
    let edit_a = a.write(
        conflicted.entity_id,
        vec![conflicted.version_id],
        Some("thien-ke-06"),
        "2020-03-20T09:00:00+07:00",
        sign_body(SignCondition::Damaged),
    );
    a.push_ok(std::slice::from_ref(&edit_a)).await;
    let edit_b = b.write(
        conflicted.entity_id,
        vec![conflicted.version_id],
        Some("thien-ke-06"),
        "2020-03-21T09:00:00+07:00",
        sign_body(SignCondition::Missing),
    );
    b.push_ok(std::slice::from_ref(&edit_b)).await;

    // A household check on a registered household.
    let households = admin
        .get("/api/v1/communes/thien-ke/records?kind=household&limit=1")
        .await;
    let household: Version = serde_json::from_value(households.body["records"][0].clone()).unwrap();
    let check = a.check(&household, "2020-03-15T10:00:00+07:00", true);
    a.push_ok(&[check]).await;

    let first = spare.sign("thien-ke-07", "2020-03-14T09:00:00+07:00", vec![]);
    spare.push_ok(&[first]).await;

    World {
        server,
        admin,
        road,
        far_sign,
        far_photo,
        near_sign,
        conflict_entity: conflicted.entity_id,
        conflict_heads: vec![edit_a.version_id, edit_b.version_id],
        spare,
    }
}

/// An HTTP client with a cookie jar, that does not follow redirects.
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

/// A response: status, `Location`, `Set-Cookie` lines and the body as text.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The value of the first `name="csrf"` hidden field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("the page has a form with a CSRF token");
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// The text of the page without tags, whitespace collapsed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in self.body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&amp;", "&")
            .replace("&quot;", "\"")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The text of the element whose opening tag contains `marker` (to its matching close).
    pub fn element_text(&self, marker: &str) -> String {
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} is on the page"));
        let open = self.body[..start].rfind('<').unwrap();
        let tag: String = self.body[open + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let close = format!("</{tag}>");
        let end = self.body[start..]
            .find(&close)
            .map(|e| start + e)
            .unwrap_or(self.body.len());
        Page {
            status: 200,
            location: None,
            set_cookies: vec![],
            body: self.body[open..end].to_owned(),
        }
        .text()
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, rb: reqwest::RequestBuilder) -> Page {
        let resp = rb
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("the server answers");
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            location,
            set_cookies,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let rb = self.http.get(format!("{}{path}", self.base));
        self.finish(rb).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let rb = self.http.post(format!("{}{path}", self.base)).form(form);
        self.finish(rb).await
    }

    /// A `multipart/form-data` POST of text fields and one file field named `file`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Page {
        let boundary = "ntm-test-boundary-7d1c";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: text/csv\r\n\r\n", file.0).as_bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let rb = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.finish(rb).await
    }

    /// Logs in through the login form; panics unless it succeeds.
    pub async fn login(base: &str, (username, password): (&str, &str)) -> Browser {
        let mut b = Browser::new(base);
        let page = b.get("/dashboard/login").await;
        assert_eq!(page.status, 200);
        let csrf = page.csrf();
        let r = b
            .post(
                "/dashboard/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("csrf", &csrf),
                    ("next", "/dashboard"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "login of {username}: {}", r.body);
        assert!(
            b.cookies.contains_key("ntm_session"),
            "a session cookie is set"
        );
        b
    }
}

/// The commune's threshold overrides, as the API reports them.
pub async fn commune_targets(admin: &Api, commune: &str) -> Value {
    let r = admin.get(&format!("/api/v1/communes/{commune}")).await;
    assert_eq!(r.status, 200);
    r.body["commune_targets"].clone()
}

/// A sheet of an XLSX workbook as rows of cells, read by calamine.
pub struct Sheet {
    pub rows: Vec<Vec<calamine::Data>>,
}

impl Sheet {
    /// The column whose header (in `header_row`) is `name`.
    pub fn column(&self, header_row: usize, name: &str) -> usize {
        self.rows[header_row]
            .iter()
            .position(|c| text_is(c, name))
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.rows[header_row]))
    }

    /// The first row whose cell in column `col` reads `value`.
    pub fn row_where(&self, col: usize, value: &str) -> &Vec<calamine::Data> {
        self.rows
            .iter()
            .find(|r| r.get(col).is_some_and(|c| text_is(c, value)))
            .unwrap_or_else(|| panic!("no row with {value:?}"))
    }

    /// The index of the header row: the first whose first cell is `first`.
    pub fn header(&self, first: &str) -> usize {
        self.rows
            .iter()
            .position(|r| r.first().is_some_and(|c| text_is(c, first)))
            .unwrap_or_else(|| panic!("no header {first:?}"))
    }
}

/// Whether a cell is the text `expected`.
pub fn text_is(c: &calamine::Data, expected: &str) -> bool {
    matches!(c, calamine::Data::String(s) if s == expected)
}

pub fn number(c: &calamine::Data) -> f64 {
    match c {
        calamine::Data::Float(f) => *f,
        calamine::Data::Int(i) => *i as f64,
        other => panic!("{other:?} is not a number cell"),
    }
}

/// Every sheet of a workbook, in order.
pub fn read_xlsx(bytes: &[u8]) -> Vec<(String, Sheet)> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
            .expect("a valid XLSX file");
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("the sheet reads");
            let rows = range.rows().map(|r| r.to_vec()).collect();
            (name, Sheet { rows })
        })
        .collect()
}

/// What the Q1 2020 report of this world must say, checked cell by cell. `criteria_met_end` is
/// the API scorecard's N as of 31/03/2020.
pub fn check_q1_2020_report(bytes: &[u8], criteria_met_end: u64, signs_in_conflict: usize) {
    let sheets = read_xlsx(bytes);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Tổng hợp",
            "Chỉ tiêu",
            "Theo thôn",
            "Đường",
            "Biển báo",
            "Kiểm tra hộ",
            "Hộ gia đình",
            "Đánh giá"
        ]
    );
    let sheet = |n: &str| &sheets.iter().find(|(name, _)| name == n).unwrap().1;

    let summary = sheet("Tổng hợp");
    assert!(summary.rows[0][0].to_string().contains("NÔNG THÔN MỚI"));
    assert_eq!(
        summary.rows[1][0].to_string(),
        "Xã Thiện Kế, huyện Sơn Dương, tỉnh Tuyên Quang"
    );
    assert_eq!(
        summary.row_where(0, "Kỳ báo cáo")[1].to_string(),
        "Quý 1/2020 (01/01/2020 – 31/03/2020)"
    );
    assert_eq!(
        number(&summary.row_where(0, "Số tiêu chí đạt cuối kỳ")[1]),
        criteria_met_end as f64
    );
    assert_eq!(number(&summary.row_where(0, "Tổng số tiêu chí")[1]), 19.0);
    assert!(
        (number(&summary.row_where(0, "Đường hoàn thành trong kỳ được tính vào chỉ tiêu (km)")[1])
            - 0.5)
            .abs()
            < 0.005
    );
    let h = summary.header("Tiêu chí");
    let criteria: Vec<_> = summary.rows[h + 1..].iter().collect();
    assert_eq!(criteria.len(), 19);
    let crit2 = summary.row_where(0, "2");
    assert_eq!(crit2[summary.column(h, "Cuối kỳ")].to_string(), "Chưa đạt");
    assert!(crit2[summary.column(h, "Người phụ trách")]
        .to_string()
        .contains("Dương Đăng Lâm"));

    let ind = sheet("Chỉ tiêu");
    let road = ind.row_where(0, "2.4");
    let col = |n: &str| ind.column(0, n);
    assert_eq!(number(&road[col("Tử số cuối kỳ")]), 6.9);
    assert_eq!(number(&road[col("Mẫu số cuối kỳ")]), 26.0);
    assert_eq!(number(&road[col("Giá trị cuối kỳ")]), 26.54);
    assert_eq!(number(&road[col("Mức yêu cầu")]), 50.0);
    assert_eq!(road[col("Cấp quy định mức")].to_string(), "tỉnh");
    assert_eq!(road[col("Đánh giá cuối kỳ")].to_string(), "Chưa đạt");
    assert!((number(&road[col("Còn thiếu")]) - 6.1).abs() < 1e-9);
    assert_eq!(road[col("Đơn vị còn thiếu")].to_string(), "km");
    assert!(road[col("Người phụ trách")]
        .to_string()
        .contains("Dương Đăng Lâm"));
    // The plan's baseline is dated 01/01/2020: at the start of Q1 (31/12/2019) there was none.
    assert_eq!(road[col("Giá trị đầu kỳ")], calamine::Data::Empty);
    assert_eq!(
        number(&ind.row_where(0, "15.1")[col("Giá trị cuối kỳ")]),
        90.5
    );
    assert_eq!(
        number(&ind.row_where(0, "15.3")[col("Giá trị cuối kỳ")]),
        12.8
    );
    assert_eq!(
        ind.row_where(0, "15.1")[col("Đánh giá cuối kỳ")].to_string(),
        "Đạt"
    );

    let villages = sheet("Theo thôn");
    assert_eq!(villages.rows.len(), 15, "a header and 14 villages");
    let v3 = villages.row_where(0, "thien-ke-03");
    assert!(
        (number(&v3[villages.column(0, "Đường trục chính nội đồng đã cứng hóa (km)")]) - 0.5).abs()
            < 0.005
    );
    assert_eq!(
        number(
            &v3[villages.column(
                0,
                "Đường trục chính nội đồng đã cứng hóa (km) – chỉ tiêu giao"
            )]
        ),
        0.5
    );

    let roads = sheet("Đường");
    assert_eq!(
        roads.rows.len(),
        7,
        "a header, the phones' two segments and the demo's four planned ones"
    );
    let field = roads.row_where(roads.column(0, "Được tính vào chỉ tiêu"), "Có");
    assert_eq!(
        field[roads.column(0, "Loại đường")].to_string(),
        "Đường trục chính nội đồng"
    );
    assert!((number(&field[roads.column(0, "Chiều dài (m)")]) - 500.0).abs() < 5.0);
    assert_eq!(
        field[roads.column(0, "Quan sát trong kỳ")].to_string(),
        "Có"
    );
    assert_eq!(
        field[roads.column(0, "Được tính vào chỉ tiêu")].to_string(),
        "Có"
    );
    assert_eq!(field[roads.column(0, "Thôn")].to_string(), "Thôn 3");

    let signs = sheet("Biển báo");
    assert_eq!(
        signs.rows.len(),
        11,
        "a header, the phones' four signs and the demo's six"
    );
    // A merge keeps the day the sign was seen (in the quarter): once the conflict is resolved,
    // the quarter's report shows it resolved.
    assert_eq!(
        signs.rows[1..]
            .iter()
            .filter(|r| text_is(&r[signs.column(0, "Đang xung đột")], "Có"))
            .count(),
        signs_in_conflict
    );
    let checks = sheet("Kiểm tra hộ");
    assert_eq!(checks.rows.len(), 2);
    assert_eq!(
        checks.rows[1][checks.column(0, "Đạt 17.6")].to_string(),
        "Có"
    );
    assert_eq!(sheet("Hộ gia đình").rows.len(), 141);
}
