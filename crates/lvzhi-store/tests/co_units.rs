//! 主办/协办 units (issue 17) on both backends: a 协办 unit sees the record and
//! gives its 协办意见, but neither edits nor moves it; a third unit sees
//! nothing; notices go out in the change's transaction; counts stay with the
//! 主办 unit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_store::aggregate::{Agg, AggQuery, Col, Expr};
use lvzhi_store::records::ListQuery;
use lvzhi_store::{Access, Store, StoreError};
use serde_json::json;

both!(co_units_story, co_units_do_not_change_counts, co_unit_rules);

/// A 督办事项 of 应急管理局 (主办), created by the office.
async fn task(s: &Store, office: &Access, unit: i64) -> i64 {
    s.create(
        office,
        "supervision",
        map(
            json!({"title": "督促落实冬季安全生产大检查", "source": "会议", "urgency": "一般",
            "unit": unit, "assigned_on": "2026-11-20"}),
        ),
    )
    .await
    .unwrap()
    .id
}

fn ids_of(page: &lvzhi_store::records::Page) -> Vec<i64> {
    page.items.iter().map(|v| v.row.id).collect()
}

async fn listed(s: &Store, a: &Access) -> Vec<i64> {
    let q = ListQuery {
        limit: Some(500),
        count: true,
        ..ListQuery::default()
    };
    let page = s.list(a, "supervision", &q).await.unwrap();
    assert_eq!(page.total, Some(page.items.len() as i64), "count agrees with the list");
    ids_of(&page)
}

