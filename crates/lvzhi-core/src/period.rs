//! Periods: 年, 季, 月, 旬 (上/中/下旬) and ranges (1-11月, any dates).
//!
//! Syntax (the CLI's and the API's): `2026`, `2026Q3`, `2026-11`,
//! `2026-11-1` (上旬; 2 = 中旬, 3 = 下旬), `2026-01..2026-11` (any two periods:
//! from the start of the first to the end of the second) and
//! `2026-01-05..2026-03-10` (dates).

use jiff::civil::Date;
use std::fmt;

/// A span of civil days, inclusive at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Period {
    /// A calendar year.
    Year(i16),
    /// A quarter, 1–4.
    Quarter(i16, i8),
    /// A month, 1–12.
    Month(i16, i8),
    /// A 旬: 1 = 上旬 (days 1–10), 2 = 中旬 (11–20), 3 = 下旬 (21–end).
    Xun(i16, i8, i8),
    /// Any inclusive range of days.
    Range(Date, Date),
}

/// Why a period string does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("期间“{input}”无效：{reason}（示例：2026、2026Q3、2026-11、2026-11-1、2026-01..2026-11）")]
pub struct PeriodError {
    /// What was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

fn err(input: &str, reason: &str) -> PeriodError {
    PeriodError {
        input: input.to_string(),
        reason: reason.to_string(),
    }
}

fn month_end(y: i16, m: i8) -> Option<Date> {
    Date::new(y, m, 1).ok().map(|d| d.last_of_month())
}

impl Period {
    /// Parses the CLI/API syntax described in the module docs.
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let s = input.trim();
        if let Some((a, b)) = s.split_once("..") {
            let pa = Period::parse(a)?;
            let pb = Period::parse(b)?;
            if pb.end() < pa.start() {
                return Err(err(input, "结束早于开始"));
            }
            return Ok(Period::Range(pa.start(), pb.end()));
        }
        if let Some((y, q)) = s.split_once(['Q', 'q']) {
            let y = parse_year(input, y)?;
            let q: i8 = q.parse().map_err(|_| err(input, "季度应为1-4"))?;
            if !(1..=4).contains(&q) {
                return Err(err(input, "季度应为1-4"));
            }
            return Ok(Period::Quarter(y, q));
        }
        let parts: Vec<&str> = s.split('-').collect();
        match parts.as_slice() {
            [y] => Ok(Period::Year(parse_year(input, y)?)),
            [y, m] => Ok(Period::Month(parse_year(input, y)?, parse_month(input, m)?)),
            [y, m, x] if x.len() == 1 => {
                let x: i8 = x
                    .parse()
                    .map_err(|_| err(input, "旬应为1（上旬）、2（中旬）或3（下旬）"))?;
                if !(1..=3).contains(&x) {
                    return Err(err(input, "旬应为1（上旬）、2（中旬）或3（下旬）"));
                }
                Ok(Period::Xun(parse_year(input, y)?, parse_month(input, m)?, x))
            }
            [_, _, _] => {
                let d: Date = s.parse().map_err(|_| err(input, "日期无效"))?;
                Ok(Period::Range(d, d))
            }
            _ => Err(err(input, "无法识别")),
        }
    }

    /// First day.
    pub fn start(&self) -> Date {
        match *self {
            Period::Year(y) => Date::new(y, 1, 1).unwrap_or(Date::MIN),
            Period::Quarter(y, q) => Date::new(y, (q - 1) * 3 + 1, 1).unwrap_or(Date::MIN),
            Period::Month(y, m) => Date::new(y, m, 1).unwrap_or(Date::MIN),
            Period::Xun(y, m, x) => Date::new(y, m, (x - 1) * 10 + 1).unwrap_or(Date::MIN),
            Period::Range(a, _) => a,
        }
    }

    /// Last day (inclusive).
    pub fn end(&self) -> Date {
        match *self {
            Period::Year(y) => Date::new(y, 12, 31).unwrap_or(Date::MAX),
            Period::Quarter(y, q) => month_end(y, q * 3).unwrap_or(Date::MAX),
            Period::Month(y, m) => month_end(y, m).unwrap_or(Date::MAX),
            Period::Xun(y, m, x) => {
                if x < 3 {
                    Date::new(y, m, x * 10).unwrap_or(Date::MAX)
                } else {
                    month_end(y, m).unwrap_or(Date::MAX)
                }
            }
            Period::Range(_, b) => b,
        }
    }

    /// Whether a day lies in the period.
    pub fn contains(&self, d: Date) -> bool {
        self.start() <= d && d <= self.end()
    }

    /// The same span one year earlier (同期). 29 February maps to 28 February.
    pub fn year_before(&self) -> Period {
        match *self {
            Period::Year(y) => Period::Year(y - 1),
            Period::Quarter(y, q) => Period::Quarter(y - 1, q),
            Period::Month(y, m) => Period::Month(y - 1, m),
            Period::Xun(y, m, x) => Period::Xun(y - 1, m, x),
            Period::Range(a, b) => {
                let shift = |d: Date| {
                    let day = if d.month() == 2 && d.day() == 29 { 28 } else { d.day() };
                    // If the range ends on the last day of a month, keep it at month end.
                    let at_end = d == d.last_of_month();
                    let nd = Date::new(d.year() - 1, d.month(), day).unwrap_or(d);
                    if at_end { nd.last_of_month() } else { nd }
                };
                Period::Range(shift(a), shift(b))
            }
        }
    }

