//! 站内信 (issue 17): notices written with the change they report, in its
//! transaction; the daily 临期/超期 reminders and escalations written once per
//! item and day, also by two servers on one PostgreSQL database. Every test
//! runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_store::records::RecordRow;
use lvzhi_store::{Access, Store, StoreError};
use serde_json::json;

both!(
    assign_return_and_urge_reach_the_right_inboxes,
    daily_reminders_once_a_day_and_escalation,
    opening_a_campaign_tells_its_subjects
);

/// Opening a 民主测评 tells the assessed leaders who have an account (issue 17:
/// "ballots opened"), in the same transaction; nobody else.
async fn opening_a_campaign_tells_its_subjects(w: World) {
    use lvzhi_core::assess::{CampaignDef, GroupDef, SubjectDef};
    let s = &w.store;
    let def = CampaignDef {
        year: 2026,
        title: "2026年度县级领导班子成员民主测评".into(),
        groups: vec![GroupDef {
            name: "部门主要负责人".into(),
            weight: "100".parse().unwrap(),
        }],
        subjects: vec![
            SubjectDef {
                name: "演示领导".into(),
                post: "常务副县长".into(),
                person_id: Some(w.leader_person),
            },
            SubjectDef {
                name: "李明".into(),
                post: "副县长".into(),
                person_id: None,
            },
        ],
        opens_at: "2026-11-25T00:00:00Z".parse().unwrap(),
        closes_at: "2026-11-27T00:00:00Z".parse().unwrap(),
        min_ballots: 0,
    };
    let id = s.create_campaign(&w.office, &def).await.unwrap();
    assert!(inbox(s, &w.leader).await.is_empty(), "a draft tells nobody");
    s.open_campaign(&w.office, id).await.unwrap();
    let n = inbox(s, &w.leader).await;
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].kind.as_str(), n[0].kind_label()), ("ballot", "测评"));
    assert_eq!(n[0].title, "测评开始：2026年度县级领导班子成员民主测评");
    assert!(n[0].body.contains("投票截止2026年11月27日"), "{}", n[0].body);
    for a in [&w.office, &w.clerk_yj, &w.head_yj, &w.admin] {
        assert!(inbox(s, a).await.is_empty(), "{}", a.username);
    }
    // Opening again is refused and writes nothing.
    assert!(s.open_campaign(&w.office, id).await.is_err());
    assert_eq!(inbox(s, &w.leader).await.len(), 1);
}

fn petition() -> serde_json::Map<String, serde_json::Value> {
    map(json!({
        "subject": "拖欠工程款", "petitioner": "张三", "persons": 1, "form": "来访",
        "visit_type": "初访", "category": "劳动社保", "content": "反映某工地拖欠工资",
        "registered_on": "2026-11-20", "township": XD,
    }))
}

