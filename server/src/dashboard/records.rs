//! Records: the list, one record's evidence (photos with their EXIF time and position checked
//! against the record's) and version history, the conflicts, and their resolution: an officer
//! picks the right version and the dashboard writes a merge version whose parents are all the
//! heads, through the same storage path as a phone's push.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use maud::{html, Markup};
use ntm_field::geo::geodesic_distance_m;
use ntm_field::heads::{entity_heads, EntityHeads};
use ntm_field::ids::{PhotoId, Slug};
use ntm_field::protocol::PushStatus;
use ntm_field::record::{Body as RecordBody, Kind, Version, VersionFlag};
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::{self, Lang};
use super::layout::{can_manage, csrf_field, page, Flash, Nav, Shell};
use super::session::DashUser;
use super::{commune_for, html_page, write, PageError, PageResult};
use crate::auth::Access;
use crate::reports::rows::{condition_str, status_str, surface_str, toilet_str};
use crate::storage::{RecordFilter, Storage, StoreResult, ENTITY_PAGE};
use crate::{blocking, AppState};

/// Beyond this distance (plus the record's GPS accuracy) a photo is flagged as taken elsewhere.
pub const FAR_M: f64 = 100.0;
/// Beyond this time from the record (or its track) a photo is flagged.
pub const FAR_S: i64 = 2 * 3600;

fn kind_label(lang: Lang, k: Kind) -> &'static str {
    lang.t(&format!("kind.{}", k.as_str()))
}

/// One line that says what a version is about.
pub fn summary(lang: Lang, v: &Version, households: &HashMap<Uuid, String>) -> String {
    match &v.body {
        RecordBody::Household(h) => format!(
            "{} – {} ({} {})",
            h.code,
            h.head_name,
            h.members,
            lang.t("unit.people")
        ),
        RecordBody::HouseholdCheck(c) => {
            let who = households
                .get(&c.household_id)
                .cloned()
                .unwrap_or_else(|| c.household_id.to_string());
            let mut s = format!(
                "{who}: {}",
                if c.meets_sanitation() {
                    lang.t("check.sanitation_ok")
                } else {
                    lang.t("check.sanitation_fail")
                }
            );
            match c.livestock_pen_verdict() {
                Some(true) => s.push_str(&format!(", {}", lang.t("check.pen_ok"))),
                Some(false) => s.push_str(&format!(", {}", lang.t("check.pen_fail"))),
                None => {}
            }
            s.push_str(&format!(
                ", {}/{} {}",
                c.health_insurance.insured,
                c.health_insurance.members,
                lang.t("check.insured")
            ));
            s
        }
        RecordBody::RoadSegment(r) => format!(
            "{} — {}, {}, {}",
            r.name,
            lang.t(&format!("road.{}", r.road_class.as_str())),
            lang.t(&format!("surface.{}", surface_str(r.surface))),
            lang.t(&format!("status.{}", status_str(r.status)))
        ),
        RecordBody::TrashSign(s) => {
            let who = s
                .responsible_household_id
                .and_then(|h| households.get(&h).cloned())
                .unwrap_or_default();
            format!(
                "{} — {}{}{}",
                lang.t("map.sign"),
                lang.t(&format!("condition.{}", condition_str(s.condition))),
                if who.is_empty() { "" } else { ", " },
                who
            )
        }
        RecordBody::Assessment(a) => {
            let figure = match (a.numerator, a.denominator, a.value, a.met) {
                (Some(n), Some(d), _, _) => format!("{} / {}", lang.num(n, 3), lang.num(d, 3)),
                (_, _, Some(v), _) => lang.num(v, 2),
                (_, _, _, Some(true)) => lang.t("sc.met").to_owned(),
                (_, _, _, Some(false)) => lang.t("sc.not_met").to_owned(),
                _ => String::new(),
            };
            format!(
                "{} ({}): {} — {}",
                a.indicator_id,
                i18n::date(a.as_of),
                figure,
                a.source
            )
        }
    }
}

/// Household entity id -> `code – head`, for naming the household of checks and signs.
fn household_names(versions: &[Version]) -> HashMap<Uuid, String> {
    entity_heads(versions.iter().filter(|v| v.kind() == Kind::Household))
        .into_iter()
        .filter_map(|(id, h)| match &h.head.body {
            RecordBody::Household(b) => Some((id, format!("{} – {}", b.code, b.head_name))),
            _ => None,
        })
        .collect()
}

