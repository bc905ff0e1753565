//! The period report as an XLSX workbook in Vietnamese (rust_xlsxwriter): a summary of the 19
//! criteria at the period's start and end, the indicator details, the villages, and one sheet
//! per kind of record. Numbers are real numeric cells, so officials can sum and chart them.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::tables::{self, Cell, Table};
use super::Report;
use crate::dashboard::i18n;

struct Formats {
    title: Format,
    bold: Format,
    header: Format,
    text: Format,
    decimals: [Format; 4],
    integer: Format,
    met: Format,
    not_met: Format,
}

impl Formats {
    fn new() -> Formats {
        let border = |f: Format| f.set_border(FormatBorder::Thin);
        let decimals = |n: usize| {
            let fmt = if n == 0 {
                "#,##0".to_owned()
            } else {
                format!("#,##0.{}", "0".repeat(n))
            };
            border(Format::new().set_num_format(fmt))
        };
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            header: border(
                Format::new()
                    .set_bold()
                    .set_text_wrap()
                    .set_background_color(Color::RGB(0xDDE6F0))
                    .set_align(FormatAlign::Center),
            ),
            text: border(Format::new()),
            decimals: [decimals(0), decimals(1), decimals(2), decimals(3)],
            integer: decimals(0),
            met: border(
                Format::new()
                    .set_bold()
                    .set_font_color(Color::RGB(0x006100))
                    .set_background_color(Color::RGB(0xC6EFCE)),
            ),
            not_met: border(
                Format::new()
                    .set_bold()
                    .set_font_color(Color::RGB(0x9C0006))
                    .set_background_color(Color::RGB(0xFFC7CE)),
            ),
        }
    }
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) => ws.write_string_with_format(row, col, s, &f.text)?,
        Cell::Number(x) => ws.write_number_with_format(row, col, *x, &f.integer)?,
        Cell::Decimal(x, d) => {
            // Show only the decimals the value has (6.4 km, not 6.400), up to the column's precision.
            let shown = (0..*d as usize).find(|n| {
                ((x * 10f64.powi(*n as i32)).round() - x * 10f64.powi(*n as i32)).abs() < 1e-9
            });
            let fmt = &f.decimals[shown.unwrap_or(*d as usize).min(3)];
            ws.write_number_with_format(row, col, *x, fmt)?
        }
        Cell::Bool(b) => {
            ws.write_string_with_format(row, col, if *b { "Có" } else { "Không" }, &f.text)?
        }
        Cell::Enum { wire, label } => {
            let fmt = match *wire {
                "met" => &f.met,
                "not_met" => &f.not_met,
                _ => &f.text,
            };
            ws.write_string_with_format(row, col, *label, fmt)?
        }
        Cell::Date(d) => ws.write_string_with_format(row, col, i18n::date(*d), &f.text)?,
        Cell::Time(t) => ws.write_string_with_format(row, col, i18n::datetime_fixed(t), &f.text)?,
        Cell::Empty => ws.write_blank(row, col, &f.text)?,
    };
    Ok(())
}

/// Writes `table` from `first_row`, with a frozen, filterable header. Returns the next free row.
fn write_table(
    ws: &mut Worksheet,
    table: &Table,
    first_row: u32,
    f: &Formats,
) -> Result<u32, XlsxError> {
    for (c, (_, heading)) in table.columns.iter().enumerate() {
        ws.write_string_with_format(first_row, c as u16, heading, &f.header)?;
        let width = heading.chars().count().clamp(10, 40) as f64 + 2.0;
        ws.set_column_width(c as u16, width)?;
    }
    for (r, cells) in table.rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            write_cell(ws, first_row + 1 + r as u32, c as u16, cell, f)?;
        }
    }
    let last_row = first_row + table.rows.len() as u32;
    if !table.columns.is_empty() {
        ws.autofilter(
            first_row,
            0,
            last_row.max(first_row),
            table.columns.len() as u16 - 1,
        )?;
        ws.set_freeze_panes(first_row + 1, 0)?;
    }
    Ok(last_row + 1)
}

/// The workbook's bytes.
pub fn write(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let commune = &report.config.commune;

    let criteria = tables::criteria(report);
    let ws = wb.add_worksheet();
    ws.set_name(criteria.sheet)?;
    ws.write_string_with_format(
        0,
        0,
        "BÁO CÁO KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI",
        &f.title,
    )?;
    let place = match &commune.district {
        Some(d) => format!(
            "Xã {}, huyện {}, tỉnh {}",
            commune.name, d, commune.province
        ),
        None => format!("Xã {}, tỉnh {}", commune.name, commune.province),
    };
    ws.write_string(1, 0, place)?;
    let p = &report.period;
    let summary: [(&str, Cell); 9] = [
        (
            "Kỳ báo cáo",
            Cell::Text(format!("{} ({})", p.label_vi, tables::span(p.start, p.end))),
        ),
        (
            "Số tiêu chí đạt đầu kỳ",
            Cell::Number(report.start.criteria_met as f64),
        ),
        (
            "Số tiêu chí đạt cuối kỳ",
            Cell::Number(report.end.criteria_met as f64),
        ),
        (
            "Tổng số tiêu chí",
            Cell::Number(report.end.criteria_total as f64),
        ),
        (
            "Bộ tiêu chí áp dụng",
            Cell::Text(format!(
                "{} ({}): {}/{}",
                report.end.edition.decision,
                report.end.edition.period,
                report.end.criteria_met,
                report.end.criteria_total
            )),
        ),
        (
            "Hồ sơ đang xung đột",
            Cell::Number(report.end.conflicts as f64),
        ),
        (
            "Đường hoàn thành trong kỳ được tính vào chỉ tiêu (km)",
            Cell::Decimal(
                report
                    .rows
                    .roads
                    .iter()
                    .filter(|r| r.common.in_period && r.counts)
                    .map(|r| r.length_m)
                    .sum::<f64>()
                    / 1000.0,
                3,
            ),
        ),
        (
            "Biển báo cắm trong kỳ / Hộ được kiểm tra trong kỳ",
            Cell::Text(format!(
                "{} / {}",
                report
                    .rows
                    .signs
                    .iter()
                    .filter(|s| s.common.in_period && s.condition != "missing")
                    .count(),
                report
                    .rows
                    .checks
                    .iter()
                    .filter(|c| c.common.in_period)
                    .count()
            )),
        ),
        ("Lập lúc", Cell::Text(i18n::datetime(report.generated_at))),
    ];
    for (i, (label, value)) in summary.iter().enumerate() {
        let row = 3 + i as u32;
        ws.write_string_with_format(row, 0, *label, &f.bold)?;
        write_cell(ws, row, 1, value, &f)?;
    }
    let table_row = 3 + summary.len() as u32 + 1;
    write_table(ws, &criteria, table_row, &f)?;
    ws.set_column_width(0, 44)?;
    ws.set_column_width(1, 48)?;
    ws.set_column_width(5, 50)?;

    for table in [
        tables::indicators(report),
        tables::villages(report),
        tables::roads(&report.rows),
        tables::signs(&report.rows),
        tables::checks(&report.rows),
        tables::households(&report.rows),
        tables::assessments(&report.rows),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(table.sheet)?;
        write_table(ws, &table, 0, &f)?;
    }
    wb.save_to_buffer()
}
