//! Communes that merge or split: an administrator records a merger (its date, legal basis, new
//! commune and parts), checked by the core against the communes and the mergers already
//! recorded. No version is moved: the new commune's scorecard reads its parts' records.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use ntm_field::merger::{Merger, MergerError};

use crate::auth::{AnyAuth, UserAuth};
use crate::body::ApiBody;
use crate::error::{ApiError, ApiResult};
use crate::openapi::schemas;
use crate::storage::StoreError;
use crate::{blocking, AppState};

/// The field of the request body a refusal is about.
fn field(e: &MergerError) -> String {
    match e {
        MergerError::NoLegalBasis => "legal_basis".into(),
        MergerError::NoParts => "parts".into(),
        MergerError::UnknownCommune(_) | MergerError::AlreadyRecorded(_) => "commune".into(),
        MergerError::NewCommuneDate { .. } => "date".into(),
        MergerError::UnknownPart { index, .. }
        | MergerError::PartIsNew { index, .. }
        | MergerError::PartTwice { index, .. } => format!("parts[{index}].commune"),
        MergerError::NoVillages { index }
        | MergerError::UnknownVillage { index, .. }
        | MergerError::NotInNew { index, .. }
        | MergerError::VillageTwice { index, .. } => format!("parts[{index}].villages"),
        MergerError::PartNotExisting { index, .. } | MergerError::AlreadyMerged { index, .. } => {
            format!("parts[{index}]")
        }
    }
}

fn refusal(e: MergerError) -> ApiError {
    let f = field(&e);
    match e {
        MergerError::AlreadyRecorded(_) | MergerError::AlreadyMerged { .. } => {
            ApiError::conflict("merger_recorded", e.to_string()).with_field(f)
        }
        _ => ApiError::bad_request("invalid_merger", e.to_string()).with_field(f),
    }
}

/// `POST /api/v1/mergers` (admin): records that old communes (whole, or some of their
/// villages) form a new commune from a date, under a legal basis. The new commune must exist
/// already with every village it receives; its figures from then on count the records of its
/// parts' villages, and before then are the sum of its parts.
#[utoipa::path(post, path = "/api/v1/mergers", tag = "communes", security(("bearer" = [])),
    request_body(content = schemas::Merger),
    responses((status = 201, description = "the merger is recorded", body = schemas::Merger),
              (status = 400, description = "what to fix: an unknown commune or village, a village in two parts, dates that disagree with the communes' validity, no legal basis (`field` names it)"),
              (status = 403, description = "not an administrator, or a device token"),
              (status = 409, description = "a merger into this commune is recorded, or a part already went whole into another commune")))]
pub async fn post_merger(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiBody(merger): ApiBody<Merger>,
) -> ApiResult<(StatusCode, Json<Merger>)> {
    if !p.is_admin() {
        return Err(ApiError::forbidden("only an administrator records mergers"));
    }
    if merger.legal_basis.chars().count() > 500 {
        return Err(ApiError::bad_request(
            "invalid_merger",
            "legal_basis must be at most 500 characters: the act's number and date",
        )
        .with_field("legal_basis"));
    }
    if merger.parts.len() > 50 {
        return Err(
            ApiError::bad_request("invalid_merger", "a merger has at most 50 parts")
                .with_field("parts"),
        );
    }
    let storage = state.storage.clone();
    let by = p.name();
    let recorded = blocking(move || {
        let communes = storage.list_communes()?;
        let mergers = storage.mergers()?;
        merger.validate(&communes, &mergers).map_err(refusal)?;
        match storage.record_merger(&merger, &by) {
            Err(StoreError::AlreadyExists(what)) => Err(ApiError::conflict(
                "merger_recorded",
                format!("{what} is already recorded"),
            )
            .with_field("commune")),
            other => other.map_err(ApiError::from),
        }?;
        Ok(merger)
    })
    .await?;
    tracing::info!(commune = %recorded.commune, date = %recorded.date, by = %p.name(), "merger recorded");
    Ok((StatusCode::CREATED, Json(recorded)))
}

/// `GET /api/v1/mergers`: every merger recorded, oldest first.
#[utoipa::path(get, path = "/api/v1/mergers", tag = "communes", security(("bearer" = [])),
    responses((status = 200, description = "the mergers", body = Vec<schemas::Merger>)))]
pub async fn list_mergers(
    State(state): State<Arc<AppState>>,
    AnyAuth(_): AnyAuth,
) -> ApiResult<Json<Vec<Merger>>> {
    let storage = state.storage.clone();
    Ok(Json(blocking(move || Ok(storage.mergers()?)).await?))
}
