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

/// The warning of an item due on `deadline`, seen on `today`.
pub fn warning(deadline: Option<Date>, today: Date, warn_days: i32, open: bool) -> Warning {
    let Some(d) = deadline else { return Warning::None };
    if !open {
        return Warning::None;
    }
    if today > d {
        Warning::Red
    } else if (d - today).get_days() <= warn_days {
        Warning::Yellow
    } else {
        Warning::None
    }
}

/// The first day on which an item due on `deadline` turns yellow.
pub fn yellow_from(deadline: Date, warn_days: i32) -> Date {
    deadline
        .checked_sub(jiff::Span::new().days(warn_days))
        .unwrap_or(deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn colours_at_the_edges() {
        let d = Some(date(2026, 11, 30));
        assert_eq!(warning(d, date(2026, 11, 26), 3, true), Warning::None);
        assert_eq!(warning(d, date(2026, 11, 27), 3, true), Warning::Yellow);
        assert_eq!(warning(d, date(2026, 11, 30), 3, true), Warning::Yellow);
        assert_eq!(warning(d, date(2026, 12, 1), 3, true), Warning::Red);
        assert_eq!(warning(d, date(2026, 12, 1), 3, false), Warning::None);
        assert_eq!(warning(None, date(2026, 12, 1), 3, true), Warning::None);
        assert_eq!(yellow_from(date(2026, 11, 30), 3), date(2026, 11, 27));
    }
}
