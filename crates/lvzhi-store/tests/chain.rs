//! Issue 17, the deadline chain: a 信访件 reopened by 回访 不满意 gets a new
//! 办理时限 (30 working days by the pack, counted across 2026's 国庆 holiday and
//! its 调休 Saturday), recorded with the reason, and the daily warnings count
//! from it. The 督查室's view of the escalation chain: who was told of an
//! overdue item, when, and who has read it. Every test runs on SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_core::deadline::Warning;
use lvzhi_store::records::RecordRow;
use lvzhi_store::{Access, Store};
use serde_json::{Value, json};

/// Runs `body` on a fresh database of `backend` set up on `day` (10:00 Beijing
/// time); the body gets the database to open it again on other days.
async fn on_db<F, Fut>(backend: Backend, day: &str, body: F)
where
    F: FnOnce(World, std::sync::Arc<TestDb>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let db = std::sync::Arc::new(db);
    let store = db.open_at(&format!("{day}T02:00:00Z")).await;
    let s = store.clone();
    let d = db.clone();
    let r = tokio::spawn(async move {
        let w = World::setup(s).await;
        body(w, d).await;
    })
    .await;
    store.close().await;
    if let Ok(db) = std::sync::Arc::try_unwrap(db) {
        db.remove().await;
    }
    if let Err(e) = r {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task failed: {e}");
    }
}

macro_rules! both_on {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await;
            }
        }
    )*};
}

both_on!(reopened_case_gets_a_new_deadline_across_the_national_day);
both!(the_office_follows_the_escalation_chain);

