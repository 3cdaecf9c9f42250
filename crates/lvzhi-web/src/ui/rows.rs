//! A record as a row of a table: the list columns of its ledger (the title
//! first, the deadline next), its state and warning. Used by the ledger lists,
//! 我的待办 and the provenance pages, each with one column list for headers
//! and cells.

use super::render::{Names, date, when};
use lvzhi_core::calendar::{Calendar, CalendarError};
use lvzhi_core::field::{FieldRole, FieldType};
use lvzhi_core::ledger::{DayCount, LedgerKind};
use lvzhi_store::records::RecordView;

/// A cell of a list row.
pub struct Cell {
    /// The text shown (shortened).
    pub text: String,
    /// The whole text (tooltip), when shortened.
    pub full: String,
    /// Links to the record.
    pub link: bool,
    /// CSS class: `title` (the record's title), `nowrap` (dates, choices) or empty.
    pub class: &'static str,
}

/// A record as a row of a list.
pub struct Row {
    /// Id.
    pub id: i64,
    /// Its number as people say it (隐患〔2026〕第123号), or 第{id}号 for a record without one.
    pub number: String,
    /// Its page.
    pub href: String,
    /// Ledger name.
    pub ledger: String,
    /// Title.
    pub title: String,
    /// State.
    pub state: String,
    /// Deadline (2026年11月25日).
    pub deadline: String,
    /// `red`, `yellow` or `none`.
    pub warn: &'static str,
    /// 超期 / 临期 / 正常.
    pub warn_label: &'static str,
    /// How far the deadline is, in the ledger's count (超期12天, 超期3个工作日, 今天到期,
    /// 还剩5天); empty for closed records, records without a deadline and lists that do
    /// not show it (see [`due_text`]).
    pub due: String,
    /// Assigned to the reader (承办人), in 我的待办.
    pub mine: bool,
    /// Cells of the list columns.
    pub cells: Vec<Cell>,
    /// Last change (Shanghai time).
    pub updated: String,
    /// Voided.
    pub voided: bool,
}

fn shorten(s: &str, n: usize) -> Cell {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > n {
        Cell {
            text: format!("{}…", one_line.chars().take(n).collect::<String>()),
            full: one_line,
            link: false,
            class: "",
        }
    } else {
        Cell {
            text: one_line,
            full: String::new(),
            link: false,
            class: "",
        }
    }
}

/// The list columns of a ledger: its `list = true` fields, the title first and
/// the deadline next, so that what matters stays in view on narrow screens.
pub fn list_fields(kind: &LedgerKind) -> Vec<&lvzhi_core::field::FieldDef> {
    let mut v: Vec<&lvzhi_core::field::FieldDef> = kind.fields.iter().filter(|f| f.list).collect();
    v.sort_by_key(|f| match f.role {
        Some(FieldRole::Title) => 0,
        Some(FieldRole::Deadline) => 1,
        _ => 2,
    });
    v
}

/// The row of a record, with the list columns of its ledger.
pub fn row(kind: &LedgerKind, names: &Names, v: &RecordView) -> Row {
    row_of(kind, &list_fields(kind), names, v)
}

/// The row of a record with one cell per field of `columns` (the same list
/// gives the table's headers, so cells and headers always line up).
pub fn row_of(kind: &LedgerKind, columns: &[&lvzhi_core::field::FieldDef], names: &Names, v: &RecordView) -> Row {
    let cells = columns
        .iter()
        .map(|f| {
            let text = v.row.fields.get(&f.key).map(|x| names.show(f, x)).unwrap_or_default();
            let mut c = shorten(&text, if f.ty == FieldType::LongText { 36 } else { 24 });
            c.link = f.role == Some(FieldRole::Title);
            c.class = if c.link {
                "title"
            } else if !matches!(f.ty, FieldType::Text | FieldType::LongText | FieldType::MultiEnum) {
                "nowrap"
            } else {
                ""
            };
            c
        })
        .collect();
    Row {
        id: v.row.id,
        number: v.row.number.clone().unwrap_or_else(|| format!("第{}号", v.row.id)),
        href: format!("/records/{}", v.row.id),
        ledger: kind.name.clone(),
        title: if v.row.title.is_empty() {
            format!("第{}号记录", v.row.id)
        } else {
            v.row.title.clone()
        },
        state: v.row.state.clone(),
        deadline: date(v.row.deadline.as_deref()),
        warn: v.warning.key(),
        warn_label: v.warning.label(),
        due: String::new(),
        mine: false,
        cells,
        updated: when(&v.row.updated_at),
        voided: v.row.voided,
    }
}

