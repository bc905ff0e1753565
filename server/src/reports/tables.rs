//! Each report table defined once: its columns (a machine name for CSV, a Vietnamese heading for
//! the spreadsheet) and its cells. The XLSX writer and the CSV writer render the same tables.

use chrono::{DateTime, FixedOffset, NaiveDate};
use ntm_field::scorecard::{Basis, IndicatorScore, Scorecard};

use super::rows::{Common, Rows};
use super::Report;
use crate::dashboard::i18n::{self, Lang};

/// One cell. Enumerations carry both their wire name (CSV) and their Vietnamese label (XLSX).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A number with a fixed number of decimals shown in the spreadsheet.
    Decimal(f64, u8),
    Bool(bool),
    Enum {
        wire: &'static str,
        label: &'static str,
    },
    Date(NaiveDate),
    Time(DateTime<FixedOffset>),
    Empty,
}

impl Cell {
    fn opt(v: Option<f64>, decimals: u8) -> Cell {
        v.map_or(Cell::Empty, |x| Cell::Decimal(x, decimals))
    }

    fn opt_bool(v: Option<bool>) -> Cell {
        v.map_or(Cell::Empty, Cell::Bool)
    }

    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// As written in a CSV file: dot decimals, ISO dates, RFC 3339 times, true/false. A text
    /// that a spreadsheet would run as a formula (a name typed as `=HYPERLINK(...)` on a phone)
    /// gets a leading `'`, which spreadsheets show as text; numbers are `Number` cells, so a
    /// negative figure stays a number.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => neutralised(s),
            Cell::Number(x) | Cell::Decimal(x, _) => {
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    format!("{}", *x as i64)
                } else {
                    format!("{x}")
                }
            }
            Cell::Bool(b) => b.to_string(),
            Cell::Enum { wire, .. } => (*wire).to_owned(),
            Cell::Date(d) => d.to_string(),
            Cell::Time(t) => t.to_rfc3339(),
            Cell::Empty => String::new(),
        }
    }
}

/// A text cell as a spreadsheet will not run it: `'` before a leading `=`, `+`, `-`, `@`, tab
/// or carriage return (the OWASP rule for CSV injection).
fn neutralised(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// A table: column (CSV name, Vietnamese heading) pairs and rows of cells.
#[derive(Debug, Clone)]
pub struct Table {
    pub sheet: &'static str,
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Cell>>,
}

fn vi(key: &str) -> &'static str {
    Lang::Vi.t(key)
}

fn en_key(prefix: &str, wire: &'static str) -> Cell {
    Cell::Enum {
        wire,
        label: vi(&format!("{prefix}.{wire}")),
    }
}

const COMMON_COLUMNS: [(&str, &str); 9] = [
    ("entity_id", "Mã hồ sơ"),
    ("version_id", "Mã phiên bản"),
    ("village_id", "Mã thôn"),
    ("village", "Thôn"),
    ("observed_on", "Ngày quan sát"),
    ("captured_at", "Thời điểm ghi"),
    ("author", "Người ghi"),
    ("in_period", "Quan sát trong kỳ"),
    ("conflict", "Đang xung đột"),
];

fn common(c: &Common) -> Vec<Cell> {
    vec![
        Cell::text(c.entity_id.to_string()),
        Cell::text(c.version_id.to_string()),
        Cell::text(
            c.village_id
                .as_ref()
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
        ),
        Cell::text(c.village_name.clone()),
        Cell::Date(c.observed_on),
        Cell::Time(c.captured_at),
        Cell::text(c.author.clone()),
        Cell::Bool(c.in_period),
        Cell::Bool(c.conflict),
    ]
}

const POSITION_COLUMNS: [(&str, &str); 4] = [
    ("lat", "Vĩ độ"),
    ("lon", "Kinh độ"),
    ("accuracy_m", "Sai số GPS (m)"),
    ("photos", "Số ảnh"),
];

fn position(c: &Common) -> Vec<Cell> {
    vec![
        Cell::opt(c.lat, 6),
        Cell::opt(c.lon, 6),
        Cell::opt(c.accuracy_m, 1),
        Cell::Number(c.photos as f64),
    ]
}