/// The office adds 西洞镇 as 协办 unit: its clerk sees the record (list and
/// page), gives an opinion that the 主办 unit reads in the record's events and
/// its inbox; it cannot edit, move, void or urge it; 清水镇 sees nothing.
async fn co_units_story(w: World) {
    let s = &w.store;
    let id = task(s, &w.office, w.yj).await;
    assert!(listed(s, &w.clerk_xd).await.is_empty());
    expect_status(s.record(&w.clerk_xd, id).await, 404);

    let row = s.set_co_units(&w.office, id, vec![w.xd]).await.unwrap();
    assert_eq!(row.co_units, vec![w.xd]);
    assert_eq!(row.version, 1, "协办 units are no field change");
    // Setting the same set again writes nothing.
    let events = event_count(s).await;
    s.set_co_units(&w.office, id, vec![w.xd]).await.unwrap();
    assert_eq!(event_count(s).await, events);

    // The 协办 unit's users see it, read-only.
    for a in [&w.clerk_xd, &w.head_xd] {
        assert_eq!(listed(s, a).await, vec![id], "{}", a.username);
        let v = s.record(a, id).await.unwrap();
        assert!(v.actions.is_empty() && !v.can_edit && !v.can_void, "{v:?}");
        let c = s.co_units(a, id).await.unwrap();
        assert!(c.may_opine && !c.may_set && c.my_co_unit == Some(w.xd));
        assert_eq!(c.lead.as_ref().map(|u| u.name.as_str()), Some("应急管理局"));
        assert_eq!(
            c.co_units.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
            ["西洞镇人民政府"]
        );
    }
    let (v0, e0) = w.snapshot(id).await;
    let msg = expect_status(
        s.update(&w.clerk_xd, id, 1, map(json!({"progress": "已配合检查"})))
            .await,
        403,
    );
    assert!(msg.contains("协办单位"), "{msg}");
    expect_status(
        s.transition(&w.clerk_xd, id, 1, "签收", map(json!({"unit": w.yj})), None)
            .await,
        403,
    );
    expect_status(s.void(&w.head_xd, id, 1, "重复").await, 403);
    expect_status(s.set_co_units(&w.head_xd, id, vec![]).await, 403);
    assert_eq!(w.snapshot(id).await, (v0, e0), "refusals write nothing");
    // Nor evidence: a 协办 unit reads the record's attachments, it adds none.
    let bytes = lvzhi_files::sample::photo(64, 48, Some("2026:11:24 10:00:00"), None);
    let alg = s.file_alg().await.unwrap();
    let file = lvzhi_store::attachments::NewAttachment {
        kind: "现场照片".into(),
        name: "现场.jpg".into(),
        size: bytes.len() as i64,
        mime: "image/jpeg".into(),
        hash: s.files().put_bytes(&bytes, alg).unwrap(),
        ..Default::default()
    };
    expect_status(s.attach(&w.clerk_xd, id, file.clone()).await, 403);
    s.attach(&w.clerk_yj, id, file).await.unwrap();
    assert_eq!(s.attachments(&w.clerk_xd, id).await.unwrap().len(), 1, "it reads them");

    // A third unit still sees nothing: not in its list, 404 on the page, no opinion.
    assert!(listed(s, &w.clerk_qs).await.is_empty());
    expect_status(s.record(&w.clerk_qs, id).await, 404);
    expect_status(s.co_units(&w.clerk_qs, id).await, 404);
    expect_status(s.add_opinion(&w.clerk_qs, id, "意见").await, 404);
    expect_status(s.record_events(&w.clerk_qs, id).await, 404);

    // The 协办 unit was told.
    let n = s.notices(&w.clerk_xd, true, 10, None).await.unwrap();
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!((n[0].kind.as_str(), n[0].record_id), ("co_unit", Some(id)));
    assert_eq!(n[0].title, "协办：督促落实冬季安全生产大检查");
    assert!(s.notices(&w.clerk_qs, true, 10, None).await.unwrap().is_empty());

    // The opinion: on the chain, in the 主办 unit's view and inbox.
    let blank = s.add_opinion(&w.clerk_xd, id, "   ").await;
    assert!(
        matches!(blank, Err(StoreError::Invalid(ref e)) if e[0].field == "text"),
        "{blank:?}"
    );
    expect_status(s.add_opinion(&w.clerk_yj, id, "主办不填协办意见").await, 403);
    s.add_opinion(&w.clerk_xd, id, "西洞镇已组织辖区企业自查，配合复查")
        .await
        .unwrap();
    let ev = s.record_events(&w.head_yj, id).await.unwrap();
    let last = ev.last().unwrap();
    assert_eq!(last.kind, "record.opinion");
    assert_eq!(last.actor_name, "clerk_xd");
    assert_eq!(last.data["unit_name"], json!("西洞镇人民政府"));
    assert_eq!(last.data["text"], json!("西洞镇已组织辖区企业自查，配合复查"));
    let c = s.co_units(&w.head_yj, id).await.unwrap();
    assert!(!c.may_opine && c.my_co_unit.is_none());
    assert_eq!(c.opinions.len(), 1);
    assert_eq!(c.opinions[0].unit_id, w.xd);
    let n = s.notices(&w.clerk_yj, true, 10, None).await.unwrap();
    assert!(
        n.iter().any(|n| n.kind == "opinion" && n.body.contains("西洞镇已组织")),
        "{n:?}"
    );
    assert!(
        ev.iter()
            .any(|e| e.kind == "record.co_units" && e.data["added"][0]["name"] == json!("西洞镇人民政府")),
        "{ev:?}"
    );
    // Awaiting the opinion: only until it is given.
    assert!(s.awaiting_opinion(&w.head_xd, 10).await.unwrap().is_empty());

    // The leader who oversees 应急管理局 sees a record it only 协办s.
    let other = task(s, &w.office, w.xd).await;
    expect_status(s.record(&w.leader, other).await, 404);
    s.set_co_units(&w.office, other, vec![w.yj]).await.unwrap();
    let v = s.record(&w.leader, other).await.unwrap();
    assert!(v.actions.is_empty() && !v.can_edit);
    expect_status(s.urge(&w.leader, other, "请配合").await, 403);
    assert_eq!(
        s.awaiting_opinion(&w.clerk_yj, 10)
            .await
            .unwrap()
            .iter()
            .map(|v| v.row.id)
            .collect::<Vec<_>>(),
        vec![other]
    );
    // The 主办 unit, handing it to its 协办 unit (改派 by the office), leaves it 主办 only.
    let r = s.update(&w.office, other, 1, map(json!({"unit": w.yj}))).await.unwrap();
    assert_eq!(r.unit_id, Some(w.yj));
    assert!(s.co_units(&w.office, other).await.unwrap().co_units.is_empty());

    // Removing the 协办 unit ends its view.
    s.set_co_units(&w.office, id, vec![]).await.unwrap();
    expect_status(s.record(&w.clerk_xd, id).await, 404);
    expect_status(s.add_opinion(&w.clerk_xd, id, "再补充").await, 404);
}