    /// The period that an as-of date cuts out of this one: the part up to
    /// `today`, e.g. 2026 as of 2026-11-30 is 2026-01-01..2026-11-30.
    pub fn until(&self, today: Date) -> Period {
        if today >= self.end() {
            *self
        } else if today < self.start() {
            Period::Range(self.start(), self.start())
        } else {
            Period::Range(self.start(), today)
        }
    }

    /// The Chinese label: 2026年, 2026年第三季度, 2026年11月, 2026年11月上旬, 2026年1-11月.
    pub fn label(&self) -> String {
        const Q: [&str; 4] = ["一", "二", "三", "四"];
        const X: [&str; 3] = ["上", "中", "下"];
        match *self {
            Period::Year(y) => format!("{y}年"),
            Period::Quarter(y, q) => format!("{y}年第{}季度", Q[(q - 1) as usize]),
            Period::Month(y, m) => format!("{y}年{m}月"),
            Period::Xun(y, m, x) => format!("{y}年{m}月{}旬", X[(x - 1) as usize]),
            Period::Range(a, b) => {
                let whole_months = a.day() == 1 && b == b.last_of_month();
                if whole_months && a.year() == b.year() {
                    if a.month() == b.month() {
                        format!("{}年{}月", a.year(), a.month())
                    } else {
                        format!("{}年{}-{}月", a.year(), a.month(), b.month())
                    }
                } else {
                    format!("{}至{}", crate::time::date_cn(a), crate::time::date_cn(b))
                }
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Quarter(y, q) => write!(f, "{y}Q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
            Period::Xun(y, m, x) => write!(f, "{y}-{m:02}-{x}"),
            Period::Range(a, b) => write!(f, "{a}..{b}"),
        }
    }
}

fn parse_year(input: &str, y: &str) -> Result<i16, PeriodError> {
    let v: i16 = y.trim().parse().map_err(|_| err(input, "年份无效"))?;
    if !(1900..=2200).contains(&v) {
        return Err(err(input, "年份应在1900-2200之间"));
    }
    Ok(v)
}

fn parse_month(input: &str, m: &str) -> Result<i8, PeriodError> {
    let v: i8 = m.trim().parse().map_err(|_| err(input, "月份应为1-12"))?;
    if !(1..=12).contains(&v) {
        return Err(err(input, "月份应为1-12"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_every_kind() {
        assert_eq!(Period::parse("2026").unwrap(), Period::Year(2026));
        assert_eq!(Period::parse("2026Q3").unwrap(), Period::Quarter(2026, 3));
        assert_eq!(Period::parse("2026-11").unwrap(), Period::Month(2026, 11));
        assert_eq!(Period::parse("2026-11-1").unwrap(), Period::Xun(2026, 11, 1));
        assert_eq!(
            Period::parse("2026-01..2026-11").unwrap(),
            Period::Range(date(2026, 1, 1), date(2026, 11, 30))
        );
        assert!(Period::parse("2026Q5").is_err());
        assert!(Period::parse("2026-13").is_err());
        assert!(Period::parse("2026-11-4").is_err());
        assert!(Period::parse("2026-11..2026-01").is_err());
        assert!(Period::parse("abc").is_err());
    }

    #[test]
    fn xun_boundaries_and_leap_years() {
        assert_eq!(Period::Xun(2026, 2, 3).end(), date(2026, 2, 28));
        assert_eq!(Period::Xun(2028, 2, 3).end(), date(2028, 2, 29));
        assert_eq!(Period::Xun(2026, 11, 2).start(), date(2026, 11, 11));
        assert_eq!(Period::Xun(2026, 11, 2).end(), date(2026, 11, 20));
        assert_eq!(Period::Xun(2026, 12, 3).end(), date(2026, 12, 31));
        assert!(Period::Xun(2026, 11, 1).contains(date(2026, 11, 10)));
        assert!(!Period::Xun(2026, 11, 1).contains(date(2026, 11, 11)));
    }

    #[test]
    fn year_before_keeps_the_span() {
        let p = Period::parse("2026-01..2026-11").unwrap();
        assert_eq!(p.year_before(), Period::Range(date(2025, 1, 1), date(2025, 11, 30)));
        let leap = Period::Range(date(2028, 1, 1), date(2028, 2, 29));
        assert_eq!(leap.year_before(), Period::Range(date(2027, 1, 1), date(2027, 2, 28)));
        let feb = Period::Range(date(2027, 2, 1), date(2027, 2, 28));
        assert_eq!(feb.year_before(), Period::Range(date(2026, 2, 1), date(2026, 2, 28)));
        assert_eq!(Period::Xun(2026, 3, 2).year_before(), Period::Xun(2025, 3, 2));
    }

    #[test]
    fn labels() {
        assert_eq!(Period::Year(2026).label(), "2026年");
        assert_eq!(Period::Quarter(2026, 3).label(), "2026年第三季度");
        assert_eq!(Period::Xun(2026, 11, 1).label(), "2026年11月上旬");
        assert_eq!(Period::parse("2026-01..2026-11").unwrap().label(), "2026年1-11月");
        assert_eq!(Period::Year(2026).until(date(2026, 11, 30)).label(), "2026年1-11月");
    }

    #[test]
    fn display_round_trips() {
        for s in ["2026", "2026Q3", "2026-11", "2026-11-1", "2026-01-01..2026-11-30"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
    }
}