/// How far an open record's deadline is from `today`, counted as its ledger's
/// deadline rule counts (calendar or working days): 超期12天 / 超期3个工作日 after it,
/// 今天到期 on it, 还剩5天 / 还剩2个工作日 before it; empty when the record is
/// closed, voided or has no deadline, and for a working-day count that would
/// cross a year whose holiday plan is not loaded.
pub fn due_text(kind: &LedgerKind, cal: &Calendar, today: jiff::civil::Date, v: &RecordView) -> String {
    let Some(deadline) = v
        .row
        .deadline
        .as_deref()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
    else {
        return String::new();
    };
    if v.row.closed || v.row.voided {
        return String::new();
    }
    let working = kind.deadline.count == DayCount::WorkingDays;
    let unit = if working { "个工作日" } else { "天" };
    let days = |a: jiff::civil::Date, b: jiff::civil::Date| -> Result<i64, CalendarError> {
        if working {
            cal.working_days_between(a, b).map(i64::from)
        } else {
            Ok(i64::from((b - a).get_days()))
        }
    };
    // A working-day count over a year whose holiday plan is not loaded is not
    // guessed in calendar days: the count is left out (the 超期/临期 badge stays).
    match deadline.cmp(&today) {
        std::cmp::Ordering::Less => days(deadline, today)
            .map(|n| format!("超期{}{unit}", n.max(1)))
            .unwrap_or_default(),
        std::cmp::Ordering::Equal => "今天到期".to_string(),
        std::cmp::Ordering::Greater => days(today, deadline)
            .map(|n| format!("还剩{n}{unit}"))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvzhi_core::deadline::Warning;
    use lvzhi_store::records::RecordRow;

    fn view(ledger: &str, deadline: Option<&str>, closed: bool) -> RecordView {
        RecordView {
            row: RecordRow {
                id: 1,
                ledger: ledger.into(),
                state: String::new(),
                unit_id: None,
                source_unit_id: None,
                division: None,
                owner_id: None,
                deadline: deadline.map(str::to_string),
                closed,
                voided: false,
                void_reason: None,
                title: String::new(),
                fields: Default::default(),
                version: 1,
                state_since: String::new(),
                urge_count: 0,
                created_at: String::new(),
                created_by: None,
                updated_at: String::new(),
                last_event: 1,
                number: None,
                co_units: vec![],
            },
            warning: Warning::None,
            actions: vec![],
            can_edit: false,
            can_void: false,
            deadline_note: None,
        }
    }

    #[test]
    fn due_text_counts_as_the_ledger_counts() {
        let pack = lvzhi_packs::county().unwrap();
        let cal = Calendar::embedded();
        let today: jiff::civil::Date = "2026-12-05".parse().unwrap();
        let hazard = pack.ledger("hazard").unwrap();
        let petition = pack.ledger("petition").unwrap();
        assert_eq!(petition.deadline.count, DayCount::WorkingDays);
        let due = |k, d: Option<&str>, closed| due_text(k, &cal, today, &view(&k.key, d, closed));
        // Calendar days: 2026-11-23 → 2026-12-05 is 12 days.
        assert_eq!(due(hazard, Some("2026-11-23"), false), "超期12天");
        assert_eq!(due(hazard, Some("2026-12-05"), false), "今天到期");
        assert_eq!(due(hazard, Some("2026-12-08"), false), "还剩3天");
        assert_eq!(due(hazard, None, false), "");
        assert_eq!(
            due(hazard, Some("2026-11-23"), true),
            "",
            "closed records are not overdue"
        );
        // Working days: Fri 2026-11-27 → Sat 2026-12-05 is 5 working days (Mon–Fri).
        assert_eq!(due(petition, Some("2026-11-27"), false), "超期5个工作日");
        assert_eq!(due(petition, Some("2026-12-09"), false), "还剩3个工作日"); // Mon, Tue, Wed
        // A year without a holiday plan: no count rather than a guess.
        assert_eq!(due(petition, Some("2031-03-02"), false), "");
    }
}
