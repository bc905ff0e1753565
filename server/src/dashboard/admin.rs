//! Administration pages: a commune's thresholds, quotas, responsibilities and villages; its
//! devices and enrollment codes (with a QR code); household import from CSV; accounts and
//! communes (administrators); and the reports page.
//!
//! Changes go through the API's own handlers (`put_commune_target`, `put_quota`,
//! `create_enrollment`, `revoke`, `create_user`, `create_commune`), so the dashboard and the
//! API validate, authorize and rate-limit exactly alike. Every form carries the CSRF token.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use chrono::NaiveDate;
use maud::{html, Markup, PreEscaped};
use ntm_field::admin::{Commune, Village};
use ntm_field::catalog::{Catalog, IndicatorType};
use ntm_field::config::{CommuneConfig, MeasureId};
use ntm_field::ids::{Region, Slug};
use ntm_field::protocol::{
    CreateUserRequest, EnrollmentRequest, PushStatus, QuotaPut, Role, TargetPut,
};
use ntm_field::record::{Body as RecordBody, Household, Kind};
use serde::Deserialize;

use super::i18n::{self, Lang};
use super::layout::{can_manage, csrf_field, page, role_label, Flash, Nav, Shell};
use super::scorecard::{cached, threshold_text};
use super::session::{urlencode, DashUser};
use super::{commune_for, html_page, write, PageError, PageResult};
use crate::auth::{Access, UserAuth};
use crate::body::ApiBody;
use crate::error::ApiError;
use crate::handlers::v1::reports::local_today;
use crate::handlers::v1::{accounts, communes, devices, ApiPath};
use crate::storage::heads::current_heads;
use crate::{blocking, AppState};

#[derive(Debug, Deserialize, Default)]
pub struct FlashQuery {
    ok: Option<String>,
    err: Option<String>,
}

pub(super) fn api_user(u: &DashUser) -> UserAuth {
    UserAuth(u.principal.clone(), u.user.clone())
}

/// Why a form was not applied.
pub(super) enum Refusal {
    /// The values: the catalog key that says what to correct.
    Values(&'static str),
    /// The API's handler or storage refused.
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Api(e)
    }
}

/// What a form did.
pub(super) enum Done {
    /// Back to the form's page with this confirmation (a catalog key).
    Back(&'static str),
    /// A page of its own (the new enrollment code).
    Page(Response),
}

/// The one flow of every administration form: check the CSRF token, then the caller's rights
/// (`gate`: a refusal is a 403/404 page, before anything is said about the values), then run
/// `act` with what the gate passed (the commune's configuration, or nothing), and go back to
/// `to` with a confirmation or with what to correct, in the user's language.
pub(super) async fn submit<G, Fut>(
    u: &DashUser,
    csrf: Option<&str>,
    gate: impl Future<Output = PageResult<G>>,
    to: &str,
    act: impl FnOnce(G) -> Fut,
) -> PageResult<Response>
where
    Fut: Future<Output = Result<Done, Refusal>>,
{
    u.check_csrf(csrf)?;
    let passed = gate.await?;
    let key = match act(passed).await {
        Ok(Done::Back(ok)) => return Ok(Redirect::to(&format!("{to}?ok={ok}")).into_response()),
        Ok(Done::Page(page)) => return Ok(page),
        Err(Refusal::Api(e))
            if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND =>
        {
            return Err(e.into())
        }
        Err(Refusal::Api(e)) => super::error_key(&e),
        Err(Refusal::Values(key)) => key,
    };
    Ok(Redirect::to(&format!("{to}?err={key}")).into_response())
}

/// The gate of a commune's settings: an officer of the commune or an administrator.
async fn manager(state: &Arc<AppState>, u: &DashUser, id: &str) -> PageResult<CommuneConfig> {
    commune_for(state, u, id, Access::Manage).await
}

/// The gate of accounts and communes: administrators only.
async fn administrator(u: &DashUser) -> PageResult<()> {
    if u.principal.is_admin() {
        Ok(())
    } else {
        Err(PageError::forbidden())
    }
}

fn measure_label(lang: Lang, m: MeasureId) -> &'static str {
    lang.t(&format!("measure.{}", m.as_str()))
}

// ---------------------------------------------------------------------------------------------
// Settings: thresholds, quotas, responsibilities, villages.

