//! P1: bytes on the wire per household check (quality bar in design/quality.md).
//!
//! Run: `cargo bench --features device --bench p1_wire_bytes`. Prints figures and a PASS/FAIL
//! word per bar in its last lines; asserts nothing.
//!
//! 100 household checks of 100 different households are saved through the device store, exactly
//! as the app saves them, and the push body is built by the sync engine's own encoder
//! (`sync::client::encode_push`: CBOR, zstd). The comparison is the same 100 checks as ODK
//! Collect sends them: one OpenRosa `POST /submission` per record, `multipart/form-data` with an
//! `xml_submission_file` part holding the instance XML (same fields, `meta/instanceID`).
//! Bodies are compared, and bodies plus the request headers each protocol needs (one request
//! per 100 records for the app, one per record for OpenRosa).

use ntm_field::protocol::{EnrollResponse, PullResponse, PushRequest, Role};
use ntm_field::record::{
    Body, ChildrenUnder5, HealthInsurance, HouseholdCheck, Livestock, ThreeCleans, Toilet,
    ToiletType, Version, Water,
};
use ntm_field::store::{Draft, HouseholdFilter, Store};
use ntm_field::sync::client::{encode_push, WireFormat};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const RECORDS: usize = 100;

/// Request headers the app sends with a push (HTTP/1.1, bearer token of 43 characters).
const APP_HEADERS: usize = "POST /api/v1/sync/push HTTP/1.1\r\nhost: ntm.example.vn\r\nauthorization: Bearer 0123456789012345678901234567890123456789012\r\ncontent-type: application/cbor\r\ncontent-encoding: zstd\r\naccept: application/cbor, application/json;q=0.9\r\nuser-agent: ntm-field/0.1.0\r\ncontent-length: 8000\r\n\r\n".len();

fn check_body(rng: &mut StdRng, household_id: Uuid) -> HouseholdCheck {
    let toilet_type = [
        ToiletType::Septic,
        ToiletType::DoubleVault,
        ToiletType::PourFlush,
        ToiletType::None,
    ][rng.random_range(0..4)];
    let meets = toilet_type.can_meet_standard() && rng.random_bool(0.7);
    let raises = rng.random_bool(0.6);
    let members = rng.random_range(2..8);
    let measured = rng.random_range(0..3);
    HouseholdCheck {
        household_id,
        toilet: Toilet {
            toilet_type,
            meets_standard: meets,
            checklist: Default::default(),
        },
        bathroom_hygienic: rng.random_bool(0.8),
        water_tank_hygienic: rng.random_bool(0.8),
        three_cleans: ThreeCleans {
            house: rng.random_bool(0.9),
            kitchen: rng.random_bool(0.9),
            lane: rng.random_bool(0.8),
        },
        water: Water {
            hygienic: true,
            clean: rng.random_bool(0.6),
        },
        livestock: Livestock {
            raises,
            pen_hygienic: raises.then(|| rng.random_bool(0.6)),
        },
        waste_handled: rng.random_bool(0.8),
        drainage_ok: rng.random_bool(0.8),
        health_insurance: HealthInsurance {
            members,
            insured: rng.random_range(0..=members),
        },
        children_under5: ChildrenUnder5 {
            measured,
            stunted: if measured > 0 {
                rng.random_range(0..=1)
            } else {
                0
            },
        },
        note: String::new(),
    }
}

/// The same check as an ODK Collect instance of a form with the same fields.
fn openrosa_xml(v: &Version, c: &HouseholdCheck) -> String {
    let b = |x: bool| if x { "yes" } else { "no" };
    let toilet_type = serde_json::to_value(c.toilet.toilet_type).unwrap();
    format!(
        "<?xml version='1.0' ?><data id=\"household_check\" version=\"2020030101\" \
xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:orx=\"http://openrosa.org/xforms\">\
<start>{t}</start><end>{t}</end><deviceid>collect:{dev}</deviceid>\
<commune_id>{commune}</commune_id><village_id>{village}</village_id><household_id>{hh}</household_id>\
<toilet><type>{tt}</type><meets_standard>{ms}</meets_standard></toilet>\
<bathroom_hygienic>{bh}</bathroom_hygienic><water_tank_hygienic>{wt}</water_tank_hygienic>\
<three_cleans><house>{h}</house><kitchen>{k}</kitchen><lane>{l}</lane></three_cleans>\
<water><hygienic>{wh}</hygienic><clean>{wc}</clean></water>\
<livestock><raises>{lr}</raises><pen_hygienic>{lp}</pen_hygienic></livestock>\
<waste_handled>{wa}</waste_handled><drainage_ok>{dr}</drainage_ok>\
<health_insurance><members>{m}</members><insured>{i}</insured></health_insurance>\
<children_under5><measured>{cm}</measured><stunted>{cs}</stunted></children_under5><note/>\
<meta><instanceID>uuid:{id}</instanceID></meta></data>",
        t = v.captured_at.format("%Y-%m-%dT%H:%M:%S%.3f%:z"),
        dev = v.device_id,
        commune = v.commune_id,
        village = v.village_id.as_ref().unwrap(),
        hh = c.household_id,
        tt = toilet_type.as_str().unwrap(),
        ms = b(c.toilet.meets_standard),
        bh = b(c.bathroom_hygienic),
        wt = b(c.water_tank_hygienic),
        h = b(c.three_cleans.house),
        k = b(c.three_cleans.kitchen),
        l = b(c.three_cleans.lane),
        wh = b(c.water.hygienic),
        wc = b(c.water.clean),
        lr = b(c.livestock.raises),
        lp = c.livestock.pen_hygienic.map(b).unwrap_or(""),
        wa = b(c.waste_handled),
        dr = b(c.drainage_ok),
        m = c.health_insurance.members,
        i = c.health_insurance.insured,
        cm = c.children_under5.measured,
        cs = c.children_under5.stunted,
        id = v.version_id,
    )
}

