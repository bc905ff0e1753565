//! Handlers by API version and resource; [`crate::router`] shows them all in one place.

pub mod v1;

use axum::Json;

/// `GET /healthz`: liveness.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive", body = crate::openapi::schemas::Health)))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}
