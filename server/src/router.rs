//! The whole HTTP API in one place.

use std::any::Any;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, options, post, put};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::ApiError;
use crate::handlers::healthz;
use crate::handlers::v1::{accounts, blobs, communes, devices, editions, mergers, reports, sync};
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
            "/api/v1/communes/{id}/editions",
            put(editions::put_editions),
        )
        .route(
            "/api/v1/provinces/{province}/sets",
            post(editions::post_province_set),
        )
        .route(
            "/api/v1/mergers",
            post(mergers::post_merger).get(mergers::list_mergers),
        )
        .route(
            "/api/v1/province-sets/template.xlsx",
            get(editions::get_template),
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
        .layer(catch_panics())
        .with_state(state)
}

/// Turns a panic in a handler (a bug: every input must get its own 4xx) into a logged 500 with
/// the API's JSON error body, instead of a dropped connection.
pub fn catch_panics() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(panic_response as fn(Box<dyn Any + Send + 'static>) -> Response)
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(panic = what, "a request handler panicked");
    ApiError::internal("the server failed on this request; try again, and tell the administrator if it keeps failing")
        .into_response()
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

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_handler_that_panics_answers_a_500_json_error_not_a_dropped_connection() {
        let app: Router = Router::new()
            .route(
                "/",
                get(|| async {
                    let dates: Vec<String> = Vec::new();
                    dates[3].clone()
                }),
            )
            .layer(catch_panics());
        let response = app
            .oneshot(
                Request::builder()
                    .uri("/")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again"));
    }
}
