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
    // 60 working days from 11月25日 run into 2027, which has no plan yet.
    let e = accept(&w, &r, "2026-11-25").await.unwrap_err();
    assert!(matches!(e, StoreError::BadRequest(_)), "{e:?}");
    assert_eq!(e.to_string(), "2027年的节假日安排尚未录入，请管理员在日历中补充");
    assert_eq!(s.record(&w.office, r.id).await.unwrap().row.state, "已登记");
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
    let before = event_count(s).await;
    assert_eq!(s.load_calendar(&w.admin, plan).await.unwrap(), [2027]);
    assert_eq!(event_count(s).await, before + 1);
    assert!(s.calendar().plan(2027).is_some());
    let (p, stored) = s.calendar_plan(2027).await.unwrap().unwrap();
    assert!(stored);
    assert_eq!(p.source, "测试用安排（非官方）");
    let (p, stored) = s.calendar_plan(2026).await.unwrap().unwrap();
    assert!(!stored, "2026 is embedded");
    assert_eq!(p.holidays.len(), 7);
    assert!(s.calendar_plan(2028).await.unwrap().is_none());
    // Now the same 受理 goes through: 60 working days → 2027年2月18日.
    let r = accept(&w, &r, "2026-11-25").await.unwrap();
    assert_eq!(r.deadline.as_deref(), Some("2027-02-18"));
    // Loading the year again replaces it: 1月4日 off as well moves the deadline on creation.
    let plan2 = plan.replace("to = \"2027-01-01\"", "to = \"2027-01-04\"");
    s.load_calendar(&w.admin, &plan2).await.unwrap();
    assert!(!s.calendar().is_working_day(jiff::civil::date(2027, 1, 4)).unwrap());
    let r = s.create(&w.office, "petition", petition("2026-11-25")).await.unwrap();
    let r = accept(&w, &r, "2026-11-25").await.unwrap();
    assert_eq!(r.deadline.as_deref(), Some("2027-02-19"));
}
