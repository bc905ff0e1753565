//! The OpenRosa forms against real form tools: the committed XForms are what pyxform makes of
//! the XLSForms (`assets/odk/*.md`) and pass ODK Validate; two engines fill each form with the
//! media files the server serves, and their submissions, sent as Collect sends them, end as
//! the expected versions on SQLite and on PostgreSQL: JavaRosa (ODK Collect's engine, inside the
//! ODK_Validate.jar that pyxform ships, driven by `tests/odk/FillForm.java`) and
//! `@getodk/xforms-engine` (ODK Web Forms' engine, on Node.js with jsdom,
//! `tests/odk/fill-form.mjs`). `./dev test` installs pyxform into `target/odk/venv`, a JDK,
//! and `tests/odk/node_modules` when missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use ntm_field::record::{Body, LocationSource, TrackTimes};
use ntm_tests::collect::{Collect, Downloaded};
use ntm_tests::server::{Api, Backend, TestServer};
use ntm_tests::server_records::*;
use serde_json::{json, Value};

/// The target directory the tests run from (`target/<profile>/deps/<test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .expect("target/<profile>/deps")
        .to_owned()
}

/// pyxform's venv and the ODK_Validate.jar it ships.
fn odk_tools() -> (PathBuf, PathBuf) {
    let venv = target_dir().join("odk/venv");
    let missing = || -> ! {
        panic!(
            "pyxform is not installed in {}: run `./dev test`, which installs it (and a JDK)",
            venv.display()
        )
    };
    let lib = std::fs::read_dir(venv.join("lib")).unwrap_or_else(|_| missing());
    let jar = lib
        .flatten()
        .map(|d| {
            d.path()
                .join("site-packages/pyxform/validators/odk_validate/bin/ODK_Validate.jar")
        })
        .find(|p| p.exists())
        .unwrap_or_else(|| missing());
    (venv, jar)
}

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/odk")
}

const FORMS: [&str; 3] = ["household_check", "road_segment", "trash_sign"];

#[test]
fn the_committed_xforms_are_what_pyxform_makes_of_the_xlsforms_and_pass_odk_validate() {
    let (venv, jar) = odk_tools();
    let out = tempfile::tempdir().unwrap();
    for form in FORMS {
        let made = out.path().join(format!("{form}.xml"));
        let run = Command::new(venv.join("bin/xls2xform"))
            .arg("--skip_validate")
            .arg(assets().join(format!("{form}.md")))
            .arg(&made)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "xls2xform {form}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(
            std::fs::read(&made).unwrap(),
            std::fs::read(assets().join(format!("{form}.xml"))).unwrap(),
            "assets/odk/{form}.xml is not what pyxform makes of {form}.md: run `xls2xform assets/odk/{form}.md assets/odk/{form}.xml`"
        );
        let validate = Command::new("java")
            .arg("-jar")
            .arg(&jar)
            .arg(assets().join(format!("{form}.xml")))
            .output()
            .expect("java runs (./dev test installs a JDK)");
        assert!(
            validate.status.success(),
            "ODK Validate refuses {form}: {}{}",
            String::from_utf8_lossy(&validate.stdout),
            String::from_utf8_lossy(&validate.stderr)
        );
    }
}

#[test]
fn the_sign_forms_accuracy_gate_is_the_phones() {
    let gate = ntm_field::store::Settings::default().gps_accuracy_gate_m;
    let xml = std::fs::read_to_string(assets().join("trash_sign.xml")).unwrap();
    assert!(
        xml.contains(&format!(
            "selected-at(., 3) &gt; 0 and selected-at(., 3) &lt;= {gate}"
        )),
        "the sign's position must pass the app's {gate} m gate, and never a hand-placed one"
    );
}

