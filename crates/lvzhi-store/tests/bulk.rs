//! Bulk creation (`Store::bulk_create` / `create_bulk`, crates/lvzhi-store/src/bulk.rs)
//! on SQLite and PostgreSQL: the same records and events as `create_many`, a
//! chain that verifies, and all or nothing across chunks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_store::bulk::CHUNK_ROWS;
use serde_json::{Map, Value, json};

both!(same_as_create_many, all_or_nothing, scope_and_roles);

type Rows = Vec<(Map<String, Value>, Option<String>)>;

fn rows(w: &World, n: usize) -> Rows {
    (0..n)
        .map(|i| {
            let mut f = hazard([XD, QS, ZZ][i % 3], if i % 2 == 0 { Some(w.yj) } else { None });
            f.insert(
                "description".into(),
                json!(format!("第{i}号隐患：\"引号\"\\反斜杠\n换行")),
            );
            f.insert("found_on".into(), json!(format!("2026年3月{}日", 1 + i % 28)));
            let state = (i % 5 == 0).then(|| "整改中".to_string());
            (f, state)
        })
        .collect()
}

/// A record and its create event, without what differs between two imports
/// (ids, seqs, hashes).
async fn comparable(w: &World, id: i64) -> (Value, Value) {
    let s = &w.store;
    let r = s.record(&w.admin, id).await.unwrap();
    let mut rv = serde_json::to_value(&r).unwrap();
    // The id, the last event and the number go on in one series per ledger (both paths number alike:
    // `same_as_create_many` checks the bulk continues the series).
    for k in ["id", "last_event", "number"] {
        rv.as_object_mut().unwrap().remove(k);
    }
    let ev = s.record_events(&w.admin, id).await.unwrap();
    assert_eq!(ev.len(), 1);
    let e = &ev[0];
    assert_eq!(r.row.last_event, e.seq);
    assert_eq!(e.entity_id.as_deref(), Some(id.to_string().as_str()));
    let ej = json!({"kind": e.kind, "entity": e.entity, "ledger": e.ledger, "actor": e.actor,
                    "actor_name": e.actor_name, "at": e.at, "data": e.data});
    (rv, ej)
}

/// (1) The same rows through `create_many` and `create_bulk` give the same records and events.
async fn same_as_create_many(w: World) {
    let s = &w.store;
    let n = CHUNK_ROWS * 2 + 17;
    let input = rows(&w, n);
    let a = s
        .create_many(&w.office, "hazard", input.clone(), Some("imp".into()))
        .await
        .unwrap();
    let b = s
        .create_bulk(&w.office, "hazard", input, Some("imp".into()))
        .await
        .unwrap();
    assert_eq!(b.len(), n);
    assert!(b.windows(2).all(|p| p[1] == p[0] + 1), "ids in file order");
    assert!(b[0] > *a.last().unwrap());
    for k in [0, 1, 5, CHUNK_ROWS, n - 1] {
        assert_eq!(comparable(&w, a[k]).await, comparable(&w, b[k]).await, "row {k}");
        // Numbers: the batch takes 第1号…第n号, the bulk import 第n+1号… in file order.
        for (id, nth) in [(a[k], k + 1), (b[k], n + k + 1)] {
            let got = s.record(&w.admin, id).await.unwrap().row.number;
            assert_eq!(got, Some(format!("隐患〔2026〕第{nth}号")), "row {k}");
        }
    }
    let v = s.verify_chain().await.unwrap();
    assert_eq!((v.verified, v.broken_at), (w.setup_events + 2 * n as i64, None));
    // The writer goes on as usual after a bulk import (ids, chain, PostgreSQL's sequence).
    let r = s.create(&w.office, "hazard", hazard(XD, None)).await.unwrap();
    assert_eq!(r.id, b[n - 1] + 1);
    assert_eq!(s.verify_chain().await.unwrap().broken_at, None);
    // An empty import writes nothing and is fine.
    assert!(
        s.create_bulk(&w.office, "hazard", vec![], None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// (2) All or nothing: a bad row anywhere writes nothing, whether validation
/// refuses it before the writer or the writer's reference check refuses it
/// after earlier chunks went in; giving up without `finish` writes nothing.
async fn all_or_nothing(w: World) {
    let s = &w.store;
    let (e0, r0) = (event_count(s).await, record_count(s).await);
    let n = CHUNK_ROWS * 3;
    // Invalid value in the third chunk.
    let mut input = rows(&w, n);
    input[n - 2].0.insert("found_on".into(), json!("2026-11-31"));
    let msg = expect_status(s.create_bulk(&w.office, "hazard", input, None).await, 422);
    assert!(msg.contains(&format!("第{}条", n - 1)), "{msg}");
    // A unit that does not exist: refused in the writer, chunks before it already inserted.
    let mut input = rows(&w, n);
    input[n - 1].0.insert("responsible_unit".into(), json!(987_654));
    let e = s.create_bulk(&w.office, "hazard", input, None).await;
    assert_eq!(invalid_fields(e), ["responsible_unit"]);
    // Unknown state.
    let mut input = rows(&w, 10);
    input[3].1 = Some("没有的状态".into());
    let msg = expect_status(s.create_bulk(&w.office, "hazard", input, None).await, 400);
    assert!(msg.contains("第4条"), "{msg}");
    // Given up half-way.
    let mut bulk = s.bulk_create(&w.office, "hazard", None).await.unwrap();
    bulk.push(rows(&w, CHUNK_ROWS)).await.unwrap();
    drop(bulk);
    // The writer is free again, and nothing of the above is there.
    let r = s.create(&w.office, "hazard", hazard(XD, None)).await.unwrap();
    assert_eq!((event_count(s).await, record_count(s).await), (e0 + 1, r0 + 1));
    assert_eq!(r.last_event, e0 + 1);
    assert_eq!(s.verify_chain().await.unwrap().broken_at, None);
}

/// (3) The writer's rules on who may create what, and where.
async fn scope_and_roles(w: World) {
    let s = &w.store;
    let (e0, r0) = (event_count(s).await, record_count(s).await);
    expect_status(s.create_bulk(&w.auditor, "hazard", rows(&w, 3), None).await, 403);
    let own: Rows = (0..5).map(|_| (hazard(XD, None), None)).collect();
    let mut other = own.clone();
    other[4].0.insert("township".into(), json!(QS));
    let msg = expect_status(s.create_bulk(&w.clerk_xd, "hazard", other, None).await, 403);
    assert!(msg.contains("第5条"), "{msg}");
    assert_eq!((event_count(s).await, record_count(s).await), (e0, r0));
    // A clerk's rows get the clerk's unit and source unit, as with create.
    let ids = s
        .create_bulk(&w.clerk_xd, "hazard", own, Some("t".into()))
        .await
        .unwrap();
    let r = s.record(&w.clerk_xd, ids[4]).await.unwrap();
    let single = s.create(&w.clerk_xd, "hazard", hazard(XD, None)).await.unwrap();
    assert_eq!(r.row.unit_id, single.unit_id);
    assert_eq!(r.row.source_unit_id, single.source_unit_id);
    assert_eq!(r.row.fields, single.fields);
    assert_eq!(r.row.deadline, single.deadline);
    let ev = s.record_events(&w.clerk_xd, ids[4]).await.unwrap();
    assert_eq!(ev[0].data["import"], json!("t"));
    assert_eq!(ev[0].actor_name, "clerk_xd");
}