fn cols(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn with_common(specific: &[(&str, &str)], positioned: bool) -> Vec<(String, String)> {
    let mut out = cols(&COMMON_COLUMNS);
    out.extend(cols(specific));
    if positioned {
        out.extend(cols(&POSITION_COLUMNS));
    }
    out
}

pub fn roads(rows: &Rows) -> Table {
    Table {
        sheet: "Đường",
        columns: with_common(
            &[
                ("name", "Tên đoạn đường"),
                ("road_class", "Loại đường"),
                ("surface", "Mặt đường"),
                ("width_m", "Bề rộng (m)"),
                ("status", "Tình trạng"),
                ("works", "Hình thức"),
                ("length_m", "Chiều dài (m)"),
                ("manual_length", "Chiều dài nhập tay"),
                ("counts", "Được tính vào chỉ tiêu"),
                ("track_points", "Số điểm GPS"),
            ],
            true,
        ),
        rows: rows
            .roads
            .iter()
            .map(|r| {
                let mut cells = common(&r.common);
                cells.extend([
                    Cell::text(r.name.clone()),
                    en_key("road", r.road_class.as_str()),
                    en_key("surface", r.surface),
                    Cell::Decimal(r.width_m, 1),
                    en_key("status", r.status),
                    en_key("works", r.works),
                    Cell::Decimal(r.length_m, 1),
                    Cell::Bool(r.manual),
                    Cell::Bool(r.counts),
                    Cell::Number(r.track.len() as f64),
                ]);
                cells.extend(position(&r.common));
                cells
            })
            .collect(),
    }
}

pub fn signs(rows: &Rows) -> Table {
    Table {
        sheet: "Biển báo",
        columns: with_common(
            &[
                ("condition", "Tình trạng biển"),
                ("responsible_household", "Hộ chịu trách nhiệm"),
                ("note", "Ghi chú"),
            ],
            true,
        ),
        rows: rows
            .signs
            .iter()
            .map(|s| {
                let mut cells = common(&s.common);
                cells.extend([
                    en_key("condition", s.condition),
                    Cell::text(s.responsible.clone()),
                    Cell::text(s.note.clone()),
                ]);
                cells.extend(position(&s.common));
                cells
            })
            .collect(),
    }
}

pub fn checks(rows: &Rows) -> Table {
    Table {
        sheet: "Kiểm tra hộ",
        columns: with_common(
            &[
                ("household_code", "Mã hộ"),
                ("head_name", "Chủ hộ"),
                ("toilet_type", "Loại nhà tiêu"),
                ("toilet_meets_standard", "Nhà tiêu đạt QCVN 01:2011/BYT"),
                ("meets_17_6", "Đạt 17.6"),
                ("bathroom_hygienic", "Nhà tắm hợp vệ sinh"),
                ("water_tank_hygienic", "Bể nước hợp vệ sinh"),
                ("three_cleans", "Đủ 3 sạch"),
                ("water_hygienic", "Nước hợp vệ sinh"),
                ("water_clean", "Nước sạch"),
                ("raises_livestock", "Có chăn nuôi"),
                ("meets_17_7", "Chuồng trại đạt 17.7"),
                ("waste_handled", "Xử lý rác"),
                ("drainage_ok", "Thoát nước"),
                ("members", "Số nhân khẩu"),
                ("insured", "Số người có BHYT"),
                ("children_measured", "Trẻ dưới 5 tuổi được đo"),
                ("children_stunted", "Trẻ thấp còi"),
                ("note", "Ghi chú"),
            ],
            false,
        ),
        rows: rows
            .checks
            .iter()
            .map(|c| {
                let mut cells = common(&c.common);
                cells.extend([
                    Cell::text(c.household_code.clone()),
                    Cell::text(c.head_name.clone()),
                    Cell::Enum {
                        wire: c.toilet_type,
                        label: toilet_label(c.toilet_type),
                    },
                    Cell::Bool(c.toilet_meets_standard),
                    Cell::Bool(c.sanitation_17_6),
                    Cell::Bool(c.bathroom_hygienic),
                    Cell::Bool(c.water_tank_hygienic),
                    Cell::Bool(c.three_cleans),
                    Cell::Bool(c.water_hygienic),
                    Cell::Bool(c.water_clean),
                    Cell::Bool(c.raises_livestock),
                    Cell::opt_bool(c.pen_hygienic_17_7),
                    Cell::Bool(c.waste_handled),
                    Cell::Bool(c.drainage_ok),
                    Cell::Number(c.members.into()),
                    Cell::Number(c.insured.into()),
                    Cell::Number(c.children_measured.into()),
                    Cell::Number(c.children_stunted.into()),
                    Cell::text(c.note.clone()),
                ]);
                cells
            })
            .collect(),
    }
}

fn toilet_label(wire: &str) -> &'static str {
    match wire {
        "septic" => "tự hoại",
        "double_vault" => "khô nổi hai ngăn",
        "single_vault" => "khô nổi một ngăn",
        "sunken_dry" => "khô chìm",
        "pour_flush" => "thấm dội nước",
        "none" => "không có",
        _ => "khác",
    }
}