/// [`household_names`] of every household of the commune, read a page of entities at a time.
fn stored_household_names(
    storage: &dyn Storage,
    commune: &Slug,
) -> StoreResult<HashMap<Uuid, String>> {
    let mut names = HashMap::new();
    storage.for_each_entity(commune, ENTITY_PAGE, &mut |page| {
        names.extend(household_names(page));
        Ok(())
    })?;
    Ok(names)
}

fn flag_label(lang: Lang, f: VersionFlag) -> &'static str {
    match f {
        VersionFlag::ClockAhead => lang.t("flag.clock_ahead"),
        VersionFlag::ClockFarBehind => lang.t("flag.clock_far_behind"),
        VersionFlag::ClockWentBack => lang.t("flag.clock_went_back"),
    }
}

#[derive(Debug, Deserialize)]
pub struct RecordsQuery {
    kind: Option<String>,
    village: Option<String>,
    #[serde(default)]
    cursor: u64,
}

/// `GET /dashboard/c/{id}/records?kind=&village=&cursor=`: stored versions, newest arrivals last.
pub async fn records_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Query(q): Query<RecordsQuery>,
) -> PageResult<Response> {
    let lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(|k| Kind::ALL.into_iter().find(|x| x.as_str() == k));
    let village = q
        .village
        .as_deref()
        .filter(|v| !v.is_empty())
        .and_then(|v| ntm_field::ids::Slug::parse(v).ok());
    let filter = RecordFilter {
        kind,
        village_id: village.clone(),
        since: None,
        until: None,
        // Past any server sequence number: an empty page, not a negative one.
        cursor: q.cursor.min(i64::MAX as u64),
        limit: 200,
    };
    let storage = state.storage.clone();
    let slug = config.commune.id.clone();
    let (records, next, households) = blocking(move || {
        let (records, next) = storage.list_records(&slug, &filter)?;
        Ok((records, next, stored_household_names(&*storage, &slug)?))
    })
    .await?;
    let commune = config.commune.id.as_str();
    let village_name = |v: &Option<ntm_field::ids::Slug>| {
        v.as_ref()
            .and_then(|s| config.commune.village(s))
            .map(|v| v.name.clone())
            .unwrap_or_default()
    };
    let body = html! {
        form.filters method="get" {
            label { (lang.t("rec.kind")) " "
                select name="kind" {
                    option value="" { (lang.t("rec.all_kinds")) }
                    @for k in Kind::ALL { option value=(k.as_str()) selected[kind == Some(k)] { (kind_label(lang, k)) } }
                }
            }
            label { (lang.t("rec.village")) " "
                select name="village" {
                    option value="" { (lang.t("rec.all_kinds")) }
                    @for v in &config.commune.villages { option value=(v.id.as_str()) selected[village.as_ref() == Some(&v.id)] { (v.name) } }
                }
            }
            button type="submit" { (lang.t("rec.filter")) }
        }
        @if records.is_empty() { p { (lang.t("rec.none")) } } @else {
            table.records {
                thead { tr {
                    th { (lang.t("rec.kind")) } th { (lang.t("rec.summary")) } th { (lang.t("rec.village")) }
                    th { (lang.t("rec.observed_on")) } th { (lang.t("rec.captured_at")) } th { (lang.t("rec.author")) } th { (lang.t("rec.photos")) } th { }
                } }
                tbody {
                    @for v in &records {
                        tr data-kind=(v.kind().as_str()) {
                            td { (kind_label(lang, v.kind())) @if v.deleted { " (" (lang.t("rec.deleted")) ")" } }
                            td { (summary(lang, v, &households)) }
                            td { (village_name(&v.village_id)) }
                            td { (i18n::date(v.observed_date())) }
                            td { (i18n::datetime_fixed(&v.captured_at)) }
                            td { (v.author.as_deref().unwrap_or("")) }
                            td { (v.photos.len()) }
                            td { a href=(format!("/dashboard/c/{commune}/records/{}", v.entity_id)) { (lang.t("rec.open")) } }
                        }
                    }
                }
            }
            @if let Some(n) = next {
                p { a href=(format!("/dashboard/c/{commune}/records?kind={}&village={}&cursor={n}",
                    kind.map_or("", |k| k.as_str()), village.as_ref().map_or("", |v| v.as_str()))) { (lang.t("rec.more")) " →" } }
            }
        }
    };
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("rec.title"), config.commune.name),
        nav: Nav::Records,
        here: format!("/dashboard/c/{commune}/records"),
    };
    Ok(html_page(page(shell, None, body)))
}

