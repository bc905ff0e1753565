//! Numbers, lengths and dates as the user reads them: Vietnamese conventions by default
//! (24,62 %; 1.830 hộ; 28/11/2026; Asia/Ho_Chi_Minh), English ones when English is chosen.
//!
//! Fluent's own NUMBER() formats digits without locale grouping, so the catalogs receive
//! numbers already formatted by these functions.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

use crate::i18n::Lang;

fn separators(lang: Lang) -> (char, char) {
    match lang {
        // (thousands, decimal)
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    }
}

fn group_thousands(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A whole number with thousands grouped: `1.830` (vi), `1,830` (en).
pub fn int(lang: Lang, n: u64) -> String {
    group_thousands(&n.to_string(), separators(lang).0)
}

/// A decimal number with exactly `decimals` digits after the decimal mark: `24,62` (vi).
/// Non-finite values print as an em dash.
pub fn decimal(lang: Lang, value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    let (thousands, mark) = separators(lang);
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    // "-0,00" reads as a mistake; a value that rounds to zero has no sign.
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    out.push_str(&group_thousands(whole, thousands));
    if !frac.is_empty() {
        out.push(mark);
        out.push_str(frac);
    }
    out
}

/// A percentage (0–100) with two decimals and a space before the sign: `24,62 %`.
pub fn percent(lang: Lang, value: f64) -> String {
    format!("{} %", decimal(lang, value, 2))
}

/// A road length: metres under one kilometre (`850 m`), else km with two decimals (`1,23 km`).
pub fn length_m(lang: Lang, metres: f64) -> String {
    if metres.is_finite() && metres < 1000.0 {
        format!("{} m", decimal(lang, metres.max(0.0), 0))
    } else {
        format!("{} km", decimal(lang, metres / 1000.0, 2))
    }
}

/// Kilometres as the scorecard counts them: `6,60 km`.
pub fn km(lang: Lang, km: f64) -> String {
    format!("{} km", decimal(lang, km, 2))
}

/// A GPS accuracy: `± 4 m`.
pub fn accuracy(lang: Lang, metres: f64) -> String {
    format!("± {} m", decimal(lang, metres, 0))
}

/// A calendar date: `28/11/2026` in both languages (the order Vietnamese forms use).
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A moment in Vietnam time: `28/11/2026 14:05`.
pub fn date_time<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    t.with_timezone(&Ho_Chi_Minh)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// Now, in Vietnam time, with its offset: what `captured_at` and `fix_at` are written as.
pub fn now_local() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&Ho_Chi_Minh).fixed_offset()
}

/// Today in Vietnam.
pub fn today() -> NaiveDate {
    now_local().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_in_vietnam() {
        assert_eq!(int(Lang::Vi, 1830), "1.830");
        assert_eq!(int(Lang::Vi, 1_234_567), "1.234.567");
        assert_eq!(int(Lang::Vi, 12), "12");
        assert_eq!(percent(Lang::Vi, 24.6234), "24,62 %");
        assert_eq!(decimal(Lang::Vi, 1234.5, 1), "1.234,5");
        assert_eq!(km(Lang::Vi, 6.6), "6,60 km");
    }

    #[test]
    fn english_uses_english_separators() {
        assert_eq!(int(Lang::En, 1830), "1,830");
        assert_eq!(percent(Lang::En, 24.6234), "24.62 %");
    }

    #[test]
    fn lengths_switch_to_kilometres_at_one_kilometre() {
        assert_eq!(length_m(Lang::Vi, 849.6), "850 m");
        assert_eq!(length_m(Lang::Vi, 1234.0), "1,23 km");
        assert_eq!(decimal(Lang::Vi, -0.001, 2), "0,00");
        assert_eq!(decimal(Lang::Vi, f64::NAN, 2), "—");
    }

    #[test]
    fn dates_are_day_month_year_in_vietnam_time() {
        let utc_evening = DateTime::parse_from_rfc3339("2020-06-30T18:30:00Z").unwrap();
        assert_eq!(date_time(&utc_evening), "01/07/2020 01:30");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2020, 3, 5).unwrap()),
            "05/03/2020"
        );
        assert_eq!(now_local().offset().local_minus_utc(), 7 * 3600);
    }
}
