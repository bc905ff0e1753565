//! The web dashboard served by ntm-server (product.md §6): server-rendered HTML in Vietnamese
//! (English switchable), one module per page, over the same storage, authorization and
//! handlers as the API. JavaScript is used only by the map (vendored Leaflet).
//!
//! | module | pages |
//! |---|---|
//! | [`login`] | `/dashboard/login`, `/dashboard/logout`, `/dashboard/lang/{vi,en}` |
//! | [`scorecard`] | `/dashboard/c/{id}`: N/19, indicators, trend, as-of date |
//! | [`villages`] | `/dashboard/c/{id}/villages`: per-village figures and quotas |
//! | [`map`] | `/dashboard/c/{id}/map`: roads and signs (Leaflet, plain background) |
//! | [`records`] | `/dashboard/c/{id}/records[/{entity}]`, `/conflicts`, `/photos/{sha256}`: evidence, history, merges |
//! | [`admin`] | `/settings` (targets, quotas, duties), `/devices` (revoke, enrollment QR), `/households` (CSV import), `/dashboard/admin/{users,communes}` |
//! | [`import_waiting`] | `/dashboard/c/{id}/import-waiting`: a phone's exported waiting versions |
//! | [`overview`] | `/dashboard/overview`: every commune of a province side by side |
//! | [`crate::reports`] | `/dashboard/c/{id}/reports` and `GET /api/v1/communes/{id}/export/{xlsx,csv,geojson}` |
//!
//! Sessions and CSRF: see [`session`].

pub mod admin;
pub mod chart;
pub mod i18n;
pub mod import_waiting;
pub mod layout;
pub mod login;
pub mod map;
pub mod overview;
pub mod records;
pub mod scorecard;
pub mod session;
pub mod summaries;
pub mod villages;
pub mod write;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::{html, DOCTYPE};
use ntm_field::config::CommuneConfig;

use self::i18n::Lang;
use self::session::DashUser;
use crate::auth::{authorize, Access, Scope};
use crate::error::ApiError;
use crate::AppState;

/// Settings of the dashboard, from the environment.
#[derive(Debug, Clone, Default)]
pub struct DashboardConfig {
    /// `NTM_COOKIE_SECURE=1`: mark cookies Secure (set it when the server is behind TLS; a
    /// proxy's `X-Forwarded-Proto: https` does the same per request).
    pub cookie_secure: bool,
    /// `NTM_MAP_TILES`: a tile URL template (`https://tile.example/{z}/{x}/{y}.png`) to draw
    /// under the map; without it the map shows its features on a plain background.
    pub map_tiles: Option<String>,
    /// `NTM_MAP_ATTRIBUTION`: the tiles' attribution text.
    pub map_attribution: Option<String>,
}

impl DashboardConfig {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        DashboardConfig {
            cookie_secure: var("NTM_COOKIE_SECURE")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes")),
            map_tiles: var("NTM_MAP_TILES"),
            map_attribution: var("NTM_MAP_ATTRIBUTION"),
        }
    }
}

/// The dashboard's own state, beside [`AppState`].
pub struct Dash {
    pub config: DashboardConfig,
}

/// An error page: the status and a message of the catalog in both languages (it may be shown
/// before the user's language is known), with a way back.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub key: &'static str,
}

impl PageError {
    pub fn new(status: StatusCode, key: &'static str) -> Self {
        PageError { status, key }
    }

    pub fn csrf() -> Self {
        PageError::new(StatusCode::FORBIDDEN, "error.csrf")
    }

    pub fn forbidden() -> Self {
        PageError::new(StatusCode::FORBIDDEN, "error.forbidden")
    }

    pub fn not_found() -> Self {
        PageError::new(StatusCode::NOT_FOUND, "error.not_found")
    }

    /// A request the page cannot use; `key` says what to do about it.
    pub fn bad_request(key: &'static str) -> Self {
        PageError::new(StatusCode::BAD_REQUEST, key)
    }
}

