//! Communes, their villages, target overrides (commune and province), village quotas and
//! enrollment codes.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{NaiveDate, Utc};
use ntm_field::admin::Commune;
use ntm_field::catalog::{Catalog, Confidence, IndicatorType, TargetOverride};
use ntm_field::config::{CommuneConfig, MeasureId, Quota};
use ntm_field::protocol::{
    CommuneDetail, ConfigUpdated, DeviceView, EnrollmentRequest, EnrollmentResponse, QuotaPut,
    Role, TargetPut,
};

use super::{slug, ApiPath};
use crate::auth::{
    authorize, new_enrollment_code, normalize_code, token_hash, Access, AnyAuth, UserAuth,
};
use crate::body::ApiBody;
use crate::error::{ApiError, ApiResult};
use crate::openapi::schemas;
use crate::storage::NewEnrollment;
use crate::sync::config_etag;
use crate::{blocking, AppState};

pub(crate) fn detail(config: CommuneConfig) -> CommuneDetail {
    let config_etag = config_etag(&config);
    CommuneDetail {
        commune: config.commune,
        province_targets: config.province_targets,
        commune_targets: config.commune_targets,
        quotas: config.quotas,
        responsibilities: config.responsibilities,
        config_etag,
    }
}

fn check_commune(c: &Commune) -> ApiResult<()> {
    let text = |v: &str, field: &str, max: usize| -> ApiResult<()> {
        if v.trim().is_empty() || v.chars().count() > max {
            return Err(ApiError::bad_request(
                "invalid",
                format!("{field} must be 1 to {max} characters"),
            )
            .with_field(field.to_owned()));
        }
        Ok(())
    };
    text(&c.name, "name", 200)?;
    text(&c.province, "province", 200)?;
    if let Some(d) = &c.district {
        text(d, "district", 200)?;
    }
    if let Some(code) = &c.code {
        if code.is_empty() || code.len() > 10 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::bad_request(
                "invalid",
                "code must be the official code of the commune: 1 to 10 digits",
            )
            .with_field("code"));
        }
    }
    if let (Some(from), Some(until)) = (c.valid_from, c.valid_until) {
        if until <= from {
            return Err(ApiError::bad_request(
                "invalid",
                format!("valid_until ({until}) must come after valid_from ({from})"),
            )
            .with_field("valid_until"));
        }
    }
    if c.villages.is_empty() || c.villages.len() > 500 {
        return Err(
            ApiError::bad_request("invalid", "a commune needs 1 to 500 villages")
                .with_field("villages"),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (i, v) in c.villages.iter().enumerate() {
        text(&v.name, &format!("villages[{i}].name"), 200)?;
        if !seen.insert(&v.id) {
            return Err(ApiError::bad_request(
                "invalid",
                format!("village {} is listed twice", v.id),
            )
            .with_field(format!("villages[{i}].id")));
        }
    }
    Ok(())
}

/// `POST /api/v1/communes` (admin): a commune with its villages.
#[utoipa::path(post, path = "/api/v1/communes", tag = "communes", security(("bearer" = [])),
    request_body(content = schemas::Commune),
    responses((status = 201, description = "the commune with its configuration", body = schemas::CommuneDetail),
              (status = 400, description = "a field out of bounds or a village listed twice"),
              (status = 403, description = "not an administrator, or a device token"),
              (status = 409, description = "the id is taken")))]
pub async fn create_commune(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiBody(commune): ApiBody<Commune>,
) -> ApiResult<(StatusCode, Json<CommuneDetail>)> {
    if !p.is_admin() {
        return Err(ApiError::forbidden(
            "only an administrator creates communes",
        ));
    }
    check_commune(&commune)?;
    let storage = state.storage.clone();
    let config = blocking(move || {
        storage.create_commune(&commune, &Default::default())?;
        storage
            .commune_config(&commune.id)?
            .ok_or_else(|| ApiError::internal("the commune vanished"))
    })
    .await?;
    tracing::info!(commune = %config.commune.id, by = %p.name(), "commune created");
    Ok((StatusCode::CREATED, Json(detail(config))))
}

