//! The working-day calendar in the store (issue 17): petitions count their
//! time limits, default deadlines and warnings in working days; a year
//! without a plan refuses with a message naming it; the admin loads a year.
//! Every test runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_core::deadline::Warning;
use lvzhi_store::StoreError;
use lvzhi_store::records::ListQuery;
use serde_json::json;

both!(petition_deadlines_in_working_days, calendar_load_and_year_edge);

/// 受理 of `r` by the office on `received`.
async fn accept(
    w: &World,
    r: &lvzhi_store::records::RecordRow,
    received: &str,
) -> Result<lvzhi_store::records::RecordRow, StoreError> {
    w.store
        .transition(
            &w.office,
            r.id,
            r.version,
            "受理",
            map(json!({ "received_on": received })),
            None,
        )
        .await
}

fn petition(registered: &str) -> serde_json::Map<String, serde_json::Value> {
    map(json!({
        "subject": "拖欠工程款", "petitioner": "张三", "persons": 1, "form": "来访",
        "visit_type": "初访", "category": "劳动社保", "content": "反映某工地拖欠工资",
        "registered_on": registered, "township": XD,
    }))
}

/// "Now" is Wednesday 2026-11-25.
async fn petition_deadlines_in_working_days(w: World) {
    let s = &w.store;
    // 已登记: 15 working days to decide, counted from the day it is registered in
    // lvzhi (11月26、27、30日, 12月1–4、7–11、14–16日).
    let r = s.create(&w.office, "petition", petition("2026-09-25")).await.unwrap();
    assert_eq!(r.state, "已登记");
    assert_eq!(r.deadline.as_deref(), Some("2026-12-16"));
    // The pack's date rule: 受理日期 not before 登记日期.
    let e = accept(&w, &r, "2026-09-24").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "字段校验失败：受理日期：受理日期（2026年9月24日）不能早于登记日期（2026年9月25日）"
    );
    // 受理 on 9月28日: 60 working days over 国庆 and its 调休 Saturday → 12月25日,
    // filled in by the pack's rule when the form leaves the deadline empty.
    let r = accept(&w, &r, "2026-09-28").await.unwrap();
    assert_eq!(r.state, "已受理");
    assert_eq!(r.fields["deadline"], json!("2026-12-25"));
    assert_eq!(r.deadline.as_deref(), Some("2026-12-25"));
    assert_eq!(s.record(&w.office, r.id).await.unwrap().warning, Warning::None);
    // Due Wednesday 12月2日: 5 working days ahead (26, 27, 30, 1, 2) — yellow,
    // though 7 calendar days away.
    let r2 = s.create(&w.office, "petition", petition("2026-11-20")).await.unwrap();
    let r2 = s
        .transition(
            &w.office,
            r2.id,
            r2.version,
            "受理",
            map(json!({"received_on": "2026-11-20", "deadline": "2026-12-02"})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r2.deadline.as_deref(), Some("2026-12-02"));
    assert_eq!(s.record(&w.office, r2.id).await.unwrap().warning, Warning::Yellow);
    let q = ListQuery {
        warning: Some("yellow".into()),
        ..Default::default()
    };
    let yellow: Vec<i64> = s
        .list(&w.office, "petition", &q)
        .await
        .unwrap()
        .items
        .iter()
        .map(|v| v.row.id)
        .collect();
    // The record still in 已登记 (due 12月16日) is not yellow; r2 is.
    assert_eq!(yellow, [r2.id]);
}

