//! Province sets of an edition's thresholds: loaded as TOML or as the filled-in XLSX template
//! (checked by the core, errors by row and field), and the template itself.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ntm_field::catalog::edition::{EditionSettings, Editions};
use ntm_field::catalog::province::{ProvinceSet, RawHeader, RawRow, RowError, SetErrors};
use ntm_field::catalog::{Catalog, IndicatorType};
use ntm_field::protocol::{ConfigUpdated, Role};
use serde::{Deserialize, Serialize};

use super::{slug, ApiPath, ApiQuery};
use crate::auth::{authorize, Access, Actor, UserAuth};
use crate::body::ApiBody;
use crate::error::{ApiError, ApiResult};
use crate::openapi::schemas;
use crate::sync::config_etag;
use crate::{blocking, AppState};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The template's header: one `key | value` pair per row from row 1, then a blank row, then
/// the column names; targets start on the row after.
const HEADER_KEYS: [&str; 6] = [
    "province",
    "edition",
    "version",
    "decision",
    "issued_on",
    "applies_from",
];
const COLUMNS: [&str; 5] = ["indicator", "threshold", "inner", "source", "confidence"];
const FIRST_TARGET_ROW: usize = HEADER_KEYS.len() + 3;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SetLoaded {
    pub province: String,
    pub edition: String,
    pub version: u32,
    pub targets: usize,
}

/// `POST /api/v1/provinces/{province}/sets`: loads a province's set for an edition, as TOML
/// (`application/toml`) or as the filled-in XLSX template; every problem is listed by row and
/// field. A version already loaded is kept: a reissue is the next version.
#[utoipa::path(post, path = "/api/v1/provinces/{province}/sets", tag = "communes", security(("bearer" = [])),
    params(("province" = String, Path, description = "the province's name as communes give it, URL-encoded")),
    request_body(content = String, description = "the set as TOML, or the XLSX template filled in", content_type = "application/toml"),
    responses((status = 200, description = "the set is loaded", body = SetLoaded),
              (status = 400, description = "the problems, by row and field (`row 3, threshold: …`)"),
              (status = 403, description = "neither an administrator nor an officer of the province"),
              (status = 409, description = "this version of the set is already loaded")))]
pub async fn post_province_set(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiPath(province): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<SetLoaded>> {
    let allowed = p.is_admin()
        || (p.role == Role::Officer && p.scope == crate::auth::Scope::Province(province.clone()));
    if !allowed {
        return Err(ApiError::forbidden(format!(
            "only an administrator or an officer of {province} loads its sets"
        )));
    }
    let is_xlsx = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(XLSX));
    let parsed = if is_xlsx {
        from_xlsx(&body)
    } else {
        let text = std::str::from_utf8(&body).map_err(|_| {
            ApiError::bad_request("invalid_set", "the set must be UTF-8 TOML or an XLSX file")
        })?;
        ProvinceSet::from_toml(text, Editions::builtin())
    };
    let set = parsed.map_err(set_error)?;
    if set.province != province {
        return Err(ApiError::bad_request(
            "invalid_set",
            format!("the set is {:?}'s, not {province:?}'s", set.province),
        )
        .with_field("province"));
    }
    let loaded_by = match &p.actor {
        Actor::User { username, .. } => username.clone(),
        Actor::Device { device_id } => device_id.to_string(),
    };
    let answer = SetLoaded {
        province: set.province.clone(),
        edition: set.edition.clone(),
        version: set.version,
        targets: set.targets.len(),
    };
    let storage = state.storage.clone();
    blocking(move || Ok(storage.put_province_set(&set, &loaded_by)?)).await?;
    Ok(Json(answer))
}

fn set_error(SetErrors(errors): SetErrors) -> ApiError {
    let text = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let field = errors.first().map(|e| e.field.clone()).unwrap_or_default();
    ApiError::bad_request(
        "invalid_set",
        format!("Bộ tiêu chí của tỉnh có lỗi, hãy sửa rồi tải lại: {text}"),
    )
    .with_field(field)
}