/// Compiles `tests/odk/FillForm.java` against the jar, once per run.
fn fill_form_classes(jar: &Path) -> PathBuf {
    let classes = target_dir().join("odk/classes");
    std::fs::create_dir_all(&classes).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("odk/FillForm.java");
    let run = Command::new("javac")
        .arg("-cp")
        .arg(jar)
        .arg("-d")
        .arg(&classes)
        .arg(source)
        .output()
        .expect("javac runs (./dev test installs a JDK)");
    assert!(
        run.status.success(),
        "javac: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    classes
}

/// A form engine.
#[derive(Clone, Copy)]
enum Engine {
    JavaRosa,
    XformsEngine,
}

/// `engine` fills `form` (with its media files) with `answers`; the submission XML, or the
/// engine's refusal.
fn fill(engine: Engine, form: &Downloaded, answers: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("form.xml"), &form.xml).unwrap();
    for (name, bytes) in &form.media {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let lines: String = answers.iter().map(|(q, v)| format!("{q}\t{v}\n")).collect();
    std::fs::write(dir.path().join("answers.txt"), lines).unwrap();
    let mut command = match engine {
        Engine::JavaRosa => {
            let (_, jar) = odk_tools();
            let classes = fill_form_classes(&jar);
            let mut c = Command::new("java");
            c.arg("-cp")
                .arg(format!("{}:{}", jar.display(), classes.display()))
                .arg("FillForm");
            c
        }
        Engine::XformsEngine => {
            let odk = Path::new(env!("CARGO_MANIFEST_DIR")).join("odk");
            assert!(
                odk.join("node_modules/@getodk/xforms-engine").exists(),
                "run `./dev test` (or `npm ci` in tests/odk) to install @getodk/xforms-engine"
            );
            let mut c = Command::new("node");
            c.arg(odk.join("fill-form.mjs"));
            c
        }
    };
    let run = command
        .arg(dir.path().join("form.xml"))
        .arg(dir.path())
        .arg(dir.path().join("answers.txt"))
        .arg(dir.path().join("out.xml"))
        .output()
        .unwrap();
    if !run.status.success() {
        return Err(String::from_utf8_lossy(&run.stderr).into_owned());
    }
    Ok(std::fs::read(dir.path().join("out.xml")).unwrap())
}

fn check_answers(household: &str, insured: &str) -> Vec<(&'static str, String)> {
    vec![
        ("village", "thien-ke-01".into()),
        ("new_household", "no".into()),
        ("household", household.into()),
        ("toilet_type", "double_vault".into()),
        ("checklist_dry", "not_flood_prone water_source_10m pit_raised_20cm no_rainwater_inflow floor_smooth hole_lids roof_walls_door vent_pipe clean_no_smell no_flies cover_material".into()),
        ("toilet_meets_standard", "yes".into()),
        ("bathroom_hygienic", "yes".into()),
        ("water_tank_hygienic", "yes".into()),
        ("clean_house", "yes".into()),
        ("clean_kitchen", "yes".into()),
        ("clean_lane", "yes".into()),
        ("water_hygienic", "yes".into()),
        ("water_clean", "no".into()),
        ("raises_livestock", "yes".into()),
        ("pen_hygienic", "no".into()),
        ("waste_handled", "yes".into()),
        ("drainage_ok", "yes".into()),
        ("insurance_members", "4".into()),
        ("insured", insured.into()),
        ("children_measured", "2".into()),
        ("children_stunted", "1".into()),
        ("photo_toilet", "1733100000001.jpg".into()),
    ]
}

fn borrowed<'a>(answers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    answers.iter().map(|(q, v)| (*q, v.as_str())).collect()
}

async fn records(admin: &Api, kind: &str) -> Vec<Value> {
    let r = admin
        .get(&format!(
            "/api/v1/communes/thien-ke/records?kind={kind}&limit=100"
        ))
        .await;
    r.body["records"].as_array().cloned().unwrap_or_default()
}

async fn javarosa_submissions_of_each_form_become_the_expected_versions(backend: Backend) {
    submissions_of_each_form_become_the_expected_versions(backend, Engine::JavaRosa).await
}

async fn xforms_engine_submissions_of_each_form_become_the_expected_versions(backend: Backend) {
    submissions_of_each_form_become_the_expected_versions(backend, Engine::XformsEngine).await
}

