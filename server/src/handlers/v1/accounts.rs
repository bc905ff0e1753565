//! Login and dashboard accounts.

use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use ntm_field::protocol::{CreateUserRequest, LoginRequest, LoginResponse, Role, UserView};

use crate::auth::{
    hash_password, new_token, token_hash, verify_password, UserAuth, USER_TOKEN_PREFIX,
};
use crate::body::ApiBody;
use crate::error::{ApiError, ApiResult};
use crate::openapi::schemas;
use crate::serve::ClientAddr;
use crate::storage::{NewUser, User};
use crate::{blocking, AppState};

/// An argon2id hash to verify against when the user does not exist, so that a wrong user name
/// takes as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no such user").expect("argon2 hashes a constant"));

/// `POST /api/v1/auth/login`: user name and password -> a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body(content = schemas::LoginRequest),
    responses(
        (status = 200, description = "a session token", body = schemas::LoginResponse),
        (status = 401, description = "wrong user name or password"),
        (status = 429, description = "too many failed attempts for this user name or address")))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(ClientAddr(addr)): ConnectInfo<ClientAddr>,
    ApiBody(req): ApiBody<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let limits = &state.limits;
    let user_key = format!("login-user:{}", req.username.to_lowercase());
    let ip_key = format!("login-ip:{}", addr.ip());
    state.rate.check(
        &user_key,
        limits.login_failures_per_user,
        limits.attempt_window,
        "failed logins for this user",
    )?;
    state.rate.check(
        &ip_key,
        limits.login_failures_per_ip,
        limits.attempt_window,
        "failed logins from this address",
    )?;
    let storage = state.storage.clone();
    let username = req.username.clone();
    let user: Option<User> = blocking(move || {
        let user = storage.user_by_name(&username)?;
        let ok = verify_password(
            &req.password,
            user.as_ref()
                .map_or(DUMMY_HASH.as_str(), |u| &u.password_hash),
        );
        Ok(user.filter(|_| ok))
    })
    .await?;
    let Some(user) = user else {
        state.rate.record(&user_key);
        state.rate.record(&ip_key);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "wrong user name or password; check both and try again",
        ));
    };
    state.rate.clear(&user_key);
    let token = new_token(USER_TOKEN_PREFIX);
    let expires_at = Utc::now() + chrono::Duration::hours(limits.session_hours);
    let storage = state.storage.clone();
    let hash = token_hash(&token);
    blocking(move || Ok(storage.create_session(&hash, user.id, expires_at)?)).await?;
    tracing::info!(user = %req.username, "logged in");
    Ok(Json(LoginResponse { token, expires_at }))
}

/// Whether an account may be scoped to a district. Districts were abolished on 01/7/2025
/// (two-level local government): new accounts belong to a province or a commune; only the
/// command line restores an account of a former district as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Districts {
    Abolished,
    Former,
}

pub(crate) fn check_new_user(req: &CreateUserRequest, districts: Districts) -> ApiResult<()> {
    let name_ok = (1..=64).contains(&req.username.chars().count())
        && req
            .username
            .chars()
            .all(|c| c.is_alphanumeric() || "._-@".contains(c));
    if !name_ok {
        return Err(ApiError::bad_request(
            "invalid",
            "a user name is 1 to 64 letters, digits or . _ - @",
        )
        .with_field("username"));
    }
    if req.password.chars().count() < 8 || req.password.len() > 1024 {
        return Err(
            ApiError::bad_request("invalid", "a password needs at least 8 characters")
                .with_field("password"),
        );
    }
    if let Some(d) = &req.district {
        if districts == Districts::Abolished {
            return Err(ApiError::bad_request(
                "district_abolished",
                "districts were abolished on 01/7/2025: scope the account to its province (province) or to a commune (commune_id)",
            )
            .with_field("district"));
        }
        if d.trim().is_empty() || d.chars().count() > 200 {
            return Err(
                ApiError::bad_request("invalid", "district must be 1 to 200 characters")
                    .with_field("district"),
            );
        }
    }
    match (req.role, &req.commune_id, &req.province, &req.district) {
        (Role::Admin, None, None, None) => Ok(()),
        (Role::Admin, _, _, _) => Err(ApiError::bad_request(
            "invalid",
            "an administrator is not scoped; leave commune_id, province and district out",
        )),
        (Role::Enumerator, _, _, _) => Err(ApiError::bad_request(
            "invalid",
            "enumerators use enrolled devices, not accounts; create an enrollment code",
        )
        .with_field("role")),
        (_, None, None, Some(_)) => Err(ApiError::bad_request(
            "invalid",
            "a district is named within its province; give the province too",
        )
        .with_field("province")),
        (_, Some(_), None, None) | (_, None, Some(_), _) => Ok(()),
        _ => Err(ApiError::bad_request(
            "invalid",
            "give exactly one of commune_id or province for an officer or viewer",
        )
        .with_field("commune_id")),
    }
}

/// `POST /api/v1/users` (admin): a dashboard account scoped to a commune or a province.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", security(("bearer" = [])),
    request_body(content = schemas::CreateUserRequest),
    responses((status = 201, description = "the account (without its password)", body = schemas::UserView),
              (status = 400, description = "a bad user name, a short password, a wrong scope for the role, or a district (abolished on 01/7/2025)"),
              (status = 403, description = "not an administrator, or a device token"),
              (status = 409, description = "the name is taken")))]
pub async fn create_user(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiBody(req): ApiBody<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    if !p.is_admin() {
        return Err(ApiError::forbidden(
            "only an administrator creates accounts",
        ));
    }
    check_new_user(&req, Districts::Abolished)?;
    let storage = state.storage.clone();
    let user = blocking(move || {
        let hash = hash_password(&req.password).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(storage.create_user(&NewUser {
            username: req.username,
            password_hash: hash,
            role: req.role,
            commune_id: req.commune_id,
            province: req.province,
            district: req.district,
        })?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view(&user))))
}

/// `GET /api/v1/users` (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "every account", body = Vec<schemas::UserView>),
              (status = 403, description = "not an administrator, or a device token")))]
pub async fn list_users(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
) -> ApiResult<Json<Vec<UserView>>> {
    if !p.is_admin() {
        return Err(ApiError::forbidden("only an administrator lists accounts"));
    }
    let storage = state.storage.clone();
    let users = blocking(move || Ok(storage.list_users()?)).await?;
    Ok(Json(users.iter().map(view).collect()))
}

pub(crate) fn view(u: &User) -> UserView {
    UserView {
        username: u.username.clone(),
        role: u.role,
        commune_id: u.commune_id.clone(),
        province: u.province.clone(),
        district: u.district.clone(),
    }
}
