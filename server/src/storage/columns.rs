//! How the values that both backends keep as text are written and read back: roles, push
//! statuses, commune ids, photo ids and version documents. Each backend keeps its own SQL and
//! its own types for the rest (SQLite's text times and uuids, PostgreSQL's native ones).

use ntm_field::ids::{PhotoId, Slug};
use ntm_field::protocol::{PushStatus, Role};
use ntm_field::record::Version;

use super::{StoreError, StoreResult};

pub(super) fn role_str(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Officer => "officer",
        Role::Enumerator => "enumerator",
        Role::Viewer => "viewer",
    }
}

pub(super) fn parse_role(s: &str) -> StoreResult<Role> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StoreError::Backend(format!("stored role {s:?}")))
}

pub(super) fn parse_slug(s: &str) -> StoreResult<Slug> {
    Slug::parse(s).map_err(|e| StoreError::Backend(format!("stored id: {e}")))
}

pub(super) fn parse_photo(s: &str) -> StoreResult<PhotoId> {
    PhotoId::parse(s).map_err(|e| StoreError::Backend(format!("stored photo id: {e}")))
}

pub(super) fn status_str(s: PushStatus) -> &'static str {
    match s {
        PushStatus::Stored => "stored",
        PushStatus::Duplicate => "duplicate",
        PushStatus::Rejected => "rejected",
    }
}

pub(super) fn parse_status(s: &str) -> StoreResult<PushStatus> {
    match s {
        "stored" => Ok(PushStatus::Stored),
        "duplicate" => Ok(PushStatus::Duplicate),
        "rejected" => Ok(PushStatus::Rejected),
        other => Err(StoreError::Backend(format!("stored status {other:?}"))),
    }
}

/// A stored version: read straight into its typed body, through a `Value` only if that fails.
pub(super) fn parse_version(content: &str) -> StoreResult<Version> {
    match Version::from_json(content) {
        Some(v) => Ok(v),
        None => serde_json::from_str(content)
            .map_err(|e| StoreError::Backend(format!("stored version: {e}"))),
    }
}
