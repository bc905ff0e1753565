//! API v1 (product.md §4 and Appendix A).

pub mod accounts;
pub mod blobs;
pub mod communes;
pub mod devices;
pub mod editions;
pub mod mergers;
pub mod reports;
pub mod sync;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use ntm_field::ids::Slug;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// A commune or village id from the path.
pub(crate) fn slug(s: &str, field: &str) -> ApiResult<Slug> {
    Slug::parse(s).map_err(|e| {
        ApiError::bad_request("invalid_id", format!("{field} {e}")).with_field(field.to_owned())
    })
}

/// A `cursor` from a query: a server sequence number, which the databases keep as a signed
/// 64-bit integer.
pub(crate) fn cursor(c: u64) -> ApiResult<u64> {
    if c > i64::MAX as u64 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "cursor must be a next_cursor the server gave (0 to start)",
        )
        .with_field("cursor"));
    }
    Ok(c)
}

/// axum's `Path`, refused with the API's JSON error (`400 invalid_path`) rather than axum's
/// plain-text one, e.g. for a segment whose percent-encoding is not UTF-8 (`/communes/%FF`).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let Path(value) = Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(value))
    }
}

/// axum's `Query`, refused with the API's JSON error (`400 invalid_query`), e.g. for a
/// parameter given twice.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}
