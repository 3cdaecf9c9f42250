//! Small helpers: civil dates around the demo's "today", exact amounts in
//! hundredths, JSON rows.

use crate::Row;
use crate::rng::Rng;
use jiff::civil::Date;
use serde_json::{Map, Value};

/// A civil date (invalid input gives the demo's today).
pub fn date(y: i16, m: i8, d: i8) -> Date {
    Date::new(y, m, d).unwrap_or_else(|_| today())
}

/// The demo's today: 2026-11-25.
pub fn today() -> Date {
    Date::new(2026, 11, 25).unwrap_or(Date::MIN)
}

/// `d` plus `days` (saturating at the calendar's ends).
pub fn add(d: Date, days: i64) -> Date {
    d.checked_add(jiff::Span::new().days(days)).unwrap_or(d)
}

/// Days from `a` to `b`.
pub fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

/// A day in `a..=b`.
pub fn between(rng: &mut Rng, a: Date, b: Date) -> Date {
    let n = days_between(a, b).max(0);
    add(a, rng.range(0, n))
}

/// The first and last day of a year's part that the demo covers: 2025 whole,
/// 2026 up to today.
pub fn year_span(year: i16) -> (Date, Date) {
    if year >= 2026 {
        (date(2026, 1, 1), today())
    } else {
        (date(year, 1, 1), date(year, 12, 31))
    }
}

/// An amount given in hundredths of 万元, as the text a clerk types ("123.45万元").
pub fn wan(hundredths: i64) -> String {
    format!("{}万元", dec2(hundredths))
}

/// A number given in hundredths, with two decimals ("123.45").
pub fn dec2(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let a = hundredths.abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// A JSON object's map (an empty map for anything else).
pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A record to create in `state`.
pub fn row(state: &str, v: Value) -> Row {
    (obj(v), Some(state.to_string()))
}

/// A record of a ledger without a workflow.
pub fn plain(v: Value) -> Row {
    (obj(v), None)
}