async fn submissions_of_each_form_become_the_expected_versions(backend: Backend, engine: Engine) {
    let server = TestServer::start_on(backend);
    let admin = Api::admin(&server).await;
    admin
        .post("/api/v1/communes", &commune_json("thien-ke", "Tuyên Quang"))
        .await;
    let code = |role: &'static str| {
        let admin = admin.clone();
        async move {
            admin
                .post(
                    "/api/v1/communes/thien-ke/enrollments",
                    &json!({"role": role, "expires_in_hours": 24}),
                )
                .await
                .body["code"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let mut app = FieldDevice::enroll(&server.base, &code("enumerator").await, "app").await;
    let household = app.household("thien-ke-01", "T1-01", 4);
    app.push_ok(std::slice::from_ref(&household)).await;
    let r = Api::new(&server.base)
        .post("/api/v1/devices/enroll", &json!({"code": code("enumerator").await, "device_name": "Collect", "platform": "odk-collect"}))
        .await;
    let token = r.body["token"].as_str().unwrap();
    let mut collect = Collect::new(&format!("{}/odk/key/{token}", server.base));
    let listed = collect.form_list().await;
    let mut forms = Vec::new();
    for f in &listed {
        forms.push(collect.download(f).await);
    }

    // The household check: the engine picks the household from the server's households.csv.
    let id = household.entity_id.to_string();
    let refused = fill(engine, &forms[0], &borrowed(&check_answers(&id, "5")));
    assert!(
        refused.unwrap_err().contains("insured"),
        "the engine checks the core's rule"
    );
    let xml = fill(engine, &forms[0], &borrowed(&check_answers(&id, "3"))).unwrap();
    let photo = fake_photo(7, 200_000);
    let answers = collect
        .submit(&xml, &[("1733100000001.jpg".into(), photo)], 0)
        .await;
    assert_eq!(
        answers.iter().map(|a| a.status).collect::<Vec<_>>(),
        [201],
        "{answers:?}"
    );
    let checks = records(&admin, "household_check").await;
    assert_eq!(checks.len(), 1);
    let check: ntm_field::record::Version = serde_json::from_value(checks[0].clone()).unwrap();
    let Body::HouseholdCheck(c) = &check.body else {
        panic!()
    };
    assert_eq!(c.household_id, household.entity_id);
    assert!(c.meets_sanitation() && c.toilet.checklist.values().all(|v| *v));
    assert_eq!(c.livestock_pen_verdict(), Some(false));
    assert_eq!(
        (c.health_insurance.insured, c.children_under5.stunted),
        (3, 1)
    );
    assert_eq!(
        check.captured_at.offset().local_minus_utc(),
        7 * 3600,
        "Asia/Ho_Chi_Minh"
    );
    assert_eq!(check.photos.len(), 1);

    // A road: each engine writes the geotrace its own way ("; " or ";", 1.0E-4 or 0.0001).
    let track: Vec<String> = straight_track(400.0, "2026-03-05T08:00:00+07:00", 21.78)
        .iter()
        .map(|p| format!("{} {} 12.0 4.0", p.lat, p.lon))
        .collect();
    let road = fill(
        engine,
        &forms[1],
        &[
            ("village", "thien-ke-02"),
            ("name", "Đường nội đồng Đồng Bến"),
            ("road_class", "field_main"),
            ("surface", "concrete"),
            ("width_m", "3.5"),
            ("works", "upgrade"),
            ("status", "completed"),
            ("track", &track.join(";")),
        ],
    )
    .unwrap();
    assert_eq!(collect.submit(&road, &[], 0).await[0].status, 201);
    let roads = records(&admin, "road_segment").await;
    let road: ntm_field::record::Version = serde_json::from_value(roads[0].clone()).unwrap();
    let Body::RoadSegment(r) = &road.body else {
        panic!()
    };
    assert_eq!(r.track_times, TrackTimes::SpreadEvenly);
    assert_eq!(r.track.len(), track.len());
    let length = r.length(&ntm_field::geo::TrackFilter::default()).metres;
    assert!((length - 400.0).abs() < 1.0, "{length} m");

    // A sign: a GPS fix passes; one placed by hand (accuracy 0) is refused by the form itself.
    assert!(fill(
        engine,
        &forms[2],
        &[
            ("village", "thien-ke-01"),
            ("location", "21.78 105.33 12 0")
        ]
    )
    .is_err());
    let sign = fill(
        engine,
        &forms[2],
        &[
            ("village", "thien-ke-01"),
            ("location", "21.7801 105.3302 12.5 4.2"),
            ("condition", "damaged"),
            ("responsible_household", &id),
            ("photo", "sign.jpg"),
        ],
    )
    .unwrap();
    let answers = collect
        .submit(&sign, &[("sign.jpg".into(), fake_photo(8, 50_000))], 0)
        .await;
    assert_eq!(answers[0].status, 201, "{answers:?}");
    let signs = records(&admin, "trash_sign").await;
    let sign: ntm_field::record::Version = serde_json::from_value(signs[0].clone()).unwrap();
    let location = sign.location.unwrap();
    assert_eq!(
        (location.accuracy_m, location.source),
        (4.2, LocationSource::Gps)
    );
    let Body::TrashSign(s) = &sign.body else {
        panic!()
    };
    assert_eq!(s.responsible_household_id, Some(household.entity_id));

    let card = admin
        .get("/api/v1/communes/thien-ke/scorecard?as_of=2026-12-31")
        .await
        .body;
    let ind = card["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["indicators"].as_array().unwrap())
        .find(|i| i["id"] == "17.6")
        .unwrap()
        .clone();
    assert_eq!(
        (ind["numerator"].clone(), ind["denominator"].clone()),
        (json!(1.0), json!(1.0))
    );
}

ntm_tests::on_both_backends!(
    javarosa_submissions_of_each_form_become_the_expected_versions,
    xforms_engine_submissions_of_each_form_become_the_expected_versions,
);
