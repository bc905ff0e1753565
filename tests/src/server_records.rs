//! Records as a phone writes them, for the server's end-to-end tests: a [`FieldDevice`] enrolls
//! over HTTP and writes versions with its own device id and a dense sequence.

use base64::Engine;
use chrono::{DateTime, FixedOffset};
use geographiclib_rs::{DirectGeodesic, Geodesic};
use ntm_field::geo::TrackPoint;
use ntm_field::ids::{PhotoId, Slug};
use ntm_field::record::*;
use serde_json::{json, Value};
use sha2::Digest;
use uuid::Uuid;

use crate::server::{Api, Reply};

pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// A straight, noise-free track of `metres` heading east near Thiện Kế, one fix a second every
/// at most 8 m (a motorbike), each point on the WGS84 geodesic.
pub fn straight_track(metres: f64, start: &str, origin_lat: f64) -> Vec<TrackPoint> {
    let g = Geodesic::wgs84();
    let t0 = at(start);
    let n = (metres / 8.0).ceil().max(1.0) as usize;
    let step = metres / n as f64;
    (0..=n)
        .map(|i| {
            let (lat, lon) = g.direct(origin_lat, 105.30, 90.0, i as f64 * step);
            TrackPoint {
                lat,
                lon,
                accuracy_m: 4.0,
                t: t0 + chrono::Duration::seconds(i as i64),
            }
        })
        .collect()
}

pub fn gps(at_: DateTime<FixedOffset>) -> Location {
    Location {
        lat: 21.78,
        lon: 105.33,
        accuracy_m: 4.5,
        altitude_m: None,
        fix_at: at_,
        source: LocationSource::Gps,
    }
}

/// A check where everything passes (17.6 and 17.7 met) unless `passes` is false.
pub fn check_body(household_id: Uuid, passes: bool) -> HouseholdCheck {
    HouseholdCheck {
        household_id,
        toilet: Toilet {
            toilet_type: ToiletType::Septic,
            meets_standard: true,
            checklist: Default::default(),
        },
        bathroom_hygienic: passes,
        water_tank_hygienic: true,
        three_cleans: ThreeCleans {
            house: true,
            kitchen: true,
            lane: true,
        },
        water: Water {
            hygienic: true,
            clean: true,
        },
        livestock: Livestock {
            raises: true,
            pen_hygienic: Some(true),
        },
        waste_handled: true,
        drainage_ok: true,
        health_insurance: HealthInsurance {
            members: 4,
            insured: 4,
        },
        children_under5: ChildrenUnder5 {
            measured: 1,
            stunted: 0,
        },
        note: String::new(),
    }
}

/// The demo commune's creation body (`POST /api/v1/communes`), optionally under another id.
pub fn commune_json(id: &str, province: &str) -> Value {
    let demo = ntm_field::demo::thien_ke().unwrap().config.commune;
    let villages: Vec<Value> = demo
        .villages
        .iter()
        .map(|v| json!({"id": v.id.as_str().replace("thien-ke", id), "name": v.name}))
        .collect();
    json!({"id": id, "name": demo.name, "province": province, "district": demo.district, "region": "TDMNPB", "villages": villages})
}

/// An enrolled device writing versions.
pub struct FieldDevice {
    pub device_id: Uuid,
    pub token: String,
    pub commune: Slug,
    pub api: Api,
    pub seq: u64,
}

impl FieldDevice {
    /// Enrolls with `code` at `base`.
    pub async fn enroll(base: &str, code: &str, name: &str) -> FieldDevice {
        let r = Api::new(base)
            .post(
                "/api/v1/devices/enroll",
                &json!({"code": code, "device_name": name, "platform": "android"}),
            )
            .await;
        assert_eq!(r.status, 201, "enroll: {:?}", r.body);
        let token = r.body["token"].as_str().unwrap().to_owned();
        FieldDevice {
            device_id: r.body["device_id"].as_str().unwrap().parse().unwrap(),
            commune: Slug::parse(r.body["commune"]["id"].as_str().unwrap()).unwrap(),
            api: Api::new(base).with_token(&token),
            token,
            seq: 0,
        }
    }

    /// A new version with the next sequence number.
    pub fn write(
        &mut self,
        entity_id: Uuid,
        parents: Vec<Uuid>,
        village: Option<&str>,
        captured_at: &str,
        body: Body,
    ) -> Version {
        self.seq += 1;
        let captured_at = at(captured_at);
        let location =
            matches!(body, Body::RoadSegment(_) | Body::TrashSign(_)).then(|| gps(captured_at));
        Version {
            version_id: Uuid::now_v7(),
            entity_id,
            parents,
            village_id: village.map(|v| Slug::parse(v).unwrap()),
            commune_id: self.commune.clone(),
            device_id: self.device_id,
            device_seq: self.seq,
            author: None,
            server_seq: None,
            flags: Vec::new(),
            captured_at,
            observed_on: None,
            location,
            photos: Vec::new(),
            deleted: false,
            body,
        }
    }

    pub fn household(&mut self, village: &str, code: &str, members: u32) -> Version {
        let body = Body::Household(Household {
            code: code.into(),
            head_name: format!("Chủ hộ {code}"),
            members,
            address: String::new(),
        });
        self.write(
            Uuid::now_v7(),
            vec![],
            Some(village),
            "2020-01-05T08:00:00+07:00",
            body,
        )
    }