/// The catalog message for an error of the API, so that a page says it in the user's language
/// rather than in the API's English. The API's errors carry a stable code and the field at
/// fault; those decide the message.
pub fn error_key(e: &ApiError) -> &'static str {
    if e.status.is_server_error() {
        return "error.server";
    }
    match (e.status, e.code) {
        (StatusCode::FORBIDDEN, _) => return "error.forbidden",
        (StatusCode::NOT_FOUND, _) if e.field.is_none() => return "error.not_found",
        (StatusCode::TOO_MANY_REQUESTS, _) => return "error.too_many",
        (StatusCode::UNAUTHORIZED, _) => return "error.login",
        (_, "already_exists") => return "error.exists",
        _ => {}
    }
    match e.field.as_deref().unwrap_or_default() {
        "threshold" | "inner" => "error.threshold",
        "source" => "error.source",
        "indicator_id" => "error.indicator",
        "target" => "error.quota",
        "since" => "error.since",
        "village_id" => "error.village",
        "measure" => "error.measure",
        "role" => "error.role",
        "expires_in_hours" => "error.hours",
        "holder" => "error.holder",
        "username" => "error.username",
        "password" => "error.password",
        "commune_id" | "district" => "error.scope",
        "province" => "error.province",
        "name" => "error.name",
        "id" => "error.commune_id",
        f if f == "villages" || f.starts_with("villages[") => "error.villages",
        _ => "error.invalid",
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::new(e.status, error_key(&e))
    }
}

