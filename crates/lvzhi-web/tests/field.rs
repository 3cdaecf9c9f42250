//! The store side of the field pages, on SQLite and PostgreSQL: the person who
//! takes a step is recorded by the system (`fill = "actor"`: 验收人); a record's
//! 承办人 is chosen by the unit head (scoped, evented) and comes first in their
//! 我的待办; a user's list columns are kept per user (`ui_prefs`, evented).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use lvzhi_testkit::TestDb;
use lvzhi_testkit::county::hazard;
use serde_json::{Map, Value, json};

fn map(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[tokio::test]
async fn acceptor_is_the_acting_user_and_columns_are_per_user() {
    for db in TestDb::both().await {
        let store = lvzhi_testkit::open(&db).await;
        let county = lvzhi_testkit::county::build(&store).await;
        let (clerk, office, clerk_yj, head_yj) = (
            county.access("clerk_xd"),
            county.access("office"),
            county.access("clerk_yj"),
            county.access("head_yj"),
        );
        let r = store
            .create(&clerk, "hazard", hazard("620902100", county.yingji, "配电箱未接地"))
            .await
            .unwrap();
        let r = store
            .transition(&office, r.id, 1, "交办", map(json!({"deadline": "2026-12-10"})), None)
            .await
            .unwrap();
        // 提交验收 needs a 整改后照片 (the pack's evidence rule).
        lvzhi_testkit::evidence::for_transition(&store, &clerk_yj, r.id, "提交验收")
            .await
            .unwrap();
        let r = store
            .transition(
                &clerk_yj,
                r.id,
                r.version,
                "提交验收",
                map(json!({"measures": "已接地", "rectified_on": "2026-11-24"})),
                None,
            )
            .await
            .unwrap();
        // 验收销号 without 验收人: the store records the head who took the step.
        let closed = store
            .transition(
                &head_yj,
                r.id,
                r.version,
                "验收销号",
                map(json!({"acceptance": "合格"})),
                None,
            )
            .await
            .unwrap();
        assert_eq!(closed.state, "已销号");
        assert_eq!(
            closed.fields["accepted_by"],
            json!("head_yj"),
            "the head's display name"
        );
        let events = store.record_events(&head_yj, r.id).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            last.data["after"]["accepted_by"],
            json!("head_yj"),
            "on the chain: {:?}",
            last.data
        );
        // A value given by an API client (a paper record keyed in) is kept.
        let r2 = store
            .create(&clerk, "hazard", hazard("620902100", county.yingji, "灭火器过期"))
            .await
            .unwrap();
        let r2 = store
            .transition(&office, r2.id, 1, "交办", map(json!({"deadline": "2026-12-10"})), None)
            .await
            .unwrap();
        lvzhi_testkit::evidence::for_transition(&store, &clerk_yj, r2.id, "提交验收")
            .await
            .unwrap();
        let r2 = store
            .transition(
                &clerk_yj,
                r2.id,
                r2.version,
                "提交验收",
                map(json!({"measures": "已更换", "rectified_on": "2026-11-24"})),
                None,
            )
            .await
            .unwrap();
        let r2 = store
            .transition(
                &head_yj,
                r2.id,
                r2.version,
                "验收销号",
                map(json!({"acceptance": "合格", "accepted_by": "李明（纸质验收单）"})),
                None,
            )
            .await
            .unwrap();
        assert_eq!(r2.fields["accepted_by"], json!("李明（纸质验收单）"));

        // 承办人: the head of the responsible unit picks a clerk of the unit.
        let r3 = store
            .create(&clerk, "hazard", hazard("620902100", county.yingji, "消防通道堵塞"))
            .await
            .unwrap();
        let r3 = store
            .transition(&office, r3.id, 1, "交办", map(json!({"deadline": "2026-12-20"})), None)
            .await
            .unwrap();
        // An item due sooner, so that r3 is not first by deadline.
        let r4 = store
            .create(&clerk, "hazard", hazard("620902100", county.yingji, "安全出口上锁"))
            .await
            .unwrap();
        store
            .transition(&office, r4.id, 1, "交办", map(json!({"deadline": "2026-12-01"})), None)
            .await
            .unwrap();
        let clerk_qs = county.access("clerk_qs");
        assert!(
            matches!(
                store.assign(&clerk_yj, r3.id, clerk_yj.user_id).await,
                Err(lvzhi_store::StoreError::Forbidden(_))
            ),
            "a clerk does not assign"
        );
        assert!(
            matches!(
                store.assign(&head_yj, r3.id, clerk_qs.user_id).await,
                Err(lvzhi_store::StoreError::BadRequest(_))
            ),
            "only a user of the responsible unit"
        );
        assert!(
            store.assign(&clerk_qs, r3.id, clerk_yj.user_id).await.is_err(),
            "out of scope"
        );
        let before_todo = store.todo(&clerk_yj, 500).await.unwrap().0;
        assert_ne!(before_todo.first().map(|v| v.row.id), Some(r3.id), "not first before");
        let who = store.assign(&head_yj, r3.id, clerk_yj.user_id).await.unwrap();
        assert_eq!(who.name, "clerk_yj");
        assert_eq!(store.assignee(&office, r3.id).await.unwrap(), Some(who.clone()));
        let (todo, total) = store.todo(&clerk_yj, 500).await.unwrap();
        assert_eq!(todo.first().map(|v| v.row.id), Some(r3.id), "mine first");
        assert_eq!(todo.len(), before_todo.len());
        assert!(total >= todo.len() as i64);
        // The rest keeps its order: by deadline (none last), then id.
        let rest: Vec<i64> = todo.iter().skip(1).map(|v| v.row.id).collect();
        let expected: Vec<i64> = before_todo.iter().map(|v| v.row.id).filter(|id| *id != r3.id).collect();
        assert_eq!(rest, expected);
        assert_eq!(
            store.assigned_to_me(&clerk_yj, &[r.id, r3.id]).await.unwrap(),
            vec![r3.id]
        );
        let evs = store.record_events(&office, r3.id).await.unwrap();
        let last = evs.last().unwrap();
        assert_eq!(last.kind, "record.assign");
        assert_eq!(last.data["name"], json!("clerk_yj"));
        // A closed record gets no 承办人.
        assert!(store.assign(&head_yj, r.id, clerk_yj.user_id).await.is_err());

        // Columns: per user, overwritten, removed; each change is an event.
        let before = lvzhi_testkit::event_count(&store).await;
        assert_eq!(store.user_pref(&clerk, "list_columns:hazard").await.unwrap(), None);
        store
            .set_user_pref(&clerk, "list_columns:hazard", "company,grade")
            .await
            .unwrap();
        store
            .set_user_pref(&clerk, "list_columns:hazard", "company")
            .await
            .unwrap();
        assert_eq!(
            store.user_pref(&clerk, "list_columns:hazard").await.unwrap().as_deref(),
            Some("company")
        );
        assert_eq!(
            store.user_pref(&office, "list_columns:hazard").await.unwrap(),
            None,
            "another user's"
        );
        store.set_user_pref(&clerk, "list_columns:hazard", "").await.unwrap();
        assert_eq!(store.user_pref(&clerk, "list_columns:hazard").await.unwrap(), None);
        assert_eq!(
            lvzhi_testkit::event_count(&store).await,
            before + 3,
            "one event per change"
        );
        assert!(store.set_user_pref(&clerk, "k", &"x".repeat(3000)).await.is_err());
        store.close().await;
        db.drop_db().await;
    }
}