/// The multipart body ODK Collect posts for one instance without attachments.
fn openrosa_multipart(xml: &str) -> Vec<u8> {
    let boundary = "----WebKitFormBoundaryOdkCollect4f3a9b";
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; filename=\"submission.xml\"\r\n\
Content-Type: text/xml; charset=UTF-8\r\n\r\n{xml}\r\n--{boundary}--\r\n"
    )
    .into_bytes()
}

/// Request headers of one OpenRosa submission (Collect with digest authentication).
const OPENROSA_HEADERS: usize = "POST /v1/key/0123456789/projects/1/submission HTTP/1.1\r\nHost: odk.example.vn\r\nX-OpenRosa-Version: 1.0\r\nDate: Thu, 05 Mar 2020 02:30:00 GMT+00:00\r\nAuthorization: Digest username=\"enumerator\", realm=\"ODK Central\", nonce=\"0123456789abcdef0123456789abcdef\", uri=\"/submission\", response=\"0123456789abcdef0123456789abcdef\", qop=auth, nc=00000001, cnonce=\"0123456789abcdef\"\r\nContent-Type: multipart/form-data; boundary=----WebKitFormBoundaryOdkCollect4f3a9b\r\nUser-Agent: org.odk.collect.android/v2024.3.0\r\nAccept-Encoding: gzip\r\nContent-Length: 1500\r\n\r\n".len();

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let demo = ntm_field::demo::thien_ke().unwrap();
    let enrolled = EnrollResponse {
        device_id: Uuid::now_v7(),
        token: "t".into(),
        role: Role::Enumerator,
        commune: demo.config.commune.clone(),
    };
    store.enroll("https://ntm.example.vn", &enrolled).unwrap();
    store
        .sync_apply_pull(&PullResponse {
            versions: demo.versions.clone(),
            next_cursor: demo.versions.len() as u64,
            up_to_date: true,
            config: Some(demo.config.clone()),
            config_etag: "1".into(),
        })
        .unwrap();
    let households = store.households(&HouseholdFilter::default()).unwrap();
    assert!(
        households.len() >= RECORDS,
        "the demo registry has {} households",
        households.len()
    );
    let mut rng = StdRng::seed_from_u64(1);
    let mut checks = Vec::new();
    for h in households.iter().take(RECORDS) {
        let body = check_body(&mut rng, h.entity_id);
        let v = store
            .create(Draft::new(
                Body::HouseholdCheck(body.clone()),
                Some(h.village_id.clone()),
            ))
            .unwrap();
        checks.push((v, body));
    }
    let device_id = enrolled.device_id;
    let batch = store.sync_batch(device_id, 1, RECORDS).unwrap();
    assert_eq!(batch.len(), RECORDS);
    let request = PushRequest {
        device_id,
        first_seq: 1,
        versions: batch.into_iter().map(|e| e.version).collect(),
    };
    let (cbor_zstd, _, _) = encode_push(&request, WireFormat::CborZstd);
    let (json, _, _) = encode_push(&request, WireFormat::Json);
    let cbor = zstd::stream::decode_all(&cbor_zstd[..]).unwrap();

    let odk: Vec<Vec<u8>> = checks
        .iter()
        .map(|(v, c)| openrosa_multipart(&openrosa_xml(v, c)))
        .collect();
    let odk_body: usize = odk.iter().map(Vec::len).sum();
    let n = RECORDS as f64;

    let app_per = cbor_zstd.len() as f64 / n;
    let app_wire = (cbor_zstd.len() + APP_HEADERS) as f64 / n;
    let odk_per = odk_body as f64 / n;
    let odk_wire = (odk_body + OPENROSA_HEADERS * RECORDS) as f64 / n;
    println!("P1 bytes per household check, {RECORDS}-record push");
    println!(
        "  app JSON (uncompressed)          {:>8.1} B/record",
        json.len() as f64 / n
    );
    println!(
        "  app CBOR (uncompressed)          {:>8.1} B/record",
        cbor.len() as f64 / n
    );
    println!(
        "  app CBOR + zstd body (as sent)   {:>8.1} B/record  ({} B for the batch)",
        app_per,
        cbor_zstd.len()
    );
    println!(
        "  app body + request headers       {:>8.1} B/record",
        app_wire
    );
    println!(
        "  ODK/OpenRosa multipart XML body  {:>8.1} B/record",
        odk_per
    );
    println!(
        "  ODK body + request headers       {:>8.1} B/record",
        odk_wire
    );
    println!(
        "  ratio ODK/app, bodies            {:>8.1}x",
        odk_per / app_per
    );
    println!(
        "  ratio ODK/app, with headers      {:>8.1}x",
        odk_wire / app_wire
    );
    let pass = |ok: bool| if ok { "PASS" } else { "FAIL" };
    println!(
        "P1 bar <= 100 B/record (body as sent): {app_per:.1} B {}",
        pass(app_per <= 100.0)
    );
    println!(
        "P1 bar >= 5x fewer than OpenRosa (bodies): {:.1}x {}",
        odk_per / app_per,
        pass(odk_per / app_per >= 5.0)
    );
}