/// What a photo's EXIF says, against its record.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoCheck {
    pub taken_at: Option<DateTime<FixedOffset>>,
    pub position: Option<(f64, f64)>,
    /// Metres from the record's position (or nearest track point).
    pub distance_m: Option<f64>,
    /// Seconds from the record's time (or its track's time span).
    pub time_apart_s: Option<i64>,
    pub far: bool,
    pub late: bool,
}

/// What a photo's EXIF says: when it was taken and where (latitude, longitude).
pub type ExifFacts = (Option<DateTime<FixedOffset>>, Option<(f64, f64)>);

/// Reads a JPEG's EXIF: the original time (in its own offset, else Vietnam time) and the GPS
/// position. `None` when the file has no EXIF.
pub fn read_exif(bytes: &[u8]) -> Option<ExifFacts> {
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .ok()?;
    let ascii = |tag| match exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value) {
        Some(exif::Value::Ascii(v)) => v.first().cloned(),
        _ => None,
    };
    let taken_at = ascii(exif::Tag::DateTimeOriginal)
        .or_else(|| ascii(exif::Tag::DateTime))
        .and_then(|raw| {
            let mut dt = exif::DateTime::from_ascii(&raw).ok()?;
            if let Some(off) = ascii(exif::Tag::OffsetTimeOriginal) {
                let _ = dt.parse_offset(&off);
            }
            let offset = FixedOffset::east_opt(i32::from(dt.offset.unwrap_or(7 * 60)) * 60)?;
            let naive = NaiveDate::from_ymd_opt(dt.year.into(), dt.month.into(), dt.day.into())?
                .and_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into())?;
            offset.from_local_datetime(&naive).single()
        });
    let coordinate = |value_tag, ref_tag, negative: u8| -> Option<f64> {
        let exif::Value::Rational(parts) = &exif.get_field(value_tag, exif::In::PRIMARY)?.value
        else {
            return None;
        };
        let deg = parts
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, r)| r.to_f64() / 60f64.powi(i as i32))
            .sum::<f64>();
        let sign = match ascii(ref_tag) {
            Some(r) if r.first() == Some(&negative) => -1.0,
            _ => 1.0,
        };
        deg.is_finite().then_some(sign * deg)
    };
    let lat = coordinate(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, b'S');
    let lon = coordinate(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, b'W');
    Some((taken_at, lat.zip(lon)))
}

/// Compares a photo's EXIF with its record: distance to the record's position or nearest track
/// point (the core's geodesic), time from the record or its track's span.
pub fn check_photo(
    v: &Version,
    taken_at: Option<DateTime<FixedOffset>>,
    position: Option<(f64, f64)>,
) -> PhotoCheck {
    let mut points: Vec<(f64, f64)> = v.location.iter().map(|l| (l.lat, l.lon)).collect();
    let mut times = vec![v.captured_at];
    if let RecordBody::RoadSegment(r) = &v.body {
        points.extend(r.track.iter().map(|p| (p.lat, p.lon)));
        times.extend(r.track.iter().map(|p| p.t));
    }
    let distance_m = position.and_then(|(lat, lon)| {
        points
            .iter()
            .map(|(a, b)| geodesic_distance_m(lat, lon, *a, *b))
            .min_by(|x, y| x.total_cmp(y))
    });
    let time_apart_s = taken_at.map(|t| {
        let first = times.iter().min().copied().unwrap_or(v.captured_at);
        let last = times.iter().max().copied().unwrap_or(v.captured_at);
        if t < first {
            (first - t).num_seconds()
        } else if t > last {
            (t - last).num_seconds()
        } else {
            0
        }
    });
    let accuracy = v.location.map_or(0.0, |l| l.accuracy_m);
    PhotoCheck {
        taken_at,
        position,
        distance_m,
        time_apart_s,
        far: distance_m.is_some_and(|d| d > FAR_M + accuracy),
        late: time_apart_s.is_some_and(|s| s > FAR_S),
    }
}

fn duration_text(lang: Lang, s: i64) -> String {
    if s < 120 {
        format!("{s} s")
    } else if s < 2 * 3600 {
        format!("{} min", lang.num(s as f64 / 60.0, 0))
    } else {
        format!("{} h", lang.num(s as f64 / 3600.0, 1))
    }
}

