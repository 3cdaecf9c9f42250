//! Time: stored as UTC instants, shown as Asia/Shanghai civil dates
//! ("2026年11月25日"). Nothing here reads the clock; callers pass `now` in.

use jiff::{Timestamp, civil::Date, tz::TimeZone};

/// The time zone every date is shown in.
pub fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::fixed(jiff::tz::offset(8)))
}

/// The civil date in Shanghai at an instant.
pub fn local_date(t: Timestamp) -> Date {
    t.to_zoned(shanghai()).date()
}

/// A date as reports print it: 2026年11月25日.
pub fn date_cn(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// An instant in the fixed-width UTC form the store keeps
/// (`2026-11-25T01:02:03.000004Z`), so that text order is time order.
pub fn stamp(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Parses a date in any of the forms a clerk writes: 2026-03-05, 2026/3/5,
/// 2026.3.5, 2026年3月5日, 20260305.
pub fn parse_date(input: &str) -> Option<Date> {
    let s = crate::money::normalize_digits(input.trim());
    let s = s.trim_end_matches('日');
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).collect();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] => (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        [one] if one.len() == 8 && one.chars().all(|c| c.is_ascii_digit()) => {
            (one[..4].parse().ok()?, one[4..6].parse().ok()?, one[6..].parse().ok()?)
        }
        _ => return None,
    };
    if !(1900..=2200).contains(&y) {
        return None;
    }
    Date::new(y, m, d).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn dates_in_every_form() {
        for s in [
            "2026-03-05",
            "2026/3/5",
            "2026.3.5",
            "2026年3月5日",
            "20260305",
            "２０２６年３月５日",
        ] {
            assert_eq!(parse_date(s), Some(date(2026, 3, 5)), "{s}");
        }
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("明天"), None);
        assert_eq!(date_cn(date(2026, 11, 25)), "2026年11月25日");
    }

    #[test]
    fn shanghai_date_of_a_utc_instant() {
        let t: Timestamp = "2026-11-24T16:30:00Z".parse().unwrap();
        assert_eq!(local_date(t), date(2026, 11, 25));
        assert_eq!(stamp(t), "2026-11-24T16:30:00.000000Z");
    }
}
