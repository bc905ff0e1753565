//! `/dashboard/c/{id}/import-waiting`: an officer uploads the file a phone exported of the
//! versions it saved for this commune but can no longer send (it was enrolled elsewhere). The
//! versions go through [`write::store`], the same `store_versions` as a push: a version the
//! server already holds (same id and content, from any device) is a duplicate, so importing the
//! same file twice stores it once.

use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use ntm_field::config::CommuneConfig;
use ntm_field::protocol::{PushStatus, WaitingBundle, WAITING_BUNDLE_FORMAT};

use super::i18n::Lang;
use super::layout::{csrf_field, page, Nav, Shell};
use super::session::DashUser;
use super::{commune_for, html_page, write, PageError, PageResult};
use crate::auth::Access;
use crate::error::ApiResult;
use crate::{blocking, AppState};

/// What became of one version of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedVersion {
    pub version_id: String,
    pub status: PushStatus,
    /// Why it was refused (the core's reason, or another commune's id).
    pub reason: Option<String>,
}

/// What an import did, or why the file could not be read (a catalog key).
enum Outcome {
    Unreadable(&'static str),
    Done(Vec<ImportedVersion>),
}

/// Reads the file and stores its versions of `config`'s commune as `u`'s dashboard device;
/// versions of another commune are refused here, before the storage.
fn import(
    state: &AppState,
    u: &DashUser,
    config: &CommuneConfig,
    bytes: &[u8],
) -> ApiResult<Outcome> {
    let Ok(bundle) = serde_json::from_slice::<WaitingBundle>(bytes) else {
        return Ok(Outcome::Unreadable("iw.err_file"));
    };
    if bundle.manifest.format != WAITING_BUNDLE_FORMAT {
        return Ok(Outcome::Unreadable("iw.err_format"));
    }
    let (mine, others): (Vec<_>, Vec<_>) = bundle
        .versions
        .into_iter()
        .partition(|v| v.commune_id == config.commune.id);
    let mut out: Vec<ImportedVersion> = write::store(&*state.storage, &u.user, config, mine)?
        .into_iter()
        .map(|r| ImportedVersion {
            version_id: r.version_id,
            status: r.status,
            reason: r.reason,
        })
        .collect();
    out.extend(others.into_iter().map(|v| ImportedVersion {
        version_id: v.version_id.to_string(),
        status: PushStatus::Rejected,
        reason: Some(format!(
            "{}: {}",
            u.lang.t("iw.other_commune"),
            v.commune_id
        )),
    }));
    Ok(Outcome::Done(out))
}

fn status_label(lang: Lang, s: PushStatus) -> &'static str {
    match s {
        PushStatus::Stored => lang.t("iw.stored"),
        PushStatus::Duplicate => lang.t("iw.duplicate"),
        PushStatus::Rejected => lang.t("iw.rejected"),
    }
}

fn body(lang: Lang, u: &DashUser, commune: &str, outcome: Option<&Outcome>) -> Markup {
    let count =
        |list: &[ImportedVersion], s: PushStatus| list.iter().filter(|v| v.status == s).count();
    html! {
        @match outcome {
            Some(Outcome::Unreadable(key)) => p.flash.err role="alert" #import-errors { (lang.t(key)) },
            Some(Outcome::Done(list)) => {
                p.flash.ok role="status" #import-result {
                    (lang.t("iw.stored")) ": " strong { (count(list, PushStatus::Stored)) } "; "
                    (lang.t("iw.duplicate")) ": " strong { (count(list, PushStatus::Duplicate)) } "; "
                    (lang.t("iw.rejected")) ": " strong { (count(list, PushStatus::Rejected)) }
                }
                table.records #import-versions {
                    thead { tr { th { (lang.t("iw.version")) } th { (lang.t("iw.result")) } } }
                    tbody { @for v in list { tr {
                        td { code { (v.version_id) } }
                        td {
                            (status_label(lang, v.status))
                            @if let Some(r) = &v.reason { ": " (r) }
                        }
                    } } }
                }
            }
            None => {}
        }
        p.hint { (lang.t("iw.help")) }
        form method="post" enctype="multipart/form-data" action=(format!("/dashboard/c/{commune}/import-waiting")) {
            (csrf_field(u))
            label { (lang.t("iw.file")) " " input type="file" name="file" accept=".json,application/json" required; }
            button type="submit" { (lang.t("iw.import")) }
        }
    }
}

fn render(u: &DashUser, config: &CommuneConfig, outcome: Option<Outcome>) -> Response {
    let lang = u.lang;
    let commune = config.commune.id.as_str();
    let shell = Shell {
        user: u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("iw.title"), config.commune.name),
        nav: Nav::Households,
        here: format!("/dashboard/c/{commune}/import-waiting"),
    };
    let unreadable = matches!(outcome, Some(Outcome::Unreadable(_)));
    let mut r = html_page(page(shell, None, body(lang, u, commune, outcome.as_ref())));
    if unreadable {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /dashboard/c/{id}/import-waiting`.
pub async fn import_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let config = commune_for(&state, &u, &id, Access::Manage).await?;
    Ok(render(&u, &config, None))
}

/// `POST /dashboard/c/{id}/import-waiting` (multipart: `csrf`, `file`).
pub async fn import_file(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> PageResult<Response> {
    let mut csrf = None;
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| PageError::bad_request("error.bad_form"))?
    {
        match field.name() {
            Some("csrf") => {
                csrf = Some(
                    field
                        .text()
                        .await
                        .map_err(|_| PageError::bad_request("error.bad_form"))?,
                )
            }
            Some("file") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|_| PageError::bad_request("error.bad_form"))?,
                )
            }
            _ => {}
        }
    }
    u.check_csrf(csrf.as_deref())?;
    let config = commune_for(&state, &u, &id, Access::Manage).await?;
    let Some(bytes) = file else {
        return Err(PageError::bad_request("error.file"));
    };
    let (st, user, cfg) = (state.clone(), u.clone(), config.clone());
    let outcome = blocking(move || import(&st, &user, &cfg, &bytes)).await?;
    Ok(render(&u, &config, Some(outcome)))
}
