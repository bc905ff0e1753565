//! Authentication as axum extractors (`UserAuth`, `DeviceAuth`, `AnyAuth`): a handler that takes
//! one cannot forget to authenticate. Each carries a [`Principal`] with its commune scope, and
//! [`authorize`] is the one place that decides whether it may touch a commune.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use chrono::Utc;
use ntm_field::admin::Commune;
use ntm_field::config::CommuneConfig;
use ntm_field::ids::Slug;
use ntm_field::protocol::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::storage::{Device, User};
use crate::{blocking, AppState};

/// Prefix of dashboard session tokens.
pub const USER_TOKEN_PREFIX: &str = "ntmu_";
/// Prefix of device tokens.
pub const DEVICE_TOKEN_PREFIX: &str = "ntmd_";

/// Where a principal may act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Administrators: every commune.
    All,
    /// Provincial officials: every commune of the province.
    Province(String),
    /// District officials: every commune of one district of a province (district names repeat
    /// across provinces, so the pair).
    District {
        province: String,
        district: String,
    },
    Commune(Slug),
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User { id: i64, username: String },
    Device { device_id: Uuid },
}

/// An authenticated caller with its role and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub actor: Actor,
    pub role: Role,
    pub scope: Scope,
}

/// What a caller wants to do with a commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read its records, scorecard and configuration.
    Read,
    /// Add records and photos.
    Collect,
    /// Change its targets and quotas, enroll and revoke devices.
    Manage,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// `device:<uuid>` or `user:<id>`: the owner of a tus upload.
    pub fn owner_key(&self) -> String {
        match &self.actor {
            Actor::User { id, .. } => format!("user:{id}"),
            Actor::Device { device_id } => format!("device:{device_id}"),
        }
    }

    pub fn name(&self) -> String {
        match &self.actor {
            Actor::User { username, .. } => username.clone(),
            Actor::Device { device_id } => format!("device {device_id}"),
        }
    }

    /// Whether the scope covers `commune` (by its id, province and district).
    pub fn covers(&self, commune: &Commune) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Province(p) => *p == commune.province,
            Scope::District { province, district } => {
                *province == commune.province && commune.district.as_ref() == Some(district)
            }
            Scope::Commune(c) => *c == commune.id,
        }
    }

    /// Whether the role allows `access` (within scope).
    pub fn role_allows(&self, access: Access) -> bool {
        match (access, &self.actor) {
            (Access::Read, _) => true,
            (Access::Collect, _) => {
                matches!(self.role, Role::Admin | Role::Officer | Role::Enumerator)
            }
            (Access::Manage, Actor::User { .. }) => {
                matches!(self.role, Role::Admin | Role::Officer)
            }
            (Access::Manage, Actor::Device { .. }) => false,
        }
    }

    fn of_user(u: &User) -> Principal {
        let scope = match (u.role, &u.commune_id, &u.province, &u.district) {
            (Role::Admin, _, _, _) => Scope::All,
            (_, Some(c), _, _) => Scope::Commune(c.clone()),
            (_, None, Some(p), Some(d)) => Scope::District {
                province: p.clone(),
                district: d.clone(),
            },
            (_, None, Some(p), None) => Scope::Province(p.clone()),
            // An account with no scope sees nothing: an impossible province.
            (_, None, None, _) => Scope::Province(String::new()),
        };
        Principal {
            actor: Actor::User {
                id: u.id,
                username: u.username.clone(),
            },
            role: u.role,
            scope,
        }
    }

    fn of_device(d: &Device) -> Principal {
        Principal {
            actor: Actor::Device {
                device_id: d.device_id,
            },
            role: d.role,
            scope: Scope::Commune(d.commune_id.clone()),
        }
    }
}

