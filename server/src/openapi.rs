//! The OpenAPI 3 description of the API, generated from the handlers' `#[utoipa::path]`
//! attributes, served at `/api/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::handlers::{self, v1};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ntm-field sync server",
        description = "Offline-first field data for Vietnam's New Rural Development program: accounts, communes, device enrollment, sync push/pull, photos by tus 1.0, scorecard. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`."
    ),
    paths(
        handlers::healthz,
        v1::accounts::login,
        v1::accounts::create_user,
        v1::accounts::list_users,
        v1::communes::create_commune,
        v1::communes::list_communes,
        v1::communes::get_commune,
        v1::communes::put_commune_target,
        v1::communes::put_province_target,
        v1::communes::put_quota,
        v1::communes::create_enrollment,
        v1::communes::list_devices,
        v1::devices::enroll,
        v1::devices::revoke,
        v1::sync::push,
        v1::sync::pull,
        v1::sync::status,
        v1::reports::get_scorecard,
        v1::reports::list_records,
        v1::blobs::options,
        v1::blobs::create,
        v1::blobs::head,
        v1::blobs::patch,
        v1::blobs::terminate,
        v1::blobs::get_photo,
        crate::reports::export_xlsx,
        crate::reports::export_csv,
        crate::reports::export_geojson,
    ),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/openapi.json` (no token: it describes, it holds no data).
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
