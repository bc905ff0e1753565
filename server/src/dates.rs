//! Dates and times read from queries and bodies. Only years 2000 to 2100 are accepted, so that
//! nothing downstream (report periods, month arithmetic, the shift to Vietnam time) meets a date
//! it cannot handle: an out-of-range value is the caller's 400, never the server's panic.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// The years a date given to the server may fall in.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Whether a date is one the server accepts.
pub fn accepted(d: NaiveDate) -> bool {
    YEARS.contains(&d.year())
}

/// A `YYYY-MM-DD` date from 2000 to 2100.
pub fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| accepted(*d))
}

/// An RFC 3339 time, or a `YYYY-MM-DD` date meaning the start of that day in Vietnam, from 2000
/// to 2100.
pub fn instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return accepted(t.date_naive()).then(|| t.with_timezone(&Utc));
    }
    let midnight = date(s)?.and_hms_opt(0, 0, 0)?;
    Some(DateTime::from_naive_utc_and_offset(
        midnight - chrono::Duration::hours(7),
        Utc,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_2000_to_2100_are_refused_not_shifted() {
        for (s, ok) in [
            ("2000-01-01", true),
            ("2100-12-31", true),
            ("2020-02-29", true),
            ("1999-12-31", false),
            ("2101-01-01", false),
            ("-262143-01-01", false),
            ("+262142-12-31", false),
            ("2021-02-29", false),
            ("2020-1-1x", false),
            ("", false),
        ] {
            assert_eq!(date(s).is_some(), ok, "{s}");
            assert_eq!(instant(s).is_some(), ok, "{s}");
        }
        assert_eq!(
            instant("2020-03-01").map(|t| t.to_rfc3339()),
            Some("2020-02-29T17:00:00+00:00".into())
        );
        assert!(instant("2020-03-01T08:00:00+07:00").is_some());
        assert!(instant("1970-01-01T00:00:00Z").is_none());
        assert!(instant("9999-12-31T23:59:59Z").is_none());
    }
}