/// Reads the filled-in template; row numbers in errors are the sheet's own.
fn from_xlsx(bytes: &[u8]) -> Result<ProvinceSet, SetErrors> {
    use calamine::{Data, Reader};
    let unreadable = |problem: String| {
        SetErrors(vec![RowError {
            row: 0,
            field: "file".into(),
            problem,
        }])
    };
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(format!("not an XLSX workbook: {e}")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("the workbook has no sheet".into()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let rows: Vec<&[Data]> = range.rows().collect();
    let text = |row: &[Data], col: usize| -> String {
        match row.get(col) {
            Some(Data::String(s)) => s.trim().to_owned(),
            Some(Data::Float(f)) => f.to_string(),
            Some(Data::Int(i)) => i.to_string(),
            // A date cell: days since 30/12/1899 (the 1900 system).
            Some(Data::DateTime(d)) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|epoch| {
                    epoch.checked_add_days(chrono::Days::new(d.as_f64().max(0.0) as u64))
                })
                .map(|t| t.to_string())
                .unwrap_or_default(),
            Some(Data::DateTimeIso(s)) => s.chars().take(10).collect(),
            _ => String::new(),
        }
    };
    let number = |row: &[Data], col: usize| -> Result<Option<f64>, String> {
        match row.get(col) {
            None | Some(Data::Empty) => Ok(None),
            Some(Data::Float(f)) => Ok(Some(*f)),
            Some(Data::Int(i)) => Ok(Some(*i as f64)),
            Some(Data::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Data::String(s)) => s
                .trim()
                .replace(',', ".")
                .parse()
                .map(Some)
                .map_err(|_| format!("{s:?} is not a number")),
            Some(other) => Err(format!("{other} is not a number")),
        }
    };
    let mut header = RawHeader::default();
    for row in rows.iter().take(HEADER_KEYS.len()) {
        let value = text(row, 1);
        match text(row, 0).as_str() {
            "province" => header.province = value,
            "edition" => header.edition = value,
            "version" => header.version = value.parse::<f64>().ok().map(|v| v as i64),
            "decision" => header.decision = value,
            "issued_on" => header.issued_on = value,
            "applies_from" => header.applies_from = value,
            _ => {}
        }
    }
    let mut sheet_rows = Vec::new();
    let mut raw = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(FIRST_TARGET_ROW - 1) {
        let sheet_row = i + 1;
        if text(row, 0).is_empty() && number(row, 1).ok().flatten().is_none() {
            continue;
        }
        let mut cell = |col: usize, field: &str| {
            number(row, col).unwrap_or_else(|problem| {
                errors.push(RowError {
                    row: sheet_row,
                    field: field.into(),
                    problem,
                });
                None
            })
        };
        let threshold = cell(1, "threshold");
        let inner = cell(2, "inner");
        raw.push(RawRow {
            indicator: text(row, 0),
            threshold,
            inner,
            source: text(row, 3),
            confidence: text(row, 4),
        });
        sheet_rows.push(sheet_row);
    }
    let checked = ProvinceSet::check(header, raw, Editions::builtin());
    let mut found = match checked {
        Ok(set) if errors.is_empty() => return Ok(set),
        Ok(_) => Vec::new(),
        Err(SetErrors(e)) => e,
    };
    // The core numbers target rows from 1; say the sheet's row instead.
    for e in &mut found {
        if e.row > 0 {
            e.row = sheet_rows.get(e.row - 1).copied().unwrap_or(e.row);
        }
    }
    // A cell that is not a number is said once, as such, rather than also as an empty threshold.
    errors.extend(found);
    errors.sort_by_key(|e| e.row);
    errors.dedup_by(|b, a| a.row == b.row && a.field == b.field);
    Err(SetErrors(errors))
}

/// `PUT /api/v1/communes/{id}/editions`: the commune's open dossier under an earlier edition,
/// and its dated region and commune group, each with its source (officers of the commune's
/// scope and administrators).
#[utoipa::path(put, path = "/api/v1/communes/{id}/editions", tag = "communes", security(("bearer" = [])),
    params(("id" = String, Path, description = "commune id", pattern = "^[a-z0-9-]{1,64}$")),
    request_body(content = serde_json::Value, description = "`{\"dossier\": {\"edition\", \"name\", \"source\", \"closed_on\"}, \"regions\": [{\"value\", \"from\", \"until\", \"source\"}], \"groups\": [...], \"takes_tdmnpb\": [...]}`"),
    responses((status = 200, description = "the commune's new configuration tag", body = schemas::ConfigUpdated),
              (status = 400, description = "a dossier naming no known edition, or a dated value without its source")))]