/// `GET /api/v1/communes/{id}`: the commune, its villages and configuration.
#[utoipa::path(get, path = "/api/v1/communes/{id}", tag = "communes", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, description = "the commune with villages, targets, quotas, responsibilities and config_etag", body = schemas::CommuneDetail)))]
pub async fn get_commune(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CommuneDetail>> {
    let id = slug(&id, "id")?;
    let config = authorize(&state, &p, &id, Access::Read).await?;
    Ok(Json(detail(config)))
}

/// `GET /api/v1/communes`: the communes the caller may see.
#[utoipa::path(get, path = "/api/v1/communes", tag = "communes", security(("bearer" = [])),
    responses((status = 200, description = "communes with their villages", body = Vec<schemas::Commune>)))]
pub async fn list_communes(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
) -> ApiResult<Json<Vec<Commune>>> {
    let storage = state.storage.clone();
    let all = blocking(move || Ok(storage.list_communes()?)).await?;
    Ok(Json(all.into_iter().filter(|c| p.covers(c)).collect()))
}

fn target_override(indicator_id: &str, put: TargetPut) -> ApiResult<TargetOverride> {
    let indicator = Catalog::builtin().indicator(indicator_id).ok_or_else(|| {
        ApiError::not_found(format!(
            "{indicator_id} is not an indicator of the criteria catalog (e.g. 2.4, 17.6)"
        ))
        .with_field("indicator_id")
    })?;
    if indicator.indicator_type == IndicatorType::Bool {
        return Err(ApiError::bad_request(
            "invalid",
            format!("{indicator_id} is a yes/no indicator; it has no numeric threshold"),
        ));
    }
    let is_pct = matches!(
        indicator.indicator_type,
        IndicatorType::PctMin | IndicatorType::PctMax | IndicatorType::PctMinNested
    );
    let in_range = |v: f64| v.is_finite() && v >= 0.0 && (!is_pct || v <= 100.0);
    if !in_range(put.threshold) {
        return Err(ApiError::bad_request(
            "invalid",
            "threshold must be 0 or more (a percentage at most 100)",
        )
        .with_field("threshold"));
    }
    if put.inner.is_some_and(|v| !in_range(v)) {
        return Err(ApiError::bad_request(
            "invalid",
            "inner must be a percentage between 0 and 100",
        )
        .with_field("inner"));
    }
    if put.source.trim().is_empty() || put.source.chars().count() > 500 {
        return Err(ApiError::bad_request(
            "invalid",
            "say where the threshold comes from (the decision), at most 500 characters",
        )
        .with_field("source"));
    }
    Ok(TargetOverride {
        threshold: put.threshold,
        inner: put.inner,
        source: put.source,
        confidence: Confidence::Confirmed,
    })
}

/// `PUT /api/v1/communes/{id}/targets/{indicator_id}`: the commune's own threshold.
#[utoipa::path(put, path = "/api/v1/communes/{id}/targets/{indicator_id}", tag = "communes", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id", pattern = "^[a-z0-9-]{1,64}$"), ("indicator_id" = String, Path, description = "e.g. 2.4")),
    request_body(content = schemas::TargetPut),
    responses((status = 200, description = "the commune's new configuration tag", body = schemas::ConfigUpdated),
              (status = 400, description = "a yes/no indicator, or a threshold out of range"),
              (status = 404, description = "not an indicator of the catalog, or no such commune")))]
pub async fn put_commune_target(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiPath((id, indicator_id)): ApiPath<(String, String)>,
    ApiBody(put): ApiBody<TargetPut>,
) -> ApiResult<Json<ConfigUpdated>> {
    let id = slug(&id, "id")?;
    authorize(&state, &p, &id, Access::Manage).await?;
    let target = target_override(&indicator_id, put)?;
    let storage = state.storage.clone();
    let etag = blocking(move || {
        storage.put_commune_target(&id, &indicator_id, &target)?;
        Ok(config_etag(&storage.commune_config(&id)?.ok_or_else(
            || ApiError::internal("the commune vanished"),
        )?))
    })
    .await?;
    Ok(Json(ConfigUpdated { config_etag: etag }))
}

