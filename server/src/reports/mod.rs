//! Reports of a commune: the monthly or quarterly XLSX report in Vietnamese, CSV per kind and
//! GeoJSON of roads and signs. Everything is computed from the stored versions with the core
//! (`scorecard` at the period's start and end, heads as of its end), so a report equals what
//! the dashboard and the phones show for the same dates.
//!
//! Served at `GET /api/v1/communes/{id}/export/{xlsx,csv,geojson}` to a bearer token or a
//! dashboard session.

pub mod geojson;
pub mod rows;
pub mod tables;
pub mod xlsx;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use ntm_field::catalog::edition::{Applied, Editions};
use ntm_field::config::CommuneConfig;
use ntm_field::record::Version;
use ntm_field::scorecard::{applied_or_unread, scorecard_with, Scorecard};
use serde::Deserialize;

use crate::auth::{authorize, Access};
use crate::dashboard::session::ApiOrSession;
use crate::error::{ApiError, ApiResult};
use crate::handlers::v1::reports::local_today;
use crate::handlers::v1::{ApiPath, ApiQuery};
use crate::storage::heads::heads_as_of;
use crate::{blocking, AppState};

use self::rows::Rows;

/// A reporting period: a calendar month (`2020-03`) or quarter (`2020-Q1`), in local dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// As given: `2020-03` or `2020-Q1`.
    pub code: String,
    /// `Tháng 03/2020` or `Quý 1/2020`.
    pub label_vi: String,
}

impl Period {
    /// Parses `YYYY-MM` or `YYYY-Qn`.
    pub fn parse(s: &str) -> Option<Period> {
        let (year, rest) = s.split_once('-')?;
        let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y))?;
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            let start = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1)?;
            let end = month_end(year, 3 * q)?;
            return Some(Period {
                start,
                end,
                code: format!("{year}-Q{q}"),
                label_vi: format!("Quý {q}/{year}"),
            });
        }
        if rest.len() != 2 {
            return None;
        }
        let month: u32 = rest.parse().ok().filter(|m| (1..=12).contains(m))?;
        Some(Period {
            start: NaiveDate::from_ymd_opt(year, month, 1)?,
            end: month_end(year, month)?,
            code: format!("{year}-{month:02}"),
            label_vi: format!("Tháng {month:02}/{year}"),
        })
    }

    /// The month that contains `day`.
    pub fn month_of(day: NaiveDate) -> Period {
        Period::parse(&format!("{}-{:02}", day.year(), day.month())).expect("a valid month")
    }
}

/// The last day of a month.
pub fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

/// Everything a period report shows.
pub struct Report {
    pub config: CommuneConfig,
    pub period: Period,
    /// The scorecard at the end of the day before the period starts.
    pub start: Scorecard,
    /// The scorecard at the end of the period's last day.
    pub end: Scorecard,
    /// Heads as of the period's end; rows captured within it are marked.
    pub rows: Rows,
    pub generated_at: DateTime<Utc>,
}

impl Report {
    /// `at_start` and `at_end` are the commune's versions as of the day before the period starts
    /// and as of its end: each entity's heads then ([`crate::storage::heads`]), or the whole
    /// history for both.
    pub fn build(
        config: CommuneConfig,
        at_start: &[Version],
        at_end: &[Version],
        period: Period,
        generated_at: DateTime<Utc>,
    ) -> Report {
        // Both ends under the edition of the period's end, so that "start → end" counts one set
        // of criteria; a commune without the group that edition needs gets no verdicts.
        let catalog = applied_or_unread(Editions::builtin(), &config, period.end)
            .0
            .catalog;
        let c = &config.commune;
        let at = |d| Applied::given_or_unread(catalog, &c.id, c.region, &config.editions, d);
        let before = period_before(&period);
        let start = scorecard_with(&at(before), &config, at_start, before);
        let end = scorecard_with(&at(period.end), &config, at_end, period.end);
        let rows = Rows::of(&config, at_end, period.end, Some(period.start));
        Report {
            config,
            period,
            start,
            end,
            rows,
            generated_at,
        }
    }
}

