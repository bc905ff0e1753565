//! A version from outside, as the phone and the server both read it: `Version::from_value` (the
//! push path), and the server's fast reader `Version::from_json`, which must agree with it; then
//! `validate_in` the demo commune.
//!
//! What is accepted must survive the trip back out unchanged: written as JSON (what the server
//! stores and serves on pull) or CBOR (what the app sends, read as the server reads it), it reads
//! back as the same version with the same content digest, so a replay is a duplicate and never
//! "corrupt". A road's length from an accepted track is finite and not negative.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntm_field::catalog::Catalog;
use ntm_field::geo::TrackFilter;
use ntm_field::record::{Body, Version};
use ntm_fuzz::demo_commune;

fuzz_target!(|data: &[u8]| {
    let value = serde_json::from_slice::<serde_json::Value>(data).ok();
    let through_value = value.map(Version::from_value);
    // The fast reader only reads shape; `from_value` also validates.
    let fast = std::str::from_utf8(data).ok().and_then(Version::from_json);
    match (&fast, &through_value) {
        (Some(_), None) => panic!("the fast reader took a body that is not JSON"),
        (Some(fast), Some(Ok(slow))) => assert_eq!(fast, slow, "the two readers disagree"),
        (Some(fast), Some(Err(_))) => assert!(
            fast.validate().is_err(),
            "the fast reader took a version the value path refuses for its shape"
        ),
        (None, _) => {}
    }
    if let Some(Ok(version)) = &through_value {
        check_accepted(version);
    }
});

fn check_accepted(version: &Version) {
    let _ = version.validate_in(demo_commune(), Catalog::builtin());

    let json = serde_json::to_value(version).expect("a version serialises to JSON");
    // Written as the app writes CBOR, through a JSON value (a UUID written straight to a
    // binary format would be 16 bytes, which the JSON-shaped reading does not take).
    let mut cbor = Vec::new();
    ciborium::into_writer(&json, &mut cbor).expect("a version serialises to CBOR");
    // Through a JSON value, as the server decodes a CBOR push (`ntm_server::body::decode`).
    let from_cbor: serde_json::Value =
        ciborium::de::from_reader(&cbor[..]).expect("a version's CBOR reads back");
    reads_back(version, json, "JSON");
    reads_back(version, from_cbor, "CBOR");

    if let Body::RoadSegment(road) = &version.body {
        let length = road.length(&TrackFilter::default());
        assert!(
            length.metres.is_finite() && length.metres >= 0.0,
            "road length {} m",
            length.metres
        );
    }
}

/// `written` (the version written out and read back as `format`) is the same version with the
/// same content digest.
fn reads_back(version: &Version, written: serde_json::Value, format: &str) {
    match Version::from_value(written) {
        Ok(again) => {
            assert_eq!(
                &again, version,
                "{format} does not read back as the same version"
            );
            assert_eq!(again.content_digest(), version.content_digest());
        }
        Err(e) => panic!("an accepted version written as {format} is refused: {e}"),
    }
}