/// `PUT /api/v1/provinces/{province}/targets/{indicator_id}`: a province's threshold, for every
/// commune of the province (administrators, or the province's own officers).
#[utoipa::path(put, path = "/api/v1/provinces/{province}/targets/{indicator_id}", tag = "communes", security(("bearer" = [])),
    params(("province" = String, Path, description = "the province's name as communes give it, URL-encoded (e.g. Tuy%C3%AAn%20Quang)"),
           ("indicator_id" = String, Path, description = "e.g. 2.4")),
    request_body(content = schemas::TargetPut),
    responses((status = 200, description = "`config_etag` is empty: each commune's tag changes", body = schemas::ConfigUpdated),
              (status = 400, description = "a yes/no indicator, a threshold out of range or no province"),
              (status = 403, description = "neither an administrator nor an officer of the province"),
              (status = 404, description = "not an indicator of the catalog")))]
pub async fn put_province_target(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiPath((province, indicator_id)): ApiPath<(String, String)>,
    ApiBody(put): ApiBody<TargetPut>,
) -> ApiResult<Json<ConfigUpdated>> {
    let allowed = p.is_admin()
        || (p.role == Role::Officer && p.scope == crate::auth::Scope::Province(province.clone()));
    if !allowed {
        return Err(ApiError::forbidden(format!(
            "only an administrator or an officer of {province} sets its targets"
        )));
    }
    if province.trim().is_empty() || province.chars().count() > 200 {
        return Err(ApiError::bad_request("invalid", "name the province").with_field("province"));
    }
    let target = target_override(&indicator_id, put)?;
    let storage = state.storage.clone();
    blocking(move || Ok(storage.put_province_target(&province, &indicator_id, &target)?)).await?;
    Ok(Json(ConfigUpdated {
        config_etag: String::new(),
    }))
}

/// `PUT /api/v1/communes/{id}/quotas/{village_id}/{measure}`: a village's quota for a measure.
#[utoipa::path(put, path = "/api/v1/communes/{id}/quotas/{village_id}/{measure}", tag = "communes", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id", pattern = "^[a-z0-9-]{1,64}$"), ("village_id" = String, Path, description = "village id", pattern = "^[a-z0-9-]{1,64}$"),
           ("measure" = String, Path, description = "signs_placed | field_road_km | village_road_km | alley_km | commune_road_km | households_checked")),
    request_body(content = schemas::QuotaPut),
    responses((status = 200, description = "the commune's new configuration tag", body = schemas::ConfigUpdated),
              (status = 400, description = "a target or date out of range"),
              (status = 404, description = "no such commune, village or measure")))]
pub async fn put_quota(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiPath((id, village_id, measure)): ApiPath<(String, String, String)>,
    ApiBody(put): ApiBody<QuotaPut>,
) -> ApiResult<Json<ConfigUpdated>> {
    let id = slug(&id, "id")?;
    let village_id = slug(&village_id, "village_id")?;
    let config = authorize(&state, &p, &id, Access::Manage).await?;
    if config.commune.village(&village_id).is_none() {
        return Err(
            ApiError::not_found(format!("{village_id} is not a village of commune {id}"))
                .with_field("village_id"),
        );
    }
    let measure: MeasureId = serde_json::from_value(serde_json::Value::String(measure.clone()))
        .map_err(|_| {
            ApiError::not_found(format!(
                "{measure:?} is not a measure; use one of {}",
                MeasureId::ALL.map(|m| m.as_str()).join(", ")
            ))
            .with_field("measure")
        })?;
    if !put.target.is_finite() || put.target < 0.0 || put.target > 1e6 {
        return Err(
            ApiError::bad_request("invalid", "target must be 0 or more").with_field("target")
        );
    }
    if put.since < NaiveDate::from_ymd_opt(2000, 1, 1).expect("date")
        || put.since > NaiveDate::from_ymd_opt(2100, 1, 1).expect("date")
    {
        return Err(
            ApiError::bad_request("invalid", "since must be a date between 2000 and 2100")
                .with_field("since"),
        );
    }
    let quota = Quota {
        measure,
        village_id,
        target: put.target,
        since: put.since,
    };
    let storage = state.storage.clone();
    let etag = blocking(move || {
        storage.put_quota(&id, &quota)?;
        Ok(config_etag(&storage.commune_config(&id)?.ok_or_else(
            || ApiError::internal("the commune vanished"),
        )?))
    })
    .await?;
    Ok(Json(ConfigUpdated { config_etag: etag }))
}