async fn step(
    w: &World,
    a: &Access,
    r: &RecordRow,
    name: &str,
    fields: serde_json::Value,
    reason: Option<&str>,
) -> RecordRow {
    w.store
        .transition(a, r.id, r.version, name, map(fields), reason.map(str::to_string))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn inbox(s: &Store, a: &Access) -> Vec<lvzhi_store::notices::Notice> {
    s.notices(a, false, 100, None).await.unwrap()
}

async fn assign_return_and_urge_reach_the_right_inboxes(w: World) {
    let s = &w.store;
    let r = s.create(&w.office, "petition", petition()).await.unwrap();
    let r = step(&w, &w.office, &r, "受理", json!({"received_on": "2026-11-20"}), None).await;
    // 受理 hands nothing to a unit: nobody is told.
    for a in [&w.clerk_yj, &w.head_yj, &w.office, &w.clerk_xd] {
        assert!(inbox(s, a).await.is_empty());
    }
    // A refused step writes no notice (same transaction): 交办 without a unit.
    assert!(
        s.transition(&w.office, r.id, r.version, "交办", map(json!({})), None)
            .await
            .is_err()
    );
    assert!(inbox(s, &w.clerk_yj).await.is_empty());
    // 交办 to 应急管理局: its clerk and head are told, nobody else.
    let r = step(&w, &w.office, &r, "交办", json!({"unit": w.yj}), None).await;
    for a in [&w.clerk_yj, &w.head_yj] {
        let n = inbox(s, a).await;
        assert_eq!(n.len(), 1, "{}", a.username);
        assert_eq!(n[0].kind, "assign");
        assert_eq!(n[0].kind_label(), "交办");
        assert_eq!(n[0].record_id, Some(r.id));
        assert_eq!(n[0].title, "交办：拖欠工程款");
        assert!(n[0].body.contains("执行“交办”：信访件"), "{}", n[0].body);
        assert!(
            n[0].body
                .contains("由本单位办理，当前状态“已交办”，本环节时限2026年11月30日（办理时限2027年2月"),
            "{}",
            n[0].body
        );
        assert!(!n[0].body.contains("张三"), "no personal data: {}", n[0].body);
        assert_eq!(n[0].actor_name, w.office.username);
        assert_eq!(s.unread_notices(a).await.unwrap(), 1);
    }
    for a in [&w.office, &w.clerk_xd, &w.clerk_qs, &w.leader] {
        assert!(inbox(s, a).await.is_empty(), "{}", a.username);
    }
    // The unit's own step (签收) tells the office user who handed it over (进展), not the unit;
    // 退回 with its reason tells the office user too.
    let r = step(&w, &w.clerk_yj, &r, "签收", json!({}), None).await;
    assert_eq!(inbox(s, &w.head_yj).await.len(), 1);
    let n = inbox(s, &w.office).await;
    assert_eq!(
        (n.len(), n[0].kind.as_str(), n[0].kind_label()),
        (1, "progress", "进展")
    );
    assert!(n[0].body.contains("执行了“签收”，当前状态“办理中”"), "{}", n[0].body);
    let r = step(
        &w,
        &w.head_yj,
        &r,
        "退回",
        json!({}),
        Some("不属于本单位职责，请改交人社局"),
    )
    .await;
    let n = inbox(s, &w.office).await;
    assert_eq!(n.len(), 2);
    assert_eq!(n[0].kind, "return");
    assert_eq!(n[0].title, "退回：拖欠工程款");
    assert!(
        n[0].body.ends_with("原因：不属于本单位职责，请改交人社局"),
        "{}",
        n[0].body
    );
    assert!(inbox(s, &w.clerk_yj).await.len() == 1);
    // 交办 again, then 催办 with a note: the unit's users, the note in the notice and in the event.
    let r = step(&w, &w.office, &r, "交办", json!({"unit": w.yj}), None).await;
    s.urge(&w.office, r.id, "请于本周内答复信访人").await.unwrap();
    let n = inbox(s, &w.clerk_yj).await;
    assert_eq!(n.len(), 3);
    assert_eq!(n[0].kind, "urge");
    assert!(
        n[0].body.contains("（第1次）") && n[0].body.ends_with("催办意见：请于本周内答复信访人"),
        "{}",
        n[0].body
    );
    let ev = s.record_events(&w.office, r.id).await.unwrap();
    assert_eq!(ev.last().unwrap().data["note"], json!("请于本周内答复信访人"));
    // Mark read: one, then all; another user's notice is not found.
    assert_eq!(s.unread_notices(&w.clerk_yj).await.unwrap(), 3);
    assert_eq!(s.mark_notices_read(&w.clerk_yj, Some(n[0].id)).await.unwrap(), 1);
    assert_eq!(s.mark_notices_read(&w.clerk_yj, Some(n[0].id)).await.unwrap(), 0);
    assert_eq!(s.unread_notices(&w.clerk_yj).await.unwrap(), 2);
    assert_eq!(s.notices(&w.clerk_yj, true, 100, None).await.unwrap().len(), 2);
    assert!(matches!(
        s.mark_notices_read(&w.head_yj, Some(n[0].id)).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(s.mark_notices_read(&w.clerk_yj, None).await.unwrap(), 2);
    assert_eq!(s.unread_notices(&w.clerk_yj).await.unwrap(), 0);
    assert_eq!(s.unread_notices(&w.head_yj).await.unwrap(), 3);
    // Paging: older than the newest.
    let older = s.notices(&w.head_yj, false, 100, Some(n[0].id)).await.unwrap();
    assert_eq!(older.len(), 2);
}

/// Hazards of 应急管理局: one overdue 15 days, one due in 3 days, one not yet due.
async fn hazards(w: &World) -> (i64, i64, i64) {
    let s = &w.store;
    let mk = |deadline: &str| {
        let mut f = hazard(XD, Some(w.yj));
        f.insert("found_on".into(), json!("2026-11-01"));
        f.insert("deadline".into(), json!(deadline));
        f
    };
    let over = s.create(&w.office, "hazard", mk("2026-11-10")).await.unwrap();
    let soon = s.create(&w.office, "hazard", mk("2026-11-28")).await.unwrap();
    let later = s.create(&w.office, "hazard", mk("2026-12-31")).await.unwrap();
    (over.id, soon.id, later.id)
}

async fn daily_reminders_once_a_day_and_escalation(w: World) {
    let s = &w.store;
    let (over, soon, later) = hazards(&w).await;
    let scan = s.scan_deadlines().await.unwrap();
    // Clerk and head of 应急管理局 each get 超期 and 临期; the head is told of
    // the 15-day overdue item (≥ 3), the 分管领导 too (≥ 7).
    assert_eq!((scan.overdue, scan.due_soon, scan.escalated), (2, 2, 2));
    let n = inbox(s, &w.clerk_yj).await;
    let kinds: Vec<(&str, Option<i64>)> = n.iter().map(|n| (n.kind.as_str(), n.record_id)).collect();
    assert!(
        kinds.contains(&("overdue", Some(over))) && kinds.contains(&("due_soon", Some(soon))),
        "{kinds:?}"
    );
    assert!(!kinds.iter().any(|k| k.1 == Some(later)));
    let o = n.iter().find(|n| n.kind == "overdue").unwrap();
    assert_eq!(o.title, "超期：配电箱未可靠接地，存在触电风险");
    assert!(
        o.body.contains("已超过办理时限2026年11月10日") && o.body.contains("已超期15天"),
        "{}",
        o.body
    );
    let lead = inbox(s, &w.leader).await;
    assert_eq!(lead.len(), 1);
    assert_eq!(lead[0].kind, "escalate");
    assert!(lead[0].body.ends_with("（超期15天，报分管领导）"), "{}", lead[0].body);
    assert_eq!(inbox(s, &w.head_yj).await.len(), 3);
    // Again the same day: nothing new.
    assert_eq!(s.scan_deadlines().await.unwrap(), lvzhi_store::notices::Scan::default());
    assert_eq!(inbox(s, &w.clerk_yj).await.len(), 2);
}

/// Two servers on one PostgreSQL database scan at the same moment: each
/// daily notice is written once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_write_each_daily_notice_once() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let one = db.open().await;
    let two = db.open().await;
    let w = World::setup(one.clone()).await;
    hazards(&w).await;
    let mut totals = Vec::new();
    for _ in 0..3 {
        let (a, b) = tokio::join!(one.scan_deadlines(), two.scan_deadlines());
        let (a, b) = (a.unwrap(), b.unwrap());
        totals.push(a.overdue + b.overdue + a.due_soon + b.due_soon + a.escalated + b.escalated);
    }
    let mut c = one.pool().acquire().await.unwrap();
    let n = c
        .conn()
        .row("SELECT COUNT(*) FROM notices", &[])
        .await
        .unwrap()
        .unwrap()
        .i(0);
    drop(c);
    one.close().await;
    two.close().await;
    db.remove().await;
    assert_eq!(n, 6);
    assert_eq!(totals, [6, 0, 0]);
}