/// The day whose end the period's starting scorecard shows.
fn period_before(period: &Period) -> NaiveDate {
    period.start.pred_opt().unwrap_or(period.start)
}

#[derive(Debug, Deserialize)]
pub struct XlsxQuery {
    /// `YYYY-MM` or `YYYY-Qn`; the current month when absent.
    pub period: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CsvQuery {
    pub kind: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub as_of: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GeoQuery {
    pub as_of: Option<String>,
}

fn parse_as_of(s: Option<&str>) -> ApiResult<NaiveDate> {
    match s {
        None | Some("") => Ok(local_today()),
        Some(s) => crate::dates::date(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                "as_of must be a date YYYY-MM-DD from 2000 to 2100",
            )
            .with_field("as_of")
        }),
    }
}

/// Loads a commune's configuration, after checking the caller may read it, and each entity's
/// heads as of each of `dates`, read a page of entities at a time rather than the whole history.
async fn load(
    state: &Arc<AppState>,
    auth: &ApiOrSession,
    id: &str,
    dates: Vec<NaiveDate>,
) -> ApiResult<(CommuneConfig, Vec<Vec<Version>>)> {
    let id = crate::handlers::v1::slug(id, "id")?;
    let config = authorize(state, &auth.0, &id, Access::Read).await?;
    let storage = state.storage.clone();
    let parts = config.merged_from.clone();
    let heads = blocking(move || {
        // A commune a merger made: its old communes' records count too (`Rows::of` and the
        // scorecard keep those of its villages).
        let mut heads = heads_as_of(storage.as_ref(), &id, &dates)?;
        for part in &parts {
            for (all, theirs) in heads
                .iter_mut()
                .zip(heads_as_of(storage.as_ref(), part, &dates)?)
            {
                all.extend(theirs);
            }
        }
        Ok(heads)
    })
    .await?;
    Ok((config, heads))
}

fn download(bytes: Vec<u8>, content_type: &'static str, filename: String) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // File names are ASCII slugs and period codes, so they need no encoding.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /api/v1/communes/{id}/export/xlsx?period=2020-Q1|2020-03`.
#[utoipa::path(get, path = "/api/v1/communes/{id}/export/xlsx", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id"),
           ("period" = Option<String>, Query, description = "a month `2020-03` or a quarter `2020-Q1`; the current month when absent")),
    responses((status = 200, description = "the period report in Vietnamese (XLSX): Tổng hợp, Chỉ tiêu, Theo thôn, Đường, Biển báo, Kiểm tra hộ, Hộ gia đình, Đánh giá",
               content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 400, description = "the period is not a month or a quarter", body = Object),
              (status = 403, description = "outside the caller's scope", body = Object)))]
pub async fn export_xlsx(
    State(state): State<Arc<AppState>>,
    auth: ApiOrSession,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<XlsxQuery>,
) -> ApiResult<Response> {
    let period = match q.period.as_deref() {
        None | Some("") => Period::month_of(local_today()),
        Some(p) => Period::parse(p).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                "period must be a month (2020-03) or a quarter (2020-Q1)",
            )
            .with_field("period")
        })?,
    };
    let dates = vec![period_before(&period), period.end];
    let (config, heads) = load(&state, &auth, &id, dates).await?;
    let filename = format!("bao-cao-ntm-{}-{}.xlsx", config.commune.id, period.code);
    let bytes = blocking(move || {
        let report = Report::build(config, &heads[0], &heads[1], period, Utc::now());
        xlsx::write(&report).map_err(|e| {
            ApiError::internal(format!(
                "the spreadsheet could not be written ({e}); try again"
            ))
        })
    })
    .await?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename,
    ))
}

