//! The whole HTTP API in one place.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, options, post, put};
use axum::Router;

use crate::error::ApiError;
use crate::handlers::healthz;
use crate::handlers::v1::{accounts, blobs, communes, devices, reports, sync};
use crate::openapi::openapi_json;
use crate::AppState;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/v1/auth/login", post(accounts::login))
        .route(
            "/api/v1/users",
            post(accounts::create_user).get(accounts::list_users),
        )
        .route(
            "/api/v1/communes",
            post(communes::create_commune).get(communes::list_communes),
        )
        .route("/api/v1/communes/{id}", get(communes::get_commune))
        .route(
            "/api/v1/communes/{id}/targets/{indicator_id}",
            put(communes::put_commune_target),
        )
        .route(
            "/api/v1/provinces/{province}/targets/{indicator_id}",
            put(communes::put_province_target),
        )
        .route(
            "/api/v1/communes/{id}/quotas/{village_id}/{measure}",
            put(communes::put_quota),
        )
        .route(
            "/api/v1/communes/{id}/enrollments",
            post(communes::create_enrollment),
        )
        .route("/api/v1/communes/{id}/devices", get(communes::list_devices))
        .route(
            "/api/v1/communes/{id}/scorecard",
            get(reports::get_scorecard),
        )
        .route("/api/v1/communes/{id}/records", get(reports::list_records))
        .route("/api/v1/devices/enroll", post(devices::enroll))
        .route("/api/v1/devices/reidentify", post(devices::reidentify))
        .route("/api/v1/devices/{device_id}/revoke", post(devices::revoke))
        .route("/api/v1/sync/push", post(sync::push))
        .route("/api/v1/sync/pull", get(sync::pull))
        .route("/api/v1/sync/status", get(sync::status))
        .route("/api/v1/blobs", options(blobs::options).post(blobs::create))
        .route(
            "/api/v1/blobs/uploads/{id}",
            head(blobs::head)
                .patch(blobs::patch)
                .delete(blobs::terminate),
        )
        .route("/api/v1/blobs/{sha256}", get(blobs::get_photo))
        .merge(crate::dashboard::router(state.clone()))
        .merge(crate::odk::router(&state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; the API is described at /api/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /api/openapi.json",
    )
}

/// Every request but a photo PATCH and an OpenRosa submission (which have their own idle
/// timeouts) must finish within `Limits::request_timeout`: a slow client cannot hold a request
/// forever.
async fn request_timeout(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if req.method() == Method::PATCH || crate::odk::is_submission_post(&req) {
        return next.run(req).await;
    }
    match tokio::time::timeout(state.limits.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request took too long; send smaller batches or retry",
        )
        .into_response(),
    }
}