    pub fn check(&mut self, household: &Version, captured_at: &str, passes: bool) -> Version {
        let village = household.village_id.as_ref().map(|v| v.as_str().to_owned());
        self.write(
            Uuid::now_v7(),
            vec![],
            village.as_deref(),
            captured_at,
            Body::HouseholdCheck(check_body(household.entity_id, passes)),
        )
    }

    pub fn road(
        &mut self,
        village: &str,
        metres: f64,
        captured_at: &str,
        status: RoadStatus,
        works: Works,
    ) -> Version {
        let body = Body::RoadSegment(RoadSegment {
            name: "Đường nội đồng".into(),
            road_class: RoadClass::FieldMain,
            surface: Surface::Concrete,
            width_m: 3.0,
            status,
            works,
            track: straight_track(metres, captured_at, 21.78),
            manual_length_m: None,
            manual_reason: None,
            track_times: TrackTimes::Recorded,
        });
        self.write(Uuid::now_v7(), vec![], Some(village), captured_at, body)
    }

    pub fn sign(&mut self, village: &str, captured_at: &str, photos: Vec<PhotoId>) -> Version {
        let body = Body::TrashSign(TrashSign {
            sign_type: SignType::NoDumping,
            condition: SignCondition::Good,
            responsible_household_id: None,
            note: String::new(),
        });
        let mut v = self.write(Uuid::now_v7(), vec![], Some(village), captured_at, body);
        v.photos = photos;
        v
    }

    pub fn assessment(
        &mut self,
        indicator: &str,
        as_of: &str,
        figure: (Option<f64>, Option<f64>, Option<f64>),
        captured_at: &str,
    ) -> Version {
        let body = Body::Assessment(Assessment {
            edition: None,
            indicator_id: indicator.into(),
            as_of: as_of.parse().unwrap(),
            numerator: figure.0,
            denominator: figure.1,
            value: figure.2,
            met: None,
            source: "Kế hoạch xã Thiện Kế 2020".into(),
            note: String::new(),
        });
        self.write(Uuid::now_v7(), vec![], None, captured_at, body)
    }

    /// The push body of `versions` (their first sequence number starts it).
    pub fn push_body(&self, versions: &[Version]) -> Value {
        json!({"device_id": self.device_id, "first_seq": versions.first().map_or(self.seq + 1, |v| v.device_seq), "versions": versions})
    }

    pub async fn push(&self, versions: &[Version]) -> Reply {
        self.api
            .post("/api/v1/sync/push", &self.push_body(versions))
            .await
    }

    /// Pushes and asserts every version was stored.
    pub async fn push_ok(&self, versions: &[Version]) -> Reply {
        let r = self.push(versions).await;
        assert_eq!(r.status, 200, "push: {:?}", r.body);
        for res in r.body["results"].as_array().unwrap() {
            assert_eq!(res["status"], "stored", "{res}");
        }
        r
    }

    /// Every version the server holds for this device's commune, page by page.
    pub async fn pull_all(&self, limit: usize) -> Vec<Value> {
        let mut cursor = 0u64;
        let mut out = Vec::new();
        loop {
            let r = self
                .api
                .get(&format!("/api/v1/sync/pull?cursor={cursor}&limit={limit}"))
                .await;
            assert_eq!(r.status, 200, "pull: {:?}", r.body);
            out.extend(r.body["versions"].as_array().unwrap().iter().cloned());
            cursor = r.body["next_cursor"].as_u64().unwrap();
            if r.body["up_to_date"].as_bool().unwrap() {
                return out;
            }
        }
    }
}

/// Base64 of a string, for tus metadata.
pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// `POST /api/v1/blobs` for `data` (declaring `declared` as its SHA-256): the reply.
pub async fn tus_create(api: &Api, len: usize, declared: &str) -> Reply {
    Api::send(
        api.request(reqwest::Method::POST, "/api/v1/blobs")
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", len.to_string())
            .header(
                "Upload-Metadata",
                format!(
                    "sha256 {},content_type {}",
                    b64(declared),
                    b64("image/jpeg")
                ),
            ),
    )
    .await
}

/// A tus PATCH of `chunk` at `offset`, with an optional `sha256` checksum of it.
pub async fn tus_patch(
    api: &Api,
    location: &str,
    offset: u64,
    chunk: &[u8],
    checksum: bool,
) -> Reply {
    let mut rb = api
        .request(reqwest::Method::PATCH, location)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(chunk.to_vec());
    if checksum {
        rb = rb.header(
            "Upload-Checksum",
            format!(
                "sha256 {}",
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(chunk))
            ),
        );
    }
    Api::send(rb).await
}

/// Uploads a whole photo in chunks of `chunk` bytes; returns its id.
pub async fn tus_upload(api: &Api, data: &[u8], chunk: usize) -> PhotoId {
    let id = PhotoId::of_bytes(data);
    let r = tus_create(api, data.len(), &id.to_hex()).await;
    assert_eq!(r.status, 201, "tus create: {:?}", r.body);
    let location = r.header("location").unwrap().to_owned();
    let mut offset: u64 = r.header("upload-offset").unwrap().parse().unwrap();
    while (offset as usize) < data.len() {
        let end = (offset as usize + chunk).min(data.len());
        let r = tus_patch(api, &location, offset, &data[offset as usize..end], true).await;
        assert_eq!(r.status, 204, "tus patch: {:?}", r.body);
        offset = r.header("upload-offset").unwrap().parse().unwrap();
    }
    id
}

/// Some bytes that stand for a photo.
pub fn fake_photo(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    let mut out = vec![0xff, 0xd8, 0xff, 0xe0];
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push((x >> 24) as u8);
    }
    out.truncate(len);
    out
}
