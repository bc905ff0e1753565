//! The push body as the server reads it: Content-Encoding undone (identity, gzip, zstd) under
//! a bound, decoded as JSON or CBOR into a `PushRequest`, then checked against the device and
//! validated version by version (`prepare_push`). The first byte picks the format (bit 0:
//! JSON or CBOR) and the encoding (the next bits: identity, gzip or zstd); the rest is the
//! body as sent.
//!
//! Every refusal must be a 4xx; an accepted push must be a batch the storage can trust (one
//! item per version, sequence numbers and commune as checked); and a body that decodes as
//! JSON must decode to the same request when the app sends it as CBOR.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntm_field::protocol::PushRequest;
use ntm_fuzz::{assert_client_error, demo_config, demo_device, received_at, DEVICE_ID};
use ntm_server::body::{decode, decompress, Encoding, Format};
use ntm_server::storage::PushItem;
use ntm_server::sync::{digest, prepare_push};

/// Smaller than the server's 32 MiB so that each run stays fast; the bound is the same code.
const MAX_DECOMPRESSED: usize = 1 << 20;
const MAX_VERSIONS: usize = 1000;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let format = if selector & 1 == 0 {
        Format::Json
    } else {
        Format::Cbor
    };
    let encoding = match (selector >> 1) % 3 {
        0 => Encoding::Identity,
        1 => Encoding::Gzip,
        _ => Encoding::Zstd,
    };
    let plain = match decompress(encoding, body, MAX_DECOMPRESSED) {
        Ok(plain) => plain,
        Err(e) => return assert_client_error(&e, "decompress"),
    };
    assert!(plain.len() <= MAX_DECOMPRESSED);
    let request: PushRequest<serde_json::Value> = match decode(format, &plain) {
        Ok(request) => request,
        Err(e) => return assert_client_error(&e, "decode"),
    };
    if format == Format::Json {
        // As the app writes CBOR: through a JSON value (a UUID written straight to a binary
        // format would be 16 bytes, which the JSON-shaped reading does not take).
        let value = serde_json::to_value(&request).expect("a decoded request is a JSON value");
        let mut cbor = Vec::new();
        ciborium::into_writer(&value, &mut cbor).expect("a decoded request encodes as CBOR");
        match decode::<PushRequest<serde_json::Value>>(Format::Cbor, &cbor) {
            Ok(again) => assert_eq!(again, request, "CBOR reads the push differently from JSON"),
            Err(e) => panic!("a push read from JSON does not read as CBOR: {}", e.message),
        }
    }

    let config = demo_config();
    let first_seq = request.first_seq;
    let count = request.versions.len();
    let batch = match prepare_push(
        &demo_device(),
        config,
        request,
        MAX_VERSIONS,
        received_at(),
    ) {
        Ok(batch) => batch,
        Err(e) => return assert_client_error(&e, "prepare_push"),
    };
    assert_eq!((batch.device_id, batch.first_seq), (DEVICE_ID, first_seq));
    assert_eq!(batch.items.len(), count, "one answer per version");
    for (i, item) in batch.items.iter().enumerate() {
        match item {
            PushItem::Valid { version, digest: d } => {
                assert_eq!(Some(version.device_seq), first_seq.checked_add(i as u64));
                assert_eq!(version.device_id, DEVICE_ID);
                assert_eq!(version.commune_id, config.commune.id);
                assert_eq!(*d, digest(version));
            }
            PushItem::Invalid { version_id, reason } => {
                assert!(version_id.chars().count() <= 64);
                assert!(!reason.is_empty() && reason.chars().count() <= 4000);
            }
        }
    }
});