/// Loads a commune and checks, in this one place, that `principal` may have `access` to it.
/// A caller outside the commune's scope gets 403 whether or not the commune exists.
pub async fn authorize(
    state: &Arc<AppState>,
    principal: &Principal,
    commune: &Slug,
    access: Access,
) -> ApiResult<CommuneConfig> {
    let storage = state.storage.clone();
    let id = commune.clone();
    let config = blocking(move || Ok(storage.commune_config(&id)?)).await?;
    let in_scope = config
        .as_ref()
        .is_some_and(|c| principal.covers(&c.commune));
    if !in_scope {
        if principal.is_admin() {
            return Err(ApiError::not_found(format!(
                "commune {commune} does not exist; create it with POST /api/v1/communes"
            )));
        }
        return Err(ApiError::forbidden(format!(
            "{} may not use commune {commune}; ask an administrator for access",
            principal.name()
        )));
    }
    if !principal.role_allows(access) {
        return Err(ApiError::forbidden(format!(
            "the {:?} role may not do this in commune {commune}; ask an officer or administrator",
            principal.role
        )));
    }
    Ok(config.expect("in scope implies it exists"))
}

/// SHA-256 (hex) of a token or code: only this is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh bearer token: the prefix and 256 random bits.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A one-time enrollment code people can type: 12 characters (60 bits) in groups of 4.
pub fn new_enrollment_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..12)
        .map(|_| CODE_ALPHABET[(rng.next_u32() % 32) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as typed, normalised: upper case, without spaces or dashes.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// An argon2id PHC string of `password`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string())
}

/// Checks a password against a stored hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn bearer(parts: &Parts) -> ApiResult<String> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "send Authorization: Bearer <token>; log in or enroll the device first",
            )
        })?;
    let value = header
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not readable text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::unauthorized("use Authorization: Bearer <token>"))?;
    Ok(token.trim().to_owned())
}

enum Authenticated {
    User(User),
    Device(Device),
}

async fn authenticate(parts: &Parts, state: &Arc<AppState>) -> ApiResult<Authenticated> {
    let token = bearer(parts)?;
    let hash = token_hash(&token);
    let storage = state.storage.clone();
    if token.starts_with(USER_TOKEN_PREFIX) {
        let user = blocking(move || Ok(storage.session_user(&hash, Utc::now())?)).await?;
        user.map(Authenticated::User).ok_or_else(|| {
            ApiError::unauthorized("this session token is unknown or expired; log in again")
        })
    } else if token.starts_with(DEVICE_TOKEN_PREFIX) {
        let device = blocking(move || Ok(storage.device_by_token(&hash)?)).await?;
        match device {
            None => Err(ApiError::unauthorized(
                "this device token is unknown; enroll the device again with a new code",
            )),
            Some(d) if d.revoked_at.is_some() => Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "device_revoked",
                "this device was revoked; ask an officer for a new enrollment code",
            )),
            Some(d) => Ok(Authenticated::Device(moved(state, d).await?)),
        }
    } else {
        Err(ApiError::unauthorized(
            "this is not a token of this server; log in or enroll the device",
        ))
    }
}

/// A device of a commune that a merger in force has put into another: it is moved there at its
/// first request from the merger date, and works for the new commune from then on (its
/// records of the old commune are the new one's too).
pub(crate) async fn moved(state: &Arc<AppState>, mut device: Device) -> ApiResult<Device> {
    let storage = state.storage.clone();
    let (id, from) = (device.device_id, device.commune_id.clone());
    let to = blocking(move || {
        let mergers = storage.mergers()?;
        let today = crate::handlers::v1::reports::local_today();
        // A commune that merged into one that merged again ends in the last (the chain is
        // acyclic: a merger's new commune exists from its date on).
        let mut to = None;
        let mut at = from.clone();
        for _ in 0..mergers.len() {
            let Some(next) = crate::lineage::merged_into(&mergers, &at, today) else {
                break;
            };
            at = next.clone();
            to = Some(next);
        }
        if let Some(to) = &to {
            storage.move_device(id, &from, to)?;
            tracing::info!(device = %id, %from, %to, "moved a device into the commune its commune merged into");
        }
        Ok(to)
    })
    .await?;
    if let Some(to) = to {
        device.commune_id = to;
    }
    Ok(device)
}