fn evidence(
    lang: Lang,
    commune: &str,
    v: &Version,
    photos: &[(PhotoId, Option<Vec<u8>>)],
) -> Markup {
    html! {
        @if photos.is_empty() { p { (lang.t("rec.no_photos")) } }
        div.photos {
            @for (id, bytes) in photos {
                figure.photo data-photo=(id.to_hex()) {
                    @match bytes {
                        None => p.hint { (lang.t("rec.photo_missing")) br; code { (&id.to_hex()[..12]) "…" } },
                        Some(data) => {
                            @let url = format!("/dashboard/c/{commune}/photos/{}", id.to_hex());
                            a.full href=(url) target="_blank" rel="noopener" title=(lang.t("rec.full_image")) {
                                img.thumb src=(format!("{url}?size=thumb")) alt=(lang.t("rec.evidence")) loading="lazy";
                            }
                            figcaption {
                                a href=(url) target="_blank" rel="noopener" { (lang.t("rec.full_image")) }
                                " · "
                                a.original href=(format!("{url}?size=original")) target="_blank" rel="noopener" { (lang.t("rec.original")) }
                                @match read_exif(data) {
                                    None => p.hint { (lang.t("rec.exif_none")) },
                                    Some((taken, pos)) => {
                                        @let check = check_photo(v, taken, pos);
                                        dl {
                                            dt { (lang.t("rec.exif_time")) }
                                            dd { @if let Some(t) = check.taken_at { (i18n::datetime_fixed(&t)) } @else { "–" }
                                                @if let Some(s) = check.time_apart_s { " (" (duration_text(lang, s)) " " (lang.t("rec.time_diff")) ")" } }
                                            dt { (lang.t("rec.exif_position")) }
                                            dd { @if let Some((lat, lon)) = check.position { (format!("{lat:.6}, {lon:.6}")) } @else { "–" }
                                                @if let Some(d) = check.distance_m { " (" span.distance { (lang.num(d, 0)) " m" } " " (lang.t("rec.distance")) ")" } }
                                        }
                                        @if check.far { p.flash.warn.far role="alert" { (lang.t("rec.far_warning")) } }
                                        @if check.late { p.flash.warn role="alert" { (lang.t("rec.time_warning")) } }
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

fn details(lang: Lang, v: &Version) -> Markup {
    html! {
        dl.details {
            dt { (lang.t("rec.observed_on")) } dd.observed { (i18n::date(v.observed_date())) }
            dt { (lang.t("rec.captured_at")) } dd { (i18n::datetime_fixed(&v.captured_at)) }
            dt { (lang.t("rec.author")) } dd { (v.author.as_deref().unwrap_or("")) }
            @if let Some(l) = v.location {
                dt { (lang.t("rec.location")) } dd { (format!("{:.6}, {:.6}", l.lat, l.lon)) }
                dt { (lang.t("rec.accuracy")) } dd.accuracy { (lang.num(l.accuracy_m, 1)) " m" }
            }
            @if let RecordBody::RoadSegment(r) = &v.body {
                @let length = r.length(&ntm_field::geo::TrackFilter::default());
                dt { (lang.t("rec.length")) } dd { (lang.num(length.metres, 0)) " m" @if length.manual { " (" (lang.t("rec.manual")) ": " (r.manual_reason.as_deref().unwrap_or("")) ")" } ", " (r.track.len()) " " (lang.t("rec.track_points"))
                    @if r.track_times == ntm_field::record::TrackTimes::SpreadEvenly { ", " span.track-times { (lang.t("rec.track_spread")) } } }
                dt { (lang.t("rec.kind")) } dd { (lang.t(&format!("road.{}", r.road_class.as_str()))) ", " (lang.t(&format!("works.{}", match r.works { ntm_field::record::Works::Upgrade => "upgrade", ntm_field::record::Works::New => "new" }))) ", " (lang.num(r.width_m, 1)) " m" }
            }
            @if let RecordBody::HouseholdCheck(c) = &v.body {
                dt { "17.6" } dd { (toilet_str(c.toilet.toilet_type)) }
            }
        }
        details.body {
            summary { (lang.t("rec.raw")) }
            pre { (serde_json::to_string_pretty(&v.body).unwrap_or_default()) }
        }
    }
}

/// Versions of one entity of a commune, and its heads.
#[derive(Debug, Deserialize)]
pub struct FlashQuery {
    ok: Option<String>,
    err: Option<String>,
}

/// `GET /dashboard/c/{id}/records/{entity}`.
pub async fn record_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path((id, entity)): Path<(String, String)>,
    Query(q): Query<FlashQuery>,
) -> PageResult<Response> {
    let lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let entity = Uuid::parse_str(&entity).map_err(|_| PageError::not_found())?;
    let storage = state.storage.clone();
    let slug = config.commune.id.clone();
    let photo_store = state.clone();
    let (versions, households, photos) = blocking(move || {
        let households = stored_household_names(&*storage, &slug)?;
        let versions = storage.entity_versions(&slug, entity)?;
        let mut photos = Vec::new();
        let ids: BTreeSet<PhotoId> = versions
            .iter()
            .flat_map(|v| v.photos.iter().copied())
            .collect();
        for p in ids {
            let stored = storage.photo_exists(&p)?.is_some();
            let bytes = if stored {
                std::fs::read(photo_store.photos.photo_path(&p)).ok()
            } else {
                None
            };
            photos.push((p, bytes));
        }
        Ok((versions, households, photos))
    })
    .await?;
    if versions.is_empty() {
        return Err(PageError::not_found());
    }
    let heads_map = entity_heads(versions.iter());
    let heads: &EntityHeads = heads_map.get(&entity).ok_or_else(PageError::not_found)?;
    let head = heads.head;
    let commune = config.commune.id.as_str();
    let head_ids: Vec<Uuid> = heads.heads.iter().map(|h| h.version_id).collect();
    let photos_of = |v: &Version| {
        photos
            .iter()
            .filter(|(p, _)| v.photos.contains(p))
            .cloned()
            .collect::<Vec<_>>()
    };
    let body = html! {
        p.lead { strong { (kind_label(lang, head.kind())) } ": " (summary(lang, head, &households)) }
        @if heads.in_conflict() {
            section.conflict #conflict {
                h2 { (lang.t("cf.title")) ": " (heads.heads.len()) " " (lang.t("cf.heads")) }
                p { (lang.t("cf.explain")) }
                div.heads {
                    @for h in &heads.heads {
                        article.head data-version=(h.version_id.to_string()) {
                            h3 { (lang.t("rec.version")) " " code { (&h.version_id.to_string()[..13]) "…" } }
                            p { (summary(lang, h, &households)) }
                            (details(lang, h))
                            @if can_manage(&u) {
                                // Asks first: the other versions stop counting.
                                details.confirm {
                                    summary { (lang.t("cf.keep")) }
                                    p { (lang.t("cf.keep_confirm")) }
                                    form method="post" action=(format!("/dashboard/c/{commune}/records/{entity}/resolve")) {
                                        (csrf_field(&u))
                                        input type="hidden" name="keep" value=(h.version_id.to_string());
                                        input type="hidden" name="heads" value=(head_ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","));
                                        button type="submit" { (lang.t("cf.keep_do")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { (lang.t("rec.body")) }
            (details(lang, head))
        }
        section.evidence {
            h2 { (lang.t("rec.evidence")) }
            (evidence(lang, commune, head, &photos_of(head)))
        }
        section.history {
            h2 { (lang.t("rec.history")) }
            table.records {
                thead { tr {
                    th { (lang.t("rec.server_seq")) } th { (lang.t("rec.version")) } th { (lang.t("rec.parents")) }
                    th { (lang.t("rec.observed_on")) } th { (lang.t("rec.captured_at")) } th { (lang.t("rec.author")) } th { (lang.t("rec.summary")) } th { (lang.t("rec.flags")) }
                } }
                tbody {
                    @for v in &versions {
                        tr.current[head_ids.contains(&v.version_id)] data-version=(v.version_id.to_string()) {
                            td { (v.server_seq.map(|s| s.to_string()).unwrap_or_default()) }
                            td { code { (v.version_id.to_string()) } @if head_ids.contains(&v.version_id) { " " span.badge.met { (lang.t("rec.head")) } } }
                            td { @for p in &v.parents { code { (&p.to_string()[..13]) "…" } " " } }
                            td { (i18n::date(v.observed_date())) }
                            td { (i18n::datetime_fixed(&v.captured_at)) }
                            td { (v.author.as_deref().unwrap_or("")) }
                            td { (summary(lang, v, &households)) @if v.deleted { " (" (lang.t("rec.deleted")) ")" } }
                            td { @for f in &v.flags { span.badge.warn { (flag_label(lang, *f)) } " " } }
                        }
                    }
                }
            }
        }
    };
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!(
            "{} – {}",
            lang.t("rec.entity"),
            kind_label(lang, head.kind())
        ),
        nav: Nav::Records,
        here: format!("/dashboard/c/{commune}/records/{entity}"),
    };
    Ok(html_page(page(
        shell,
        Flash::from_query(lang, q.ok.as_deref(), q.err.as_deref()),
        body,
    )))
}

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    csrf: Option<String>,
    keep: String,
    heads: String,
}

/// `POST /dashboard/c/{id}/records/{entity}/resolve`: writes the merge version.
pub async fn resolve(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path((id, entity)): Path<(String, String)>,
    Form(form): Form<ResolveForm>,
) -> PageResult<Response> {
    u.check_csrf(form.csrf.as_deref())?;
    let config = commune_for(&state, &u, &id, Access::Manage).await?;
    let entity = Uuid::parse_str(&entity).map_err(|_| PageError::not_found())?;
    let keep = Uuid::parse_str(&form.keep).map_err(|_| PageError::bad_request("error.bad_form"))?;
    let seen: BTreeSet<Uuid> = form
        .heads
        .split(',')
        .filter_map(|s| Uuid::parse_str(s.trim()).ok())
        .collect();
    let storage = state.storage.clone();
    let user = u.user.clone();
    let commune = config.commune.id.as_str().to_owned();
    let outcome = blocking(move || {
        let versions = storage.entity_versions(&config.commune.id, entity)?;
        let heads_map = entity_heads(versions.iter());
        let Some(heads) = heads_map.get(&entity) else {
            return Ok(Err("not_found"));
        };
        let current: BTreeSet<Uuid> = heads.heads.iter().map(|h| h.version_id).collect();
        if current != seen || !current.contains(&keep) || current.len() < 2 {
            return Ok(Err("stale"));
        }
        let chosen = heads
            .heads
            .iter()
            .find(|h| h.version_id == keep)
            .expect("keep is a head");
        let mut merge = write::new_version(
            &config,
            entity,
            current.into_iter().collect(),
            chosen.body.clone(),
        );
        merge.village_id = chosen.village_id.clone();
        merge.location = chosen.location;
        merge.photos = chosen.photos.clone();
        merge.deleted = chosen.deleted;
        // Resolving today does not move the record out of the period it was observed in.
        merge.set_observed_date(chosen.observed_date());
        let results = write::store(&*storage, &user, &config, vec![merge])?;
        Ok(match results.first() {
            Some(r) if r.status == PushStatus::Stored => Ok(()),
            Some(r) => Err(if r.reason.is_some() {
                "rejected"
            } else {
                "stale"
            }),
            None => Err("stale"),
        })
    })
    .await?;
    let base = format!("/dashboard/c/{commune}/records/{entity}");
    Ok(match outcome {
        Ok(()) => Redirect::to(&format!("{base}?ok=cf.resolved")).into_response(),
        Err("not_found") => PageError::not_found().into_response(),
        Err("stale") => Redirect::to(&format!("{base}?ok=cf.stale")).into_response(),
        Err(_) => PageError::bad_request("error.merge").into_response(),
    })
}

/// `GET /dashboard/c/{id}/conflicts`: every entity with more than one head.
pub async fn conflicts_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let storage = state.storage.clone();
    let slug = config.commune.id.clone();
    // Only the heads of entities in conflict are kept of each page of entities.
    let (households, conflicted) = blocking(move || {
        let mut names = HashMap::new();
        let mut conflicted: Vec<Version> = Vec::new();
        storage.for_each_entity(&slug, ENTITY_PAGE, &mut |page| {
            names.extend(household_names(page));
            let heads = entity_heads(page.iter());
            let in_conflict = heads.values().filter(|h| h.in_conflict());
            conflicted.extend(in_conflict.flat_map(|h| h.heads.iter().map(|v| (*v).clone())));
            Ok(())
        })?;
        Ok((names, conflicted))
    })
    .await?;
    let heads = entity_heads(conflicted.iter());
    let mut conflicts: Vec<(&Uuid, &EntityHeads)> = heads.iter().collect();
    conflicts.sort_by_key(|(_, h)| std::cmp::Reverse(h.head.captured_at));
    let commune = config.commune.id.as_str();
    let body = html! {
        p { (lang.t("cf.explain")) }
        @if conflicts.is_empty() { p.flash.ok { (lang.t("cf.none")) } } @else {
            table.records #conflicts {
                thead { tr { th { (lang.t("rec.kind")) } th { (lang.t("rec.summary")) } th { (lang.t("cf.heads")) } th { (lang.t("rec.captured_at")) } th { } } }
                tbody {
                    @for (entity, h) in &conflicts {
                        tr data-entity=(entity.to_string()) {
                            td { (kind_label(lang, h.head.kind())) }
                            td { (summary(lang, h.head, &households)) }
                            td { (h.heads.len()) }
                            td { (i18n::datetime_fixed(&h.head.captured_at)) }
                            td { a href=(format!("/dashboard/c/{commune}/records/{entity}#conflict")) { (lang.t("rec.open")) } }
                        }
                    }
                }
            }
        }
    };
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("cf.title"), config.commune.name),
        nav: Nav::Conflicts,
        here: format!("/dashboard/c/{commune}/conflicts"),
    };
    Ok(html_page(page(shell, None, body)))
}

/// Longest edge of a thumbnail, in pixels.
pub const THUMB_PX: u32 = 320;

/// A photo's decoder and the turn its EXIF orientation tag asks for. Phones store the pixels
/// as the sensor saw them and record in the tag how to turn them upright; an image re-encoded
/// here loses the tag, so the turn must be applied to the pixels.
fn decoder_and_orientation(
    data: &[u8],
) -> Option<(
    Box<dyn image::ImageDecoder + '_>,
    image::metadata::Orientation,
)> {
    use image::ImageDecoder;
    let mut decoder = image::ImageReader::new(std::io::Cursor::new(data))
        .with_guessed_format()
        .ok()?
        .into_decoder()
        .ok()?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    Some((Box::new(decoder), orientation))
}

/// The photo decoded and turned upright.
fn upright(data: &[u8]) -> Option<image::DynamicImage> {
    let (decoder, orientation) = decoder_and_orientation(data)?;
    let mut img = image::DynamicImage::from_decoder(decoder).ok()?;
    img.apply_orientation(orientation);
    Some(img)
}

fn jpeg(img: &image::DynamicImage, quality: u8) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img.to_rgb8())
        .ok()?;
    Some(out)
}

/// A JPEG thumbnail of a photo, upright; `None` when the bytes are not an image this server
/// decodes.
pub fn thumbnail(data: &[u8]) -> Option<Vec<u8>> {
    jpeg(&upright(data)?.thumbnail(THUMB_PX, THUMB_PX), 80)
}

/// The full photo turned upright as a JPEG, when its EXIF orientation asks for a turn; `None`
/// when it is upright already (serve the stored bytes) or not an image this server decodes.
pub fn full_upright(data: &[u8]) -> Option<Vec<u8>> {
    let (_, orientation) = decoder_and_orientation(data)?;
    if orientation == image::metadata::Orientation::NoTransforms {
        return None;
    }
    jpeg(&upright(data)?, 90)
}

/// Makes the JPEG to serve from a stored photo; `None` serves the stored bytes.
type MakeJpeg = fn(&[u8]) -> Option<Vec<u8>>;

#[derive(Debug, Deserialize)]
pub struct PhotoQuery {
    /// `thumb` for a small upright JPEG; `original` for the stored bytes as the phone sent them
    /// (the evidence, with its EXIF); the full image upright otherwise.
    size: Option<String>,
}

/// `GET /dashboard/c/{id}/photos/{sha256}[?size=thumb]`: a photo used by a record of this commune.
pub async fn photo(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path((id, sha)): Path<(String, String)>,
    Query(q): Query<PhotoQuery>,
) -> PageResult<Response> {
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let photo = PhotoId::parse(&sha).map_err(|_| PageError::not_found())?;
    let storage = state.storage.clone();
    let slug = config.commune.id.clone();
    let stored = blocking(move || {
        let used_here = storage.photo_communes(&photo)?.contains(&slug);
        Ok(if used_here {
            storage.photo_exists(&photo)?
        } else {
            None
        })
    })
    .await?;
    let Some((_, content_type)) = stored else {
        return Err(PageError::not_found());
    };
    let data = tokio::fs::read(state.photos.photo_path(&photo))
        .await
        .map_err(|_| PageError::not_found())?;
    let turn: Option<MakeJpeg> = match q.size.as_deref() {
        Some("thumb") => Some(thumbnail),
        Some("original") => None,
        _ => Some(full_upright),
    };
    let (data, content_type) = match turn {
        Some(make) => match blocking(move || Ok(make(&data).ok_or(data))).await? {
            Ok(made) => (made, "image/jpeg".to_owned()),
            Err(original) => (original, content_type),
        },
        None => (data, content_type),
    };
    let mut r = (StatusCode::OK, Body::from(data)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    h.insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_far_from_its_sign_is_flagged_and_a_near_one_is_not() {
        let v: Version = serde_json::from_value(serde_json::json!({
            "version_id": "0193a000-0000-7000-8000-000000000001", "entity_id": "0193a000-0000-7000-8000-000000000002",
            "parents": [], "kind": "trash_sign", "commune_id": "thien-ke", "village_id": "thien-ke-01",
            "device_id": "0193a000-0000-7000-8000-000000000003", "device_seq": 1,
            "captured_at": "2020-03-05T09:30:00+07:00",
            "location": {"lat": 21.78, "lon": 105.33, "accuracy_m": 5.0, "fix_at": "2020-03-05T09:29:58+07:00", "source": "gps"},
            "photos": [], "deleted": false,
            "body": {"sign_type": "no_dumping", "condition": "good", "responsible_household_id": null, "note": ""}
        }))
        .unwrap();
        let at = DateTime::parse_from_rfc3339("2020-03-05T09:31:00+07:00").unwrap();
        let near = check_photo(&v, Some(at), Some((21.7801, 105.3301)));
        assert!(!near.far && !near.late, "{near:?}");
        assert!(near.distance_m.unwrap() < 20.0);
        let far = check_photo(
            &v,
            Some(at + chrono::Duration::hours(5)),
            Some((21.79, 105.33)),
        );
        assert!(far.far && far.late, "{far:?}");
        assert!((far.distance_m.unwrap() - 1107.0).abs() < 15.0, "{far:?}");
    }

    #[test]
    fn thumbnails_are_small_jpegs_and_non_images_have_none() {
        let big = image::RgbImage::from_fn(1600, 1200, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&big)
            .unwrap();
        let thumb = thumbnail(&jpeg).unwrap();
        let decoded = image::load_from_memory(&thumb).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 240));
        assert!(thumb.len() < jpeg.len() / 4);
        assert_eq!(thumbnail(b"not an image"), None);
    }

    /// A JPEG of `pixels` whose EXIF says to turn it by `orientation` (1..=8), the way a phone
    /// held upright stores a portrait photo: landscape pixels and orientation 6.
    fn jpeg_with_orientation(pixels: &image::RgbImage, orientation: u16) -> Vec<u8> {
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95)
            .encode_image(pixels)
            .unwrap();
        let mut writer = exif::experimental::Writer::new();
        let field = exif::Field {
            tag: exif::Tag::Orientation,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Short(vec![orientation]),
        };
        writer.push_field(&field);
        let mut tiff = std::io::Cursor::new(Vec::new());
        writer.write(&mut tiff, false).unwrap();
        let tiff = tiff.into_inner();
        // APP1 "Exif\0\0" + TIFF right after the SOI marker, as cameras write it.
        let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
        out.extend_from_slice(&u16::try_from(tiff.len() + 8).unwrap().to_be_bytes());
        out.extend_from_slice(b"Exif\0\0");
        out.extend_from_slice(&tiff);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn thumbnails_and_full_images_are_turned_upright_by_the_exif_orientation() {
        // Sensor pixels 640 wide, 320 high: the left half red, the right half blue. Orientation
        // 6 means "turn 90° clockwise to view": upright it is 320 wide, 640 high, red on top.
        let sensor = image::RgbImage::from_fn(640, 320, |x, _| {
            if x < 320 {
                image::Rgb([230, 20, 20])
            } else {
                image::Rgb([20, 20, 230])
            }
        });
        let photo = jpeg_with_orientation(&sensor, 6);
        let red_on_top = |img: &image::DynamicImage| {
            let img = img.to_rgb8();
            let top = img.get_pixel(img.width() / 2, img.height() / 8);
            let bottom = img.get_pixel(img.width() / 2, img.height() * 7 / 8);
            top[0] > 150 && top[2] < 100 && bottom[2] > 150 && bottom[0] < 100
        };

        let thumb = image::load_from_memory(&thumbnail(&photo).unwrap()).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (160, 320), "portrait");
        assert!(
            red_on_top(&thumb),
            "turned clockwise, not counter-clockwise"
        );

        let full = image::load_from_memory(&full_upright(&photo).unwrap()).unwrap();
        assert_eq!((full.width(), full.height()), (320, 640));
        assert!(red_on_top(&full));

        // Orientation 1 (or none) is upright already: the stored bytes are served as they are.
        assert_eq!(full_upright(&jpeg_with_orientation(&sensor, 1)), None);
        let plain =
            image::load_from_memory(&thumbnail(&jpeg_with_orientation(&sensor, 1)).unwrap())
                .unwrap();
        assert_eq!((plain.width(), plain.height()), (320, 160));
    }
}