/// `GET /dashboard/c/{id}/settings`.
pub async fn settings_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> PageResult<Response> {
    let lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let storage = state.storage.clone();
    let cfg = config.clone();
    let computed = blocking(move || Ok(cached(&*storage, &cfg, local_today(), false)?)).await?;
    let card = &computed.card;
    let manage = can_manage(&u);
    let commune = config.commune.id.as_str();
    let base = format!("/dashboard/c/{commune}/settings");
    let catalog = Catalog::builtin();
    let numeric: Vec<_> = catalog
        .indicators()
        .filter(|(_, i)| i.indicator_type != IndicatorType::Bool)
        .collect();
    let body = html! {
        @if !manage { p.flash.warn { (lang.t("set.viewer_note")) } }
        section #targets {
            h2 { (lang.t("set.targets")) }
            p.hint { (lang.t("set.targets_help")) }
            @if manage {
                form.grid method="post" action=(format!("{base}/target")) {
                    (csrf_field(&u))
                    label { (lang.t("set.indicator")) select name="indicator" required {
                        @for (_, i) in &numeric { option value=(i.id) { (i.id) " " (lang.pick(&i.name_vi, &i.name_en)) } }
                    } }
                    label { (lang.t("set.threshold")) input name="threshold" inputmode="decimal" required; }
                    label { (lang.t("set.source")) input name="source" required maxlength="500"; }
                    button type="submit" { (lang.t("set.save")) }
                }
            }
            table.records #thresholds {
                thead { tr { th { (lang.t("set.indicator")) } th { (lang.t("set.current")) } th { (lang.t("sc.threshold_source")) } th { } } }
                tbody {
                    @for (_, ind) in &numeric {
                        @if let Some(score) = card.indicator(&ind.id) {
                            tr data-indicator=(ind.id) {
                                td { (ind.id) " " (lang.pick(&ind.name_vi, &ind.name_en)) }
                                td { (threshold_text(lang, score)) }
                                td { @if let Some(s) = score.threshold_source { (lang.t(&format!("source.{}", serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()))) }
                                     @if let Some(c) = &score.threshold_citation { " — " (c) } }
                                td {
                                    @if manage && config.commune_targets.contains_key(&ind.id) {
                                        form.inline method="post" action=(format!("{base}/target/remove")) {
                                            (csrf_field(&u))
                                            input type="hidden" name="indicator" value=(ind.id);
                                            button type="submit" { (lang.t("set.remove")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section #quotas {
            h2 { (lang.t("set.quotas")) }
            @if manage {
                form.grid method="post" action=(format!("{base}/quota")) {
                    (csrf_field(&u))
                    label { (lang.t("set.measure")) select name="measure" { @for m in MeasureId::ALL { option value=(m.as_str()) { (measure_label(lang, m)) } } } }
                    label { (lang.t("vil.village")) select name="village" { @for v in &config.commune.villages { option value=(v.id.as_str()) { (v.name) } } } }
                    label { (lang.t("set.target")) input name="target" inputmode="decimal" required; }
                    label { (lang.t("set.since")) input type="date" name="since" required value=(format!("{}-01-01", chrono::Datelike::year(&local_today()))); }
                    button type="submit" { (lang.t("set.save")) }
                }
            }
            table.records {
                thead { tr { th { (lang.t("set.measure")) } th { (lang.t("vil.village")) } th { (lang.t("set.target")) } th { (lang.t("set.since")) } } }
                tbody {
                    @for q in &config.quotas {
                        tr {
                            td { (measure_label(lang, q.measure)) }
                            td { (config.commune.village(&q.village_id).map_or(q.village_id.as_str(), |v| v.name.as_str())) }
                            td { (lang.num(q.target, 3)) }
                            td { (i18n::date(q.since)) }
                        }
                    }
                }
            }
        }
        section #responsibilities {
            h2 { (lang.t("set.responsibilities")) }
            table.records {
                thead { tr { th { (lang.t("set.responsible_for")) } th { (lang.t("set.person")) } } }
                tbody {
                    @for c in &catalog.criteria {
                        tr {
                            td { (c.id) ". " (lang.pick(&c.name_vi, &c.name_en)) }
                            td {
                                @let current = config.responsibilities.get(&c.id).cloned().unwrap_or_default();
                                @if manage {
                                    form.inline method="post" action=(format!("{base}/responsibility")) {
                                        (csrf_field(&u))
                                        input type="hidden" name="key" value=(c.id);
                                        input name="people" value=(current) size="60" maxlength="500";
                                        button type="submit" { (lang.t("set.save")) }
                                    }
                                } @else { (current) }
                            }
                        }
                    }
                }
            }
        }
        section #villages {
            h2 { (lang.t("set.villages")) }
            table.records {
                thead { tr { th { (lang.t("set.village_id")) } th { (lang.t("set.village_name")) } } }
                tbody {
                    @for v in &config.commune.villages {
                        tr {
                            td { code { (v.id.as_str()) } }
                            td {
                                @if manage {
                                    form.inline method="post" action=(format!("{base}/village")) {
                                        (csrf_field(&u))
                                        input type="hidden" name="village_id" value=(v.id.as_str());
                                        input name="name" value=(v.name) required maxlength="200";
                                        button type="submit" { (lang.t("set.save")) }
                                    }
                                } @else { (v.name) }
                            }
                        }
                    }
                    @if manage {
                        tr {
                            td colspan="2" {
                                form.inline method="post" action=(format!("{base}/village")) {
                                    (csrf_field(&u))
                                    input name="village_id" placeholder=(format!("{commune}-15")) required pattern="[a-z0-9-]{1,64}";
                                    input name="name" placeholder=(lang.t("set.village_name")) required maxlength="200";
                                    button type="submit" { (lang.t("set.save")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("set.title"), config.commune.name),
        nav: Nav::Settings,
        here: base.clone(),
    };
    Ok(html_page(page(
        shell,
        Flash::from_query(lang, q.ok.as_deref(), q.err.as_deref()),
        body,
    )))
}

fn parse_number(s: &str) -> Option<f64> {
    // Accept both "24,5" (Vietnamese) and "24.5".
    s.trim()
        .replace(' ', "")
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

#[derive(Debug, Deserialize)]
pub struct TargetForm {
    csrf: Option<String>,
    indicator: String,
    threshold: Option<String>,
    source: Option<String>,
}

/// `POST /dashboard/c/{id}/settings/target`: the commune's own threshold, through the API's handler.
pub async fn save_target(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Form(f): Form<TargetForm>,
) -> PageResult<Response> {
    let to = format!("/dashboard/c/{id}/settings");
    submit(
        &u,
        f.csrf.as_deref(),
        manager(&state, &u, &id),
        &to,
        |_| async {
            let threshold = f
                .threshold
                .as_deref()
                .and_then(parse_number)
                .ok_or(Refusal::Values("error.threshold"))?;
            let put = TargetPut {
                threshold,
                inner: None,
                source: f.source.unwrap_or_default(),
            };
            // The page says it was saved; the API's answer is for API clients.
            let _ = communes::put_commune_target(
                State(state.clone()),
                api_user(&u),
                ApiPath((id.clone(), f.indicator)),
                ApiBody(put),
            )
            .await?;
            Ok(Done::Back("set.saved"))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct IndicatorForm {
    csrf: Option<String>,
    indicator: String,
}

/// `POST /dashboard/c/{id}/settings/target/remove`.
pub async fn remove_target(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Form(f): Form<IndicatorForm>,
) -> PageResult<Response> {
    let to = format!("/dashboard/c/{id}/settings");
    submit(
        &u,
        f.csrf.as_deref(),
        manager(&state, &u, &id),
        &to,
        |config| async {
            let storage = state.storage.clone();
            blocking(move || Ok(storage.delete_commune_target(&config.commune.id, &f.indicator)?))
                .await?;
            Ok(Done::Back("set.saved"))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct QuotaForm {
    csrf: Option<String>,
    measure: String,
    village: String,
    target: Option<String>,
    since: Option<String>,
}

/// `POST /dashboard/c/{id}/settings/quota`, through the API's handler.
pub async fn save_quota(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Form(f): Form<QuotaForm>,
) -> PageResult<Response> {
    let to = format!("/dashboard/c/{id}/settings");
    submit(
        &u,
        f.csrf.as_deref(),
        manager(&state, &u, &id),
        &to,
        |_| async {
            let target = f.target.as_deref().and_then(parse_number);
            let since = f
                .since
                .as_deref()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
            let (Some(target), Some(since)) = (target, since) else {
                return Err(Refusal::Values("error.quota"));
            };
            let _ = communes::put_quota(
                State(state.clone()),
                api_user(&u),
                ApiPath((id.clone(), f.village, f.measure)),
                ApiBody(QuotaPut { target, since }),
            )
            .await?;
            Ok(Done::Back("set.saved"))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ResponsibilityForm {
    csrf: Option<String>,
    key: String,
    people: String,
}

/// `POST /dashboard/c/{id}/settings/responsibility`.
pub async fn save_responsibility(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Form(f): Form<ResponsibilityForm>,
) -> PageResult<Response> {
    let to = format!("/dashboard/c/{id}/settings");
    submit(
        &u,
        f.csrf.as_deref(),
        manager(&state, &u, &id),
        &to,
        |config| async {
            let known = Catalog::builtin().criteria.iter().any(|c| c.id == f.key)
                || Catalog::builtin().indicator(&f.key).is_some();
            if !known || f.people.chars().count() > 500 {
                return Err(Refusal::Values("error.responsibility"));
            }
            let storage = state.storage.clone();
            blocking(move || {
                Ok(storage.put_responsibility(&config.commune.id, &f.key, &f.people)?)
            })
            .await?;
            Ok(Done::Back("set.saved"))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct VillageForm {
    csrf: Option<String>,
    village_id: String,
    name: String,
}

/// `POST /dashboard/c/{id}/settings/village`: renames a village or adds one.
pub async fn save_village(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Form(f): Form<VillageForm>,
) -> PageResult<Response> {
    let to = format!("/dashboard/c/{id}/settings");
    submit(
        &u,
        f.csrf.as_deref(),
        manager(&state, &u, &id),
        &to,
        |config| async {
            let name = f.name.trim().to_owned();
            let (Ok(village_id), true) = (
                Slug::parse(f.village_id.trim()),
                (1..=200).contains(&name.chars().count()),
            ) else {
                return Err(Refusal::Values("error.village_form"));
            };
            let storage = state.storage.clone();
            let village = Village {
                id: village_id,
                name,
            };
            blocking(move || Ok(storage.put_village(&config.commune.id, &village)?)).await?;
            Ok(Done::Back("set.saved"))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Devices and enrollment codes.

fn devices_body(
    lang: Lang,
    u: &DashUser,
    commune: &str,
    devices: &[crate::storage::Device],
    odk_forms_off: &std::collections::BTreeSet<String>,
) -> Markup {
    html! {
        section #enroll {
            h2 { (lang.t("dev.new_code")) }
            form.grid method="post" action=(format!("/dashboard/c/{commune}/enrollments")) {
                (csrf_field(u))
                label { (lang.t("dev.role")) select name="role" {
                    @for r in [Role::Enumerator, Role::Officer, Role::Viewer] {
                        option value=(serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) { (role_label(lang, r)) }
                    }
                } }
                label { (lang.t("dev.holder")) input name="holder" maxlength="200"; }
                label { (lang.t("dev.expires_in")) input name="hours" type="number" min="1" max="720" value="24" required; }
                label { (lang.t("dev.app")) select name="app" {
                    option value="ntm" { (lang.t("dev.app_ntm")) }
                    option value="odk" { (lang.t("dev.app_odk")) }
                } }
                button type="submit" { (lang.t("dev.create")) }
            }
        }
        section #odk-forms {
            h2 { (lang.t("odk.forms")) }
            p { (lang.t("odk.forms_help")) }
            form.grid method="post" action=(format!("/dashboard/c/{commune}/odk-forms")) {
                (csrf_field(u))
                @for f in &crate::odk::forms::FORMS {
                    label { input type="checkbox" name=(f.id) value="on" checked[!odk_forms_off.contains(f.id)]; " " (f.name) }
                }
                button type="submit" { (lang.t("set.save")) }
            }
        }
        section {
            h2 { (lang.t("nav.devices")) }
            @if devices.is_empty() { p { (lang.t("dev.none")) } } @else {
                table.records #devices {
                    thead { tr {
                        th { (lang.t("dev.name")) } th { (lang.t("dev.holder")) } th { (lang.t("dev.role")) } th { (lang.t("dev.platform")) }
                        th { (lang.t("dev.enrolled")) } th { (lang.t("dev.acked")) } th { (lang.t("dev.state")) } th { }
                    } }
                    tbody {
                        @for d in devices {
                            tr data-device=(d.device_id.to_string()) {
                                td { (d.name) } td { (d.holder.as_deref().unwrap_or("")) } td { (role_label(lang, d.role)) }
                                td { @if d.platform == crate::odk::settings::PLATFORM { (lang.t("dev.app_odk")) } @else { (d.platform) } } td { (i18n::datetime(d.enrolled_at)) } td { (d.high_water) }
                                td { @if let Some(t) = d.revoked_at { span.badge.notmet { (lang.t("dev.revoked")) } " " (i18n::datetime(t)) } @else { span.badge.met { (lang.t("dev.active")) } } }
                                td {
                                    @if d.revoked_at.is_none() && d.platform != "server" {
                                        // Asks first: the button opens what revoking does and the one
                                        // that does it.
                                        details.confirm {
                                            summary.danger { (lang.t("dev.revoke")) }
                                            p { (lang.t("dev.revoke_confirm")) }
                                            form.inline method="post" action=(format!("/dashboard/c/{commune}/devices/{}/revoke", d.device_id)) {
                                                (csrf_field(u))
                                                button.danger type="submit" { (lang.t("dev.revoke_do")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /dashboard/c/{id}/devices` (officers and administrators).
pub async fn devices_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> PageResult<Response> {
    let lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Manage).await?;
    let storage = state.storage.clone();
    let slug = config.commune.id.clone();
    let (devices, forms_off) =
        blocking(move || Ok((storage.list_devices(&slug)?, storage.odk_forms_off(&slug)?))).await?;
    let commune = config.commune.id.as_str();
    let body = devices_body(lang, &u, commune, &devices, &forms_off);
    let flash = match q.ok.as_deref() {
        Some("dev.revoked_done") => Some(Flash::Ok(lang.t("dev.revoked_done").to_owned())),
        _ => Flash::from_query(lang, q.ok.as_deref(), q.err.as_deref()),
    };
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("dev.title"), config.commune.name),
        nav: Nav::Devices,
        here: format!("/dashboard/c/{commune}/devices"),
    };
    Ok(html_page(page(shell, flash, body)))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /dashboard/c/{id}/devices/{device_id}/revoke`, through the API's handler.
pub async fn revoke_device(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path((id, device_id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> PageResult<Response> {
    let to = format!("/dashboard/c/{id}/devices");
    submit(
        &u,
        f.csrf.as_deref(),
        manager(&state, &u, &id),
        &to,
        |_| async {
            devices::revoke(State(state.clone()), api_user(&u), ApiPath(device_id)).await?;
            Ok(Done::Back("dev.revoked_done"))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct EnrollmentForm {
    csrf: Option<String>,
    role: String,
    hours: Option<String>,
    holder: Option<String>,
    /// `odk`: a phone with ODK Collect or KoboCollect, enrolled at once (Collect cannot type a
    /// code), its settings shown as a QR code; anything else: the app's enrollment code.
    app: Option<String>,
}

/// What the phone scans: the server's address and the code, as one URI.
pub fn enrollment_uri(server: &str, code: &str) -> String {
    format!(
        "ntmfield://enroll?server={}&code={}",
        urlencode(server),
        urlencode(code)
    )
}

/// The QR code of `data` as an SVG image.
pub fn qr_svg(data: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // Inline in HTML: the element alone, without the XML declaration.
    svg.find("<svg").map(|start| svg[start..].to_owned())
}

/// The server's address as the browser reached it (the phone enrolls against the same one).
pub(crate) fn server_base(parts: &Parts) -> String {
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let https = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// `POST /dashboard/c/{id}/enrollments`: creates a one-time code (the API's handler) and shows
/// it with its QR code, once.
pub async fn create_enrollment(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    parts: Parts,
    Form(f): Form<EnrollmentForm>,
) -> PageResult<Response> {
    let to = format!("/dashboard/c/{id}/devices");
    submit(&u, f.csrf.as_deref(), manager(&state, &u, &id), &to, |config| async {
        // Owned by the block: the page below borrows from it.
        let config = config;
        let role: Option<Role> =
            serde_json::from_value(serde_json::Value::String(f.role.clone())).ok();
        let hours = f
            .hours
            .as_deref()
            .and_then(|h| h.trim().parse::<u32>().ok());
        let (Some(role), Some(hours)) = (role, hours) else {
            return Err(Refusal::Values("error.hours"));
        };
        let holder = f
            .holder
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty());
        let req = EnrollmentRequest {
            role,
            expires_in_hours: hours,
            holder: holder.clone(),
        };
        let (_, Json(enrollment)) = communes::create_enrollment(
            State(state.clone()),
            api_user(&u),
            ApiPath(id.clone()),
            ApiBody(req),
        )
        .await?;
        let lang = u.lang;
        let shown = if f.app.as_deref() == Some("odk") {
            let storage = state.storage.clone();
            let code_hash = crate::auth::token_hash(&crate::auth::normalize_code(&enrollment.code));
            let name = format!("ODK Collect – {}", holder.as_deref().unwrap_or(lang.t("dev.app_odk")));
            let redeemed = blocking(move || Ok(crate::odk::settings::enroll(&*storage, &code_hash, &name)?)).await?;
            let Ok((_, token)) = redeemed else {
                return Err(Refusal::Values("error.invalid"));
            };
            let url = crate::odk::settings::server_url(&server_base(&parts), &token);
            let payload = crate::odk::settings::qr_payload(&crate::odk::settings::settings_json(
                &url,
                holder.as_deref(),
                &config.commune.name,
            ));
            let svg = qr_svg(&payload).unwrap_or_default();
            html! {
                section.enrollment #collect-settings {
                    h2 { (lang.t("odk.settings")) }
                    div.qr #collect-qr data-payload=(payload) { (PreEscaped(svg)) }
                    ol {
                        li { (lang.t("odk.step_install")) }
                        li { (lang.t("odk.step_scan")) }
                        li { (lang.t("odk.step_forms")) }
                    }
                    p { (lang.t("odk.url")) " " code #collect-url { (url) } }
                    p.flash.warn { (lang.t("odk.once")) }
                    p { (role_label(lang, enrollment.role)) @if let Some(h) = &holder { " — " (h) } }
                }
            }
        } else {
            let uri = enrollment_uri(&server_base(&parts), &enrollment.code);
            let svg = qr_svg(&uri).unwrap_or_default();
            html! {
                section.enrollment #enrollment {
                    h2 { (lang.t("dev.code")) }
                    p.code #enrollment-code { (enrollment.code) }
                    div.qr #enrollment-qr data-uri=(uri) { (PreEscaped(svg)) }
                    p { (lang.t("dev.code_help")) " " strong { (i18n::datetime(enrollment.expires_at)) } "." }
                    p { (role_label(lang, enrollment.role)) @if let Some(h) = &holder { " — " (h) } }
                }
            }
        };
        let storage = state.storage.clone();
        let slug = config.commune.id.clone();
        let (devices, forms_off) = blocking(move || {
            Ok((storage.list_devices(&slug)?, storage.odk_forms_off(&slug)?))
        })
        .await?;
        let commune = config.commune.id.as_str();
        let body = html! {
            (shown)
            (devices_body(lang, &u, commune, &devices, &forms_off))
        };
        let shell = Shell {
            user: &u,
            commune: Some(&config.commune),
            title: format!("{} – {}", lang.t("dev.title"), config.commune.name),
            nav: Nav::Devices,
            here: format!("/dashboard/c/{commune}/devices"),
        };
        Ok(Done::Page(html_page(page(shell, None, body))))
    })
    .await
}

/// `POST /dashboard/c/{id}/odk-forms`: which OpenRosa forms the commune's Collect phones get
/// (a checked box per form on); a form turned off leaves their form list at the next update.
pub async fn save_odk_forms(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> PageResult<Response> {
    let to = format!("/dashboard/c/{id}/devices");
    let csrf = f.get("csrf").cloned();
    let on: Vec<&'static str> = crate::odk::forms::FORMS
        .iter()
        .map(|form| form.id)
        .filter(|form| f.contains_key(*form))
        .collect();
    let storage = state.storage.clone();
    submit(
        &u,
        csrf.as_deref(),
        manager(&state, &u, &id),
        &to,
        |config| async move {
            let commune = config.commune.id.clone();
            blocking(move || {
                for form in &crate::odk::forms::FORMS {
                    storage.set_odk_form(&commune, form.id, on.contains(&form.id))?;
                }
                Ok(())
            })
            .await?;
            Ok(Done::Back("set.saved"))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Household import.

/// One CSV line that did not pass: its problems, each a catalog key (said in the user's
/// language) and the value or technical detail at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    pub line: u64,
    pub problems: Vec<(&'static str, String)>,
}

impl LineError {
    fn one(line: u64, key: &'static str, detail: impl Into<String>) -> Self {
        LineError {
            line,
            problems: vec![(key, detail.into())],
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOutcome {
    pub errors: Vec<LineError>,
    pub imported: usize,
    pub skipped: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct HouseholdCsvRow {
    code: String,
    village_id: String,
    head_name: String,
    members: String,
    #[serde(default)]
    address: String,
}

/// Reads and checks every line of a household CSV with the core's validation; returns the
/// versions to store (households whose code is not yet registered) or the errors by line.
pub fn parse_households(
    config: &ntm_field::config::CommuneConfig,
    existing_codes: &HashSet<String>,
    text: &str,
) -> Result<(Vec<ntm_field::record::Version>, Vec<String>), Vec<LineError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let header_ok = reader
        .headers()
        .map(|h| {
            ["code", "village_id", "head_name", "members"]
                .iter()
                .all(|c| h.iter().any(|x| x.trim_start_matches('\u{feff}') == *c))
        })
        .unwrap_or(false);
    if !header_ok {
        return Err(vec![LineError::one(1, "hh.err_header", "")]);
    }
    let catalog = Catalog::builtin();
    let mut seen = HashSet::new();
    let mut versions = Vec::new();
    let mut skipped = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position().map(|p| p.line()))
            .unwrap_or(i as u64 + 2);
        let row: HouseholdCsvRow = match record.and_then(|r| r.deserialize(None)) {
            Ok(r) => r,
            Err(e) => {
                errors.push(LineError::one(line, "hh.err_csv", e.to_string()));
                continue;
            }
        };
        let mut problems = Vec::new();
        let code = row.code.trim().to_owned();
        if !seen.insert(code.clone()) {
            problems.push(("hh.err_twice", code.clone()));
        }
        let village = match Slug::parse(row.village_id.trim()) {
            Ok(v) if config.commune.village(&v).is_some() => Some(v),
            _ => {
                problems.push(("hh.err_village", format!("{:?}", row.village_id)));
                None
            }
        };
        let members = match row.members.trim().parse::<u32>() {
            Ok(m) => Some(m),
            Err(_) => {
                problems.push(("hh.err_members", format!("{:?}", row.members)));
                None
            }
        };
        if let (Some(village), Some(members)) = (village, members) {
            let body = RecordBody::Household(Household {
                code: code.clone(),
                head_name: row.head_name.trim().to_owned(),
                members,
                address: row.address.trim().to_owned(),
            });
            let (entity_id, version_id) = write::registration_ids(config, &code);
            let mut v = write::new_version(config, entity_id, Vec::new(), body);
            v.version_id = version_id;
            v.village_id = Some(village);
            // The device fields are set when stored; give them valid placeholders to validate now.
            v.device_id = uuid::Uuid::now_v7();
            v.device_seq = 1;
            match v
                .validate()
                .and_then(|_| v.validate_in(&config.commune, catalog))
            {
                Ok(()) if existing_codes.contains(&code) => skipped.push(code),
                Ok(()) => versions.push(v),
                Err(e) => problems.push(("hh.err_invalid", e.to_string())),
            }
        }
        if !problems.is_empty() {
            errors.push(LineError { line, problems });
        }
    }
    if errors.is_empty() {
        Ok((versions, skipped))
    } else {
        Err(errors)
    }
}

fn households_body(
    lang: Lang,
    u: &DashUser,
    commune: &str,
    registered: usize,
    outcome: Option<&ImportOutcome>,
) -> Markup {
    html! {
        p { (lang.t("hh.registered")) ": " strong #registered { (lang.int(registered as u64)) } }
        @if let Some(o) = outcome {
            @if o.errors.is_empty() {
                p.flash.ok role="status" #import-result {
                    (lang.t("hh.imported")) ": " strong { (o.imported) } " " (lang.t("sc.households"))
                    @if !o.skipped.is_empty() { "; " (o.skipped.len()) " " (lang.t("hh.skipped")) }
                }
            } @else {
                div.flash.err role="alert" #import-errors {
                    p { (lang.t("hh.errors")) }
                    table.records {
                        thead { tr { th { (lang.t("hh.line")) } th { } } }
                        tbody { @for e in &o.errors { tr { td { (e.line) } td {
                            @for (key, detail) in &e.problems {
                                (lang.t(key)) @if !detail.is_empty() { ": " code { (detail) } } br;
                            }
                        } } } }
                    }
                }
            }
        }
        p.hint { (lang.t("hh.help")) }
        form method="post" enctype="multipart/form-data" action=(format!("/dashboard/c/{commune}/households")) {
            (csrf_field(u))
            label { (lang.t("hh.file")) " " input type="file" name="file" accept=".csv,text/csv" required; }
            button type="submit" { (lang.t("hh.import")) }
        }
        p { a href=(format!("/dashboard/c/{commune}/import-waiting")) { (lang.t("iw.link")) } }
    }
}

fn registered_codes(versions: &[ntm_field::record::Version]) -> HashSet<String> {
    ntm_field::heads::entity_heads(versions.iter().filter(|v| v.kind() == Kind::Household))
        .values()
        .filter(|h| h.is_live())
        .filter_map(|h| match &h.head.body {
            RecordBody::Household(b) => Some(b.code.clone()),
            _ => None,
        })
        .collect()
}

async fn households_render(
    state: &Arc<AppState>,
    u: &DashUser,
    config: &ntm_field::config::CommuneConfig,
    outcome: Option<ImportOutcome>,
) -> PageResult<Response> {
    let lang = u.lang;
    let storage = state.storage.clone();
    let slug = config.commune.id.clone();
    let registered =
        blocking(move || Ok(registered_codes(&current_heads(&*storage, &slug)?).len())).await?;
    let commune = config.commune.id.as_str();
    let shell = Shell {
        user: u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("hh.title"), config.commune.name),
        nav: Nav::Households,
        here: format!("/dashboard/c/{commune}/households"),
    };
    let failed = outcome.as_ref().is_some_and(|o| !o.errors.is_empty());
    let mut r = html_page(page(
        shell,
        None,
        households_body(lang, u, commune, registered, outcome.as_ref()),
    ));
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /dashboard/c/{id}/households`.
pub async fn households_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let config = commune_for(&state, &u, &id, Access::Manage).await?;
    households_render(&state, &u, &config, None).await
}

/// `POST /dashboard/c/{id}/households` (multipart: `csrf`, `file`): all lines or none.
pub async fn import_households(
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
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        let outcome = ImportOutcome {
            errors: vec![LineError::one(1, "hh.err_utf8", "")],
            ..Default::default()
        };
        return households_render(&state, &u, &config, Some(outcome)).await;
    };
    let storage = state.storage.clone();
    let user = u.user.clone();
    let cfg = config.clone();
    let outcome = blocking(move || {
        let existing = registered_codes(&current_heads(&*storage, &cfg.commune.id)?);
        Ok(match parse_households(&cfg, &existing, &text) {
            Err(errors) => ImportOutcome {
                errors,
                ..Default::default()
            },
            Ok((versions, mut skipped)) => {
                let codes: HashMap<String, String> = versions
                    .iter()
                    .filter_map(|v| match &v.body {
                        RecordBody::Household(h) => {
                            Some((v.version_id.to_string(), h.code.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                let results = write::store(&*storage, &user, &cfg, versions)?;
                // A line another import registered meanwhile (same ids, so not stored again)
                // is skipped like any code already registered.
                let now_registered = if results.iter().any(|r| r.status != PushStatus::Stored) {
                    registered_codes(&current_heads(&*storage, &cfg.commune.id)?)
                } else {
                    HashSet::new()
                };
                let mut errors = Vec::new();
                let mut imported = 0;
                for r in &results {
                    let code = codes.get(&r.version_id);
                    match r.status {
                        PushStatus::Stored => imported += 1,
                        _ if code.is_some_and(|c| now_registered.contains(c)) => {
                            skipped.extend(code.cloned())
                        }
                        _ => errors.push(LineError::one(
                            0,
                            "hh.err_rejected",
                            r.reason.clone().unwrap_or_default(),
                        )),
                    }
                }
                ImportOutcome {
                    imported,
                    skipped,
                    errors,
                }
            }
        })
    })
    .await?;
    households_render(&state, &u, &config, Some(outcome)).await
}

// ---------------------------------------------------------------------------------------------
// Accounts and communes (administrators).

/// `GET /dashboard/admin/users`.
pub async fn users_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Query(q): Query<FlashQuery>,
) -> PageResult<Response> {
    administrator(&u).await?;
    let lang = u.lang;
    let storage = state.storage.clone();
    let (users, communes) =
        blocking(move || Ok((storage.list_users()?, storage.list_communes()?))).await?;
    let provinces: BTreeSet<&str> = communes.iter().map(|c| c.province.as_str()).collect();
    let body = html! {
        table.records #users {
            thead { tr { th { (lang.t("usr.username")) } th { (lang.t("usr.role")) } th { (lang.t("usr.scope")) } } }
            tbody {
                @for x in &users {
                    tr {
                        td { (x.username) } td { (role_label(lang, x.role)) }
                        td { @match (&x.commune_id, &x.province, &x.district) {
                            (Some(c), _, _) => { (lang.t("usr.commune")) " " (c.as_str()) },
                            (None, Some(p), Some(d)) => { (lang.t("usr.former_district")) " " (d) ", " (lang.t("usr.province")) " " (p) },
                            (None, Some(p), None) => { (lang.t("usr.province")) " " (p) },
                            _ => (lang.t("usr.all")),
                        } }
                    }
                }
            }
        }
        h2 { (lang.t("usr.create")) }
        p.hint { (lang.t("usr.scope_help")) }
        form.grid method="post" action="/dashboard/admin/users" {
            (csrf_field(&u))
            label { (lang.t("usr.username")) input name="username" required maxlength="64" autocomplete="off"; }
            label { (lang.t("usr.password")) input name="password" type="password" required minlength="8" autocomplete="new-password"; }
            label { (lang.t("usr.role")) select name="role" { @for r in [Role::Officer, Role::Viewer, Role::Admin] {
                option value=(serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) { (role_label(lang, r)) } } } }
            label { (lang.t("usr.commune")) select name="commune_id" { option value="" { "—" } @for c in &communes { option value=(c.id.as_str()) { (c.name) " (" (c.id.as_str()) ")" } } } }
            label { (lang.t("usr.province")) select name="province" { option value="" { "—" } @for p in &provinces { option value=(p) { (p) } } } }
            button type="submit" { (lang.t("usr.create")) }
        }
    };
    let shell = Shell {
        user: &u,
        commune: None,
        title: lang.t("usr.title").to_owned(),
        nav: Nav::Users,
        here: "/dashboard/admin/users".into(),
    };
    let flash = match q.ok.as_deref() {
        Some(k) if k == "usr.created" => Some(Flash::Ok(lang.t(k).to_owned())),
        _ => Flash::from_query(lang, None, q.err.as_deref()),
    };
    Ok(html_page(page(shell, flash, body)))
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    csrf: Option<String>,
    username: String,
    password: String,
    role: String,
    commune_id: Option<String>,
    province: Option<String>,
}

/// `POST /dashboard/admin/users`, through the API's handler.
pub async fn create_user(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Form(f): Form<UserForm>,
) -> PageResult<Response> {
    let to = "/dashboard/admin/users";
    submit(&u, f.csrf.as_deref(), administrator(&u), to, |()| async {
        let role: Role = serde_json::from_value(serde_json::Value::String(f.role.clone()))
            .map_err(|_| Refusal::Values("error.role"))?;
        let chosen = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let commune_id = chosen(f.commune_id)
            .map(|c| Slug::parse(&c))
            .transpose()
            .map_err(|_| Refusal::Values("error.scope"))?;
        let req = CreateUserRequest {
            username: f.username,
            password: f.password,
            role,
            commune_id,
            province: chosen(f.province),
            district: None,
        };
        let _ = accounts::create_user(State(state.clone()), api_user(&u), ApiBody(req)).await?;
        Ok(Done::Back("usr.created"))
    })
    .await
}

/// `GET /dashboard/admin/communes`.
pub async fn communes_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Query(q): Query<FlashQuery>,
) -> PageResult<Response> {
    administrator(&u).await?;
    let lang = u.lang;
    let storage = state.storage.clone();
    let communes = blocking(move || Ok(storage.list_communes()?)).await?;
    let body = html! {
        table.records #communes {
            thead { tr { th { (lang.t("com.id")) } th { (lang.t("com.name")) } th { (lang.t("com.district")) } th { (lang.t("com.province")) } th { (lang.t("com.region")) } th { (lang.t("com.village_count")) } } }
            tbody {
                @for c in &communes {
                    tr {
                        td { a href=(format!("/dashboard/c/{}", c.id.as_str())) { code { (c.id.as_str()) } } }
                        td { (c.name) } td { (c.district.as_deref().unwrap_or("")) } td { (c.province) } td { (c.region.code()) } td { (c.villages.len()) }
                    }
                }
            }
        }
        h2 { (lang.t("com.create")) }
        form.grid method="post" action="/dashboard/admin/communes" {
            (csrf_field(&u))
            label { (lang.t("com.id")) input name="id" required pattern="[a-z0-9-]{1,64}" placeholder="thien-ke"; }
            label { (lang.t("com.name")) input name="name" required maxlength="200"; }
            label { (lang.t("com.district")) input name="district" maxlength="200"; }
            label { (lang.t("com.province")) input name="province" required maxlength="200"; }
            label { (lang.t("com.region")) select name="region" { @for r in Region::ALL { option value=(r.code()) { (r.code()) } } } }
            label.wide { (lang.t("com.villages")) textarea name="villages" rows="6" required placeholder="thien-ke-01, Thôn 1" {} }
            button type="submit" { (lang.t("com.create")) }
        }
    };
    let shell = Shell {
        user: &u,
        commune: None,
        title: lang.t("com.title").to_owned(),
        nav: Nav::Communes,
        here: "/dashboard/admin/communes".into(),
    };
    let flash = match q.ok.as_deref() {
        Some(k) if k == "com.created" => Some(Flash::Ok(lang.t(k).to_owned())),
        _ => Flash::from_query(lang, None, q.err.as_deref()),
    };
    Ok(html_page(page(shell, flash, body)))
}

#[derive(Debug, Deserialize)]
pub struct CommuneForm {
    csrf: Option<String>,
    id: String,
    name: String,
    district: Option<String>,
    province: String,
    region: String,
    villages: String,
}

/// `POST /dashboard/admin/communes`, through the API's handler.
pub async fn create_commune(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Form(f): Form<CommuneForm>,
) -> PageResult<Response> {
    let to = "/dashboard/admin/communes";
    submit(&u, f.csrf.as_deref(), administrator(&u), to, |()| async {
        let mut villages = Vec::new();
        for line in f.villages.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (vid, name) = line.split_once(',').unwrap_or((line, line));
            let id = Slug::parse(vid.trim()).map_err(|_| Refusal::Values("error.villages"))?;
            villages.push(Village {
                id,
                name: name.trim().to_owned(),
            });
        }
        let (Ok(id), Ok(region)) = (Slug::parse(f.id.trim()), f.region.parse::<Region>()) else {
            return Err(Refusal::Values("error.commune_id"));
        };
        let commune = Commune {
            id,
            name: f.name.trim().to_owned(),
            province: f.province.trim().to_owned(),
            district: f
                .district
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty()),
            region,
            villages,
            code: None,
            valid_from: None,
            valid_until: None,
        };
        let _ =
            communes::create_commune(State(state.clone()), api_user(&u), ApiBody(commune)).await?;
        Ok(Done::Back("com.created"))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Reports.

/// `GET /dashboard/c/{id}/reports`: the period report and the exports.
pub async fn reports_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let commune = config.commune.id.as_str();
    let today = local_today();
    let quarter = format!(
        "{}-Q{}",
        chrono::Datelike::year(&today),
        chrono::Datelike::month0(&today) / 3 + 1
    );
    let api = format!("/api/v1/communes/{commune}/export");
    let body = html! {
        section #xlsx {
            h2 { (lang.t("rep.xlsx")) }
            p.hint { (lang.t("rep.xlsx_help")) }
            form.grid method="get" action=(format!("{api}/xlsx")) {
                label { (lang.t("rep.period")) " (" (lang.t("rep.period_help")) ")"
                    input name="period" value=(quarter) required pattern="[0-9]{4}-(Q[1-4]|[0-9]{2})"; }
                button #download-xlsx type="submit" { (lang.t("rep.download")) }
            }
        }
        section #csv {
            h2 { (lang.t("rep.csv")) }
            ul {
                @for k in crate::reports::tables::CSV_KINDS {
                    li { a href=(format!("{api}/csv?kind={k}")) download {
                        @match k {
                            "indicators" => (lang.t("rep.indicators")),
                            "villages" => (lang.t("nav.villages")),
                            _ => (lang.t(&format!("kind.{k}"))),
                        }
                        " (CSV)"
                    } }
                }
            }
        }
        section #geojson {
            h2 { (lang.t("rep.geojson")) }
            p { a href=(format!("{api}/geojson")) download { (config.commune.name) ".geojson" } }
        }
    };
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("rep.title"), config.commune.name),
        nav: Nav::Reports,
        here: format!("/dashboard/c/{commune}/reports"),
    };
    Ok(html_page(page(shell, None, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn household_csv_errors_are_reported_by_line_and_nothing_passes_with_them() {
        let demo = ntm_field::demo::thien_ke().unwrap();
        let existing: HashSet<String> = ["TK01-001".to_owned()].into();
        let good = "code,village_id,head_name,members,address\nTK01-001,thien-ke-01,A,3,x\nTK99-001,thien-ke-02,Bùi Văn B,4,Thôn 2\n";
        let (versions, skipped) = parse_households(&demo.config, &existing, good).unwrap();
        assert_eq!((versions.len(), skipped), (1, vec!["TK01-001".to_owned()]));
        let bad = "code,village_id,head_name,members,address\nTK99-001,nowhere,A,3,x\nTK99-002,thien-ke-01,B,many,x\nTK99-002,thien-ke-01,C,2,x\n";
        let errors = parse_households(&demo.config, &existing, bad).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![2, 3, 4],
            "{errors:?}"
        );
        assert_eq!(
            errors[0].problems,
            vec![("hh.err_village", "\"nowhere\"".to_owned())]
        );
        assert_eq!(
            errors[1].problems,
            vec![("hh.err_members", "\"many\"".to_owned())]
        );
        assert_eq!(
            errors[2].problems,
            vec![("hh.err_twice", "TK99-002".to_owned())]
        );
        let no_header = "TK99-001,thien-ke-01,A,3,x\n";
        assert_eq!(
            parse_households(&demo.config, &existing, no_header).unwrap_err()[0].line,
            1
        );
    }

    #[test]
    fn the_enrollment_qr_code_is_an_svg_of_the_server_and_code() {
        let uri = enrollment_uri("http://127.0.0.1:8080", "ABCD-EFGH-JKLM");
        assert_eq!(
            uri,
            "ntmfield://enroll?server=http%3A//127.0.0.1%3A8080&code=ABCD-EFGH-JKLM"
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<path") || svg.contains("<rect"));
    }
}