/// A logged-in dashboard user.
pub struct UserAuth(pub Principal, pub User);
/// An enrolled, unrevoked device.
pub struct DeviceAuth(pub Principal, pub Device);
/// Either.
pub struct AnyAuth(pub Principal);

impl FromRequestParts<Arc<AppState>> for UserAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        match authenticate(parts, state).await? {
            Authenticated::User(u) => Ok(UserAuth(Principal::of_user(&u), u)),
            Authenticated::Device(_) => Err(ApiError::forbidden(
                "this call is for dashboard users; log in with a user name",
            )),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for DeviceAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        match authenticate(parts, state).await? {
            Authenticated::Device(d) => Ok(DeviceAuth(Principal::of_device(&d), d)),
            Authenticated::User(_) => Err(ApiError::forbidden(
                "this call is for enrolled devices; use a device token",
            )),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for AnyAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        Ok(AnyAuth(match authenticate(parts, state).await? {
            Authenticated::User(u) => Principal::of_user(&u),
            Authenticated::Device(d) => Principal::of_device(&d),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("mật khẩu").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu", &h));
        assert!(!verify_password("mat khau", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn enrollment_codes_are_typable_and_normalised() {
        let code = new_enrollment_code();
        assert_eq!(code.len(), 14);
        assert_eq!(
            normalize_code(&code.to_lowercase().replace('-', " ")),
            code.replace('-', "")
        );
        assert_ne!(new_enrollment_code(), code);
    }

    #[test]
    fn scope_decides_communes() {
        let c = |s: &str| Slug::parse(s).unwrap();
        let commune = |id: &str, province: &str, district: Option<&str>| Commune {
            id: c(id),
            name: id.into(),
            province: province.into(),
            district: district.map(str::to_owned),
            region: ntm_field::ids::Region::Tdmnpb,
            villages: Vec::new(),
            code: None,
            valid_from: None,
            valid_until: None,
        };
        let thien_ke = commune("thien-ke", "Tuyên Quang", Some("Sơn Dương"));
        let vinh_loi = commune("vinh-loi", "Tuyên Quang", Some("Sơn Dương"));
        let minh_quang = commune("minh-quang", "Tuyên Quang", Some("Chiêm Hóa"));
        let no_district = commune("other", "Tuyên Quang", None);
        let same_name_elsewhere = commune("x", "Hà Giang", Some("Sơn Dương"));
        let officer = Principal {
            actor: Actor::User {
                id: 1,
                username: "a".into(),
            },
            role: Role::Officer,
            scope: Scope::Commune(c("thien-ke")),
        };
        assert!(officer.covers(&thien_ke));
        assert!(!officer.covers(&vinh_loi));
        let province = Principal {
            scope: Scope::Province("Tuyên Quang".into()),
            ..officer.clone()
        };
        assert!(province.covers(&minh_quang) && province.covers(&no_district));
        assert!(!province.covers(&same_name_elsewhere));
        let district = Principal {
            scope: Scope::District {
                province: "Tuyên Quang".into(),
                district: "Sơn Dương".into(),
            },
            ..officer.clone()
        };
        assert!(district.covers(&thien_ke) && district.covers(&vinh_loi));
        assert!(!district.covers(&minh_quang));
        assert!(!district.covers(&no_district));
        assert!(!district.covers(&same_name_elsewhere));
        let device = Principal {
            actor: Actor::Device {
                device_id: Uuid::nil(),
            },
            role: Role::Enumerator,
            scope: Scope::Commune(c("thien-ke")),
        };
        assert!(device.role_allows(Access::Collect) && !device.role_allows(Access::Manage));
        let viewer = Principal {
            role: Role::Viewer,
            ..officer
        };
        assert!(viewer.role_allows(Access::Read) && !viewer.role_allows(Access::Collect));
    }
}
