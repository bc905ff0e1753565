//! ODK Collect's (and KoboCollect's) settings for one enrolled device: its server URL, which
//! carries the device's token (`/odk/key/{token}`, as ODK Central puts an app user's token in
//! the path), and the QR code Collect imports (zlib-compressed JSON, base64; keys as Collect's
//! `ProjectKeys`). A device for Collect is enrolled with an ordinary enrollment code, redeemed
//! at once by the dashboard, since Collect cannot redeem one itself.

use std::io::Write;

use base64::Engine;
use chrono::Utc;
use ntm_field::protocol::Role;
use uuid::Uuid;

use crate::auth::{new_token, token_hash, DEVICE_TOKEN_PREFIX};
use crate::storage::{Device, NewDevice, RedeemRefusal, Storage, StoreResult};

/// The platform recorded for devices enrolled for ODK Collect or KoboCollect.
pub const PLATFORM: &str = "odk-collect";

/// The server URL to type into Collect (Settings → Project management → Server).
pub fn server_url(base: &str, token: &str) -> String {
    format!("{}/odk/key/{token}", base.trim_end_matches('/'))
}

/// Collect's settings JSON: the server, forms kept exactly as the server lists them (so a
/// form turned off disappears and a new media file is fetched), finalized forms sent on any
/// network, the holder as the form's `username` metadata, and the project's name.
pub fn settings_json(server_url: &str, holder: Option<&str>, project: &str) -> String {
    let mut general = serde_json::json!({
        "server_url": server_url,
        "form_update_mode": "match_exactly",
        "autosend": "wifi_and_cellular",
        "app_language": "vi",
    });
    if let Some(h) = holder {
        general["metadata_username"] = serde_json::json!(h);
    }
    serde_json::json!({
        "general": general,
        "admin": {},
        "project": {"name": project, "icon": "N", "color": "#1b5e20"},
    })
    .to_string()
}

/// What the QR code carries: the settings JSON, zlib-compressed, base64.
pub fn qr_payload(settings_json: &str) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(settings_json.as_bytes())
        .expect("writing to memory cannot fail");
    let bytes = z.finish().expect("writing to memory cannot fail");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Redeems an enrollment code for a Collect device now; the token is returned once (only its
/// SHA-256 is stored) to be shown in the settings.
pub fn enroll(
    storage: &dyn Storage,
    code_hash: &str,
    name: &str,
) -> StoreResult<Result<(Device, String), RedeemRefusal>> {
    let token = new_token(DEVICE_TOKEN_PREFIX);
    let device = NewDevice {
        device_id: Uuid::now_v7(),
        token_hash: token_hash(&token),
        name: name.to_owned(),
        platform: PLATFORM.to_owned(),
        attempt_id: None,
    };
    Ok(storage
        .redeem_enrollment(code_hash, Utc::now(), &device)?
        .map(|d| (d, token)))
}

/// Whether a device of this role may send submissions.
pub fn may_submit(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Officer | Role::Enumerator)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_qr_code_is_zlib_compressed_json_in_base64_as_collect_imports_it() {
        let url = server_url("https://ntm.example.vn/", "ntmd_abc");
        assert_eq!(url, "https://ntm.example.vn/odk/key/ntmd_abc");
        let payload = qr_payload(&settings_json(&url, Some("Lò Thị Hoa"), "Thiện Kế"));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap();
        let mut json = String::new();
        flate2::read::ZlibDecoder::new(&bytes[..])
            .read_to_string(&mut json)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["general"]["server_url"], url);
        assert_eq!(v["general"]["metadata_username"], "Lò Thị Hoa");
        assert_eq!(v["general"]["form_update_mode"], "match_exactly");
        assert!(v["admin"].is_object());
        assert_eq!(v["project"]["name"], "Thiện Kế");
    }
}