pub fn households(rows: &Rows) -> Table {
    Table {
        sheet: "Hộ gia đình",
        columns: with_common(
            &[
                ("code", "Mã hộ"),
                ("head_name", "Chủ hộ"),
                ("members", "Số nhân khẩu"),
                ("address", "Địa chỉ"),
            ],
            false,
        ),
        rows: rows
            .households
            .iter()
            .map(|h| {
                let mut cells = common(&h.common);
                cells.extend([
                    Cell::text(h.code.clone()),
                    Cell::text(h.head_name.clone()),
                    Cell::Number(h.members.into()),
                    Cell::text(h.address.clone()),
                ]);
                cells
            })
            .collect(),
    }
}

pub fn assessments(rows: &Rows) -> Table {
    Table {
        sheet: "Đánh giá",
        columns: with_common(
            &[
                ("indicator_id", "Chỉ tiêu"),
                ("as_of", "Số liệu tại ngày"),
                ("numerator", "Tử số"),
                ("denominator", "Mẫu số"),
                ("value", "Giá trị"),
                ("met", "Đạt"),
                ("source", "Nguồn"),
            ],
            false,
        ),
        rows: rows
            .assessments
            .iter()
            .map(|a| {
                let mut cells = common(&a.common);
                cells.extend([
                    Cell::text(a.indicator_id.clone()),
                    Cell::Date(a.as_of),
                    Cell::opt(a.numerator, 3),
                    Cell::opt(a.denominator, 3),
                    Cell::opt(a.value, 2),
                    Cell::opt_bool(a.met),
                    Cell::text(a.source.clone()),
                ]);
                cells
            })
            .collect(),
    }
}

fn verdict(met: Option<bool>) -> Cell {
    match met {
        Some(true) => Cell::Enum {
            wire: "met",
            label: "Đạt",
        },
        Some(false) => Cell::Enum {
            wire: "not_met",
            label: "Chưa đạt",
        },
        None => Cell::Enum {
            wire: "unknown",
            label: "Chưa đánh giá",
        },
    }
}

fn basis(b: Basis) -> Cell {
    match b {
        Basis::Field => Cell::Enum {
            wire: "field",
            label: "thực địa",
        },
        Basis::Assessment => Cell::Enum {
            wire: "assessment",
            label: "đánh giá",
        },
        Basis::None => Cell::Enum {
            wire: "none",
            label: "chưa có",
        },
    }
}

/// The unit an indicator's value is shown in: `%` for percentages, else the catalog's unit.
pub fn value_unit(i: &IndicatorScore) -> String {
    use ntm_field::catalog::IndicatorType::*;
    match i.indicator_type {
        PctMin | PctMax | PctMinNested => "%".to_owned(),
        Bool => String::new(),
        _ => i.unit.clone(),
    }
}

