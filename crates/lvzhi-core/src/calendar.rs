//! The working-day calendar (工作日): official holidays and the weekend days
//! worked in exchange (调休上班), one plan a year.
//!
//! The State Council publishes each year's arrangement in November of the year
//! before. The plans of the years published when this build was made are
//! embedded (`data/calendar.toml`, with its sources); later years are loaded by
//! the admin into the database and replace or extend the embedded ones
//! ([`Calendar::with`]). A day in a year without a plan is an error
//! ([`CalendarError::MissingYear`]), never a silent count of calendar days.

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The embedded plans (see the file's header for the sources).
const EMBEDDED: &str = include_str!("../data/calendar.toml");

/// The provisional (暂定) plans of years whose official arrangement is not
/// published: the statutory holidays only (see the file's header).
const PROVISIONAL: &str = include_str!("../data/calendar-provisional.toml");

/// Why a working-day count could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The holiday plan of a year is not in the calendar.
    #[error("{0}年的节假日安排尚未录入，请管理员在日历中补充")]
    MissingYear(i16),
}

/// One holiday of a year's plan: its days off and the weekend days worked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// 春节, 国庆节…
    pub name: String,
    /// First day off.
    pub from: Date,
    /// Last day off (inclusive).
    pub to: Date,
    /// Saturdays and Sundays worked in exchange (调休上班).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workdays: Vec<Date>,
}

/// A year's arrangement as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearPlan {
    /// The year.
    pub year: i16,
    /// Where it comes from (the notice's title, number and date).
    #[serde(default)]
    pub source: String,
    /// A provisional plan (暂定): the statutory holidays only, used until the
    /// official arrangement is published and loaded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
    /// The holidays.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    years: Vec<YearPlan>,
}

/// What a day is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Day {
    /// A normal weekday.
    Working,
    /// A Saturday or Sunday worked for a holiday (调休上班).
    MakeUp(String),
    /// A normal Saturday or Sunday.
    Weekend,
    /// A holiday day off (放假).
    Holiday(String),
}

impl Day {
    /// Whether offices work that day.
    pub fn is_working(&self) -> bool {
        matches!(self, Day::Working | Day::MakeUp(_))
    }
}

