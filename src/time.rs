//! Dates as the commune lives them: every phone and report runs on Asia/Ho_Chi_Minh.

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Asia::Ho_Chi_Minh;

/// The local calendar day (Asia/Ho_Chi_Minh) on which something happened, whatever offset the
/// device wrote.
pub fn local_date(t: &DateTime<FixedOffset>) -> NaiveDate {
    t.with_timezone(&Ho_Chi_Minh).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_date_uses_vietnam_time() {
        let utc_evening = DateTime::parse_from_rfc3339("2020-06-30T18:30:00Z").unwrap();
        assert_eq!(
            local_date(&utc_evening),
            NaiveDate::from_ymd_opt(2020, 7, 1).unwrap()
        );
        let local = DateTime::parse_from_rfc3339("2020-06-30T23:59:59+07:00").unwrap();
        assert_eq!(
            local_date(&local),
            NaiveDate::from_ymd_opt(2020, 6, 30).unwrap()
        );
    }
}