async fn step(s: &Store, a: &Access, r: &RecordRow, name: &str, fields: Value, reason: Option<&str>) -> RecordRow {
    s.transition(a, r.id, r.version, name, map(fields), reason.map(str::to_string))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A 信访件 of 应急管理局 answered with its old 办理时限 2026年9月25日 (passed).
async fn answered(w: &World) -> RecordRow {
    let s = &w.store;
    let r = s
        .create(
            &w.office,
            "petition",
            map(json!({
                "subject": "拖欠工程款", "petitioner": "张三", "persons": 1, "form": "来访",
                "visit_type": "初访", "category": "劳动社保", "content": "反映某工地拖欠工资",
                "registered_on": "2026-07-01", "township": XD,
            })),
        )
        .await
        .unwrap();
    let r = step(
        s,
        &w.office,
        &r,
        "受理",
        json!({"received_on": "2026-07-01", "deadline": "2026-09-25"}),
        None,
    )
    .await;
    let r = step(s, &w.office, &r, "交办", json!({"unit": w.yj}), None).await;
    let r = step(s, &w.clerk_yj, &r, "签收", json!({}), None).await;
    step(
        s,
        &w.head_yj,
        &r,
        "答复",
        json!({"handling": "已约谈", "reply": "责令限期支付", "replied_on": "2026-09-24"}),
        None,
    )
    .await
}

/// 回访 不满意 on Tuesday 2026年9月29日: 30 working days skip 国庆 (10月1日–7日)
/// and count the 调休 Saturday 10月10日 → Monday 11月16日 (calendar days would
/// give 10月29日). The event says why and keeps the old date; the warnings
/// count from the new date (临期 on 11月10日, 超期 1个工作日 on 11月17日).
async fn reopened_case_gets_a_new_deadline_across_the_national_day(backend: Backend) {
    on_db(backend, "2026-09-29", |w, db| async move {
        let s = &w.store;
        let r = answered(&w).await;
        assert_eq!(r.deadline.as_deref(), Some("2026-09-25"));
        // Answered but past its deadline: red today.
        assert_eq!(s.scan_deadlines().await.unwrap().overdue, 2);
        assert_eq!(s.record(&w.office, r.id).await.unwrap().warning, Warning::Red);
        let r = step(s, &w.office, &r, "回访", json!({"satisfaction": "不满意"}), None).await;
        assert_eq!(r.state, "办理中");
        assert_eq!(r.fields["deadline"], json!("2026-11-16"));
        assert_eq!(r.deadline.as_deref(), Some("2026-11-16"));
        let events = s.record_events(&w.office, r.id).await.unwrap();
        let e = events.iter().rev().find(|e| e.kind == "record.transition").unwrap();
        assert_eq!(e.data["transition"], json!("回访"));
        assert_eq!(
            e.data["reason"],
            json!("信访人评价为“不满意”，重新办理：办理时限自2026年9月29日起重新计算30个工作日，至2026年11月16日（原2026年9月25日）")
        );
        assert_eq!(e.data["before"]["deadline"], json!("2026-09-25"));
        assert_eq!(e.data["after"]["deadline"], json!("2026-11-16"));
        // The unit is told to handle it again, with the new date.
        let n = s.notices(&w.clerk_yj, false, 10, None).await.unwrap();
        assert_eq!(n[0].kind, "assign");
        assert!(
            n[0].body.contains("请重新办理") && n[0].body.contains("2026年11月16日"),
            "{}",
            n[0].body
        );
        // Reopened in time: no warning the same day beyond the one already written.
        assert_eq!(s.scan_deadlines().await.unwrap(), lvzhi_store::notices::Scan::default());
        assert_eq!(s.record(&w.office, r.id).await.unwrap().warning, Warning::None);
        // 11月10日 (Tuesday): 4 working days ahead — 临期, not 超期.
        let later = db.open_at("2026-11-10T02:00:00Z").await;
        let scan = later.scan_deadlines().await.unwrap();
        assert_eq!((scan.due_soon, scan.overdue, scan.escalated), (2, 0, 0));
        assert_eq!(later.record(&w.office, r.id).await.unwrap().warning, Warning::Yellow);
        later.close().await;
        // 11月17日: 超期 1个工作日 from the new date (from the old it would be 30).
        let later = db.open_at("2026-11-17T02:00:00Z").await;
        let scan = later.scan_deadlines().await.unwrap();
        assert_eq!((scan.due_soon, scan.overdue, scan.escalated), (0, 2, 0));
        assert_eq!(later.record(&w.office, r.id).await.unwrap().warning, Warning::Red);
        let n = later.notices(&w.clerk_yj, true, 10, None).await.unwrap();
        let o = n.iter().find(|n| n.kind == "overdue").unwrap();
        assert!(o.body.contains("已超期1个工作日"), "{}", o.body);
        later.close().await;
        // 重新办理 of an answered case by the leader also sets a new date, with her reason.
        let r = step(
            s,
            &w.head_yj,
            &s.record(&w.office, r.id).await.unwrap().row,
            "答复",
            json!({"reply": "已支付一半", "replied_on": "2026-09-29"}),
            None,
        )
        .await;
        let r = step(s, &w.leader, &r, "重新办理", json!({}), Some("未全部支付")).await;
        assert_eq!(r.deadline.as_deref(), Some("2026-11-16"));
        let events = s.record_events(&w.office, r.id).await.unwrap();
        let e = events.iter().rev().find(|e| e.kind == "record.transition").unwrap();
        assert_eq!(
            e.data["reason"],
            json!("未全部支付；重新办理：办理时限自2026年9月29日起重新计算30个工作日，至2026年11月16日（原2026年11月16日）")
        );
    })
    .await;
}

/// On 2026年11月25日 (calendar days for 隐患: head after 3, 分管领导 after 7):
/// a hazard 15 days overdue (both escalations), one 4 days overdue (the head
/// only), one a day overdue and one not yet due (neither listed). Before the
/// daily scan nobody has been told; after it the chain names each recipient
/// with the day, and reading and 催办 show.
async fn the_office_follows_the_escalation_chain(w: World) {
    let s = &w.store;
    let mk = |deadline: &str| {
        let mut f = hazard(XD, Some(w.yj));
        f.insert("found_on".into(), json!("2026-11-01"));
        f.insert("deadline".into(), json!(deadline));
        f
    };
    let over = s.create(&w.office, "hazard", mk("2026-11-10")).await.unwrap();
    let mid = s.create(&w.office, "hazard", mk("2026-11-21")).await.unwrap();
    s.create(&w.office, "hazard", mk("2026-11-24")).await.unwrap();
    s.create(&w.office, "hazard", mk("2026-12-31")).await.unwrap();
    let chain = s.escalation_chain(&w.office, None, None).await.unwrap();
    let ids: Vec<i64> = chain.iter().map(|c| c.id).collect();
    assert_eq!(ids, [over.id, mid.id], "most overdue first, from 3 days");
    let c = &chain[0];
    assert_eq!(
        (c.days_overdue, c.day_unit.as_str(), c.deadline.as_str()),
        (15, "天", "2026-11-10")
    );
    assert_eq!(
        (c.unit_id, c.unit.as_str(), c.ledger_name.as_str()),
        (w.yj, "应急管理局", "安全生产隐患")
    );
    assert_eq!((c.escalate_head, c.escalate_leader), (Some(3), Some(7)));
    assert!(
        c.number.as_deref().is_some_and(|n| n.starts_with("隐患〔2026〕")),
        "{:?}",
        c.number
    );
    // Not scanned yet: nobody told.
    assert_eq!(
        (c.unit_told.at.clone(), c.head.at.clone(), c.leader.at.clone()),
        (None, None, None)
    );
    assert_eq!(c.urged, 0);

    s.scan_deadlines().await.unwrap();
    let chain = s.escalation_chain(&w.office, None, None).await.unwrap();
    let names = |st: &lvzhi_store::notices::ChainStep| st.to.iter().map(|t| t.username.clone()).collect::<Vec<_>>();
    let c = &chain[0];
    assert_eq!(names(&c.unit_told), ["clerk_yj", "head_yj"]);
    assert_eq!(names(&c.head), ["head_yj"]);
    assert_eq!(names(&c.leader), ["leader"]);
    assert!(
        c.head.at.as_deref().is_some_and(|t| t.starts_with("2026-11-25T02:00")),
        "{:?}",
        c.head.at
    );
    assert_eq!((c.unit_told.read(), c.head.read(), c.leader.read()), (0, 0, 0));
    // The leader's 首页 block: the item escalated to her for its current deadline.
    let mine: Vec<i64> = s
        .escalated_to_me(&w.leader, 10)
        .await
        .unwrap()
        .iter()
        .map(|v| v.row.id)
        .collect();
    assert_eq!(mine, [over.id]);
    let m = &chain[1];
    assert_eq!(m.days_overdue, 4);
    assert_eq!(
        (names(&m.head), m.leader.at.clone()),
        (vec!["head_yj".to_string()], None)
    );

    // The head reads her inbox; the office urges the oldest item.
    s.mark_notices_read(&w.head_yj, None).await.unwrap();
    s.urge(&w.office, over.id, "请本周内整改到位").await.unwrap();
    let chain = s.escalation_chain(&w.office, None, None).await.unwrap();
    let c = &chain[0];
    assert_eq!((c.unit_told.read(), c.head.read(), c.leader.read()), (1, 1, 0));
    assert!(c.head.to[0].read_at.is_some() && c.leader.to[0].read_at.is_none());
    assert_eq!(c.urged, 1);
    assert_eq!(names(&c.last_urge), ["clerk_yj", "head_yj"]);
    assert_eq!(c.last_urge.read(), 0);

    // Filters: by unit, by ledger; a ledger without escalation is not found.
    assert!(
        s.escalation_chain(&w.office, None, Some(w.xd))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.escalation_chain(&w.admin, Some("hazard"), Some(w.yj))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        s.escalation_chain(&w.office, Some("petition"), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        expect_status(s.escalation_chain(&w.office, Some("没有"), None).await, 404),
        "台账“没有”不存在或没有超期升级规则"
    );
    // Nobody but the office and the admin.
    for a in [&w.leader, &w.head_yj, &w.clerk_yj, &w.auditor, &w.evaluator] {
        expect_status(s.escalation_chain(a, None, None).await, 403);
    }

    // A new deadline (延期 or 重新办理) starts the chain again: the old escalations no longer count.
    let r = s.record(&w.office, over.id).await.unwrap().row;
    s.update(&w.office, r.id, r.version, map(json!({"deadline": "2026-11-20"})))
        .await
        .unwrap();
    let c = s.escalation_chain(&w.office, None, None).await.unwrap();
    let c = c.iter().find(|c| c.id == over.id).unwrap();
    assert_eq!(c.days_overdue, 5);
    assert_eq!((c.head.at.clone(), c.leader.at.clone()), (None, None));
    assert_eq!(c.urged, 1, "催办 counts for the record");
    assert!(
        s.escalated_to_me(&w.leader, 10).await.unwrap().is_empty(),
        "escalated for the old deadline only"
    );
}