/// `POST /api/v1/communes/{id}/enrollments`: a one-time device enrollment code for a role.
#[utoipa::path(post, path = "/api/v1/communes/{id}/enrollments", tag = "devices", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id", pattern = "^[a-z0-9-]{1,64}$")),
    request_body(content = schemas::EnrollmentRequest),
    responses((status = 201, description = "show the code (or its QR) to the person enrolling", body = schemas::EnrollmentResponse),
              (status = 400, description = "the admin role, a lifetime out of range or an empty holder"),
              (status = 429, description = "too many codes created")))]
pub async fn create_enrollment(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiPath(id): ApiPath<String>,
    ApiBody(req): ApiBody<EnrollmentRequest>,
) -> ApiResult<(StatusCode, Json<EnrollmentResponse>)> {
    let id = slug(&id, "id")?;
    authorize(&state, &p, &id, Access::Manage).await?;
    if req.role == Role::Admin {
        return Err(ApiError::bad_request(
            "invalid",
            "devices enroll as enumerator, officer or viewer",
        )
        .with_field("role"));
    }
    if !(1..=24 * 30).contains(&req.expires_in_hours) {
        return Err(ApiError::bad_request(
            "invalid",
            "expires_in_hours must be 1 to 720 (30 days)",
        )
        .with_field("expires_in_hours"));
    }
    if let Some(h) = &req.holder {
        if h.trim().is_empty() || h.chars().count() > 200 {
            return Err(ApiError::bad_request(
                "invalid",
                "holder is the person's name, 1 to 200 characters",
            )
            .with_field("holder"));
        }
    }
    let key = format!("codes:{}", p.owner_key());
    let limits = &state.limits;
    state.rate.check(
        &key,
        limits.codes_per_user,
        limits.attempt_window,
        "enrollment codes created",
    )?;
    state.rate.record(&key);
    let code = new_enrollment_code();
    let expires_at = Utc::now() + chrono::Duration::hours(i64::from(req.expires_in_hours));
    let enrollment = NewEnrollment {
        code_hash: token_hash(&normalize_code(&code)),
        commune_id: id,
        role: req.role,
        holder: req.holder,
        expires_at,
        created_by: p.name(),
    };
    let storage = state.storage.clone();
    blocking(move || Ok(storage.create_enrollment(&enrollment)?)).await?;
    Ok((
        StatusCode::CREATED,
        Json(EnrollmentResponse {
            code,
            expires_at,
            role: req.role,
        }),
    ))
}

/// `GET /api/v1/communes/{id}/devices`: the commune's enrolled devices.
#[utoipa::path(get, path = "/api/v1/communes/{id}/devices", tag = "devices", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, description = "devices with their state", body = Vec<schemas::DeviceView>)))]
pub async fn list_devices(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<DeviceView>>> {
    let id = slug(&id, "id")?;
    authorize(&state, &p, &id, Access::Read).await?;
    let storage = state.storage.clone();
    let devices = blocking(move || Ok(storage.list_devices(&id)?)).await?;
    Ok(Json(
        devices
            .into_iter()
            .map(|d| DeviceView {
                device_id: d.device_id,
                commune_id: d.commune_id,
                role: d.role,
                device_name: d.name,
                platform: d.platform,
                holder: d.holder,
                enrolled_at: d.enrolled_at,
                revoked_at: d.revoked_at,
                acked_through_seq: d.high_water,
            })
            .collect(),
    ))
}
