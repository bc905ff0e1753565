//! Login, logout and the language switch. See [`super::session`] for how sessions and CSRF
//! tokens work.

use std::sync::{Arc, LazyLock};

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Utc;
use maud::{html, DOCTYPE};
use serde::Deserialize;

use super::i18n::Lang;
use super::session::{
    cookie, csrf_token, local_path, same_token, secure_request, set_cookie, DashUser, PageLang,
    LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE,
};
use super::{html_page, Dash, PageError, PageResult};
use crate::auth::{hash_password, new_token, token_hash, verify_password, USER_TOKEN_PREFIX};
use crate::serve::ClientAddr;
use crate::{blocking, AppState};

/// Verified against when the user name is unknown, so both failures take the same time.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("no such user").expect("argon2 hashes a constant"));

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    out: Option<String>,
}

fn login_form(
    lang: Lang,
    csrf: &str,
    next: &str,
    error: Option<&str>,
    notice: Option<&str>,
    username: &str,
) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (lang.t("login.title")) " – " (lang.t("app.title")) }
                link rel="stylesheet" href="/dashboard/assets/dashboard.css";
            }
            body {
                main.login {
                    h1 { (lang.t("app.title")) }
                    h2 { (lang.t("login.title")) }
                    @if let Some(e) = error { p.flash.err role="alert" { (e) } }
                    @if let Some(n) = notice { p.flash.ok role="status" { (n) } }
                    form method="post" action="/dashboard/login" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="next" value=(next);
                        label { (lang.t("login.username")) input name="username" autocomplete="username" required value=(username); }
                        label { (lang.t("login.password")) input name="password" type="password" autocomplete="current-password" required; }
                        button type="submit" { (lang.t("login.submit")) }
                    }
                    p { a href=(format!("/dashboard/lang/{}?back=/dashboard/login", if lang == Lang::Vi { "en" } else { "vi" })) { (lang.t("nav.language")) } }
                }
            }
        }
    };
    html_page(markup)
}

/// The pre-login nonce of this browser, or a new one to set.
fn login_nonce(parts: &Parts) -> (String, bool) {
    match cookie(parts, LOGIN_COOKIE).filter(|n| n.len() >= 32) {
        Some(n) => (n, false),
        None => (new_token(""), true),
    }
}

/// `GET /dashboard/login`.
pub async fn login_page(
    Extension(dash): Extension<Arc<Dash>>,
    PageLang(lang): PageLang,
    user: Option<DashUser>,
    Query(q): Query<LoginQuery>,
    parts: Parts,
) -> Response {
    let next = local_path(q.next.as_deref());
    if user.is_some() {
        return Redirect::to(&next).into_response();
    }
    let (nonce, fresh) = login_nonce(&parts);
    let notice = q.out.is_some().then(|| lang.t("login.logged_out"));
    let mut response = login_form(lang, &csrf_token(&nonce), &next, None, notice, "");
    if fresh {
        response.headers_mut().append(
            SET_COOKIE,
            set_cookie(
                LOGIN_COOKIE,
                &nonce,
                "/dashboard",
                Some(3600),
                secure_request(&dash, &parts),
            ),
        );
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
    next: Option<String>,
}

/// `POST /dashboard/login`: checks the form's token against this browser's pre-login cookie,
/// the password with argon2id (rate-limited like the API's login), then starts a new session.
pub async fn login(
    State(state): State<Arc<AppState>>,
    Extension(dash): Extension<Arc<Dash>>,
    PageLang(lang): PageLang,
    ConnectInfo(ClientAddr(addr)): ConnectInfo<ClientAddr>,
    parts: Parts,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let nonce = cookie(&parts, LOGIN_COOKIE).ok_or_else(PageError::csrf)?;
    if !form
        .csrf
        .as_deref()
        .is_some_and(|t| same_token(t, &csrf_token(&nonce)))
    {
        return Err(PageError::csrf());
    }
    let next = local_path(form.next.as_deref());
    let limits = &state.limits;
    let user_key = format!("login-user:{}", form.username.to_lowercase());
    let ip_key = format!("login-ip:{}", addr.ip());
    let throttled = state
        .rate
        .check(
            &user_key,
            limits.login_failures_per_user,
            limits.attempt_window,
            "failed logins",
        )
        .is_err()
        || state
            .rate
            .check(
                &ip_key,
                limits.login_failures_per_ip,
                limits.attempt_window,
                "failed logins",
            )
            .is_err();
    if throttled {
        let mut r = login_form(
            lang,
            &csrf_token(&nonce),
            &next,
            Some(lang.t("login.throttled")),
            None,
            &form.username,
        );
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(r);
    }
    let storage = state.storage.clone();
    let username = form.username.clone();
    let password = form.password;
    let user = blocking(move || {
        let user = storage.user_by_name(&username)?;
        let ok = verify_password(
            &password,
            user.as_ref()
                .map_or(DUMMY_HASH.as_str(), |u| &u.password_hash),
        );
        Ok(user.filter(|_| ok))
    })
    .await?;
    let Some(user) = user else {
        state.rate.record(&user_key);
        state.rate.record(&ip_key);
        let mut r = login_form(
            lang,
            &csrf_token(&nonce),
            &next,
            Some(lang.t("login.failed")),
            None,
            &form.username,
        );
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(r);
    };
    state.rate.clear(&user_key);
    // A new session id on every login; whatever session this browser had is ended.
    let token = new_token(USER_TOKEN_PREFIX);
    let expires_at = Utc::now() + chrono::Duration::hours(limits.session_hours);
    let old = cookie(&parts, SESSION_COOKIE);
    let storage = state.storage.clone();
    let hash = token_hash(&token);
    blocking(move || {
        if let Some(old) = old {
            storage.delete_session(&token_hash(&old))?;
        }
        Ok(storage.create_session(&hash, user.id, expires_at)?)
    })
    .await?;
    tracing::info!(user = %form.username, "dashboard login");
    let secure = secure_request(&dash, &parts);
    let mut response = Redirect::to(&next).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    let h = response.headers_mut();
    h.append(
        SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &token,
            "/",
            Some(limits.session_hours * 3600),
            secure,
        ),
    );
    h.append(
        SET_COOKIE,
        set_cookie(LOGIN_COOKIE, "", "/dashboard", Some(0), secure),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

/// `POST /dashboard/logout`: ends the session on the server and clears the cookie.
pub async fn logout(
    State(state): State<Arc<AppState>>,
    Extension(dash): Extension<Arc<Dash>>,
    u: DashUser,
    parts: Parts,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    u.check_csrf(form.csrf.as_deref())?;
    let storage = state.storage.clone();
    let hash = token_hash(&u.session_token);
    blocking(move || Ok(storage.delete_session(&hash)?)).await?;
    let mut response = Redirect::to("/dashboard/login?out=1").into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            "",
            "/",
            Some(0),
            secure_request(&dash, &parts),
        ),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    back: Option<String>,
}

/// `GET /dashboard/lang/{vi|en}?back=/dashboard/...`: remembers the language in a cookie.
pub async fn switch_language(
    Extension(dash): Extension<Arc<Dash>>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
    parts: Parts,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let mut response = Redirect::to(&local_path(q.back.as_deref())).into_response();
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            "/",
            Some(365 * 24 * 3600),
            secure_request(&dash, &parts),
        ),
    );
    response
}
