//! The scorecard and the record listing of a commune.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use ntm_field::catalog::edition::{EditionError, Editions};
use ntm_field::ids::Slug;
use ntm_field::protocol::RecordsResponse;
use ntm_field::record::Kind;
use ntm_field::scorecard::{choose, scorecard_counted, scorecard_under};
use serde::Deserialize;

use super::{slug, ApiPath};
use crate::auth::{authorize, Access, AnyAuth};
use crate::error::{ApiError, ApiResult};
use crate::openapi::schemas;
use crate::storage::RecordFilter;
use crate::{blocking, AppState};

/// No edition can score the date: 409, saying what to set (a commune group for 51/2025).
pub(crate) fn edition_error(e: EditionError) -> ApiError {
    let code = match e {
        EditionError::NoGroup { .. } => "commune_group_missing",
        EditionError::NoneInForce(_) | EditionError::UnknownEdition { .. } => "no_edition",
    };
    let vi = match &e {
        EditionError::NoGroup { decision, as_of, .. } => format!(
            "Bộ tiêu chí {decision} chia ngưỡng theo nhóm xã, nhưng xã chưa có nhóm ngày {}: hãy đặt nhóm xã (nhóm 1, 2 hoặc 3) kèm quyết định phân nhóm.",
            as_of.format("%d/%m/%Y")
        ),
        EditionError::NoneInForce(d) => format!(
            "Không có bộ tiêu chí nào có hiệu lực ngày {}: hãy chọn ngày từ 01/12/2016.",
            d.format("%d/%m/%Y")
        ),
        EditionError::UnknownEdition { edition, .. } => format!(
            "Hồ sơ đang mở của xã ghi bộ tiêu chí {edition:?}, không có trong chương trình: hãy sửa hồ sơ."
        ),
    };
    ApiError::conflict(code, format!("{vi} / {e}"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ScorecardQuery {
    /// `YYYY-MM-DD`: count records captured up to the end of that day (Vietnam time); today
    /// when absent.
    pub as_of: Option<String>,
}

fn date(s: &str, field: &str) -> ApiResult<NaiveDate> {
    crate::dates::date(s).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_query",
            format!("{field} must be a date YYYY-MM-DD from 2000 to 2100"),
        )
        .with_field(field.to_owned())
    })
}

/// Today in Vietnam.
pub fn local_today() -> NaiveDate {
    ntm_field::time::local_date(&Utc::now().fixed_offset())
}

/// `GET /api/v1/communes/{id}/scorecard?as_of=YYYY-MM-DD`. From the incremental facts when
/// `as_of` is on or after the latest capture (today, typically); recomputed from every version
/// with the core for an earlier date. The `X-Scorecard-Source` header says which. A commune
/// made by a merger counts its parts' records (the sum of their numerators and denominators
/// before the merger date); one merged into another gives its last figures, the day before;
/// `lineage` says which.
#[utoipa::path(get, path = "/api/v1/communes/{id}/scorecard", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id", pattern = "^[a-z0-9-]{1,64}$"), ScorecardQuery),
    responses((status = 200, description = "the scorecard (Appendix A)", body = schemas::Scorecard,
               headers(("X-Scorecard-Source" = String, description = "`incremental` or `recompute`"))),
              (status = 400, description = "as_of is not a date"),
              (status = 409, description = "the edition in force on as_of needs a commune group the commune does not have (`commune_group_missing`), or no edition is in force then")))]
