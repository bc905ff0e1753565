//! Push preparation: from a decoded request to a [`PushBatch`] of validated versions. The
//! request-level rules refuse the whole push (wrong device, sequence not dense, another
//! commune); the version-level rules (the core's validation) reject one version with its reason
//! while the rest is stored.

use chrono::{DateTime, Utc};
use ntm_field::admin::Commune;
use ntm_field::catalog::Catalog;
use ntm_field::config::CommuneConfig;
use ntm_field::protocol::PushRequest;
use ntm_field::record::Version;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::storage::{Device, PushBatch, PushItem};

/// What identifies a version's content for the corrupt check: the core's
/// [`Version::content_digest`] of everything the client wrote except the envelope
/// (`device_id`, `device_seq`), so that the same version re-sent under another sequence number
/// or by a restored phone with a new device id is a duplicate, not corrupt.
pub fn digest(v: &Version) -> [u8; 32] {
    let mut content = v.clone();
    content.device_id = Uuid::nil();
    content.device_seq = 0;
    content.content_digest()
}

/// A tag of a commune's configuration; a client sends it back to skip unchanged reference data.
pub fn config_etag(config: &CommuneConfig) -> String {
    let json = serde_json::to_vec(config).expect("a configuration always serialises");
    hex::encode(&Sha256::digest(json)[..12])
}

/// Checks a push request against the device and the commune and validates each version.
pub fn prepare_push(
    device: &Device,
    commune: &Commune,
    request: PushRequest<serde_json::Value>,
    max_versions: usize,
    received_at: DateTime<Utc>,
) -> ApiResult<PushBatch> {
    if request.device_id != device.device_id {
        return Err(ApiError::forbidden(format!(
            "this token belongs to device {}; send that device_id, or enroll this phone again",
            device.device_id
        ))
        .with_field("device_id"));
    }
    if request.first_seq == 0 {
        return Err(
            ApiError::bad_request("bad_sequence", "first_seq starts at 1").with_field("first_seq"),
        );
    }
    if request.versions.len() > max_versions {
        return Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_versions",
            format!(
                "a push may carry at most {max_versions} versions; send the rest in the next push"
            ),
        )
        .with_field("versions"));
    }
    let device_key = device.device_id.to_string();
    for (i, v) in request.versions.iter().enumerate() {
        let expected = request.first_seq + i as u64;
        let Some(obj) = v.as_object() else {
            return Err(ApiError::invalid_body("each version must be a JSON object")
                .with_field(format!("versions[{i}]")));
        };
        if obj.get("device_seq").and_then(|s| s.as_u64()) != Some(expected) {
            return Err(ApiError::bad_request(
                "bad_sequence",
                format!("versions must carry dense sequence numbers from first_seq; expected device_seq {expected} here"),
            )
            .with_field(format!("versions[{i}].device_seq")));
        }
        if let Some(c) = obj.get("commune_id").and_then(|c| c.as_str()) {
            if c != commune.id.as_str() {
                return Err(ApiError::forbidden(format!(
                    "this device belongs to commune {}, not {c}; nothing of this push was stored",
                    commune.id
                ))
                .with_field(format!("versions[{i}].commune_id")));
            }
        }
        if let Some(d) = obj.get("device_id").and_then(|d| d.as_str()) {
            if Uuid::parse_str(d).is_ok_and(|d| d.to_string() != device_key) {
                return Err(ApiError::forbidden(format!(
                    "versions must carry this device's id {device_key}; nothing of this push was stored"
                ))
                .with_field(format!("versions[{i}].device_id")));
            }
        }
    }
    let catalog = Catalog::builtin();
    let items = request
        .versions
        .into_iter()
        .map(|value| {
            let version_id = value
                .get("version_id")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .chars()
                .take(64)
                .collect();
            match Version::from_value(value)
                .and_then(|v| v.validate_in(commune, catalog).map(|_| v))
            {
                Ok(v) => PushItem::Valid {
                    digest: digest(&v),
                    version: Box::new(v),
                },
                Err(errors) => PushItem::Invalid {
                    version_id,
                    reason: reason_of(errors),
                },
            }
        })
        .collect();
    Ok(PushBatch {
        device_id: device.device_id,
        first_seq: request.first_seq,
        items,
        received_at,
        check_clocks: true,
    })
}

/// The reason stored and returned for a rejected version: the first errors, each with its field
/// path, so that a hostile version cannot make the answer (and the stored outcome) huge.
fn reason_of(errors: ntm_field::record::ValidationErrors) -> String {
    const SHOWN: usize = 10;
    let total = errors.0.len();
    let mut shown = errors;
    shown.0.truncate(SHOWN);
    let mut reason = shown.to_string();
    if total > SHOWN {
        reason.push_str(&format!("; and {} more problems", total - SHOWN));
    }
    reason.chars().take(4000).collect()
}
