//! The morning digest (issue 17 item 3): at 08:30 Shanghai one notice per
//! user with overdue or due-soon items — in the inbox and, through the outbox
//! trigger, one merged message per enabled channel — written once per user
//! and day, also by two servers on one PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use common::*;
use lvzhi_store::Store;
use lvzhi_store::outbox::ChannelInput;
use serde_json::json;

/// One overdue, one due-soon and one later hazard of 应急管理局 (as the store's NOW, 2026-11-25).
async fn hazards(w: &World) {
    let s = &w.store;
    for deadline in ["2026-11-10", "2026-11-28", "2026-12-31"] {
        let mut f = hazard(XD, Some(w.yj));
        f.insert("found_on".into(), json!("2026-11-01"));
        f.insert("deadline".into(), json!(deadline));
        s.create(&w.office, "hazard", f).await.unwrap();
    }
}

async fn count(s: &Store, sql: &str) -> i64 {
    let mut c = s.pool().acquire().await.unwrap();
    c.conn().row(sql, &[]).await.unwrap().unwrap().i(0)
}

async fn channel(s: &Store, w: &World) {
    s.add_channel(
        &w.admin,
        ChannelInput {
            kind: "wecom".into(),
            name: "值班群".into(),
            // Never reached in this test: the sender does not run.
            url: "http://127.0.0.1:9/cgi-bin/webhook/send?key=k".into(),
            ..ChannelInput::default()
        },
    )
    .await
    .unwrap();
}

both!(digest_lists_my_overdue_and_due_soon_items_once_a_day);

async fn digest_lists_my_overdue_and_due_soon_items_once_a_day(w: World) {
    let s = &w.store;
    hazards(&w).await;
    channel(s, &w).await;
    // The store's clock reads 10:00 in Shanghai: the digest is due.
    let d = s.write_digests().await.unwrap();
    assert!(d.written >= 2 && d.written == d.due, "{d:?}");
    let mine = s.notices(&w.clerk_yj, false, 50, None).await.unwrap();
    let digest: Vec<_> = mine.iter().filter(|n| n.kind == "digest").collect();
    assert_eq!(digest.len(), 1, "{mine:?}");
    let n = digest[0];
    assert_eq!(n.title, "每日提醒：超期1项，临期1项");
    assert_eq!(n.kind_label(), "每日提醒");
    assert!(n.body.starts_with("2026年11月25日，您的待办事项中："), "{}", n.body);
    assert!(
        n.body.contains("1. 【超期】") && n.body.contains("办理时限2026年11月10日"),
        "{}",
        n.body
    );
    assert!(
        n.body.contains("2. 【临期】") && n.body.contains("办理时限2026年11月28日"),
        "{}",
        n.body
    );
    assert!(
        !n.body.contains("2026年12月31日"),
        "the later item is not due soon: {}",
        n.body
    );
    // Users with nothing overdue or due soon get none (another township's clerk, the auditor).
    for a in [&w.clerk_qs, &w.auditor] {
        let theirs = s.notices(a, false, 50, None).await.unwrap();
        assert!(!theirs.iter().any(|n| n.kind == "digest"), "{theirs:?}");
    }
    // The digests merge into one message on the one channel, counting them all.
    let mut c = s.pool().acquire().await.unwrap();
    let row = c
        .conn()
        .row(
            "SELECT COUNT(*), MAX(o.grouped) FROM outbox o JOIN notices n ON n.id = o.notice_id WHERE n.kind = 'digest'",
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    drop(c);
    assert_eq!((row.i(0), row.i(1)), (1, i64::try_from(d.written).unwrap()));
    // Again the same day: nothing more.
    assert_eq!(s.write_digests().await.unwrap().written, 0);
    assert_eq!(
        count(s, "SELECT COUNT(*) FROM notices WHERE kind = 'digest'").await,
        i64::try_from(d.written).unwrap()
    );
}

/// Before 08:30 in Shanghai nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_digest_before_half_past_eight() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let s = db.open_at("2026-11-25T00:29:00Z").await;
    let w = World::setup(s.clone()).await;
    hazards(&w).await;
    assert_eq!(s.write_digests().await.unwrap(), Default::default());
    s.close().await;
    let s = db.open_at("2026-11-25T00:30:00Z").await;
    assert!(s.write_digests().await.unwrap().written >= 2);
    s.close().await;
    db.remove().await;
}

/// Two servers on one PostgreSQL database, writing the digests at the same
/// time, three times over: each user's digest once, all in one outbox message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_write_each_digest_once() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let one = db.open().await;
    let two = db.open().await;
    let w = World::setup(one.clone()).await;
    hazards(&w).await;
    channel(&one, &w).await;
    let mut written = Vec::new();
    for _ in 0..3 {
        let (a, b) = tokio::join!(one.write_digests(), two.write_digests());
        let (a, b) = (a.unwrap(), b.unwrap());
        written.push(a.written + b.written);
    }
    let notices = count(&one, "SELECT COUNT(*) FROM notices WHERE kind = 'digest'").await;
    let per_user = count(
        &one,
        "SELECT COUNT(*) FROM (SELECT user_id FROM notices WHERE kind = 'digest' GROUP BY user_id HAVING COUNT(*) > 1) AS d",
    )
    .await;
    let messages = count(
        &one,
        "SELECT COUNT(*) FROM outbox o JOIN notices n ON n.id = o.notice_id WHERE n.kind = 'digest'",
    )
    .await;
    let merged = count(&one, "SELECT COALESCE(SUM(grouped), 0) FROM outbox").await;
    one.close().await;
    two.close().await;
    db.remove().await;
    assert!(notices >= 2, "{notices}");
    assert_eq!(per_user, 0);
    assert_eq!((messages, merged), (1, notices));
    assert_eq!(written, [u64::try_from(notices).unwrap(), 0, 0]);
}
