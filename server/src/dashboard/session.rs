//! Dashboard sessions and CSRF protection.
//!
//! - **Session**: logging in creates a new random session token (the same `ntmu_` tokens and
//!   `sessions` table as `POST /api/v1/auth/login`, stored hashed) and sets it in the cookie
//!   `ntm_session` (HttpOnly, SameSite=Strict, Path=/, Secure behind TLS). The id is always
//!   minted by the server at login, and any session the browser carried before is ended, so a
//!   planted cookie never becomes a logged-in session (no fixation). Logging out deletes it.
//! - **CSRF**: a synchronizer token derived from the session secret,
//!   `base64url(SHA-256("ntm-csrf\0" ‖ session token))`, put in every form as `csrf` and checked
//!   in constant time on every POST. A cross-site page knows neither the cookie (HttpOnly) nor
//!   the token, and SameSite=Strict keeps the cookie off cross-site requests anyway. The login
//!   form, before any session exists, uses the same derivation from a random pre-login cookie.
//! - **Who**: the cookie's token is authenticated by the API's own [`UserAuth`] extractor, so a
//!   page and an API call resolve the same user, role and commune scope the same way.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::i18n::Lang;
use super::{Dash, PageError};
use crate::auth::{AnyAuth, Principal, UserAuth};
use crate::error::ApiError;
use crate::storage::User;
use crate::AppState;

pub const SESSION_COOKIE: &str = "ntm_session";
pub const LANG_COOKIE: &str = "ntm_lang";
pub const LOGIN_COOKIE: &str = "ntm_login";

/// The value of cookie `name` in the request.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
}

/// The CSRF token of a session (or of a pre-login nonce).
pub fn csrf_token(secret: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"ntm-csrf\0")
        .chain_update(secret.as_bytes())
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..24])
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A `Set-Cookie` value with the dashboard's attributes.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_s: Option<i64>,
    secure: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age_s {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are base64url and ASCII")
}

/// Whether cookies must carry `Secure`: configured, or the request came through a TLS proxy.
pub fn secure_request(dash: &Dash, parts: &Parts) -> bool {
    dash.config.cookie_secure
        || parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The language chosen with the language switch (Vietnamese by default).
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(
            cookie(parts, LANG_COOKIE)
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or_default(),
        ))
    }
}

/// A logged-in dashboard user with the page's language and the session's CSRF token.
#[derive(Clone)]
pub struct DashUser {
    pub principal: Principal,
    pub user: User,
    pub lang: Lang,
    pub csrf: String,
    /// The session's token, to end it at logout.
    pub session_token: String,
}

impl DashUser {
    /// Refuses a form whose `csrf` field is missing or wrong.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), PageError> {
        match sent {
            Some(t) if same_token(t, &self.csrf) => Ok(()),
            _ => Err(PageError::csrf()),
        }
    }
}

/// Runs the API's `UserAuth` on the session cookie's token.
async fn user_from_cookie(
    parts: &mut Parts,
    state: &Arc<AppState>,
) -> Option<(Principal, User, String)> {
    let token = cookie(parts, SESSION_COOKIE)?;
    let header = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    let previous = parts.headers.insert(AUTHORIZATION, header);
    let result = UserAuth::from_request_parts(parts, state).await;
    match previous {
        Some(p) => parts.headers.insert(AUTHORIZATION, p),
        None => parts.headers.remove(AUTHORIZATION),
    };
    result.ok().map(|UserAuth(p, u)| (p, u, token))
}

/// Why a page needs a login: GET requests go to the login page and come back afterwards.
pub struct LoginRequired {
    next: Option<String>,
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        match self.next {
            Some(next) => {
                Redirect::to(&format!("/dashboard/login?next={}", urlencode(&next))).into_response()
            }
            None => PageError::new(StatusCode::UNAUTHORIZED, "error.login").into_response(),
        }
    }
}

impl<S> FromRequestParts<S> for DashUser
where
    S: Send + Sync,
    Arc<AppState>: FromRef<S>,
{
    type Rejection = LoginRequired;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let state = Arc::<AppState>::from_ref(s);
        let PageLang(lang) = PageLang::from_request_parts(parts, s)
            .await
            .unwrap_or(PageLang(Lang::Vi));
        match user_from_cookie(parts, &state).await {
            Some((principal, user, token)) => Ok(DashUser {
                principal,
                user,
                lang,
                csrf: csrf_token(&token),
                session_token: token,
            }),
            None => {
                let next = (parts.method == Method::GET).then(|| {
                    parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default()
                });
                Err(LoginRequired { next })
            }
        }
    }
}

impl<S> OptionalFromRequestParts<S> for DashUser
where
    S: Send + Sync,
    Arc<AppState>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <DashUser as FromRequestParts<S>>::from_request_parts(parts, s)
                .await
                .ok(),
        )
    }
}

/// The caller of an export: a bearer token (device or user), or else a dashboard session.
pub struct ApiOrSession(pub Principal);

impl FromRequestParts<Arc<AppState>> for ApiOrSession {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        if parts.headers.contains_key(AUTHORIZATION) {
            let AnyAuth(p) = AnyAuth::from_request_parts(parts, state).await?;
            return Ok(ApiOrSession(p));
        }
        match user_from_cookie(parts, state).await {
            Some((p, _, _)) => Ok(ApiOrSession(p)),
            None => Err(ApiError::unauthorized(
                "send Authorization: Bearer <token>, or log in to the dashboard",
            )),
        }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A redirect target after login or a language switch: only a path inside the dashboard, never
/// another site (`//evil`, `https://...`, `/\evil`).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/dashboard")
                && !n.contains("//")
                && !n.contains('\\')
                && !n.contains('\r')
                && !n.contains('\n') =>
        {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_compared_exactly() {
        let a = csrf_token("ntmu_one");
        assert_eq!(a, csrf_token("ntmu_one"));
        assert_ne!(a, csrf_token("ntmu_two"));
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &a[1..]));
        assert!(!same_token(&a, ""));
    }

    #[test]
    fn redirects_stay_inside_the_dashboard() {
        assert_eq!(
            local_path(Some("/dashboard/c/thien-ke?as_of=2020-06-30")),
            "/dashboard/c/thien-ke?as_of=2020-06-30"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/dashboard//evil",
            "/\\evil",
            "/api/v1/users",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/dashboard", "{bad}");
        }
    }
}