/// Indicators (aggregates), 首页 counts and 待办 count by the 主办 unit only.
async fn co_units_do_not_change_counts(w: World) {
    let s = &w.store;
    let id = task(s, &w.office, w.yj).await;
    task(s, &w.office, w.qs).await;
    let by_unit = |a: Access| async move {
        s.aggregate(
            &a,
            &AggQuery::new("supervision"),
            Agg::Count,
            None,
            Some(&Expr::Col(Col::Unit)),
            false,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|b| (b.key, b.count))
        .collect::<Vec<_>>()
    };
    let counts = |a: Access| async move {
        let open = s.open_counts(&a).await.unwrap();
        let todo = s.todo(&a, 50).await.unwrap().1;
        (format!("{open:?}"), todo)
    };
    let users = [&w.office, &w.leader, &w.clerk_xd, &w.head_xd, &w.clerk_yj, &w.clerk_qs];
    let mut before = Vec::new();
    for a in users {
        before.push((by_unit(a.clone()).await, counts(a.clone()).await));
    }
    s.set_co_units(&w.office, id, vec![w.xd, w.qs]).await.unwrap();
    for (a, b) in users.iter().zip(&before) {
        assert_eq!(
            &(by_unit((*a).clone()).await, counts((*a).clone()).await),
            b,
            "{}",
            a.username
        );
    }
    // The county-wide count per unit is the 主办 units' alone.
    let all = by_unit(w.office.clone()).await;
    assert_eq!(all.iter().map(|(_, n)| n).sum::<i64>(), 2, "{all:?}");
    // Yet the 协办 unit lists it.
    assert_eq!(listed(s, &w.clerk_xd).await, vec![id]);
}

/// Who may set 协办 units, and which: the ledger's `[co_units]` roles handling
/// an open record; existing units other than the 主办 unit; not on a ledger
/// without the rule.
async fn co_unit_rules(w: World) {
    let s = &w.store;
    let id = task(s, &w.office, w.yj).await;
    let e = s.set_co_units(&w.office, id, vec![w.yj]).await;
    assert!(
        matches!(e, Err(StoreError::Invalid(ref v)) if v[0].message.contains("主办单位")),
        "{e:?}"
    );
    let e = s.set_co_units(&w.office, id, vec![999_999]).await;
    assert!(
        matches!(e, Err(StoreError::Invalid(ref v)) if v[0].field == "units"),
        "{e:?}"
    );
    // The 主办 unit's head is not among 督办事项's roles (office, leader).
    expect_status(s.set_co_units(&w.head_yj, id, vec![w.xd]).await, 403);
    // The leader overseeing the 主办 unit is.
    s.set_co_units(&w.leader, id, vec![w.xd]).await.unwrap();
    // An auditor reads, never writes.
    expect_status(s.set_co_units(&w.auditor, id, vec![]).await, 403);
    // A hazard has no 协办 units.
    let h = s.create(&w.office, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    expect_status(s.set_co_units(&w.office, h.id, vec![w.xd]).await, 409);
    let c = s.co_units(&w.office, h.id).await.unwrap();
    assert!(!c.enabled && !c.may_set);
    // Closed records take no changes.
    s.void(&w.office, id, 1, "重复录入").await.unwrap();
    expect_status(s.set_co_units(&w.office, id, vec![]).await, 409);
    expect_status(s.add_opinion(&w.clerk_xd, id, "迟到的意见").await, 409);
}
