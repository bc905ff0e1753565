//! Push preparation: from a decoded request to a [`PushBatch`] of validated versions. The
//! request-level rules refuse the whole push (wrong device, sequence not dense, another
//! commune); the version-level rules (the core's validation) reject one version with its reason
//! while the rest is stored.

use chrono::{DateTime, Utc};
use ntm_field::catalog::Catalog;
use ntm_field::config::CommuneConfig;
use ntm_field::ids::Slug;
use ntm_field::protocol::PushRequest;
use ntm_field::record::Version;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::body::{decode, Format};
use crate::error::{ApiError, ApiResult};
use crate::storage::{Device, PushBatch, PushItem};

/// What identifies a version's content for the corrupt check: the core's
/// [`Version::content_digest_without_envelope`], of everything the client wrote except the
/// envelope (`device_id`, `device_seq`), so that the same version re-sent under another sequence
/// number or by a restored phone with a new device id is a duplicate, not corrupt.
pub fn digest(v: &Version) -> [u8; 32] {
    v.content_digest_without_envelope()
}

/// A tag of a commune's configuration; a client sends it back to skip unchanged reference data.
pub fn config_etag(config: &CommuneConfig) -> String {
    let json = serde_json::to_vec(config).expect("a configuration always serialises");
    hex::encode(&Sha256::digest(json)[..12])
}

/// One version of a push as read from the body.
enum Pushed<'a> {
    /// Read straight from its JSON text (the common case), which is kept to name a rejected
    /// version by the id it was sent with.
    Read(Box<Version>, &'a RawValue),
    /// Anything else, read as a `Value` so that checks and errors are those of any body.
    Value(serde_json::Value),
}

/// [`prepare_push`] of a decompressed body of `format`, with the same answer for every body, but
/// a JSON body's versions are read straight into their types instead of through a
/// `serde_json::Value` tree, the bulk of the work of a push otherwise.
pub fn prepare_push_body(
    device: &Device,
    config: &CommuneConfig,
    format: Format,
    body: &[u8],
    max_versions: usize,
    received_at: DateTime<Utc>,
) -> ApiResult<PushBatch> {
    let through_values = || {
        let request = decode(format, body)?;
        prepare_push(device, config, request, max_versions, received_at)
    };
    if format != Format::Json {
        return through_values();
    }
    let Ok(request) = serde_json::from_slice::<PushRequest<&RawValue>>(body) else {
        return through_values();
    };
    let mut versions = Vec::with_capacity(request.versions.len());
    for raw in request.versions {
        match Version::from_json(raw.get()) {
            Some(v) => versions.push(Pushed::Read(Box::new(v), raw)),
            None => match serde_json::from_str(raw.get()) {
                Ok(value) => versions.push(Pushed::Value(value)),
                // JSON, but not a `Value` (a number out of range): refused as a whole body.
                Err(_) => return through_values(),
            },
        }
    }
    prepare(
        device,
        config,
        PushRequest {
            device_id: request.device_id,
            first_seq: request.first_seq,
            versions,
        },
        max_versions,
        received_at,
    )
}

/// Checks a push request against the device and the commune and validates each version.
pub fn prepare_push(
    device: &Device,
    config: &CommuneConfig,
    request: PushRequest<serde_json::Value>,
    max_versions: usize,
    received_at: DateTime<Utc>,
) -> ApiResult<PushBatch> {
    let versions = request.versions.into_iter().map(Pushed::Value).collect();
    prepare(
        device,
        config,
        PushRequest {
            device_id: request.device_id,
            first_seq: request.first_seq,
            versions,
        },
        max_versions,
        received_at,
    )
}

fn prepare(
    device: &Device,
    config: &CommuneConfig,
    request: PushRequest<Pushed>,
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
    for (i, pushed) in request.versions.iter().enumerate() {
        let expected = request.first_seq + i as u64;
        let (device_seq, commune_id, device_id) = match pushed {
            Pushed::Read(v, _) => (
                Some(v.device_seq),
                Some(v.commune_id.as_str()),
                Some(v.device_id),
            ),
            Pushed::Value(v) => {
                let Some(obj) = v.as_object() else {
                    return Err(ApiError::invalid_body("each version must be a JSON object")
                        .with_field(format!("versions[{i}]")));
                };
                (
                    obj.get("device_seq").and_then(|s| s.as_u64()),
                    obj.get("commune_id").and_then(|c| c.as_str()),
                    obj.get("device_id")
                        .and_then(|d| d.as_str())
                        .and_then(|d| Uuid::parse_str(d).ok()),
                )
            }
        };
        if device_seq != Some(expected) {
            return Err(ApiError::bad_request(
                "bad_sequence",
                format!("versions must carry dense sequence numbers from first_seq; expected device_seq {expected} here"),
            )
            .with_field(format!("versions[{i}].device_seq")));
        }
        if let Some(c) = commune_id {
            let held = Slug::parse(c).is_ok_and(|c| config.holds(&c));
            if !held {
                return Err(ApiError::forbidden(format!(
                    "this device belongs to commune {}, not {c}; nothing of this push was stored",
                    config.commune.id
                ))
                .with_field(format!("versions[{i}].commune_id")));
            }
        }
        if device_id.is_some_and(|d| d != device.device_id) {
            return Err(ApiError::forbidden(format!(
                "versions must carry this device's id {device_key}; nothing of this push was stored"
            ))
            .with_field(format!("versions[{i}].device_id")));
        }
    }
    let commune = &config.commune;
    let merged_from = &config.merged_from[..];
    let catalog = Catalog::builtin();
    let items = request
        .versions
        .into_iter()
        .map(|pushed| {
            let (checked, sent) = match pushed {
                Pushed::Read(v, raw) => (
                    v.validate()
                        .and_then(|_| v.validate_in_merged(commune, merged_from, catalog))
                        .map(|_| v),
                    Sent::Text(raw),
                ),
                Pushed::Value(value) => {
                    let version_id = version_id_sent(&value);
                    (
                        Version::from_value(value).and_then(|v| {
                            v.validate_in_merged(commune, merged_from, catalog)
                                .map(|_| Box::new(v))
                        }),
                        Sent::Id(version_id),
                    )
                }
            };
            match checked {
                Ok(version) => PushItem::Valid {
                    digest: digest(&version),
                    version,
                },
                Err(errors) => PushItem::Invalid {
                    version_id: match sent {
                        Sent::Id(id) => id,
                        // Valid JSON text always reads as a `Value` (or it was not `Read`).
                        Sent::Text(raw) => serde_json::from_str(raw.get())
                            .map(|value| version_id_sent(&value))
                            .unwrap_or_default(),
                    },
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

/// How a rejected version was sent, to name it in the answer.
enum Sent<'a> {
    Id(String),
    Text(&'a RawValue),
}

/// The `version_id` a version was sent with (it may not even be a UUID), for its rejection.
fn version_id_sent(value: &serde_json::Value) -> String {
    value
        .get("version_id")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .chars()
        .take(64)
        .collect()
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