impl From<crate::storage::StoreError> for PageError {
    fn from(e: crate::storage::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = html! {
            (DOCTYPE)
            html lang="vi" {
                head {
                    meta charset="utf-8";
                    title { (Lang::Vi.t("error.title")) " / " (Lang::En.t("error.title")) }
                    link rel="stylesheet" href="/dashboard/assets/dashboard.css";
                }
                body {
                    main.error {
                        h1 { (Lang::Vi.t("error.title")) }
                        p.flash.err role="alert" { (Lang::Vi.t(self.key)) }
                        p lang="en" { (Lang::En.t(self.key)) }
                        p { a href="/dashboard" { (Lang::Vi.t("error.back")) " / " (Lang::En.t("error.back")) } }
                    }
                }
            }
        };
        let mut response = (self.status, axum::response::Html(body.into_string())).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

/// An HTML response that is never cached (pages carry CSRF tokens and private figures).
pub fn html_page(markup: maud::Markup) -> Response {
    let mut r = axum::response::Html(markup.into_string()).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("X-Frame-Options", HeaderValue::from_static("DENY"));
    h.insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "Content-Security-Policy",
        HeaderValue::from_static("default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"),
    );
    r
}

/// Checks that `u` may have `access` to commune `id` (the API's one authorization rule) and
/// loads its configuration.
pub async fn commune_for(
    state: &Arc<AppState>,
    u: &DashUser,
    id: &str,
    access: Access,
) -> PageResult<CommuneConfig> {
    let slug = crate::handlers::v1::slug(id, "id").map_err(|_| PageError::not_found())?;
    Ok(authorize(state, &u.principal, &slug, access).await?)
}

/// `/dashboard`: a commune user goes to the commune's scorecard, anyone else to the overview.
async fn home(u: DashUser) -> Response {
    match &u.principal.scope {
        Scope::Commune(c) => Redirect::to(&format!("/dashboard/c/{}", c.as_str())).into_response(),
        _ => Redirect::to("/dashboard/overview").into_response(),
    }
}

/// Static files of the dashboard, embedded in the binary so nothing is fetched at run time.
async fn asset(Path(file): Path<String>) -> Response {
    let (bytes, content_type): (&'static [u8], &str) = match file.as_str() {
        "dashboard.css" => (
            include_bytes!("../../../assets/dashboard/dashboard.css"),
            "text/css; charset=utf-8",
        ),
        "map.js" => (
            include_bytes!("../../../assets/dashboard/map.js"),
            "text/javascript; charset=utf-8",
        ),
        "vendor/leaflet/leaflet.js" => (
            include_bytes!("../../../assets/dashboard/vendor/leaflet/leaflet.js"),
            "text/javascript; charset=utf-8",
        ),
        "vendor/leaflet/leaflet.css" => (
            include_bytes!("../../../assets/dashboard/vendor/leaflet/leaflet.css"),
            "text/css; charset=utf-8",
        ),
        "vendor/leaflet/images/layers.png" => (
            include_bytes!("../../../assets/dashboard/vendor/leaflet/images/layers.png"),
            "image/png",
        ),
        "vendor/leaflet/images/layers-2x.png" => (
            include_bytes!("../../../assets/dashboard/vendor/leaflet/images/layers-2x.png"),
            "image/png",
        ),
        "vendor/leaflet/images/marker-icon.png" => (
            include_bytes!("../../../assets/dashboard/vendor/leaflet/images/marker-icon.png"),
            "image/png",
        ),
        "vendor/leaflet/images/marker-icon-2x.png" => (
            include_bytes!("../../../assets/dashboard/vendor/leaflet/images/marker-icon-2x.png"),
            "image/png",
        ),
        "vendor/leaflet/images/marker-shadow.png" => (
            include_bytes!("../../../assets/dashboard/vendor/leaflet/images/marker-shadow.png"),
            "image/png",
        ),
        _ => return PageError::not_found().into_response(),
    };
    let mut r = bytes.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).expect("ASCII"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// The dashboard's routes and the export API, merged into the server's router.
pub fn router(_state: Arc<AppState>) -> Router<Arc<AppState>> {
    let dash = Arc::new(Dash {
        config: DashboardConfig::from_env(),
    });
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/dashboard", get(home))
        .route("/dashboard/", get(home))
        .route("/dashboard/assets/{*file}", get(asset))
        .route(
            "/dashboard/login",
            get(login::login_page).post(login::login),
        )
        .route("/dashboard/logout", post(login::logout))
        .route("/dashboard/lang/{lang}", get(login::switch_language))
        .route("/dashboard/overview", get(overview::overview))
        .route(
            "/dashboard/province-target",
            post(overview::save_province_target),
        )
        .route("/dashboard/c/{id}", get(scorecard::scorecard_page))
        .route("/dashboard/c/{id}/villages", get(villages::villages_page))
        .route("/dashboard/c/{id}/map", get(map::map_page))
        .route("/dashboard/c/{id}/records", get(records::records_page))
        .route(
            "/dashboard/c/{id}/records/{entity}",
            get(records::record_page),
        )
        .route(
            "/dashboard/c/{id}/records/{entity}/resolve",
            post(records::resolve),
        )
        .route("/dashboard/c/{id}/conflicts", get(records::conflicts_page))
        .route("/dashboard/c/{id}/photos/{sha256}", get(records::photo))
        .route("/dashboard/c/{id}/reports", get(admin::reports_page))
        .route("/dashboard/c/{id}/settings", get(admin::settings_page))
        .route(
            "/dashboard/c/{id}/settings/target",
            post(admin::save_target),
        )
        .route(
            "/dashboard/c/{id}/settings/target/remove",
            post(admin::remove_target),
        )
        .route("/dashboard/c/{id}/settings/quota", post(admin::save_quota))
        .route(
            "/dashboard/c/{id}/settings/responsibility",
            post(admin::save_responsibility),
        )
        .route(
            "/dashboard/c/{id}/settings/village",
            post(admin::save_village),
        )
        .route("/dashboard/c/{id}/devices", get(admin::devices_page))
        .route(
            "/dashboard/c/{id}/devices/{device_id}/revoke",
            post(admin::revoke_device),
        )
        .route(
            "/dashboard/c/{id}/enrollments",
            post(admin::create_enrollment),
        )
        .route("/dashboard/c/{id}/odk-forms", post(admin::save_odk_forms))
        .route(
            "/dashboard/c/{id}/households",
            get(admin::households_page)
                .post(admin::import_households)
                .layer(DefaultBodyLimit::max(16 << 20)),
        )
        .route(
            "/dashboard/c/{id}/import-waiting",
            get(import_waiting::import_page)
                .post(import_waiting::import_file)
                .layer(DefaultBodyLimit::max(64 << 20)),
        )
        .route(
            "/dashboard/admin/users",
            get(admin::users_page).post(admin::create_user),
        )
        .route(
            "/dashboard/admin/communes",
            get(admin::communes_page).post(admin::create_commune),
        )
        .route(
            "/api/v1/communes/{id}/export/xlsx",
            get(crate::reports::export_xlsx),
        )
        .route(
            "/api/v1/communes/{id}/export/csv",
            get(crate::reports::export_csv),
        )
        .route(
            "/api/v1/communes/{id}/export/geojson",
            get(crate::reports::export_geojson),
        )
        .layer(Extension(dash))
}
