//! Device enrollment (code -> device id and token) and revocation.

use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use ntm_field::protocol::{EnrollRequest, EnrollResponse, ReidentifyRequest};
use uuid::Uuid;

use super::ApiPath;
use crate::auth::{
    authorize, new_token, normalize_code, token_hash, Access, DeviceAuth, UserAuth,
    DEVICE_TOKEN_PREFIX,
};
use crate::body::ApiBody;
use crate::error::{ApiError, ApiResult};
use crate::openapi::schemas;
use crate::serve::ClientAddr;
use crate::storage::{NewDevice, RedeemRefusal};
use crate::{blocking, AppState};

/// `POST /api/v1/devices/enroll`: a one-time code and the device's name -> its id, token and
/// the commune's reference data.
#[utoipa::path(post, path = "/api/v1/devices/enroll", tag = "devices",
    request_body(content = schemas::EnrollRequest),
    responses((status = 201, description = "the device's id and token, and its commune", body = schemas::EnrollResponse),
              (status = 400, description = "the code is unknown, used or expired, or a name is missing"),
              (status = 429, description = "too many failed attempts from this address")))]
pub async fn enroll(
    State(state): State<Arc<AppState>>,
    ConnectInfo(ClientAddr(addr)): ConnectInfo<ClientAddr>,
    ApiBody(req): ApiBody<EnrollRequest>,
) -> ApiResult<(StatusCode, Json<EnrollResponse>)> {
    let limits = &state.limits;
    let ip_key = format!("enroll-ip:{}", addr.ip());
    state.rate.check(
        &ip_key,
        limits.enroll_failures_per_ip,
        limits.attempt_window,
        "failed enrollments from this address",
    )?;
    let name_ok = |s: &str| !s.trim().is_empty() && s.chars().count() <= 100;
    if !name_ok(&req.device_name) {
        return Err(ApiError::bad_request(
            "invalid",
            "give the device a name of 1 to 100 characters",
        )
        .with_field("device_name"));
    }
    if !name_ok(&req.platform) {
        return Err(
            ApiError::bad_request("invalid", "platform is e.g. android, ios, desktop")
                .with_field("platform"),
        );
    }
    let code = normalize_code(&req.code);
    if code.is_empty() || code.len() > 64 {
        state.rate.record(&ip_key);
        return Err(ApiError::bad_request(
            "invalid_code",
            "type the enrollment code an officer gave you",
        )
        .with_field("code"));
    }
    let token = new_token(DEVICE_TOKEN_PREFIX);
    let device = NewDevice {
        device_id: Uuid::now_v7(),
        token_hash: token_hash(&token),
        name: req.device_name.trim().to_owned(),
        platform: req.platform.trim().to_owned(),
        attempt_id: req.attempt_id,
    };
    let storage = state.storage.clone();
    let outcome = blocking(move || {
        let redeemed = storage.redeem_enrollment(&token_hash(&code), Utc::now(), &device)?;
        Ok(match redeemed {
            Ok(d) => {
                let config = storage
                    .commune_config(&d.commune_id)?
                    .ok_or_else(|| ApiError::internal("the commune vanished"))?;
                Ok((d, config))
            }
            Err(refusal) => Err(refusal),
        })
    })
    .await?;
    let (device, config) = match outcome {
        Ok(v) => v,
        Err(refusal) => {
            state.rate.record(&ip_key);
            let message = match refusal {
                RedeemRefusal::Unknown => {
                    "this enrollment code is not known; check it or ask an officer for a new one"
                }
                RedeemRefusal::AlreadyUsed => {
                    "this enrollment code was already used; ask an officer for a new one"
                }
                RedeemRefusal::Expired => {
                    "this enrollment code has expired; ask an officer for a new one"
                }
            };
            return Err(ApiError::bad_request("invalid_code", message).with_field("code"));
        }
    };
    tracing::info!(device = %device.device_id, commune = %device.commune_id, role = ?device.role, "device enrolled");
    Ok((
        StatusCode::CREATED,
        Json(EnrollResponse {
            device_id: device.device_id,
            token,
            role: device.role,
            commune: config.commune,
        }),
    ))
}

/// `POST /api/v1/devices/reidentify`: a phone whose database turned out to be a copy (restored
/// from a backup, or copied to a second phone: the server holds sequence numbers it never handed
/// out, or a push reused one) gets a new identity of the same commune, role and holder, with its
/// current device token. The old identity keeps working: the other copy may still be in use, and
/// a revoked one cannot ask.
#[utoipa::path(post, path = "/api/v1/devices/reidentify", tag = "devices", security(("bearer" = [])),
    request_body(content = schemas::ReidentifyRequest),
    responses((status = 201, description = "the new identity's id and token, and its commune", body = schemas::EnrollResponse),
              (status = 401, description = "no token, or a revoked device"),
              (status = 403, description = "a user token: this call is for devices")))]
pub async fn reidentify(
    State(state): State<Arc<AppState>>,
    DeviceAuth(_, old): DeviceAuth,
    ApiBody(req): ApiBody<ReidentifyRequest>,
) -> ApiResult<(StatusCode, Json<EnrollResponse>)> {
    let token = new_token(DEVICE_TOKEN_PREFIX);
    let device = NewDevice {
        device_id: Uuid::now_v7(),
        token_hash: token_hash(&token),
        name: old.name.clone(),
        platform: old.platform.clone(),
        attempt_id: None,
    };
    let storage = state.storage.clone();
    let old_id = old.device_id;
    let minted = blocking(move || {
        let Some(d) = storage.reidentify_device(old_id, &device, Utc::now())? else {
            return Ok(None);
        };
        let config = storage
            .commune_config(&d.commune_id)?
            .ok_or_else(|| ApiError::internal("the commune vanished"))?;
        Ok(Some((d, config)))
    })
    .await?;
    let Some((device, config)) = minted else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this device was revoked; ask an officer for a new enrollment code",
        ));
    };
    let reason: String = req
        .reason
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    tracing::info!(old = %old_id, new = %device.device_id, commune = %device.commune_id, reason, "device took a new identity");
    Ok((
        StatusCode::CREATED,
        Json(EnrollResponse {
            device_id: device.device_id,
            token,
            role: device.role,
            commune: config.commune,
        }),
    ))
}

/// `POST /api/v1/devices/{device_id}/revoke`: the device's token stops working at once; what it
/// sent stays.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/revoke", tag = "devices", security(("bearer" = [])),
    params(("device_id" = String, Path, description = "the device's id", pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")),
    responses((status = 204, description = "revoked"),
              (status = 400, description = "not a UUID"),
              (status = 403, description = "outside the caller's scope or role, or a device token"),
              (status = 404, description = "no such device")))]
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiPath(device_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let device_id = Uuid::parse_str(&device_id).map_err(|_| {
        ApiError::bad_request("invalid_id", "device_id must be a UUID").with_field("device_id")
    })?;
    let storage = state.storage.clone();
    let device = blocking(move || Ok(storage.device(device_id)?)).await?;
    let Some(device) = device else {
        return Err(ApiError::not_found(format!(
            "device {device_id} is not enrolled here"
        )));
    };
    authorize(&state, &p, &device.commune_id, Access::Manage).await?;
    let storage = state.storage.clone();
    blocking(move || Ok(storage.revoke_device(device_id, Utc::now())?)).await?;
    tracing::info!(device = %device_id, by = %p.name(), "device revoked");
    Ok(StatusCode::NO_CONTENT)
}