/// `GET /api/v1/communes/{id}/export/csv?kind=road_segment|trash_sign|household_check|household|assessment|indicators|villages&as_of=`.
#[utoipa::path(get, path = "/api/v1/communes/{id}/export/csv", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id"),
           ("kind" = String, Query, description = "road_segment | trash_sign | household_check | household | assessment | indicators | villages"),
           ("as_of" = Option<String>, Query, description = "`YYYY-MM-DD`; today when absent")),
    responses((status = 200, description = "UTF-8 CSV with a header line of column names", content_type = "text/csv"),
              (status = 400, description = "unknown kind or bad date", body = Object),
              (status = 403, description = "outside the caller's scope", body = Object)))]
pub async fn export_csv(
    State(state): State<Arc<AppState>>,
    auth: ApiOrSession,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<CsvQuery>,
) -> ApiResult<Response> {
    let kind = q.kind.clone().unwrap_or_default();
    if !tables::CSV_KINDS.contains(&kind.as_str()) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("kind must be one of {}", tables::CSV_KINDS.join(", ")),
        )
        .with_field("kind"));
    }
    let as_of = parse_as_of(q.as_of.as_deref())?;
    let period = Period {
        end: as_of,
        ..Period::month_of(as_of)
    };
    let dates = vec![period_before(&period), as_of];
    let (config, heads) = load(&state, &auth, &id, dates).await?;
    let filename = format!("{}-{kind}-{as_of}.csv", config.commune.id);
    let bytes = blocking(move || {
        let mut report = Report::build(config, &heads[0], &heads[1], period, Utc::now());
        report.rows = Rows::of(&report.config, &heads[1], as_of, None);
        Ok(tables::to_csv(
            &tables::by_kind(&report, &kind).expect("kind was checked"),
        ))
    })
    .await?;
    Ok(download(bytes, "text/csv; charset=utf-8", filename))
}

/// `GET /api/v1/communes/{id}/export/geojson?as_of=`: roads (LineString) and signs (Point).
#[utoipa::path(get, path = "/api/v1/communes/{id}/export/geojson", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id"), ("as_of" = Option<String>, Query, description = "`YYYY-MM-DD`; today when absent")),
    responses((status = 200, description = "a GeoJSON FeatureCollection (WGS84, [lon, lat]): tracks as LineStrings, signs as Points", content_type = "application/geo+json"),
              (status = 403, description = "outside the caller's scope", body = Object)))]
pub async fn export_geojson(
    State(state): State<Arc<AppState>>,
    auth: ApiOrSession,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<GeoQuery>,
) -> ApiResult<Response> {
    let as_of = parse_as_of(q.as_of.as_deref())?;
    let (config, heads) = load(&state, &auth, &id, vec![as_of]).await?;
    let filename = format!("{}-{as_of}.geojson", config.commune.id);
    let bytes =
        blocking(move || {
            let rows = Rows::of(&config, &heads[0], as_of, None);
            Ok(serde_json::to_vec(&geojson::collection(&config, &rows))
                .expect("JSON values serialise"))
        })
        .await?;
    Ok(download(bytes, "application/geo+json", filename))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_months_or_quarters() {
        let q = Period::parse("2020-Q1").unwrap();
        assert_eq!(
            (q.start.to_string(), q.end.to_string(), q.label_vi.as_str()),
            ("2020-01-01".into(), "2020-03-31".into(), "Quý 1/2020")
        );
        let m = Period::parse("2020-02").unwrap();
        assert_eq!(m.end.to_string(), "2020-02-29");
        assert_eq!(
            Period::parse("2020-12").unwrap().end.to_string(),
            "2020-12-31"
        );
        assert_eq!(
            Period::parse("2020-Q4").unwrap().end.to_string(),
            "2020-12-31"
        );
        for bad in [
            "2020", "2020-13", "2020-Q5", "2020-1", "x-Q1", "1900-01", "2020-Q0",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }
}