pub async fn put_editions(
    State(state): State<Arc<AppState>>,
    UserAuth(p, _): UserAuth,
    ApiPath(id): ApiPath<String>,
    ApiBody(settings): ApiBody<EditionSettings>,
) -> ApiResult<Json<ConfigUpdated>> {
    let id = slug(&id, "id")?;
    authorize(&state, &p, &id, Access::Manage).await?;
    if let Some(d) = &settings.dossier {
        if Editions::builtin().get(&d.edition).is_none() {
            return Err(ApiError::bad_request(
                "invalid",
                format!(
                    "{:?} is not an edition (ntm-2016, ntm-2021, ntm-2026)",
                    d.edition
                ),
            )
            .with_field("dossier.edition"));
        }
    }
    let sourced = settings.regions.iter().all(|d| !d.source.trim().is_empty())
        && settings.groups.iter().all(|d| !d.source.trim().is_empty())
        && settings
            .takes_tdmnpb
            .iter()
            .all(|d| !d.source.trim().is_empty());
    if !sourced {
        return Err(ApiError::bad_request(
            "invalid",
            "every dated region and group names its source (the decision or list it comes from)",
        ));
    }
    let storage = state.storage.clone();
    let config = blocking(move || {
        storage.put_edition_settings(&id, &settings)?;
        storage
            .commune_config(&id)?
            .ok_or_else(|| ApiError::not_found(format!("commune {id}")))
    })
    .await?;
    Ok(Json(ConfigUpdated {
        config_etag: config_etag(&config),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TemplateQuery {
    /// `ntm-2016`, `ntm-2021` or `ntm-2026`.
    pub edition: String,
}

/// `GET /api/v1/province-sets/template.xlsx?edition=ntm-2021`: the XLSX template officials
/// fill in, one row per indicator that takes a number, with the edition's own cell as a hint.
#[utoipa::path(get, path = "/api/v1/province-sets/template.xlsx", tag = "communes", security(("bearer" = [])),
    params(TemplateQuery),
    responses((status = 200, description = "the template", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 400, description = "no `edition` in the query"),
              (status = 403, description = "a device token: the template is for dashboard users"),
              (status = 404, description = "no such edition")))]
pub async fn get_template(
    UserAuth(_, _): UserAuth,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> ApiResult<Response> {
    let catalog = Editions::builtin()
        .get(&q.edition)
        .ok_or_else(|| ApiError::not_found(format!("{:?} is not an edition", q.edition)))?;
    let bytes = template(catalog).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"bo-tieu-chi-tinh-{}.xlsx\"",
        catalog.key
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The template of an edition (rust_xlsxwriter).
pub fn template(catalog: &Catalog) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("Bo tieu chi tinh")?;
    let hints = [
        "Tên tỉnh, đúng như các xã ghi",
        catalog.key.as_str(),
        "1 cho lần ban hành đầu, tăng khi ban hành lại",
        "Số, ngày quyết định của UBND tỉnh",
        "YYYY-MM-DD",
        "YYYY-MM-DD: ngày bắt đầu áp dụng",
    ];
    for (r, (key, hint)) in HEADER_KEYS.iter().zip(hints).enumerate() {
        ws.write_string_with_format(r as u32, 0, *key, &bold)?;
        if *key == "edition" {
            ws.write_string(r as u32, 1, hint)?;
        } else {
            ws.write_string(r as u32, 2, hint)?;
        }
    }
    let head = (FIRST_TARGET_ROW - 2) as u32;
    for (c, name) in COLUMNS
        .iter()
        .chain(&["name (read only)", "unit", "edition's cell"])
        .enumerate()
    {
        ws.write_string_with_format(head, c as u16, *name, &bold)?;
    }
    let numbered = catalog
        .indicators()
        .filter(|(_, i)| i.indicator_type != IndicatorType::Bool);
    for (n, (_, i)) in numbered.enumerate() {
        let r = head + 1 + n as u32;
        ws.write_string(r, 0, &i.id)?;
        ws.write_string(r, 5, &i.name_vi)?;
        ws.write_string(r, 6, &i.unit)?;
        let cell = match (&i.national, i.thresholds_found) {
            (Some(n), _) => n
                .value
                .map(|v| format!("{v} ({:?})", n.confidence).to_lowercase())
                .unwrap_or_default(),
            (None, false) => "chưa tìm thấy trong quyết định".to_owned(),
            (None, true) => "tỉnh quy định".to_owned(),
        };
        ws.write_string(r, 7, cell)?;
    }
    ws.set_column_width(0, 14)?;
    ws.set_column_width(5, 60)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template as an official fills it in: the header values, and `rows` of targets.
    fn filled(rows: &[(&str, &str, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let header = [
            "Tuyên Quang",
            "ntm-2021",
            "1",
            "Quyết định 999/QĐ-UBND (minh họa)",
            "2022-09-15",
            "2022-10-01",
        ];
        for (r, (k, v)) in HEADER_KEYS.iter().zip(header).enumerate() {
            ws.write_string(r as u32, 0, *k).unwrap();
            if *k == "version" {
                ws.write_number(r as u32, 1, 1.0).unwrap();
            } else {
                ws.write_string(r as u32, 1, v).unwrap();
            }
        }
        let head = (FIRST_TARGET_ROW - 2) as u32;
        for (c, name) in COLUMNS.iter().enumerate() {
            ws.write_string(head, c as u16, *name).unwrap();
        }
        for (i, (id, threshold, inner)) in rows.iter().enumerate() {
            let r = head + 1 + i as u32;
            ws.write_string(r, 0, *id).unwrap();
            match threshold.parse::<f64>() {
                Ok(v) => ws.write_number(r, 1, v).unwrap(),
                Err(_) => ws.write_string(r, 1, *threshold).unwrap(),
            };
            if !inner.is_empty() {
                ws.write_number(r, 2, inner.parse::<f64>().unwrap())
                    .unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_province_set_filled_in_the_xlsx_template_loads() {
        let set = from_xlsx(&filled(&[("2.4", "70", ""), ("17.1", "95", "20")])).unwrap();
        assert_eq!(
            (set.province.as_str(), set.edition.as_str(), set.version),
            ("Tuyên Quang", "ntm-2021", 1)
        );
        assert_eq!(set.targets["2.4"].threshold, 70.0);
        assert_eq!(set.targets["17.1"].inner, Some(20.0));
    }

    #[test]
    fn a_broken_xlsx_row_is_reported_with_the_sheets_row_number_and_field() {
        let bytes = filled(&[("2.4", "70", ""), ("2.1", "bảy mươi", ""), ("9.9", "5", "")]);
        let SetErrors(errors) = from_xlsx(&bytes).unwrap_err();
        let at: Vec<_> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        let first = FIRST_TARGET_ROW;
        assert_eq!(at, [(first + 1, "threshold"), (first + 2, "indicator")]);
        assert!(
            errors[0].problem.contains("is not a number"),
            "{}",
            errors[0].problem
        );
    }

    #[test]
    fn the_template_lists_each_indicator_that_takes_a_number() {
        use calamine::Reader;
        let e318 = Editions::builtin().get("ntm-2021").unwrap();
        let bytes = template(e318).unwrap();
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        let ids: Vec<String> = range
            .rows()
            .skip(FIRST_TARGET_ROW - 1)
            .map(|r| r[0].to_string())
            .collect();
        assert!(ids.contains(&"2.1".to_owned()) && ids.contains(&"17.8".to_owned()));
        assert!(
            !ids.contains(&"3.1".to_owned()),
            "a yes/no indicator takes no number"
        );
    }
}