async fn calendar_load_and_year_edge(w: World) {
    let s = &w.store;
    let r = s.create(&w.office, "petition", petition("2026-11-25")).await.unwrap();
    // 60 working days from 11月25日 run into 2027, whose arrangement is not
    // published: counted by the provisional plan (statutory holidays, 春节
    // 2月5日–10日 with its 补假) → 2月24日, and marked as such.
    let r = accept(&w, &r, "2026-11-25").await.unwrap();
    assert_eq!(r.deadline.as_deref(), Some("2027-02-24"));
    assert_eq!(s.provisional_years(&r), [2027]);
    assert_eq!(
        lvzhi_store::calendar::provisional_note(&s.provisional_years(&r)).as_deref(),
        Some("按暂定日历计算（2027年放假安排未发布）")
    );
    // A deadline typed by hand is not the rule's: not marked, never recomputed.
    let typed = s.create(&w.office, "petition", petition("2026-11-25")).await.unwrap();
    let typed = s
        .transition(
            &w.office,
            typed.id,
            typed.version,
            "受理",
            map(json!({"received_on": "2026-11-25", "deadline": "2027-03-01"})),
            None,
        )
        .await
        .unwrap();
    assert!(s.provisional_years(&typed).is_empty());
    // Only the admin maintains the calendar.
    let plan = r#"
[[years]]
year = 2027
source = "测试用安排（非官方）"
holidays = [{ name = "元旦", from = "2027-01-01", to = "2027-01-01" }]
"#;
    assert!(matches!(
        s.load_calendar(&w.office, plan).await,
        Err(StoreError::Forbidden(_))
    ));
    assert!(matches!(
        s.load_calendar(&w.admin, "[[years]]\nyear = 2027\nholidays = [{ name = \"春节\", from = \"2027-02-10\", to = \"2027-02-01\" }]").await,
        Err(StoreError::BadRequest(m)) if m.contains("晚于")
    ));
    assert!(s.calendar().is_provisional(2027));
    let before = event_count(s).await;
    // The official plan replaces the provisional one, and the open record
    // counted through it is recomputed in the same transaction (one event).
    let loaded = s.load_calendar(&w.admin, plan).await.unwrap();
    assert_eq!(loaded.years, [2027]);
    assert_eq!(loaded.recomputed, [r.id]);
    assert_eq!(loaded.changed, [r.id]);
    assert_eq!(event_count(s).await, before + 2);
    assert!(!s.calendar().is_provisional(2027));
    let now = s.record(&w.office, r.id).await.unwrap().row;
    // 60 working days with only 元旦 off in 2027 → 2月18日.
    assert_eq!(now.deadline.as_deref(), Some("2027-02-18"));
    assert_eq!(now.fields["deadline"], json!("2027-02-18"));
    assert_eq!(now.version, r.version + 1);
    assert!(s.provisional_years(&now).is_empty());
    let evs = s.record_events(&w.office, r.id).await.unwrap();
    let last = evs.last().unwrap();
    assert_eq!(last.kind, "record.update");
    assert_eq!(last.data["before"]["deadline"], json!("2027-02-24"));
    assert_eq!(last.data["after"]["deadline"], json!("2027-02-18"));
    assert!(last.data["reason"].as_str().unwrap().contains("2027年放假安排已录入"));
    let typed_now = s.record(&w.office, typed.id).await.unwrap().row;
    assert_eq!(typed_now.deadline.as_deref(), Some("2027-03-01"));
    assert_eq!(typed_now.version, typed.version);
    // The chain still verifies.
    assert_eq!(s.verify_chain().await.unwrap().error, None);
    assert!(s.calendar().plan(2027).is_some());
    let (p, stored) = s.calendar_plan(2027).await.unwrap().unwrap();
    assert!(stored);
    assert_eq!(p.source, "测试用安排（非官方）");
    let (p, stored) = s.calendar_plan(2026).await.unwrap().unwrap();
    assert!(!stored, "2026 is embedded");
    assert_eq!(p.holidays.len(), 7);
    assert!(s.calendar_plan(2028).await.unwrap().is_none());
    // Loading the year again replaces it but recomputes nothing (no longer provisional);
    // a new 受理 counts by it: 1月4日 off as well moves the deadline.
    let plan2 = plan.replace("to = \"2027-01-01\"", "to = \"2027-01-04\"");
    let again = s.load_calendar(&w.admin, &plan2).await.unwrap();
    assert!(again.recomputed.is_empty());
    assert!(!s.calendar().is_working_day(jiff::civil::date(2027, 1, 4)).unwrap());
    let r = s.create(&w.office, "petition", petition("2026-11-25")).await.unwrap();
    let r = accept(&w, &r, "2026-11-25").await.unwrap();
    assert_eq!(r.deadline.as_deref(), Some("2027-02-19"));
}

/// "Now" is the real date of the report: Saturday 2026-12-05. A petition
/// accepted today runs 60 working days into 2027 (provisional).
async fn accepted_on_2026_12_05(w: World) {
    let s = &w.store;
    let r = s.create(&w.office, "petition", petition("2026-12-05")).await.unwrap();
    // 已登记 counts its 15 working days from today, all in 2026.
    assert!(s.provisional_years(&r).is_empty());
    let r = accept(&w, &r, "2026-12-05").await.unwrap();
    // Dec: 22 working days after the 5th… 2027: 元旦, 春节 2月5日–10日 off → 3月5日.
    assert_eq!(r.deadline.as_deref(), Some("2027-03-05"));
    assert_eq!(s.provisional_years(&r), [2027]);
    // An official arrangement as the State Council might publish it: 春节
    // 2月5日–13日 with one 调休 Saturday, 2月20日.
    let official = r#"
[[years]]
year = 2027
source = "国务院办公厅关于2027年部分节假日安排的通知（测试）"
holidays = [
  { name = "元旦", from = "2027-01-01", to = "2027-01-03" },
  { name = "春节", from = "2027-02-05", to = "2027-02-13", workdays = ["2027-02-20"] },
]
"#;
    let loaded = s.load_calendar(&w.admin, official).await.unwrap();
    assert_eq!((loaded.recomputed.len(), loaded.changed.len()), (1, 1));
    let now = s.record(&w.office, r.id).await.unwrap().row;
    // 2月11、12日 off, 2月20日 worked: one working day later than provisionally.
    assert_eq!(expected_after_official(), "2027-03-08");
    assert_eq!(now.deadline.as_deref(), Some("2027-03-08"));
    assert!(s.provisional_years(&now).is_empty());
}

/// 60 working days after 2026-12-05 with the test's official 2027 plan,
/// counted here independently of the calendar code.
fn expected_after_official() -> String {
    let mut d = jiff::civil::date(2026, 12, 5);
    let mut left = 60;
    while left > 0 {
        d = d.tomorrow().unwrap();
        let weekend = matches!(
            d.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        let off = (d >= jiff::civil::date(2027, 1, 1) && d <= jiff::civil::date(2027, 1, 3))
            || (d >= jiff::civil::date(2027, 2, 5) && d <= jiff::civil::date(2027, 2, 13));
        let on = d == jiff::civil::date(2027, 2, 20);
        if on || (!weekend && !off) {
            left -= 1;
        }
    }
    d.to_string()
}

mod accepted_on_2026_12_05 {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        crate::common::run_at(
            crate::common::Backend::Sqlite,
            "2026-12-05T02:00:00Z",
            super::accepted_on_2026_12_05,
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        crate::common::run_at(
            crate::common::Backend::Postgres,
            "2026-12-05T02:00:00Z",
            super::accepted_on_2026_12_05,
        )
        .await;
    }
}