pub async fn get_scorecard(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
    ApiPath(id): ApiPath<String>,
    query: Result<Query<ScorecardQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let id = slug(&id, "id")?;
    let as_of = q
        .as_of
        .as_deref()
        .map(|s| date(s, "as_of"))
        .transpose()?
        .unwrap_or_else(local_today);
    let config = authorize(&state, &p, &id, Access::Read).await?;
    let storage = state.storage.clone();
    let (card, source) = blocking(move || {
        let counting = crate::lineage::Lineage::load(&*storage, &id)?.counting(&id, as_of);
        if !crate::lineage::is_plain(&counting) {
            // A merger or a split concerns the commune: its figures read its parts' facts.
            let figures_as_of = counting.figures_as_of(as_of);
            let applied =
                choose(Editions::builtin(), &config, figures_as_of).map_err(edition_error)?;
            let (facts, incremental) =
                crate::lineage::facts(&*storage, &id, &counting, figures_as_of)?;
            let card = scorecard_counted(&applied, &config, &counting, &facts, figures_as_of);
            return Ok((
                card,
                if incremental {
                    "incremental"
                } else {
                    "recompute"
                },
            ));
        }
        let applied = choose(Editions::builtin(), &config, as_of).map_err(edition_error)?;
        let snapshot = storage.commune_facts(&id)?;
        if snapshot.latest_capture.is_none_or(|latest| as_of >= latest) {
            Ok((
                scorecard_under(&applied, &config, &snapshot.facts, as_of),
                "incremental",
            ))
        } else {
            let facts = crate::storage::heads::facts_as_of(&*storage, &id, &[as_of])?
                .pop()
                .unwrap_or_default();
            Ok((
                scorecard_under(&applied, &config, &facts, as_of),
                "recompute",
            ))
        }
    })
    .await?;
    let mut response = Json(card).into_response();
    response
        .headers_mut()
        .insert("X-Scorecard-Source", HeaderValue::from_static(source));
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RecordsQuery {
    /// household | household_check | road_segment | trash_sign | assessment
    pub kind: Option<String>,
    pub village_id: Option<String>,
    /// Captured at or after (`YYYY-MM-DD`, Vietnam time, or RFC 3339).
    pub since: Option<String>,
    /// Captured before (`YYYY-MM-DD`: before the start of that day, or RFC 3339).
    pub until: Option<String>,
    /// 1 to 1000, default 100.
    pub limit: Option<usize>,
    /// The previous page's `next_cursor`.
    #[serde(default)]
    pub cursor: u64,
}

fn instant(s: &str, field: &str) -> ApiResult<DateTime<Utc>> {
    crate::dates::instant(s).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_query",
            format!("{field} must be YYYY-MM-DD or an RFC 3339 time, from 2000 to 2100"),
        )
        .with_field(field.to_owned())
    })
}

/// `GET /api/v1/communes/{id}/records?kind=&village_id=&since=&until=&limit=&cursor=`.
#[utoipa::path(get, path = "/api/v1/communes/{id}/records", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id", pattern = "^[a-z0-9-]{1,64}$"), RecordsQuery),
    responses((status = 200, description = "a page of versions in server order", body = schemas::RecordsResponse),
              (status = 400, description = "a bad kind, village, date or limit")))]
pub async fn list_records(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
    ApiPath(id): ApiPath<String>,
    query: Result<Query<RecordsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<RecordsResponse>> {
    let Query(q) = query?;
    let id = slug(&id, "id")?;
    let kind = q
        .kind
        .as_deref()
        .map(|k| {
            Kind::ALL.into_iter().find(|x| x.as_str() == k).ok_or_else(|| {
                ApiError::bad_request("invalid_query", format!("kind {k:?} is not one of household, household_check, road_segment, trash_sign, assessment"))
                    .with_field("kind")
            })
        })
        .transpose()?;
    let village_id: Option<Slug> = q
        .village_id
        .as_deref()
        .map(|v| slug(v, "village_id"))
        .transpose()?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(
            ApiError::bad_request("invalid_query", "limit must be 1 to 1000").with_field("limit"),
        );
    }
    let filter = RecordFilter {
        kind,
        village_id,
        since: q
            .since
            .as_deref()
            .map(|s| instant(s, "since"))
            .transpose()?,
        until: q
            .until
            .as_deref()
            .map(|s| instant(s, "until"))
            .transpose()?,
        cursor: super::cursor(q.cursor)?,
        limit,
    };
    authorize(&state, &p, &id, Access::Read).await?;
    let storage = state.storage.clone();
    let (records, next_cursor) = blocking(move || Ok(storage.list_records(&id, &filter)?)).await?;
    Ok(Json(RecordsResponse {
        records,
        next_cursor,
    }))
}
