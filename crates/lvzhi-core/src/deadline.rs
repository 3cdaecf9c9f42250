//! Red and yellow warnings (红黄牌预警) of an open item on a given day.

use jiff::civil::Date;
use serde::Serialize;

/// The warning colour of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// No deadline, closed, or more than `warn_days` away.
    None,
    /// Due within `warn_days` days (inclusive), not yet overdue: 黄色预警.
    Yellow,
    /// Past its deadline and still open: 红色预警 (超期).
    Red,
}

impl Warning {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Warning::None => "正常",
            Warning::Yellow => "临期",
            Warning::Red => "超期",
        }
    }
    /// The key used in the API (`none`, `yellow`, `red`).
    pub fn key(self) -> &'static str {
        match self {
            Warning::None => "none",
            Warning::Yellow => "yellow",
            Warning::Red => "red",
        }
    }
}

/// The warning of an item due on `deadline`, seen on `today`, where items due
/// up to `yellow_until` are 临期 (see `DeadlineRule::yellow_until`, which
/// counts the warning days in calendar or working days).
pub fn warning(deadline: Option<Date>, today: Date, yellow_until: Date, open: bool) -> Warning {
    let Some(d) = deadline else { return Warning::None };
    if !open {
        return Warning::None;
    }
    if today > d {
        Warning::Red
    } else if d <= yellow_until {
        Warning::Yellow
    } else {
        Warning::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn colours_at_the_edges() {
        let d = Some(date(2026, 11, 30));
        let until = |t: jiff::civil::Date| t.checked_add(jiff::Span::new().days(3)).unwrap();
        let w = |t| warning(d, t, until(t), true);
        assert_eq!(w(date(2026, 11, 26)), Warning::None);
        assert_eq!(w(date(2026, 11, 27)), Warning::Yellow);
        assert_eq!(w(date(2026, 11, 30)), Warning::Yellow);
        assert_eq!(w(date(2026, 12, 1)), Warning::Red);
        assert_eq!(warning(d, date(2026, 12, 1), date(2026, 12, 4), false), Warning::None);
        assert_eq!(warning(None, date(2026, 12, 1), date(2026, 12, 4), true), Warning::None);
    }

    #[test]
    fn yellow_counts_working_days_where_the_ledger_says_so() {
        use crate::calendar::Calendar;
        use crate::ledger::{DayCount, DeadlineRule};
        let cal = Calendar::embedded();
        let working = DeadlineRule {
            warn_days: 3,
            default_days: None,
            count: DayCount::WorkingDays,
            ..Default::default()
        };
        let calendar = DeadlineRule {
            count: DayCount::CalendarDays,
            ..working.clone()
        };
        // Due Monday 2026-10-12, seen on Wednesday 9月30日: 12 calendar days away,
        // but only 4 working days (10月8、9、10(调休)、12日) — not yet yellow;
        // seen on 10月8日 it is 3 working days away — yellow.
        let d = Some(date(2026, 10, 12));
        let seen = |t, r: &DeadlineRule| warning(d, t, r.yellow_until(&cal, t).unwrap(), true);
        assert_eq!(seen(date(2026, 9, 30), &working), Warning::None);
        assert_eq!(seen(date(2026, 10, 8), &working), Warning::Yellow);
        assert_eq!(seen(date(2026, 10, 8), &calendar), Warning::None);
        assert_eq!(seen(date(2026, 10, 9), &calendar), Warning::Yellow);
        // 春节 2026: due Wednesday 2月25日, seen on Friday 2月13日: 13, 14 (调休),
        // 24, 25 → 3 working days after the 13th → yellow; on 2月12日 it is 4.
        let d = Some(date(2026, 2, 25));
        let seen = |t| warning(d, t, working.yellow_until(&cal, t).unwrap(), true);
        assert_eq!(seen(date(2026, 2, 12)), Warning::None);
        assert_eq!(seen(date(2026, 2, 13)), Warning::Yellow);
        // The year's edge: on 12月30日 2026, three working days ahead run into
        // 2027's provisional plan (元旦 1月1日 only: 31日, 4日, 5日).
        assert_eq!(working.yellow_until(&cal, date(2026, 12, 30)), Ok(date(2027, 1, 5)));
        assert_eq!(calendar.yellow_until(&cal, date(2026, 12, 30)), Ok(date(2027, 1, 2)));
        // 2028 has no plan at all: refused.
        assert!(working.yellow_until(&cal, date(2027, 12, 29)).is_err());
    }
}
