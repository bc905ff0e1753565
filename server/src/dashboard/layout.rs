//! The page shell: header with the commune's navigation, language switch and logout, and the
//! helpers every page uses (verdict badges, progress bars, flash messages, forms with CSRF).

use maud::{html, Markup, PreEscaped, DOCTYPE};
use ntm_field::admin::Commune;
use ntm_field::protocol::Role;

use super::i18n::Lang;
use super::session::{urlencode, DashUser};
use crate::auth::Scope;

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Scorecard,
    Villages,
    Map,
    Records,
    Conflicts,
    Reports,
    Settings,
    Devices,
    Households,
    Overview,
    Users,
    Communes,
    None,
}

/// What a page needs to draw its shell.
pub struct Shell<'a> {
    pub user: &'a DashUser,
    pub commune: Option<&'a Commune>,
    pub title: String,
    pub nav: Nav,
    /// The current path and query, for the language switch to come back to.
    pub here: String,
}

/// Whether the user may change a commune's settings (officers and admins).
pub fn can_manage(u: &DashUser) -> bool {
    matches!(u.principal.role, Role::Admin | Role::Officer)
}

/// Whether the user sees more than one commune (province officials and admins).
pub fn above_commune(u: &DashUser) -> bool {
    !matches!(u.principal.scope, Scope::Commune(_))
}

pub fn role_label(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Admin => lang.t("role.admin"),
        Role::Officer => lang.t("role.officer"),
        Role::Viewer => lang.t("role.viewer"),
        Role::Enumerator => lang.t("role.enumerator"),
    }
}

/// A hidden CSRF field for a form.
pub fn csrf_field(u: &DashUser) -> Markup {
    html! { input type="hidden" name="csrf" value=(u.csrf); }
}

/// The whole page.
pub fn page(shell: Shell<'_>, flash: Option<Flash>, body: Markup) -> Markup {
    let u = shell.user;
    let lang = u.lang;
    let other = match lang {
        Lang::Vi => "en",
        Lang::En => "vi",
    };
    let link = |nav: Nav, href: String, key: &str| {
        html! { a href=(href) aria-current=[(shell.nav == nav).then_some("page")] { (lang.t(key)) } }
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (shell.title) " – " (lang.t("app.title")) }
                link rel="stylesheet" href="/dashboard/assets/dashboard.css";
            }
            body {
                header.top {
                    div.brand {
                        a href="/dashboard" { (lang.t("app.short")) }
                        @if let Some(c) = shell.commune {
                            span.commune { " · " (c.name) @if let Some(d) = &c.district { ", " (d) } ", " (c.province) }
                        }
                    }
                    div.account {
                        span { (lang.t("nav.signed_in_as")) " " strong { (u.user.username) } " (" (role_label(lang, u.principal.role)) ")" }
                        a.lang href=(format!("/dashboard/lang/{other}?back={}", urlencode(&shell.here))) { (lang.t("nav.language")) }
                        form.inline method="post" action="/dashboard/logout" {
                            (csrf_field(u))
                            button type="submit" { (lang.t("nav.logout")) }
                        }
                    }
                }
                nav.main {
                    @if above_commune(u) {
                        (link(Nav::Overview, "/dashboard/overview".into(), "nav.overview"))
                    }
                    @if let Some(c) = shell.commune {
                        @let base = format!("/dashboard/c/{}", c.id.as_str());
                        (link(Nav::Scorecard, base.clone(), "nav.scorecard"))
                        (link(Nav::Villages, format!("{base}/villages"), "nav.villages"))
                        (link(Nav::Map, format!("{base}/map"), "nav.map"))
                        (link(Nav::Records, format!("{base}/records"), "nav.records"))
                        (link(Nav::Conflicts, format!("{base}/conflicts"), "nav.conflicts"))
                        (link(Nav::Reports, format!("{base}/reports"), "nav.reports"))
                        (link(Nav::Settings, format!("{base}/settings"), "nav.settings"))
                        @if can_manage(u) {
                            (link(Nav::Devices, format!("{base}/devices"), "nav.devices"))
                            (link(Nav::Households, format!("{base}/households"), "nav.households"))
                        }
                    }
                    @if u.principal.is_admin() {
                        (link(Nav::Communes, "/dashboard/admin/communes".into(), "nav.communes"))
                        (link(Nav::Users, "/dashboard/admin/users".into(), "nav.users"))
                    }
                }
                main {
                    h1 { (shell.title) }
                    @if let Some(f) = flash {
                        @match f {
                            Flash::Ok(m) => p.flash.ok role="status" { (m) },
                            Flash::Err(m) => p.flash.err role="alert" { (m) },
                        }
                    }
                    (body)
                }
            }
        }
    }
}

/// A message shown once after a form was sent.
pub enum Flash {
    Ok(String),
    Err(String),
}

impl Flash {
    /// From the `?ok=<message key>` or `?err=<message key>` a redirect after a form carries.
    /// Both are keys of the catalog, so the message is in the user's language and a link cannot
    /// put words of its own on the page; an unknown error key reads as the general one.
    pub fn from_query(lang: Lang, ok: Option<&str>, err: Option<&str>) -> Option<Flash> {
        if let Some(e) = err.filter(|e| !e.is_empty()) {
            let key = if e.starts_with("error.") && Lang::knows(e) {
                e
            } else {
                "error.invalid"
            };
            return Some(Flash::Err(lang.t(key).to_owned()));
        }
        let key = ok?;
        // Only catalog keys that are confirmation messages, so a link cannot put words on the page.
        const KEYS: [&str; 7] = [
            "set.saved",
            "dev.revoked_done",
            "cf.resolved",
            "usr.created",
            "com.created",
            "cf.stale",
            "login.logged_out",
        ];
        KEYS.contains(&key).then(|| {
            if key == "cf.stale" {
                Flash::Err(lang.t(key).to_owned())
            } else {
                Flash::Ok(lang.t(key).to_owned())
            }
        })
    }
}

/// A verdict badge: Đạt / Chưa đạt / Chưa đánh giá.
pub fn verdict(lang: Lang, met: Option<bool>) -> Markup {
    match met {
        Some(true) => html! { span.badge.met { "✔ " (lang.t("sc.met")) } },
        Some(false) => html! { span.badge.notmet { "✘ " (lang.t("sc.not_met")) } },
        None => html! { span.badge.unknown { "? " (lang.t("sc.unknown")) } },
    }
}

/// A progress bar with its figures written beside it (readable without colour).
pub fn progress(lang: Lang, done: f64, target: Option<f64>, decimals: usize) -> Markup {
    match target {
        Some(t) if t > 0.0 => {
            let share = (done / t * 100.0).clamp(0.0, 100.0);
            html! {
                div.progress role="progressbar" aria-valuemin="0" aria-valuemax=(t) aria-valuenow=(done) {
                    div.bar.done[share >= 100.0] style=(PreEscaped(format!("width:{share:.1}%"))) {}
                }
                span.figures { (lang.num(done, decimals)) " / " (lang.num(t, decimals)) " (" (lang.pct(done / t * 100.0)) ")" }
            }
        }
        _ => html! { span.figures { (lang.num(done, decimals)) } },
    }
}