/// The calendar: the plans of the known years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i16, YearPlan>,
    off: BTreeMap<Date, String>,
    on: BTreeMap<Date, String>,
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl Calendar {
    /// The plans embedded in the build: the official ones (2025 and 2026)
    /// over the provisional ones (2027, 暂定).
    pub fn embedded() -> Calendar {
        // The embedded files are checked by a test; an unreadable one gives
        // no plan for its years, which refuses their working-day counts by name.
        let provisional = Calendar::parse(PROVISIONAL).unwrap_or_default();
        let official = Calendar::parse(EMBEDDED).unwrap_or_default();
        Calendar::default().with(provisional).with(official)
    }

    /// Whether the plan of `year` is provisional (暂定).
    pub fn is_provisional(&self, year: i16) -> bool {
        self.years.get(&year).is_some_and(|p| p.provisional)
    }

    /// The provisional years a working-day count from `from` to `to` passes
    /// through (the days after `from` up to `to`); empty when every day counted
    /// is in an official plan.
    pub fn provisional_years(&self, from: Date, to: Date) -> Vec<i16> {
        let first = from.tomorrow().map(|d| d.year()).unwrap_or(from.year());
        (first..=to.year()).filter(|y| self.is_provisional(*y)).collect()
    }

    /// Parses and checks plans in the file format (`[[years]]` tables, see
    /// `data/calendar.toml`). The error is Chinese and names the problem.
    pub fn parse(text: &str) -> Result<Vec<YearPlan>, String> {
        let file: CalendarFile = toml::from_str(text).map_err(|e| format!("日历文件格式错误：{e}"))?;
        let mut seen = std::collections::BTreeSet::new();
        for p in &file.years {
            if !seen.insert(p.year) {
                return Err(format!("{}年出现了两次", p.year));
            }
            p.check()?;
        }
        Ok(file.years)
    }

    /// This calendar with `plans` added; a plan replaces the same year's.
    pub fn with(mut self, plans: impl IntoIterator<Item = YearPlan>) -> Calendar {
        for p in plans {
            self.years.insert(p.year, p);
        }
        self.off.clear();
        self.on.clear();
        for p in self.years.values() {
            for h in &p.holidays {
                let mut d = h.from;
                while d <= h.to {
                    self.off.insert(d, h.name.clone());
                    let Ok(n) = d.tomorrow() else { break };
                    d = n;
                }
                for w in &h.workdays {
                    self.on.insert(*w, h.name.clone());
                }
            }
        }
        self
    }

    /// The years with a plan.
    pub fn years(&self) -> impl Iterator<Item = &YearPlan> {
        self.years.values()
    }

    /// The plan of one year.
    pub fn plan(&self, year: i16) -> Option<&YearPlan> {
        self.years.get(&year)
    }

    /// What `d` is; an error if its year has no plan.
    pub fn day(&self, d: Date) -> Result<Day, CalendarError> {
        if !self.years.contains_key(&d.year()) {
            return Err(CalendarError::MissingYear(d.year()));
        }
        Ok(if let Some(n) = self.off.get(&d) {
            Day::Holiday(n.clone())
        } else if let Some(n) = self.on.get(&d) {
            Day::MakeUp(n.clone())
        } else if is_weekend(d) {
            Day::Weekend
        } else {
            Day::Working
        })
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: Date) -> Result<bool, CalendarError> {
        Ok(self.day(d)?.is_working())
    }

    /// The day `n` working days after `start`: the start day itself is not
    /// counted (自…之日起N个工作日), so 0 gives `start`.
    pub fn add_working_days(&self, start: Date, n: i32) -> Result<Date, CalendarError> {
        let mut d = start;
        let mut left = n.max(0);
        while left > 0 {
            d = d.tomorrow().map_err(|_| CalendarError::MissingYear(start.year()))?;
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// The working days after `from` up to and including `to` (0 if `to` is not after `from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<i32, CalendarError> {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.tomorrow().map_err(|_| CalendarError::MissingYear(from.year()))?;
            if self.is_working_day(d)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

impl YearPlan {
    /// Checks a plan: days in or next to its year, ranges in order, 调休 days on weekends.
    pub fn check(&self) -> Result<(), String> {
        let y = self.year;
        if !(1990..=2200).contains(&y) {
            return Err(format!("年份{y}无效"));
        }
        let near = |d: Date| (y - 1..=y + 1).contains(&d.year());
        for h in &self.holidays {
            if h.name.trim().is_empty() {
                return Err(format!("{y}年有一个节日没有名称"));
            }
            if h.from > h.to {
                return Err(format!("{y}年{}：放假起始日{}晚于结束日{}", h.name, h.from, h.to));
            }
            if !near(h.from) || !near(h.to) || (h.to - h.from).get_days() > 31 {
                return Err(format!("{y}年{}：放假日期{}至{}不在该年度", h.name, h.from, h.to));
            }
            for w in &h.workdays {
                if !near(*w) {
                    return Err(format!("{y}年{}：调休上班日{w}不在该年度", h.name));
                }
                if !is_weekend(*w) {
                    return Err(format!("{y}年{}：调休上班日{w}不是周六或周日", h.name));
                }
            }
        }
        Ok(())
    }

    /// The plan in the file format (one `[[years]]` table), for showing and editing.
    pub fn to_toml(&self) -> String {
        // Written by hand: the toml crate is built without its writer here.
        let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        let mut out = format!("[[years]]\nyear = {}\n", self.year);
        if self.provisional {
            out.push_str("provisional = true\n");
        }
        out.push_str(&format!("source = {}\nholidays = [\n", q(&self.source)));
        for h in &self.holidays {
            out.push_str(&format!(
                "  {{ name = {}, from = \"{}\", to = \"{}\"",
                q(&h.name),
                h.from,
                h.to
            ));
            if !h.workdays.is_empty() {
                let w: Vec<String> = h.workdays.iter().map(|d| format!("\"{d}\"")).collect();
                out.push_str(&format!(", workdays = [{}]", w.join(", ")));
            }
            out.push_str(" },\n");
        }
        out.push_str("]\n");
        out
    }

    /// The plan as lines a person reads: one line a holiday.
    pub fn describe(&self) -> Vec<String> {
        let cn = crate::time::date_cn;
        self.holidays
            .iter()
            .map(|h| {
                let days = (h.to - h.from).get_days() + 1;
                let mut s = format!("{}：{}至{}放假，共{days}天", h.name, cn(h.from), cn(h.to));
                if !h.workdays.is_empty() {
                    let w: Vec<String> = h.workdays.iter().map(|d| cn(*d)).collect();
                    s.push_str(&format!("；{}上班", w.join("、")));
                }
                s
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cal() -> Calendar {
        Calendar::embedded()
    }

    #[test]
    fn the_embedded_plans_parse_and_cover_2025_and_2026() {
        let plans = Calendar::parse(EMBEDDED).unwrap();
        assert_eq!(plans.iter().map(|p| p.year).collect::<Vec<_>>(), [2025, 2026]);
        let c = cal();
        // Days off per the notices: 2025 has 元旦1+春节8+清明3+劳动5+端午3+国庆中秋8.
        let count = |y: i16| c.off.keys().filter(|d| d.year() == y).count();
        assert_eq!(count(2025), 28);
        // 2026: 元旦3+春节9+清明3+劳动5+端午3+中秋3+国庆7.
        assert_eq!(count(2026), 33);
        assert_eq!(c.on.len(), 5 + 6);
    }

    #[test]
    fn spring_festival_2025_and_its_make_up_days() {
        let c = cal();
        // 1月26日 (Sunday) and 2月8日 (Saturday) are worked.
        assert_eq!(c.day(date(2025, 1, 26)).unwrap(), Day::MakeUp("春节".into()));
        assert!(c.is_working_day(date(2025, 2, 8)).unwrap());
        for d in 28..=31 {
            assert_eq!(c.day(date(2025, 1, d)).unwrap(), Day::Holiday("春节".into()));
        }
        assert!(!c.is_working_day(date(2025, 2, 4)).unwrap());
        assert!(c.is_working_day(date(2025, 2, 5)).unwrap());
        // From Friday 1月24日: 1月26日 (Sun, worked), 1月27日, then the holiday to 2月4日,
        // then 2月5、6、7日, 2月8日 (Sat, worked).
        assert_eq!(c.add_working_days(date(2025, 1, 24), 1).unwrap(), date(2025, 1, 26));
        assert_eq!(c.add_working_days(date(2025, 1, 24), 2).unwrap(), date(2025, 1, 27));
        assert_eq!(c.add_working_days(date(2025, 1, 24), 3).unwrap(), date(2025, 2, 5));
        assert_eq!(c.add_working_days(date(2025, 1, 24), 6).unwrap(), date(2025, 2, 8));
        assert_eq!(c.add_working_days(date(2025, 1, 24), 7).unwrap(), date(2025, 2, 10));
        assert_eq!(c.working_days_between(date(2025, 1, 24), date(2025, 2, 10)).unwrap(), 7);
    }

    #[test]
    fn national_day_2025_with_mid_autumn() {
        let c = cal();
        assert!(c.is_working_day(date(2025, 9, 28)).unwrap()); // Sunday, worked
        assert_eq!(c.day(date(2025, 10, 8)).unwrap(), Day::Holiday("国庆节、中秋节".into()));
        assert!(c.is_working_day(date(2025, 10, 11)).unwrap()); // Saturday, worked
        assert_eq!(c.day(date(2025, 10, 12)).unwrap(), Day::Weekend);
        // 9月30日 + 1 working day = 10月9日 (1–8 off).
        assert_eq!(c.add_working_days(date(2025, 9, 30), 1).unwrap(), date(2025, 10, 9));
        assert_eq!(c.add_working_days(date(2025, 9, 30), 3).unwrap(), date(2025, 10, 11));
    }

    #[test]
    fn spring_festival_2026_nine_days() {
        let c = cal();
        assert!(c.is_working_day(date(2026, 2, 14)).unwrap()); // Saturday, worked
        for d in 15..=23 {
            assert!(!c.is_working_day(date(2026, 2, d)).unwrap(), "2月{d}日");
        }
        assert!(c.is_working_day(date(2026, 2, 28)).unwrap()); // Saturday, worked
        // 15 working days from Thursday 2月12日: 13, 14(Sat), 24, 25, 26, 27, 28(Sat),
        // 3月2、3、4、5、6、9、10、11.
        assert_eq!(c.add_working_days(date(2026, 2, 12), 15).unwrap(), date(2026, 3, 11));
        // Calendar days would have given 2月27日.
    }

    #[test]
    fn national_day_2026_and_its_make_up_saturday() {
        let c = cal();
        assert!(c.is_working_day(date(2026, 9, 20)).unwrap()); // Sunday, worked
        assert!(!c.is_working_day(date(2026, 9, 25)).unwrap()); // 中秋节 (Friday)
        assert!(!c.is_working_day(date(2026, 10, 7)).unwrap());
        assert!(c.is_working_day(date(2026, 10, 8)).unwrap());
        assert_eq!(c.day(date(2026, 10, 10)).unwrap(), Day::MakeUp("国庆节".into()));
        assert_eq!(c.day(date(2026, 10, 11)).unwrap(), Day::Weekend);
        // From Wednesday 9月30日: 10月8日, 9日, 10日 (Sat, worked), 12日.
        assert_eq!(c.add_working_days(date(2026, 9, 30), 3).unwrap(), date(2026, 10, 10));
        assert_eq!(c.add_working_days(date(2026, 9, 30), 4).unwrap(), date(2026, 10, 12));
        // 受理 15 working days from 9月18日 (Friday).
        assert_eq!(c.add_working_days(date(2026, 9, 18), 15).unwrap(), date(2026, 10, 15));
    }

    #[test]
    fn a_year_without_a_plan_is_an_error_not_a_calendar_day_count() {
        let c = cal();
        let e = c.day(date(2028, 1, 4)).unwrap_err();
        assert_eq!(e.to_string(), "2028年的节假日安排尚未录入，请管理员在日历中补充");
        // 12月29日 2027 is a Wednesday; two working days later is 2028: refused.
        assert_eq!(c.add_working_days(date(2027, 12, 29), 2).unwrap(), date(2027, 12, 31));
        assert_eq!(
            c.add_working_days(date(2027, 12, 29), 3),
            Err(CalendarError::MissingYear(2028))
        );
        assert_eq!(
            c.add_working_days(date(2028, 3, 1), 0).map(|d| d.to_string()),
            Ok("2028-03-01".into())
        );
        assert_eq!(c.day(date(2024, 12, 31)), Err(CalendarError::MissingYear(2024)));
    }

    #[test]
    fn provisional_2027_has_the_statutory_holidays_and_no_make_up_days() {
        let plans = Calendar::parse(PROVISIONAL).unwrap();
        assert_eq!(
            plans.iter().map(|p| (p.year, p.provisional)).collect::<Vec<_>>(),
            [(2027, true)]
        );
        let c = cal();
        assert!(c.is_provisional(2027));
        assert!(!c.is_provisional(2026));
        assert!(c.plan(2027).unwrap().source.starts_with("暂定"));
        // 13 statutory days (元旦1, 春节4, 清明1, 劳动2, 端午1, 中秋1, 国庆3) plus
        // 补假 for those on a weekend (春节 6、7日 → 9、10日; 5月1、2日 → 3、4日;
        // 10月2、3日 → 4、5日).
        let off: Vec<Date> = c.off.keys().filter(|d| d.year() == 2027).copied().collect();
        assert_eq!(off.len(), 13 + 6);
        assert!(c.on.keys().all(|d| d.year() != 2027), "no 调休 in a provisional plan");
        for (m, d) in [(1, 1), (2, 5), (2, 10), (4, 5), (5, 4), (6, 9), (9, 15), (10, 5)] {
            assert!(!c.is_working_day(date(2027, m, d)).unwrap(), "{m}月{d}日");
        }
        assert!(c.is_working_day(date(2027, 2, 11)).unwrap());
        assert!(c.is_working_day(date(2027, 10, 6)).unwrap());
        // A count from 2026 into 2027 names the provisional year; within 2026 none.
        assert_eq!(c.provisional_years(date(2026, 12, 5), date(2027, 3, 5)), [2027]);
        assert!(c.provisional_years(date(2026, 12, 5), date(2026, 12, 31)).is_empty());
        assert!(c.provisional_years(date(2026, 12, 31), date(2026, 12, 31)).is_empty());
        // Working days across the year's edge: 12月31日, then 1月4日 (元旦 Friday off).
        assert_eq!(c.add_working_days(date(2026, 12, 30), 2).unwrap(), date(2027, 1, 4));
        // Round trip keeps the flag.
        let p = c.plan(2027).unwrap();
        assert!(p.to_toml().contains("provisional = true"));
        assert_eq!(&Calendar::parse(&p.to_toml()).unwrap()[0], p);
    }

    #[test]
    fn a_loaded_year_extends_and_replaces() {
        let text = r#"
[[years]]
year = 2027
source = "测试"
holidays = [{ name = "元旦", from = "2027-01-01", to = "2027-01-03" }]
"#;
        let c = cal().with(Calendar::parse(text).unwrap());
        assert_eq!(c.add_working_days(date(2026, 12, 30), 2).unwrap(), date(2027, 1, 4));
        let replaced = c
            .clone()
            .with(Calendar::parse(&text.replace("01-03", "01-01")).unwrap());
        assert!(replaced.is_working_day(date(2027, 1, 1)).is_ok_and(|w| !w));
        assert_eq!(replaced.plan(2027).unwrap().holidays[0].to, date(2027, 1, 1));
        // Round trip through the file format.
        let p = c.plan(2026).unwrap();
        assert_eq!(&Calendar::parse(&p.to_toml()).unwrap()[0], p);
        assert_eq!(
            p.describe()[1],
            "春节：2026年2月15日至2026年2月23日放假，共9天；2026年2月14日、2026年2月28日上班"
        );
    }

    #[test]
    fn bad_plans_are_refused_with_a_reason() {
        let bad = |h: &str| Calendar::parse(&format!("[[years]]\nyear = 2027\nholidays = [{h}]\n")).unwrap_err();
        assert!(bad(r#"{ name = "春节", from = "2027-02-10", to = "2027-02-05" }"#).contains("晚于"));
        assert!(
            bad(r#"{ name = "春节", from = "2027-02-05", to = "2027-02-10", workdays = ["2027-02-03"] }"#)
                .contains("不是周六或周日")
        );
        assert!(bad(r#"{ name = "春节", from = "2031-02-05", to = "2031-02-10" }"#).contains("不在该年度"));
        assert!(Calendar::parse("years = 1").unwrap_err().contains("格式错误"));
    }
}