/// The indicator details: start and end of the period side by side, with the change.
pub fn indicators(report: &Report) -> Table {
    let start = &report.start;
    Table {
        sheet: "Chỉ tiêu",
        columns: cols(&[
            ("indicator_id", "Mã chỉ tiêu"),
            ("criterion_id", "Tiêu chí"),
            ("name", "Tên chỉ tiêu"),
            ("unit", "Đơn vị"),
            ("numerator_start", "Tử số đầu kỳ"),
            ("denominator_start", "Mẫu số đầu kỳ"),
            ("value_start", "Giá trị đầu kỳ"),
            ("numerator", "Tử số cuối kỳ"),
            ("denominator", "Mẫu số cuối kỳ"),
            ("value", "Giá trị cuối kỳ"),
            ("change", "Thay đổi trong kỳ"),
            ("threshold", "Mức yêu cầu"),
            ("threshold_source", "Cấp quy định mức"),
            ("threshold_citation", "Căn cứ mức"),
            ("threshold_confidence", "Độ tin cậy của mức"),
            ("met_start", "Đánh giá đầu kỳ"),
            ("met", "Đánh giá cuối kỳ"),
            ("gap", "Còn thiếu"),
            ("gap_unit", "Đơn vị còn thiếu"),
            ("checked", "Số hộ đã kiểm tra"),
            ("registered", "Số hộ đăng ký"),
            ("conflicts", "Hồ sơ xung đột"),
            ("basis", "Căn cứ số liệu"),
            ("responsible", "Người phụ trách"),
        ]),
        rows: report
            .end
            .criteria
            .iter()
            .flat_map(|c| c.indicators.iter().map(move |i| (c, i)))
            .map(|(c, i)| {
                let before = start.indicator(&i.id);
                let change = match (before.and_then(|b| b.value), i.value) {
                    (Some(a), Some(b)) => Cell::Decimal(((b - a) * 100.0).round() / 100.0, 2),
                    _ => Cell::Empty,
                };
                vec![
                    Cell::text(i.id.clone()),
                    Cell::text(c.id.clone()),
                    Cell::text(i.name_vi.clone()),
                    Cell::text(value_unit(i)),
                    Cell::opt(before.and_then(|b| b.numerator), 3),
                    Cell::opt(before.and_then(|b| b.denominator), 3),
                    Cell::opt(before.and_then(|b| b.value), 2),
                    Cell::opt(i.numerator, 3),
                    Cell::opt(i.denominator, 3),
                    Cell::opt(i.value, 2),
                    change,
                    Cell::opt(i.threshold, 2),
                    match i.threshold_source {
                        Some(s) => {
                            let wire = match s {
                                ntm_field::catalog::ThresholdSource::Commune => "commune",
                                ntm_field::catalog::ThresholdSource::Province => "province",
                                ntm_field::catalog::ThresholdSource::Region => "region",
                                ntm_field::catalog::ThresholdSource::National => "national",
                            };
                            en_key("source", wire)
                        }
                        None => Cell::Empty,
                    },
                    Cell::text(i.threshold_citation.clone().unwrap_or_default()),
                    match i.threshold_confidence {
                        Some(ntm_field::catalog::Confidence::Confirmed) => {
                            en_key("confidence", "confirmed")
                        }
                        Some(ntm_field::catalog::Confidence::Unconfirmed) => {
                            en_key("confidence", "unconfirmed")
                        }
                        None => Cell::Empty,
                    },
                    verdict(before.and_then(|b| b.met)),
                    verdict(i.met),
                    Cell::opt(i.gap, 3),
                    match i.gap_unit {
                        Some(u) => {
                            let wire = gap_unit_wire(u);
                            Cell::Enum {
                                wire,
                                label: vi(&format!("unit.{wire}")),
                            }
                        }
                        None => Cell::Empty,
                    },
                    i.coverage
                        .map_or(Cell::Empty, |c| Cell::Number(c.checked as f64)),
                    i.coverage
                        .map_or(Cell::Empty, |c| Cell::Number(c.registered as f64)),
                    Cell::Number(i.conflicts as f64),
                    basis(i.basis),
                    Cell::text(
                        i.responsible
                            .clone()
                            .or_else(|| c.responsible.clone())
                            .unwrap_or_default(),
                    ),
                ]
            })
            .collect(),
    }
}

pub fn gap_unit_wire(u: ntm_field::scorecard::GapUnit) -> &'static str {
    use ntm_field::scorecard::GapUnit::*;
    match u {
        Km => "km",
        Households => "households",
        People => "people",
        Children => "children",
        PercentagePoints => "percentage_points",
        MillionVndPerPersonYear => "million_vnd_per_person_year",
        Count => "count",
    }
}

