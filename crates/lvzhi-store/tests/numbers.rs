//! Record numbers people can say on the phone (issue 16 item 7): 隐患〔2026〕第1号
//! onwards, one series per ledger and year, from single creates, batches and
//! bulk imports alike; unique; found by the list's text search. Both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_store::records::ListQuery;

both!(numbers_per_ledger_and_year);

async fn numbers_per_ledger_and_year(w: World) {
    let s = &w.store;
    let a = s.create(&w.clerk_xd, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    assert_eq!(a.number.as_deref(), Some("隐患〔2026〕第1号"));
    // What create returns is what is stored.
    assert_eq!(s.record(&w.office, a.id).await.unwrap().row.number, a.number);
    // A batch and a bulk import continue the series, in id order.
    let rows = (0..3).map(|_| (hazard(XD, Some(w.yj)), None)).collect();
    let batch = s.create_many(&w.office, "hazard", rows, None).await.unwrap();
    let rows = (0..4).map(|_| (hazard(QS, Some(w.yj)), None)).collect();
    let bulk = s
        .create_bulk(&w.office, "hazard", rows, Some("t".into()))
        .await
        .unwrap();
    let mut all = Vec::new();
    for id in std::iter::once(a.id).chain(batch).chain(bulk) {
        all.push(s.record(&w.office, id).await.unwrap().row.number.unwrap());
    }
    let want: Vec<String> = (1..=8).map(|n| format!("隐患〔2026〕第{n}号")).collect();
    assert_eq!(all, want);
    // Another ledger has its own series.
    let p = s
        .create(
            &w.office,
            "petition",
            map(serde_json::json!({
                "subject": "拖欠工程款", "petitioner": "张三", "persons": 1, "form": "来访",
                "visit_type": "初访", "category": "劳动社保", "content": "反映拖欠工资",
                "registered_on": "2026-11-25",
            })),
        )
        .await
        .unwrap();
    assert_eq!(p.number.as_deref(), Some("信访〔2026〕第1号"));
    // A refused create takes no number: the next one is 第9号.
    let mut bad = hazard(XD, Some(w.yj));
    bad.insert("found_on".into(), serde_json::json!("2027-01-01"));
    assert!(s.create(&w.office, "hazard", bad).await.is_err());
    let b = s.create(&w.office, "hazard", hazard(XD, Some(w.yj))).await.unwrap();
    assert_eq!(b.number.as_deref(), Some("隐患〔2026〕第9号"));
    // Said on the phone, typed into the search box.
    for q in ["第7号", "〔2026〕第7号", "隐患〔2026〕第7号"] {
        let page = s
            .list(
                &w.office,
                "hazard",
                &ListQuery {
                    q: Some(q.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let found: Vec<_> = page.items.iter().map(|v| v.row.number.clone().unwrap()).collect();
        assert_eq!(found, ["隐患〔2026〕第7号"], "{q}");
    }
    // The database refuses a second record with the same number.
    let mut c = s.pool().acquire().await.unwrap();
    let dup = c
        .conn()
        .exec(
            "UPDATE records SET number = $1 WHERE id = $2",
            &[
                lvzhi_store::db::P::T("隐患〔2026〕第1号".into()),
                lvzhi_store::db::P::I(b.id),
            ],
        )
        .await;
    assert!(dup.is_err(), "unique (ledger, number)");
}