/// The 19 criteria, met at the start and at the end of the period.
pub fn criteria(report: &Report) -> Table {
    Table {
        sheet: "Tổng hợp",
        columns: cols(&[
            ("criterion_id", "Tiêu chí"),
            ("name", "Tên tiêu chí"),
            ("met_start", "Đầu kỳ"),
            ("met", "Cuối kỳ"),
            ("changed", "Thay đổi"),
            ("responsible", "Người phụ trách"),
        ]),
        rows: report
            .end
            .criteria
            .iter()
            .map(|c| {
                let before = report.start.criterion(&c.id).and_then(|b| b.met);
                vec![
                    Cell::text(c.id.clone()),
                    Cell::text(c.name_vi.clone()),
                    verdict(before),
                    verdict(c.met),
                    Cell::Bool(before != c.met),
                    Cell::text(c.responsible.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    }
}

/// Per village: each activity measure against its quota, then each indicator with village figures.
pub fn villages(report: &Report) -> Table {
    let card: &Scorecard = &report.end;
    let mut columns = cols(&[("village_id", "Mã thôn"), ("village", "Thôn")]);
    for m in &card.measures {
        let id = m.id.as_str();
        columns.push((id.to_owned(), vi(&format!("measure.{id}")).to_owned()));
        columns.push((
            format!("{id}_quota"),
            format!("{} – chỉ tiêu giao", vi(&format!("measure.{id}"))),
        ));
    }
    let village_indicators: Vec<&IndicatorScore> = card
        .criteria
        .iter()
        .flat_map(|c| &c.indicators)
        .filter(|i| i.villages.iter().any(|v| v.value.is_some()))
        .collect();
    for i in &village_indicators {
        columns.push((
            format!("indicator_{}", i.id),
            format!("{} {} ({})", i.id, i.name_vi, value_unit(i)),
        ));
    }
    let rows = report
        .config
        .commune
        .villages
        .iter()
        .map(|v| {
            let mut cells = vec![Cell::text(v.id.as_str()), Cell::text(v.name.clone())];
            for m in &card.measures {
                let vm = m.villages.iter().find(|x| x.village_id == v.id);
                cells.push(vm.map_or(Cell::Empty, |x| Cell::Decimal(x.value, 3)));
                cells.push(Cell::opt(vm.and_then(|x| x.quota), 3));
            }
            for i in &village_indicators {
                cells.push(Cell::opt(
                    i.villages
                        .iter()
                        .find(|x| x.village_id == v.id)
                        .and_then(|x| x.value),
                    2,
                ));
            }
            cells
        })
        .collect();
    Table {
        sheet: "Theo thôn",
        columns,
        rows,
    }
}

/// The CSV kinds, by the name `?kind=` takes.
pub const CSV_KINDS: [&str; 7] = [
    "road_segment",
    "trash_sign",
    "household_check",
    "household",
    "assessment",
    "indicators",
    "villages",
];

/// A table by CSV kind name.
pub fn by_kind(report: &Report, kind: &str) -> Option<Table> {
    Some(match kind {
        "road_segment" => roads(&report.rows),
        "trash_sign" => signs(&report.rows),
        "household_check" => checks(&report.rows),
        "household" => households(&report.rows),
        "assessment" => assessments(&report.rows),
        "indicators" => indicators(report),
        "villages" => villages(report),
        _ => return None,
    })
}

/// Writes a table as CSV (UTF-8, comma-separated, header line of machine names).
pub fn to_csv(table: &Table) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(table.columns.iter().map(|(name, _)| name.as_str()))
        .expect("writing to memory");
    for row in &table.rows {
        w.write_record(row.iter().map(Cell::csv))
            .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// A human label of a date span for headings: `01/01/2020 – 31/03/2020`.
pub fn span(start: NaiveDate, end: NaiveDate) -> String {
    format!("{} – {}", i18n::date(start), i18n::date(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_export_opened_in_a_spreadsheet_runs_no_formula_typed_on_a_phone() {
        let table = Table {
            sheet: "Hộ gia đình",
            columns: vec![
                ("head_name".into(), "Chủ hộ".into()),
                ("n".into(), "Số".into()),
            ],
            rows: [
                "=HYPERLINK(\"http://x\",\"bấm\")",
                "+84 912",
                "-1+2",
                "@SUM(A1)",
                "\tcmd",
                "\rcmd",
                "Nguyễn Văn A",
                "a=b",
            ]
            .into_iter()
            .map(|name| vec![Cell::text(name), Cell::Number(-3.0)])
            .collect(),
        };
        let csv = String::from_utf8(to_csv(&table)).unwrap();
        let cells: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        let names: Vec<&str> = cells.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            names,
            [
                "'=HYPERLINK(\"http://x\",\"bấm\")",
                "'+84 912",
                "'-1+2",
                "'@SUM(A1)",
                "'\tcmd",
                "'\rcmd",
                "Nguyễn Văn A",
                "a=b",
            ]
        );
        // A negative figure is data: it stays a number the spreadsheet can sum.
        assert!(cells.iter().all(|r| r[1] == "-3"));
    }
}
